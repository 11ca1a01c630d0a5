/**
 * Flows that left the flow table with a probe still to judge (its silence,
 * its empty contact, a lone candidate segment), waiting for the engine to
 * judge them. The table copies a flow here as it frees the slot, in the
 * middle of an insert or a sweep; the engine judges the queue once that
 * call is over, so no judgement runs inside the table's own insert (where
 * it could promote a source, insert another flow and evict this one's
 * neighbours under it).
 *
 * A ring of CAPACITY copies of the slot's eight words plus its first-seen
 * and end times (milliseconds since the table's epoch). Sweeps and drains
 * stop while the ring is nearly full and resume once it is judged; inserts
 * end at most three flows each (an eviction and two swept slots), so the
 * reserve below covers any packet. A flow that still found the ring full
 * would be counted in `lost`, never silently dropped.
 */
const CAPACITY = 4096;
const RESERVE = 256;
const WORDS = 8;
const A = 0;
const B = 1;
const PORTS = 2;
const KIND = 3;
const META = 4;

export class EndedFlows {
  private readonly ints = new Int32Array(CAPACITY * WORDS);
  private readonly firstMs = new Float64Array(CAPACITY);
  private readonly endMs = new Float64Array(CAPACITY);
  private readonly ordinals = new Float64Array(CAPACITY);
  private head = 0;
  private tail = 0;
  /** Entries waiting. */
  size = 0;
  /** Ended flows that found the ring full (none at the reserve above; a counter for the claim). */
  lost = 0;

  /** True when sweeps and drains should stop until the queue is judged. */
  get nearlyFull(): boolean {
    return this.size >= CAPACITY - RESERVE;
  }

  /** Copies the slot at `words[o, o + 8)` (the flow table's layout) with its times and its first packet's ordinal. */
  push(words: Int32Array, o: number, firstMs: number, endMs: number, firstOrdinal: number): void {
    if (this.size === CAPACITY) {
      this.lost++;
      return;
    }
    const i = this.tail;
    const to = i * WORDS;
    for (let w = 0; w < WORDS; w++) this.ints[to + w] = words[o + w]!;
    this.firstMs[i] = firstMs;
    this.endMs[i] = endMs;
    this.ordinals[i] = firstOrdinal;
    this.tail = (i + 1) & (CAPACITY - 1);
    this.size++;
  }

  /** The oldest entry's index (valid until `shift`); the queue must not be empty. */
  get oldest(): number {
    return this.head;
  }

  shift(): void {
    this.head = (this.head + 1) & (CAPACITY - 1);
    this.size--;
  }

  initiator(i: number): number {
    return this.ints[i * WORDS + A]!;
  }
  responder(i: number): number {
    return this.ints[i * WORDS + B]!;
  }
  ports(i: number): number {
    return this.ints[i * WORDS + PORTS]!;
  }
  kind(i: number): number {
    return this.ints[i * WORDS + KIND]!;
  }
  /** The flow's flags, technique, tool and marks, as the flow table's meta word holds them. */
  meta(i: number): number {
    return this.ints[i * WORDS + META]!;
  }
  firstSeenMs(i: number): number {
    return this.firstMs[i]!;
  }
  endedMs(i: number): number {
    return this.endMs[i]!;
  }
  firstOrdinal(i: number): number {
    return this.ordinals[i]!;
  }
}
