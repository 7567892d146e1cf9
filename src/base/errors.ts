// NetloomError: the one error class of the public API.
//
// Contract: API misuse and bad input throw NetloomError with a stable string `code` (safe to
// switch on; never reworded) and a message that names what is wrong and where. Hot paths never
// throw: they return status codes and count drops. `code` and `path` survive structured clone,
// so errors keep their identity when they cross a worker boundary (see fromCloned()).

export const ErrorCode = {
  /** An argument is of the wrong type, out of range, or inconsistent with another. */
  INVALID_ARGUMENT: "INVALID_ARGUMENT",
  /** A byte range does not lie inside the buffer or linear memory it refers to. */
  OUT_OF_BOUNDS: "OUT_OF_BOUNDS",
  /** The shared Wasm heap cannot satisfy an allocation. */
  OUT_OF_MEMORY: "OUT_OF_MEMORY",
  /** A bounded table (forwarding database, VC table, window) has no room. */
  TABLE_FULL: "TABLE_FULL",
  /** The compiled Wasm module is missing, or does not match this version of the code. */
  WASM_UNAVAILABLE: "WASM_UNAVAILABLE",
  /** Two incompatible things were asked to share one linear memory. */
  MEMORY_MISMATCH: "MEMORY_MISMATCH",
  /** A bounded queue that must not drop (the scheduler's event queue) has no room: the run ends. */
  QUEUE_FULL: "QUEUE_FULL",
  /** A partition of a parallel run failed (threw, or its worker died); the run ended. */
  PARTITION_FAILED: "PARTITION_FAILED",
  /** An object was used after it was released. */
  USE_AFTER_FREE: "USE_AFTER_FREE",
  /** A result file or directory cannot be created or written (the message names it and the OS reason). */
  OUTPUT_FAILED: "OUTPUT_FAILED",
  /** A correctness check the run applies to itself (a workload's atomicity check) failed. */
  CHECK_FAILED: "CHECK_FAILED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class NetloomError extends Error {
  readonly code: ErrorCode;
  /** Where the problem is: an argument name or a scenario path such as `links[3].rate`. */
  readonly path: string | undefined;

  constructor(code: ErrorCode, message: string, options: { path?: string; cause?: unknown } = {}) {
    super(options.path ? `${options.path}: ${message}` : message, { cause: options.cause });
    this.name = "NetloomError";
    this.code = code;
    this.path = options.path;
  }

  /** Rebuilds a NetloomError from the plain object a worker's structured clone delivers. */
  static fromCloned(value: unknown): NetloomError | undefined {
    if (typeof value !== "object" || value === null) return undefined;
    const v = value as { code?: unknown; message?: unknown; path?: unknown };
    if (typeof v.code !== "string" || !Object.values(ErrorCode).includes(v.code as ErrorCode)) return undefined;
    const err = new NetloomError(v.code as ErrorCode, "");
    err.message = typeof v.message === "string" ? v.message : "";
    (err as { path: string | undefined }).path = typeof v.path === "string" ? v.path : undefined;
    return err;
  }
}

/** Throws INVALID_ARGUMENT unless `value` is an integer in [min, max]. */
export function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new NetloomError(ErrorCode.INVALID_ARGUMENT, `${String(value)} is not an integer in [${min}, ${max}]`, {
      path: name,
    });
  }
}
