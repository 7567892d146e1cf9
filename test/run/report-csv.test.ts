import { describe, expect, it } from "vitest";
import { Network } from "../../src/run/network.js";
import { FlowStats } from "../../src/trace/flow-stats.js";
import { csvField, csvRow } from "../../src/base/csv.js";
import { flowsCsv, linksCsv, FLOW_CSV_COLUMNS, LINK_CSV_COLUMNS } from "../../src/run/report-csv.js";

describe("CSV reports", () => {
  it("pins the exact text for a tiny network (one flow of 3 frames, one idle flow, one link)", () => {
    const net = new Network({ seed: 1, frameSlots: 64 });
    const a = net.addHost("a", { mac: "02:00:00:00:00:01" });
    const b = net.addHost("b", { mac: "02:00:00:00:00:02" });
    net.connect("a", "b", { rate: "1Gbps", delay: "1us", name: "a-b" });
    // 100-byte frames at 8 Mbit/s: one every 100 us.
    net.addCbrSource("a", { dst: "02:00:00:00:00:02", frameSize: 100, rate: "8Mbps", count: 3, flow: 1 });
    const flows = new FlowStats(net.sim);
    flows.defineFlow(2, { src: "b", dst: "a" });
    flows.defineFlow(1, { src: "a", dst: "b", label: 'cbr, "small"' });
    flows.attachSender(a.trace[0]!.macTx);
    flows.attachReceiver(b.trace[0]!.macRx);
    net.runToIdle();

    // Latency: ceil((100 + 20) * 8 / 1 Gbit/s) = 960 ns + 1000 ns. Throughput: 200 bytes
    // after the first frame over 200 us. Flow 2 sent nothing: loss and latencies are empty.
    const flowDrops =
      "drops.QUEUE_FULL,drops.LINK_DOWN,drops.LOSS_RANDOM,drops.LOSS_BURST,drops.NO_RX_BUFFER," +
      "drops.FCS_ERROR,drops.RUNT,drops.TOO_LONG,drops.EXCESSIVE_COLLISIONS," +
      "drops.COLLISION,drops.NO_SLOT,drops.NOT_ATTACHED,drops.CRASHED,drops.REFUSED_AT_SEND";
    const zeros = ",0".repeat(14);
    expect(flowsCsv(flows.toJSON())).toBe(
      "id,src,dst,label,sentPackets,receivedPackets,sentBytes,receivedBytes,loss,throughputBps," +
        "latencyP50Ns,latencyP90Ns,latencyP99Ns,latencyMaxNs," +
        "latencyMeanNs,latencyMinNs,latencyP95Ns,latencySamples,jitterMeanNs,jitterSamples," +
        `firstTxNs,lastTxNs,firstRxNs,lastRxNs,droppedPackets,inFlightPackets,${flowDrops}\r\n` +
        // Three equal delays: jitter 0 over 2 differences; sent at 0, 100 and 200 us.
        '1,a,b,"cbr, ""small""",3,3,300,300,0,8000000,1960,1960,1960,1960,' +
        `1960,1960,1960,3,0,2,0,200000,1960,201960,0,0${zeros}\r\n` +
        `2,b,a,,0,0,0,0,,0,,,,,,,,0,,0,,,,,0,0${zeros}\r\n`,
    );
    const drops =
      "drops.QUEUE_FULL,drops.LINK_DOWN,drops.LOSS_RANDOM,drops.LOSS_BURST,drops.NO_RX_BUFFER," +
      "drops.FCS_ERROR,drops.ADDRESS_FILTER,drops.RUNT,drops.TOO_LONG,drops.EXCESSIVE_COLLISIONS," +
      "drops.COLLISION,drops.SAME_PORT,drops.NO_SLOT,drops.NOT_ATTACHED,drops.CRASHED";
    // Utilisation: 3 * 960 ns busy over the 201,960 ns the run lasted.
    expect(net.stats().simTimeNs).toBe(201_960);
    expect(linksCsv(net.stats().links)).toBe(
      "link,direction,state,frames,bytes,delivered,deliveredBytes,busyNs,utilisation,queueLength," +
        "queueHighWater,duplicates,corrupted,flippedBits,reordered," +
        drops +
        ",delayMeanNs,delayMinNs,delayP50Ns,delayP90Ns,delayP99Ns,delayMaxNs,delaySamples," +
        "jitterMeanNs,jitterSamples,inFlightQueued,inFlightOnWire\r\n" +
        // A plain Network has no LinkMonitor: its figures are empty.
        `a-b,0->1,Idle,3,300,3,300,2880,${2880 / 201_960},0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,,,,,,,,\r\n` +
        "a-b,1->0,Idle,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,,,,,,,,,,,\r\n",
    );
    expect(LINK_CSV_COLUMNS.length).toBe(15 + 15 + 11);
    expect(FLOW_CSV_COLUMNS.length).toBe(14 + 10 + 2 + 14);
    net.destroy();
  });

  it("quotes per RFC 4180 and leaves missing values empty", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
    expect(csvField(" padded")).toBe('" padded"');
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
    expect(csvField(NaN)).toBe("");
    expect(csvField(Infinity)).toBe("");
    expect(csvField(0)).toBe("0");
    expect(csvField(0.25)).toBe("0.25");
    expect(csvField(true)).toBe("true");
    expect(csvRow(["x", 1, null, "y,z"])).toBe('x,1,,"y,z"\r\n');
  });
});
