// Event kinds shared across the engine and every device. The scheduler dispatches an event to
// its handler with the kind as written here; kinds below EV_DEVICE_BASE are shared
// conventions (a frame arriving at a port), and each device class numbers its own events
// (timers, state transitions) from EV_DEVICE_BASE up.

/** A frame arrives at a device port: a = frame id, b = port, len = frame length. */
export const EV_FRAME_RX = 1;
/**
 * The sender at the far end of a port went dark (it crashed) with cells it had already
 * scheduled on the link: those arriving at the port after now, up to `len` (ns), were never
 * sent. b = port. Only ATM links send it (their trains are handed over whole, see atm-link.ts).
 */
export const EV_SIGNAL_LOSS = 2;
/** First event kind a device class may use for its own events. */
export const EV_DEVICE_BASE = 16;
