// IPv4 addresses and prefixes as people write them: "10.0.0.1", "10.0.0.0/24".
//
// Contract:
// - ipv4FromText(text) -> the address as an unsigned 32-bit number (a.b.c.d = a<<24 | ... | d),
//   or undefined unless the text is exactly four decimal octets of 1 to 3 digits, each <= 255.
//   Octets with leading zeros ("010") are refused unless `leadingZeros` is set: some tools read
//   them as octal, so scenario files refuse them, while the API (wire/ipv4.ts) has always taken
//   them as decimal.
// - splitIpv4Prefix(text) -> the address text and the prefix length of "<address>/<length>"
//   (exactly one slash, a length of at most `maxLengthDigits` digits and at most 32), or
//   undefined. It does not parse the address: callers choose their octet rule and their message.
// - ipv4ToText(addr) -> dotted quad. Never throws; nothing here allocates beyond the result.
// Callers turn undefined into their own error message (wire/ipv4.ts throws NetloomError,
// the scenario checks report a path-naming problem).

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export interface Ipv4TextOptions {
  /** Accept octets such as "010" (read as decimal). */
  leadingZeros?: boolean;
}

export function ipv4FromText(text: string, options?: Ipv4TextOptions): number | undefined {
  const m = DOTTED_QUAD.exec(text);
  if (m === null) return undefined;
  const leadingZeros = options?.leadingZeros === true;
  let addr = 0;
  for (let i = 1; i <= 4; i++) {
    const octet = m[i]!;
    if (!leadingZeros && octet.length > 1 && octet.startsWith("0")) return undefined;
    const n = Number(octet);
    if (n > 255) return undefined;
    addr = addr * 256 + n;
  }
  return addr;
}

export function ipv4ToText(addr: number): string {
  return `${addr >>> 24}.${(addr >>> 16) & 0xff}.${(addr >>> 8) & 0xff}.${addr & 0xff}`;
}

export function splitIpv4Prefix(
  text: string,
  maxLengthDigits = 2,
): { addressText: string; prefixLength: number } | undefined {
  const slash = text.indexOf("/");
  if (slash < 0) return undefined;
  const lengthText = text.slice(slash + 1);
  if (lengthText.length === 0 || lengthText.length > maxLengthDigits || !/^\d+$/.test(lengthText)) return undefined;
  const prefixLength = Number(lengthText);
  if (prefixLength > 32) return undefined;
  return { addressText: text.slice(0, slash), prefixLength };
}
