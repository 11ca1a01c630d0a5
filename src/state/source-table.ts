import { TECHNIQUE_COUNT } from '../rules/techniques.js';
import type { MemoryBudget } from './memory-budget.js';
import { TechniqueState } from './technique-state.js';

const FREE = 0;
const PROBATION = 1;
const PROTECTED = 2;

/**
 * Everything known about one source address. Records are pooled: when a
 * source is evicted its record (and its technique states) serve the next
 * new source, so a flood of new sources allocates nothing once warm.
 */
export class SourceRecord {
  /** Table key: the IPv4 address, or 2^32 + a hash of the IPv6 address. */
  key = -1;
  isV6 = false;
  /** The IPv6 address bytes (allocated once per pooled record, on first IPv6 use). */
  addr6: Uint8Array | null = null;
  /** Bumped on every reuse, so that flow entries can tell a recycled owner. */
  generation = 0;
  segment = FREE;
  prev: SourceRecord | null = null;
  next: SourceRecord | null = null;
  firstSeen = 0;
  lastSeen = 0;
  readonly techniques: (TechniqueState | null)[] = new Array(TECHNIQUE_COUNT).fill(null);

  constructor(
    readonly slot: number,
    private readonly budget: MemoryBudget,
  ) {}

  technique(t: number): TechniqueState {
    let s = this.techniques[t];
    if (s === null || s === undefined) {
      s = new TechniqueState(t, this.budget);
      this.techniques[t] = s;
    }
    return s;
  }

  get isProtected(): boolean {
    return this.segment === PROTECTED;
  }
}

export interface SourceTableStats {
  entries: number;
  probation: number;
  protected: number;
  capacity: number;
  evictedProbation: number;
  evictedProtected: number;
  promotions: number;
}

/**
 * Per-source state in bounded memory: a segmented LRU (Karedla, Love,
 * Wherry, IEEE Computer 1994). New sources enter a probation segment;
 * a source that shows a second distinct probe or draws a rejection is
 * promoted to a protected segment. A flood of one-packet spoofed sources
 * therefore only churns probation and cannot push an active scanner out.
 * When protected itself is full its least recently active source is
 * evicted, never demoted, so probation only ever holds small records.
 */
export class SourceTable {
  private readonly map = new Map<number, SourceRecord>();
  /** Free records, ready for reuse. */
  private readonly pool: SourceRecord[] = [];
  /** Every record ever made, by slot number (flow entries name their owner by slot). */
  private readonly bySlot: SourceRecord[] = [];
  private probHead: SourceRecord | null = null;
  private probTail: SourceRecord | null = null;
  private protHead: SourceRecord | null = null;
  private protTail: SourceRecord | null = null;
  private probCount = 0;
  private protCount = 0;
  evictedProbation = 0;
  evictedProtected = 0;
  promotions = 0;

  /** Called before a record is recycled, so detections can be finalised. */
  onEvict: (record: SourceRecord) => void = () => {};

  constructor(
    readonly probationCapacity: number,
    readonly protectedCapacity: number,
    private readonly budget: MemoryBudget,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** Looks a source up without changing its recency. */
  peek(key: number): SourceRecord | undefined {
    return this.map.get(key);
  }

  /** Finds or creates the source's record and marks it most recently used. */
  touch(key: number, now: number): SourceRecord {
    let rec = this.map.get(key);
    if (rec !== undefined) {
      this.moveToHead(rec);
      rec.lastSeen = now;
      return rec;
    }
    rec = this.take();
    rec.key = key;
    rec.firstSeen = now;
    rec.lastSeen = now;
    this.map.set(key, rec);
    this.linkHead(rec, PROBATION);
    return rec;
  }

  promote(rec: SourceRecord): void {
    if (rec.segment !== PROBATION) return;
    this.unlink(rec);
    if (this.protCount >= this.protectedCapacity && this.protTail !== null) {
      const victim = this.protTail;
      this.evictedProtected++;
      this.evict(victim);
      this.pool.push(victim);
    }
    this.linkHead(rec, PROTECTED);
    this.promotions++;
  }

  /** Every record in use, protected first (for reports and end-of-capture flushes). */
  *records(): IterableIterator<SourceRecord> {
    for (let r = this.protHead; r !== null; r = r.next) yield r;
    for (let r = this.probHead; r !== null; r = r.next) yield r;
  }

  stats(): SourceTableStats {
    return {
      entries: this.map.size,
      probation: this.probCount,
      protected: this.protCount,
      capacity: this.probationCapacity + this.protectedCapacity,
      evictedProbation: this.evictedProbation,
      evictedProtected: this.evictedProtected,
      promotions: this.promotions,
    };
  }

  /** The record in a slot, if it still belongs to the given generation. */
  bySlotAndGeneration(slot: number, generation: number): SourceRecord | null {
    const rec = this.bySlot[slot];
    return rec !== undefined && rec.generation === generation && rec.segment !== FREE ? rec : null;
  }

  private take(): SourceRecord {
    const free = this.pool.pop();
    if (free !== undefined) return free;
    if (this.probCount < this.probationCapacity && this.bySlot.length < this.probationCapacity + this.protectedCapacity) {
      const rec = new SourceRecord(this.bySlot.length, this.budget);
      this.bySlot.push(rec);
      return rec;
    }
    // Probation is full: its least recently seen source goes (the protected
    // tail only when probation is empty, which a capacity of 0 can cause).
    const victim = this.probTail ?? this.protTail!;
    if (victim.segment === PROBATION) this.evictedProbation++;
    else this.evictedProtected++;
    this.evict(victim);
    return victim;
  }

  private evict(rec: SourceRecord): void {
    this.onEvict(rec);
    this.unlink(rec);
    this.map.delete(rec.key);
    rec.generation++;
    rec.segment = FREE;
    for (const t of rec.techniques) if (t !== null && t.probes !== 0) t.reset();
  }

  private linkHead(rec: SourceRecord, segment: number): void {
    rec.segment = segment;
    rec.prev = null;
    if (segment === PROBATION) {
      rec.next = this.probHead;
      if (this.probHead !== null) this.probHead.prev = rec;
      this.probHead = rec;
      if (this.probTail === null) this.probTail = rec;
      this.probCount++;
    } else {
      rec.next = this.protHead;
      if (this.protHead !== null) this.protHead.prev = rec;
      this.protHead = rec;
      if (this.protTail === null) this.protTail = rec;
      this.protCount++;
    }
  }

  private unlink(rec: SourceRecord): void {
    if (rec.prev !== null) rec.prev.next = rec.next;
    if (rec.next !== null) rec.next.prev = rec.prev;
    if (rec.segment === PROBATION) {
      if (this.probHead === rec) this.probHead = rec.next;
      if (this.probTail === rec) this.probTail = rec.prev;
      this.probCount--;
    } else if (rec.segment === PROTECTED) {
      if (this.protHead === rec) this.protHead = rec.next;
      if (this.protTail === rec) this.protTail = rec.prev;
      this.protCount--;
    }
    rec.prev = null;
    rec.next = null;
  }

  private moveToHead(rec: SourceRecord): void {
    if (rec.segment === PROBATION ? this.probHead === rec : this.protHead === rec) return;
    const segment = rec.segment;
    this.unlink(rec);
    this.linkHead(rec, segment);
  }
}
