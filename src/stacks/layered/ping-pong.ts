// PingPong: the round-trip workload of the host-stack comparison: member `a` sends a message
// of `size` bytes, member `b` answers with one of the same size, `rounds` times; and OneWay:
// `a` sends `count` messages back to back, `b` counts them.
//
// Contract:
// - Installs itself as the application of both stacks (setApp) and drives them from their
//   upcalls; start() sends the first message. Round-trip times are virtual ns from the send()
//   call to the delivery of the answer; the payload is a byte pattern written by the
//   application (the work a real one would do) and checked on delivery (mismatches counted).
//   A member's own messages (a TOTAL layer delivers those to their sender too) are ignored.
// - Message buffers come from the stack (allocMessage), so the same code drives every
//   configuration (src/stacks/message-stack.ts). No allocation per message.
// Not handled: more than two members, loss of the whole exchange (a lost message without a
// reliable layer ends the ping-pong; `done` stays false).

import { NO_FRAME } from "../../buf/frames.js";
import type { MessageApp, MessageStack } from "../message-stack.js";

function fill(u8: Uint8Array, off: number, size: number, round: number): void {
  for (let i = 0; i < size; i++) u8[off + i] = (i + round) & 0xff;
}

function check(u8: Uint8Array, off: number, size: number, round: number): boolean {
  for (let i = 0; i < size; i++) if (u8[off + i] !== ((i + round) & 0xff)) return false;
  return true;
}

export class PingPong {
  readonly rtts: Float64Array;
  round = 0;
  mismatches = 0;
  refused = 0;
  private sentAt = 0;

  constructor(
    readonly a: MessageStack,
    readonly b: MessageStack,
    readonly size: number,
    readonly rounds: number,
  ) {
    this.rtts = new Float64Array(rounds);
    const self = this;
    const appA: MessageApp = {
      onMessage(_s, ptr, length, src) {
        if (src === a.rank) return;
        if (length !== self.size || !check(a.u8, ptr, length, self.round)) self.mismatches++;
        self.rtts[self.round] = a.now - self.sentAt;
        self.round++;
        if (self.round < self.rounds) self.ping();
      },
    };
    const appB: MessageApp = {
      onMessage(_s, ptr, length, src) {
        if (src === b.rank) return;
        if (length !== self.size || !check(b.u8, ptr, length, self.round)) self.mismatches++;
        self.send(b, self.round);
      },
    };
    a.setApp(appA);
    b.setApp(appB);
  }

  start(): void {
    this.ping();
  }

  get done(): boolean {
    return this.round === this.rounds;
  }

  /** Mean round-trip time (ns) of the rounds completed. */
  meanRtt(): number {
    let t = 0;
    for (let i = 0; i < this.round; i++) t += this.rtts[i]!;
    return this.round === 0 ? 0 : t / this.round;
  }

  private ping(): void {
    this.sentAt = this.a.now;
    this.send(this.a, this.round);
  }

  private send(s: MessageStack, round: number): void {
    const f = s.allocMessage(this.size);
    if (f === NO_FRAME) {
      this.refused++;
      return;
    }
    fill(s.u8, s.frames.offset(f), this.size, round);
    if (!s.send(f)) this.refused++;
  }
}

/** `count` messages from a to b as fast as a's CPU takes them; b counts bytes and time. */
export class OneWay {
  received = 0;
  bytes = 0;
  firstAt = -1;
  lastAt = 0;
  refused = 0;

  constructor(
    readonly a: MessageStack,
    readonly b: MessageStack,
    readonly size: number,
    readonly count: number,
  ) {
    const self = this;
    b.setApp({
      onMessage(_s, _ptr, length, src) {
        if (src === b.rank) return;
        if (self.firstAt < 0) self.firstAt = b.now;
        self.received++;
        self.bytes += length;
        self.lastAt = b.now;
      },
    });
  }

  start(): void {
    const s = this.a;
    for (let i = 0; i < this.count; i++) {
      const f = s.allocMessage(this.size);
      if (f === NO_FRAME) {
        this.refused++;
        continue;
      }
      fill(s.u8, s.frames.offset(f), this.size, i);
      if (!s.send(f)) this.refused++;
    }
  }

  /** Goodput in bit/s from the start (time 0 of start()) to the last delivery. */
  goodput(startedAt: number): number {
    const span = this.lastAt - startedAt;
    return span <= 0 ? 0 : (this.bytes * 8 * 1e9) / span;
  }
}
