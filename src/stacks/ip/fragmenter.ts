// Fragmenter: IPv4 output of a payload held in bytes (RFC 791 section 3.2), whole or cut into
// fragments, for a host sending its own datagrams and a router forwarding one too big for the
// next link alike. One per stack, reused: no allocation per datagram.
//
// Contract:
// - The caller fills `header` (src, dst, protocol, tos, ttl, identification, dontFragment, and
//   the fragment offset and MF flag of the payload itself: 0 and false unless a router cuts a
//   fragment again); the fragmenter sets the lengths, offsets and MF flags it emits.
// - Each piece goes into a frame of its own from out.allocFragment, its 20-byte header pushed
//   in front (options are never copied), then to out.sendFragment, which takes the frame.
// - cut() makes pieces of floor((mtu - 20) / 8) * 8 payload bytes, counted in `fragments`;
//   whole() sends the payload as one datagram.
// - Out of frames: the pieces already sent stay sent (the receiver's reassembly times the
//   datagram out), false is returned and the caller counts the drop.

import { NO_FRAME, type FrameStore } from "../../buf/frames.js";
import type { KernelRuntime } from "../../kernels/runtime.js";
import type { Simulation } from "../../engine/simulation.js";
import { IPV4_HEADER_LEN, Ipv4View, createIpv4Repr, emitIpv4, type Ipv4Repr } from "../../wire/ipv4.js";

/** Where the pieces go: a host's link, or a router's outgoing interface. */
export interface FragmentOutput {
  /** A frame with `length` unwritten payload bytes and headroom in front, born `birth`, or NO_FRAME. */
  allocFragment(length: number, birth: number): number;
  /** Sends a piece (IPv4 header on) of the datagram to `dst` through `nextHop`; takes the frame. */
  sendFragment(frame: number, dst: number, nextHop: number): void;
}

export class Fragmenter {
  /** The datagram's header fields (see the module comment). */
  readonly header: Ipv4Repr = createIpv4Repr();
  /** Fragments sent by cut(). */
  fragments = 0;
  private readonly frames: FrameStore;
  private readonly runtime: KernelRuntime;
  private readonly u8: Uint8Array;
  private readonly view = new Ipv4View(new Uint8Array(0));

  constructor(sim: Simulation) {
    this.frames = sim.frames;
    this.runtime = sim.runtime;
    this.u8 = sim.runtime.u8;
  }

  /** Sends bytes[off, off + len) as one datagram. False = no frame (nothing sent). */
  whole(out: FragmentOutput, bytes: Uint8Array, off: number, len: number, birth: number, nextHop: number): boolean {
    return this.piece(out, bytes, off, len, birth, nextHop, false);
  }

  /** Cuts bytes[off, off + len) into fragments for a link of `mtu`. False = ran out of frames. */
  cut(
    out: FragmentOutput,
    bytes: Uint8Array,
    off: number,
    len: number,
    mtu: number,
    birth: number,
    nextHop: number,
  ): boolean {
    const h = this.header;
    const chunk = ((mtu - IPV4_HEADER_LEN) >>> 3) << 3;
    const baseOffset = h.fragmentOffset;
    const baseMore = h.moreFragments;
    for (let o = 0; o < len; o += chunk) {
      const n = Math.min(chunk, len - o);
      h.fragmentOffset = baseOffset + o;
      h.moreFragments = o + n < len || baseMore;
      if (!this.piece(out, bytes, off + o, n, birth, nextHop, true)) return false;
    }
    return true;
  }

  private piece(
    out: FragmentOutput,
    bytes: Uint8Array,
    at: number,
    n: number,
    birth: number,
    nextHop: number,
    fragment: boolean,
  ): boolean {
    const frames = this.frames;
    const f = out.allocFragment(n, birth);
    if (f === NO_FRAME) return false;
    // Bytes in linear memory move by the memCopy kernel; any other array by a plain copy.
    if (bytes === this.u8) this.runtime.copy(frames.offset(f), at, n);
    else this.u8.set(bytes.subarray(at, at + n), frames.offset(f));
    const h = this.header;
    h.payloadLength = n;
    const hat = frames.push(f, IPV4_HEADER_LEN);
    emitIpv4(h, this.view.wrap(this.u8, hat, IPV4_HEADER_LEN + n));
    if (fragment) this.fragments++;
    out.sendFragment(f, h.dst, nextHop);
    return true;
  }
}
