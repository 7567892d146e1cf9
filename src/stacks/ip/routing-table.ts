// RoutingTable: longest-prefix match for a host's IPv4 routes.
//
// Contract:
// - Routes are (network, prefixLength, gateway, kind). gateway 0 means on-link: the next hop is
//   the destination itself. kind says where a route came from (connected, static, default).
// - The table is an array kept sorted by prefix length, longest first, and by insertion order
//   within a length (stable), so lookup() is a linear scan whose first match is the longest
//   one. Hosts hold a handful of routes, so this beats any trie on constant factors and
//   allocates nothing per lookup. A router with thousands of routes wants a trie (not here).
// - add() refuses a duplicate (network, prefixLength) with NetloomError naming the prefix;
//   remove() returns false when there was no such route.
// Not handled: metrics and equal-cost multipath (first added wins), route ageing.

import { ErrorCode, NetloomError, checkInteger } from "../../base/errors.js";
import { ipv4PrefixMask, ipv4ToString } from "../../wire/ipv4.js";

export const RouteKind = { CONNECTED: "connected", STATIC: "static", DEFAULT: "default" } as const;
export type RouteKind = (typeof RouteKind)[keyof typeof RouteKind];

export interface Route {
  /** Network address, host bits cleared. */
  readonly network: number;
  readonly prefixLength: number;
  readonly mask: number;
  /** Next-hop router, or 0 when the destination is on-link. */
  readonly gateway: number;
  readonly kind: RouteKind;
}

export const NO_ROUTE = -1;

export class RoutingTable {
  private routes: Route[] = [];

  /** Adds a route; host bits of `network` are cleared. Throws on a duplicate prefix. */
  add(network: number, prefixLength: number, gateway = 0, kind: RouteKind = RouteKind.STATIC): Route {
    checkInteger("prefixLength", prefixLength, 0, 32);
    checkInteger("network", network, 0, 0xffff_ffff);
    checkInteger("gateway", gateway, 0, 0xffff_ffff);
    const mask = ipv4PrefixMask(prefixLength);
    const net = (network & mask) >>> 0;
    if (this.find(net, prefixLength) >= 0) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `there is already a route to ${ipv4ToString(net)}/${prefixLength}`,
        { path: "route" },
      );
    }
    const route: Route = { network: net, prefixLength, mask, gateway: gateway >>> 0, kind };
    // Insert after every route at least as long: keeps longest-first and insertion order.
    let i = 0;
    while (i < this.routes.length && this.routes[i]!.prefixLength >= prefixLength) i++;
    this.routes.splice(i, 0, route);
    return route;
  }

  remove(network: number, prefixLength: number): boolean {
    const mask = ipv4PrefixMask(prefixLength);
    const i = this.find((network & mask) >>> 0, prefixLength);
    if (i < 0) return false;
    this.routes.splice(i, 1);
    return true;
  }

  /** Index of the longest prefix containing `dst`, or NO_ROUTE. No allocation. */
  lookupIndex(dst: number): number {
    const r = this.routes;
    for (let i = 0; i < r.length; i++) {
      const route = r[i]!;
      if ((dst & route.mask) >>> 0 === route.network) return i;
    }
    return NO_ROUTE;
  }

  /** The route for `dst` (longest prefix), or undefined. */
  lookup(dst: number): Route | undefined {
    const i = this.lookupIndex(dst);
    return i === NO_ROUTE ? undefined : this.routes[i];
  }

  /** Next hop for `dst`: the gateway, or `dst` itself on-link; NO_ROUTE (-1) when unroutable. */
  nextHop(dst: number): number {
    const i = this.lookupIndex(dst);
    if (i === NO_ROUTE) return NO_ROUTE;
    const gw = this.routes[i]!.gateway;
    return gw === 0 ? dst >>> 0 : gw;
  }

  get size(): number {
    return this.routes.length;
  }

  /** The routes, longest prefix first (a copy). */
  list(): Route[] {
    return this.routes.slice();
  }

  /** The route to exactly `network`/`prefixLength` (host bits clear), or undefined. No allocation. */
  get(network: number, prefixLength: number): Route | undefined {
    const i = this.find(network, prefixLength);
    return i < 0 ? undefined : this.routes[i];
  }

  private find(network: number, prefixLength: number): number {
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i]!;
      if (r.network === network && r.prefixLength === prefixLength) return i;
    }
    return -1;
  }
}
