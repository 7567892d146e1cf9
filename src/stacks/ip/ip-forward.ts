// IpForward: a router's forwarding plane, for datagrams not addressed to the router itself.
//
// Contract:
// - Unicast: TTL <= 1 -> dropped, ICMP time exceeded; no route (longest prefix, the route's
//   interface) -> dropped, ICMP net unreachable; longer than the outgoing MTU with DF ->
//   dropped, ICMP fragmentation needed with the next-hop MTU (RFC 1191); without DF -> cut
//   (fragmenter.ts, TTL decremented in each piece). A datagram that fits is forwarded in place:
//   TTL decremented with the RFC 1624 incremental checksum, link header dropped, handed to the
//   outgoing interface (a frame shared with other holders is copied first). Next hop = the
//   route's gateway, or the destination when on-link.
// - Multicast: FLOODING, not DVMRP or PIM: no membership (IGMP), no reverse-path check, no
//   pruning. A class D datagram that is not link-local (224.0.0.0/24) and has TTL > 1 goes out
//   of every interface except the one it came in on, TTL decremented, cut when an interface's
//   MTU needs it (DF and too big: MULTICAST_FRAG_NEEDED_DF there). Never an ICMP error about
//   it. All interfaces but the last get a copy (multicastCopies); the last the frame itself.
//   In a cyclic topology copies circulate until their TTL runs out: use it on trees.
// - Ownership: the received frame is consumed exactly once (through its interface), before the
//   forwarded frame (retained first) is handed on.
// - Per datagram: no allocation, one route lookup and one Map lookup for its interface.

import { NO_FRAME, type FrameStore } from "../../buf/frames.js";
import type { Simulation } from "../../engine/simulation.js";
import {
  ICMP_DEST_UNREACHABLE,
  ICMP_TIME_EXCEEDED,
  ICMP_UNREACH_FRAG_NEEDED,
  ICMP_UNREACH_NET,
} from "../../wire/icmp.js";
import { Ipv4View, type Ipv4Repr } from "../../wire/ipv4.js";
import { Fragmenter } from "./fragmenter.js";
import type { RouterInterface } from "./router-interface.js";
import type { RouterRoutes } from "./router-routes.js";

/** 224.0.0.0/24: link-local groups (RFC 5771), never forwarded. */
const MULTICAST_LINK_LOCAL = 0xe0000000;

/** What forwarding asks of its router. */
export interface ForwardingRouter {
  readonly sim: Simulation;
  readonly interfaces: readonly RouterInterface[];
  /** ICMP error about the datagram in `v` that arrived on `f`, to its source. */
  icmpError(f: RouterInterface, v: Ipv4View, r: Ipv4Repr, type: number, code: number, mtu: number): void;
}

export class IpForward {
  readonly counters = { forwarded: 0, fragmented: 0, multicastForwarded: 0, multicastCopies: 0 };
  readonly fragmenter: Fragmenter;
  private readonly router: ForwardingRouter;
  private readonly routes: RouterRoutes;
  private readonly drops: Record<string, number>;
  private readonly frames: FrameStore;
  private readonly u8: Uint8Array;
  private readonly ipv = new Ipv4View(new Uint8Array(0));

  /** `drops`: the router's table. */
  constructor(router: ForwardingRouter, routes: RouterRoutes, drops: Record<string, number>) {
    this.router = router;
    this.routes = routes;
    this.drops = drops;
    this.frames = router.sim.frames;
    this.u8 = router.sim.runtime.u8;
    this.fragmenter = new Fragmenter(router.sim);
  }

  /**
   * Forwards the unicast datagram in `v` (parsed into `r`) that arrived on `f` in `frame`,
   * `ethLen` link-header bytes after the frame's head.
   */
  unicast(f: RouterInterface, frame: number, ethLen: number, v: Ipv4View, r: Ipv4Repr): void {
    if (r.ttl <= 1) return this.refuse(f, frame, v, r, ICMP_TIME_EXCEEDED, 0, 0, "TTL_EXCEEDED");
    const route = this.routes.lookup(r.dst);
    if (route === undefined) return this.refuse(f, frame, v, r, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_NET, 0, "NO_ROUTE");
    const out = this.router.interfaces[this.routes.infoOf(route).iface]!;
    const nextHop = route.gateway === 0 ? r.dst : route.gateway;
    const total = v.totalLength;
    if (total > out.mtu) {
      if (r.dontFragment) {
        return this.refuse(f, frame, v, r, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED, out.mtu, "FRAG_NEEDED_DF");
      }
      this.fragment(out, nextHop, v, r, this.frames.birth[frame]!);
      f.consume(frame);
      return;
    }
    // Forward in place: keep the frame past the NIC's receive buffer, then copy it only if
    // someone else holds it too (a flooded frame).
    const frames = this.frames;
    frames.retain(frame);
    f.consume(frame);
    const w = frames.writable(frame);
    if (w === NO_FRAME) {
      frames.release(frame);
      this.drop("NO_SLOT");
      return;
    }
    this.ipv.wrap(this.u8, frames.offset(w) + ethLen, total).decrementTtl();
    frames.pop(w, ethLen);
    frames.setLength(w, total); // drops the FCS and any minimum-size padding
    this.counters.forwarded++;
    out.output(w, nextHop);
  }

  /** Floods the class D datagram in `v` out of every other interface (see the module comment). */
  multicast(f: RouterInterface, frame: number, ethLen: number, v: Ipv4View, r: Ipv4Repr): void {
    const dst = r.dst;
    if ((dst & 0xffff_ff00) >>> 0 === MULTICAST_LINK_LOCAL) this.drop("MULTICAST_LINK_LOCAL");
    else if (r.ttl <= 1) this.drop("MULTICAST_TTL_EXPIRED");
    else {
      this.flood(f, frame, ethLen, v, r);
      return;
    }
    f.consume(frame);
  }

  /** Copies for all but the last interface; the last takes the frame itself. */
  private flood(f: RouterInterface, frame: number, ethLen: number, v: Ipv4View, r: Ipv4Repr): void {
    const frames = this.frames;
    const fs = this.router.interfaces;
    const total = v.totalLength;
    let last = fs.length - 1;
    if (last === f.index) last--;
    if (last < 0) {
      this.drop("MULTICAST_NO_INTERFACE");
      f.consume(frame);
      return;
    }
    for (let i = 0; i <= last; i++) {
      if (i === f.index) continue;
      const out = fs[i]!;
      if (total > out.mtu) {
        if (r.dontFragment) this.drop("MULTICAST_FRAG_NEEDED_DF");
        else {
          this.counters.multicastForwarded++;
          this.fragment(out, r.dst, v, r, frames.birth[frame]!);
        }
        if (i === last) f.consume(frame);
        continue;
      }
      let w: number;
      if (i < last) {
        w = frames.clone(frame);
        if (w === NO_FRAME) {
          this.drop("NO_SLOT");
          continue;
        }
        frames.touch(w);
        this.counters.multicastCopies++;
      } else {
        // The received frame itself: kept past the NIC's buffer, copied only if shared.
        frames.retain(frame);
        f.consume(frame);
        w = frames.writable(frame);
        if (w === NO_FRAME) {
          frames.release(frame);
          this.drop("NO_SLOT");
          return;
        }
      }
      this.ipv.wrap(this.u8, frames.offset(w) + ethLen, total).decrementTtl();
      frames.pop(w, ethLen);
      frames.setLength(w, total); // drops the FCS and any minimum-size padding
      this.counters.multicastForwarded++;
      out.output(w, r.dst);
    }
  }

  /**
   * Cuts the datagram in `v` into fragments for `out` (TTL decremented in each). The fragments
   * keep the datagram's birth tag, so one-way latency still runs from the original send.
   */
  private fragment(out: RouterInterface, nextHop: number, v: Ipv4View, r: Ipv4Repr, birth: number): void {
    const fr = this.fragmenter;
    const t = fr.header;
    t.src = r.src;
    t.dst = r.dst;
    t.protocol = r.protocol;
    t.tos = r.tos;
    t.ttl = r.ttl - 1;
    t.identification = r.identification;
    t.dontFragment = false;
    t.fragmentOffset = r.fragmentOffset;
    t.moreFragments = r.moreFragments;
    this.counters.fragmented++;
    const payAt = v.offset + v.headerLength;
    if (!fr.cut(out, this.u8, payAt, r.payloadLength, out.mtu, birth, nextHop)) this.drop("NO_SLOT");
  }

  /** Drops a datagram that cannot be forwarded, with an ICMP error to its source. */
  private refuse(
    f: RouterInterface,
    frame: number,
    v: Ipv4View,
    r: Ipv4Repr,
    type: number,
    code: number,
    mtu: number,
    reason: string,
  ): void {
    this.router.icmpError(f, v, r, type, code, mtu);
    this.drop(reason);
    f.consume(frame);
  }

  private drop(reason: string): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
  }
}
