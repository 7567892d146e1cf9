// atm kernels: exports (AAL5 segmentation and reassembly, see ./sar.ts for the contracts).
export { aal5Segment, aal5SegmentBatch, aal5Reassemble, aal5Discard, aal5Abort } from "./sar";
