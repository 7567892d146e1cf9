// Typed wrappers for the checksum kernels (assembly/). Filled in by the checksum work.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ChecksumExports {}
