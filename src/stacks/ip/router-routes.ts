// RouterRoutes: a router's routing table (longest prefix first, routing-table.ts) with what
// the router knows of each route: its outgoing interface, where it came from (connected,
// static, learned by distance vector) and, for learned ones, the metric and when it was last
// heard. One Map lookup finds a route's interface on the forwarding path.

import { ipv4ToString } from "../../wire/ipv4.js";
import { RouteKind, RoutingTable, type Route } from "./routing-table.js";

export type RouteOrigin = "connected" | "static" | "dv";

/** Where a route leads: interface index, and for learned routes the metric and last update. */
export interface RouteInfo {
  iface: number;
  kind: RouteOrigin;
  metric: number;
  heardAt: number;
}

export class RouterRoutes {
  readonly table = new RoutingTable();
  private readonly info = new Map<Route, RouteInfo>();

  /** Adds a route; throws (NetloomError) when its prefix has one already. */
  add(network: number, prefixLength: number, gateway: number, info: RouteInfo): Route {
    const kind =
      info.kind === "connected" ? RouteKind.CONNECTED : prefixLength === 0 ? RouteKind.DEFAULT : RouteKind.STATIC;
    const route = this.table.add(network, prefixLength, gateway, kind);
    this.info.set(route, info);
    return route;
  }

  remove(route: Route): void {
    this.table.remove(route.network, route.prefixLength);
    this.info.delete(route);
  }

  /** The longest prefix holding `dst`, or undefined. */
  lookup(dst: number): Route | undefined {
    return this.table.lookup(dst);
  }

  infoOf(route: Route): RouteInfo {
    return this.info.get(route)!;
  }

  find(network: number, prefixLength: number): Route | undefined {
    return this.table.get(network, prefixLength);
  }

  /** The routes, longest prefix first (a copy). */
  list(): Route[] {
    return this.table.list();
  }

  /** "10.0.2.0/24 via 192.168.12.2 dev to-r2 (rip 2)", longest prefix first. */
  lines(ifaceNames: readonly string[]): string[] {
    return this.table.list().map((r) => {
      const i = this.info.get(r)!;
      const dev = ifaceNames[i.iface]!;
      const via = r.gateway === 0 ? "" : ` via ${ipv4ToString(r.gateway)}`;
      const how = i.kind === "dv" ? ` (rip ${i.metric})` : i.kind === "connected" ? " (connected)" : "";
      return `${ipv4ToString(r.network)}/${r.prefixLength}${via} dev ${dev}${how}`;
    });
  }
}
