// CounterApp: the operations a workload's servers run, on one counter (a balance) kept on the
// host's stable storage: `echo` and `read` are idempotent, `increment` and `debit` are not, so
// an operation run twice shows in the counter.
//
// Contract:
// - Arguments: bytes 0-3 the result size wanted (8 to maxResultBytes), 4-7 the amount (an
//   unsigned 32-bit number), then filler; missing fields read as 8 and 1. Results: bytes 0-7
//   the value (signed 64-bit big-endian: the counter after the call, 0 for echo), then filler
//   (echo repeats the argument bytes after the header).
// - increment adds the amount, debit subtracts it; a debit that would take the counter below
//   zero is refused (APP_ERROR, nothing changes). Both give the new counter as a state change
//   (8 bytes) for the server to make durable; apply() makes it current. recover() takes the
//   last durable one (none: the initial value); reset() is a crash (the counter in memory is gone
//   until recover()).
// - Every operation takes execNs of modelled time (the server schedules it).
// - encodeCallArgs / readResultValue build and read the two ends' bytes.

import { readU32, writeU32 } from "../../wire/byte-view.js";
import { RpcUdpStatus } from "../../wire/rpc-udp.js";
import { RpcOp } from "./rpc-udp-types.js";
import type { Prepared, ServerApp } from "./server.js";

const TWO_32 = 0x1_0000_0000;
export const RESULT_HEADER = 8;
export const ARGS_HEADER = 8;

export function writeI64(b: Uint8Array, at: number, v: number): void {
  writeU32(b, at, Math.floor(v / TWO_32) >>> 0);
  writeU32(b, at + 4, v >>> 0);
}

export function readI64(b: Uint8Array, at: number): number {
  const hi = readU32(b, at) | 0;
  return hi * TWO_32 + readU32(b, at + 4);
}

/** Arguments asking for a `resultSize`-byte result, with `amount`, `size` bytes long (>= 8). */
export function encodeCallArgs(size: number, resultSize: number, amount: number, fill: number): Uint8Array {
  const b = new Uint8Array(Math.max(ARGS_HEADER, size));
  writeU32(b, 0, resultSize);
  writeU32(b, 4, amount);
  for (let k = ARGS_HEADER; k < b.length; k++) b[k] = (fill + k) & 0xff;
  return b;
}

/** The value of a result (its first 8 bytes), or undefined when too short. */
export function readResultValue(result: Uint8Array): number | undefined {
  return result.length >= RESULT_HEADER ? readI64(result, 0) : undefined;
}

export class CounterApp implements ServerApp {
  private counter: number;
  private readonly initial: number;
  private readonly execTime: number;
  private readonly maxResult: number;

  constructor(initialValue: number, execNs: number, maxResultBytes: number) {
    this.initial = initialValue;
    this.counter = initialValue;
    this.execTime = execNs;
    this.maxResult = maxResultBytes;
  }

  get value(): number {
    return this.counter;
  }

  execNs(op: number): number {
    return op >= RpcOp.ECHO && op <= RpcOp.DEBIT ? this.execTime : -1;
  }

  prepare(op: number, args: Uint8Array): Prepared {
    const want = args.length >= 4 ? readU32(args, 0) : RESULT_HEADER;
    const amount = args.length >= ARGS_HEADER ? readU32(args, 4) : 1;
    const size = Math.min(this.maxResult, Math.max(RESULT_HEADER, want));
    let value = 0;
    let state: Uint8Array | undefined;
    let status: number = RpcUdpStatus.OK;
    if (op === RpcOp.READ) value = this.counter;
    else if (op === RpcOp.INCREMENT || op === RpcOp.DEBIT) {
      value = op === RpcOp.INCREMENT ? this.counter + amount : this.counter - amount;
      if (value < 0) {
        status = RpcUdpStatus.APP_ERROR;
        value = this.counter;
      } else {
        state = new Uint8Array(8);
        writeI64(state, 0, value);
      }
    }
    const result = new Uint8Array(size);
    writeI64(result, 0, value);
    if (op === RpcOp.ECHO && args.length > ARGS_HEADER) {
      const n = args.length - ARGS_HEADER;
      for (let k = RESULT_HEADER; k < size; k++) result[k] = args[ARGS_HEADER + ((k - RESULT_HEADER) % n)]!;
    } else for (let k = RESULT_HEADER; k < size; k++) result[k] = (value + k) & 0xff;
    return { status, result, state };
  }

  apply(p: Prepared): void {
    if (p.state !== undefined) this.counter = readI64(p.state, 0);
  }

  recover(states: readonly Uint8Array[]): void {
    const last = states.at(-1);
    this.counter = last !== undefined && last.length === 8 ? readI64(last, 0) : this.initial;
  }

  reset(): void {
    this.counter = this.initial;
  }
}
