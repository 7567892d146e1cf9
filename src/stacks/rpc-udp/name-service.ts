// Binding (Birman ch. 4.4): a name service, itself an RPC server over the same protocol, maps a
// service name to the servers that registered it; servers answer a lookup of their own service
// too, which is how a client binds without a name service.
//
// Contract:
// - REGISTER (service, address, port, rank, incarnation) adds or updates the entry of that
//   address and port; the registry is written to stable storage before the reply (a state
//   change), so a restarted name service still knows every registration made durable.
//   A full registry (maxEntries) answers APP_ERROR.
// - LOOKUP (service) answers the entries of that service, lowest rank first (then address, then
//   port): the primary first, its backups after it. An unknown service answers no entries.
// - SelfLookup wraps a server's app so that LOOKUP of its service answers its own entry with
//   its current incarnation.
// - The codecs never throw on bytes from the wire: decodeLookupResult gives undefined for
//   malformed bytes.
//
//   REGISTER args: name length u8 | name (ASCII) | address u32 | port u16 | rank u16 | incarnation u32
//   LOOKUP args:   name length u8 | name
//   LOOKUP result: count u16 | count x { address u32 | port u16 | rank u16 | incarnation u32 }

import { readU16, readU32, writeU16, writeU32 } from "../../wire/byte-view.js";
import { RpcUdpStatus } from "../../wire/rpc-udp.js";
import { RpcOp } from "./rpc-udp-types.js";
import type { Prepared, ServerApp } from "./server.js";

export interface Binding {
  address: number;
  port: number;
  rank: number;
  incarnation: number;
}

const ENTRY_LEN = 12;
const EMPTY = new Uint8Array(0);

function encodeName(name: string, extra: number): { b: Uint8Array; at: number } {
  const n = Math.min(255, name.length);
  const b = new Uint8Array(1 + n + extra);
  b[0] = n;
  for (let i = 0; i < n; i++) b[1 + i] = name.charCodeAt(i) & 0x7f;
  return { b, at: 1 + n };
}

function decodeName(b: Uint8Array): { name: string; at: number } | undefined {
  if (b.length < 1 || b.length < 1 + b[0]!) return undefined;
  return { name: String.fromCharCode(...b.subarray(1, 1 + b[0]!)), at: 1 + b[0]! };
}

export function encodeLookup(service: string): Uint8Array {
  return encodeName(service, 0).b;
}

export function encodeRegister(service: string, entry: Binding): Uint8Array {
  const { b, at } = encodeName(service, ENTRY_LEN);
  writeEntry(b, at, entry);
  return b;
}

function writeEntry(b: Uint8Array, at: number, e: Binding): void {
  writeU32(b, at, e.address);
  writeU16(b, at + 4, e.port);
  writeU16(b, at + 6, e.rank);
  writeU32(b, at + 8, e.incarnation);
}

function readEntry(b: Uint8Array, at: number): Binding {
  return {
    address: readU32(b, at),
    port: readU16(b, at + 4),
    rank: readU16(b, at + 6),
    incarnation: readU32(b, at + 8),
  };
}

export function encodeLookupResult(entries: readonly Binding[]): Uint8Array {
  const b = new Uint8Array(2 + entries.length * ENTRY_LEN);
  writeU16(b, 0, entries.length);
  entries.forEach((e, i) => writeEntry(b, 2 + i * ENTRY_LEN, e));
  return b;
}

export function decodeLookupResult(b: Uint8Array): Binding[] | undefined {
  if (b.length < 2) return undefined;
  const n = readU16(b, 0);
  if (b.length !== 2 + n * ENTRY_LEN) return undefined;
  const out: Binding[] = [];
  for (let i = 0; i < n; i++) out.push(readEntry(b, 2 + i * ENTRY_LEN));
  return out;
}

function byRank(a: Binding, b: Binding): number {
  return a.rank - b.rank || a.address - b.address || a.port - b.port;
}

export class NameServiceApp implements ServerApp {
  private readonly registry = new Map<string, Binding[]>();
  private entries = 0;
  registrations = 0;
  lookups = 0;
  refused = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly execTime: number,
  ) {}

  execNs(op: number): number {
    return op === RpcOp.LOOKUP || op === RpcOp.REGISTER ? this.execTime : -1;
  }

  prepare(op: number, args: Uint8Array): Prepared {
    const named = decodeName(args);
    if (named === undefined) return { status: RpcUdpStatus.APP_ERROR, result: EMPTY, state: undefined };
    if (op === RpcOp.LOOKUP) {
      this.lookups++;
      return {
        status: RpcUdpStatus.OK,
        result: encodeLookupResult(this.registry.get(named.name) ?? []),
        state: undefined,
      };
    }
    if (args.length !== named.at + ENTRY_LEN)
      return { status: RpcUdpStatus.APP_ERROR, result: EMPTY, state: undefined };
    const e = readEntry(args, named.at);
    const known = this.registry.get(named.name)?.some((x) => x.address === e.address && x.port === e.port) ?? false;
    if (!known && this.entries >= this.maxEntries) {
      this.refused++;
      return { status: RpcUdpStatus.APP_ERROR, result: EMPTY, state: undefined };
    }
    return { status: RpcUdpStatus.OK, result: EMPTY, state: args.slice() };
  }

  apply(p: Prepared): void {
    if (p.state === undefined) return;
    this.registrations++;
    this.add(p.state);
  }

  recover(states: readonly Uint8Array[]): void {
    this.reset();
    for (const s of states) this.add(s);
  }

  reset(): void {
    this.registry.clear();
    this.entries = 0;
  }

  /** The registry as plain data (service -> entries, rank order). */
  snapshot(): Record<string, Binding[]> {
    const out: Record<string, Binding[]> = {};
    for (const k of [...this.registry.keys()].sort()) out[k] = this.registry.get(k)!.map((e) => ({ ...e }));
    return out;
  }

  private add(state: Uint8Array): void {
    const named = decodeName(state);
    if (named === undefined || state.length !== named.at + ENTRY_LEN) return;
    const e = readEntry(state, named.at);
    let list = this.registry.get(named.name);
    if (list === undefined) this.registry.set(named.name, (list = []));
    const i = list.findIndex((x) => x.address === e.address && x.port === e.port);
    if (i >= 0) list[i] = e;
    else if (this.entries < this.maxEntries) {
      list.push(e);
      this.entries++;
    }
    list.sort(byRank);
  }
}

/** A server's app that also answers LOOKUP of its own service with its own entry. */
export class SelfLookup implements ServerApp {
  constructor(
    private readonly app: ServerApp,
    private readonly service: string,
    private readonly self: () => Binding,
  ) {}

  execNs(op: number): number {
    return op === RpcOp.LOOKUP ? 0 : this.app.execNs(op);
  }

  prepare(op: number, args: Uint8Array): Prepared {
    if (op !== RpcOp.LOOKUP) return this.app.prepare(op, args);
    const named = decodeName(args);
    const entries = named !== undefined && named.name === this.service ? [this.self()] : [];
    return { status: RpcUdpStatus.OK, result: encodeLookupResult(entries), state: undefined };
  }

  apply(p: Prepared): void {
    this.app.apply(p);
  }

  recover(states: readonly Uint8Array[]): void {
    this.app.recover(states);
  }

  reset(): void {
    this.app.reset();
  }
}
