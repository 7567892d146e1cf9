// A UDP datagram's journey through netloom's Wasm kernels, with real bytes at every step:
//   1. built in an fbuf slot: UDP, IPv4 and Ethernet headers pushed into headroom, the UDP
//      checksum over the pseudo-header, the IPv4 header checksum, the Ethernet FCS;
//   2. through a learning switch's forwarding database (flood, learn, forward);
//   3. over ATM: LLC/SNAP encapsulated (RFC 2684), segmented into AAL5 cells, switched
//      through a VC table that rewrites VPI/VCI and HEC, and reassembled;
//   4. a receiver's sliding window taking segments out of order.
// Run: npm run tour (after npm ci, which builds the package this file imports).

// The package's own subpath entries, as a program that depends on netloom imports them.
import {
  AAL5_STATUS,
  Aal5Reassembler,
  atmHec,
  aal5Segment,
  crc32At,
  FDB_FLOOD,
  FRAME_VEC_STRIDE,
  ForwardingDatabase,
  getRuntime,
  internetChecksumAt,
  ipv4PseudoHeaderSum,
  unpackCellHeader,
  VcTable,
  WindowTable,
} from "netloom/kernels";
import { ethernet, SlotPool } from "netloom/wire";

const rt = getRuntime();
const hex = (bytes: Uint8Array): string =>
  Buffer.from(bytes)
    .toString("hex")
    .replace(/(.{8})/g, "$1 ")
    .trim();
const ip = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
const put16 = (at: number, v: number): void => rt.view.setUint16(at, v, false);
const put32 = (at: number, v: number): void => rt.view.setUint32(at, v, false);

// --- 1. Build the frame in a slot: payload first, headers pushed in front of it. ---
const pool = new SlotPool({ slotBytes: 2048, count: 8, name: "tour" });
const slot = pool.alloc();
const base = pool.dataOffset(slot);
const payload = new TextEncoder().encode("netloom: real bytes in virtual time");
let head = 128; // headroom for UDP (8) + IPv4 (20) + Ethernet (14)
rt.u8.set(payload, base + head);
let length = payload.length;

const src = ip(10, 0, 0, 1);
const dst = ip(10, 0, 0, 2);
head -= 8; // UDP header
length += 8;
put16(base + head, 40000);
put16(base + head + 2, 7);
put16(base + head + 4, length);
put16(base + head + 6, 0);
const udpSum = internetChecksumAt(base + head, length, ipv4PseudoHeaderSum(src, dst, 17, length));
put16(base + head + 6, udpSum === 0 ? 0xffff : udpSum); // RFC 768: a computed 0 is sent as all ones
const udpLength = length;

head -= 20; // IPv4 header
length += 20;
rt.u8.fill(0, base + head, base + head + 20);
rt.u8[base + head] = 0x45;
put16(base + head + 2, length);
put16(base + head + 4, 1); // identification
put16(base + head + 6, 0x4000); // don't fragment
rt.u8[base + head + 8] = 64; // TTL
rt.u8[base + head + 9] = 17; // UDP
put32(base + head + 12, src);
put32(base + head + 16, dst);
put16(base + head + 10, internetChecksumAt(base + head, 20));
const ipStart = head;
const ipLength = length;

head -= ethernet.ETH_HEADER_LEN;
length += ethernet.ETH_HEADER_LEN;
const hostA = ethernet.macFromString("02:00:00:00:00:0a");
const hostB = ethernet.macFromString("02:00:00:00:00:0b");
ethernet.emitEthernet(
  { dst: hostB, src: hostA, etherType: ethernet.ETHERTYPE_IPV4 },
  new ethernet.EthernetView(rt.u8, base + head, ethernet.ETH_HEADER_LEN),
);
const padded = ethernet.ethFrameLength(length - ethernet.ETH_HEADER_LEN) - ethernet.ETH_FCS_LEN;
rt.u8.fill(0, base + head + length, base + head + padded);
length = padded;
rt.view.setUint32(base + head + length, crc32At(base + head, length), true); // FCS, LSB first
length += ethernet.ETH_FCS_LEN;

console.log(`1. Ethernet frame, ${length} bytes on the wire (FCS included):`);
console.log("   " + hex(pool.bytes(slot, head, length)).replace(/(.{72})/g, "$1\n   "));
console.log(`   IPv4 header checksum verifies: ${internetChecksumAt(base + ipStart, 20) === 0}`);
console.log(
  `   UDP checksum verifies: ${internetChecksumAt(base + ipStart + 20, udpLength, ipv4PseudoHeaderSum(src, dst, 17, udpLength)) === 0}`,
);
// CRC-32 over frame + FCS leaves the fixed residue 0x2144DF1C (the value zlib reports).
console.log(`   FCS residue is 0x2144df1c: ${crc32At(base + head, length) === 0x2144df1c}`);

// --- 2. A learning switch's forwarding database, one batch call per burst of frames. ---
const fdb = ForwardingDatabase.create({ capacity: 1024, ports: 4 });
const vec = rt.heap.alloc(4 * FRAME_VEC_STRIDE);
const reply = pool.alloc();
const replyBase = pool.dataOffset(reply);
ethernet.emitEthernet(
  { dst: hostA, src: hostB, etherType: ethernet.ETHERTYPE_IPV4 },
  new ethernet.EthernetView(rt.u8, replyBase, ethernet.ETH_HEADER_LEN),
);
const frames: [number, number, string][] = [
  [base + head, 1, "A->B"],
  [replyBase, 2, "B->A"],
  [base + head, 1, "A->B"],
];
frames.forEach(([ptr, port], i) => {
  rt.u32[(vec + i * FRAME_VEC_STRIDE) >>> 2] = ptr;
  rt.u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + 1] = 64;
  rt.u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + 2] = port;
});
fdb.processBatch(vec, frames.length, 1_000);
console.log("\n2. Learning switch (one Wasm call for the burst):");
frames.forEach(([, port, name], i) => {
  const out = rt.u32[((vec + i * FRAME_VEC_STRIDE) >>> 2) + 3]!;
  console.log(
    `   ${name} in on port ${port}: ${out === FDB_FLOOD ? "flood (destination unknown)" : `forward to port ${out}`}`,
  );
});

// --- 3. IP over ATM: LLC/SNAP + AAL5 on VC 0/100, switched to 0/200, reassembled. ---
const llcSnap = Uint8Array.of(0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00);
const pdu = new Uint8Array(llcSnap.length + ipLength);
pdu.set(llcSnap);
pdu.set(rt.u8.subarray(base + ipStart, base + ipStart + ipLength), llcSnap.length);
const cells = aal5Segment(pdu, { vpi: 0, vci: 100 });
const nCells = cells.length / 53;
const cellsPtr = rt.heap.alloc(cells.length);
rt.u8.set(cells, cellsPtr);
const vcs = VcTable.create({ capacity: 64, ports: 4, format: "uni" });
vcs.add({ inPort: 1, vpi: 0, vci: 100, outPort: 3, outVpi: 0, outVci: 200 });
const cellVec = rt.heap.alloc(nCells * FRAME_VEC_STRIDE);
for (let i = 0; i < nCells; i++) {
  const e = (cellVec + i * FRAME_VEC_STRIDE) >>> 2;
  rt.u32[e] = cellsPtr + i * 53;
  rt.u32[e + 1] = 53;
  rt.u32[e + 2] = 1; // in port
}
vcs.switchBatch(cellVec, nCells);
const first = unpackCellHeader(rt.view.getUint32(cellsPtr, false));
console.log(`\n3. ${pdu.length}-byte LLC/SNAP PDU -> ${nCells} AAL5 cells on VC 0/100`);
console.log(`   after the ATM switch: out port ${rt.u32[(cellVec >>> 2) + 3]}, VC ${first.vpi}/${first.vci}`);
console.log(
  `   first cell header ${hex(rt.u8.subarray(cellsPtr, cellsPtr + 5))}, HEC ok: ${atmHec(rt.u8.subarray(cellsPtr, cellsPtr + 4)) === rt.u8[cellsPtr + 4]}`,
);
const reassembler = Aal5Reassembler.create({ circuits: 1, buffers: 2, maxPduBytes: 9180 });
for (let i = 0; i < nCells; i++) rt.u32[((cellVec + i * FRAME_VEC_STRIDE) >>> 2) + 2] = 0; // circuit 0
reassembler.pushCells(cellVec, nCells);
for (const c of reassembler.completions()) {
  const same = Buffer.compare(Buffer.from(c.bytes), Buffer.from(pdu)) === 0;
  console.log(
    `   reassembled: ${c.length} bytes, status ${c.status === AAL5_STATUS.OK ? "OK" : c.status}, identical: ${same}`,
  );
  reassembler.returnBuffer(c.ptr);
}

// --- 4. A receiver's window: segments arrive out of order across the 2^32 wrap. ---
const windows = WindowTable.create({ connections: 1 });
const isn = 0xffff_fc00;
windows.open(0, { receiveNext: isn, receiveWindow: 65535, sendNext: 0, sendWindow: 65535 });
const seg = (k: number): [number, number] => [(isn + k * 512) >>> 0, (isn + (k + 1) * 512) >>> 0];
console.log("\n4. Receive window (512-byte segments, sequence numbers wrap past 2^32):");
for (const k of [0, 2, 3, 1]) {
  const [s, e] = seg(k);
  const ack = windows.mark(0, s, e);
  const holes = windows.holes(0).map(([a, b]) => `[${a}, ${b})`);
  console.log(`   segment ${k} -> ack ${ack}${holes.length ? `, hole ${holes.join(" ")}` : ""}`);
}

// Everything goes back where it came from.
windows.free();
reassembler.free();
vcs.free();
fdb.free();
rt.heap.free(cellVec);
rt.heap.free(cellsPtr);
rt.heap.free(vec);
pool.release(reply);
pool.release(slot);
pool.destroy();
console.log(`\nheap regions still live: ${rt.heap.stats().liveRegions} (the thread's staging area)`);
