// AAL5 segmentation and reassembly throughput, in cells per second, for 9180-byte PDUs
// (192 cells each) with the AAL5 CRC-32 and the HEC included (target: at least 25 Mcells/s
// each on one core). The plain-TypeScript reference runs the same work in the same run.
// Buffers, frame vectors and cells are prepared outside the timed functions.

import { opsPerSecond, type BenchSuite, type Figure } from "./harness.js";
import { getRuntime } from "../src/kernels/runtime.js";
import { FRAME_VEC_STRIDE } from "../src/kernels/abi.js";
import {
  Aal5Reassembler,
  CELL_BYTES,
  aal5CellCount,
  aal5SegmentBatch,
  packCellHeader,
  type Aal5Implementation,
} from "../src/kernels/aal5.js";
import { aal5SegmentRef } from "../src/kernels/reference/aal5.js";
import { seededBytes } from "../src/base/seeded-bytes.js";

const PDU_BYTES = 9180;
const PDUS = 16;
const CIRCUITS = 4;
const TARGET = 25;

const suite: BenchSuite = {
  name: "aal5",
  async run({ quick }) {
    const rt = getRuntime();
    const heap = rt.heap;
    const perPdu = aal5CellCount(PDU_BYTES);
    const cellsPerRound = perPdu * PDUS;

    // PDUs, one header per circuit, a segmentation vector and room for every cell.
    const pdus = heap.alloc(PDU_BYTES * PDUS);
    rt.u8.set(seededBytes(7, PDU_BYTES * PDUS), pdus);
    const headers = heap.alloc(4 * CIRCUITS);
    for (let c = 0; c < CIRCUITS; c++) rt.u32[(headers >>> 2) + c] = packCellHeader({ vpi: 1, vci: 32 + c });
    const segVec = heap.alloc(PDUS * FRAME_VEC_STRIDE);
    const cells = heap.alloc(cellsPerRound * CELL_BYTES);
    const fillSegVec = (): void => {
      for (let i = 0; i < PDUS; i++) {
        const e = (segVec + i * FRAME_VEC_STRIDE) >>> 2;
        rt.u32[e] = pdus + i * PDU_BYTES;
        rt.u32[e + 1] = PDU_BYTES;
        rt.u32[e + 2] = i % CIRCUITS;
      }
    };
    fillSegVec();

    const segment = (impl: Aal5Implementation) => (): void => {
      if (impl === "wasm") {
        aal5SegmentBatch(rt, segVec, PDUS, headers, CIRCUITS, cells, cellsPerRound);
      } else {
        for (let i = 0; i < PDUS; i++) {
          aal5SegmentRef(
            rt.u8,
            pdus + i * PDU_BYTES,
            PDU_BYTES,
            rt.u32[(headers >>> 2) + (i % CIRCUITS)]!,
            0,
            cells + i * perPdu * CELL_BYTES,
            perPdu,
          );
        }
      }
    };
    const segWasm = await opsPerSecond(segment("wasm"), { quick, opsPerCall: cellsPerRound });
    const segRef = await opsPerSecond(segment("reference"), { quick, opsPerCall: cellsPerRound });

    // Reassembly input: the PDUs' cells interleaved across circuits, one cell at a time per
    // circuit in turn (as a switch output port would multiplex them).
    segment("wasm")();
    const rxVec = heap.alloc(cellsPerRound * FRAME_VEC_STRIDE);
    let k = 0;
    for (let group = 0; group < PDUS; group += CIRCUITS) {
      for (let j = 0; j < perPdu; j++) {
        for (let c = 0; c < CIRCUITS; c++) {
          const pdu = group + c;
          const e = (rxVec + k * FRAME_VEC_STRIDE) >>> 2;
          rt.u32[e] = cells + (pdu * perPdu + j) * CELL_BYTES;
          rt.u32[e + 1] = CELL_BYTES;
          rt.u32[e + 2] = pdu % CIRCUITS;
          k++;
        }
      }
    }

    const reassemble = async (impl: Aal5Implementation): Promise<number> => {
      const r = Aal5Reassembler.create({
        circuits: CIRCUITS,
        maxPduBytes: PDU_BYTES,
        buffers: PDUS,
        implementation: impl,
      });
      let ok = 0;
      const give = (_c: number, ptr: number, _l: number, status: number): void => {
        if (status === 0) ok++;
        r.returnBuffer(ptr);
      };
      const fn = (): void => {
        r.pushCells(rxVec, cellsPerRound);
        r.drainCompletions(give);
      };
      fn();
      if (ok !== PDUS) throw new Error(`aal5 bench: ${ok} of ${PDUS} PDUs reassembled OK (${impl})`);
      const rate = await opsPerSecond(fn, { quick, opsPerCall: cellsPerRound });
      r.free();
      return rate;
    };
    const rxWasm = await reassemble("wasm");
    const rxRef = await reassemble("reference");

    for (const p of [pdus, headers, segVec, cells, rxVec]) heap.free(p);

    const figures: Figure[] = [
      {
        name: `AAL5 segmentation, ${PDU_BYTES} B PDUs (${rt.build})`,
        value: segWasm / 1e6,
        unit: "Mcells/s",
        reference: segRef / 1e6,
        target: { min: TARGET },
      },
      {
        name: `AAL5 reassembly, ${PDU_BYTES} B PDUs, ${CIRCUITS} interleaved circuits (${rt.build})`,
        value: rxWasm / 1e6,
        unit: "Mcells/s",
        reference: rxRef / 1e6,
        target: { min: TARGET },
      },
    ];
    return figures;
  },
};

export default suite;
