// AtmComLayer: COM over an AtmNic. The bottom layer of a layered stack whose members talk over
// AAL5 virtual circuits, one circuit per other member (a point-to-point OC-3 path, possibly
// through ATM switches).
//
// Contract:
// - Wire format: the AAL5 CPCS-PDU payload is the COM header of com.ts, byte for byte, then the
//   message; no Ethernet header (the circuit names the peer), and the header's length is the
//   whole PDU (AAL5 carries the exact length).
// - Circuits: `vcs[r]` is the AtmNic circuit index (from openVc) to member r, -1 for this
//   member. dst = r goes on vcs[r]; dst ALL goes on every other member's circuit (one PDU per
//   circuit: ATM has no group address here). NIC refusals are counted there (txDrops) and here
//   (txRefused).
// - Receive keeps the NIC's reassembly buffer until the CPU job runs, so the NIC runs short of
//   buffers while the CPU is busy, as a real host's would. Dropped and counted: unknownVc,
//   badHeader (version, length, a source that is not the circuit's member), badChecksum,
//   notForUs, tooLong (larger than a frame slot), noSlot.
// - Provides DATAGRAM; requires nothing; bottom layer only. Largest message: the NIC's maxPdu
//   (9180 by default, RFC 2225) less 8, so FRAG is not needed below ~9 KB.
// - Not handled: signalling (circuits are opened by the caller), point-to-multipoint circuits,
//   several stacks on one NIC (COM owns the NIC's receiver).

import { ErrorCode, NetloomError } from "../../base/errors.js";
import { NO_FRAME } from "../../buf/frames.js";
import type { AtmNic } from "../../devices/atm-nic.js";
import { CpuOp } from "../cost.js";
import { COM_HEADER_LEN, ComBase, checkComHeader, type ComBottom } from "./com.js";
import { ALL, type StackContext } from "./layer.js";

export interface AtmComOptions {
  nic: AtmNic;
  /** Circuit index (AtmNic.openVc) to each member by rank; -1 for this member. */
  vcs: readonly number[];
}

export interface AtmComStats {
  txFrames: number;
  txRefused: number;
  rxFrames: number;
  unknownVc: number;
  badHeader: number;
  badChecksum: number;
  notForUs: number;
  tooLong: number;
  noSlot: number;
  emulatorCopyBytes: number;
}

/** Packs (circuit, PDU length) into one job argument (both < 2^16). */
function packRx(vc: number, length: number): number {
  return (vc << 16) | length | 0;
}

/**
 * The AAL5 trailer's CRC-32 already protects the PDU; the COM checksum stays so that the layer
 * does (and is charged for) the same work on both networks, which a comparison of the two needs.
 */
export class AtmComLayer extends ComBase<AtmComStats> implements ComBottom {
  readonly linkHeaderBytes = 0;
  readonly nic: AtmNic;
  /** Circuit by member rank (-1: self). */
  readonly vcs: Int32Array;
  /** Member rank by circuit index (-1: not a member's circuit). */
  private readonly rankOfVc: Int32Array;

  constructor(options: AtmComOptions, path: string) {
    super(
      {
        txFrames: 0,
        txRefused: 0,
        rxFrames: 0,
        unknownVc: 0,
        badHeader: 0,
        badChecksum: 0,
        notForUs: 0,
        tooLong: 0,
        noSlot: 0,
        emulatorCopyBytes: 0,
      },
      options.nic.sim.runtime,
    );
    this.nic = options.nic;
    const vcs = options.vcs;
    if (!Array.isArray(vcs) || vcs.length < 2 || vcs.length > 254) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `a group has 2 to 254 members, not ${Array.isArray(vcs) ? vcs.length : String(vcs)}`,
        {
          path: `${path}.atm.vcs`,
        },
      );
    }
    this.vcs = new Int32Array(vcs.length);
    this.rankOfVc = new Int32Array(this.nic.maxVcs).fill(-1);
    vcs.forEach((vc, r) => {
      const at = `${path}.atm.vcs[${r}]`;
      if (vc === -1) {
        this.vcs[r] = -1;
        return;
      }
      if (!Number.isInteger(vc) || vc < 0 || vc >= this.nic.maxVcs) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `${String(vc)} is not a circuit index of ${this.nic.name} (0 to ${this.nic.maxVcs - 1}, or -1 for this member)`,
          {
            path: at,
          },
        );
      }
      const { vpi, vci } = this.nic.vcAddress(vc);
      if (this.nic.vcOf(vpi, vci) !== vc) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `circuit ${vc} is not open on ${this.nic.name} (openVc first)`,
          { path: at },
        );
      }
      if (this.rankOfVc[vc] !== -1) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          `circuit ${vc} already leads to member ${this.rankOfVc[vc]}`,
          { path: at },
        );
      }
      this.vcs[r] = vc;
      this.rankOfVc[vc] = r;
    });
  }

  override init(ctx: StackContext, index: number): void {
    super.init(ctx, index);
    for (let r = 0; r < this.vcs.length; r++) {
      if ((this.vcs[r] === -1) !== (r === ctx.rank)) {
        throw new NetloomError(
          ErrorCode.INVALID_ARGUMENT,
          r === ctx.rank
            ? `this member (rank ${r}) needs -1, not a circuit`
            : `member ${r} needs a circuit (only this member's entry is -1)`,
          { path: `${ctx.name}.atm.vcs[${r}]` },
        );
      }
    }
  }

  override maxMessage(_below: number): number {
    return this.nic.maxPdu - COM_HEADER_LEN;
  }

  send(msg: number, dst: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    msg = this.pushHeader(msg, dst);
    if (msg === NO_FRAME) return;
    ctx.cpu.chargeOp(CpuOp.DRIVER);
    this.c.txFrames++;
    if (dst !== ALL) {
      ctx.transmit(msg, this.vcs[dst]!);
      return;
    }
    // One PDU per other member; the NIC only reads the frame, so the copies share it.
    let last = -1;
    for (let r = 0; r < this.vcs.length; r++) if (r !== ctx.rank) last = r;
    for (let r = 0; r < this.vcs.length; r++) {
      if (r === ctx.rank) continue;
      if (r !== last) frames.retain(msg);
      ctx.transmit(msg, this.vcs[r]!);
    }
  }

  attachReceiver(rx: (a: number, b: number) => boolean): void {
    this.nic.setReceiver({
      deliver: (vc, ptr, length) => {
        if (this.rankOfVc[vc] === -1) {
          this.c.unknownVc++;
          return false;
        }
        return rx(ptr, packRx(vc, length));
      },
    });
  }

  dropReceived(ptr: number, _b: number): void {
    this.nic.returnBuffer(ptr);
  }

  transmitNow(frame: number, vc: number): void {
    if (!this.nic.send(vc, frame)) this.c.txRefused++;
  }

  detach(): void {
    this.nic.setReceiver(undefined);
  }

  /**
   * A PDU in the NIC's buffer `ptr`, b = packRx(vc, length) (inside a CPU job, the interrupt
   * already charged): charges driver work and the checksum, copies the PDU into a frame slot and
   * returns the buffer. That copy is the emulator's, not the model's (a kernel driver would hand
   * its DMA buffer up, but netloom layers keep, pop and hand on frame slots): it is not charged
   * to the CPU nor counted in bytesCopied, only as emulatorCopyBytes. Sending copies nothing.
   */
  receive(ptr: number, b: number): void {
    const ctx = this.ctx;
    const frames = ctx.frames;
    const vc = (b >>> 16) & 0xffff;
    const pdu = b & 0xffff;
    ctx.cpu.chargeOp(CpuOp.DRIVER);
    if (pdu > frames.pool.slotBytes) {
      this.nic.returnBuffer(ptr);
      this.c.tooLong++;
      return;
    }
    const f = frames.alloc(0, ctx.now);
    if (f === NO_FRAME) {
      this.nic.returnBuffer(ptr);
      this.c.noSlot++;
      return;
    }
    const u8 = ctx.u8;
    const off = frames.offset(f);
    ctx.runtime.copy(off, ptr, pdu);
    frames.setLength(f, pdu);
    this.c.emulatorCopyBytes += pdu;
    this.nic.returnBuffer(ptr);
    if (pdu < COM_HEADER_LEN) return this.drop(f, "badHeader");
    const src = u8[off + 1]!;
    const dst = u8[off + 2]!;
    // AAL5 delimits the PDU exactly: the length field must be all of it.
    const problem = checkComHeader(ctx, this.kernels, off, pdu, pdu);
    if (problem !== undefined) return this.drop(f, problem);
    if (src !== this.rankOfVc[vc]) return this.drop(f, "badHeader");
    if (dst !== ALL && dst !== ctx.rank) return this.drop(f, "notForUs");
    frames.pop(f, COM_HEADER_LEN);
    this.c.rxFrames++;
    ctx.up(this.index, f, src);
  }
}
