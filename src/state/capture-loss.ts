import { mix32 } from './distinct.js';

/** Int32 words per slot: a, b, ports, highest sequence end seen, last acknowledgement checked, used. */
const STRIDE = 6;

/**
 * Estimates how much traffic the capture missed, the way Zeek's
 * capture-loss policy does (policy/misc/capture-loss.zeek): an ACK that
 * acknowledges data we never saw means a packet was lost by the capture
 * (the receiver did get it). loss = gaps / ACKs that acknowledge new data.
 *
 * Per direction of a TCP flow it keeps the end of the highest data seen,
 * in a direct-mapped table of typed arrays: a flow that loses its slot to
 * another is simply not checked for a while, which only lowers the sample.
 * Sequence numbers compare with wrap-around (RFC 9293 section 3.4).
 */
export class CaptureLossEstimator {
  private readonly ints: Int32Array;
  private readonly mask: number;
  /** ACKs that acknowledged new data of a flow direction we had seen data from. */
  acks = 0;
  /** Of those, ACKs that acknowledged data the capture never delivered. */
  gaps = 0;

  constructor(
    slots: number,
    /** The engine's table key: a spoofer cannot aim segments at one flow's slot to keep it from being sampled. */
    private readonly seed = 0,
  ) {
    let n = 1;
    while (n < slots) n *= 2;
    this.mask = n - 1;
    this.ints = new Int32Array(n * STRIDE);
  }

  get ratio(): number {
    return this.acks === 0 ? 0 : this.gaps / this.acks;
  }

  private slotOf(a: number, b: number, ports: number): number {
    return (mix32(a ^ mix32(b ^ mix32(ports ^ this.seed))) & this.mask) * STRIDE;
  }

  /** A segment carrying `len` bytes from a to b starting at `seq`. */
  data(a: number, b: number, ports: number, seq: number, len: number): void {
    const o = this.slotOf(a, b, ports);
    const ints = this.ints;
    const end = (seq + len) | 0;
    if (ints[o + 5] === 1 && ints[o] === a && ints[o + 1] === b && ints[o + 2] === ports) {
      if (((end - ints[o + 3]!) | 0) > 0) ints[o + 3] = end;
      return;
    }
    ints[o] = a;
    ints[o + 1] = b;
    ints[o + 2] = ports;
    ints[o + 3] = end;
    ints[o + 4] = seq; // nothing acknowledged past the first byte we saw yet
    ints[o + 5] = 1;
  }

  /** An acknowledgement from a of data sent by b (`ports` in a's direction: a's port << 16 | b's port). */
  ack(a: number, b: number, ports: number, ackNumber: number): void {
    const rev = ((ports & 0xffff) << 16) | (ports >>> 16);
    const o = this.slotOf(b, a, rev);
    const ints = this.ints;
    if (ints[o + 5] !== 1 || ints[o] !== b || ints[o + 1] !== a || ints[o + 2] !== rev) return;
    if (((ackNumber - ints[o + 4]!) | 0) <= 0) return; // nothing new acknowledged
    ints[o + 4] = ackNumber;
    this.acks++;
    if (((ackNumber - ints[o + 3]!) | 0) > 0) {
      // The receiver got bytes we never saw.
      this.gaps++;
      ints[o + 3] = ackNumber;
    }
  }
}
