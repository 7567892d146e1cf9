// The normalised spec of an `rpc-udp` workload (RPC over UDP with failure semantics, binding
// through a name service): what the scenario loader produces and the workload takes. Times in
// ns, sizes in bytes, every default filled in.

import type { RpcSemantics, WorkloadOperation } from "../stacks/rpc-udp/rpc-udp-types.js";

export interface RpcUdpWorkload {
  name: string;
  type: "rpc-udp";
  /** Index in the scenario's `workloads` list (client ids are made from it). */
  index: number;
  /** Hosts that call, each one call at a time. */
  clients: string[];
  /** Hosts that serve: the primary first, then its backups in order. */
  servers: string[];
  /** The name-service host; undefined: clients bind to the servers as listed. */
  nameService: string | undefined;
  nameServicePort: number;
  /** The servers' UDP port. */
  port: number;
  semantics: RpcSemantics;
  operation: WorkloadOperation;
  /** Calls per client in all; undefined: until stopNs. */
  count: number | undefined;
  /** Mean (poisson) or fixed time between a client's calls; undefined: the next call goes when the
   *  previous one ends (closed loop). */
  intervalNs: number | undefined;
  arrivals: "fixed" | "poisson";
  startNs: number;
  /** No call is made at or after this time. */
  stopNs: number;
  argumentBytes: number;
  resultBytes: number;
  /** The amount an increment adds or a debit takes. */
  amount: number;
  /** The counter each server starts with (before anything is logged). */
  initialValue: number;
  /** Modelled execution time of one call on the server. */
  executionNs: number;
  /** Time between retransmissions of a request. */
  retransmitNs: number;
  /** Retransmissions before a call times out. */
  retries: number;
  ackDelayNs: number;
  nakDelayNs: number;
  /** Data bytes per fragment; 0: what the MTU allows. */
  fragmentBytes: number;
  /** Clients a server remembers (the duplicate table). */
  duplicateTable: number;
  /** Calls a server executes at once (BUSY beyond). */
  maxExecuting: number;
  /** Calls a client holds waiting for its turn (failed beyond). */
  queueLimit: number;
  /** Wait before binding again once every server has timed out. */
  rebindDelayNs: number;
  exterminateOrphans: boolean;
}
