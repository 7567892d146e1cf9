// MAC forwarding database: the learning table of an IEEE 802.1D bridge, in one heap region.
//
// Contract:
// - The caller (src/kernels/switching.ts) allocates the region (FDB_HEADER + slots * 16 bytes,
//   slots a power of two of at least 2 * maxEntries; layout at the H_* offsets below) and calls
//   fdbInit once. Nothing here allocates; all state lives in that region, so any thread sharing
//   the memory may use the table (one thread at a time: there is no locking).
// - Time is virtual nanoseconds as an f64 holding an exact integer, non-decreasing per table.
//   An entry last seen at t is live for now in [t, t + agingTime); from t + agingTime on it is
//   treated as absent (expired) and may be swept.
// - Learning: a group source (I/G bit set) is never learned. A live entry is refreshed; if its
//   port differs the station has moved (port updated, `moved` counted). An expired entry for the
//   same address is replaced (counted in `aged` and `learned`).
// - Full-table policy: a NEW address that finds maxEntries entries stored first makes the table
//   reclaim every expired entry (a sweep); if it is still full the address is not learned and
//   `learnFailures` rises (its frames keep flooding). Existing entries always refresh.
// - Lookup: a group destination floods; an unknown or expired one floods; a live one gives its
//   port, or FILTER when that port is the frame's in port.
// - Counters are u64 and wrap at 2^64; `entries` counts stored entries, expired-but-unswept ones
//   included.
// - Not handled: VLANs (802.1Q filtering databases), static entries, per-port learning state.

import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../abi";

export const FDB_MAGIC: u32 = 0x31424446; // "FDB1"
export const FDB_HEADER: u32 = 128;
export const FDB_SLOT: u32 = 16;

// Region layout (little-endian):
//
//   +0   u32 magic 'FDB1'       +4  u32 hash shift (64 - log2 slots)   +8  u32 slot mask
//   +12  u32 maxEntries         +16 u32 number of ports                +20 u32 entries
//   +24  f64 agingTimeNs        +32 f64 nextExpiry (lower bound on the earliest expiry)
//   +40  u64 learned  +48 moved  +56 learnFailures  +64 lookups  +72 hits  +80 floods
//   +88  u64 filtered +96 aged   +104 dropped (runt frame or bad in port in a batch)
//   +128 slots: 16 bytes each
//          +0 u64  MAC (wire bytes 0..5 as a little-endian 48-bit value) | (port + 1) << 48;
//                  0 = empty slot (the port field is never 0 in a used slot)
//          +8 f64  last seen (ns)
//
// Open addressing with linear probing and backward-shift deletion (Knuth, TAOCP vol. 3,
// section 6.4, Algorithm R), so there are no tombstones and probe runs stay short.
const H_MAGIC: u32 = 0;
const H_SHIFT: u32 = 4;
const H_MASK: u32 = 8;
const H_MAX: u32 = 12;
const H_PORTS: u32 = 16;
const H_ENTRIES: u32 = 20;
const H_AGING: u32 = 24;
const H_NEXT_EXPIRY: u32 = 32;
const C_LEARNED: u32 = 40;
const C_MOVED: u32 = 48;
const C_LEARN_FAILURES: u32 = 56;
const C_LOOKUPS: u32 = 64;
const C_HITS: u32 = 72;
const C_FLOODS: u32 = 80;
const C_FILTERED: u32 = 88;
const C_AGED: u32 = 96;
const C_DROPPED: u32 = 104;

/** Out-port codes of fdbLookup / fdbProcessBatch (ports are 0 .. 65534). */
export const FDB_FLOOD: u32 = 0xffffffff;
export const FDB_FILTER: u32 = 0xfffffffe;
export const FDB_DROP_RUNT: u32 = 0xfffffffd;
export const FDB_DROP_BAD_PORT: u32 = 0xfffffffc;

/** Results of fdbLearn. */
export const LEARN_NEW: u32 = 0;
export const LEARN_REFRESHED: u32 = 1;
export const LEARN_MOVED: u32 = 2;
export const LEARN_FULL: u32 = 3;
export const LEARN_GROUP: u32 = 4;
export const LEARN_BAD_PORT: u32 = 5;

const MASK48: u64 = 0xffff_ffff_ffff;
const ETH_HEADER: u32 = 14;

// @ts-ignore: decorator
@inline function slotOf(mac: u64, shift: u32): u32 {
  // Fibonacci hashing (Knuth, TAOCP vol. 3, section 6.4): the top bits of key * 2^64/phi.
  return <u32>((mac * 0x9e3779b97f4a7c15) >>> (<u64>shift));
}

// @ts-ignore: decorator
@inline function bump(t: usize, counter: u32): void {
  store<u64>(t + counter, load<u64>(t + counter) + 1);
}

// @ts-ignore: decorator
@inline function macOf(lo: u32, hi: u32): u64 {
  return (<u64>lo) | ((<u64>(hi & 0xffff)) << 32);
}

/** Writes the header of a zeroed region with `slots` = 2^log2Slots slots. */
export function fdbInit(t: usize, log2Slots: u32, maxEntries: u32, ports: u32, agingTimeNs: f64): void {
  store<u32>(t + H_SHIFT, 64 - log2Slots);
  store<u32>(t + H_MASK, (<u32>1 << log2Slots) - 1);
  store<u32>(t + H_MAX, maxEntries);
  store<u32>(t + H_PORTS, ports);
  store<u32>(t + H_ENTRIES, 0);
  store<f64>(t + H_AGING, agingTimeNs);
  store<f64>(t + H_NEXT_EXPIRY, Infinity);
  store<u32>(t + H_MAGIC, FDB_MAGIC);
}

export function fdbSetAgingTime(t: usize, agingTimeNs: f64): void {
  store<f64>(t + H_AGING, agingTimeNs);
  // Every stored expiry moved; force the next sweep to look and recompute the bound.
  store<f64>(t + H_NEXT_EXPIRY, -Infinity);
}

export function fdbCount(t: usize): u32 {
  return load<u32>(t + H_ENTRIES);
}

/** Empties the table; counters other than `entries` are kept. */
export function fdbClear(t: usize): void {
  const slots = load<u32>(t + H_MASK) + 1;
  memory.fill(t + FDB_HEADER, 0, <usize>slots * FDB_SLOT);
  store<u32>(t + H_ENTRIES, 0);
  store<f64>(t + H_NEXT_EXPIRY, Infinity);
}

/** Removes slot i, shifting later members of its probe run back (Algorithm R). */
function deleteSlot(t: usize, i: u32): void {
  const base = t + FDB_HEADER;
  const mask = load<u32>(t + H_MASK);
  const shift = load<u32>(t + H_SHIFT);
  let hole = i;
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    const e = base + (<usize>j << 4);
    const w = load<u64>(e);
    if (w == 0) break;
    const home = slotOf(w & MASK48, shift);
    // The entry at j may fill the hole unless its home lies cyclically in (hole, j].
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      const h = base + (<usize>hole << 4);
      store<u64>(h, w);
      store<f64>(h + 8, load<f64>(e + 8));
      hole = j;
    }
  }
  const h = base + (<usize>hole << 4);
  store<u64>(h, 0);
  store<f64>(h + 8, 0);
}

/** Removes every entry expired at `now`; returns how many. Skips the scan when none can be. */
export function fdbAge(t: usize, now: f64): u32 {
  if (now < load<f64>(t + H_NEXT_EXPIRY)) return 0;
  const base = t + FDB_HEADER;
  const mask = load<u32>(t + H_MASK);
  const aging = load<f64>(t + H_AGING);
  // Start just after an empty slot: no probe run wraps into it, so backward shifts only move
  // entries into slots this scan has not passed yet (or the one it re-examines).
  let start: u32 = 0;
  while (load<u64>(base + (<usize>start << 4)) != 0) start = (start + 1) & mask;
  let removed: u32 = 0;
  let minSeen: f64 = Infinity;
  const slots = mask + 1;
  let n: u32 = 0;
  while (n < slots) {
    const i = (start + 1 + n) & mask;
    const e = base + (<usize>i << 4);
    if (load<u64>(e) != 0) {
      const seen = load<f64>(e + 8);
      if (!(now - seen < aging)) {
        deleteSlot(t, i);
        removed++;
        continue; // slot i now holds a shifted entry (or is empty): look again
      }
      if (seen < minSeen) minSeen = seen;
    }
    n++;
  }
  store<u32>(t + H_ENTRIES, load<u32>(t + H_ENTRIES) - removed);
  store<u64>(t + C_AGED, load<u64>(t + C_AGED) + removed);
  store<f64>(t + H_NEXT_EXPIRY, minSeen + aging);
  return removed;
}

// @ts-ignore: decorator
@inline function learnMac(t: usize, mac: u64, port: u32, now: f64): u32 {
  if ((mac & 1) != 0) return LEARN_GROUP; // I/G bit: group addresses are never sources
  const base = t + FDB_HEADER;
  const mask = load<u32>(t + H_MASK);
  const shift = load<u32>(t + H_SHIFT);
  const aging = load<f64>(t + H_AGING);
  const word = mac | ((<u64>(port + 1)) << 48);
  let i = slotOf(mac, shift);
  while (true) {
    const e = base + (<usize>i << 4);
    const w = load<u64>(e);
    if (w == 0) break;
    if (((w ^ mac) & MASK48) == 0) {
      const seen = load<f64>(e + 8);
      store<f64>(e + 8, now);
      if (now - seen < aging) {
        if (w == word) return LEARN_REFRESHED;
        store<u64>(e, word);
        bump(t, C_MOVED);
        return LEARN_MOVED;
      }
      // Expired: the old entry ages out and the address is learned afresh.
      store<u64>(e, word);
      bump(t, C_AGED);
      bump(t, C_LEARNED);
      noteExpiry(t, now + aging);
      return LEARN_NEW;
    }
    i = (i + 1) & mask;
  }
  if (load<u32>(t + H_ENTRIES) >= load<u32>(t + H_MAX)) {
    // Full: reclaim expired entries first; the sweep moves entries, so probe again after it.
    if (fdbAge(t, now) == 0) {
      bump(t, C_LEARN_FAILURES);
      return LEARN_FULL;
    }
    i = slotOf(mac, shift);
    while (load<u64>(base + (<usize>i << 4)) != 0) i = (i + 1) & mask;
  }
  const e = base + (<usize>i << 4);
  store<u64>(e, word);
  store<f64>(e + 8, now);
  store<u32>(t + H_ENTRIES, load<u32>(t + H_ENTRIES) + 1);
  bump(t, C_LEARNED);
  noteExpiry(t, now + aging);
  return LEARN_NEW;
}

// @ts-ignore: decorator
@inline function noteExpiry(t: usize, expiry: f64): void {
  if (expiry < load<f64>(t + H_NEXT_EXPIRY)) store<f64>(t + H_NEXT_EXPIRY, expiry);
}

/** Port of a live entry for `mac`, or FDB_FLOOD when there is none (no counters touched). */
// @ts-ignore: decorator
@inline function find(t: usize, mac: u64, now: f64): u32 {
  const base = t + FDB_HEADER;
  const mask = load<u32>(t + H_MASK);
  let i = slotOf(mac, load<u32>(t + H_SHIFT));
  while (true) {
    const e = base + (<usize>i << 4);
    const w = load<u64>(e);
    if (w == 0) return FDB_FLOOD;
    if (((w ^ mac) & MASK48) == 0) {
      if (now - load<f64>(e + 8) < load<f64>(t + H_AGING)) return <u32>(w >>> 48) - 1;
      return FDB_FLOOD;
    }
    i = (i + 1) & mask;
  }
}

// @ts-ignore: decorator
@inline function lookupMac(t: usize, mac: u64, inPort: u32, now: f64): u32 {
  bump(t, C_LOOKUPS);
  // A group destination (I/G bit) floods without a probe.
  const port = (mac & 1) != 0 ? FDB_FLOOD : find(t, mac, now);
  if (port == FDB_FLOOD) {
    bump(t, C_FLOODS);
    return FDB_FLOOD;
  }
  bump(t, C_HITS);
  if (port == inPort) {
    bump(t, C_FILTERED);
    return FDB_FILTER;
  }
  return port;
}

/** Learns `mac` (lo = wire bytes 0..3 little-endian, hi = bytes 4..5) on `port`: LEARN_*. */
export function fdbLearn(t: usize, lo: u32, hi: u32, port: u32, now: f64): u32 {
  if (port >= load<u32>(t + H_PORTS)) return LEARN_BAD_PORT;
  return learnMac(t, macOf(lo, hi), port, now);
}

/** Forwarding decision for a destination: port, FDB_FLOOD or FDB_FILTER (inPort may be ~0). */
export function fdbLookup(t: usize, lo: u32, hi: u32, inPort: u32, now: f64): u32 {
  return lookupMac(t, macOf(lo, hi), inPort, now);
}

/** Port of a live entry or FDB_FLOOD; touches no counter (inspection). */
export function fdbGet(t: usize, lo: u32, hi: u32, now: f64): u32 {
  return find(t, macOf(lo, hi), now);
}

/** Removes the entry for `mac` (live or expired); 1 if there was one. */
export function fdbRemove(t: usize, lo: u32, hi: u32): u32 {
  const mac = macOf(lo, hi);
  const base = t + FDB_HEADER;
  const mask = load<u32>(t + H_MASK);
  let i = slotOf(mac, load<u32>(t + H_SHIFT));
  while (true) {
    const w = load<u64>(base + (<usize>i << 4));
    if (w == 0) return 0;
    if (((w ^ mac) & MASK48) == 0) {
      deleteSlot(t, i);
      store<u32>(t + H_ENTRIES, load<u32>(t + H_ENTRIES) - 1);
      return 1;
    }
    i = (i + 1) & mask;
  }
}

/**
 * One bridge step for `count` frames of a frame vector, all arriving at `now`: for each frame
 * in order (ptr -> Ethernet frame, arg = in port) learn its source, then write its destination's
 * decision into out: a port, FDB_FLOOD, FDB_FILTER, or FDB_DROP_RUNT (len < 14) /
 * FDB_DROP_BAD_PORT (in port out of range), both counted in `dropped`. Returns the number of
 * frames given a single out port.
 */
export function fdbProcessBatch(t: usize, vec: usize, count: u32, now: f64): u32 {
  const ports = load<u32>(t + H_PORTS);
  let unicast: u32 = 0;
  for (let k: u32 = 0; k < count; k++) {
    const d = vec + <usize>k * FRAME_VEC_STRIDE;
    const ptr = <usize>load<u32>(d + FRAME_VEC_PTR);
    const len = load<u32>(d + FRAME_VEC_LEN);
    const inPort = load<u32>(d + FRAME_VEC_ARG);
    let out: u32;
    if (len < ETH_HEADER) {
      out = FDB_DROP_RUNT;
      bump(t, C_DROPPED);
    } else if (inPort >= ports) {
      out = FDB_DROP_BAD_PORT;
      bump(t, C_DROPPED);
    } else {
      // Two overlapping 8-byte loads cover bytes 0..13: dst = 0..5, src = 6..11.
      learnMac(t, load<u64>(ptr + 6) & MASK48, inPort, now);
      out = lookupMac(t, load<u64>(ptr) & MASK48, inPort, now);
      if (out < FDB_DROP_BAD_PORT) unicast++;
    }
    store<u32>(d + FRAME_VEC_OUT, out);
  }
  return unicast;
}
