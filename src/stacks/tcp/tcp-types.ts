// Names every part of a TCP connection shares: the connection states (RFC 9293 figure 5), the
// timer kinds, per-connection counters and drop reasons, the stats shape and the burst bit.
//
// Contract:
// - Constants, types and one counter class; nothing here touches the layer, the window kernel or
//   a buffer, so every other TCP module may import it.
// - Drop reasons are indices into a Uint32Array (CONN_DROP_NAMES gives their names), so the
//   per-segment path counts a drop without a string key.

export const TcpState = {
  CLOSED: 0,
  LISTEN: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  ESTABLISHED: 4,
  FIN_WAIT_1: 5,
  FIN_WAIT_2: 6,
  CLOSE_WAIT: 7,
  CLOSING: 8,
  LAST_ACK: 9,
  TIME_WAIT: 10,
} as const;
export type TcpState = (typeof TcpState)[keyof typeof TcpState];
export const TCP_STATE_NAMES = [
  "CLOSED",
  "LISTEN",
  "SYN-SENT",
  "SYN-RECEIVED",
  "ESTABLISHED",
  "FIN-WAIT-1",
  "FIN-WAIT-2",
  "CLOSE-WAIT",
  "CLOSING",
  "LAST-ACK",
  "TIME-WAIT",
] as const;
export type TcpStateName = (typeof TCP_STATE_NAMES)[number];

/**
 * Header byte 12, reserved bit used as netloom's burst ("more of this train follows") bit: the
 * segments a sender emits back to back form trains of at most `burst.train` segments, and every
 * segment but a train's last carries it. Netloom's own convention, not a standard.
 */
export const TCP_BURST_BIT = 0x08;

/** Timer kinds (event kind of the TcpLayer; a = slot, b = generation). */
export const TcpTimer = { RTX: 1, DELACK: 2, PERSIST: 3, KEEPALIVE: 4, TIME_WAIT: 5 } as const;

/** Per-connection counters by drop reason (indices of TcpConnection's drop counter array). */
export const ConnDrop = {
  UNACCEPTABLE: 0,
  OUT_OF_WINDOW: 1,
  RANGES_FULL: 2,
  BAD_ACK: 3,
  NO_ACK_FLAG: 4,
  NO_SLOT: 5,
  /** In SYN-SENT, a segment with neither SYN nor RST (RFC 9293 3.10.7.3: drop it). */
  NO_SYN: 6,
} as const;
export const CONN_DROP_NAMES = [
  "UNACCEPTABLE",
  "OUT_OF_WINDOW",
  "RANGES_FULL",
  "BAD_ACK",
  "NO_ACK_FLAG",
  "NO_SLOT",
  "NO_SYN",
];

export type DataListener = (bytes: Uint8Array, offset: number, length: number) => void;

/** Event counters of one connection, shared by its parts (one object per connection). */
export class TcpCounters {
  segmentsSent = 0;
  segmentsReceived = 0;
  dataSegmentsSent = 0;
  bytesSent = 0;
  retransmits = 0;
  fastRetransmits = 0;
  timeouts = 0;
  dupAcks = 0;
  bytesAcked = 0;
  bytesDelivered = 0;
  acksSent = 0;
  windowProbes = 0;
  keepAliveProbes = 0;
}

export interface TcpConnectionStats {
  state: TcpStateName;
  segmentsSent: number;
  segmentsReceived: number;
  dataSegmentsSent: number;
  bytesSent: number;
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  dupAcks: number;
  bytesAcked: number;
  bytesDelivered: number;
  acksSent: number;
  windowProbes: number;
  keepAliveProbes: number;
  /** Segments dropped by this connection, by reason. */
  drops: Record<string, number>;
  cwnd: number;
  ssthresh: number;
  /** Smoothed RTT, ns (0 before the first sample). */
  srtt: number;
  rto: number;
  /** Peer's window, bytes (scaled). */
  peerWindow: number;
  mss: number;
  sackEnabled: boolean;
}
