import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Simulation } from "../../src/engine/simulation.js";
import {
  BUNDLED_PROFILES,
  CpuOp,
  HostCpu,
  bundledProfilePath,
  loadCpuProfile,
  parseCpuProfile,
  parseCpuProfileText,
  type CpuClient,
  type CpuProfile,
} from "../../src/stacks/cost.js";
import { errorOf } from "../support/errors.js";

const sims: Simulation[] = [];
afterEach(() => {
  for (const s of sims.splice(0)) {
    expect(s.frames.leaks()).toEqual([]);
    s.destroy();
  }
});

/** A profile with round numbers, so virtual times can be computed by hand. */
function roundProfile(cpus = 1): CpuProfile {
  return parseCpuProfile(
    {
      name: "round",
      cpus,
      pageBytes: 4096,
      costs: {
        systemCall: 1000,
        layerCrossing: 100,
        interrupt: 500,
        contextSwitch: 2000,
        pageRemap: 300,
        handlerDispatch: 10,
        driver: 50,
        copy: { perCall: 10, MBps: 100 }, // 10 ns per byte
        checksum: { perCall: 0, MBps: 500 }, // 2 ns per byte
      },
    },
    "round",
  );
}

/** A client whose job `kind` charges `kind` system calls and records when it ran. */
class Recorder implements CpuClient {
  readonly starts: number[] = [];
  readonly effects: number[] = [];
  readonly dropped: number[] = [];
  constructor(
    private readonly sim: Simulation,
    private readonly cpu: HostCpu,
    private readonly effectId: number,
  ) {}
  runJob(kind: number, a: number): void {
    this.starts.push(this.sim.now);
    for (let i = 0; i < kind; i++) this.cpu.chargeOp(CpuOp.SYSTEM_CALL);
    // An effect produced after the job's work: it must happen at start + cost.
    this.sim.scheduler.schedule(this.effectId, this.cpu.deferDelay(), this.effectId, 1, a, 0, 0);
  }
  dropJob(_kind: number, a: number): void {
    this.dropped.push(a);
  }
}

function setup(cpus = 1, queueLimit = 16) {
  const sim = new Simulation({ seed: 1, frameSlots: 16 });
  sims.push(sim);
  const cpu = new HostCpu(sim, "cpu", roundProfile(cpus), { queueLimit });
  const effects: number[] = [];
  const effectId = sim.register("effects", { handleEvent: () => effects.push(sim.now) });
  const rec = new Recorder(sim, cpu, effectId);
  const client = cpu.addClient(rec);
  return { sim, cpu, rec, client, effects };
}

describe("HostCpu queueing", () => {
  it("runs jobs FIFO on one CPU: each starts when the previous one's cost is paid", () => {
    const { sim, cpu, rec, client, effects } = setup(1);
    expect(cpu.submit(client, 1, 10, 0)).toBe(true); // 1,000 ns
    expect(cpu.submit(client, 2, 11, 0)).toBe(true); // 2,000 ns
    sim.scheduler.runUntil(500);
    expect(cpu.submit(client, 3, 12, 0)).toBe(true); // submitted at 500, waits until 3,000
    sim.scheduler.runToIdle();
    expect(rec.starts).toEqual([0, 1000, 3000]);
    expect(effects).toEqual([1000, 3000, 6000]);
    const st = cpu.stats();
    expect(st.jobs).toBe(3);
    expect(st.busyNs).toEqual([6000]);
    expect(st.ops.systemCall).toEqual({ ns: 6000, count: 6 });
    expect(st.waitNsTotal).toBe(0 + 1000 + 2500);
    expect(st.waitNsMax).toBe(2500);
    expect(st.queueHighWater).toBe(2);
    expect(cpu.totalNs()).toBe(6000);
  });

  it("spreads jobs over several CPUs, earliest free first", () => {
    const { sim, rec, client, cpu, effects } = setup(2);
    cpu.submit(client, 3, 0, 0); // cpu 0: 0 .. 3000
    cpu.submit(client, 1, 1, 0); // cpu 1: 0 .. 1000
    cpu.submit(client, 1, 2, 0); // cpu 1: 1000 .. 2000
    cpu.submit(client, 2, 3, 0); // cpu 1: 2000 .. 4000
    sim.scheduler.runToIdle();
    expect(rec.starts).toEqual([0, 0, 1000, 2000]);
    expect(effects.sort((a, b) => a - b)).toEqual([1000, 2000, 3000, 4000]);
    expect(cpu.stats().busyNs).toEqual([3000, 4000]);
  });

  it("refuses and counts jobs beyond the queue limit; destroy hands queued jobs back", () => {
    const { sim, rec, client, cpu } = setup(1, 2);
    expect(cpu.submit(client, 1, 1, 0)).toBe(true);
    expect(cpu.submit(client, 1, 2, 0)).toBe(true);
    expect(cpu.submit(client, 1, 3, 0)).toBe(false);
    expect(cpu.stats().drops).toBe(1);
    sim.scheduler.runUntil(0); // the first job starts; the second waits
    expect(rec.starts).toEqual([0]);
    expect(cpu.queueLength).toBe(1);
    cpu.destroy();
    expect(rec.dropped).toEqual([2]);
    sim.scheduler.runToIdle();
    expect(rec.starts).toEqual([0]);
  });

  it("charges copies, checksums and remaps by size, rounded to whole ns", () => {
    const { sim, cpu } = setup(1);
    const client = cpu.addClient({
      runJob: () => {
        cpu.chargeCopy(1000); // 10 + 10,000
        cpu.chargeChecksum(333); // 666
        cpu.chargeRemap(1); // one page: 300
        cpu.chargeRemap(4097); // two pages: 600
        cpu.chargeOp(CpuOp.INTERRUPT); // 500
        cpu.chargeOp(CpuOp.CONTEXT_SWITCH); // 2000
        cpu.chargeOp(CpuOp.HANDLER_DISPATCH); // 10
        cpu.chargeOp(CpuOp.DRIVER); // 50
        cpu.chargeOp(CpuOp.LAYER_CROSSING); // 100
      },
      dropJob: () => undefined,
    });
    cpu.submit(client, 0, 0, 0);
    sim.scheduler.runToIdle();
    const ops = cpu.stats().ops;
    expect(ops.copy).toEqual({ ns: 10_010, count: 1 });
    expect(ops.checksum).toEqual({ ns: 666, count: 1 });
    expect(ops.pageRemap).toEqual({ ns: 900, count: 2 });
    expect(
      ops.interrupt.ns + ops.contextSwitch.ns + ops.handlerDispatch.ns + ops.driver.ns + ops.layerCrossing.ns,
    ).toBe(2660);
    expect(cpu.stats().busyNs[0]).toBe(10_010 + 666 + 900 + 2660);
  });
});

describe("CPU profiles", () => {
  it("loads both bundled profiles", () => {
    for (const name of BUNDLED_PROFILES) {
      const p = loadCpuProfile(name);
      expect(p.name).toBe(name);
      // The files' figures: 40 us and 70 MB/s (1995), 200 ns and 10 GB/s (2025).
      expect(p.systemCallNs).toBe({ "workstation-1995": 40_000, "server-2025": 200 }[name]);
      expect(p.copyNsPerByte).toBeCloseTo({ "workstation-1995": 1000 / 70, "server-2025": 0.1 }[name]!, 9);
    }
    const ws = loadCpuProfile("workstation-1995");
    // A system call costs tens of microseconds; a message-sized (cache-resident) copy runs at
    // tens of MB/s, and the checksum no slower than a copy.
    expect(ws.systemCallNs).toBeGreaterThanOrEqual(10_000);
    expect(ws.systemCallNs).toBeLessThan(100_000);
    expect(1000 / ws.copyNsPerByte).toBeGreaterThanOrEqual(20);
    expect(1000 / ws.copyNsPerByte).toBeLessThanOrEqual(100);
    expect(ws.checksumNsPerByte).toBeLessThanOrEqual(ws.copyNsPerByte);
    const srv = loadCpuProfile("server-2025");
    expect(srv.systemCallNs).toBeLessThan(ws.systemCallNs / 50);
    expect(srv.cpus).toBeGreaterThan(1);
  });

  it("reads an edited copy of a bundled profile from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "netloom-profile-"));
    const text = readFileSync(bundledProfilePath("workstation-1995"), "utf8").replace("cpus: 1", "cpus: 2");
    const file = join(dir, "mine.yaml");
    writeFileSync(file, text);
    expect(loadCpuProfile(file).cpus).toBe(2);
    const json = join(dir, "mine.json");
    writeFileSync(json, JSON.stringify({ name: "j", cpus: 1, costs: { ...costs() } }));
    expect(loadCpuProfile(json).name).toBe("j");
  });

  function costs(): Record<string, unknown> {
    return {
      systemCall: "1us",
      layerCrossing: "1us",
      interrupt: "1us",
      contextSwitch: "1us",
      pageRemap: "1us",
      handlerDispatch: "1ns",
      driver: "1us",
      copy: { perCall: 0, MBps: 100 },
      checksum: { perCall: 0, MBps: 100 },
    };
  }

  it("names the file and the field in every error", () => {
    const base = { name: "x", cpus: 1, costs: costs() };
    expect(errorOf(() => parseCpuProfile({ ...base, cpus: 0 }, "a.yaml")).message).toBe(
      "a.yaml: cpus: 0 is not a CPU count (an integer 1 to 1024)",
    );
    expect(errorOf(() => parseCpuProfile({ ...base, extra: 1 }, "a.yaml")).message).toMatch(
      /^a\.yaml: extra: unknown field/,
    );
    const noCopy = { ...costs() };
    delete noCopy.copy;
    expect(errorOf(() => parseCpuProfile({ ...base, costs: noCopy }, "b.yaml")).message).toMatch(
      /^b\.yaml: costs\.copy: is missing/,
    );
    expect(
      errorOf(() => parseCpuProfile({ ...base, costs: { ...costs(), copy: { MBps: -3 } } }, "c.yaml")).message,
    ).toBe("c.yaml: costs.copy.MBps: -3 is not a bandwidth in MB/s (a number > 0)");
    expect(
      errorOf(() => parseCpuProfile({ ...base, costs: { ...costs(), systemCall: "40 parsecs" } }, "d.yaml")).path,
    ).toBe("d.yaml: costs.systemCall");
    expect(errorOf(() => parseCpuProfile({ ...base, costs: { ...costs(), systemCall: "0.5ns" } }, "d.yaml")).path).toBe(
      "d.yaml: costs.systemCall",
    );
    expect(
      errorOf(() => parseCpuProfile({ ...base, costs: { ...costs(), syscall: "1us" } }, "e.yaml")).message,
    ).toMatch(/^e\.yaml: costs\.syscall: unknown field \(expected one of systemCall/);
    expect(errorOf(() => parseCpuProfile({ ...base, pageBytes: 3000 }, "f.yaml")).path).toBe("f.yaml: pageBytes");
    expect(errorOf(() => parseCpuProfileText("name: [unclosed", "g.yaml")).path).toBe("g.yaml: (syntax)");
    expect(errorOf(() => parseCpuProfile([], "h.yaml")).path).toBe("h.yaml: (top)");
    expect(errorOf(() => loadCpuProfile("/nonexistent/p.yaml")).message).toMatch(
      /^\/nonexistent\/p\.yaml: cannot read the profile file \(ENOENT\)/,
    );
    expect(errorOf(() => loadCpuProfile("workstation-1996")).message).toMatch(
      /is not a bundled profile \(workstation-1995, server-2025\)/,
    );
  });
});
