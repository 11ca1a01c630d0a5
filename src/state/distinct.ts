import type { MemoryBudget } from './memory-budget.js';

/** A 32-bit integer mixer (a murmur3 finaliser) for spreading keys over bitmaps. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0; // signed: stays a small integer in V8, callers mask it
}

const PORT_LIST_MAX = 32;
const PORT_BITMAP_BYTES = 8192; // one bit per port: exact for all 65536

/** Distinct destination ports: a short list, then an exact 8 KiB bitmap. */
export class PortSet {
  count = 0;
  /** True when the bitmap could not be had from the budget: `count` is then a lower bound. */
  saturated = false;
  private list = new Uint16Array(PORT_LIST_MAX);
  private bitmap: Uint8Array | null = null;

  constructor(private readonly budget: MemoryBudget) {}

  /** Adds a port; returns true when it was not there before. */
  add(port: number): boolean {
    const bm = this.bitmap;
    if (bm !== null) {
      const bit = 1 << (port & 7);
      if (bm[port >>> 3]! & bit) return false;
      bm[port >>> 3]! |= bit;
      this.count++;
      return true;
    }
    const n = this.count;
    const list = this.list;
    for (let i = 0; i < n; i++) if (list[i] === port) return false;
    if (n < PORT_LIST_MAX) {
      list[n] = port;
      this.count++;
      return true;
    }
    if (this.saturated) return false;
    if (!this.budget.acquire(PORT_BITMAP_BYTES)) {
      this.saturated = true;
      return false;
    }
    const fresh = new Uint8Array(PORT_BITMAP_BYTES);
    for (let i = 0; i < n; i++) fresh[list[i]! >>> 3]! |= 1 << (list[i]! & 7);
    this.bitmap = fresh;
    return this.add(port);
  }

  has(port: number): boolean {
    if (this.bitmap !== null) return (this.bitmap[port >>> 3]! & (1 << (port & 7))) !== 0;
    for (let i = 0; i < this.count; i++) if (this.list[i] === port) return true;
    return false;
  }

  /** The only port while there is exactly one. */
  first(): number {
    return this.list[0]!;
  }

  values(): number[] {
    const out: number[] = [];
    if (this.bitmap !== null) {
      for (let p = 0; p < 65536; p++) if (this.bitmap[p >>> 3]! & (1 << (p & 7))) out.push(p);
    } else {
      for (let i = 0; i < this.count; i++) out.push(this.list[i]!);
      out.sort((a, b) => a - b);
    }
    return out;
  }

  reset(): void {
    if (this.bitmap !== null) {
      this.budget.release(PORT_BITMAP_BYTES);
      this.bitmap = null;
    }
    this.count = 0;
    this.saturated = false;
  }
}

const HOST_EXACT_MAX = 64;
const HOST_SKETCH_BITS = 65536;
const HOST_SKETCH_BYTES = HOST_SKETCH_BITS / 8;

/**
 * Distinct destination hosts (32-bit keys: the IPv4 address or an IPv6
 * hash). Exact up to 64 hosts; beyond that a linear-counting bitmap
 * (Whang, Vander-Zanden, Taylor, ACM TODS 1990) of 65536 bits estimates
 * the count to within about 1% up to 100,000 hosts in 8 KiB.
 */
export class HostSet {
  private exact = new Int32Array(HOST_EXACT_MAX);
  private exactCount = 0;
  private sketch: Uint8Array | null = null;
  private sketchBitsSet = 0;
  saturated = false;

  constructor(private readonly budget: MemoryBudget) {}

  get count(): number {
    if (this.sketch === null) return this.exactCount;
    const zeroFraction = (HOST_SKETCH_BITS - this.sketchBitsSet) / HOST_SKETCH_BITS;
    if (zeroFraction <= 0) return Math.round(HOST_SKETCH_BITS * Math.log(HOST_SKETCH_BITS));
    // Floor, not round: the estimator adds k^2/2m for expected collisions, which
    // would turn 256 distinct hosts with no collision into "257".
    return Math.max(this.exactCount, Math.floor(-HOST_SKETCH_BITS * Math.log(zeroFraction)));
  }

  /** Adds a host; returns true when it was (as far as can be told) new. */
  add(host: number): boolean {
    const sk = this.sketch;
    if (sk !== null) {
      const h = mix32(host ^ this.budget.hashKey) & (HOST_SKETCH_BITS - 1);
      const bit = 1 << (h & 7);
      if (sk[h >>> 3]! & bit) return false;
      sk[h >>> 3]! |= bit;
      this.sketchBitsSet++;
      return true;
    }
    const n = this.exactCount;
    const ex = this.exact;
    const key = host | 0;
    for (let i = 0; i < n; i++) if (ex[i] === key) return false;
    if (n < HOST_EXACT_MAX) {
      ex[n] = key;
      this.exactCount++;
      return true;
    }
    if (this.saturated) return false;
    if (!this.budget.acquire(HOST_SKETCH_BYTES)) {
      this.saturated = true;
      return false;
    }
    this.sketch = new Uint8Array(HOST_SKETCH_BYTES);
    for (let i = 0; i < n; i++) this.add(ex[i]!);
    return this.add(host);
  }

  /** Whether the count is exact (no sketch in use and nothing refused). */
  get exactCounting(): boolean {
    return this.sketch === null && !this.saturated;
  }

  reset(): void {
    if (this.sketch !== null) {
      this.budget.release(HOST_SKETCH_BYTES);
      this.sketch = null;
    }
    this.exactCount = 0;
    this.sketchBitsSet = 0;
    this.saturated = false;
  }
}

const PAIR_BITS = 16384;
const PAIR_BYTES = PAIR_BITS / 8;
/** Pairs kept exactly (in the state itself) before the bitmap is needed. */
const PAIR_EXACT_MAX = 32;

/**
 * Remembers which (host, port) pairs a source has probed, so that retries
 * of one service count once ("first contacts" in TRW terms). The first 32
 * pairs are kept exactly in a fixed array that lives as long as the pooled
 * state (most followed sources never need more, and a source table that
 * churns then allocates nothing); beyond that a one-hash Bloom filter of
 * 16,384 bits from the memory budget: a false "seen" is possible when it
 * fills, never a false "new".
 */
export class PairFilter {
  private readonly exact = new Int32Array(PAIR_EXACT_MAX * 2);
  private exactCount = 0;
  private bits: Uint8Array | null = null;
  count = 0;
  /** Whether a pair was added since the last reset. */
  started = false;

  constructor(private readonly budget: MemoryBudget) {}

  /** Returns true when the pair was new. Past the exact pairs and without memory it treats every pair as new. */
  add(host: number, port: number): boolean {
    this.started = true;
    if (this.bits === null) {
      const ex = this.exact;
      const n = this.exactCount;
      const h = host | 0;
      for (let i = 0; i < n; i++) if (ex[i * 2] === h && ex[i * 2 + 1] === port) return false;
      if (n < PAIR_EXACT_MAX) {
        ex[n * 2] = h;
        ex[n * 2 + 1] = port;
        this.exactCount++;
        this.count++;
        return true;
      }
      if (!this.budget.acquire(PAIR_BYTES)) {
        this.count++;
        return true;
      }
      this.bits = new Uint8Array(PAIR_BYTES);
      for (let i = 0; i < n; i++) this.setBit(ex[i * 2]!, ex[i * 2 + 1]!);
    }
    if (!this.setBit(host, port)) return false;
    this.count++;
    return true;
  }

  /** Sets the pair's bit; false when it was set already. */
  private setBit(host: number, port: number): boolean {
    const bits = this.bits!;
    const h = mix32(host ^ Math.imul(port + 1, 0x9e3779b1) ^ this.budget.hashKey) & (PAIR_BITS - 1);
    const bit = 1 << (h & 7);
    if (bits[h >>> 3]! & bit) return false;
    bits[h >>> 3]! |= bit;
    return true;
  }

  reset(): void {
    if (this.bits !== null) {
      this.budget.release(PAIR_BYTES);
      this.bits = null;
    }
    this.exactCount = 0;
    this.count = 0;
    this.started = false;
  }
}
