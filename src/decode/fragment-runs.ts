/**
 * Which byte ranges of each datagram have arrived, kept as Linux keeps them,
 * so that duplicates and overlaps are told apart exactly as the target does.
 *
 * Linux (net/ipv4/inet_fragment.c, inet_frag_queue_insert, shared by IPv4
 * and IPv6 since 4.19/5.1) keeps a datagram's fragments as "runs": a
 * fragment that starts exactly where the last one (the one reaching
 * furthest) ends is appended to the last run; any other fragment starts a
 * run of its own, even next to another run, and runs never merge. A new
 * fragment that lies wholly inside ONE run is a duplicate (dropped, the
 * datagram kept); one that intersects runs any other way is an overlap
 * (RFC 5722 with erratum 3089: the whole datagram is discarded). So a copy
 * of bytes already received that straddles two runs is an overlap, not a
 * duplicate, and this module reproduces that.
 *
 * Runs are records in one shared pool, linked per datagram in order of
 * their start. When the pool is empty the caller evicts a datagram.
 */

export const RunInsert = { OK: 0, DUPLICATE: 1, OVERLAP: 2, NO_ROOM: 3 } as const;

const NONE = -1;

export class FragmentRuns {
  readonly capacity: number;
  /** Records not in any datagram's list. */
  free: number;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly next: Int32Array;
  private nextFree: number;
  /** Per datagram: its first run (lowest start) and its last (reaching furthest). */
  private readonly head: Int32Array;
  private readonly tail: Int32Array;

  constructor(datagrams: number, records: number) {
    this.capacity = records;
    this.free = records;
    this.start = new Int32Array(records);
    this.end = new Int32Array(records);
    this.next = new Int32Array(records);
    for (let i = 0; i < records; i++) this.next[i] = i + 1 < records ? i + 1 : NONE;
    this.nextFree = 0;
    this.head = new Int32Array(datagrams).fill(NONE);
    this.tail = new Int32Array(datagrams).fill(NONE);
  }

  get bytes(): number {
    return this.capacity * 12 + this.head.length * 8;
  }

  /** True once datagram `d` holds a fragment (Linux: fragments_tail is set). */
  hasFragments(d: number): boolean {
    return this.tail[d] !== NONE;
  }

  /** Start of the datagram's first run (-1 when it has none). */
  firstStart(d: number): number {
    const h = this.head[d]!;
    return h === NONE ? -1 : this.start[h]!;
  }

  /**
   * Adds the fragment [from, to) of datagram `d` (to > from). NO_ROOM means
   * a new run was needed and the pool is empty: nothing was changed.
   */
  insert(d: number, from: number, to: number): number {
    const last = this.tail[d]!;
    if (last === NONE) return this.push(d, NONE, NONE, from, to);
    const lastEnd = this.end[last]!;
    if (lastEnd < to) {
      // The common case: the fragment goes at the end.
      if (from < lastEnd) return RunInsert.OVERLAP;
      if (from === lastEnd) {
        this.end[last] = to;
        return RunInsert.OK;
      }
      return this.push(d, last, NONE, from, to);
    }
    // Anywhere before the end: find the runs it meets (Linux walks its rb-tree of runs).
    let prev = NONE;
    for (let r = this.head[d]!; r !== NONE; r = this.next[r]!) {
      const rs = this.start[r]!;
      if (to <= rs) return this.push(d, prev, r, from, to);
      if (from >= this.end[r]!) {
        prev = r;
        continue;
      }
      return from >= rs && to <= this.end[r]! ? RunInsert.DUPLICATE : RunInsert.OVERLAP;
    }
    // Unreachable: `to` <= the end of the last run, so some run stops the walk.
    return RunInsert.OVERLAP;
  }

  /** Frees every run of datagram `d`. */
  clear(d: number): void {
    let r = this.head[d]!;
    while (r !== NONE) {
      const n = this.next[r]!;
      this.next[r] = this.nextFree;
      this.nextFree = r;
      this.free++;
      r = n;
    }
    this.head[d] = NONE;
    this.tail[d] = NONE;
  }

  /** A new run [from, to) between `prev` and `after` (NONE: at the head / the end). */
  private push(d: number, prev: number, after: number, from: number, to: number): number {
    const r = this.nextFree;
    if (r === NONE) return RunInsert.NO_ROOM;
    this.nextFree = this.next[r]!;
    this.free--;
    this.start[r] = from;
    this.end[r] = to;
    this.next[r] = after;
    if (prev === NONE) this.head[d] = r;
    else this.next[prev] = r;
    if (after === NONE) this.tail[d] = r;
    return RunInsert.OK;
  }
}
