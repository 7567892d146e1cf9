// Event kinds shared across the engine and every device. The scheduler dispatches an event to
// its handler with the kind as written here; kinds below EV_DEVICE_BASE are shared
// conventions (a frame arriving at a port), and each device class numbers its own events
// (timers, state transitions) from EV_DEVICE_BASE up.

/** A frame arrives at a device port: a = frame id, b = port, len = frame length. */
export const EV_FRAME_RX = 1;
/** First event kind a device class may use for its own events. */
export const EV_DEVICE_BASE = 16;
