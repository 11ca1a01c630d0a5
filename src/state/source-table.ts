import { TECHNIQUE_COUNT } from '../rules/techniques.js';
import type { SourceKey } from '../units.js';
import { KeyIndex } from './key-index.js';
import type { MemoryBudget } from './memory-budget.js';
import { type DetectionLink, TechniqueState } from './technique-state.js';

/**
 * Everything known about one source that has shown more than one distinct
 * probe. Records are pooled: an evicted record (with its technique states)
 * serves the next promoted source.
 */
export class SourceRecord<D extends DetectionLink = DetectionLink> {
  /** Table key: the address key (IPv4 address, or 2^32 + a hash of the IPv6 address) plus its tenant's span (engine/keys.ts). */
  key = 0 as SourceKey;
  isV6 = false;
  /** The IPv6 address bytes (allocated once per pooled record, on first IPv6 use). */
  addr6: Uint8Array | null = null;
  prev: SourceRecord<D> | null = null;
  next: SourceRecord<D> | null = null;
  firstSeen = 0;
  lastSeen = 0;
  readonly techniques: (TechniqueState<D> | null)[] = new Array(TECHNIQUE_COUNT).fill(null);

  constructor(
    readonly slot: number,
    private readonly budget: MemoryBudget,
    /** Its states keep packet indexes (EngineConfig.indexPackets). */
    private readonly indexPackets: boolean,
  ) {}

  /** The state of a technique this source has probed with in its current window, or null. */
  activeTechnique(t: number): TechniqueState<D> | null {
    const s = this.techniques[t];
    return s === null || s === undefined || s.probes === 0 ? null : s;
  }

  technique(t: number): TechniqueState<D> {
    let s = this.techniques[t];
    if (s === null || s === undefined) {
      s = new TechniqueState<D>(t, this.budget, this.indexPackets);
      this.techniques[t] = s;
    }
    return s;
  }
}

export interface SourceTableStats {
  entries: number;
  capacity: number;
  evicted: number;
}

/**
 * Full per-source records in bounded memory: at most `capacity` records,
 * in least-recently-active order; a new record past the bound evicts the
 * source that has been quiet longest. Only promoted sources (see
 * Probation) get here, so a flood of one-packet sources never touches it,
 * and an active scanner stays at the head of the list.
 */
export class SourceTable<D extends DetectionLink = DetectionLink> {
  private readonly index: KeyIndex;
  private readonly bySlot: SourceRecord<D>[] = [];
  private head: SourceRecord<D> | null = null;
  private tail: SourceRecord<D> | null = null;
  private count = 0;
  evicted = 0;

  constructor(
    readonly capacity: number,
    private readonly budget: MemoryBudget,
    /** Hash key of the index (see KeyIndex). */
    seed = 0,
    /** Whether the records' states keep packet indexes (EngineConfig.indexPackets). */
    private readonly indexPackets = false,
  ) {
    this.index = new KeyIndex(capacity, seed);
  }

  get size(): number {
    return this.count;
  }

  /** Finds a source, without changing its recency. */
  find(key: number): SourceRecord<D> | null {
    const slot = this.index.get(key);
    return slot < 0 ? null : this.bySlot[slot]!;
  }

  /** The same as find (for readers that only look). */
  peek(key: number): SourceRecord<D> | null {
    return this.find(key);
  }

  /** Marks a source most recently active. */
  touch(rec: SourceRecord<D>, now: number): void {
    rec.lastSeen = now;
    if (this.head !== rec) {
      this.unlink(rec);
      this.linkHead(rec);
    }
  }

  /**
   * The record the next `add` will recycle (the quietest, when the table is
   * full), or null: whoever adds freezes what reads it first (its
   * detections), so the table calls nobody back from inside `add`.
   */
  victim(): SourceRecord<D> | null {
    return this.bySlot.length < this.capacity ? null : this.tail;
  }

  /** Adds a source (the caller has checked it is absent, and dealt with the victim), recycling the quietest one when full. */
  add(key: SourceKey, now: number): SourceRecord<D> {
    let rec: SourceRecord<D>;
    if (this.bySlot.length < this.capacity) {
      rec = new SourceRecord<D>(this.bySlot.length, this.budget, this.indexPackets);
      this.bySlot.push(rec);
    } else {
      rec = this.tail!;
      this.evicted++;
      this.unlink(rec);
      this.index.delete(rec.key);
      for (const t of rec.techniques) if (t !== null && t.probes !== 0) t.reset();
    }
    rec.key = key;
    rec.firstSeen = now;
    rec.lastSeen = now;
    this.index.set(key, rec.slot);
    this.linkHead(rec);
    return rec;
  }

  stats(): SourceTableStats {
    return { entries: this.count, capacity: this.capacity, evicted: this.evicted };
  }

  private linkHead(rec: SourceRecord<D>): void {
    rec.prev = null;
    rec.next = this.head;
    if (this.head !== null) this.head.prev = rec;
    this.head = rec;
    if (this.tail === null) this.tail = rec;
    this.count++;
  }

  private unlink(rec: SourceRecord<D>): void {
    if (rec.prev !== null) rec.prev.next = rec.next;
    else this.head = rec.next;
    if (rec.next !== null) rec.next.prev = rec.prev;
    else this.tail = rec.prev;
    rec.prev = null;
    rec.next = null;
    this.count--;
  }
}
