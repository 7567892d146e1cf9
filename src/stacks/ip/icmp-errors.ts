// ICMP error messages (RFC 792), for a host's port unreachable and a router's time exceeded,
// net unreachable and fragmentation needed alike: when one may be sent, and its bytes.
//
// Contract:
// - icmpErrorForbidden() is RFC 1122 3.2.2: no error about a non-first fragment, a datagram
//   from the unspecified, broadcast or a multicast address, or an ICMP error. A caller that
//   knows more (a router's directed broadcasts) adds its own checks; so does counting.
// - IcmpErrorWriter.write() fills an ICMP error at u8[at, at + icmpErrorLength(...)) in a
//   frame the caller allocated: the 8-byte header (type, code, the next-hop MTU of RFC 1191)
//   and the quote, the offending IPv4 header and the first 8 bytes of its payload. A datagram
//   that was reassembled has no header left: rebuildHeader() writes the one its sender would
//   have sent unfragmented, to quote instead.
// - The caller puts the IPv4 header on and sends; nothing here allocates per message or throws.

import type { Simulation } from "../../engine/simulation.js";
import type { KernelRuntime } from "../../kernels/runtime.js";
import {
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMP_HEADER_LEN,
  ICMP_QUOTE_PAYLOAD_LEN,
  IcmpView,
  createIcmpRepr,
  emitIcmp,
  type IcmpRepr,
} from "../../wire/icmp.js";
import {
  IPV4_BROADCAST,
  IPV4_HEADER_LEN,
  IP_PROTO_ICMP,
  Ipv4View,
  createIpv4Repr,
  emitIpv4,
  isMulticastIpv4,
} from "../../wire/ipv4.js";

/**
 * True when no ICMP error may be sent about a datagram from `src` (RFC 1122 3.2.2). The
 * payload, bytes[payOff, payOff + payLen), tells whether an ICMP datagram is itself an error.
 */
export function icmpErrorForbidden(
  src: number,
  fragmentOffset: number,
  protocol: number,
  bytes: Uint8Array,
  payOff: number,
  payLen: number,
): boolean {
  if (src === 0 || src === IPV4_BROADCAST || isMulticastIpv4(src) || fragmentOffset !== 0) return true;
  if (protocol === IP_PROTO_ICMP && payLen > 0) {
    const type = bytes[payOff]!;
    return type !== ICMP_ECHO_REQUEST && type !== ICMP_ECHO_REPLY; // never an error about an error
  }
  return false;
}

/** Bytes of an ICMP error quoting a datagram with an `hdrLen`-byte header and `payLen` payload bytes. */
export function icmpErrorLength(hdrLen: number, payLen: number): number {
  return ICMP_HEADER_LEN + hdrLen + Math.min(payLen, ICMP_QUOTE_PAYLOAD_LEN);
}

export class IcmpErrorWriter {
  /** The header rebuildHeader() writes, 20 bytes at offset 0. */
  readonly rebuilt = new Uint8Array(IPV4_HEADER_LEN);
  private readonly runtime: KernelRuntime;
  private readonly u8: Uint8Array;
  private readonly view = new IcmpView(new Uint8Array(0));
  private readonly repr: IcmpRepr = createIcmpRepr();

  constructor(sim: Simulation) {
    this.runtime = sim.runtime;
    this.u8 = sim.runtime.u8;
  }

  /**
   * Writes the error at u8[at, ...): quotes hdrBytes[hdrOff, hdrOff + hdrLen) and up to 8
   * bytes of payBytes[payOff, payOff + payLen). Returns the message length.
   */
  write(
    at: number,
    type: number,
    code: number,
    nextHopMtu: number,
    hdrBytes: Uint8Array,
    hdrOff: number,
    hdrLen: number,
    payBytes: Uint8Array,
    payOff: number,
    payLen: number,
  ): number {
    const payQuote = Math.min(payLen, ICMP_QUOTE_PAYLOAD_LEN);
    const q = at + ICMP_HEADER_LEN;
    this.copy(q, hdrBytes, hdrOff, hdrLen);
    this.copy(q + hdrLen, payBytes, payOff, payQuote);
    const r = this.repr;
    r.type = type;
    r.code = code;
    r.ident = 0;
    r.seqNo = 0;
    r.nextHopMtu = nextHopMtu;
    r.payloadLength = hdrLen + payQuote;
    const len = ICMP_HEADER_LEN + hdrLen + payQuote;
    emitIcmp(r, this.view.wrap(this.u8, at, len));
    return len;
  }

  /** Writes into `rebuilt` the 20-byte header of a datagram sent unfragmented with these fields. */
  rebuildHeader(src: number, dst: number, protocol: number, payLen: number, ttl: number, identification: number): void {
    const h = createIpv4Repr();
    h.src = src;
    h.dst = dst;
    h.protocol = protocol;
    h.payloadLength = payLen;
    h.ttl = ttl;
    h.identification = identification;
    emitIpv4(h, new Ipv4View(this.rebuilt, 0, IPV4_HEADER_LEN));
  }

  private copy(dst: number, bytes: Uint8Array, off: number, len: number): void {
    if (bytes === this.u8) this.runtime.copy(dst, off, len);
    else this.u8.set(bytes.subarray(off, off + len), dst);
  }
}
