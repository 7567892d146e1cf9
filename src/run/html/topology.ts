// The topology drawing of the run report: every device of a scenario as a node, every link as
// an edge labelled with its rate and delay, laid out by dagre (@dagrejs/dagre, a layered
// Sugiyama layout with edge-label placement) when the report is written, drawn as inline SVG.
//
// Contract:
// - Nodes: IP hosts and hostStack hosts, Ethernet switches, routers, CSMA segments (a node each,
//   its stations joined to it), ATM switches and ATM hosts. Edges: point-to-point links
//   ("1 Gbps, 5 us"), segment stations, ATM links (a router interface "r.atm0" is drawn at r).
// - The graph is undirected; dagre ranks a directed one, so edges point away from the centre
//   (the device of least eccentricity, then most links, then declaration order) in
//   breadth-first order: the core sits on top, the edge below. The same scenario always gives
//   the same drawing.
// - Partitions (a partitioned run's members): each partition has its fill colour and a legend;
//   otherwise nodes are coloured by kind.
// - Marked up for tests: one <g class="node" data-device="name" data-kind=".."> per device, one
//   <g class="edge" data-link="name"> per edge.
// - Bounded: above MAX_DRAWN devices the drawing is left out (the text says so); above
//   MAX_LABELLED, edge labels are left out (their text stays in each edge's tooltip).

import { type Edge, graphlib, layout } from "@dagrejs/dagre";
import type { Scenario } from "../../scenario/scenario.js";
import { formatBitRate, formatDuration } from "../../base/units.js";
import { esc } from "./svg-chart.js";

export const MAX_DRAWN = 600;
const MAX_LABELLED = 120;

export type NodeKind = "host" | "switch" | "router" | "segment" | "atm-switch" | "atm-host";

export interface TopologyNode {
  name: string;
  kind: NodeKind;
}

export interface TopologyEdge {
  name: string;
  a: string;
  b: string;
  label: string;
}

export interface Topology {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

const KIND_FILL: Record<NodeKind, string> = {
  host: "#dbe9f6",
  switch: "#e4e4e4",
  router: "#fde3c8",
  segment: "#f3f0c0",
  "atm-switch": "#e6dcf2",
  "atm-host": "#d9f0e3",
};
const PARTITION_FILL = ["#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d"];

/** "155 Mbps" / "1 Gbps" from bit/s, 3 significant digits. */
function rateText(bps: number): string {
  return formatBitRate(Number(bps.toPrecision(3)));
}

/** The devices and links of a scenario (no layout). */
export function topologyOf(s: Scenario): Topology {
  const nodes: TopologyNode[] = [
    ...s.hosts.map((h) => ({ name: h.name, kind: "host" as const })),
    ...s.stackHosts.map((h) => ({ name: h.name, kind: "host" as const })),
    ...s.switches.map((x) => ({ name: x.name, kind: "switch" as const })),
    ...s.routers.map((r) => ({ name: r.name, kind: "router" as const })),
    ...s.segments.map((g) => ({ name: g.name, kind: "segment" as const })),
    ...(s.atm?.switches ?? []).map((x) => ({ name: x.name, kind: "atm-switch" as const })),
    ...(s.atm?.hosts ?? []).map((h) => ({ name: h.name, kind: "atm-host" as const })),
  ];
  const edges: TopologyEdge[] = s.links.map((l) => ({
    name: l.name,
    a: l.a.device,
    b: l.b.device,
    label: `${rateText(l.rateBps)}, ${formatDuration(l.delayNs)}`,
  }));
  for (const g of s.segments) {
    g.stations.forEach((st, i) =>
      edges.push({ name: `${g.name}:station${i}`, a: g.name, b: st.device, label: rateText(g.rateBps) }),
    );
  }
  const atmDevice = (d: string): string => d.split(".")[0]!;
  for (const l of s.atm?.links ?? []) {
    const rate = typeof l.rate === "number" ? rateText(l.rate) : l.rate;
    edges.push({
      name: l.name,
      a: atmDevice(l.a.device),
      b: atmDevice(l.b.device),
      label: `${rate}, ${formatDuration(l.delayNs)}`,
    });
  }
  return { nodes, edges };
}

/** Neighbours by node, in edge order. */
function adjacency(t: Topology): Map<string, string[]> {
  const adj = new Map(t.nodes.map((n) => [n.name, [] as string[]]));
  for (const e of t.edges) {
    adj.get(e.a)?.push(e.b);
    adj.get(e.b)?.push(e.a);
  }
  return adj;
}

function bfs(adj: Map<string, string[]>, root: string): Map<string, number> {
  const depth = new Map([[root, 0]]);
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i]!;
    for (const m of adj.get(n) ?? []) {
      if (!depth.has(m)) {
        depth.set(m, depth.get(n)! + 1);
        queue.push(m);
      }
    }
  }
  return depth;
}

/** Breadth-first depth of every node from its component's centre. */
function depths(t: Topology): Map<string, number> {
  const adj = adjacency(t);
  const out = new Map<string, number>();
  for (const n of t.nodes) {
    if (out.has(n.name)) continue;
    const component = [...bfs(adj, n.name).keys()];
    // The centre: least eccentricity, then most links, then declaration order (component order).
    let best = component[0]!;
    let bestEcc = Infinity;
    for (const c of component.length <= 400 ? component : component.slice(0, 1)) {
      const ecc = Math.max(...bfs(adj, c).values());
      if (ecc < bestEcc || (ecc === bestEcc && adj.get(c)!.length > adj.get(best)!.length)) {
        best = c;
        bestEcc = ecc;
      }
    }
    for (const [m, d] of bfs(adj, best)) out.set(m, d);
  }
  return out;
}

interface Laid {
  width: number;
  height: number;
  nodes: Map<string, { x: number; y: number; w: number; h: number }>;
  edges: { edge: TopologyEdge; points: { x: number; y: number }[]; label: { x: number; y: number } | undefined }[];
}

function nodeSize(n: TopologyNode): { w: number; h: number } {
  const w = Math.max(48, 12 + n.name.length * 7.2);
  return n.kind === "segment" ? { w: Math.max(w, 110), h: 22 } : { w, h: 30 };
}

function laidOut(t: Topology): Laid {
  const labelled = t.edges.length <= MAX_LABELLED;
  const g = new graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 18, ranksep: labelled ? 46 : 60, edgesep: 8, marginx: 12, marginy: 12 });
  for (const n of t.nodes) {
    const { w, h } = nodeSize(n);
    g.setNode(n.name, { width: w, height: h });
  }
  const depth = depths(t);
  const order = new Map(t.nodes.map((n, i) => [n.name, i]));
  t.edges.forEach((e, i) => {
    // Away from the centre; between equal depths, in declaration order.
    const da = depth.get(e.a) ?? 0;
    const db = depth.get(e.b) ?? 0;
    const forward = da < db || (da === db && (order.get(e.a) ?? 0) <= (order.get(e.b) ?? 0));
    const [v, w] = forward ? [e.a, e.b] : [e.b, e.a];
    const label = labelled ? { width: 8 + e.label.length * 6.2, height: 14, labelpos: "c" } : {};
    g.setEdge(v, w, { ...label, index: i }, `e${i}`);
  });
  layout(g);
  const graph = g.graph();
  const nodes = new Map<string, { x: number; y: number; w: number; h: number }>();
  for (const n of t.nodes) {
    const p = g.node(n.name);
    nodes.set(n.name, { x: p.x, y: p.y, w: p.width, h: p.height });
  }
  const edges = g.edges().map((ref: Edge) => {
    const e = g.edge(ref) as { index: number; points?: { x: number; y: number }[]; x?: number; y?: number };
    return {
      edge: t.edges[e.index]!,
      points: e.points ?? [],
      label: labelled && e.x !== undefined && e.y !== undefined ? { x: e.x, y: e.y } : undefined,
    };
  });
  edges.sort(
    (x: { edge: TopologyEdge }, y: { edge: TopologyEdge }) => t.edges.indexOf(x.edge) - t.edges.indexOf(y.edge),
  );
  return { width: graph.width ?? 100, height: graph.height ?? 100, nodes, edges };
}

function shape(kind: NodeKind, p: { x: number; y: number; w: number; h: number }, fill: string): string {
  const x = (p.x - p.w / 2).toFixed(1);
  const y = (p.y - p.h / 2).toFixed(1);
  const common = `fill="${fill}" stroke="#555" stroke-width="1.2"`;
  switch (kind) {
    case "router":
      return `<ellipse cx="${p.x.toFixed(1)}" cy="${p.y.toFixed(1)}" rx="${(p.w / 2).toFixed(1)}" ry="${(p.h / 2).toFixed(1)}" ${common}/>`;
    case "switch":
    case "atm-switch":
      return `<rect x="${x}" y="${y}" width="${p.w.toFixed(1)}" height="${p.h}" ${common}${kind === "atm-switch" ? ' stroke-dasharray="4 2"' : ""}/>`;
    case "segment":
      return `<rect x="${x}" y="${y}" width="${p.w.toFixed(1)}" height="${p.h}" rx="${p.h / 2}" ${common}/>`;
    default:
      return `<rect x="${x}" y="${y}" width="${p.w.toFixed(1)}" height="${p.h}" rx="7" ${common}/>`;
  }
}

/**
 * The drawing as an SVG element, or a sentence saying why there is none. `members` are a
 * partitioned run's partitions (device names), for colours.
 */
export function topologySvg(s: Scenario, members?: readonly (readonly string[])[]): string {
  const t = topologyOf(s);
  if (t.nodes.length === 0) return "<p>The scenario has no devices to draw.</p>";
  if (t.nodes.length > MAX_DRAWN)
    return `<p>The topology has ${t.nodes.length} devices; drawings stop at ${MAX_DRAWN}.</p>`;
  const partOf = new Map<string, number>();
  members?.forEach((m, p) => m.forEach((n) => partOf.set(n, p)));
  for (const g of s.segments) {
    const p = partOf.get(g.stations[0]?.device ?? "");
    if (p !== undefined) partOf.set(g.name, p);
  }
  const laid = laidOut(t);
  const legendH = members !== undefined && members.length > 1 ? 24 : 0;
  const W = Math.ceil(laid.width);
  const H = Math.ceil(laid.height) + legendH;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="topology" viewBox="0 0 ${W} ${H}" width="${Math.min(W, 1300)}" role="img" aria-label="topology of ${esc(s.name)}">`,
  ];
  for (const { edge, points, label } of laid.edges) {
    const d = points.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join("");
    const text =
      label === undefined
        ? ""
        : `<text x="${label.x.toFixed(1)}" y="${(label.y + 4).toFixed(1)}" text-anchor="middle" class="el">${esc(edge.label)}</text>`;
    parts.push(
      `<g class="edge" data-link="${esc(edge.name)}"><path d="${d}" fill="none" stroke="#888" stroke-width="1.4"/>${text}<title>${esc(`${edge.name}: ${edge.label}`)}</title></g>`,
    );
  }
  for (const n of t.nodes) {
    const p = laid.nodes.get(n.name)!;
    const part = partOf.get(n.name);
    const fill = part !== undefined && legendH > 0 ? PARTITION_FILL[part % PARTITION_FILL.length]! : KIND_FILL[n.kind];
    const tip = `${n.name} (${n.kind}${part !== undefined && legendH > 0 ? `, partition ${part}` : ""})`;
    parts.push(
      `<g class="node" data-device="${esc(n.name)}" data-kind="${n.kind}">${shape(n.kind, p, fill)}<text x="${p.x.toFixed(1)}" y="${(p.y + 4).toFixed(1)}" text-anchor="middle">${esc(n.name)}</text><title>${esc(tip)}</title></g>`,
    );
  }
  if (legendH > 0) {
    members!.forEach((_, i) => {
      const x = 12 + i * 110;
      parts.push(
        `<rect x="${x}" y="${H - 18}" width="14" height="14" fill="${PARTITION_FILL[i % PARTITION_FILL.length]}" stroke="#555"/><text x="${x + 20}" y="${H - 7}">partition ${i}</text>`,
      );
    });
  }
  parts.push("</svg>");
  return parts.join("");
}
