// ByteView: the base of every wire-format view: a window (bytes, offset, length) that is
// re-pointed with wrap() instead of re-created, so one view object serves a whole run.
// Subclasses add getters/setters for their fields and checkLength() for untrusted bytes.

export class ByteView {
  bytes: Uint8Array;
  offset: number;
  length: number;

  constructor(bytes: Uint8Array, offset = 0, length = bytes.length - offset) {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
  }

  /** Re-points the view (no allocation). */
  wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }
}
