// The records an RPC server writes to its host's stable storage, and reading them back at a
// restart: the application's state changes, and (exactly-once) each call's id and result.
//
// Contract:
// - encodeStateRecord / encodeCallRecord make one record (a new array: the log keeps it);
//   readServerLog() walks a log's durable records in order and gives back those of one server
//   (by port), skipping records of others and any it cannot read (counted, never thrown).
// - A call record holds the call's whole identity (client id, incarnation, sequence), the
//   operation, the reply status and the result bytes, and the state change made with it, so
//   that the result and the effect become durable together or not at all.
//
//    0        7 8       15 16                      31
//   +----------+----------+--------------------------+
//   |  0x52    |   kind   |      server port         |  0   kind 1 STATE, 2 CALL
//   +----------+----------+--------------------------+
//   STATE: state length u32 | state bytes                  4
//   CALL:  client id u32 | client incarnation u32 | sequence u32 |     4
//          operation u16 | status u8 | 0 u8 | result length u32 |    16
//          state length u32 | result bytes | state bytes           24

import { readU16, readU32, writeU16, writeU32 } from "../../wire/byte-view.js";

const MAGIC = 0x52;
const KIND_STATE = 1;
const KIND_CALL = 2;
const STATE_HEADER = 8;
const CALL_HEADER = 28;

export interface LoggedCall {
  clientId: number;
  clientIncarnation: number;
  sequence: number;
  operation: number;
  status: number;
  result: Uint8Array;
}

export interface ServerLog {
  /** State changes in log order (from STATE and CALL records). */
  states: Uint8Array[];
  /** Calls in log order (CALL records). */
  calls: LoggedCall[];
  /** Records of this server's kind that could not be read. */
  unreadable: number;
}

export function encodeStateRecord(port: number, state: Uint8Array): Uint8Array {
  const rec = new Uint8Array(STATE_HEADER + state.length);
  rec[0] = MAGIC;
  rec[1] = KIND_STATE;
  writeU16(rec, 2, port);
  writeU32(rec, 4, state.length);
  rec.set(state, STATE_HEADER);
  return rec;
}

export function encodeCallRecord(port: number, call: LoggedCall, state: Uint8Array | undefined): Uint8Array {
  const stateLen = state?.length ?? 0;
  const rec = new Uint8Array(CALL_HEADER + call.result.length + stateLen);
  rec[0] = MAGIC;
  rec[1] = KIND_CALL;
  writeU16(rec, 2, port);
  writeU32(rec, 4, call.clientId);
  writeU32(rec, 8, call.clientIncarnation);
  writeU32(rec, 12, call.sequence);
  writeU16(rec, 16, call.operation);
  rec[18] = call.status;
  rec[19] = 0;
  writeU32(rec, 20, call.result.length);
  writeU32(rec, 24, stateLen);
  rec.set(call.result, CALL_HEADER);
  if (state !== undefined) rec.set(state, CALL_HEADER + call.result.length);
  return rec;
}

/** The records of the server on `port`, read from a log's durable records. */
export function readServerLog(records: readonly Uint8Array[], port: number): ServerLog {
  const out: ServerLog = { states: [], calls: [], unreadable: 0 };
  for (const rec of records) {
    if (rec.length < 4 || rec[0] !== MAGIC || readU16(rec, 2) !== port) continue;
    if (rec[1] === KIND_STATE && rec.length >= STATE_HEADER && rec.length === STATE_HEADER + readU32(rec, 4)) {
      out.states.push(rec.subarray(STATE_HEADER));
      continue;
    }
    if (rec[1] === KIND_CALL && rec.length >= CALL_HEADER) {
      const resultLen = readU32(rec, 20);
      const stateLen = readU32(rec, 24);
      if (rec.length === CALL_HEADER + resultLen + stateLen) {
        out.calls.push({
          clientId: readU32(rec, 4),
          clientIncarnation: readU32(rec, 8),
          sequence: readU32(rec, 12),
          operation: readU16(rec, 16),
          status: rec[18]!,
          result: rec.subarray(CALL_HEADER, CALL_HEADER + resultLen),
        });
        if (stateLen > 0) out.states.push(rec.subarray(CALL_HEADER + resultLen));
        continue;
      }
    }
    out.unreadable++;
  }
  return out;
}
