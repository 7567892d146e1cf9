// The timetable of a scenario's switched circuits as a run plays it: opens and closes each svc
// and fails hosts at their times, starts an svc's AAL5 traffic when the circuit connects (at
// the end that sends) and stops it when the circuit goes. Runtime refusals (circuit limit,
// full tables, timeouts, host failures) land in each SvcRun, for the report. A host that
// crashes (failures section) takes its programs down: its svc traffic stops, the svcs it
// called end as "crashed", and one it should open while down is never opened.

import { type HostSignalling, HostSignallingState } from "../devices/atm-host-signalling.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import { Aal5Source } from "../traffic/aal5-source.js";
import { sigCauseText } from "../wire/atm-signalling-causes.js";
import { SigCause, sigCauseName } from "../wire/atm-signalling.js";
import type { BuiltAtm, BuiltSignalling, SvcRun } from "./atm-built.js";
import type { AtmScenario } from "../scenario/atm-types.js";

const EV_SVC_OPEN = 1;
const EV_SVC_CLOSE = 2;
const EV_HOST_FAIL = 3;

/**
 * The scenario's timetable of switched circuits: opens and closes each svc and fails hosts at
 * their times, starts the AAL5 traffic of an svc when it connects (at the end that sends) and
 * stops it when the circuit goes. One handler, registered with the ATM devices.
 */
export class SvcScript implements EventHandler {
  readonly id: number;
  private readonly handles: number[] = [];
  private readonly live = new Map<string, Aal5Source>();
  private destroyed = false;

  constructor(
    private readonly sim: Simulation,
    private readonly atm: AtmScenario,
    private readonly built: BuiltAtm,
    private readonly sig: BuiltSignalling,
  ) {
    this.id = sim.register("atm:svcs", this);
    sig.hostCrashed = (name) => this.hostCrashed(name);
    const at = (t: number, kind: number, a: number) =>
      this.handles.push(sim.scheduler.scheduleAt(this.id, Math.max(t, sim.now), this.id, kind, a, 0, 0));
    atm.svcs.forEach((v, i) => {
      sig.svcs.set(v.name, {
        name: v.name,
        state: "pending",
        cause: null,
        causeText: null,
        call: -1,
        calleeCall: -1,
        callerVc: -1,
        calleeVc: -1,
        connectedAt: null,
        endedAt: null,
      });
      at(v.openNs, EV_SVC_OPEN, i);
      if (v.closeNs !== undefined) at(v.closeNs, EV_SVC_CLOSE, i);
    });
    atm.hosts.forEach((h, i) => {
      if (h.failAtNs !== undefined) at(h.failAtNs, EV_HOST_FAIL, i);
    });
    // Called hosts accept the scenario's circuits (the tag is the svc's index + 1).
    for (const [name, agent] of sig.hosts) {
      agent.setIncoming((inc) => atm.svcs[inc.tag - 1]?.to === name, {
        connected: (call, vc) => {
          const i = agent.callInfo(call)!.tag - 1;
          const run = sig.svcs.get(atm.svcs[i]!.name)!;
          run.calleeCall = call;
          run.calleeVc = vc;
          this.startTraffic(i, name, vc);
        },
        released: (_call, cause) => this.ended(agent, _call, cause, false),
      });
    }
  }

  handleEvent(kind: number, a: number): void {
    if (this.destroyed) return;
    if (kind === EV_HOST_FAIL) {
      const h = this.atm.hosts[a]!;
      this.sig.hosts.get(h.name)!.fail();
      // The host is dead: its sources stop too.
      for (const [n, src] of this.built.sources) if (this.senderOf(n) === h.name) src.destroy();
      return;
    }
    const v = this.atm.svcs[a]!;
    const run = this.sig.svcs.get(v.name)!;
    const caller = this.sig.hosts.get(v.from)!;
    if (kind === EV_SVC_OPEN) {
      if (caller.failed) {
        run.state = "failed";
        setCause(run, SigCause.HOST_FAILED);
        return;
      }
      if (caller.state !== HostSignallingState.Up) {
        run.state = "crashed";
        run.endedAt = this.sim.now;
        return;
      }
      run.state = "calling";
      run.call = caller.open(
        v.route,
        {
          connected: (_call, vc) => {
            run.state = "active";
            run.callerVc = vc;
            run.connectedAt = this.sim.now;
            this.startTraffic(a, v.from, vc);
          },
          failed: (_call, cause) => {
            run.state = "failed";
            setCause(run, cause);
            run.endedAt = this.sim.now;
          },
          released: (_call, cause) => this.ended(caller, _call, cause, true),
        },
        { parity: v.parity, tag: a + 1 },
      );
    } else if (kind === EV_SVC_CLOSE && (run.state === "calling" || run.state === "active")) {
      caller.close(run.call);
      run.state = "closed";
      run.endedAt = this.sim.now;
      this.stopTraffic(a, v.from);
    }
  }

  /** Host `name` crashed: the svcs it called end (crashed) and its traffic on every svc stops. */
  private hostCrashed(name: string): void {
    this.atm.svcs.forEach((v, i) => {
      const run = this.sig.svcs.get(v.name)!;
      if (v.from === name && (run.state === "calling" || run.state === "active")) {
        run.state = "crashed";
        run.endedAt = this.sim.now;
      }
      if (v.from === name || v.to === name) this.stopTraffic(i, name);
    });
  }

  /** A connected call ended by the far end or the network (seen at `agent`). */
  private ended(agent: HostSignalling, call: number, cause: number, atCaller: boolean): void {
    const i = this.atm.svcs.findIndex((v, _k) => {
      const run = this.sig.svcs.get(v.name)!;
      return atCaller
        ? v.from === agent.nic.name && run.call === call
        : v.to === agent.nic.name && run.calleeCall === call;
    });
    if (i < 0) return;
    const v = this.atm.svcs[i]!;
    const run = this.sig.svcs.get(v.name)!;
    if (run.state === "active") {
      run.state = "released";
      setCause(run, cause);
      run.endedAt = this.sim.now;
    }
    this.stopTraffic(i, atCaller ? v.from : v.to);
  }

  private senderOf(source: string): string | undefined {
    return this.atm.traffic.find((t) => t.name === source)?.from;
  }

  /** Starts the AAL5 sources of svc i that send from `host` on NIC circuit `vc`. */
  private startTraffic(i: number, host: string, vc: number): void {
    const v = this.atm.svcs[i]!;
    const nic = this.built.nics.get(host)!;
    for (const t of this.atm.traffic) {
      if (t.svc !== v.name || t.from !== host || this.built.sources.has(t.name)) continue;
      // Registered mid-run: it belongs to the partition that runs its NIC.
      const owner = this.sim.owner;
      this.sim.owner = this.sim.ownerOf(nic.id);
      try {
        const src = new Aal5Source(this.sim, t.name, nic, {
          vc,
          pduBytes: t.pduBytes,
          ...(t.pdusPerSecond !== undefined ? { pdusPerSecond: t.pdusPerSecond } : {}),
          start: Math.max(t.startNs, this.sim.now),
          ...(t.stopNs !== undefined ? { stop: t.stopNs } : {}),
          ...(t.count !== undefined ? { count: t.count } : {}),
        });
        this.built.sources.set(t.name, src);
        this.live.set(t.name, src);
      } finally {
        this.sim.owner = owner;
      }
    }
  }

  private stopTraffic(i: number, host: string): void {
    const v = this.atm.svcs[i]!;
    for (const t of this.atm.traffic) {
      if (t.svc !== v.name || t.from !== host) continue;
      this.live.get(t.name)?.destroy();
      this.live.delete(t.name);
    }
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const h of this.handles) this.sim.scheduler.cancel(h);
  }
}

function setCause(run: SvcRun, cause: number): void {
  run.cause = sigCauseName(cause);
  run.causeText = sigCauseText(cause);
}
