// ArpCache bounds: the table and the frames waiting on one interface stay bounded whatever the
// wire sends, every refusal is counted, and no frame is lost track of.
import { describe, expect, it } from "vitest";
import {
  ARP_MAX_ENTRIES,
  ARP_MAX_QUEUED,
  ArpCache,
  DEFAULT_ARP_OPTIONS,
  type ArpOwner,
} from "../../../src/stacks/ip/arp-cache.js";
import { ARP_OP_REQUEST, type ArpRepr } from "../../../src/wire/arp.js";

const ME = 0x0a000001;

/** An owner that records what the cache does with frames and packets, with a settable clock. */
function fakeOwner() {
  const o = {
    time: 0,
    released: [] as number[],
    transmitted: [] as number[],
    arpSent: 0,
    owner: undefined as unknown as ArpOwner,
  };
  o.owner = {
    ip: ME,
    mac: 0x020000000001,
    sendArp: () => {
      o.arpSent++;
    },
    transmitTo: (frame) => {
      o.transmitted.push(frame);
    },
    releaseFrame: (frame) => {
      o.released.push(frame);
    },
    scheduleArpTimer: () => 1,
    cancelTimer: () => {},
    now: () => o.time,
  };
  return o;
}

const request = (senderIp: number): ArpRepr =>
  ({
    operation: ARP_OP_REQUEST,
    senderMac: 0x020000100000 + senderIp,
    senderIp,
    targetMac: 0,
    targetIp: ME,
  }) as ArpRepr;

describe("ArpCache bounds", () => {
  it("requests from ever new senders fill the table to its bound, then are answered without caching", () => {
    const o = fakeOwner();
    const arp = new ArpCache(o.owner, DEFAULT_ARP_OPTIONS);
    const senders = ARP_MAX_ENTRIES + 500;
    for (let i = 0; i < senders; i++) arp.input(request(0x0b000000 + i));
    const s = arp.stats();
    expect(s.entries).toBe(ARP_MAX_ENTRIES);
    expect(s.drops["TABLE_FULL"]).toBe(500);
    expect(s.repliesSent).toBe(senders);
    // Once the entries have expired, the sweep makes room again.
    o.time = DEFAULT_ARP_OPTIONS.timeout;
    arp.input(request(0x0c000000));
    expect(arp.stats().entries).toBe(1);
    expect(arp.stats().expired).toBe(ARP_MAX_ENTRIES);
    arp.destroy();
  });

  it("frames waiting for resolutions are bounded over all neighbours; each extra one is released and counted", () => {
    const o = fakeOwner();
    const arp = new ArpCache(o.owner, DEFAULT_ARP_OPTIONS);
    const frames = ARP_MAX_QUEUED + 100;
    for (let f = 0; f < frames; f++) arp.enqueue(0x0d000000 + f, f);
    expect(arp.stats().drops["QUEUE_TOTAL_FULL"]).toBe(100);
    expect(o.released).toEqual(Array.from({ length: 100 }, (_, i) => ARP_MAX_QUEUED + i));
    // A resolution hands its frame on and frees its place for another.
    arp.input({ ...request(0x0d000000), operation: 2, targetMac: 0x020000000001 } as ArpRepr);
    expect(o.transmitted).toEqual([0]);
    arp.enqueue(0x0e000000, 9999);
    expect(o.released).not.toContain(9999);
    arp.destroy();
    expect(o.released).toHaveLength(100 + ARP_MAX_QUEUED);
  });

  it("a full table refuses a new neighbour's first frame without sending a request", () => {
    const o = fakeOwner();
    const arp = new ArpCache(o.owner, DEFAULT_ARP_OPTIONS);
    for (let i = 0; i < ARP_MAX_ENTRIES; i++) arp.set(0x0b000000 + i, 0x020000200000 + i);
    const before = o.arpSent;
    arp.enqueue(0x0f000001, 7);
    expect(o.arpSent).toBe(before);
    expect(o.released).toEqual([7]);
    expect(arp.stats().drops["TABLE_FULL"]).toBe(1);
    arp.destroy();
  });
});
