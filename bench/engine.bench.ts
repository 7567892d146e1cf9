// Engine leaf modules: event queue push+pop at a steady population, PRNG draws, fingerprint
// updates. Each pushes/pops/draws in batches of BATCH per measured call so that tinybench's
// per-call overhead does not dominate.

import { EventQueue, NO_SLOT } from "../src/engine/event-queue.js";
import { Fingerprint } from "../src/engine/fingerprint.js";
import { Rng } from "../src/engine/rng.js";
import { opsPerSecond, type BenchSuite, type Figure } from "./harness.js";

const BATCH = 1000;
const STEADY = 10_000;

function queueFigure(quick: boolean): Promise<number> {
  const q = new EventQueue(STEADY + 16);
  const rng = Rng.forStream(1, "bench:queue");
  // Precomputed delays (0..100 us, with 1/8 exact ties) so the loop measures the queue only.
  const DELAYS = 4096;
  const delay = new Float64Array(DELAYS);
  for (let i = 0; i < DELAYS; i++) delay[i] = rng.nextBelow(8) === 0 ? 0 : rng.nextBelow(100_000);
  const seq = new Float64Array(64);
  let d = 0;
  for (let i = 0; i < STEADY; i++) {
    const origin = i & 63;
    q.push(rng.nextBelow(100_000), origin, seq[origin]!++, origin, 1, 0, 0, 0);
  }
  let sink = 0;
  return opsPerSecond(
    () => {
      for (let i = 0; i < BATCH; i++) {
        const s = q.pop();
        const t = q.time[s]!;
        const target = q.target[s]!;
        sink += q.a[s]!;
        q.release(s);
        // The handler schedules one event from the device that ran, as a forwarding hop does.
        const slot = q.push(t + delay[d++ & (DELAYS - 1)]!, target, seq[target]!++, (target + 1) & 63, 1, 0, 0, 0);
        if (slot === NO_SLOT) throw new Error("queue full");
      }
    },
    { quick, opsPerCall: BATCH },
  ).then((v) => {
    if (q.size !== STEADY || sink !== 0) throw new Error("steady state lost");
    return v;
  });
}

const suite: BenchSuite = {
  name: "engine",
  async run({ quick }) {
    const figures: Figure[] = [];

    const events = await queueFigure(quick);
    figures.push({
      name: `event queue push+pop, ${STEADY} pending`,
      value: events / 1e6,
      unit: "M events/s",
      target: { min: 5 },
    });

    const rng = Rng.forStream(1, "bench:rng");
    let acc = 0;
    const u32 = await opsPerSecond(
      () => {
        for (let i = 0; i < BATCH; i++) acc ^= rng.nextU32();
      },
      { quick, opsPerCall: BATCH },
    );
    figures.push({ name: "rng nextU32", value: u32 / 1e6, unit: "M draws/s" });
    const f53 = await opsPerSecond(
      () => {
        for (let i = 0; i < BATCH; i++) acc += rng.nextFloat();
      },
      { quick, opsPerCall: BATCH },
    );
    figures.push({ name: "rng nextFloat (53-bit)", value: f53 / 1e6, unit: "M draws/s" });
    const below = await opsPerSecond(
      () => {
        for (let i = 0; i < BATCH; i++) acc += rng.nextBelow(1000);
      },
      { quick, opsPerCall: BATCH },
    );
    figures.push({ name: "rng nextBelow(1000)", value: below / 1e6, unit: "M draws/s" });
    const expo = await opsPerSecond(
      () => {
        for (let i = 0; i < BATCH; i++) acc += rng.exponential(1000);
      },
      { quick, opsPerCall: BATCH },
    );
    figures.push({ name: "rng exponential", value: expo / 1e6, unit: "M draws/s" });

    const fp = new Fingerprint();
    let t = 0;
    const updates = await opsPerSecond(
      () => {
        for (let i = 0; i < BATCH; i++) {
          t += 137;
          fp.record(t, i & 63, t, (i + 1) & 63, i & 7, 64 + (i & 1023));
        }
      },
      { quick, opsPerCall: BATCH },
    );
    figures.push({ name: "fingerprint record", value: updates / 1e6, unit: "M updates/s" });
    if (Number.isNaN(acc) || fp.toString().length !== 16) throw new Error("unreachable");
    return figures;
  },
};

export default suite;
