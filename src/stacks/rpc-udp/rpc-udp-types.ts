// The vocabulary of RPC over UDP shared by client, server, name service and workload: call
// semantics, operation numbers, call outcomes, and the timer and size options with defaults.
//
// Contract: plain data and constants only. Operation numbers are the `operation` field on the
// wire (src/wire/rpc-udp.ts); the name service's two operations sit at the top of the range.

export type RpcSemantics = "at-least-once" | "at-most-once" | "exactly-once";
export const RPC_SEMANTICS: readonly RpcSemantics[] = ["at-least-once", "at-most-once", "exactly-once"];

/** Operations of the counter server (./counter-app.ts) and the name service (./name-service.ts). */
export const RpcOp = {
  ECHO: 1,
  READ: 2,
  INCREMENT: 3,
  DEBIT: 4,
  LOOKUP: 0xff01,
  REGISTER: 0xff02,
} as const;

/** The operations a workload may call, by scenario name. */
export const WORKLOAD_OPERATIONS = {
  echo: RpcOp.ECHO,
  read: RpcOp.READ,
  increment: RpcOp.INCREMENT,
  debit: RpcOp.DEBIT,
};
export type WorkloadOperation = keyof typeof WORKLOAD_OPERATIONS;

/**
 *   ok       a reply with status OK arrived
 *   failed   the call had no effect, and the client knows it: the server refused it (BUSY,
 *            NO_SUCH_OPERATION, LOG_FULL, TOO_LARGE), the operation ran and refused it
 *            (APP_ERROR), or it was never sent (the client's queue was full, or it crashed first)
 *   unknown  no answer says what happened: every retransmission timed out, the server restarted
 *            since the client bound to it (RESTARTED), or the client crashed with it outstanding
 */
export type OutcomeKind = "ok" | "failed" | "unknown";

export interface CallOutcome {
  kind: OutcomeKind;
  /** "OK", a reply status name, "TIMEOUT", "CLIENT_CRASHED". */
  reason: string;
  sequence: number;
  clientIncarnation: number;
  /** The server incarnation the reply carried (RESTARTED: the one it has now); -1 without a reply. */
  serverIncarnation: number;
  /** The result (a view valid only during the callback), for ok and APP_ERROR replies. */
  result: Uint8Array | undefined;
  /** Times the request went out (1 + retransmission rounds). */
  transmissions: number;
}

/** Timers and sizes of one endpoint; every time in ns. */
export interface RpcUdpEndpointOptions {
  /** An explicit ack goes this long after a reply (client) or a request (server) when nothing
   *  else has acknowledged it by then. */
  ackDelayNs: number;
  /** A NAK goes when a burst has been quiet this long with fragments missing. */
  nakDelayNs: number;
  /** NAKs per message before its fragments are dropped. */
  nakLimit: number;
  /** Largest argument or result message, bytes. */
  maxMessageBytes: number;
  /** Data bytes per fragment (0: what the MTU allows). */
  fragmentBytes: number;
}

export const ENDPOINT_DEFAULTS: RpcUdpEndpointOptions = {
  ackDelayNs: 20_000_000,
  nakDelayNs: 5_000_000,
  nakLimit: 4,
  maxMessageBytes: 1 << 20,
  fragmentBytes: 0,
};
