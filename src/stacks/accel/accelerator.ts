// AcceleratedStack: the Horus Protocol Accelerator (Birman ch. 18.7) over a layered stack's
// composition, as the "accelerated" configuration of the host-stack comparison (MessageStack).
//
// Contract:
// - Composition: `layers` is a LayeredStack layer list, checked by the same checkComposition
//   (same NetloomError INVALID_ARGUMENT and paths `<name>.layers[i]`), e.g. the five layers
//   ["TOTAL", "FC", "NAK", "FRAG", "COM"]. The accelerator implements the semantics of COM,
//   FRAG, NAK, FC and TOTAL for one connection between two members; it refuses STABLE (not
//   accelerated), a list without NAK (the accelerator predicts NAK's sequence numbers: without
//   them it has nothing to predict) and groups other than two members.
// - Network: `nic` + `members` (Ethernet, EtherType 0x88B6) or `atm` ({ nic, vcs }: one AAL5
//   circuit to the peer, as LayeredStack). Wire format: mini-header.ts. Header fields in the
//   four classes of ch. 18.7.1: connection (ranks, group size, stack signature, link
//   addresses) sent in the connection identification behind a 62-bit connection cookie while
//   the peer has not acknowledged anything (so a lost first frame is repaired: its
//   retransmission carries it again), then only the cookie; protocol (kind, RETX, sequence
//   number) predicted; message (count, length, checksum) computed per frame; gossip (the
//   cumulative ack, which is also FC's consumed count and TOTAL's order point) on every frame.
//   The receiver maps cookie -> connection: a frame with an unknown cookie is dropped and
//   counted (unknownCookie), a connection identification that does not match this stack
//   (badConnId), a little-endian one (badByteOrder).
// - Semantics kept: reliable FIFO (NAK): per message a sequence number, a bounded retransmit
//   ring (nak.ringSize) freed by the ack gossip, NAKs for gaps (at once, then every nakRetry),
//   a probe resending the newest frame after `probe` ns without progress, a bounded reorder
//   window at the receiver, standalone acks (GOSSIP) after ackEvery deliveries or ackDelay.
//   FC: at most fc.window messages not yet consumed by the peer. TOTAL (two members, member 0
//   the sequencer): member 0 delivers its own messages when it sends them and member 1's as
//   they arrive, so the ack a frame from member 0 carries says how many of member 1's
//   messages come before it in the total order; member 1 delivers its own messages to itself
//   as those acks (in member 0's FIFO order) cover them. Every member delivers every message,
//   its own included, in one order. FRAG: the accelerator does not fragment (as the Horus PA
//   does not, ch. 18.7.4): the largest message is what one frame carries.
// - Fast path and post-processing (ch. 18.7.2). Each direction keeps a predicted protocol
//   header, prepared by the post-processing of the previous message. Send: when the send
//   prediction is ready, nothing is backlogged, the window is open and the NIC is free, the
//   packet filter (ACCEL_FILTER_OPS handler-sized operations) fills the predicted header, the
//   message fields (checksum charged per byte) and the gossip, and the frame goes out (driver
//   charged); otherwise the message waits in the backlog. Receive: a data frame whose kind,
//   flags and sequence number match the receive prediction is delivered at once (interrupt,
//   driver, filter, checksum, an upcall per message). Then post-processing runs as a separate
//   CPU job, queued behind whatever the application did in reaction (its reply's send job
//   goes first): the layers' bookkeeping, the protocol-state part of a layer crossing (the
//   profile's layerState) per layer with state to update (NAK: retransmit ring, ack
//   decisions; FC: credits; TOTAL: order; FRAG and COM
//   keep none on this path: whole messages, constant connection fields), plus the
//   pre-processing of the next header (ACCEL_TEMPLATE_OPS). It is real CPU time (throughput pays) but not on the
//   critical path of a small message. A frame that misses the prediction (a gap, a
//   duplicate, a retransmission, a frame that arrives before the prediction is ready) takes
//   the slow path: every layer crossing charged before delivery, counted predictionMisses.
//   Protocol state (sequence numbers, rings, acks) is updated in the emulator when the frame
//   is handled; the model charges it where the accelerator runs it.
// - Packing (ch. 18.7.3): messages sent while the send prediction is not ready, the window is
//   closed or the NIC is busy (ATM: cells still queued) wait in the backlog (bounded by
//   nak.backlog; beyond it dropped and counted, send() false). When the post-processing
//   completes (or the window opens, or the NIC is free) they go out packed, up to maxPack
//   messages and what one frame carries, in one PACKED frame: one filter, one
//   post-processing. Packing copies each message into the packed frame (charged, bytesCopied);
//   the receiver unpacks in place. Counted: packedFrames, packedMessages.
// - Host: a user-level stack, as the Horus PA over U-Net was (ch. 18.7): the application
//   calls it directly, so there is no system call, no context switch and no user/kernel copy;
//   the NIC costs driver work per frame and an interrupt per received frame. Messages reach
//   app.onMessage(stack, ptr, length, src) with the bytes in the frame, valid during the call.
// - Copies: over ATM the received PDU is copied from the reassembly buffer into a frame slot
//   (the emulator's copy, as in com-atm.ts: not charged, counted emulatorCopyBytes). A
//   retransmission is a clone of the kept frame (the emulator's; a real NIC sends from the
//   kept buffer), its RETX flag set and its checksum recomputed (charged); its gossip stays as
//   first sent (for TOTAL the ack is the frame's place in the order).
// - Connection cookies: a frame with the connection identification installs its cookie for
//   the peer only once its checksum is good (a newer cookie from the peer replaces the old).
// - Hot paths never throw; API misuse throws NetloomError. destroy() releases every frame.
// Not handled: more than two members, STABLE, membership changes, several connections per
// NIC, jobs of one stack on several CPUs at once (upcall order assumes one CPU per stack).
//
// State machines (each direction of the connection):
//   send:    Ready --fast send--> PostProcessing --post job done--> Ready (drain backlog: pack)
//   receive: Ready --fast delivery--> PostProcessing --post job done--> Ready
//            (a data frame in PostProcessing, or one that misses the prediction: slow path)
//   cookie:  Announcing (frames carry the connection identification) --first ack--> Known

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME, type FrameStore } from "../../buf/frames.js";
import type { AtmNic } from "../../devices/atm-nic.js";
import type { EthernetNic } from "../../devices/nic.js";
import type { Simulation } from "../../engine/simulation.js";
import { ChecksumKernels } from "../../kernels/checksum.js";
import { seqAdd, seqDiff, seqGt, seqLt } from "../../kernels/seq.js";
import { ETH_FCS_LEN, ETH_HEADER_LEN, isGroupMac, macFromString, writeMac } from "../../wire/ethernet.js";
import { CpuOp, type CpuClient, type HostCpu } from "../cost.js";
import type { AtmComOptions } from "../layered/com-atm.js";
import { ETH_MTU } from "../layered/com.js";
import type { FcLayerOptions } from "../layered/fc.js";
import { ALL, getU16, getU32, putU16, putU32 } from "../layered/layer.js";
import type { NakLayerOptions } from "../layered/nak.js";
import { checkComposition, type LayerName } from "../layered/stack.js";
import type { MessageApp, MessageStack, MessageStackCounters } from "../message-stack.js";
import {
  ACCEL_ETHERTYPE,
  ACCEL_HEADER_LEN,
  ACCEL_RETX,
  AccelKind,
  AccelLink,
  CONN_ID_LEN,
  CONN_ID_VERSION,
  MINI_CONN,
  MINI_HEADER_LEN,
  PACKED_ITEM_HEADER,
  emitAccelHeader,
  emitConnId,
  emitMiniHeader,
  parseAccelHeader,
  parseConnId,
  parseMiniHeader,
  stackSignature,
} from "./mini-header.js";

/** Handler-sized operations of the packet filter on the fast path (per frame, each way). */
export const ACCEL_FILTER_OPS = 8;
/** Handler-sized operations to precompute the next predicted header (post-processing). */
export const ACCEL_TEMPLATE_OPS = 4;
/** Handler-sized operations per message packed or unpacked beyond the first. */
export const ACCEL_PACK_OPS = 2;
export const DEFAULT_MAX_PACK = 64;

export interface AcceleratedStackOptions {
  /** The layered composition accelerated, top to bottom (e.g. ["TOTAL", "FC", "NAK", "FRAG", "COM"]). */
  layers: readonly string[];
  cpu: HostCpu;
  /** This member's rank (0 or 1). */
  rank: number;
  /** Ethernet: the NIC and the MAC of each member by rank. */
  nic?: EthernetNic;
  members?: readonly (number | string)[];
  etherType?: number;
  /** ATM instead: the NIC and the circuit to the peer (vcs[rank] = -1). */
  atm?: AtmComOptions;
  /** NAK's options (ringSize, window, backlog, ackEvery, ackDelay, probe, nakRetry). */
  nak?: NakLayerOptions;
  /** FC's window (messages not yet consumed by the peer; default 32). */
  fc?: FcLayerOptions;
  /** Most messages packed into one frame (default 64, at most 255). */
  maxPack?: number;
}

export interface AcceleratedStackStats extends MessageStackCounters {
  layers: string[];
  maxMessage: number;
  headroom: number;
  framesSent: number;
  framesReceived: number;
  fastSends: number;
  predictionHits: number;
  predictionMisses: number;
  /** Misses because the frame came before the receive prediction was ready. */
  notReady: number;
  postSendJobs: number;
  postReceiveJobs: number;
  backlogged: number;
  backlogDrops: number;
  packedFrames: number;
  packedMessages: number;
  connIdSent: number;
  connIdReceived: number;
  selfDelivered: number;
  retransmitted: number;
  probes: number;
  naksSent: number;
  naksReceived: number;
  gossipSent: number;
  gossipReceived: number;
  duplicates: number;
  beyondWindow: number;
  unacknowledged: number;
  backlog: number;
  emulatorCopyBytes: number;
  drops: {
    unknownCookie: number;
    badConnId: number;
    badByteOrder: number;
    badHeader: number;
    badChecksum: number;
    badEtherType: number;
    unknownVc: number;
    tooLong: number;
    noSlot: number;
    cpuQueue: number;
    rxCpuQueue: number;
    txRefused: number;
  };
}

type DropName = keyof AcceleratedStackStats["drops"];

const JOB_SEND = 1;
const JOB_RX = 2;
const JOB_POST_SEND = 3;
const JOB_POST_RX = 4;
const JOB_DRAIN = 5;
const JOB_TIMER = 6;

const EV_TX = 16;
const EV_DELIVER = 17;
const EV_POST_SEND = 18;
const EV_POST_SEND_DONE = 19;
const EV_POST_RX = 20;
const EV_POST_RX_DONE = 21;
const EV_TIMER = 22;
const EV_DRAIN = 23;

const T_PROBE = 0;
const T_NAK = 1;
const T_ACK = 2;
/** An event whose job found the CPU queue full tries again this much later. */
const RETRY_NS = 100_000;
/** EV_DELIVER b: the frame is one of ours (headers still on), not a received one. */
const OWN = 0x8000;

const SUPPORTED: readonly LayerName[] = ["COM", "FRAG", "NAK", "FC", "TOTAL"];

function pow2(v: number, path: string): number {
  if (!Number.isInteger(v) || v < 2 || v > 65536 || (v & (v - 1)) !== 0) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a power of two from 2 to 65536`, { path });
  }
  return v;
}

function whole(v: number, lo: number, hi: number, path: string): number {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(v)} is not a whole number from ${lo} to ${hi}`, {
      path,
    });
  }
  return v;
}

export class AcceleratedStack implements MessageStack, CpuClient {
  readonly configuration = "accelerated" as const;
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly frames: FrameStore;
  readonly u8: Uint8Array;
  readonly cpu: HostCpu;
  readonly rank: number;
  readonly peer: number;
  readonly layerNames: readonly LayerName[];
  readonly maxMessage: number;
  /** Headroom of message frames: link header + mini-header + connection id + accelerated header. */
  readonly headroom: number;
  readonly ringSize: number;
  readonly window: number;
  readonly backlogLimit: number;
  readonly ackEvery: number;
  readonly ackDelay: number;
  readonly probe: number;
  readonly nakRetry: number;
  readonly fcWindow: number;
  readonly maxPack: number;
  readonly signature: number;
  private readonly eth: EthernetNic | undefined;
  private readonly atm: AtmNic | undefined;
  private readonly vc: number;
  private readonly linkBytes: number;
  /** Largest frame after the link header (Ethernet payload / AAL5 PDU). */
  private readonly linkMax: number;
  private readonly etherType: number;
  private readonly myMac: number;
  private readonly peerMac: number;
  private readonly srcAddress = new Uint8Array(6);
  private readonly dstAddress = new Uint8Array(6);
  private readonly total: boolean;
  private readonly hasFc: boolean;
  /** Layer crossings of the full processing (all layers) and of control traffic (NAK and below). */
  private readonly crossAll: number;
  /** Layers with protocol state to update after a message (NAK, FC, TOTAL): post-processing. */
  private readonly crossPost: number;
  private readonly crossCtl: number;
  private readonly kernels: ChecksumKernels;
  private readonly client: number;
  private app: MessageApp | undefined;
  private destroyed = false;
  /** References held by scheduled EV_TX / EV_DELIVER events, per frame (destroy releases them). */
  private readonly pending = new Map<number, number>();
  // Connection.
  private readonly cookieHi: number;
  private readonly cookieLo: number;
  private peerCookieKnown = false;
  private peerCookieHi = 0;
  private peerCookieLo = 0;
  /** The peer has acknowledged one of our frames, so it holds our cookie. */
  private peerHasCookie = false;
  // Send side.
  private sendReady = true;
  private drainQueued = false;
  private nextSeq = 0;
  /** Every message below `acked` was delivered by the peer (gossip). */
  private acked = 0;
  /** Ring slots below `base` are free. */
  private base = 0;
  private readonly ring: Int32Array;
  private readonly backlogQ: Int32Array;
  private blHead = 0;
  private blLen = 0;
  private probeHandle = -1;
  private progress = false;
  /** The predicted header of the next send (kind, flags, count, seq): built by post-processing. */
  private readonly txTemplate = new Uint8Array(8);
  // Receive side.
  private rxReady = true;
  private expected = 0;
  private highest = 0;
  private unacked = 0;
  private readonly reorder: Int32Array;
  private nakHandle = -1;
  private ackHandle = -1;
  private readonly rxTemplate = new Uint8Array(8);
  /** TOTAL, member 1: own messages below this were delivered to ourselves. */
  private selfNext = 0;
  /** TOTAL, member 1: order point of the newest GOSSIP frame and the peer sequence it follows. */
  private orderHint = 0;
  private orderHintSeq = 0;
  // Counters.
  private readonly c = {
    sent: 0,
    delivered: 0,
    bytesCopied: 0,
    framesSent: 0,
    framesReceived: 0,
    fastSends: 0,
    predictionHits: 0,
    predictionMisses: 0,
    notReady: 0,
    postSendJobs: 0,
    postReceiveJobs: 0,
    backlogged: 0,
    backlogDrops: 0,
    packedFrames: 0,
    packedMessages: 0,
    connIdSent: 0,
    connIdReceived: 0,
    selfDelivered: 0,
    retransmitted: 0,
    probes: 0,
    naksSent: 0,
    naksReceived: 0,
    gossipSent: 0,
    gossipReceived: 0,
    duplicates: 0,
    beyondWindow: 0,
    emulatorCopyBytes: 0,
  };
  private readonly d = {
    unknownCookie: 0,
    badConnId: 0,
    badByteOrder: 0,
    badHeader: 0,
    badChecksum: 0,
    badEtherType: 0,
    unknownVc: 0,
    tooLong: 0,
    noSlot: 0,
    cpuQueue: 0,
    rxCpuQueue: 0,
    txRefused: 0,
  };

  constructor(sim: Simulation, name: string, options: AcceleratedStackOptions) {
    const names = checkComposition(options.layers, name);
    names.forEach((n, i) => {
      if (!SUPPORTED.includes(n)) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `${n} is not accelerated (the accelerator implements ${SUPPORTED.join(", ")})`,
          {
            path: `${name}.layers[${i}]`,
          },
        );
      }
    });
    if (!names.includes("NAK")) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        "the accelerator predicts NAK's sequence numbers: the composition needs NAK (reliable, fifo) to accelerate",
        { path: `${name}.layers` },
      );
    }
    if ((options.atm === undefined) === (options.nic === undefined)) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        options.atm === undefined
          ? "a stack needs a network: nic (Ethernet, with members) or atm"
          : "give either nic (Ethernet) or atm, not both",
        { path: `${name}.${options.atm === undefined ? "nic" : "atm"}` },
      );
    }
    const n = options.atm !== undefined ? options.atm.vcs?.length : options.members?.length;
    if (n !== 2) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the accelerator runs one connection between 2 members, not ${String(n)}`,
        {
          path: `${name}.${options.atm !== undefined ? "atm.vcs" : "members"}`,
        },
      );
    }
    if (options.rank !== 0 && options.rank !== 1) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(options.rank)} is not a rank in a group of 2`, {
        path: `${name}.rank`,
      });
    }
    this.sim = sim;
    this.name = name;
    this.frames = sim.frames;
    this.u8 = sim.runtime.u8;
    this.cpu = options.cpu;
    this.rank = options.rank;
    this.peer = 1 - options.rank;
    this.layerNames = names;
    this.total = names.includes("TOTAL");
    this.hasFc = names.includes("FC");
    this.crossAll = names.length;
    this.crossCtl = names.length - names.indexOf("NAK");
    this.crossPost = names.filter((l) => l === "NAK" || l === "FC" || l === "TOTAL").length;
    const nak = options.nak ?? {};
    this.ringSize = pow2(nak.ringSize ?? 256, `${name}.nak.ringSize`);
    this.window = pow2(nak.window ?? 256, `${name}.nak.window`);
    this.backlogLimit = whole(nak.backlog ?? 1024, 1, 1 << 20, `${name}.nak.backlog`);
    this.fcWindow = this.hasFc ? whole(options.fc?.window ?? 32, 2, 65535, `${name}.fc.window`) : Infinity;
    // Acks must come back before the credit window closes.
    const ackDefault = Math.max(1, Math.min(this.window >>> 2, this.hasFc ? this.fcWindow >>> 1 : Infinity));
    this.ackEvery = whole(nak.ackEvery ?? ackDefault, 1, 1 << 20, `${name}.nak.ackEvery`);
    this.ackDelay = whole(nak.ackDelay ?? 1_000_000, 1, Number.MAX_SAFE_INTEGER, `${name}.nak.ackDelay`);
    this.probe = whole(nak.probe ?? 10_000_000, 1, Number.MAX_SAFE_INTEGER, `${name}.nak.probe`);
    this.nakRetry = whole(nak.nakRetry ?? 5_000_000, 1, Number.MAX_SAFE_INTEGER, `${name}.nak.nakRetry`);
    this.maxPack = whole(options.maxPack ?? DEFAULT_MAX_PACK, 1, 255, `${name}.maxPack`);
    this.signature = stackSignature(`${names.join(",")};fc=${this.hasFc ? this.fcWindow : 0}`);

    if (options.atm !== undefined) {
      const a = options.atm;
      this.atm = a.nic;
      this.eth = undefined;
      const vc = a.vcs[this.peer]!;
      if (a.vcs[this.rank] !== -1) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `this member (rank ${this.rank}) needs -1, not a circuit`, {
          path: `${name}.atm.vcs[${this.rank}]`,
        });
      }
      if (
        !Number.isInteger(vc) ||
        vc < 0 ||
        vc >= a.nic.maxVcs ||
        a.nic.vcOf(a.nic.vcAddress(vc).vpi, a.nic.vcAddress(vc).vci) !== vc
      ) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(vc)} is not an open circuit of ${a.nic.name}`, {
          path: `${name}.atm.vcs[${this.peer}]`,
        });
      }
      this.vc = vc;
      this.linkBytes = 0;
      this.linkMax = a.nic.maxPdu;
      this.etherType = 0;
      this.myMac = 0;
      this.peerMac = 0;
      const { vpi, vci } = a.nic.vcAddress(vc);
      this.srcAddress.set([0, 0, vpi >>> 8, vpi & 0xff, vci >>> 8, vci & 0xff]);
      this.kernels = new ChecksumKernels(a.nic.sim.runtime);
    } else {
      const nic = options.nic!;
      this.eth = nic;
      this.atm = undefined;
      this.vc = -1;
      const macs = options.members!.map((m, i) => {
        const mac = typeof m === "string" ? macFromString(m, `${name}.members[${i}]`) : m;
        if (!Number.isInteger(mac) || mac < 0 || mac >= 2 ** 48 || isGroupMac(mac)) {
          throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(m)} is not a unicast MAC address`, {
            path: `${name}.members[${i}]`,
          });
        }
        return mac;
      });
      if (macs[this.rank] !== nic.mac) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `members[${this.rank}] is not the MAC of ${nic.name}, the NIC of member ${this.rank}`,
          {
            path: `${name}.members`,
          },
        );
      }
      const et = options.etherType ?? ACCEL_ETHERTYPE;
      if (!Number.isInteger(et) || et < 0x0600 || et > 0xffff) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(et)} is not an EtherType (0x0600 to 0xffff)`, {
          path: `${name}.etherType`,
        });
      }
      this.etherType = et;
      this.myMac = macs[this.rank]!;
      this.peerMac = macs[this.peer]!;
      writeMac(this.srcAddress, 0, this.myMac);
      writeMac(this.dstAddress, 0, this.peerMac);
      this.linkBytes = ETH_HEADER_LEN;
      this.linkMax = ETH_MTU;
      this.kernels = new ChecksumKernels(nic.sim.runtime);
    }
    this.headroom = this.linkBytes + MINI_HEADER_LEN + CONN_ID_LEN + ACCEL_HEADER_LEN;
    this.maxMessage =
      Math.min(this.linkMax, this.frames.pool.slotBytes - this.linkBytes) -
      (MINI_HEADER_LEN + CONN_ID_LEN + ACCEL_HEADER_LEN);
    if (this.maxMessage < 1) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `the frame slots (${this.frames.pool.slotBytes} bytes) leave no room for a message`,
        {
          path: `${name}.layers`,
        },
      );
    }
    this.ring = new Int32Array(this.ringSize).fill(NO_FRAME);
    this.reorder = new Int32Array(this.window).fill(NO_FRAME);
    this.backlogQ = new Int32Array(this.backlogLimit);
    // A 62-bit cookie from this stack's own random stream: never 0, so a zeroed header is not one.
    const rng = sim.scheduler.rng(`accel:${name}`);
    this.cookieHi = (rng.nextU32() & 0x3fff_ffff) | 1;
    this.cookieLo = rng.nextU32();
    this.buildTxTemplate();
    this.buildRxTemplate();
    this.id = sim.register(name, this);
    this.client = this.cpu.addClient(this);
    if (this.atm !== undefined) {
      const atm = this.atm;
      atm.setReceiver({
        deliver: (vc, ptr, length) => {
          if (vc !== this.vc) {
            this.d.unknownVc++;
            return false;
          }
          if (this.destroyed || !this.cpu.submit(this.client, JOB_RX, ptr, length)) {
            this.d.rxCpuQueue++;
            return false;
          }
          return true;
        },
      });
    } else {
      const eth = this.eth!;
      eth.setReceiver({
        onFrame: (_nic, frame) => {
          if (this.destroyed || !this.cpu.submit(this.client, JOB_RX, frame, 0)) {
            this.d.rxCpuQueue++;
            eth.consume(frame);
          }
        },
      });
    }
  }

  get now(): number {
    return this.sim.scheduler.now;
  }

  /** The accelerator needs no set-up before it sends (the cookie travels with the first frames). */
  isReady(_peer: number): boolean {
    return true;
  }

  setApp(app: MessageApp | undefined): void {
    this.app = app;
  }

  /** A message buffer of `length` bytes for send(), or NO_FRAME when no frame slot is free. */
  allocMessage(length: number): number {
    if (!Number.isInteger(length) || length < 0 || length > this.maxMessage) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${String(length)} is not a message length (0 to ${this.maxMessage})`,
        { path: "length" },
      );
    }
    const f = this.frames.alloc(this.headroom, this.now);
    if (f === NO_FRAME) {
      this.d.noSlot++;
      return NO_FRAME;
    }
    this.frames.setLength(f, length);
    return f;
  }

  /** Sends `frame` to the peer (dst ALL or the peer's rank). Takes ownership; false = refused. */
  send(frame: number, dst: number = ALL): boolean {
    if (dst !== ALL && dst !== this.peer) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(dst)} is not the other member's rank or ALL`, {
        path: "dst",
      });
    }
    if (this.frames.length[frame]! > this.maxMessage) {
      this.d.tooLong++;
      this.frames.release(frame);
      return false;
    }
    if (this.destroyed || !this.cpu.submit(this.client, JOB_SEND, frame, 0)) {
      this.d.cpuQueue++;
      this.frames.release(frame);
      return false;
    }
    return true;
  }

  // --- CPU jobs ---

  runJob(kind: number, a: number, b: number): void {
    if (this.destroyed) return this.dropJob(kind, a, b);
    switch (kind) {
      case JOB_SEND:
        return this.onAppSend(a);
      case JOB_RX:
        return this.onReceive(a, b);
      case JOB_POST_SEND:
        return this.postSend(a);
      case JOB_POST_RX:
        return this.postReceive(a);
      case JOB_DRAIN:
        this.drainQueued = false;
        this.chargeOps(ACCEL_FILTER_OPS);
        return this.drain();
      case JOB_TIMER:
        this.cpu.chargeOp(CpuOp.LAYER_CROSSING);
        return this.timer(a);
    }
  }

  dropJob(kind: number, a: number, _b: number): void {
    if (kind === JOB_SEND) this.frames.release(a);
    else if (kind === JOB_RX) {
      if (this.atm !== undefined) this.atm.returnBuffer(a);
      else this.eth!.consume(a);
    } else if (kind === JOB_DRAIN) this.drainQueued = false;
  }

  private chargeOps(n: number): void {
    this.cpu.charge(CpuOp.HANDLER_DISPATCH, n * this.cpu.profile.handlerDispatchNs);
  }

  private chargeCrossings(n: number): void {
    for (let i = 0; i < n; i++) this.cpu.chargeOp(CpuOp.LAYER_CROSSING);
  }

  /**
   * Post-processing runs each stateful layer's state update only (profile layerState): the
   * header work and the call through the layer interface are what the accelerator removed.
   */
  private chargePostProcessing(n: number): void {
    this.cpu.charge(CpuOp.LAYER_CROSSING, n * this.cpu.profile.layerStateNs);
  }

  // --- send side ---

  private onAppSend(msg: number): void {
    this.c.sent++;
    this.chargeOps(ACCEL_FILTER_OPS);
    if (this.blLen === 0 && this.sendReady && this.room() > 0 && !this.nicBusy()) {
      this.transmitData(msg, 1);
      return;
    }
    if (this.blLen === this.backlogLimit) {
      this.c.backlogDrops++;
      this.frames.release(msg);
      return;
    }
    let i = this.blHead + this.blLen;
    if (i >= this.backlogLimit) i -= this.backlogLimit;
    this.backlogQ[i] = msg;
    this.blLen++;
    this.c.backlogged++;
    if (this.sendReady) this.wakeDrain();
  }

  /** Messages the window (FC credit, retransmit ring) lets go now. */
  private room(): number {
    const out = seqDiff(this.nextSeq, this.acked);
    const ring = this.ringSize - seqDiff(this.nextSeq, this.base);
    return Math.max(0, Math.min(this.fcWindow - out, ring));
  }

  /** ATM: cells of earlier PDUs still wait in the transmitter (the backlog packs meanwhile). */
  private nicBusy(): boolean {
    return this.atm !== undefined && this.atm.txBusyUntil() > this.now;
  }

  /** Queues a drain job when the backlog can move (or an event for when the NIC is free). */
  private wakeDrain(): void {
    if (this.drainQueued || this.blLen === 0 || !this.sendReady || this.room() === 0) return;
    this.drainQueued = true;
    if (this.nicBusy()) {
      this.sim.scheduler.scheduleAt(this.id, this.atm!.txBusyUntil(), this.id, EV_DRAIN, 0, 0, 0);
    } else if (!this.cpu.submit(this.client, JOB_DRAIN, 0, 0)) {
      this.sim.scheduler.schedule(this.id, RETRY_NS, this.id, EV_DRAIN, 0, 0, 0);
    }
  }

  private drain(): void {
    if (this.blLen === 0 || !this.sendReady) return;
    const room = this.room();
    if (room === 0) return;
    if (this.nicBusy()) return this.wakeDrain();
    const frames = this.frames;
    const limit = this.maxMessage;
    // How many fit in one frame: as a single DATA message, or packed with a length each.
    let n = 0;
    let bytes = 0;
    while (n < this.blLen && n < room && n < this.maxPack) {
      const len = frames.length[this.backlogQ[(this.blHead + n) % this.backlogLimit]!]!;
      if (n > 0 && bytes + PACKED_ITEM_HEADER + len > limit) break;
      bytes += PACKED_ITEM_HEADER + len;
      n++;
    }
    if (n === 1 || bytes > limit) {
      const msg = this.takeBacklog();
      this.transmitData(msg, 1);
      return;
    }
    const packed = frames.alloc(this.headroom, this.now);
    if (packed === NO_FRAME) {
      // Try again when something frees a slot: the next ack or post-processing.
      this.d.noSlot++;
      return;
    }
    const u8 = this.u8;
    let at = frames.offset(packed);
    for (let k = 0; k < n; k++) {
      const msg = this.takeBacklog();
      const len = frames.length[msg]!;
      const from = frames.offset(msg);
      putU16(u8, at, len);
      this.sim.runtime.copy(at + PACKED_ITEM_HEADER, from, len);
      at += PACKED_ITEM_HEADER + len;
      this.cpu.chargeCopy(len);
      this.c.bytesCopied += len;
      frames.release(msg);
    }
    frames.setLength(packed, bytes);
    this.chargeOps(ACCEL_PACK_OPS * (n - 1));
    this.c.packedFrames++;
    this.c.packedMessages += n;
    this.transmitData(packed, n);
  }

  private takeBacklog(): number {
    const msg = this.backlogQ[this.blHead]!;
    this.blHead = this.blHead + 1 === this.backlogLimit ? 0 : this.blHead + 1;
    this.blLen--;
    return msg;
  }

  /**
   * The fast send of `body` (one message, or `count` packed): predicted header, message fields,
   * gossip, mini-header; kept in the ring; to the NIC; post-processing queued.
   */
  private transmitData(body: number, count: number): void {
    const seq = this.nextSeq;
    // The prediction the post-processing prepared; a stale one would be a bug of this module.
    if (getU32(this.txTemplate, 4) !== seq) this.buildTxTemplate();
    const f = this.wrap(body, count === 1 ? AccelKind.DATA : AccelKind.PACKED, 0, count, seq);
    if (f === NO_FRAME) return;
    this.nextSeq = seqAdd(seq, count);
    const frames = this.frames;
    for (let k = 0; k < count; k++) {
      frames.retain(f);
      this.ring[seqAdd(seq, k) & (this.ringSize - 1)] = f;
    }
    if (this.probeHandle < 0) {
      this.progress = false;
      this.probeHandle = this.setTimer(this.probe, T_PROBE);
    }
    this.cpu.chargeOp(CpuOp.DRIVER);
    this.c.fastSends++;
    this.transmit(f);
    // TOTAL: the sequencer's own messages take their place in the order as they are sent.
    if (this.total && this.rank === 0) {
      frames.retain(f);
      this.deliverLater(f, this.rank, OWN, count);
    }
    this.sendReady = false;
    this.sim.scheduler.schedule(this.id, this.cpu.deferDelay(), this.id, EV_POST_SEND, count, 0, 0);
  }

  /**
   * Puts the accelerated header (kind, flags, count, seq, gossip, length, checksum), the
   * connection identification while the peer may not know our cookie, the mini-header and
   * the link header in front of `f`'s bytes. Charges the checksum. Returns the frame.
   */
  private wrap(f: number, kind: number, flags: number, count: number, seq: number): number {
    const frames = this.frames;
    const u8 = this.u8;
    const bodyLen = frames.length[f]!;
    let off = frames.push(f, ACCEL_HEADER_LEN);
    const ack = this.expected;
    emitAccelHeader(u8, off, { kind, flags, count, seq, ack, length: bodyLen, checksum: 0 });
    putU16(u8, off + 14, this.kernels.internetChecksumAt(off, ACCEL_HEADER_LEN + bodyLen));
    this.cpu.chargeChecksum(ACCEL_HEADER_LEN + bodyLen);
    // The gossip carries the ack: nothing is owed any more.
    this.unacked = 0;
    const conn = !this.peerHasCookie;
    if (conn) {
      off = frames.push(f, CONN_ID_LEN);
      emitConnId(u8, off, {
        version: CONN_ID_VERSION,
        src: this.rank,
        dst: this.peer,
        members: 2,
        signature: this.signature,
        link: this.atm !== undefined ? AccelLink.ATM : AccelLink.ETHERNET,
        srcAddress: this.srcAddress,
        dstAddress: this.dstAddress,
      });
      this.c.connIdSent++;
    }
    off = frames.push(f, MINI_HEADER_LEN);
    emitMiniHeader(u8, off, conn, this.cookieHi, this.cookieLo);
    if (this.eth !== undefined) {
      off = frames.push(f, ETH_HEADER_LEN);
      writeMac(u8, off, this.peerMac);
      writeMac(u8, off + 6, this.myMac);
      putU16(u8, off + 12, this.etherType);
    }
    this.c.framesSent++;
    return f;
  }

  /** Offset of the accelerated header of a frame we built (link and mini-header in front). */
  private ownAccelAt(f: number): number {
    const at = this.frames.offset(f) + this.linkBytes;
    return at + MINI_HEADER_LEN + ((this.u8[at]! & MINI_CONN) !== 0 ? CONN_ID_LEN : 0);
  }

  private postSend(count: number): void {
    this.c.postSendJobs++;
    // The layers' bookkeeping of the frame just sent, then the prediction of the next header.
    this.chargePostProcessing(this.crossPost);
    this.chargeOps(ACCEL_PACK_OPS * (count - 1) + ACCEL_TEMPLATE_OPS);
    this.buildTxTemplate();
    this.sim.scheduler.schedule(this.id, this.cpu.deferDelay(), this.id, EV_POST_SEND_DONE, 0, 0, 0);
  }

  private buildTxTemplate(): void {
    const t = this.txTemplate;
    t[0] = AccelKind.DATA;
    t[1] = 0;
    putU16(t, 2, 1);
    putU32(t, 4, this.nextSeq);
  }

  private buildRxTemplate(): void {
    const t = this.rxTemplate;
    t[0] = AccelKind.DATA;
    t[1] = 0;
    putU16(t, 2, 1);
    putU32(t, 4, this.expected);
  }

  /** A standalone GOSSIP (ack / order point) or NAK frame; slow path (control) costs. */
  private sendControl(kind: number, seq: number, count: number): void {
    const f = this.frames.alloc(this.headroom, this.now);
    if (f === NO_FRAME) {
      this.d.noSlot++;
      return;
    }
    this.chargeCrossings(this.crossCtl);
    this.wrap(f, kind, 0, count, seq);
    this.cpu.chargeOp(CpuOp.DRIVER);
    if (kind === AccelKind.NAK) this.c.naksSent++;
    else this.c.gossipSent++;
    this.transmit(f);
  }

  private retransmit(seq: number): void {
    const kept = this.ring[seq & (this.ringSize - 1)]!;
    if (kept === NO_FRAME) return;
    const f = this.frames.clone(kept);
    if (f === NO_FRAME) {
      this.d.noSlot++;
      return;
    }
    const u8 = this.u8;
    const at = this.ownAccelAt(f);
    const len = getU16(u8, at + 12);
    // The gossip stays as sent: for TOTAL it is the frame's place in the order, not just an ack.
    u8[at + 1] = ACCEL_RETX;
    putU16(u8, at + 14, 0);
    putU16(u8, at + 14, this.kernels.internetChecksumAt(at, ACCEL_HEADER_LEN + len));
    this.chargeCrossings(this.crossCtl);
    this.cpu.chargeChecksum(ACCEL_HEADER_LEN + len);
    this.cpu.chargeOp(CpuOp.DRIVER);
    this.c.retransmitted++;
    this.c.framesSent++;
    this.transmit(f);
  }

  private transmit(f: number): void {
    this.hold(f);
    this.sim.scheduler.schedule(this.id, this.cpu.deferDelay(), this.id, EV_TX, f, 0, this.frames.length[f]!);
  }

  /** The peer delivered everything below `ack` (gossip): window, ring, TOTAL's order. */
  private onAck(ack: number): void {
    if (!seqGt(ack, this.acked) || seqGt(ack, this.nextSeq)) return;
    this.acked = ack;
    this.progress = true;
    this.peerHasCookie = true;
    this.releaseRing();
    this.wakeDrain();
  }

  /**
   * Frees ring slots the peer acknowledged. TOTAL, member 1: our own messages stay until we
   * delivered them to ourselves, which happens in the sequencer's order (deliverInOrder), not
   * when an ack arrives (an ack may come ahead of sequencer messages still missing).
   */
  private releaseRing(): void {
    const limit = this.total && this.rank === 1 && seqLt(this.selfNext, this.acked) ? this.selfNext : this.acked;
    const frames = this.frames;
    const mask = this.ringSize - 1;
    while (seqLt(this.base, limit)) {
      const i = this.base & mask;
      frames.release(this.ring[i]!);
      this.ring[i] = NO_FRAME;
      this.base = seqAdd(this.base, 1);
    }
  }

  /** TOTAL member 1: delivers own messages [selfNext, upTo) to ourselves, in order. */
  private selfDeliver(upTo: number): void {
    if (seqGt(upTo, this.acked)) upTo = this.acked;
    while (seqLt(this.selfNext, upTo)) {
      const q = this.selfNext;
      const f = this.ring[q & (this.ringSize - 1)]!;
      if (f === NO_FRAME) {
        this.selfNext = seqAdd(q, 1);
        continue;
      }
      const at = this.ownAccelAt(f);
      const first = getU32(this.u8, at + 4);
      const count = getU16(this.u8, at + 2);
      const idx = seqDiff(q, first);
      const n = Math.min(count - idx, seqDiff(upTo, q));
      this.frames.retain(f);
      this.deliverLater(f, this.rank, OWN | idx, n);
      this.c.selfDelivered += n;
      this.selfNext = seqAdd(q, n);
    }
    this.releaseRing();
    this.wakeDrain();
  }

  // --- receive side ---

  private onReceive(a: number, b: number): void {
    const cpu = this.cpu;
    const frames = this.frames;
    cpu.chargeOp(CpuOp.INTERRUPT);
    cpu.chargeOp(CpuOp.DRIVER);
    let f: number;
    let wire: number;
    if (this.atm !== undefined) {
      // The PDU is in the NIC's reassembly buffer: the emulator copies it into a frame slot.
      if (b > frames.pool.slotBytes) {
        this.atm.returnBuffer(a);
        this.d.tooLong++;
        return;
      }
      f = frames.alloc(0, this.now);
      if (f === NO_FRAME) {
        this.atm.returnBuffer(a);
        this.d.noSlot++;
        return;
      }
      this.sim.runtime.copy(frames.offset(f), a, b);
      frames.setLength(f, b);
      this.c.emulatorCopyBytes += b;
      this.atm.returnBuffer(a);
      wire = b;
    } else {
      frames.retain(a);
      this.eth!.consume(a);
      f = a;
      if (frames.isShared(f)) {
        f = frames.writable(f);
        if (f === NO_FRAME) {
          this.d.noSlot++;
          frames.release(a);
          return;
        }
      }
      wire = frames.length[f]! - ETH_FCS_LEN;
      if (wire < ETH_HEADER_LEN || getU16(this.u8, frames.offset(f) + 12) !== this.etherType)
        return this.drop(f, "badEtherType");
      wire -= ETH_HEADER_LEN;
      frames.pop(f, ETH_HEADER_LEN);
    }
    const u8 = this.u8;
    let off = frames.offset(f);
    const mini = parseMiniHeader(u8, off, wire);
    if (mini === null) return this.drop(f, "badHeader");
    if (mini.littleEndian) return this.drop(f, "badByteOrder");
    let skip = MINI_HEADER_LEN;
    if (mini.conn) {
      const id = parseConnId(u8, off + MINI_HEADER_LEN, wire - MINI_HEADER_LEN);
      const link = this.atm !== undefined ? AccelLink.ATM : AccelLink.ETHERNET;
      if (
        id === null ||
        id.src !== this.peer ||
        id.dst !== this.rank ||
        id.members !== 2 ||
        id.signature !== this.signature ||
        id.link !== link ||
        (this.eth !== undefined && !sameBytes(id.srcAddress, this.dstAddress))
      ) {
        return this.drop(f, "badConnId");
      }
      skip += CONN_ID_LEN;
    } else if (!this.peerCookieKnown || mini.cookieHi !== this.peerCookieHi || mini.cookieLo !== this.peerCookieLo) {
      return this.drop(f, "unknownCookie");
    }
    off += skip;
    const avail = wire - skip;
    const h = parseAccelHeader(u8, off, avail, this.atm !== undefined);
    if (h === null) return this.drop(f, "badHeader");
    cpu.chargeChecksum(ACCEL_HEADER_LEN + h.length);
    if (this.kernels.internetChecksumAt(off, ACCEL_HEADER_LEN + h.length) !== 0) return this.drop(f, "badChecksum");
    if (mini.conn) {
      // Only an intact frame may (re)define the cookie -> connection mapping.
      this.peerCookieKnown = true;
      this.peerCookieHi = mini.cookieHi;
      this.peerCookieLo = mini.cookieLo;
      this.c.connIdReceived++;
    }
    // From here on the frame is the accelerated header and its body.
    frames.pop(f, skip);
    frames.setLength(f, ACCEL_HEADER_LEN + h.length);
    this.c.framesReceived++;
    if (h.kind === AccelKind.DATA || h.kind === AccelKind.PACKED) {
      // The packet filter: the protocol fields against the predicted header.
      this.chargeOps(ACCEL_FILTER_OPS);
      const t = this.rxTemplate;
      const hit = this.rxReady && u8[off + 1] === t[1] && getU32(u8, off + 4) === getU32(t, 4);
      if (hit) {
        this.c.predictionHits++;
        this.onAck(h.ack);
        this.deliverInOrder(f, h.count, h.ack);
        this.rxReady = false;
        this.sim.scheduler.schedule(this.id, cpu.deferDelay(), this.id, EV_POST_RX, 0, 0, 0);
        return;
      }
      this.c.predictionMisses++;
      if (!this.rxReady) this.c.notReady++;
      this.chargeCrossings(this.crossAll);
      this.onAck(h.ack);
      this.onDataSlow(f, h.seq, h.count, h.ack);
      this.ackPolicy();
      this.buildRxTemplate();
      return;
    }
    this.chargeCrossings(this.crossCtl);
    frames.release(f);
    if (h.kind === AccelKind.GOSSIP) {
      this.c.gossipReceived++;
      this.onAck(h.ack);
      if (this.total && this.rank === 1) {
        this.orderHint = h.ack;
        this.orderHintSeq = h.seq;
        this.applyOrderHint();
      }
      // A gossip frame from beyond what we have means its sender's tail was lost: ask.
      if (seqGt(h.seq, this.highest)) {
        const from = seqGt(this.highest, this.expected) ? this.highest : this.expected;
        this.highest = h.seq;
        this.sendControl(AccelKind.NAK, from, seqDiff(h.seq, from));
        this.armNak();
      }
    } else {
      this.c.naksReceived++;
      const n = Math.min(h.count, this.ringSize);
      let last = NO_FRAME;
      for (let k = 0; k < n; k++) {
        const q = seqAdd(h.seq, k);
        if (!seqLt(q, this.nextSeq) || seqLt(q, this.base)) continue;
        const kept = this.ring[q & (this.ringSize - 1)]!;
        if (kept === last) continue; // one packed frame covers several
        last = kept;
        this.retransmit(q);
      }
    }
  }

  /** Slow path of a data frame: duplicates, gaps (NAK), the reorder window, in-order delivery. */
  private onDataSlow(f: number, seq: number, count: number, ack: number): void {
    const d = seqDiff(seq, this.expected);
    if (d < 0) {
      this.c.duplicates++;
      this.frames.release(f);
      this.sendControl(AccelKind.GOSSIP, this.nextSeq, 0); // the sender is probing or repairing: tell it
      return;
    }
    if (d + count > this.window) {
      this.c.beyondWindow++;
      this.frames.release(f);
      return;
    }
    const end = seqAdd(seq, count);
    if (seqGt(end, this.highest)) {
      const from = seqGt(this.highest, this.expected) ? this.highest : this.expected;
      if (seqGt(seq, from)) this.sendControl(AccelKind.NAK, from, seqDiff(seq, from));
      this.highest = end;
    }
    if (d > 0) {
      const slot = seq & (this.window - 1);
      if (this.reorder[slot] !== NO_FRAME) {
        this.c.duplicates++;
        this.frames.release(f);
        return;
      }
      this.reorder[slot] = f;
      this.armNak();
      return;
    }
    this.deliverInOrder(f, count, ack);
    for (;;) {
      const slot = this.expected & (this.window - 1);
      const g = this.reorder[slot]!;
      if (g === NO_FRAME) break;
      this.reorder[slot] = NO_FRAME;
      const at = this.frames.offset(g);
      this.deliverInOrder(g, getU16(this.u8, at + 2), getU32(this.u8, at + 8));
    }
  }

  /** Delivers the next frame of the peer's stream (its order point applied first, for TOTAL). */
  private deliverInOrder(f: number, count: number, ack: number): void {
    if (this.total && this.rank === 1) this.selfDeliver(ack);
    this.expected = seqAdd(this.expected, count);
    if (!seqLt(this.expected, this.highest)) this.highest = this.expected;
    this.unacked += count;
    this.deliverLater(f, this.peer, 0, count);
    if (this.total && this.rank === 1) this.applyOrderHint();
  }

  /** TOTAL member 1: a gossip order point applies once the peer's stream before it is delivered. */
  private applyOrderHint(): void {
    if (!seqLt(this.expected, this.orderHintSeq)) this.selfDeliver(this.orderHint);
  }

  /**
   * Schedules the upcalls of `count` messages of frame `f` (from message `b & 0x7fff`; b & OWN:
   * one of our frames, headers still on) at the moment the running job reaches them; one
   * reference to the frame goes with it.
   */
  private deliverLater(f: number, src: number, b: number, count: number): void {
    this.chargeOps(count);
    this.hold(f);
    this.sim.scheduler.schedule(this.id, this.cpu.deferDelay(), this.id, EV_DELIVER, f, (src << 16) | b, count);
  }

  private postReceive(_a: number): void {
    this.c.postReceiveJobs++;
    this.chargePostProcessing(this.crossPost);
    this.chargeOps(ACCEL_TEMPLATE_OPS);
    this.ackPolicy();
    this.buildRxTemplate();
    this.sim.scheduler.schedule(this.id, this.cpu.deferDelay(), this.id, EV_POST_RX_DONE, 0, 0, 0);
  }

  /** NAK's ack decisions: an ack frame after ackEvery deliveries, else after ackDelay. */
  private ackPolicy(): void {
    if (this.unacked >= this.ackEvery) this.sendControl(AccelKind.GOSSIP, this.nextSeq, 0);
    else if (this.unacked > 0 && this.ackHandle < 0) this.ackHandle = this.setTimer(this.ackDelay, T_ACK);
  }

  private armNak(): void {
    if (this.nakHandle < 0) this.nakHandle = this.setTimer(this.nakRetry, T_NAK);
  }

  private timer(arg: number): void {
    if (arg === T_PROBE) {
      this.probeHandle = -1;
      if (this.acked === this.nextSeq) return;
      if (!this.progress) {
        this.c.probes++;
        this.retransmit(seqAdd(this.nextSeq, -1));
      }
      this.progress = false;
      this.probeHandle = this.setTimer(this.probe, T_PROBE);
    } else if (arg === T_NAK) {
      this.nakHandle = -1;
      if (!seqLt(this.expected, this.highest)) return;
      let n = 1;
      while (
        n < this.window &&
        seqLt(seqAdd(this.expected, n), this.highest) &&
        this.reorder[(this.expected + n) & (this.window - 1)] === NO_FRAME
      )
        n++;
      this.sendControl(AccelKind.NAK, this.expected, n);
      this.armNak();
    } else if (arg === T_ACK) {
      this.ackHandle = -1;
      if (this.unacked > 0) this.sendControl(AccelKind.GOSSIP, this.nextSeq, 0);
    }
  }

  private setTimer(delay: number, arg: number): number {
    const d = delay + (this.cpu.inJob ? this.cpu.deferDelay() : 0);
    return this.sim.scheduler.schedule(this.id, d, this.id, EV_TIMER, arg, 0, 0);
  }

  private hold(f: number): void {
    this.pending.set(f, (this.pending.get(f) ?? 0) + 1);
  }

  private unhold(f: number): void {
    const n = this.pending.get(f)!;
    if (n === 1) this.pending.delete(f);
    else this.pending.set(f, n - 1);
  }

  private drop(f: number, why: DropName): void {
    this.d[why]++;
    this.frames.release(f);
  }

  // --- events ---

  handleEvent(kind: number, a: number, b: number, len: number): void {
    if (this.destroyed) return;
    switch (kind) {
      case EV_TX:
        this.unhold(a);
        if (this.atm !== undefined) {
          if (!this.atm.send(this.vc, a)) this.d.txRefused++;
        } else if (!this.eth!.send(a)) {
          this.d.txRefused++;
        }
        return;
      case EV_DELIVER:
        this.unhold(a);
        this.upcall(a, b >>> 16, b & 0xffff, len);
        this.frames.release(a);
        return;
      case EV_POST_SEND:
        if (!this.cpu.submit(this.client, JOB_POST_SEND, a, 0))
          this.sim.scheduler.schedule(this.id, RETRY_NS, this.id, EV_POST_SEND, a, 0, 0);
        return;
      case EV_POST_SEND_DONE:
        this.sendReady = true;
        this.wakeDrain();
        return;
      case EV_POST_RX:
        if (!this.cpu.submit(this.client, JOB_POST_RX, 0, 0))
          this.sim.scheduler.schedule(this.id, RETRY_NS, this.id, EV_POST_RX, 0, 0, 0);
        return;
      case EV_POST_RX_DONE:
        this.rxReady = true;
        return;
      case EV_TIMER:
        if (!this.cpu.submit(this.client, JOB_TIMER, a, 0))
          this.sim.scheduler.schedule(this.id, RETRY_NS, this.id, EV_TIMER, a, 0, 0);
        return;
      case EV_DRAIN:
        this.drainQueued = false;
        this.wakeDrain();
        return;
    }
  }

  /** Hands messages [first, first + count) of frame `f` to the application. */
  private upcall(f: number, src: number, b: number, count: number): void {
    const u8 = this.u8;
    const at = (b & OWN) !== 0 ? this.ownAccelAt(f) : this.frames.offset(f);
    const first = b & 0x7fff;
    const body = at + ACCEL_HEADER_LEN;
    this.c.delivered += count;
    if (u8[at] === AccelKind.DATA) {
      this.app?.onMessage(this, body, getU16(u8, at + 12), src);
      return;
    }
    let p = body;
    for (let i = 0; i < first + count; i++) {
      const len = getU16(u8, p);
      if (i >= first) this.app?.onMessage(this, p + PACKED_ITEM_HEADER, len, src);
      p += PACKED_ITEM_HEADER + len;
    }
  }

  // --- stats, lifecycle ---

  /** The predicted header of the next send and of the next delivery (kind, flags, count, seq). */
  predictions(): { send: Uint8Array; receive: Uint8Array; sendReady: boolean; receiveReady: boolean } {
    return {
      send: this.txTemplate.slice(),
      receive: this.rxTemplate.slice(),
      sendReady: this.sendReady,
      receiveReady: this.rxReady,
    };
  }

  stats(): AcceleratedStackStats {
    return {
      name: this.name,
      configuration: this.configuration,
      layers: [...this.layerNames],
      maxMessage: this.maxMessage,
      headroom: this.headroom,
      ...this.c,
      unacknowledged: seqDiff(this.nextSeq, this.acked),
      backlog: this.blLen,
      drops: { ...this.d },
    };
  }

  /** Releases every frame held (ring, reorder window, backlog, pending events); detaches. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    const frames = this.frames;
    for (const arr of [this.ring, this.reorder]) {
      for (let i = 0; i < arr.length; i++) {
        if (arr[i]! !== NO_FRAME) frames.release(arr[i]!);
        arr[i] = NO_FRAME;
      }
    }
    while (this.blLen > 0) frames.release(this.takeBacklog());
    for (const [f, n] of this.pending) for (let k = 0; k < n; k++) frames.release(f);
    this.pending.clear();
    for (const h of [this.probeHandle, this.nakHandle, this.ackHandle]) if (h >= 0) this.sim.scheduler.cancel(h);
    this.probeHandle = this.nakHandle = this.ackHandle = -1;
    if (this.atm !== undefined) this.atm.setReceiver(undefined);
    else this.eth!.setReceiver(undefined);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
