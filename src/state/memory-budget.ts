/**
 * A shared allowance of bytes for the large per-source structures (bitmaps
 * and sketches). Small scans never touch it; it caps what a flood of large
 * scans can make us allocate. When it is spent, counts keep their exact
 * small form and stop growing (they are then reported as lower bounds).
 */
export class MemoryBudget {
  used = 0;
  refused = 0;
  constructor(
    readonly limitBytes: number,
    /**
     * The engine's table key, for the sketches drawn from this budget
     * (distinct.ts): their bit positions are keyed so that a scanner cannot
     * pick targets whose hashes collide and be counted as fewer.
     */
    readonly hashKey = 0,
  ) {}

  acquire(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) {
      this.refused++;
      return false;
    }
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used -= bytes;
  }
}
