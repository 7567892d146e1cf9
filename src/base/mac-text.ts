// MAC (IEEE 802 EUI-48) addresses as people write them: "02:00:00:00:00:01".
//
// Contract:
// - macFromText(text) -> the address as a 48-bit integer (exact in a double), or undefined
//   unless the text is six pairs of hex digits (either case) separated by ":" or "-".
// - macToText(mac) -> lower-case, colon-separated ("02:00:00:00:00:0a").
// Never throws: callers turn undefined into their own error message (wire/ethernet.ts throws
// NetloomError, the scenario checks report a path-naming problem). Whether an address may be
// a station's (not a group address) is the caller's question (wire/ethernet.ts isGroupMac).

const MAC = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

export function macFromText(text: string): number | undefined {
  const m = MAC.exec(text);
  if (m === null) return undefined;
  let mac = 0;
  for (let i = 1; i <= 6; i++) mac = mac * 256 + parseInt(m[i]!, 16);
  return mac;
}

export function macToText(mac: number): string {
  const parts: string[] = [];
  for (let i = 5; i >= 0; i--) parts.push((Math.floor(mac / 256 ** i) % 256).toString(16).padStart(2, "0"));
  return parts.join(":");
}
