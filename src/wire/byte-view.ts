// ByteView: the base of every wire-format view: a window (bytes, offset, length) that is
// re-pointed with wrap() instead of re-created, so one view object serves a whole run.
// Subclasses add getters/setters for their fields and checkLength() for untrusted bytes.

// Byte helpers (big-endian, wire order).

export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

export function writeU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 8;
  bytes[at + 1] = value;
}

export function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

export function writeU32(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >>> 24;
  bytes[at + 1] = value >>> 16;
  bytes[at + 2] = value >>> 8;
  bytes[at + 3] = value;
}

export class ByteView {
  bytes: Uint8Array;
  offset: number;
  length: number;

  constructor(bytes: Uint8Array, offset = 0, length = bytes.length - offset) {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
  }

  /**
   * Re-points the view (no allocation). The views on the per-packet path (Ethernet, IPv4, UDP)
   * repeat this body as their own method, so each keeps monomorphic type feedback.
   */
  wrap(bytes: Uint8Array, offset: number, length: number): this {
    this.bytes = bytes;
    this.offset = offset;
    this.length = length;
    return this;
  }
}

/**
 * The first four bytes of a UDP datagram or a TCP segment: source and destination ports, big
 * endian (RFC 768, RFC 793). Both transports' views extend it.
 */
export class TransportPortsView extends ByteView {
  get srcPort(): number {
    return readU16(this.bytes, this.offset);
  }
  set srcPort(port: number) {
    writeU16(this.bytes, this.offset, port);
  }
  get dstPort(): number {
    return readU16(this.bytes, this.offset + 2);
  }
  set dstPort(port: number) {
    writeU16(this.bytes, this.offset + 2, port);
  }
}
