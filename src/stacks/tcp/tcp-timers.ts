// The timers of one TCP connection: retransmission (RTO), delayed ACK, persist, keep-alive and
// TIME-WAIT, as events of the TcpLayer (kind = TcpTimer.*, a = connection slot, b = generation).
//
// Contract:
// - TcpTimers owns the handles and deadlines; what a firing timer does belongs to the part that
//   owns the concern (TcpConnection.handleTimer dispatches). A handle of -1 means no event is
//   pending; a deadline of 0 means the timer is off.
// - The RTO and delayed-ACK timers are lazy: pushing one back (the RTO on every ack) only moves
//   its deadline, and the pending event re-arms itself when it fires early (rtxDue, delackDue),
//   so the per-segment path neither cancels nor reschedules.
// - cancelAll() when the connection closes: no event of it fires afterwards, and the layer
//   ignores events of an earlier connection in the same slot by its generation.

import type { ResolvedTcpOptions } from "./tcp-options.js";
import type { TcpEndpoint, TcpLayerPort } from "./tcp-port.js";
import { TcpTimer } from "./tcp-types.js";

export class TcpTimers {
  rtxHandle = -1;
  rtxEventAt = 0;
  rtxDeadline = 0;
  delackHandle = -1;
  delackDeadline = 0;
  persistHandle = -1;
  persistBackoff = 0;
  keepHandle = -1;
  /** Time of the last segment received, and the keep-alive probes unanswered since. */
  lastRx = 0;
  keepProbes = 0;
  twHandle = -1;
  private readonly ep: TcpEndpoint;
  private readonly port: TcpLayerPort;
  private readonly opt: ResolvedTcpOptions;

  constructor(ep: TcpEndpoint, port: TcpLayerPort, opt: ResolvedTcpOptions) {
    this.ep = ep;
    this.port = port;
    this.opt = opt;
  }

  /** RTO at `deadline` (absolute ns); an event that fires before it re-arms itself. */
  armRtx(deadline: number): void {
    this.rtxDeadline = deadline;
    if (this.rtxHandle >= 0 && this.rtxEventAt <= deadline) return; // fires early, then re-arms
    if (this.rtxHandle >= 0) this.port.cancel(this.rtxHandle);
    this.scheduleRtxEvent(deadline);
  }

  private scheduleRtxEvent(at: number): void {
    this.rtxEventAt = at;
    this.rtxHandle = this.port.schedule(this.ep, at - this.port.sim.now, TcpTimer.RTX);
  }

  /** The RTO event fired: true when its deadline has come (it is then off). */
  rtxDue(): boolean {
    this.rtxHandle = -1;
    if (this.rtxDeadline === 0) return false;
    if (this.port.sim.now < this.rtxDeadline) {
      this.scheduleRtxEvent(this.rtxDeadline);
      return false;
    }
    this.rtxDeadline = 0;
    return true;
  }

  armDelack(): void {
    if (this.delackDeadline !== 0) return;
    this.delackDeadline = this.port.sim.now + this.opt.delayedAck;
    if (this.delackHandle < 0) this.delackHandle = this.port.schedule(this.ep, this.opt.delayedAck, TcpTimer.DELACK);
  }

  /** The delayed-ACK event fired: true when an ack is owed now. */
  delackDue(ackPending: number): boolean {
    this.delackHandle = -1;
    if (this.delackDeadline === 0 || ackPending === 0) return false;
    const now = this.port.sim.now;
    if (now < this.delackDeadline) {
      this.delackHandle = this.port.schedule(this.ep, this.delackDeadline - now, TcpTimer.DELACK);
      return false;
    }
    return true;
  }

  /** Persist timer: the RTO (initial RTO before the handshake) doubled per unanswered probe. */
  armPersist(): void {
    if (this.persistHandle >= 0) return;
    const base = this.ep.kernelOpen ? this.port.table.rto(this.ep.slot) : this.opt.initialRto;
    const delay = Math.min(base * 2 ** Math.min(this.persistBackoff, 20), this.opt.maxRto);
    this.persistHandle = this.port.schedule(this.ep, delay, TcpTimer.PERSIST);
  }

  stopPersist(): void {
    this.persistBackoff = 0;
    if (this.persistHandle >= 0) {
      this.port.cancel(this.persistHandle);
      this.persistHandle = -1;
    }
  }

  armTimeWait(): void {
    if (this.twHandle >= 0) this.port.cancel(this.twHandle);
    this.twHandle = this.port.schedule(this.ep, this.opt.timeWait, TcpTimer.TIME_WAIT);
  }

  /** Starts keep-alive (when enabled) counting from now. */
  armKeepAlive(): void {
    if (!this.opt.keepAlive) return;
    this.lastRx = this.port.sim.now;
    this.keepHandle = this.port.schedule(this.ep, this.opt.keepIdle, TcpTimer.KEEPALIVE);
  }

  scheduleKeepAlive(delay: number): void {
    this.keepHandle = this.port.schedule(this.ep, delay, TcpTimer.KEEPALIVE);
  }

  /** Every timer off (the connection closed). */
  cancelAll(): void {
    const port = this.port;
    for (const h of [this.rtxHandle, this.delackHandle, this.persistHandle, this.keepHandle, this.twHandle])
      if (h >= 0) port.cancel(h);
    this.rtxHandle = this.delackHandle = this.persistHandle = this.keepHandle = this.twHandle = -1;
    this.rtxDeadline = 0;
    this.delackDeadline = 0;
  }
}
