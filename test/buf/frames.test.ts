import { afterEach, describe, expect, it } from "vitest";
import { FRAME_FCS_VALID, FrameStore, NO_FRAME } from "../../src/buf/frames.js";
import { NetloomError } from "../../src/base/errors.js";

const stores: FrameStore[] = [];
function store(count = 4): FrameStore {
  const s = new FrameStore({ count, slotBytes: 256, name: "frames" });
  stores.push(s);
  return s;
}
afterEach(() => {
  for (const s of stores.splice(0)) s.destroy(); // throws if a test leaked a frame
});

describe("frame store", () => {
  it("pushes headers into headroom and pops them without moving bytes", () => {
    const s = store();
    const f = s.alloc(64, 1000, 7);
    s.setLength(f, 4);
    s.bytes(f).set([1, 2, 3, 4]);
    const payloadAt = s.offset(f);
    const hdrAt = s.push(f, 8);
    expect(hdrAt).toBe(payloadAt - 8);
    s.bytes(f).fill(9, 0, 8);
    expect(Array.from(s.bytes(f))).toEqual([9, 9, 9, 9, 9, 9, 9, 9, 1, 2, 3, 4]);
    expect(s.pop(f, 8)).toBe(payloadAt);
    expect(Array.from(s.bytes(f))).toEqual([1, 2, 3, 4]);
    expect(s.birth[f]).toBe(1000);
    expect(s.flow[f]).toBe(7);
    s.release(f);
  });

  it("refuses to push past the headroom, pop past the frame or grow past the slot", () => {
    const s = store();
    const f = s.alloc(4, 0);
    expect(() => s.push(f, 5)).toThrow(NetloomError);
    expect(() => s.pop(f, 1)).toThrow(/popping 1 bytes/);
    expect(() => s.setLength(f, 253)).toThrow(/cannot be 253 bytes/);
    s.setLength(f, 252);
    s.release(f);
  });

  it("copies on write only when the slot is shared", () => {
    const s = store();
    const f = s.alloc(0, 5);
    s.setLength(f, 3);
    s.bytes(f).set([7, 8, 9]);
    s.flags[f] = FRAME_FCS_VALID;
    expect(s.writable(f)).toBe(f); // sole holder: no copy
    expect(s.flags[f]! & FRAME_FCS_VALID).toBe(0);

    s.retain(f); // a flood: two holders
    const mine = s.writable(f);
    expect(mine).not.toBe(f);
    expect(Array.from(s.bytes(mine))).toEqual([7, 8, 9]);
    s.bytes(mine)[0] = 1;
    expect(Array.from(s.bytes(f))).toEqual([7, 8, 9]); // the other holder's frame is untouched
    expect(s.isShared(f)).toBe(false);
    s.release(mine);
    s.release(f);
  });

  it("counts exhaustion: no frame, and a failed copy keeps the caller's reference", () => {
    const s = store(2);
    const a = s.alloc(0, 0);
    const b = s.alloc(0, 0);
    expect(s.alloc(0, 0)).toBe(NO_FRAME);
    s.retain(a);
    expect(s.writable(a)).toBe(NO_FRAME);
    expect(s.isShared(a)).toBe(true);
    expect(s.stats().allocFailures).toBe(2);
    s.release(a);
    s.release(a);
    s.release(b);
  });
});
