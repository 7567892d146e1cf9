// Harness for the NAK transport tests: two IP hosts on one link (faults configurable), a
// NakReceiver and a NakSender, a transfer of pattern bytes with write backpressure, and a
// SHA-256 digest of what was delivered. Endpoints are destroyed before the IP harness checks
// that no frame leaked (hooks unwind in reverse order of registration).
import { createHash } from "node:crypto";
import { afterEach } from "vitest";
import type { LinkFaults } from "../../../src/devices/link.js";
import { NakReceiver, type NakReceiverOptions } from "../../../src/stacks/nak/nak-receiver.js";
import { NakSender, type NakResult, type NakSenderOptions } from "../../../src/stacks/nak/nak-sender.js";
import { world } from "../ip/support.js";

const endpoints: { destroy(): void }[] = [];
afterEach(() => {
  for (const e of endpoints.splice(0)) e.destroy();
});

export function track<T extends { destroy(): void }>(e: T): T {
  endpoints.push(e);
  return e;
}

/** Deterministic bytes: a 32-bit LCG stream per seed. */
export function streamBytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function sha256(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

export interface TransferOptions {
  size: number;
  seed?: number;
  faults?: LinkFaults;
  rate?: number;
  delay?: number;
  queueLimit?: number;
  sender?: Partial<NakSenderOptions>;
  receiver?: Partial<NakReceiverOptions>;
  /** Stop the run at this virtual time (default: run to idle). */
  until?: number;
  frameSlots?: number;
}

export function transfer(o: TransferOptions) {
  const w = world(o.seed ?? 1, o.frameSlots ?? 1024);
  const A = w.host("a", { address: "10.0.0.1/24" });
  const B = w.host("b", { address: "10.0.0.2/24" });
  const link = w.link(A.nic, 0, B.nic, {
    rate: o.rate ?? 100e6,
    delay: o.delay ?? 1_000_000,
    queueLimit: o.queueLimit ?? 64,
    ...(o.faults !== undefined ? { faults: o.faults } : {}),
  });
  const sim = w.sim;
  // Resolve ARP first: datagrams that find no ARP entry wait in a short queue and the excess is
  // dropped (IpHost's behaviour), which would make the first round trip lossy.
  A.ping(B.ip, 8);
  sim.scheduler.runToIdle();
  const data = streamBytes(o.size, o.seed ?? 1);
  const rx = track(new NakReceiver(B, { port: 7000, ...o.receiver }));
  const got = createHash("sha256");
  let deliveredBytes = 0;
  let ended = 0;
  let failed: string | undefined;
  rx.onData((bytes, off, len) => {
    got.update(bytes.subarray(off, off + len));
    deliveredBytes += len;
  });
  rx.onEnd(() => ended++);
  rx.onFail((r) => (failed = r));
  const tx = track(new NakSender(A, { dst: B.ip, dstPort: 7000, ...o.sender }));
  let written = 0;
  let result: NakResult | undefined;
  const pump = (): void => {
    while (written < data.length) {
      const n = tx.write(data, written, data.length - written);
      if (n === 0) return;
      written += n;
    }
    tx.end();
  };
  tx.onWritable(pump);
  tx.onClose((r) => (result = r));
  pump();
  if (o.until !== undefined) sim.scheduler.runUntil(o.until);
  else sim.scheduler.runToIdle();
  const digest = got.digest("hex");
  return {
    sim,
    A,
    B,
    link,
    tx,
    rx,
    result,
    ended,
    failed,
    deliveredBytes,
    digestOk: digest === sha256(data),
    digest,
    expected: sha256(data),
  };
}
