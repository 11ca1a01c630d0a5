import { mix32 } from './distinct.js';

const TWO_POW_MINUS_32 = 2 ** -32;

/** Outcome bits of a probation entry's one probe. */
export const ProbationFlag = {
  ANSWERED: 1,
  REJECTED: 2,
  /** The answered probe carried the source's payload (a UDP request), or carried none. */
  DATA: 4,
  EMPTY: 8,
  /**
   * The probe is a TCP SYN whose flow was not put in the flow table: this
   * entry stands for it (responder `host`, ports `sourcePort` → `port`)
   * until an answer or a second probe needs the flow (engine/tracker.ts).
   */
  HOLDS_FLOW: 16,
} as const;

/** Ways per set: two 32-byte slots, one 64-byte cache line. */
const WAYS = 2;
/**
 * One slot is 32 bytes of one buffer, seen as 4 doubles or 8 int32s:
 * doubles 0 key (NaN = empty) and 1 time; int32s 4 host, 5 source port
 * << 16 | port, 6 technique | tool << 8 | flags << 16, 7 packets.
 */
const F64_STRIDE = 4;
const I32_STRIDE = 8;
const HOST = 4;
const PORTS = 5;
const META = 6;
const PACKETS = 7;

/**
 * Sources seen with only one distinct probe so far. Nearly every source
 * on a network, and every source of a spoofed flood, lives and dies here,
 * so it is the cheapest structure we have: a 2-way set-associative cache
 * in one typed buffer (no objects, no lists, nothing allocated). A new
 * source takes the empty or the older slot of its set (an overwrite is
 * counted as an eviction), so one spoofed packet cannot push a scanner
 * out between two of its probes. A visit reads one cache line. A source
 * that shows a second distinct probe, or draws a refusal, is promoted to
 * a full record in the source table.
 */
export class Probation {
  readonly capacity: number;
  private readonly setMask: number;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  size = 0;
  overwritten = 0;
  private readonly seedMix: number;

  /**
   * `seed` keys the set hash (random per process, see Engine): with a
   * known hash a spoofer could overwrite a scanner's slot between each of
   * its probes and keep it in probation for ever.
   */
  constructor(
    capacity: number,
    private readonly seed = 0,
  ) {
    this.seedMix = mix32(seed);
    let sets = 1;
    while (sets * WAYS < capacity) sets *= 2;
    this.capacity = sets * WAYS;
    this.setMask = sets - 1;
    const buf = new ArrayBuffer(this.capacity * 32);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    for (let i = 0; i < this.capacity; i++) this.f64[i * F64_STRIDE] = NaN;
  }

  /** The first slot of the set a source key hashes to (under this cache's key). */
  setOf(key: number): number {
    // The low 32 bits, and above them the family and tenant (engine/keys.ts):
    // key - lo is an exact multiple of 2^32, 0 for an IPv4 source without tenant.
    const lo = key | 0;
    const hi = (key - lo) * TWO_POW_MINUS_32;
    return (mix32(lo ^ (hi === 0 ? this.seedMix : mix32(hi ^ this.seed))) & this.setMask) * WAYS;
  }

  /** The slot holding `key`, or -1. */
  find(key: number): number {
    const s = this.setOf(key);
    if (this.f64[s * F64_STRIDE] === key) return s;
    if (this.f64[(s + 1) * F64_STRIDE] === key) return s + 1;
    return -1;
  }

  /** The slot a new source takes in its set: an empty one, else the one whose probe is older. */
  claim(key: number): number {
    const s = this.setOf(key);
    const f = this.f64;
    const a = s * F64_STRIDE;
    const b = a + F64_STRIDE;
    if (f[a] !== f[a]) return s;
    if (f[b] !== f[b]) return s + 1;
    return f[a + 1]! <= f[b + 1]! ? s : s + 1;
  }

  holds(slot: number, key: number): boolean {
    return this.f64[slot * F64_STRIDE] === key;
  }

  /** Whether the slot's one probe is this one (a retransmission, or the same probe again). */
  sameProbe(slot: number, host: number, port: number, technique: number): boolean {
    const o = slot * I32_STRIDE;
    return this.i32[o + HOST] === host && (this.i32[o + PORTS]! & 0xffff) === port && (this.i32[o + META]! & 0xff) === technique;
  }

  /** Fills a slot (from `claim`). `sourcePort`: the prober's port, kept for a held flow. */
  put(slot: number, key: number, host: number, port: number, technique: number, tool: number, now: number, sourcePort = 0): void {
    const f = slot * F64_STRIDE;
    if (this.f64[f] === this.f64[f]) this.overwritten++;
    else this.size++;
    this.f64[f] = key;
    this.f64[f + 1] = now;
    const o = slot * I32_STRIDE;
    this.i32[o + HOST] = host;
    this.i32[o + PORTS] = (sourcePort << 16) | (port & 0xffff);
    this.i32[o + META] = (technique & 0xff) | ((tool & 0xff) << 8);
    this.i32[o + PACKETS] = 1;
  }

  host(slot: number): number {
    return this.i32[slot * I32_STRIDE + HOST]!;
  }
  port(slot: number): number {
    return this.i32[slot * I32_STRIDE + PORTS]! & 0xffff;
  }
  /** The prober's port of a held flow (0 when none was kept). */
  sourcePort(slot: number): number {
    return this.i32[slot * I32_STRIDE + PORTS]! >>> 16;
  }
  technique(slot: number): number {
    return this.i32[slot * I32_STRIDE + META]! & 0xff;
  }
  tool(slot: number): number {
    return (this.i32[slot * I32_STRIDE + META]! >> 8) & 0xff;
  }
  flags(slot: number): number {
    return (this.i32[slot * I32_STRIDE + META]! >> 16) & 0xff;
  }
  addFlags(slot: number, flags: number): void {
    this.i32[slot * I32_STRIDE + META]! |= (flags & 0xff) << 16;
  }
  clearFlags(slot: number, flags: number): void {
    this.i32[slot * I32_STRIDE + META]! &= ~((flags & 0xff) << 16);
  }
  packets(slot: number): number {
    return this.i32[slot * I32_STRIDE + PACKETS]!;
  }
  addPacket(slot: number): void {
    this.i32[slot * I32_STRIDE + PACKETS]!++;
  }
  time(slot: number): number {
    return this.f64[slot * F64_STRIDE + 1]!;
  }

  clear(slot: number): void {
    const f = slot * F64_STRIDE;
    if (this.f64[f] === this.f64[f]) this.size--;
    this.f64[f] = NaN;
  }
}
