import type { MemoryBudget } from './memory-budget.js';

/**
 * What one entry of a JavaScript Set costs, roughly: its hash-table slot
 * and, for strings, the string (V8's OrderedHashSet holds about 3 words per
 * entry at its load factor; a short "198.18.0.1:80" key is about 32 bytes).
 */
const NUMBER_ENTRY_BYTES = 24;
const STRING_ENTRY_BYTES = 64;

/**
 * A Set whose entries are charged to the memory budget: the per-source
 * sets (open services, live hosts, open|filtered ports) grow with what a
 * scan finds, and a flood of scans that find much must not grow them past
 * what the sensor was given. At `limit` entries, or when the budget
 * refuses, the set stops growing (`full`): new values are then neither
 * remembered nor counted as new, so the counts built on it are lower
 * bounds. Made on first use, released on reset.
 */
export class ChargedSet<T extends number | string> {
  private readonly set = new Set<T>();
  /** The set could not take a value (limit or budget): counts built on it are lower bounds. */
  full = false;
  private readonly entryBytes: number;

  constructor(
    private readonly budget: MemoryBudget,
    private readonly limit: number,
    strings: boolean,
  ) {
    this.entryBytes = strings ? STRING_ENTRY_BYTES : NUMBER_ENTRY_BYTES;
  }

  get size(): number {
    return this.set.size;
  }

  has(value: T): boolean {
    return this.set.has(value);
  }

  /** Adds a value; true when it is new and was taken. */
  add(value: T): boolean {
    if (this.set.has(value)) return false;
    if (this.set.size >= this.limit || !this.budget.acquire(this.entryBytes)) {
      this.full = true;
      return false;
    }
    this.set.add(value);
    return true;
  }

  [Symbol.iterator](): IterableIterator<T> {
    return this.set.values();
  }

  /** Gives the entries' bytes back to the budget; the set is then not used again. */
  release(): void {
    this.budget.release(this.set.size * this.entryBytes);
    this.set.clear();
  }
}
