// ATM VC table: (in port, VPI, VCI) -> (out port, VPI, VCI) with cell header rewrite, in one
// heap region.
//
// Contract:
// - The caller (src/kernels/switching.ts) allocates the region (vcRegionBytes) zeroed, calls
//   vcInit, then vcSetPortFormat for every NNI port before adding entries (layout at the H_*
//   offsets below). A port's header format (UNI: GFC 4 bits + VPI 8 bits; NNI: VPI 12 bits) is
//   fixed for the table's lifetime: entries precompute their rewrite masks from it. Nothing here
//   allocates.
// - Entries: a VC entry matches (port, VPI, VCI) and rewrites VPI and VCI; a VP entry matches
//   (port, VPI) with any VCI and rewrites only the VPI (VP switching, VCI kept). The VC entry
//   wins when both match (most specific first).
// - Rewrite: PTI and CLP are always kept; GFC is kept from UNI to UNI, and zeroed when the out
//   port is UNI and the in port NNI ("uncontrolled access", ITU-T I.361 section 2.2.3). Going
//   to an NNI port the top four bits carry VPI bits 8..11. The HEC (byte 4) is recomputed.
// - The incoming HEC is not checked here (the receive PHY does that, with single-bit
//   correction). Value ranges (VPI width per format) are the caller's job; the kernel masks.
// - Counters are u64: switched (of which vpSwitched), unknownVc, malformed (len != 53 or in
//   port out of range).

import { FRAME_VEC_ARG, FRAME_VEC_LEN, FRAME_VEC_OUT, FRAME_VEC_PTR, FRAME_VEC_STRIDE } from "../abi";
import { hecOf } from "../checksum/hec";

export const VC_MAGIC: u32 = 0x31544356; // "VCT1"
export const VC_HEADER: u32 = 128;
export const VC_SLOT: u32 = 16;

// Region layout (little-endian):
//
//   +0  u32 magic 'VCT1'   +4  u32 hash shift  +8  u32 slot mask  +12 u32 maxEntries
//   +16 u32 ports          +20 u32 entries     +24 u32 slots offset
//   +32 u64 switched  +40 u64 unknownVc  +48 u64 malformed  +56 u64 vpSwitched
//   +128 u8 format per port (0 = UNI, 1 = NNI), padded to 64 bytes
//   slots offset: 16 bytes per slot
//     +0 u64 key: 1<<63 (used) | VP flag 1<<62 | in port << 28 | VPI << 16 | VCI (0 for VP)
//     +8 u32 rewrite: out port << 16 | 0x8000 if out port is UNI | 0x4000 if GFC kept
//     +12 u32 set bits: new header bits OR-ed in (new VPI << 20 | new VCI << 4)
//   The header keeps PTI/CLP, the VCI when VP switching, the GFC when flagged.
//
// Open addressing with linear probing and backward-shift deletion (Knuth, TAOCP vol. 3,
// section 6.4, Algorithm R), as in fdb.ts.
const H_MAGIC: u32 = 0;
const H_SHIFT: u32 = 4;
const H_MASK: u32 = 8;
const H_MAX: u32 = 12;
const H_PORTS: u32 = 16;
const H_ENTRIES: u32 = 20;
const H_SLOTS: u32 = 24;
const C_SWITCHED: u32 = 32;
const C_UNKNOWN: u32 = 40;
const C_MALFORMED: u32 = 48;
const C_VP_SWITCHED: u32 = 56;

/** Out codes of vcSwitchBatch (ports are 0 .. 4095). */
export const VC_UNKNOWN: u32 = 0xffffffff;
export const VC_MALFORMED: u32 = 0xfffffffe;

/** Results of vcInsert. */
export const VC_OK: u32 = 0;
export const VC_DUPLICATE: u32 = 1;
export const VC_FULL: u32 = 2;

const CELL_BYTES: u32 = 53;
const USED: u64 = 1 << 63;
const VP: u64 = 1 << 62;
const PTI_CLP: u32 = 0x0000000f;
const VCI_BITS: u32 = 0x000ffff0;
const GFC_BITS: u32 = 0xf0000000;
const R_UNI_OUT: u32 = 0x8000;
const R_KEEP_GFC: u32 = 0x4000;

// @ts-ignore: decorator
@inline function slotOf(key: u64, shift: u32): u32 {
  // Fibonacci hashing (Knuth, TAOCP vol. 3, section 6.4).
  return <u32>((key * 0x9e3779b97f4a7c15) >>> (<u64>shift));
}

// @ts-ignore: decorator
@inline function keyOf(port: u32, vpi: u32, vci: u32, vp: bool): u64 {
  return USED | (vp ? VP : 0) | ((<u64>port) << 28) | ((<u64>(vpi & 0xfff)) << 16) | <u64>(vp ? 0 : vci & 0xffff);
}

// @ts-ignore: decorator
@inline function bump(t: usize, counter: u32): void {
  store<u64>(t + counter, load<u64>(t + counter) + 1);
}

/** Bytes a table of 2^log2Slots slots and `ports` ports needs. */
export function vcRegionBytes(log2Slots: u32, ports: u32): u32 {
  return VC_HEADER + ((ports + 63) & ~63) + (VC_SLOT << log2Slots);
}

/** Writes the header of a zeroed region; every port starts as UNI. */
export function vcInit(t: usize, log2Slots: u32, maxEntries: u32, ports: u32): void {
  store<u32>(t + H_SHIFT, 64 - log2Slots);
  store<u32>(t + H_MASK, (<u32>1 << log2Slots) - 1);
  store<u32>(t + H_MAX, maxEntries);
  store<u32>(t + H_PORTS, ports);
  store<u32>(t + H_ENTRIES, 0);
  store<u32>(t + H_SLOTS, VC_HEADER + ((ports + 63) & ~63));
  store<u32>(t + H_MAGIC, VC_MAGIC);
}

/** Sets a port's header format (1 = NNI, 0 = UNI). Only before entries are added. */
export function vcSetPortFormat(t: usize, port: u32, nni: u32): void {
  store<u8>(t + VC_HEADER + port, nni != 0 ? 1 : 0);
}

export function vcCount(t: usize): u32 {
  return load<u32>(t + H_ENTRIES);
}

/** Removes every entry; counters are kept. */
export function vcClear(t: usize): void {
  memory.fill(t + load<u32>(t + H_SLOTS), 0, <usize>(load<u32>(t + H_MASK) + 1) * VC_SLOT);
  store<u32>(t + H_ENTRIES, 0);
}

/** Slot address holding `key`, or 0. */
// @ts-ignore: decorator
@inline function findKey(t: usize, base: usize, mask: u32, shift: u32, key: u64): usize {
  let i = slotOf(key, shift);
  while (true) {
    const e = base + (<usize>i << 4);
    const w = load<u64>(e);
    if (w == key) return e;
    if (w == 0) return 0;
    i = (i + 1) & mask;
  }
}

/**
 * Adds an entry (vp != 0: a VP entry, vci ignored, outVci ignored). Returns VC_OK,
 * VC_DUPLICATE (the same key exists) or VC_FULL.
 */
export function vcInsert(
  t: usize,
  inPort: u32,
  vpi: u32,
  vci: u32,
  vp: u32,
  outPort: u32,
  outVpi: u32,
  outVci: u32,
): u32 {
  const base = t + load<u32>(t + H_SLOTS);
  const mask = load<u32>(t + H_MASK);
  const shift = load<u32>(t + H_SHIFT);
  const key = keyOf(inPort, vpi, vci, vp != 0);
  let i = slotOf(key, shift);
  while (true) {
    const w = load<u64>(base + (<usize>i << 4));
    if (w == key) return VC_DUPLICATE;
    if (w == 0) break;
    i = (i + 1) & mask;
  }
  if (load<u32>(t + H_ENTRIES) >= load<u32>(t + H_MAX)) return VC_FULL;
  const inUni = load<u8>(t + VC_HEADER + inPort) == 0;
  const outUni = load<u8>(t + VC_HEADER + outPort) == 0;
  let rewrite = (outPort & 0xffff) << 16;
  if (outUni) rewrite |= R_UNI_OUT;
  if (inUni && outUni) rewrite |= R_KEEP_GFC;
  const set = ((outVpi & (outUni ? 0xff : 0xfff)) << 20) | (vp != 0 ? 0 : (outVci & 0xffff) << 4);
  const e = base + (<usize>i << 4);
  store<u64>(e, key);
  store<u32>(e + 8, rewrite);
  store<u32>(e + 12, set);
  store<u32>(t + H_ENTRIES, load<u32>(t + H_ENTRIES) + 1);
  return VC_OK;
}

/** Removes the VC (vp = 0) or VP (vp != 0) entry; 1 if there was one. */
export function vcRemove(t: usize, inPort: u32, vpi: u32, vci: u32, vp: u32): u32 {
  const base = t + load<u32>(t + H_SLOTS);
  const mask = load<u32>(t + H_MASK);
  const shift = load<u32>(t + H_SHIFT);
  const e0 = findKey(t, base, mask, shift, keyOf(inPort, vpi, vci, vp != 0));
  if (e0 == 0) return 0;
  // Algorithm R: shift later members of the probe run back into the hole.
  let hole = <u32>((e0 - base) >> 4);
  let j = hole;
  while (true) {
    j = (j + 1) & mask;
    const e = base + (<usize>j << 4);
    const w = load<u64>(e);
    if (w == 0) break;
    const home = slotOf(w, shift);
    if (((j - home) & mask) >= ((j - hole) & mask)) {
      const h = base + (<usize>hole << 4);
      store<u64>(h, w);
      store<u64>(h + 8, load<u64>(e + 8));
      hole = j;
    }
  }
  const h = base + (<usize>hole << 4);
  store<u64>(h, 0);
  store<u64>(h + 8, 0);
  store<u32>(t + H_ENTRIES, load<u32>(t + H_ENTRIES) - 1);
  return 1;
}

/**
 * The entry a cell with (inPort, vpi, vci) would use (VC entry first, then VP entry), as the
 * address of its slot (read +8 rewrite, +12 set bits; key bit 62 = VP), or 0 for none.
 */
export function vcLookup(t: usize, inPort: u32, vpi: u32, vci: u32): usize {
  const base = t + load<u32>(t + H_SLOTS);
  const mask = load<u32>(t + H_MASK);
  const shift = load<u32>(t + H_SHIFT);
  const e = findKey(t, base, mask, shift, keyOf(inPort, vpi, vci, false));
  if (e != 0) return e;
  return findKey(t, base, mask, shift, keyOf(inPort, vpi, 0, true));
}

/**
 * Switches `count` cells of a frame vector (ptr -> 53-byte cell, arg = in port): looks up each
 * cell's circuit, rewrites VPI/VCI in place, recomputes the HEC and writes the out port into
 * out; VC_UNKNOWN (cell untouched, counted) when no entry matches, VC_MALFORMED (counted) when
 * len != 53 or the in port is out of range. Returns the number of cells switched.
 */
export function vcSwitchBatch(t: usize, vec: usize, count: u32): u32 {
  const base = t + load<u32>(t + H_SLOTS);
  const mask = load<u32>(t + H_MASK);
  const shift = load<u32>(t + H_SHIFT);
  const ports = load<u32>(t + H_PORTS);
  let switched: u32 = 0;
  let vpSwitched: u32 = 0;
  let unknown: u32 = 0;
  let malformed: u32 = 0;
  for (let k: u32 = 0; k < count; k++) {
    const d = vec + <usize>k * FRAME_VEC_STRIDE;
    const ptr = <usize>load<u32>(d + FRAME_VEC_PTR);
    const len = load<u32>(d + FRAME_VEC_LEN);
    const inPort = load<u32>(d + FRAME_VEC_ARG);
    if (len != CELL_BYTES || inPort >= ports) {
      store<u32>(d + FRAME_VEC_OUT, VC_MALFORMED);
      malformed++;
      continue;
    }
    const h = bswap<u32>(load<u32>(ptr));
    // UNI: the top 4 bits are GFC, VPI is 8 bits; NNI: VPI is 12 bits.
    const vpiMask: u32 = load<u8>(t + VC_HEADER + inPort) != 0 ? 0xfff : 0xff;
    const vpi = (h >>> 20) & vpiMask;
    const portVpi = ((<u64>inPort) << 28) | ((<u64>vpi) << 16);
    let e = findKey(t, base, mask, shift, USED | portVpi | <u64>((h >>> 4) & 0xffff));
    let keep: u32 = PTI_CLP;
    if (e == 0) {
      e = findKey(t, base, mask, shift, USED | VP | portVpi);
      if (e == 0) {
        store<u32>(d + FRAME_VEC_OUT, VC_UNKNOWN);
        unknown++;
        continue;
      }
      keep |= VCI_BITS;
      vpSwitched++;
    }
    const rewrite = load<u32>(e + 8);
    if ((rewrite & R_KEEP_GFC) != 0) keep |= GFC_BITS;
    const nh = (h & keep) | load<u32>(e + 12);
    store<u32>(ptr, bswap<u32>(nh));
    store<u8>(ptr + 4, <u8>hecOf(nh));
    store<u32>(d + FRAME_VEC_OUT, rewrite >>> 16);
    switched++;
  }
  store<u64>(t + C_SWITCHED, load<u64>(t + C_SWITCHED) + switched);
  store<u64>(t + C_VP_SWITCHED, load<u64>(t + C_VP_SWITCHED) + vpSwitched);
  store<u64>(t + C_UNKNOWN, load<u64>(t + C_UNKNOWN) + unknown);
  store<u64>(t + C_MALFORMED, load<u64>(t + C_MALFORMED) + malformed);
  return switched;
}
