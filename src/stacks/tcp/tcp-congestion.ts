// Congestion control of one TCP connection: slow start with RFC 3465 byte counting (L = 2 SMSS),
// congestion avoidance, fast retransmit / fast recovery ending NewReno-style at `recover` (RFC
// 5681, RFC 6582), and the loss window after a retransmission timeout.
//
// Contract:
// - TcpCongestion is state and transitions only: the sender tells it what happened (an ack of
//   new data, loss detected, a timeout) with the sequence numbers it needs, and reads cwnd,
//   ssthresh and the recovery state back. It sends nothing and touches no kernel.
// - rtxNext is where the next retransmission starts while recovering (partial acks move it on).
// - Not handled: CUBIC or other window growth functions, ECN reaction, RFC 6937 PRR.

import { seqGeq, seqLt } from "../../kernels/seq.js";
import { MAX_WINDOW } from "../../kernels/window.js";

export class TcpCongestion {
  cwnd = 0;
  ssthresh = MAX_WINDOW;
  /** Bytes acked in congestion avoidance since cwnd last grew by one SMSS. */
  caAcc = 0;
  /** Fast recovery after duplicate acks / SACK (t: fastRetransmit), or recovery after an RTO. */
  inRecovery = false;
  rtoRecovery = false;
  recover = 0;
  /** `recover` marks a recovery not yet passed (a stale one must not compare across 2^31). */
  recoverLive = false;
  rtxNext = 0;
  dupAcks = 0;

  /** The connection is synchronized: initial window `iw` bytes, `recover` at our ISN. */
  open(iw: number, iss: number): void {
    this.recover = iss;
    this.cwnd = iw;
  }

  /** t: fastRetransmit (RFC 5681 3.2, RFC 6582): `flight` bytes were outstanding. */
  enterRecovery(una: number, nxt: number, smss: number): void {
    const flight = (nxt - una) >>> 0;
    this.ssthresh = Math.max(flight >>> 1, 2 * smss);
    this.cwnd = this.ssthresh;
    this.caAcc = 0;
    this.recover = nxt;
    this.recoverLive = true;
    this.inRecovery = true;
    this.rtxNext = una;
  }

  /** RFC 5681 (4) and 3.1: ssthresh from the flight, cwnd = loss window; RFC 6582: recover. */
  onTimeout(una: number, nxt: number, smss: number): void {
    const flight = (nxt - una) >>> 0;
    this.ssthresh = Math.max(flight >>> 1, 2 * smss);
    this.cwnd = smss;
    this.caAcc = 0;
    this.inRecovery = false;
    this.rtoRecovery = true;
    this.recover = nxt;
    this.recoverLive = true;
    this.rtxNext = una;
    this.dupAcks = 0;
  }

  /** `acked` new bytes up to `ack` were acknowledged. */
  onNewAck(ack: number, acked: number, smss: number): void {
    this.dupAcks = 0;
    if (this.recoverLive && seqGeq(ack, this.recover)) this.recoverLive = false;
    if (this.inRecovery) {
      if (!this.recoverLive) {
        this.inRecovery = false; // full ack: t: recoveryDone (RFC 6582 3.2 step 3)
        this.cwnd = Math.max(this.ssthresh, smss);
      } else if (seqLt(this.rtxNext, ack)) {
        this.rtxNext = ack; // partial ack: the next hole is retransmitted by output()
      }
      return;
    }
    if (this.rtoRecovery && !this.recoverLive) this.rtoRecovery = false;
    if (seqLt(this.rtxNext, ack)) this.rtxNext = ack;
    if (this.cwnd < this.ssthresh)
      this.cwnd += Math.min(acked, 2 * smss); // RFC 3465, L = 2
    else {
      this.caAcc += acked;
      if (this.caAcc >= this.cwnd) {
        this.caAcc -= this.cwnd;
        this.cwnd += smss;
      }
    }
    if (this.cwnd > MAX_WINDOW) this.cwnd = MAX_WINDOW;
  }
}
