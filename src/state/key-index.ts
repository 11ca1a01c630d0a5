import { mix32 } from './distinct.js';
import { sourceKeyHash } from './keyed-hash.js';

const EMPTY = -1;

/**
 * A hash index from numeric keys (signed 32-bit, or up to 3 * 2^31) to small integers, in typed
 * arrays with open addressing and linear probing. Unlike a Map it boxes no
 * number and allocates nothing per operation; deletion shifts the following
 * run back (Knuth, TAOCP vol. 3, algorithm R), so no tombstones build up
 * under churn. Sized at creation to at most 50% load.
 */
export class KeyIndex {
  private readonly keys: Float64Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  private readonly seedMix: number;
  size = 0;

  /** `seed` keys the hash, so that nobody can build long probe runs on purpose (see Engine). */
  constructor(
    maxEntries: number,
    private readonly seed = 0,
  ) {
    this.seedMix = mix32(seed);
    let n = 16;
    while (n < maxEntries * 2) n *= 2;
    this.keys = new Float64Array(n);
    this.values = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
  }

  /**
   * Keys are signed 32-bit IPv4 addresses, or 2^32 plus a signed 32-bit
   * hash for IPv6 (engine.ts): the low 32 bits and one bit for the family
   * tell them apart, and one mix spreads them.
   */
  private home(key: number): number {
    return sourceKeyHash(key, this.seed, this.seedMix) & this.mask;
  }

  get(key: number): number {
    let i = this.home(key);
    for (;;) {
      const v = this.values[i]!;
      if (v === EMPTY) return EMPTY;
      if (this.keys[i] === key) return v;
      i = (i + 1) & this.mask;
    }
  }

  /** Inserts or overwrites. The caller keeps size within maxEntries. */
  set(key: number, value: number): void {
    let i = this.home(key);
    for (;;) {
      const v = this.values[i]!;
      if (v === EMPTY) {
        this.keys[i] = key;
        this.values[i] = value;
        this.size++;
        return;
      }
      if (this.keys[i] === key) {
        this.values[i] = value;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  delete(key: number): boolean {
    const mask = this.mask;
    let i = this.home(key);
    for (;;) {
      if (this.values[i] === EMPTY) return false;
      if (this.keys[i] === key) break;
      i = (i + 1) & mask;
    }
    // Shift back every later entry of the run that may not stay past the hole.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (this.values[j] === EMPTY) break;
      const h = this.home(this.keys[j]!);
      // Entry j may move into the hole if its home is not cyclically within (hole, j].
      const movable = hole <= j ? h <= hole || h > j : h <= hole && h > j;
      if (movable) {
        this.keys[hole] = this.keys[j]!;
        this.values[hole] = this.values[j]!;
        hole = j;
      }
    }
    this.values[hole] = EMPTY;
    this.size--;
    return true;
  }
}
