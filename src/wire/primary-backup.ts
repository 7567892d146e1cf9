// Primary-backup messages: the 28-byte datagram a replicated service's clients and servers
// exchange over UDP (requests, replies, take-over requests, forwarded updates, acks, heartbeats).
//
// Contract:
// - PbView is a thin, reusable view over the UDP payload (wrap() re-points it, no allocation);
//   checkLength() is the checked entry for untrusted bytes and returns a PbParseError (OK = 0).
//   parsePbInto() checks and fills a caller-owned repr; it never throws. emitPb() writes every
//   byte of the header (reserved ones as 0) and never re-checks.
// - A message is exactly PB_LEN bytes: a longer or shorter UDP payload is refused. Integers are
//   big-endian (wire order). The UDP checksum covers it; this format adds none of its own.
// - Node indices: servers are 0..n-1 in the order the service lists them; PB_NONE (0xffff)
//   means "no server" (a client as sender, no known primary as hint).
// - Not handled: request or reply bodies (the service's state is a log of 32-bit values).
//
//    0        7 8       15 16   19 20   23 24      31
//   +----------+----------+-------+-------+----------+
//   |   0x50   |   0x42   |  ver  | type  |  status  |  0   "PB", ver = 1
//   +----------+----------+-------+-------+----------+
//   |                    epoch                       |  4   the primary's term the sender follows
//   +---------------------+--------------------------+
//   |       sender        |          hint            |  8   server index or PB_NONE | primary known
//   +---------------------+--------------------------+
//   |       client        |      reserved (0)        | 12   client id of the request / update
//   +---------------------+--------------------------+
//   |                     seq                        | 16   the client's request number
//   +------------------------------------------------+
//   |                    index                       | 20   log index (update, ack, heartbeat, reply)
//   +------------------------------------------------+
//   |                    value                       | 24   request argument; state digest
//   +------------------------------------------------+
//
//   types: 1 REQUEST (client -> primary), 2 REPLY (server -> client; status OK or NOT_PRIMARY with
//   the primary in hint), 3 TAKEOVER (client -> a backup: become primary), 4 UPDATE (primary ->
//   backup: apply log entry `index`), 5 ACK (backup -> primary: every entry up to `index` is
//   applied), 6 HEARTBEAT (primary -> every other server: committed `index`, its digest in value).
//   status is 0 on every type but REPLY.

import { ByteView, readU16, readU32, writeU16, writeU32 } from "./byte-view.js";

export const PB_LEN = 28;
export const PB_VERSION = 1;
export const PB_MAGIC = 0x5042;
/** "No server": the sender is a client, or no primary is known. */
export const PB_NONE = 0xffff;

export const PbType = { REQUEST: 1, REPLY: 2, TAKEOVER: 3, UPDATE: 4, ACK: 5, HEARTBEAT: 6 } as const;
export type PbType = (typeof PbType)[keyof typeof PbType];

export const PbStatus = { OK: 0, NOT_PRIMARY: 1 } as const;
export type PbStatus = (typeof PbStatus)[keyof typeof PbStatus];

/** Why a message was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const PbParseError = {
  OK: 0,
  /** Fewer bytes than a message. */
  TRUNCATED: 1,
  /** More bytes than a message. */
  BAD_LENGTH: 2,
  BAD_MAGIC: 3,
  BAD_VERSION: 4,
  BAD_TYPE: 5,
  /** A status other than 0 on a type without one, or an unknown REPLY status. */
  BAD_STATUS: 6,
  /** Reserved bytes not 0. */
  BAD_RESERVED: 7,
} as const;
export type PbParseError = (typeof PbParseError)[keyof typeof PbParseError];

export const PB_PARSE_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(PbParseError)) PB_PARSE_ERROR_NAMES[value] = name;

export class PbView extends ByteView {
  override wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** Structural check of untrusted bytes (the whole UDP payload is the view). */
  checkLength(): PbParseError {
    if (this.length < PB_LEN) return PbParseError.TRUNCATED;
    if (this.length > PB_LEN) return PbParseError.BAD_LENGTH;
    if (readU16(this.bytes, this.offset) !== PB_MAGIC) return PbParseError.BAD_MAGIC;
    if (this.version !== PB_VERSION) return PbParseError.BAD_VERSION;
    const type = this.type;
    if (type < PbType.REQUEST || type > PbType.HEARTBEAT) return PbParseError.BAD_TYPE;
    const status = this.status;
    if (type === PbType.REPLY ? status > PbStatus.NOT_PRIMARY : status !== 0) return PbParseError.BAD_STATUS;
    if (readU16(this.bytes, this.offset + 14) !== 0) return PbParseError.BAD_RESERVED;
    return PbParseError.OK;
  }

  get version(): number {
    return this.bytes[this.offset + 2]! >>> 4;
  }
  get type(): number {
    return this.bytes[this.offset + 2]! & 0x0f;
  }
  get status(): number {
    return this.bytes[this.offset + 3]!;
  }
  get epoch(): number {
    return readU32(this.bytes, this.offset + 4);
  }
  get sender(): number {
    return readU16(this.bytes, this.offset + 8);
  }
  get hint(): number {
    return readU16(this.bytes, this.offset + 10);
  }
  get client(): number {
    return readU16(this.bytes, this.offset + 12);
  }
  get seq(): number {
    return readU32(this.bytes, this.offset + 16);
  }
  get index(): number {
    return readU32(this.bytes, this.offset + 20);
  }
  get value(): number {
    return readU32(this.bytes, this.offset + 24);
  }
}

export interface PbRepr {
  type: PbType;
  status: PbStatus;
  epoch: number;
  sender: number;
  hint: number;
  client: number;
  seq: number;
  index: number;
  value: number;
}

export function createPbRepr(): PbRepr {
  return {
    type: PbType.REQUEST,
    status: PbStatus.OK,
    epoch: 0,
    sender: PB_NONE,
    hint: PB_NONE,
    client: 0,
    seq: 0,
    index: 0,
    value: 0,
  };
}

/** Checks untrusted bytes and fills `repr` in place, no allocation; never throws. */
export function parsePbInto(view: PbView, repr: PbRepr): PbParseError {
  const status = view.checkLength();
  if (status !== PbParseError.OK) return status;
  repr.type = view.type as PbType;
  repr.status = view.status as PbStatus;
  repr.epoch = view.epoch;
  repr.sender = view.sender;
  repr.hint = view.hint;
  repr.client = view.client;
  repr.seq = view.seq;
  repr.index = view.index;
  repr.value = view.value;
  return PbParseError.OK;
}

/** parsePbInto into a new repr: the repr, or the error code (a number). */
export function parsePb(view: PbView): PbRepr | PbParseError {
  const repr = createPbRepr();
  const status = parsePbInto(view, repr);
  return status === PbParseError.OK ? repr : status;
}

/** Writes the PB_LEN bytes of `repr` at bytes[at...]. */
export function emitPb(repr: PbRepr, bytes: Uint8Array, at: number): void {
  writeU16(bytes, at, PB_MAGIC);
  bytes[at + 2] = (PB_VERSION << 4) | (repr.type & 0x0f);
  bytes[at + 3] = repr.status;
  writeU32(bytes, at + 4, repr.epoch);
  writeU16(bytes, at + 8, repr.sender);
  writeU16(bytes, at + 10, repr.hint);
  writeU16(bytes, at + 12, repr.client);
  writeU16(bytes, at + 14, 0);
  writeU32(bytes, at + 16, repr.seq);
  writeU32(bytes, at + 20, repr.index);
  writeU32(bytes, at + 24, repr.value);
}
