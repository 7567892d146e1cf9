// Frame switching kernels: the MAC forwarding database (fdb.ts) and the ATM VC table (vc.ts).
// Only functions are exported (constants are mirrored in src/kernels/switching.ts).

export {
  fdbInit,
  fdbSetAgingTime,
  fdbCount,
  fdbClear,
  fdbAge,
  fdbLearn,
  fdbLookup,
  fdbGet,
  fdbRemove,
  fdbProcessBatch,
} from "./fdb";
export {
  vcRegionBytes,
  vcInit,
  vcSetPortFormat,
  vcCount,
  vcClear,
  vcInsert,
  vcRemove,
  vcLookup,
  vcSwitchBatch,
} from "./vc";
