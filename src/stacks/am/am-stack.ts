// AmStack: Active Messages (von Eicken, Culler, Goldstein, Schauser; Birman ch. 8.3) over a
// U-Net endpoint (as U-Net's own UAM was), configuration "active-messages" of the comparison.
//
// Contract:
// - Every message carries a handler id and up to four argument words (am-wire.ts) in front of
//   its payload, framed by the endpoint's device (its LinkBottom), byte for byte:
//     ATM:      AAL5 PDU = | AM header (4 + 4 nargs) | payload |  (one VC per peer)
//     Ethernet: | Ethernet II, AM_ETHERTYPE | U-Net header (8) | AM header | payload |
//   On Ethernet the device needs EtherType AM_ETHERTYPE: amDevice() makes one.
// - Arrival: in the endpoint's receive job, per message, its DRIVER cost plus one
//   HANDLER_DISPATCH; the handler runs at that moment on the message in place. No buffering:
//   when the handler returns, the buffer goes back on the free queue. Dropped and counted:
//   unregistered handler (unknownHandler), malformed header (badHeader).
// - Request/reply: request(dst, handler, args, frame) sends a request; inside a request handler
//   reply(handler, args, frame) sends at most one reply to its sender; a reply handler may not
//   send; request() inside any handler throws NetloomError (handlers that send requests can
//   deadlock a real network). Handler 0 is the default handler: app.onMessage, and send(frame,
//   dst) is a request to it, allowed from app.onMessage (sends never block here).
// - Copies: none by the host (bytesCopied 0). destroy() destroys the endpoint.
// Not handled: bulk transfer (store/get into a remote segment): the largest message is one
// PDU/frame (the endpoint's maxMessage less AM_HEADER_MAX); flow control and retransmission.

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME, type FrameStore } from "../../buf/frames.js";
import type { Simulation } from "../../engine/simulation.js";
import { CpuOp, type HostCpu } from "../cost.js";
import type { MessageApp, MessageStack, MessageStackCounters } from "../message-stack.js";
import { type UnetChannelSpec, UnetDevice, type UnetDeviceOptions, type UnetNic } from "../unet/unet-device.js";
import {
  UnetEndpoint,
  type UnetConsumer,
  type UnetEndpointOptions,
  type UnetEndpointStats,
} from "../unet/unet-endpoint.js";
import {
  AM_ETHERTYPE,
  AM_HEADER_MAX,
  AM_KIND_REPLY,
  AM_KIND_REQUEST,
  AM_MAX_ARGS,
  AmHeaderView,
  AmParseError,
  amHeaderLength,
  createAmHeaderRepr,
  emitAmHeader,
  parseAmHeaderInto,
  type AmHeaderRepr,
} from "./am-wire.js";

export const AM_HANDLERS = 256;
export const AM_DEFAULT_HANDLER = 0;

/** The message a handler runs on (one object per stack, valid during the call). */
export interface AmMessage {
  src: number;
  kind: number;
  handler: number;
  nargs: number;
  /** Argument words (first nargs). */
  args: Uint32Array;
  /** Payload: stack.u8[ptr, ptr + length). */
  ptr: number;
  length: number;
}

export type AmHandler = (am: AmStack, msg: AmMessage) => void;

/** A UnetDevice for Active Messages on `nic` (on Ethernet: EtherType AM_ETHERTYPE). */
export function amDevice(
  sim: Simulation,
  name: string,
  nic: UnetNic,
  options: Omit<UnetDeviceOptions, "nic"> = {},
): UnetDevice {
  return new UnetDevice(sim, name, { etherType: AM_ETHERTYPE, ...options, nic });
}

export interface AmStackOptions extends Omit<UnetEndpointOptions, "clientHeadroom" | "configuration"> {
  channels?: Record<number, UnetChannelSpec>;
}

export interface AmStackStats extends MessageStackCounters {
  requests: number;
  replies: number;
  handled: number;
  drops: { unknownHandler: number; badHeader: number; noBuffer: number; refused: number };
  endpoint: UnetEndpointStats;
}

const NOT_IN_HANDLER = 0;
const IN_REQUEST = 1;
const IN_REQUEST_REPLIED = 2;
const IN_REPLY = 3;

export class AmStack implements MessageStack, UnetConsumer {
  readonly name: string;
  readonly configuration = "active-messages" as const;
  readonly sim: Simulation;
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  readonly cpu: HostCpu;
  readonly rank: number;
  readonly maxMessage: number;
  readonly endpoint: UnetEndpoint;
  private app: MessageApp | undefined;
  private readonly handlers: (AmHandler | undefined)[] = new Array<AmHandler | undefined>(AM_HANDLERS).fill(undefined);
  private readonly view = new AmHeaderView(new Uint8Array(0));
  private readonly repr: AmHeaderRepr = createAmHeaderRepr();
  private readonly msg: AmMessage = {
    src: 0,
    kind: 0,
    handler: 0,
    nargs: 0,
    args: new Uint32Array(AM_MAX_ARGS),
    ptr: 0,
    length: 0,
  };
  private readonly out: AmHeaderRepr = createAmHeaderRepr();
  private handlerState = NOT_IN_HANDLER;
  private readonly c = { requests: 0, replies: 0, handled: 0 };
  private readonly drops = { unknownHandler: 0, badHeader: 0, noBuffer: 0, refused: 0 };

  constructor(sim: Simulation, name: string, options: AmStackOptions) {
    this.endpoint = new UnetEndpoint(sim, `${name}.ep`, {
      ...options,
      clientHeadroom: AM_HEADER_MAX,
      configuration: "active-messages",
    });
    this.name = name;
    this.sim = sim;
    this.frames = sim.frames;
    this.u8 = sim.runtime.u8;
    this.cpu = options.cpu;
    this.rank = this.endpoint.rank;
    this.maxMessage = this.endpoint.maxMessage;
    this.view.wrap(this.u8, 0, 0);
    this.endpoint.setConsumer(this);
    this.handlers[AM_DEFAULT_HANDLER] = (am, m) => am.app?.onMessage(am, m.ptr, m.length, m.src);
  }

  get now(): number {
    return this.sim.scheduler.now;
  }

  /** Ready once the endpoint and its channel to `peer` are registered. */
  isReady(peer: number): boolean {
    return this.endpoint.isOpen(peer);
  }

  setApp(app: MessageApp | undefined): void {
    this.app = app;
  }

  /** Registers `fn` as handler `id` (1 .. 255; 0 is the default handler). */
  registerHandler(id: number, fn: AmHandler | undefined): void {
    if (!Number.isInteger(id) || id < 1 || id >= AM_HANDLERS) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(id)} is not a handler id (1 to ${AM_HANDLERS - 1}; 0 is the default)`,
        {
          path: `${this.name}.handlers`,
        },
      );
    }
    this.handlers[id] = fn;
  }

  openChannel(peer: number, spec: UnetChannelSpec): number {
    return this.endpoint.openChannel(peer, spec);
  }

  /** A payload buffer of `length` bytes (a segment buffer with room for the AM header). */
  allocMessage(length: number): number {
    return this.endpoint.allocMessage(length);
  }

  /** MessageStack send: a request to the default handler (0) of member `dst`. */
  send(frame: number, dst?: number): boolean {
    return this.emit(dst, AM_KIND_REQUEST, AM_DEFAULT_HANDLER, EMPTY_ARGS, frame);
  }

  /**
   * Sends a request to handler `handler` of member `dst` with `args` (0 to 4 words) and the
   * payload in `frame` (from allocMessage; NO_FRAME for none). Takes the frame; false = refused
   * (no segment buffer, send queue full: counted). Not allowed inside a handler.
   */
  request(dst: number, handler: number, args: ArrayLike<number> = EMPTY_ARGS, frame = NO_FRAME): boolean {
    if (this.handlerState !== NOT_IN_HANDLER) {
      if (frame !== NO_FRAME && this.endpoint.isAppBuffer(frame)) this.endpoint.discard(frame);
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        "a handler may not send a request (only a request handler's one reply)",
        {
          path: `${this.name}.request`,
        },
      );
    }
    return this.emit(dst, AM_KIND_REQUEST, handler, args, frame);
  }

  /** Inside a request handler: the one reply to its sender. */
  reply(handler: number, args: ArrayLike<number> = EMPTY_ARGS, frame = NO_FRAME): boolean {
    if (this.handlerState !== IN_REQUEST) {
      if (frame !== NO_FRAME && this.endpoint.isAppBuffer(frame)) this.endpoint.discard(frame);
      const why =
        this.handlerState === IN_REQUEST_REPLIED
          ? "a request handler replies at most once"
          : "reply() is only allowed inside a request handler";
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, why, { path: `${this.name}.reply` });
    }
    this.handlerState = IN_REQUEST_REPLIED;
    return this.emit(this.msg.src, AM_KIND_REPLY, handler, args, frame);
  }

  private emit(
    dst: number | undefined,
    kind: number,
    handler: number,
    args: ArrayLike<number>,
    frame: number,
  ): boolean {
    if (!Number.isInteger(handler) || handler < 0 || handler >= AM_HANDLERS) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(handler)} is not a handler id (0 to ${AM_HANDLERS - 1})`,
        { path: "handler" },
      );
    }
    if (args.length > AM_MAX_ARGS) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${args.length} arguments: an active message carries at most ${AM_MAX_ARGS}`,
        { path: "args" },
      );
    }
    let f = frame;
    if (f !== NO_FRAME && !this.endpoint.isAppBuffer(f)) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `frame ${f} is not a buffer from ${this.name}.allocMessage`, {
        path: "frame",
      });
    }
    if (f === NO_FRAME) {
      f = this.endpoint.allocMessage(0);
      if (f === NO_FRAME) {
        this.drops.noBuffer++;
        return false;
      }
    }
    const out = this.out;
    out.kind = kind;
    out.handler = handler;
    out.nargs = args.length;
    for (let i = 0; i < args.length; i++) out.args[i] = args[i]! >>> 0;
    const hlen = amHeaderLength(args.length);
    const frames = this.frames;
    const at = frames.push(f, hlen);
    emitAmHeader(out, this.view.wrap(this.u8, at, frames.length[f]!));
    if (!this.endpoint.send(f, dst)) {
      this.drops.refused++;
      return false;
    }
    if (kind === AM_KIND_REQUEST) this.c.requests++;
    else this.c.replies++;
    return true;
  }

  // --- UnetConsumer ---

  chargeReceive(_ep: UnetEndpoint, _ptr: number, _length: number): void {
    this.cpu.chargeOp(CpuOp.HANDLER_DISPATCH);
  }

  onReceive(_ep: UnetEndpoint, src: number, ptr: number, length: number, _token: number): boolean {
    const repr = this.repr;
    if (parseAmHeaderInto(this.view.wrap(this.u8, ptr, length), repr) !== AmParseError.OK) {
      this.drops.badHeader++;
      return false;
    }
    const fn = this.handlers[repr.handler];
    if (fn === undefined) {
      this.drops.unknownHandler++;
      return false;
    }
    const m = this.msg;
    m.src = src;
    m.kind = repr.kind;
    m.handler = repr.handler;
    m.nargs = repr.nargs;
    for (let i = 0; i < repr.nargs; i++) m.args[i] = repr.args[i]!;
    m.ptr = ptr + amHeaderLength(repr.nargs);
    m.length = repr.payloadLength;
    this.c.handled++;
    // The default handler is the MessageStack application: it may send (see the contract).
    this.handlerState =
      repr.handler === AM_DEFAULT_HANDLER ? NOT_IN_HANDLER : repr.kind === AM_KIND_REQUEST ? IN_REQUEST : IN_REPLY;
    try {
      fn(this, m);
    } finally {
      this.handlerState = NOT_IN_HANDLER;
    }
    // No buffering: the message's buffer goes back when the handler returns.
    return false;
  }

  stats(): AmStackStats {
    const ep = this.endpoint.stats();
    return {
      name: this.name,
      configuration: this.configuration,
      sent: this.c.requests + this.c.replies,
      delivered: this.c.handled,
      bytesCopied: ep.bytesCopied,
      requests: this.c.requests,
      replies: this.c.replies,
      handled: this.c.handled,
      drops: { ...this.drops },
      endpoint: ep,
    };
  }

  destroy(): void {
    this.endpoint.destroy();
  }
}

const EMPTY_ARGS: ArrayLike<number> = new Uint32Array(0);
