// Typed wrappers for the window kernels (assembly/). Filled in by the window work.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WindowExports {}
