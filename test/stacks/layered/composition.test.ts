import { describe, expect, it } from "vitest";
import { NetloomError } from "../../../src/base/errors.js";
import { ComLayer } from "../../../src/stacks/layered/com.js";
import { FcLayer } from "../../../src/stacks/layered/fc.js";
import { FragLayer } from "../../../src/stacks/layered/frag.js";
import { ALL, Prop } from "../../../src/stacks/layered/layer.js";
import { NakLayer } from "../../../src/stacks/layered/nak.js";
import { StableLayer } from "../../../src/stacks/layered/stable.js";
import { LAYER_PROPS, checkComposition } from "../../../src/stacks/layered/stack.js";
import { TotalLayer } from "../../../src/stacks/layered/total.js";
import { group, msgBytes } from "./support.js";
import { errorOf } from "../../support/errors.js";

describe("stack composition", () => {
  it("accepts the Horus stacks of figure 18-4 and others that can work", () => {
    for (const layers of [
      ["COM"],
      ["FRAG", "COM"],
      ["NAK", "COM"],
      ["NAK", "FRAG", "COM"],
      ["FRAG", "NAK", "COM"],
      ["FC", "NAK", "COM"],
      ["TOTAL", "FC", "FRAG", "NAK", "COM"],
      ["STABLE", "TOTAL", "NAK", "COM"],
      ["TOTAL", "STABLE", "FC", "NAK", "FRAG", "COM"],
    ]) {
      expect(checkComposition(layers)).toEqual(layers);
    }
    expect(checkComposition(["nak", "com"])).toEqual(["NAK", "COM"]);
  });

  it("refuses a layer whose requirements the layers below do not provide, naming both", () => {
    expect(errorOf(() => checkComposition(["TOTAL", "COM"], "h0")).message).toBe(
      "h0.layers[0]: TOTAL requires reliable, fifo below it, but COM provides only datagram (put a layer that provides reliable, fifo under TOTAL)",
    );
    expect(errorOf(() => checkComposition(["TOTAL", "NAK", "COM"].slice(0, 1).concat(["FRAG", "COM"]), "s")).path).toBe(
      "s.layers[0]",
    );
    const e = errorOf(() => checkComposition(["NAK", "STABLE", "FRAG", "COM"], "s"));
    expect(e.path).toBe("s.layers[1]");
    expect(e.message).toMatch(
      /STABLE requires reliable below it, but FRAG over COM provide only datagram, large messages/,
    );
    expect(errorOf(() => checkComposition(["FC", "FRAG", "COM"])).message).toMatch(/FC requires reliable/);
  });

  it("refuses COM off the bottom, a missing COM, unknown and repeated layers, an empty list", () => {
    expect(errorOf(() => checkComposition(["COM", "NAK"], "s")).message).toMatch(
      /^s\.layers\[0\]: COM must be the bottom layer/,
    );
    expect(errorOf(() => checkComposition(["NAK"], "s")).message).toBe(
      "s.layers[0]: NAK is at the bottom, but it needs a layer below it: the bottom layer must be COM",
    );
    expect(errorOf(() => checkComposition(["NAK", "VSYNC", "COM"], "s")).message).toBe(
      's.layers[1]: "VSYNC" is not a layer (COM, FRAG, NAK, FC, TOTAL, STABLE)',
    );
    expect(errorOf(() => checkComposition(["NAK", "NAK", "COM"], "s")).path).toBe("s.layers[1]");
    expect(errorOf(() => checkComposition([], "s")).path).toBe("s.layers");
  });

  it("the stack constructor refuses the same compositions and bad variants or ranks", () => {
    expect(errorOf(() => group({ layers: ["TOTAL", "COM"] })).path).toBe("h0.stack.layers[0]");
    expect(errorOf(() => group({ layers: ["NAK", "COM"], variant: "streams" as never })).path).toBe("h0.stack.variant");
    expect(errorOf(() => group({ layers: ["NAK", "COM"], extra: { rank: 5 } })).path).toBe("h0.stack.rank");
    expect(errorOf(() => group({ layers: ["NAK", "COM"], extra: { nak: { ringSize: 100 } } })).path).toBe(
      "h0.stack.layers[0].nak.ringSize",
    );
  });

  it("each layer object declares the properties of the table the check reads", () => {
    const layers = {
      FRAG: new FragLayer(),
      NAK: new NakLayer(),
      FC: new FcLayer(),
      TOTAL: new TotalLayer(),
      STABLE: new StableLayer(),
    };
    for (const [name, l] of Object.entries(layers)) {
      expect({ requires: l.requires, provides: l.provides }).toEqual(LAYER_PROPS[name as keyof typeof LAYER_PROPS]);
    }
    expect(LAYER_PROPS.COM).toEqual({ requires: 0, provides: Prop.DATAGRAM });
    expect(ComLayer.name).toBe("ComLayer");
  });

  it("computes headroom and the largest message from the composition", () => {
    const g = group({ layers: ["TOTAL", "FC", "NAK", "FRAG", "COM"], slotBytes: 8192 });
    const s = g.stacks[0]!;
    expect(s.headroom).toBe(14 + 12 + 4 + 8 + 4 + 8);
    // FRAG takes a frame slot less the whole headroom; the layers above it take off their own.
    expect(s.maxMessage).toBe(8192 - s.headroom - (12 + 4 + 8));
    const h = group({ layers: ["NAK", "COM"] });
    expect(h.stacks[0]!.maxMessage).toBe(1500 - 8 - 8);
    expect(() => h.stacks[0]!.allocMessage(1485)).toThrow(NetloomError);
    const f = h.stacks[0]!.allocMessage(10);
    h.sim.frames.setLength(f, 1485); // grown past the limit behind the stack's back
    expect(h.stacks[0]!.send(f, ALL)).toBe(false);
    expect(h.stacks[0]!.stats().drops.tooLong).toBe(1);
    expect(h.send(0, msgBytes(100, 1))).toBe(true);
    h.sim.scheduler.runToIdle();
    expect(h.received[1]!.length).toBe(1);
  });
});
