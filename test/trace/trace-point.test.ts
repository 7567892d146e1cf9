import { describe, expect, it } from "vitest";
import { DROP_REASON_COUNT, DropReason, TracePoint, TracePoints } from "../../src/trace/trace-point.js";

describe("TracePoint", () => {
  it("counts passes in frames and bytes only; drops also by reason", () => {
    const tp = new TracePoint("phyRxDrop");
    tp.hit(1, 0, 100);
    tp.hit(2, 1, 60);
    tp.hit(3, 2, 70, DropReason.FCS_ERROR);
    tp.hit(4, 3, 80, DropReason.FCS_ERROR);
    tp.hit(5, 4, 90, DropReason.QUEUE_FULL);
    expect([tp.frames, tp.bytes]).toEqual([5, 400]);
    expect(tp.byReason[DropReason.NONE]).toBe(0); // a pass is not a reason
    expect(tp.dropsByReason()).toEqual({ FCS_ERROR: 2, QUEUE_FULL: 1 });
    expect(tp.byReason.length).toBe(DROP_REASON_COUNT);
  });

  it("calls listeners with (time, frame, length, reason) until unsubscribed", () => {
    const tp = new TracePoints().get("macTx");
    const seen: number[][] = [];
    const off = tp.subscribe((time, frame, length, reason) => seen.push([time, frame, length, reason]));
    tp.hit(7, 3, 64);
    tp.hit(8, 4, 65, DropReason.LINK_DOWN);
    off();
    tp.hit(9, 5, 66);
    expect(seen).toEqual([
      [7, 3, 64, 0],
      [8, 4, 65, DropReason.LINK_DOWN],
    ]);
    expect(tp.frames).toBe(3);
  });
});
