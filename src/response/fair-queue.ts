/**
 * The waiting room of a response hook: bounded in total, with a share per
 * source, so that one party's events cannot keep another's out.
 *
 * - At most `perSource` events of one source key wait at once; more from
 *   it are dropped (counted as `sourceShare`).
 * - Two lanes: events from a verified source (one that completed an
 *   exchange a blind spoofer cannot) and the rest. The verified lane is
 *   served first, and when the queue is full a verified event takes the
 *   place of an unverified one (counted as `displaced`): forged packets,
 *   however many, never keep a real scanner's event out.
 * - Within a lane, sources are served round-robin (one event each in
 *   turn), and a full queue makes room for a newcomer by dropping the
 *   newest event of the source holding the most, if that source holds at
 *   least two more than the newcomer; otherwise the newcomer is dropped
 *   (counted as `queueFull`). So a few sources flooding many events each
 *   give way to a source with one.
 *
 * Every operation is O(perSource) at most (no scan over the queue).
 */

/**
 * Events one source may have waiting by default: a blocking hook needs one
 * per source; two leave room for a second technique (a sweep, then a port
 * scan) without letting a source fill a queue of 100.
 */
export const DEFAULT_SHARE_PER_SOURCE = 2;

export interface FairQueueDrops {
  /** Refused: the source already had `perSource` events waiting. */
  sourceShare: number;
  /** Refused: the queue was full and no source held more than its share. */
  queueFull: number;
  /** Waiting events dropped to make room for a more deserving one. */
  displaced: number;
}

/** One lane: a queue per source key, served round-robin in key order. */
class Lane<T> {
  /** Map order is the round-robin order: a served source moves to the back. */
  readonly bySource = new Map<string, T[]>();
  /** holding[c]: the source keys holding exactly c events (c >= 1), to find the largest holder at once. */
  private readonly holding: Set<string>[];
  size = 0;

  constructor(perSource: number) {
    this.holding = Array.from({ length: perSource + 1 }, () => new Set<string>());
  }

  count(key: string): number {
    return this.bySource.get(key)?.length ?? 0;
  }

  push(key: string, item: T): void {
    let q = this.bySource.get(key);
    if (q === undefined) {
      q = [];
      this.bySource.set(key, q);
    } else {
      this.holding[q.length]!.delete(key);
    }
    q.push(item);
    this.holding[q.length]!.add(key);
    this.size++;
  }

  /** The oldest event of the source whose turn it is. */
  shift(): T | undefined {
    const first = this.bySource.entries().next();
    if (first.done === true) return undefined;
    const [key, q] = first.value;
    this.holding[q.length]!.delete(key);
    const item = q.shift()!;
    this.bySource.delete(key);
    if (q.length > 0) {
      this.bySource.set(key, q);
      this.holding[q.length]!.add(key);
    }
    this.size--;
    return item;
  }

  /** The source key holding the most events, and how many. */
  largest(): { key: string; count: number } | null {
    for (let c = this.holding.length - 1; c >= 1; c--) {
      const first = this.holding[c]!.values().next();
      if (first.done !== true) return { key: first.value, count: c };
    }
    return null;
  }

  /** Drops the newest event of `key`. */
  dropNewest(key: string): void {
    const q = this.bySource.get(key)!;
    this.holding[q.length]!.delete(key);
    q.pop();
    if (q.length === 0) this.bySource.delete(key);
    else this.holding[q.length]!.add(key);
    this.size--;
  }

  clear(): void {
    this.bySource.clear();
    for (const s of this.holding) s.clear();
    this.size = 0;
  }
}

export class FairQueue<T> {
  readonly drops: FairQueueDrops = { sourceShare: 0, queueFull: 0, displaced: 0 };
  private readonly verified: Lane<T>;
  private readonly unverified: Lane<T>;

  constructor(
    /** Events waiting at most, all sources together. */
    readonly limit: number,
    /** Events of one source key waiting at most. */
    readonly perSource: number,
  ) {
    if (!(limit >= 1 && perSource >= 1)) throw new Error('FairQueue: limit and perSource must be at least 1');
    this.verified = new Lane(perSource);
    this.unverified = new Lane(perSource);
  }

  get size(): number {
    return this.verified.size + this.unverified.size;
  }

  /** Queues an event; false when it was dropped (counted in `drops`). */
  push(key: string, item: T, verified: boolean): boolean {
    const lane = verified ? this.verified : this.unverified;
    const held = this.verified.count(key) + this.unverified.count(key);
    if (held >= this.perSource) {
      this.drops.sourceShare++;
      return false;
    }
    if (this.size >= this.limit && !this.makeRoom(lane, held, verified)) {
      this.drops.queueFull++;
      return false;
    }
    lane.push(key, item);
    return true;
  }

  /** The next event to hand over: verified sources first, round-robin among sources. */
  shift(): T | undefined {
    return this.verified.size > 0 ? this.verified.shift() : this.unverified.shift();
  }

  /** Empties the queue; returns how many events it held. */
  clear(): number {
    const n = this.size;
    this.verified.clear();
    this.unverified.clear();
    return n;
  }

  private makeRoom(lane: Lane<T>, held: number, verified: boolean): boolean {
    // A verified event outranks any unverified one.
    if (verified) {
      const victim = this.unverified.largest();
      if (victim !== null) {
        this.unverified.dropNewest(victim.key);
        this.drops.displaced++;
        return true;
      }
    }
    // Within a lane, only a source holding at least two more than the newcomer gives way.
    const victim = lane.largest();
    if (victim === null || victim.count < held + 2) return false;
    lane.dropNewest(victim.key);
    this.drops.displaced++;
    return true;
  }
}
