// Fail-stop crashes and restarts of a device, and the agent that makes them happen in virtual
// time.
//
// Contract:
// - A Crashable crashes fail-stop: crash() loses all volatile state at once (what it held or
//   queued is dropped and counted as CRASHED, what arrives while it is down likewise) and
//   restart() boots it with empty volatile state. Both are idempotent: crash() on a crashed
//   device and restart() on an up one do nothing and return false.
// - Peers are told nothing: they learn of a crash the way real ones do (timeouts, keep-alives,
//   route expiry).
// - A FailureAgent is the event handler that carries one device's crash and restart times
//   ("<device>.failures", owned by the device's partition, so its events run where the device
//   does and a run gives the same results at any worker count). Fixed times come from
//   crashAt/restartAt; random ones from an MTBF/MTTR pair drawn from the agent's own stream
//   (exponential up and down times), so one device's draws never shift another's.
// - It counts crashes and restarts and the virtual time spent down.

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { Rng } from "../engine/rng.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import { EV_DEVICE_BASE } from "./device.js";

export interface Crashable {
  readonly name: string;
  /** True between a crash and the next restart. */
  readonly crashed: boolean;
  /** Fail-stop, now. False when already crashed. */
  crash(): boolean;
  /** Boots with empty volatile state. False when not crashed. */
  restart(): boolean;
}

const EV_CRASH = EV_DEVICE_BASE;
const EV_RESTART = EV_DEVICE_BASE + 1;
/** Random failures: the next up period ends (a crash follows, then a restart after a down period). */
const EV_RANDOM_CRASH = EV_DEVICE_BASE + 2;
const EV_RANDOM_RESTART = EV_DEVICE_BASE + 3;

export interface FailureStats {
  device: string;
  crashes: number;
  restarts: number;
  /** Virtual time spent crashed up to now, ns. */
  downNs: number;
  crashed: boolean;
}

export interface RandomFailures {
  /** Mean time between failures (mean up time), ns. */
  mtbfNs: number;
  /** Mean time to repair (mean down time), ns. */
  mttrNs: number;
  /** No random crash at or after this time (default: never stops). */
  untilNs?: number;
}

export class FailureAgent implements EventHandler {
  readonly id: number;
  readonly target: Crashable;
  private readonly sim: Simulation;
  private crashes = 0;
  private restarts = 0;
  private downSince = -1;
  private downTotal = 0;
  private random: (RandomFailures & { rng: Rng }) | undefined;
  private readonly listeners: ((event: "crash" | "restart", time: number) => void)[] = [];

  /** The device's name, as the user gave it. */
  readonly name: string;

  /** `deviceId`: the device whose partition runs the target. */
  constructor(sim: Simulation, name: string, target: Crashable, deviceId: number) {
    this.sim = sim;
    this.name = name;
    this.target = target;
    this.id = sim.register(`${name}.failures`, this);
    sim.setOwner(this.id, sim.ownerOf(deviceId));
  }

  /** The device crashes at absolute time `atNs` (not in the past). */
  crashAt(atNs: number): void {
    this.sim.scheduler.scheduleAt(this.id, this.checkTime(atNs, "at"), this.id, EV_CRASH, 0, 0, 0);
  }

  /** The device restarts at absolute time `atNs` (not in the past). */
  restartAt(atNs: number): void {
    this.sim.scheduler.scheduleAt(this.id, this.checkTime(atNs, "restartAt"), this.id, EV_RESTART, 0, 0, 0);
  }

  /** Crashes after exponential up times of mean mtbf, restarts after exponential down times of mean mttr. */
  randomly(options: RandomFailures): void {
    for (const [key, value] of [
      ["mtbf", options.mtbfNs],
      ["mttr", options.mttrNs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${key} must be a positive time, got ${value}`, {
          path: `${this.name}.${key}`,
        });
      }
    }
    if (this.random !== undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${this.name} already fails at random`, {
        path: this.name,
      });
    }
    this.random = { ...options, rng: this.sim.scheduler.rng(`failures:${this.name}`) };
    this.scheduleRandom(EV_RANDOM_CRASH, options.mtbfNs);
  }

  /** Called after each crash and restart this agent carries out. */
  onChange(listener: (event: "crash" | "restart", time: number) => void): void {
    this.listeners.push(listener);
  }

  handleEvent(kind: number): void {
    if (kind === EV_CRASH || kind === EV_RANDOM_CRASH) {
      if (kind === EV_RANDOM_CRASH && !this.randomStillOn()) return;
      if (this.target.crash()) this.crashed();
      if (kind === EV_RANDOM_CRASH) this.scheduleRandom(EV_RANDOM_RESTART, this.random!.mttrNs);
    } else if (kind === EV_RESTART || kind === EV_RANDOM_RESTART) {
      if (this.target.restart()) this.restarted();
      if (kind === EV_RANDOM_RESTART) this.scheduleRandom(EV_RANDOM_CRASH, this.random!.mtbfNs);
    }
  }

  stats(): FailureStats {
    const now = this.sim.now;
    return {
      device: this.name,
      crashes: this.crashes,
      restarts: this.restarts,
      downNs: this.downTotal + (this.downSince >= 0 ? now - this.downSince : 0),
      crashed: this.target.crashed,
    };
  }

  private crashed(): void {
    this.crashes++;
    this.downSince = this.sim.now;
    for (const l of this.listeners) l("crash", this.sim.now);
  }

  private restarted(): void {
    this.restarts++;
    if (this.downSince >= 0) this.downTotal += this.sim.now - this.downSince;
    this.downSince = -1;
    for (const l of this.listeners) l("restart", this.sim.now);
  }

  private randomStillOn(): boolean {
    const r = this.random!;
    return r.untilNs === undefined || this.sim.now < r.untilNs;
  }

  private scheduleRandom(kind: number, mean: number): void {
    const r = this.random!;
    // At least 1 ns: a zero draw must not put the restart at the crash's own instant.
    const delay = Math.max(1, Math.round(r.rng.exponential(mean)));
    const at = this.sim.now + delay;
    if (kind === EV_RANDOM_CRASH && r.untilNs !== undefined && at >= r.untilNs) return;
    this.sim.scheduler.scheduleAt(this.id, at, this.id, kind, 0, 0, 0);
  }

  private checkTime(atNs: number, key: string): number {
    if (!Number.isSafeInteger(atNs) || atNs < this.sim.now) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${key} must be a whole number of ns not before now (${this.sim.now}), got ${atNs}`,
        { path: `${this.name}.${key}` },
      );
    }
    return atNs;
  }
}
