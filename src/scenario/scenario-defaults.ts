// The defaults a scenario file may leave out, and the limits its values are checked against.
// Normalised units: ns, bytes, bit/s.

export const SCENARIO_DEFAULTS = {
  seed: 1,
  host: { rxBuffers: 64, mtu: 1500 },
  stack: {
    ttl: 64,
    arpTimeoutNs: 60_000_000_000,
    arpQueueLimit: 16,
    reassemblyTimeoutNs: 30_000_000_000,
    reassemblyLimit: 256 * 1024,
    maxDatagramSize: 65_507,
    mailboxLimit: 1024,
  },
  /** hostStack hosts: the comparison testbed's receive chain, and its default profile. */
  hostStack: { rxBuffers: 256, profile: "workstation-1995" },
  /** ping-pong rounds and message-stream messages, as the comparison's defaults. */
  messages: { rounds: 20, count: 200, maxCount: 100_000 },
  switch: { agingTimeNs: 300_000_000_000, forwardingDelayNs: 0, fdbCapacity: 8192 },
  routing: { periodNs: 1_000_000_000, timeoutMultiple: 3 },
  segment: {
    rateBps: 10_000_000,
    propagationBits: 256,
    queueLimit: 64,
    maxFrame: 1522,
    attemptLimit: 16,
    backoffLimit: 10,
  },
  link: { delayNs: 0, mtu: 1500, queueLimit: 1000, overheadBytes: 20 },
  traffic: { dstPort: 9000, srcPortBase: 10000, timeoutNs: 1_000_000_000 },
  /** Transport flows listen on portBase + the flow's index unless `port` is given. */
  transport: { portBase: 5001, retries: 0, maxOutstanding: 64 },
} as const;

/** IPv4 minimum MTU (RFC 791) and the jumbo-frame payload limit (EthernetNic's ETH_JUMBO_MTU). */
export const MTU_MIN = 68;
export const MTU_MAX = 9000;
/** Flow id and sequence number ride in each datagram's first 8 payload bytes. */
export const MIN_PAYLOAD = 8;
export const MAX_UDP_PAYLOAD = 65_507;
/** Largest message of a message flow (the comparison's; the builder checks the stacks' own limit). */
export const MAX_MESSAGE = 65_536;
/** Largest RPC request or response body in a scenario (the RPC layer's default maxMessageBytes). */
export const MAX_RPC_BODY = 65_536;
