// The WebAssembly JS API subset netloom uses. @types/node 20 declares the namespace but not
// these members (they live in lib.dom), and pulling in the DOM lib would type browser globals
// that do not exist in Node.

declare namespace WebAssembly {
  // biome-ignore lint/complexity/noBannedTypes: mirrors the lib.dom declaration
  type ImportValue = Function | Global | Memory | Table | number;
  type Imports = Record<string, Record<string, ImportValue>>;
  // biome-ignore lint/complexity/noBannedTypes: mirrors the lib.dom declaration
  type Exports = Record<string, Function | Global | Memory | Table>;

  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }
  class Module {
    constructor(bytes: ArrayBufferView | ArrayBuffer);
    static exports(module: Module): { name: string; kind: string }[];
    static imports(module: Module): { module: string; name: string; kind: string }[];
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Exports;
  }
  class Global {
    value: unknown;
  }
  class Table {
    readonly length: number;
  }
  function validate(bytes: ArrayBufferView | ArrayBuffer): boolean;
  function compile(bytes: ArrayBufferView | ArrayBuffer): Promise<Module>;
}
