// Device and channel conventions shared by every NIC, switch, router, link and medium.
//
// Contract:
// - A device has numbered ports; a port is attached to one endpoint of one channel (a
//   point-to-point link direction pair, a shared CSMA/CD segment, ...). attach() refuses a port
//   that is already connected or does not exist, with a NetloomError naming both.
// - Frames move by ownership transfer. Device -> channel: channel.transmit(end, frame) takes
//   the frame whatever happens: false means it was dropped, counted at the channel's trace
//   points and released. Channel -> device: an EV_FRAME_RX event to the device with
//   a = frame id, b = port, len = frame length; the device then owns the frame and must release
//   it (or pass it on) before the event returns or later.
// - Event kinds below EV_DEVICE_BASE are shared conventions; each device class numbers its own
//   events (timers, state transitions) from EV_DEVICE_BASE up.
// - Each device and each channel direction has the standard trace points (TracePoints): stats,
//   pcap and listeners hook onto those names.
// - Devices are explicit state machines: each names its states in a const object and moves
//   between them only through named transitions (see each device's module comment).

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { EventHandler } from "../engine/scheduler.js";
import type { Simulation } from "../engine/simulation.js";
import { TracePoints } from "../trace/trace-point.js";

// The shared event kinds belong to the engine; devices name them from here.
export { EV_DEVICE_BASE, EV_FRAME_RX, EV_SIGNAL_LOSS } from "../engine/event-kinds.js";

/** Something frames are sent into: a link, a shared segment. */
export interface Channel {
  readonly id: number;
  readonly name: string;
  /** Takes ownership of `frame` at endpoint `end`; false = dropped (counted and released). */
  transmit(end: number, frame: number): boolean;
  /** Connects endpoint `end` to a device port; called by Device.attach. */
  connect(end: number, device: number, port: number): void;
  /**
   * Drops the frames waiting at endpoint `end` to be sent (its device crashed), counted with
   * `reason`; a frame already being serialized goes on. Returns how many were dropped.
   */
  flushQueued?(end: number, reason: number): number;
}

export interface PortAttachment {
  channel: Channel;
  end: number;
}

export abstract class Device implements EventHandler {
  readonly id: number;
  readonly name: string;
  readonly sim: Simulation;
  readonly ports: (PortAttachment | undefined)[];
  /** Trace points of each port. */
  readonly trace: TracePoints[];

  protected constructor(sim: Simulation, name: string, portCount: number) {
    if (!Number.isInteger(portCount) || portCount < 1 || portCount > 4096) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${portCount} is not a port count (1 to 4096)`, {
        path: `${name}.ports`,
      });
    }
    this.sim = sim;
    this.name = name;
    this.ports = new Array<PortAttachment | undefined>(portCount).fill(undefined);
    this.trace = Array.from({ length: portCount }, () => new TracePoints());
    this.id = sim.register(name, this);
  }

  abstract handleEvent(kind: number, a: number, b: number, len: number): void;

  /** Connects `port` to endpoint `end` of `channel`. */
  attach(port: number, channel: Channel, end: number): void {
    if (!Number.isInteger(port) || port < 0 || port >= this.ports.length) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `${this.name} has no port ${port} (ports 0 to ${this.ports.length - 1})`,
        { path: `${channel.name}` },
      );
    }
    const existing = this.ports[port];
    if (existing !== undefined) {
      throw new NetloomError(
        ErrorCode.INVALID_ARGUMENT,
        `port ${port} of ${this.name} is already connected to ${existing.channel.name}`,
        { path: `${channel.name}` },
      );
    }
    channel.connect(end, this.id, port);
    this.ports[port] = { channel, end };
  }
}
