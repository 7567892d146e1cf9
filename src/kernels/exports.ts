// The Wasm module's export surface, as TypeScript sees it. Each kernel family declares its own
// exports here, so the wrappers and the runtime depend on this file and never on each other.

export interface AbiExports {
  heapBase(): number;
  hasSimd(): number;
  abiVersion(): number;
}

/** assembly/mem: byte moves inside linear memory (wrapped by KernelRuntime.copy). */
export interface MemExports {
  memCopy(dst: number, src: number, len: number): void;
}

export type KernelExports = AbiExports & MemExports & ChecksumExports & SwitchingExports & Aal5Exports & WindowExports;

/** The checksum family's Wasm exports (assembly/checksum/index.ts). Pointers are byte offsets. */
export interface ChecksumExports {
  inetSum(ptr: number, len: number, initial: number): number;
  inetChecksum(ptr: number, len: number, initial: number): number;
  inetCombine(a: number, b: number, offsetB: number): number;
  inetUpdate16(checksum: number, oldWord: number, newWord: number): number;
  /** Returns entries completed; < count means entry [result] is outside memory. */
  inetChecksumBatch(vec: number, count: number): number;
  crc32(crc: number, ptr: number, len: number): number;
  crc32Aal5(crc: number, ptr: number, len: number): number;
  crc32ZeroRun(crc: number, n: number): number;
  crc32Aal5ZeroRun(crc: number, n: number): number;
  crc32Combine(crcA: number, crcB: number, lenB: number): number;
  crc32Aal5Combine(crcA: number, crcB: number, lenB: number): number;
  crc32Batch(vec: number, count: number): number;
  atmHec(ptr: number): number;
  hecCheck(ptr: number, statePtr: number): number;
  hecCheckBatch(vec: number, count: number, statePtr: number): number;
}

export interface SwitchingExports {
  fdbInit(table: number, log2Slots: number, maxEntries: number, ports: number, agingTimeNs: number): void;
  fdbSetAgingTime(table: number, agingTimeNs: number): void;
  fdbCount(table: number): number;
  fdbClear(table: number): void;
  fdbAge(table: number, nowNs: number): number;
  fdbLearn(table: number, macLo: number, macHi: number, port: number, nowNs: number): number;
  fdbLookup(table: number, macLo: number, macHi: number, inPort: number, nowNs: number): number;
  fdbGet(table: number, macLo: number, macHi: number, nowNs: number): number;
  fdbRemove(table: number, macLo: number, macHi: number): number;
  fdbProcessBatch(table: number, vec: number, count: number, nowNs: number): number;
  vcRegionBytes(log2Slots: number, ports: number): number;
  vcInit(table: number, log2Slots: number, maxEntries: number, ports: number): void;
  vcSetPortFormat(table: number, port: number, nni: number): void;
  vcCount(table: number): number;
  vcClear(table: number): void;
  vcInsert(
    table: number,
    inPort: number,
    vpi: number,
    vci: number,
    vp: number,
    outPort: number,
    outVpi: number,
    outVci: number,
  ): number;
  vcRemove(table: number, inPort: number, vpi: number, vci: number, vp: number): number;
  vcLookup(table: number, inPort: number, vpi: number, vci: number): number;
  vcSwitchBatch(table: number, vec: number, count: number): number;
}

export interface Aal5Exports {
  /** Cells written, or SEG_ZERO_LENGTH / SEG_TOO_LONG / SEG_NO_ROOM. */
  aal5Segment(pdu: number, len: number, header32: number, uuCpi: number, out: number, capCells: number): number;
  /** Total cells written; per-entry out = cells or a negative SEG_* status. */
  aal5SegmentBatch(
    vec: number,
    count: number,
    headers: number,
    nHeaders: number,
    out: number,
    capCells: number,
  ): number;
  /** Entries consumed (always count). */
  aal5Reassemble(ctx: number, vec: number, count: number): number;
  /** 1 started, 0 already discarding, -1 bad circuit. */
  aal5Discard(ctx: number, circuit: number): number;
  /** 1 dropped a PDU in progress, 0 idle, -1 bad circuit. */
  aal5Abort(ctx: number, circuit: number): number;
}

export interface WindowExports {
  windowTableBytes(connections: number, maxRanges: number, ringCap: number): number;
  windowTableInit(table: number, connections: number, maxRanges: number, ringCap: number): number;
  windowOpen(table: number, index: number, rcvNxt: number, rcvWnd: number, iss: number, sndWnd: number): number;
  windowConfigRto(
    table: number,
    index: number,
    minRto: number,
    maxRto: number,
    granularity: number,
    initRto: number,
  ): number;
  windowSetReceiveWindow(table: number, index: number, wnd: number): number;
  windowSetSendWindow(table: number, index: number, wnd: number): number;
  windowMark(table: number, index: number, start: number, len: number): number;
  windowMarkBatch(table: number, vec: number, count: number): number;
  windowHoles(table: number, index: number, out: number, max: number): number;
  windowRanges(table: number, index: number, out: number, max: number, recentFirst: number): number;
  windowHighestReceived(table: number, index: number): number;
  windowRttSample(table: number, index: number, sample: number): number;
  windowOnTimeout(table: number, index: number): number;
  windowOnSend(table: number, index: number, seq: number, len: number, now: number): number;
  windowOnAck(table: number, index: number, ack: number, wnd: number, now: number): number;
  windowAckBatch(table: number, vec: number, count: number, now: number): number;
  windowSendBatch(table: number, vec: number, count: number, now: number): number;
  windowOnSack(table: number, index: number, start: number, len: number): number;
  windowRetransmitList(table: number, index: number, out: number, max: number): number;
  windowRto(table: number, index: number): number;
}
