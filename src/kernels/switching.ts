// Typed wrappers for the switching kernels (assembly/). Filled in by the switching work.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SwitchingExports {}
