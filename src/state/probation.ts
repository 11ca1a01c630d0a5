import { mix32 } from './distinct.js';

const TWO_POW_MINUS_32 = 2 ** -32;

/** Outcome bits of a probation entry's one probe. */
export const ProbationFlag = {
  ANSWERED: 1,
  REJECTED: 2,
  /** The answered probe carried the source's payload (a UDP request), or carried none. */
  DATA: 4,
  EMPTY: 8,
} as const;

/** Int32 words per slot: host, port, technique | tool << 8 | flags << 16, packets. */
const STRIDE = 4;

/**
 * Sources seen with only one distinct probe so far. Nearly every source
 * on a network, and every source of a spoofed flood, lives and dies here,
 * so it is the cheapest structure we have: a direct-mapped cache in typed
 * arrays (no objects, no lists, nothing allocated), where a new source
 * simply overwrites whatever source hashed to the same slot (counted as
 * an eviction). A slot is 32 bytes in two arrays, so a visit costs two
 * cache lines. A source that shows a second distinct probe, or draws a
 * refusal, is promoted to a full record in the source table.
 */
export class Probation {
  readonly capacity: number;
  private readonly mask: number;
  /** key, time per slot; NaN key = empty. */
  private readonly keyTime: Float64Array;
  private readonly ints: Int32Array;
  size = 0;
  overwritten = 0;
  private readonly seedMix: number;

  /**
   * `seed` keys the slot hash (random per process, see Engine): with a
   * known hash a spoofer could overwrite a scanner's slot between each of
   * its probes and keep it in probation for ever.
   */
  constructor(
    capacity: number,
    private readonly seed = 0,
  ) {
    this.seedMix = mix32(seed);
    let n = 1;
    while (n < capacity) n *= 2;
    this.capacity = n;
    this.mask = n - 1;
    this.keyTime = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) this.keyTime[i * 2] = NaN;
    this.ints = new Int32Array(n * STRIDE);
  }

  slotOf(key: number): number {
    // The low 32 bits, and above them the family and tenant (engine/keys.ts):
    // key - lo is an exact multiple of 2^32, 0 for an IPv4 source without tenant.
    const lo = key | 0;
    const hi = (key - lo) * TWO_POW_MINUS_32;
    return mix32(lo ^ (hi === 0 ? this.seedMix : mix32(hi ^ this.seed))) & this.mask;
  }

  holds(slot: number, key: number): boolean {
    return this.keyTime[slot * 2] === key;
  }

  /** Whether the slot's one probe is this one (a retransmission, or the same probe again). */
  sameProbe(slot: number, host: number, port: number, technique: number): boolean {
    const o = slot * STRIDE;
    return this.ints[o] === host && this.ints[o + 1] === port && (this.ints[o + 2]! & 0xff) === technique;
  }

  put(slot: number, key: number, host: number, port: number, technique: number, tool: number, now: number): void {
    if (this.keyTime[slot * 2] === this.keyTime[slot * 2]) this.overwritten++;
    else this.size++;
    this.keyTime[slot * 2] = key;
    this.keyTime[slot * 2 + 1] = now;
    const o = slot * STRIDE;
    this.ints[o] = host;
    this.ints[o + 1] = port;
    this.ints[o + 2] = (technique & 0xff) | ((tool & 0xff) << 8);
    this.ints[o + 3] = 1;
  }

  host(slot: number): number {
    return this.ints[slot * STRIDE]!;
  }
  port(slot: number): number {
    return this.ints[slot * STRIDE + 1]!;
  }
  technique(slot: number): number {
    return this.ints[slot * STRIDE + 2]! & 0xff;
  }
  tool(slot: number): number {
    return (this.ints[slot * STRIDE + 2]! >> 8) & 0xff;
  }
  flags(slot: number): number {
    return (this.ints[slot * STRIDE + 2]! >> 16) & 0xff;
  }
  addFlags(slot: number, flags: number): void {
    this.ints[slot * STRIDE + 2]! |= (flags & 0xff) << 16;
  }
  packets(slot: number): number {
    return this.ints[slot * STRIDE + 3]!;
  }
  addPacket(slot: number): void {
    this.ints[slot * STRIDE + 3]!++;
  }
  time(slot: number): number {
    return this.keyTime[slot * 2 + 1]!;
  }

  clear(slot: number): void {
    if (this.keyTime[slot * 2] === this.keyTime[slot * 2]) this.size--;
    this.keyTime[slot * 2] = NaN;
  }
}
