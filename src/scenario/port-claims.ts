// A port a workload listens on, as its check module reports it to the workloads section (which
// refuses two owners of one port on one host).

export interface PortClaim {
  /** "udp:<host>:<port>" or "tcp:<host>:<port>". */
  key: string;
  /** Where the claim is made, for the error. */
  path: string;
  /** Claims with the same tag may hold the port together (undefined: the port is this claim's alone). */
  share?: string;
}
