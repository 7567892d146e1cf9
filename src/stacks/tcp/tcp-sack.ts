// SACK (RFC 2018) on the send side, and the loss recovery it guides (RFC 6675, simplified).
//
// Contract:
// - The scoreboard is the window kernel's in-flight ring (src/kernels/window.ts): segments the
//   peer SACKed are marked there, beside Karn's rule and the RTO. markBlocks() feeds it from an
//   ack's SACK blocks; everything else reads it through the layer's read-only WindowPeek and
//   RingWalker, so nothing here allocates.
// - During recovery, estimatePipe() counts the bytes in the network as flight - SACKed - lost,
//   lost being the un-SACKed bytes from the retransmission point up to `limit` (one past the
//   highest SACKed byte in fast recovery, `recover` after a timeout); nextLost() finds the next
//   of them to retransmit.
// - Our own SACK blocks (receive side) are written by TcpLayerPort.fillSackBlocks.
// - Simplified: once recovering, every hole below the highest SACK counts as lost, not only
//   those RFC 6675's IsLost() marks (DupThresh SACKed segments above). Not handled: D-SACK.

import { seqGeq, seqGt, seqLeq, seqLt } from "../../kernels/seq.js";
import type { TcpRepr } from "../../wire/tcp.js";
import type { TcpLayerPort } from "./tcp-port.js";

export class TcpSackRecovery {
  /** Retransmissions stop before this sequence number (set by estimatePipe). */
  limit = 0;
  private readonly port: TcpLayerPort;
  private readonly slot: number;

  constructor(port: TcpLayerPort, slot: number) {
    this.port = port;
    this.slot = slot;
  }

  /** Marks the SACK blocks of `r` that lie inside the flight [ack, nxt); returns the bytes newly SACKed. */
  markBlocks(r: TcpRepr, ack: number, nxt: number): number {
    const port = this.port;
    let sackedNew = 0;
    for (let i = 0; i < r.sackCount; i++) {
      const a = r.sackBlocks[2 * i]!;
      const b = r.sackBlocks[2 * i + 1]!;
      if (seqLt(a, b) && seqGeq(a, ack) && seqLeq(b, nxt))
        sackedNew += port.k.windowOnSack(port.tablePtr, this.slot, a, (b - a) >>> 0) >>> 0;
    }
    return sackedNew;
  }

  /** Bytes of the flight the peer SACKed. */
  sackedBytes(): number {
    return this.port.peek.sackedBytes(this.slot);
  }

  /**
   * Bytes in the network while recovering: `flight` less `sacked` less the bytes deemed lost in
   * [rtxNext, limit). Sets `limit`: `recover` after a timeout (`rto`), else one past the highest
   * SACKed sequence number (snd.una + 1 when nothing above snd.una is SACKed).
   */
  estimatePipe(flight: number, sacked: number, rtxNext: number, una: number, rto: boolean, recover: number): number {
    const walker = this.port.walker;
    if (rto) this.limit = recover;
    else {
      const hs = walker.highSack(this.slot);
      this.limit = hs >= 0 && seqGt(hs, una) ? hs : (una + 1) >>> 0;
    }
    walker.scan(this.slot, rtxNext, this.limit, true);
    return flight - sacked - walker.len;
  }

  /** The next lost segment from `rtxNext` below `limit`, in the walker's seq/len; false: none. */
  nextLost(rtxNext: number): boolean {
    return this.port.walker.scan(this.slot, rtxNext, this.limit, false);
  }
}
