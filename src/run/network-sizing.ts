// How big a scenario's Network is made: frame slot size and count follow the scenario (hosts,
// links, MTUs, the ATM section, host-stack messages), so small scenarios stay small and jumbo
// frames, cell trains and whole messages each fit one slot.

import { DEFAULT_SLOT_BYTES } from "../engine/simulation.js";
import type { Scenario } from "../scenario/scenario.js";
import { slotBytesForMtu } from "../stacks/ip/ip-link.js";

/** Headers of the deepest layered stack with room to spare (Ethernet 14 + every layer's). */
const MESSAGE_HEADROOM = 256;
/** Frame slots a host stack holds besides its NIC's receive chain (U-Net's segment: 256 buffers). */
const STACK_HELD_SLOTS = 256;
/** Frame slot bytes of a scenario with an atm section (a 192-cell train, 10,176 bytes, rounded up). */
const ATM_SLOT_BYTES = 10_240;

/**
 * Frame slots: 64 queued frames per link and direction-ish, plus per-host buffers, rounded up
 * to a power of two and capped at 65,536 (128 MiB of 2 KiB slots), so a few hundred hosts still
 * fit the default 256 MiB memory. A run that needs more counts allocation failures (NO_SLOT
 * drops in the stats) rather than failing.
 */
export function frameSlotsFor(s: Scenario, slotBytes: number): number {
  const queued = s.links.reduce((n, l) => n + Math.min(l.queueLimit, 64), 0);
  const hosts =
    s.hosts.reduce((n, h) => n + h.rxBuffers + 16, 0) +
    s.stackHosts.reduce((n, h) => n + h.rxBuffers + 16 + STACK_HELD_SLOTS, 0);
  // Jumbo slots keep the byte budget of 2 KiB slots: the floor (4096 x 2 KiB) and the cap
  // (65,536 x 2 KiB = 128 MiB) shrink by the size ratio, in powers of two.
  const shrink = 2 ** Math.ceil(Math.log2(slotBytes / DEFAULT_SLOT_BYTES));
  const floor = Math.max(1024, 4096 / shrink);
  const cap = (1 << 16) / shrink;
  return Math.min(cap, Math.max(floor, 2 ** Math.ceil(Math.log2(queued + hosts + 1024))));
}

/**
 * Frame slot size: the default 2 KiB unless an interface's MTU needs more (jumbo frames):
 * headroom + the largest MTU + FCS, rounded up to 64 bytes (Simulation slotBytes).
 */
export function slotBytesFor(s: Scenario): number {
  let mtu = 0;
  for (const h of s.hosts) mtu = Math.max(mtu, h.mtu);
  for (const h of s.stackHosts) mtu = Math.max(mtu, h.mtu);
  for (const r of s.routers) for (const f of r.interfaces) mtu = Math.max(mtu, f.mtu);
  let bytes = Math.max(DEFAULT_SLOT_BYTES, slotBytesForMtu(mtu));
  // ATM: a frame holds a train of cells; the largest AAL5 PDU (9188 bytes: 192 cells) fits one.
  if (s.atm !== undefined) bytes = Math.max(bytes, ATM_SLOT_BYTES);
  // Host stacks hold a whole message in one slot (FRAG fragments it on the wire): the largest
  // message and the stack's headers, rounded up to 64 bytes.
  for (const t of s.messageTraffic) bytes = Math.max(bytes, Math.ceil((t.size + MESSAGE_HEADROOM) / 64) * 64);
  return bytes;
}
