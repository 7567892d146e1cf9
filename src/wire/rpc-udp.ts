// RPC over UDP (Birman ch. 4.6, Figs 4-4 and 4-5): the 36-byte header that follows the UDP
// header of every request, reply, ack and NAK.
//
// Contract:
// - RpcUdpView is a thin, reusable view over the UDP payload (wrap() re-points it, no
//   allocation); checkLength() is the checked entry for untrusted bytes and returns an
//   RpcUdpParseError (OK = 0). parseRpcUdpInto() fills a caller-owned repr; emitRpcUdp() writes
//   the header in front of data the caller has put at offset + 36. Neither throws.
// - A call is named by (client id, client incarnation, sequence): the client id stays the same
//   across the client's crashes, the incarnation grows at each restart, sequence numbers start
//   again at 1 in each incarnation. The server incarnation in a request is the one the client
//   bound to; in a reply, ack or NAK from the server it is the server's own.
// - A message (arguments or result) of `message length` bytes travels as `fragment count`
//   fragments (1 to RPC_UDP_MAX_FRAGMENTS); fragment `index` carries bytes [offset, offset +
//   data length) of it. ACK and NAK name the message they refer to by the same call fields and
//   its fragment count; a NAK's data is a bitmap of the missing fragments (bit i = byte i >> 3,
//   mask 0x80 >> (i & 7)), ceil(count / 8) bytes, at least one bit set, none past the count.
// - Integers are big-endian. The UDP checksum covers everything; no checksum of our own.
//   The layout is on RpcUdpView.

import { ByteView, readU16, readU32, writeU16, writeU32 } from "./byte-view.js";

export const RPC_UDP_HEADER_LEN = 36;
export const RPC_UDP_VERSION = 1;
/** Most fragments per message: a NAK bitmap of 1 KiB fits any IP MTU of 1,100 bytes or more. */
export const RPC_UDP_MAX_FRAGMENTS = 8192;

export const RpcUdpType = { REQUEST: 1, REPLY: 2, ACK: 3, NAK: 4 } as const;
export type RpcUdpType = (typeof RpcUdpType)[keyof typeof RpcUdpType];

export const RPC_UDP_FLAG_RETX = 0x01;
const KNOWN_FLAGS = RPC_UDP_FLAG_RETX;

export const RpcUdpStatus = {
  OK: 0,
  APP_ERROR: 1,
  NO_SUCH_OPERATION: 2,
  BUSY: 3,
  RESTARTED: 4,
  LOG_FULL: 5,
  TOO_LARGE: 6,
} as const;
export type RpcUdpStatus = (typeof RpcUdpStatus)[keyof typeof RpcUdpStatus];
const LAST_STATUS = RpcUdpStatus.TOO_LARGE;

export const RPC_UDP_STATUS_NAMES: readonly string[] = Object.keys(RpcUdpStatus);

/** Why a packet was refused (0 = accepted). Stable numbers: callers index drop counters by them. */
export const RpcUdpParseError = {
  OK: 0,
  /** Fewer bytes than the header. */
  TRUNCATED: 1,
  BAD_VERSION: 2,
  BAD_TYPE: 3,
  /** Unknown flag bits, or RETX on an ACK or NAK. */
  BAD_FLAGS: 4,
  /** An unknown status, or a status other than 0 outside a REPLY. */
  BAD_STATUS: 5,
  /** A fragment count of 0 or over the limit, an index at or past it, a reserved field not 0. */
  BAD_FRAGMENT: 6,
  /** Data that does not fit the message (or an empty fragment before the last), an ACK with data,
   *  a NAK bitmap of the wrong size, empty, or naming fragments past the count. */
  BAD_LENGTH: 7,
} as const;
export type RpcUdpParseError = (typeof RpcUdpParseError)[keyof typeof RpcUdpParseError];

export const RPC_UDP_PARSE_ERROR_NAMES: string[] = [];
for (const [name, value] of Object.entries(RpcUdpParseError)) RPC_UDP_PARSE_ERROR_NAMES[value] = name;

/** Bytes of a NAK bitmap for a message of `count` fragments. */
export function nakBitmapLength(count: number): number {
  return (count + 7) >>> 3;
}

/**
 *    0        7 8       15 16      23 24      31
 *   +----------+----------+---------+----------+
 *   | version  |   type   |  flags  |  status  |  0   version 1
 *   +----------+----------+---------+----------+
 *   |     operation       |  fragment count    |  4
 *   +---------------------+--------------------+
 *   |   fragment index    |   reserved (0)     |  8
 *   +---------------------+--------------------+
 *   |                client id                 | 12
 *   |            client incarnation            | 16
 *   |            server incarnation            | 20
 *   |             call sequence                | 24
 *   |             message length               | 28
 *   |             fragment offset              | 32
 *   +------------------------------------------+
 *   |  data: REQUEST/REPLY fragment bytes,     | 36
 *   |        NAK bitmap; none in an ACK        |
 *
 *   field               bytes  meaning
 *   version             1      1
 *   type                1      1 REQUEST, 2 REPLY, 3 ACK, 4 NAK
 *   flags               1      0x01 RETX: a retransmission (REQUEST, REPLY only)
 *   status              1      REPLY: 0 OK, 1 APP_ERROR, 2 NO_SUCH_OPERATION, 3 BUSY,
 *                              4 RESTARTED, 5 LOG_FULL, 6 TOO_LARGE; 0 elsewhere
 *   operation           2      what the call runs (the name service's: 0xff01, 0xff02)
 *   fragment count      2      fragments of the message, 1 to 8192
 *   fragment index      2      this fragment; 0 in an ACK or NAK
 *   reserved            2      0
 *   client id           4      the client, the same in every incarnation
 *   client incarnation  4      grows at each restart of the client
 *   server incarnation  4      request: the one the client bound to; else the server's own
 *   call sequence       4      from 1 in each client incarnation
 *   message length      4      bytes of the whole arguments or result
 *   fragment offset     4      where this fragment's data goes; 0 in an ACK or NAK
 */
export class RpcUdpView extends ByteView {
  // Its own wrap(): per-packet views keep monomorphic type feedback (see UdpView).
  override wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }

  /** Structural check of untrusted bytes (the view is the whole UDP payload). */
  checkLength(): RpcUdpParseError {
    if (this.length < RPC_UDP_HEADER_LEN) return RpcUdpParseError.TRUNCATED;
    if (this.version !== RPC_UDP_VERSION) return RpcUdpParseError.BAD_VERSION;
    const type = this.type;
    if (type < RpcUdpType.REQUEST || type > RpcUdpType.NAK) return RpcUdpParseError.BAD_TYPE;
    const flags = this.flags;
    if ((flags & ~KNOWN_FLAGS) !== 0 || (flags !== 0 && type >= RpcUdpType.ACK)) return RpcUdpParseError.BAD_FLAGS;
    const status = this.status;
    if (status > LAST_STATUS || (status !== 0 && type !== RpcUdpType.REPLY)) return RpcUdpParseError.BAD_STATUS;
    const count = this.fragmentCount;
    const index = this.fragmentIndex;
    if (count === 0 || count > RPC_UDP_MAX_FRAGMENTS || index >= count || this.reserved !== 0)
      return RpcUdpParseError.BAD_FRAGMENT;
    const data = this.length - RPC_UDP_HEADER_LEN;
    if (type === RpcUdpType.ACK) {
      return data === 0 && index === 0 && this.fragmentOffset === 0 ? RpcUdpParseError.OK : RpcUdpParseError.BAD_LENGTH;
    }
    if (type === RpcUdpType.NAK) return this.checkBitmap(count, data);
    const offset = this.fragmentOffset;
    const total = this.messageLength;
    if (offset > total || data > total - offset) return RpcUdpParseError.BAD_LENGTH;
    // Every fragment but the last carries data; the last one ends the message.
    if (index < count - 1 ? data === 0 : offset + data !== total) return RpcUdpParseError.BAD_LENGTH;
    return RpcUdpParseError.OK;
  }

  private checkBitmap(count: number, data: number): RpcUdpParseError {
    if (this.fragmentIndex !== 0 || this.fragmentOffset !== 0 || data !== nakBitmapLength(count))
      return RpcUdpParseError.BAD_LENGTH;
    const at = this.offset + RPC_UDP_HEADER_LEN;
    let any = 0;
    for (let i = 0; i < data; i++) any |= this.bytes[at + i]!;
    const spare = data * 8 - count;
    const tail = spare === 0 ? 0 : this.bytes[at + data - 1]! & ((1 << spare) - 1);
    return any === 0 || tail !== 0 ? RpcUdpParseError.BAD_LENGTH : RpcUdpParseError.OK;
  }

  get version(): number {
    return this.bytes[this.offset]!;
  }
  get type(): number {
    return this.bytes[this.offset + 1]!;
  }
  get flags(): number {
    return this.bytes[this.offset + 2]!;
  }
  get status(): number {
    return this.bytes[this.offset + 3]!;
  }
  get operation(): number {
    return readU16(this.bytes, this.offset + 4);
  }
  get fragmentCount(): number {
    return readU16(this.bytes, this.offset + 6);
  }
  get fragmentIndex(): number {
    return readU16(this.bytes, this.offset + 8);
  }
  get reserved(): number {
    return readU16(this.bytes, this.offset + 10);
  }
  get clientId(): number {
    return readU32(this.bytes, this.offset + 12);
  }
  get clientIncarnation(): number {
    return readU32(this.bytes, this.offset + 16);
  }
  get serverIncarnation(): number {
    return readU32(this.bytes, this.offset + 20);
  }
  get sequence(): number {
    return readU32(this.bytes, this.offset + 24);
  }
  get messageLength(): number {
    return readU32(this.bytes, this.offset + 28);
  }
  get fragmentOffset(): number {
    return readU32(this.bytes, this.offset + 32);
  }
  /** Absolute index of the first data byte. */
  get dataOffset(): number {
    return this.offset + RPC_UDP_HEADER_LEN;
  }
  get dataLength(): number {
    return this.length - RPC_UDP_HEADER_LEN;
  }
  /** NAK: true when the bitmap marks fragment `i` missing. */
  missing(i: number): boolean {
    return (this.bytes[this.offset + RPC_UDP_HEADER_LEN + (i >>> 3)]! & (0x80 >>> (i & 7))) !== 0;
  }
}

export interface RpcUdpRepr {
  type: RpcUdpType;
  flags: number;
  status: RpcUdpStatus;
  operation: number;
  fragmentCount: number;
  fragmentIndex: number;
  clientId: number;
  clientIncarnation: number;
  serverIncarnation: number;
  sequence: number;
  messageLength: number;
  fragmentOffset: number;
  /** Bytes after the header (fragment data, NAK bitmap). */
  dataLength: number;
}

export function createRpcUdpRepr(): RpcUdpRepr {
  return {
    type: RpcUdpType.REQUEST,
    flags: 0,
    status: RpcUdpStatus.OK,
    operation: 0,
    fragmentCount: 1,
    fragmentIndex: 0,
    clientId: 0,
    clientIncarnation: 0,
    serverIncarnation: 0,
    sequence: 0,
    messageLength: 0,
    fragmentOffset: 0,
    dataLength: 0,
  };
}

/** Checks untrusted bytes and fills `repr` in place (no allocation); never throws. */
export function parseRpcUdpInto(view: RpcUdpView, repr: RpcUdpRepr): RpcUdpParseError {
  const status = view.checkLength();
  if (status !== RpcUdpParseError.OK) return status;
  repr.type = view.type as RpcUdpType;
  repr.flags = view.flags;
  repr.status = view.status as RpcUdpStatus;
  repr.operation = view.operation;
  repr.fragmentCount = view.fragmentCount;
  repr.fragmentIndex = view.fragmentIndex;
  repr.clientId = view.clientId;
  repr.clientIncarnation = view.clientIncarnation;
  repr.serverIncarnation = view.serverIncarnation;
  repr.sequence = view.sequence;
  repr.messageLength = view.messageLength;
  repr.fragmentOffset = view.fragmentOffset;
  repr.dataLength = view.dataLength;
  return RpcUdpParseError.OK;
}

/** Writes the header of `repr` at bytes[offset, offset + 36); the data is the caller's. */
export function emitRpcUdp(repr: RpcUdpRepr, bytes: Uint8Array, offset: number): void {
  bytes[offset] = RPC_UDP_VERSION;
  bytes[offset + 1] = repr.type;
  bytes[offset + 2] = repr.flags;
  bytes[offset + 3] = repr.status;
  writeU16(bytes, offset + 4, repr.operation);
  writeU16(bytes, offset + 6, repr.fragmentCount);
  writeU16(bytes, offset + 8, repr.fragmentIndex);
  writeU16(bytes, offset + 10, 0);
  writeU32(bytes, offset + 12, repr.clientId);
  writeU32(bytes, offset + 16, repr.clientIncarnation);
  writeU32(bytes, offset + 20, repr.serverIncarnation);
  writeU32(bytes, offset + 24, repr.sequence);
  writeU32(bytes, offset + 28, repr.messageLength);
  writeU32(bytes, offset + 32, repr.fragmentOffset);
}
