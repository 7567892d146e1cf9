// CaptureChannel: a test double for a channel. transmit() records the frame (and releases it,
// as a real channel eventually would); inject() delivers a frame to the attached device as a
// real channel does (an EV_FRAME_RX event after `delay` ns). Ships beside the real channels
// so device tests need no link.

import { ErrorCode, NetloomError } from "../base/errors.js";
import type { Simulation } from "../engine/simulation.js";
import { EV_FRAME_RX, type Channel } from "./device.js";

export interface CapturedFrame {
  time: number;
  end: number;
  bytes: Uint8Array;
}

export class CaptureChannel implements Channel {
  readonly id: number;
  readonly name: string;
  readonly sent: CapturedFrame[] = [];
  private readonly sim: Simulation;
  private readonly peers: { device: number; port: number }[] = [];

  constructor(sim: Simulation, name: string) {
    this.sim = sim;
    this.name = name;
    this.id = sim.register(name, { handleEvent: () => undefined });
  }

  connect(end: number, device: number, port: number): void {
    this.peers[end] = { device, port };
  }

  transmit(end: number, frame: number): boolean {
    this.sent.push({ time: this.sim.now, end, bytes: this.sim.frames.bytes(frame).slice() });
    this.sim.frames.release(frame);
    return true;
  }

  /** Delivers `bytes` as a new frame to the device on endpoint `end`, `delay` ns from now. */
  inject(end: number, bytes: Uint8Array, delay = 0, headroom = 64): number {
    const peer = this.peers[end];
    if (peer === undefined) {
      throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `nothing is attached to end ${end} of ${this.name}`);
    }
    const frames = this.sim.frames;
    const frame = frames.alloc(headroom, this.sim.now);
    if (frame < 0) throw new NetloomError(ErrorCode.OUT_OF_MEMORY, "no frame slot free for an injected frame");
    frames.setLength(frame, bytes.length);
    frames.bytes(frame).set(bytes);
    this.sim.scheduler.schedule(this.id, delay, peer.device, EV_FRAME_RX, frame, peer.port, bytes.length);
    return frame;
  }
}
