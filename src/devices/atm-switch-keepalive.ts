// Liveness of the hosts at the ends of a switch's calls: the switch polls each port that is the
// host end of one of its calls with STATUS ENQUIRY every interval; a host answers STATUS.
//
// Contract:
// - The poll timer runs only while some call has a host end (addUserCall / dropUserCall), so a
//   switch with no such call schedules nothing. It is one EV_SIG_KEEPALIVE event of the owning
//   entity, which hands it to fire().
// - After `misses` polls in a row without an answer (any STATUS counts, a late one too) the
//   host on that port is declared failed: target.hostFailed(port) tears its calls down, then
//   the port's poll state is cleared.
// - Polls are sent through target.poll(port, seq) (seq: 16 bits, per port).
//
// State machine: Idle --a call with a host end--> Polling --no such call left at a poll--> Idle;
// per polled port: Answered --poll--> Awaiting --STATUS--> Answered; Awaiting --poll,
// `misses` reached--> host failed.

import type { Simulation } from "../engine/simulation.js";
import { EV_SIG_KEEPALIVE } from "./atm-signalling.js";

/** What the keep-alive acts on: the switch's signalling. */
export interface KeepAliveTarget {
  /** Sends STATUS ENQUIRY number `seq` on `port`. */
  poll(port: number, seq: number): void;
  /** The host on `port` stopped answering: release every call it is an end of. */
  hostFailed(port: number): void;
}

export class KeepAlive {
  readonly intervalNs: number;
  readonly misses: number;
  /** Polls sent, and answers taken. */
  sent = 0;
  answers = 0;
  private readonly sim: Simulation;
  private readonly owner: number;
  private readonly target: KeepAliveTarget;
  /** Calls with a host end on each port (those ports are polled). */
  private readonly userCalls: Int32Array;
  private userCallTotal = 0;
  private readonly awaiting: Uint8Array;
  private readonly missed: Int32Array;
  private readonly pollSeq: Int32Array;
  private handle = -1;

  /** `owner`: the handler id of the entity the timer event goes to. */
  constructor(
    sim: Simulation,
    owner: number,
    ports: number,
    intervalNs: number,
    misses: number,
    target: KeepAliveTarget,
  ) {
    this.sim = sim;
    this.owner = owner;
    this.intervalNs = intervalNs;
    this.misses = misses;
    this.target = target;
    this.userCalls = new Int32Array(ports);
    this.awaiting = new Uint8Array(ports);
    this.missed = new Int32Array(ports);
    this.pollSeq = new Int32Array(ports);
  }

  /** A call with a host end on `port` was set up. */
  addUserCall(port: number): void {
    this.userCalls[port]!++;
    this.userCallTotal++;
    if (this.handle < 0) this.schedule();
  }

  /** A call with a host end on `port` is gone. */
  dropUserCall(port: number): void {
    this.userCalls[port]!--;
    this.userCallTotal--;
    if (this.userCalls[port] === 0) {
      this.awaiting[port] = 0;
      this.missed[port] = 0;
    }
  }

  /** A STATUS came in on `port`: the host there is alive. */
  answered(port: number): void {
    if (this.awaiting[port] === 1) {
      this.awaiting[port] = 0;
      this.missed[port] = 0;
      this.answers++;
    }
  }

  /** The poll timer: polls every port with a host end, or declares its host failed. */
  fire(): void {
    this.handle = -1;
    for (let p = 0; p < this.userCalls.length; p++) {
      if (this.userCalls[p] === 0) continue;
      if (this.awaiting[p] === 1 && ++this.missed[p]! >= this.misses) {
        this.target.hostFailed(p);
        this.awaiting[p] = 0;
        this.missed[p] = 0;
        continue;
      }
      this.pollSeq[p] = (this.pollSeq[p]! + 1) & 0xffff;
      this.awaiting[p] = 1;
      this.sent++;
      this.target.poll(p, this.pollSeq[p]!);
    }
    if (this.userCallTotal > 0) this.schedule();
  }

  /** Cancels the poll timer. */
  stop(): void {
    if (this.handle >= 0) this.sim.scheduler.cancel(this.handle);
    this.handle = -1;
  }

  private schedule(): void {
    this.handle = this.sim.scheduler.scheduleAt(
      this.owner,
      this.sim.now + this.intervalNs,
      this.owner,
      EV_SIG_KEEPALIVE,
      0,
      0,
      0,
    );
  }
}
