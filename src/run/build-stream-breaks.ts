// The stream-breaks step of buildScenario: one set of TCP streams per `type: stream-breaks`
// workload, in workloads order, on the TCP layers the traffic step made for their hosts.
//
// Contract: made after the traffic step and before the failures step; a scenario without such
// workloads makes no device here. The streams are closed by network.destroy()/dispose() (the
// traffic step's disposer destroys the TCP layers, which ends what is still open).

import type { TcpLayer } from "../stacks/tcp/tcp-layer.js";
import { StreamBreaksRun } from "../traffic/stream-breaks.js";
import type { BuildContext } from "./build-context.js";

export function startStreamBreaks(ctx: BuildContext, tcp: Map<string, TcpLayer>): StreamBreaksRun[] {
  const { scenario, network, sim, ipHosts, own } = ctx;
  const runs: StreamBreaksRun[] = [];
  for (const w of scenario.workloads) {
    if (w.type !== "stream-breaks") continue;
    runs.push(new StreamBreaksRun({ sim, ipHost: (n) => ipHosts.get(n)!, tcp: (n) => tcp.get(n)!, own }, w));
  }
  if (runs.length > 0)
    network.onDispose(() => {
      for (const r of runs) r.destroy();
    });
  return runs;
}
