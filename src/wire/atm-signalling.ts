// ATM signalling messages: a compact, Q.2931-inspired message set carried as the payload of one
// AAL5 CPCS-PDU on the signalling channel (VPI 0, VCI 5, as UNI signalling uses), between a host
// and its switch and between switches (src/devices/atm-signalling.ts runs the protocol).
//
// Contract:
// - AtmSignalView is a thin view over (bytes, offset, length); checkLength() is the checked
//   entry for untrusted bytes, accessors do not re-check. AtmSignalRepr is the parsed message,
//   one flat value type (fields a type does not carry are 0 / empty).
// - parseAtmSignal() never throws (receive path): it returns the repr or a SigParseError number
//   the receiver counts. emitAtmSignal() throws NetloomError on misuse and never re-checks what
//   parse checked. emit(parse(emit(r))) gives the same bytes, and parse accepts only what
//   emit can write (a VPI of at most 12 bits), so emit(parse(bytes)) never throws.
// - Header (9 bytes, laid out as the Q.2931 section 4 header; bodies: see SigType):
//
//      0        1        2        3        4        5        6        7        8
//   +--------+--------+--------+--------+--------+--------+--------+--------+--------+
//   | PD 0x09| CRL  3 |F|   call reference (23)   |  type  | compat |  body length    |
//   +--------+--------+--------+--------+--------+--------+--------+--------+--------+
//   F: 0 = sent by the side that allocated the call reference, 1 = sent to it; call reference
//   0 is the global one (keep-alive). compat is emitted 0x80 and ignored on receive. Body
//   length (big-endian) must equal the bytes that follow.
// - Not handled: real Q.2931 information elements (this is a fixed layout per type), SSCOP,
//   point-to-multipoint, traffic descriptors, party numbers (the route replaces them).

import { ErrorCode, NetloomError, checkInteger } from "../base/errors.js";
import { standardCauseName } from "./atm-signalling-causes.js";
import { ByteView, readU16, readU32, writeU16, writeU32 } from "./byte-view.js";

/** The signalling channel (ITU-T Q.2931 meta-signalling default: VPI 0, VCI 5). */
export const SIG_VPI = 0;
export const SIG_VCI = 5;

export const SIG_PROTOCOL_DISCRIMINATOR = 0x09;
export const SIG_CALL_REF_LEN = 3;
export const SIG_HEADER_LEN = 9;
export const SIG_COMPAT = 0x80;
/** Most route entries a SETUP carries. */
export const SIG_MAX_ROUTE = 32;
/** Largest port number a route entry may name (switches have at most 4096 ports). */
export const SIG_MAX_PORT = 4095;
export const SIG_MAX_CALL_REF = 0x7fffff;
/** Largest VPI a message may name (12 bits, the NNI's; emit refuses more, so parse does too). */
const SIG_MAX_VPI = 0xfff;
/** Longest message: a SETUP with SIG_MAX_ROUTE entries. */
export const SIG_MAX_LEN = SIG_HEADER_LEN + 10 + 2 * SIG_MAX_ROUTE;

/**
 * Message types (Q.2931 table 4-2 codes) and their bodies (big-endian):
 *
 *   SETUP            0x05 | VPI (2) | VCI (2) | tag (4) | hops (1) | n (1) | port (2) x n |
 *                        VPI/VCI: the VC the SENDER will receive this call's cells on over
 *                        this link; 0/0 (from a calling host) = "assign one, used both ways".
 *                        tag: end-to-end call tag, delivered unchanged to the called host.
 *                        hops: switches passed so far (0 from the calling host). The route:
 *                        the output ports still to take, one per switch (1..32 entries
 *                        from a host; what is left, possibly none, further on).
 *   CALL PROCEEDING  0x02 | VPI (2) | VCI (2) |   the VC the sender receives the call on
 *   CONNECT          0x07 | VPI (2) | VCI (2) |   (same meaning; the called end accepted)
 *   RELEASE          0x4D | cause (1) |
 *   RELEASE COMPLETE 0x5A | cause (1) |
 *   STATUS ENQUIRY   0x75 | seq (2) |          keep-alive poll (call reference 0)
 *   STATUS           0x7D | seq (2) |          its answer, echoing seq
 *   RESTART          0x46 | (empty) |          a host or switch that booted again clears every
 *                                              call of the link (call reference 0; Q.2931 5.5,
 *                                              restart class "all VCs of the interface")
 *   RESTART ACK      0x4E | (empty) |          its answer
 */
export const SigType = {
  SETUP: 0x05,
  CALL_PROCEEDING: 0x02,
  CONNECT: 0x07,
  RELEASE: 0x4d,
  RELEASE_COMPLETE: 0x5a,
  STATUS_ENQUIRY: 0x75,
  STATUS: 0x7d,
  RESTART: 0x46,
  RESTART_ACKNOWLEDGE: 0x4e,
} as const;
export type SigType = (typeof SigType)[keyof typeof SigType];

/** Counter names per type (stats). */
export const SIG_TYPE_NAMES: Record<SigType, string> = {
  [SigType.SETUP]: "setup",
  [SigType.CALL_PROCEEDING]: "callProceeding",
  [SigType.CONNECT]: "connect",
  [SigType.RELEASE]: "release",
  [SigType.RELEASE_COMPLETE]: "releaseComplete",
  [SigType.STATUS_ENQUIRY]: "statusEnquiry",
  [SigType.STATUS]: "status",
  [SigType.RESTART]: "restart",
  [SigType.RESTART_ACKNOWLEDGE]: "restartAcknowledge",
};
export const SIG_TYPES = Object.values(SigType) as SigType[];

/** Release causes (Q.850 / Q.2931 numbers, 1..127; the comment names the standard meaning). */
export const SigCause = {
  /** 1 unallocated number: the route goes on past the called host. */
  ROUTE_TOO_LONG: 1,
  /** 2 no route to specified transit network: nothing is attached to the port the route names. */
  NOTHING_ATTACHED: 2,
  /** 3 no route to destination: the route names a port the switch does not have. */
  PORT_OUT_OF_RANGE: 3,
  /** 16 normal call clearing. */
  NORMAL: 16,
  /** 21 call rejected: the called host refused. */
  REFUSED: 21,
  /** 27 destination out of order: an end host failed (missed keep-alives). */
  HOST_FAILED: 27,
  /** 28 invalid number format (address incomplete): the route ended at a switch. */
  ROUTE_TOO_SHORT: 28,
  /** 35 requested VPCI/VCI not available: the called host cannot use the VCI offered. */
  VCI_UNAVAILABLE: 35,
  /** 41 temporary failure: a switch on the call's path booted again (its RESTART cleared it). */
  TEMPORARY_FAILURE: 41,
  /** 45 no VPCI/VCI available: a switch has no free VCI on a link of the path. */
  NO_VCI: 45,
  /** 47 resource unavailable: a VC table (or a switch's call table) is full. */
  TABLE_FULL: 47,
  /** 50 requested facility not subscribed: the calling host's port is at its circuit limit. */
  CIRCUIT_LIMIT: 50,
  /** 81 invalid call reference value: a message for a call the receiver does not have. */
  INVALID_CALL_REF: 81,
  /** 102 recovery on timer expiry: the caller's setup timer ran out. */
  TIMEOUT: 102,
  /** 111 protocol error, unspecified. */
  PROTOCOL_ERROR: 111,
} as const;
export type SigCause = (typeof SigCause)[keyof typeof SigCause];

const CAUSE_NAME_LIST: [SigCause, string][] = [
  [SigCause.ROUTE_TOO_LONG, "routeTooLong"],
  [SigCause.NOTHING_ATTACHED, "nothingAttached"],
  [SigCause.PORT_OUT_OF_RANGE, "portOutOfRange"],
  [SigCause.NORMAL, "normal"],
  [SigCause.REFUSED, "refused"],
  [SigCause.HOST_FAILED, "hostFailed"],
  [SigCause.ROUTE_TOO_SHORT, "routeTooShort"],
  [SigCause.VCI_UNAVAILABLE, "vciUnavailable"],
  [SigCause.TEMPORARY_FAILURE, "temporaryFailure"],
  [SigCause.NO_VCI, "noVci"],
  [SigCause.TABLE_FULL, "tableFull"],
  [SigCause.CIRCUIT_LIMIT, "circuitLimit"],
  [SigCause.INVALID_CALL_REF, "invalidCallRef"],
  [SigCause.TIMEOUT, "timeout"],
  [SigCause.PROTOCOL_ERROR, "protocolError"],
];
const CAUSE_NAMES = new Map<number, string>(CAUSE_NAME_LIST);

/**
 * Name of a cause: netloom's name for one it sends, else the standard meaning in camelCase
 * ("userBusy"), `cause<N>` only for a value no standard assigns (atm-signalling-causes.ts).
 */
export function sigCauseName(cause: number): string {
  return CAUSE_NAMES.get(cause) ?? standardCauseName(cause);
}

/** Why parseAtmSignal() rejected bytes (stable numbers; names in SIG_PARSE_ERROR_NAMES). */
export const SigParseError = {
  TOO_SHORT: 0,
  BAD_DISCRIMINATOR: 1,
  BAD_CALL_REF_LENGTH: 2,
  BAD_LENGTH: 3,
  UNKNOWN_TYPE: 4,
  BAD_BODY: 5,
  BAD_ROUTE: 6,
  BAD_CAUSE: 7,
} as const;
export type SigParseError = (typeof SigParseError)[keyof typeof SigParseError];
export const SIG_PARSE_ERROR_NAMES = [
  "tooShort",
  "badDiscriminator",
  "badCallRefLength",
  "badLength",
  "unknownType",
  "badBody",
  "badRoute",
  "badCause",
] as const;

export interface AtmSignalRepr {
  type: SigType;
  /** Call reference value, 0 .. 2^23 - 1 (0 = global). */
  callRef: number;
  /** 0: sent by the side that allocated callRef; 1: sent to it. */
  flag: 0 | 1;
  /** SETUP, CALL PROCEEDING, CONNECT. */
  vpi: number;
  vci: number;
  /** SETUP. */
  tag: number;
  hops: number;
  route: number[];
  /** RELEASE, RELEASE COMPLETE. */
  cause: number;
  /** STATUS ENQUIRY, STATUS. */
  seq: number;
}

/** A repr with every field at its empty value. */
export function sigRepr(
  type: SigType,
  callRef: number,
  flag: 0 | 1,
  fields: Partial<AtmSignalRepr> = {},
): AtmSignalRepr {
  return { type, callRef, flag, vpi: 0, vci: 0, tag: 0, hops: 0, route: [], cause: 0, seq: 0, ...fields };
}

/** Body length of a message of `type` (SETUP: with `routeLength` entries). */
export function sigBodyLength(type: SigType, routeLength = 0): number {
  switch (type) {
    case SigType.SETUP:
      return 10 + 2 * routeLength;
    case SigType.CALL_PROCEEDING:
    case SigType.CONNECT:
      return 4;
    case SigType.RELEASE:
    case SigType.RELEASE_COMPLETE:
      return 1;
    case SigType.RESTART:
    case SigType.RESTART_ACKNOWLEDGE:
      return 0;
    default:
      return 2;
  }
}

export class AtmSignalView extends ByteView {
  /** The fixed header is present and the body length field covers exactly the rest. */
  checkLength(): boolean {
    if (this.length < SIG_HEADER_LEN || this.offset + this.length > this.bytes.length) return false;
    return this.bodyLength === this.length - SIG_HEADER_LEN;
  }
  get discriminator(): number {
    return this.bytes[this.offset]!;
  }
  set discriminator(v: number) {
    this.bytes[this.offset] = v;
  }
  get callRefLength(): number {
    return this.bytes[this.offset + 1]!;
  }
  set callRefLength(v: number) {
    this.bytes[this.offset + 1] = v;
  }
  get flag(): 0 | 1 {
    return (this.bytes[this.offset + 2]! >>> 7) as 0 | 1;
  }
  set flag(v: 0 | 1) {
    this.bytes[this.offset + 2] = (this.bytes[this.offset + 2]! & 0x7f) | (v << 7);
  }
  get callRef(): number {
    const b = this.bytes;
    const o = this.offset;
    return ((b[o + 2]! & 0x7f) << 16) | (b[o + 3]! << 8) | b[o + 4]!;
  }
  set callRef(v: number) {
    const b = this.bytes;
    const o = this.offset;
    b[o + 2] = (b[o + 2]! & 0x80) | ((v >>> 16) & 0x7f);
    b[o + 3] = (v >>> 8) & 0xff;
    b[o + 4] = v & 0xff;
  }
  get type(): number {
    return this.bytes[this.offset + 5]!;
  }
  set type(v: number) {
    this.bytes[this.offset + 5] = v;
  }
  get compat(): number {
    return this.bytes[this.offset + 6]!;
  }
  set compat(v: number) {
    this.bytes[this.offset + 6] = v;
  }
  get bodyLength(): number {
    return readU16(this.bytes, this.offset + 7);
  }
  set bodyLength(v: number) {
    writeU16(this.bytes, this.offset + 7, v);
  }
  /** Offset of body byte 0 in `bytes`. */
  get body(): number {
    return this.offset + SIG_HEADER_LEN;
  }
  // Body fields (valid only for the types that carry them).
  get vpi(): number {
    return readU16(this.bytes, this.body);
  }
  set vpi(v: number) {
    writeU16(this.bytes, this.body, v);
  }
  get vci(): number {
    return readU16(this.bytes, this.body + 2);
  }
  set vci(v: number) {
    writeU16(this.bytes, this.body + 2, v);
  }
  get tag(): number {
    return readU32(this.bytes, this.body + 4);
  }
  set tag(v: number) {
    writeU32(this.bytes, this.body + 4, v);
  }
  get hops(): number {
    return this.bytes[this.body + 8]!;
  }
  set hops(v: number) {
    this.bytes[this.body + 8] = v;
  }
  get routeLength(): number {
    return this.bytes[this.body + 9]!;
  }
  set routeLength(v: number) {
    this.bytes[this.body + 9] = v;
  }
  routePort(i: number): number {
    return readU16(this.bytes, this.body + 10 + 2 * i);
  }
  setRoutePort(i: number, port: number): void {
    writeU16(this.bytes, this.body + 10 + 2 * i, port);
  }
  get cause(): number {
    return this.bytes[this.body]!;
  }
  set cause(v: number) {
    this.bytes[this.body] = v;
  }
  get seq(): number {
    return readU16(this.bytes, this.body);
  }
  set seq(v: number) {
    writeU16(this.bytes, this.body, v);
  }
}

const KNOWN_TYPES = new Set<number>(SIG_TYPES);

/** Parses a message (never throws): the repr, or the SigParseError that rejected it. */
export function parseAtmSignal(view: AtmSignalView): AtmSignalRepr | SigParseError {
  if (view.length < SIG_HEADER_LEN || view.offset + view.length > view.bytes.length) return SigParseError.TOO_SHORT;
  if (view.discriminator !== SIG_PROTOCOL_DISCRIMINATOR) return SigParseError.BAD_DISCRIMINATOR;
  if (view.callRefLength !== SIG_CALL_REF_LEN) return SigParseError.BAD_CALL_REF_LENGTH;
  if (!view.checkLength()) return SigParseError.BAD_LENGTH;
  const type = view.type;
  if (!KNOWN_TYPES.has(type)) return SigParseError.UNKNOWN_TYPE;
  const t = type as SigType;
  const body = view.bodyLength;
  const r = sigRepr(t, view.callRef, view.flag);
  if (t === SigType.SETUP) {
    if (body < 10) return SigParseError.BAD_BODY;
    const n = view.routeLength;
    if (n > SIG_MAX_ROUTE || body !== 10 + 2 * n) return SigParseError.BAD_ROUTE;
    if (view.vpi > SIG_MAX_VPI) return SigParseError.BAD_BODY;
    r.vpi = view.vpi;
    r.vci = view.vci;
    r.tag = view.tag;
    r.hops = view.hops;
    for (let i = 0; i < n; i++) {
      const p = view.routePort(i);
      if (p > SIG_MAX_PORT) return SigParseError.BAD_ROUTE;
      r.route.push(p);
    }
    return r;
  }
  if (body !== sigBodyLength(t)) return SigParseError.BAD_BODY;
  if (t === SigType.CALL_PROCEEDING || t === SigType.CONNECT) {
    if (view.vpi > SIG_MAX_VPI) return SigParseError.BAD_BODY;
    r.vpi = view.vpi;
    r.vci = view.vci;
  } else if (t === SigType.RELEASE || t === SigType.RELEASE_COMPLETE) {
    const c = view.cause;
    if (c < 1 || c > 127) return SigParseError.BAD_CAUSE;
    r.cause = c;
  } else if (t === SigType.STATUS_ENQUIRY || t === SigType.STATUS) {
    r.seq = view.seq;
  }
  return r;
}

/** Length emitAtmSignal() will write for `repr`. */
export function atmSignalLength(repr: AtmSignalRepr): number {
  return SIG_HEADER_LEN + sigBodyLength(repr.type, repr.route.length);
}

/** Writes `repr` at view.offset (view.length must cover it); returns the bytes written. */
export function emitAtmSignal(repr: AtmSignalRepr, view: AtmSignalView): number {
  if (!KNOWN_TYPES.has(repr.type)) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(repr.type)} is not a signalling message type`, {
      path: "type",
    });
  }
  checkInteger("callRef", repr.callRef, 0, SIG_MAX_CALL_REF);
  if (repr.flag !== 0 && repr.flag !== 1) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(repr.flag)} is not a call reference flag (0 or 1)`, {
      path: "flag",
    });
  }
  const t = repr.type;
  if (t === SigType.SETUP || t === SigType.CALL_PROCEEDING || t === SigType.CONNECT) {
    checkInteger("vpi", repr.vpi, 0, 0xfff);
    checkInteger("vci", repr.vci, 0, 0xffff);
  }
  if (t === SigType.SETUP) {
    checkInteger("tag", repr.tag, 0, 0xffffffff);
    checkInteger("hops", repr.hops, 0, 255);
    checkInteger("route.length", repr.route.length, 0, SIG_MAX_ROUTE);
    repr.route.forEach((p, i) => checkInteger(`route[${i}]`, p, 0, SIG_MAX_PORT));
  } else if (t === SigType.RELEASE || t === SigType.RELEASE_COMPLETE) {
    checkInteger("cause", repr.cause, 1, 127);
  } else if (t === SigType.STATUS_ENQUIRY || t === SigType.STATUS) {
    checkInteger("seq", repr.seq, 0, 0xffff);
  }
  const len = atmSignalLength(repr);
  if (view.length < len || view.offset + len > view.bytes.length) {
    throw new NetloomError(ErrorCode.OUT_OF_BOUNDS, `a ${len}-byte message does not fit ${view.length} bytes`, {
      path: "view",
    });
  }
  view.discriminator = SIG_PROTOCOL_DISCRIMINATOR;
  view.callRefLength = SIG_CALL_REF_LEN;
  view.bytes[view.offset + 2] = 0;
  view.flag = repr.flag;
  view.callRef = repr.callRef;
  view.type = t;
  view.compat = SIG_COMPAT;
  view.bodyLength = len - SIG_HEADER_LEN;
  if (t === SigType.SETUP) {
    view.vpi = repr.vpi;
    view.vci = repr.vci;
    view.tag = repr.tag;
    view.hops = repr.hops;
    view.routeLength = repr.route.length;
    repr.route.forEach((p, i) => view.setRoutePort(i, p));
  } else if (t === SigType.CALL_PROCEEDING || t === SigType.CONNECT) {
    view.vpi = repr.vpi;
    view.vci = repr.vci;
  } else if (t === SigType.RELEASE || t === SigType.RELEASE_COMPLETE) {
    view.cause = repr.cause;
  } else if (t === SigType.STATUS_ENQUIRY || t === SigType.STATUS) {
    view.seq = repr.seq;
  }
  return len;
}

/**
 * Parses a route written as output port numbers separated by dots ("4.3.0.7"): the ports, or
 * undefined when the text is not such a route (1 to SIG_MAX_ROUTE ports, each 0..4095).
 */
export function parseSigRoute(text: string): number[] | undefined {
  if (!/^\d{1,4}(\.\d{1,4})*$/.test(text)) return undefined;
  const ports = text.split(".").map(Number);
  if (ports.length > SIG_MAX_ROUTE || ports.some((p) => p > SIG_MAX_PORT)) return undefined;
  return ports;
}
