// Typed wrappers for the aal5 kernels (assembly/). Filled in by the aal5 work.

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Aal5Exports {}
