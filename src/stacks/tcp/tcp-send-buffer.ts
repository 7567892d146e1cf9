// The send buffer of one TCP connection: a ring in the shared Wasm heap holding [snd.una, written),
// the unacknowledged and the unsent bytes, allocated when the connection opens and freed when it
// closes.
//
// Contract:
// - append()/appendGenerated() take bytes the caller has already bounded by the high-water mark;
//   release(n) drops the n oldest bytes once they are acknowledged; copyOut() puts bytes into a
//   frame being built. Bytes move ring <-> frame with rt.copy (the memCopy kernel): no
//   allocation per segment.
// - Frames held: none. The bytes live in the ring (its size is the connection's send buffer);
//   a segment's frame is built at transmit time and handed to the link at once.
// - Generated-only mode: while every byte written came from appendGenerated(), the ring's bytes
//   are not stored (they are a function of the stream offset, see pattern.ts) and copyOut()
//   copies them from the pattern straight into the segment, one copy instead of two. The first
//   append() of real bytes writes the pattern bytes the ring stands for and ends the mode.

import { PATTERN_PERIOD, PATTERN_SLACK } from "./pattern.js";
import type { TcpLayerPort } from "./tcp-port.js";

export class TcpSendBuffer {
  /** Heap address and size of the ring (0 while not allocated). */
  ring = 0;
  cap = 0;
  /** Ring index of the byte at snd.una. */
  head = 0;
  /** Bytes in the ring: [snd.una, snd.una + len). */
  len = 0;
  /** Data bytes ever written (the generated pattern is keyed by this stream offset). */
  written = 0;
  generatedOnly = true;
  private readonly port: TcpLayerPort;

  constructor(port: TcpLayerPort) {
    this.port = port;
  }

  alloc(cap: number): void {
    this.cap = cap;
    this.ring = this.port.sim.runtime.heap.alloc(cap);
  }

  free(): void {
    if (this.ring !== 0) this.port.sim.runtime.heap.free(this.ring);
    this.ring = 0;
    this.cap = 0;
  }

  /** Copies bytes[offset, offset + n) behind the buffered bytes. */
  append(bytes: Uint8Array, offset: number, n: number): void {
    if (this.generatedOnly) this.materializeGenerated();
    const u8 = this.port.u8;
    let done = 0;
    while (done < n) {
      const at = (this.head + this.len + done) % this.cap;
      const chunk = Math.min(n - done, this.cap - at);
      u8.set(bytes.subarray(offset + done, offset + done + chunk), this.ring + at);
      done += chunk;
    }
    this.len += n;
    this.written += n;
  }

  /** Appends `n` bytes of the generated pattern (stored only once real bytes were written). */
  appendGenerated(n: number): void {
    if (!this.generatedOnly) this.copyPattern(this.written, n, this.head + this.len);
    this.len += n;
    this.written += n;
  }

  /** The `n` oldest bytes were acknowledged. */
  release(n: number): void {
    this.head = (this.head + n) % this.cap;
    this.len -= n;
  }

  /** Copies `n` bytes starting `ringOff` bytes past snd.una to linear memory at `dst`. */
  copyOut(dst: number, ringOff: number, n: number): void {
    const rt = this.port.rt;
    if (this.generatedOnly) {
      // The ring stands for pattern bytes: copy them from the pattern at their stream offset.
      const pat = this.port.patternPtr;
      let left = n;
      let p = (this.written - this.len + ringOff) % PATTERN_PERIOD;
      while (left > 0) {
        const chunk = Math.min(left, PATTERN_SLACK);
        rt.copy(dst, pat + p, chunk);
        dst += chunk;
        left -= chunk;
        p = (p + chunk) % PATTERN_PERIOD;
      }
      return;
    }
    let at = (this.head + ringOff) % this.cap;
    let left = n;
    while (left > 0) {
      const chunk = Math.min(left, this.cap - at);
      rt.copy(dst, this.ring + at, chunk);
      dst += chunk;
      left -= chunk;
      at = 0;
    }
  }

  /** Leaves generated-only mode: writes the pattern bytes the ring stands for into it. */
  private materializeGenerated(): void {
    this.generatedOnly = false;
    this.copyPattern(this.written - this.len, this.len, this.head);
  }

  /** Copies `n` pattern bytes from stream offset `from` into the ring at `at`. */
  private copyPattern(from: number, n: number, at: number): void {
    const rt = this.port.rt;
    let done = 0;
    while (done < n) {
      const pos = (at + done) % this.cap;
      const p = (from + done) % PATTERN_PERIOD;
      const chunk = Math.min(n - done, this.cap - pos, PATTERN_SLACK);
      rt.copy(this.ring + pos, this.port.patternPtr + p, chunk);
      done += chunk;
    }
  }
}
