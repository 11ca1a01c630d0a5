/**
 * Per-peer fragment counters for Linux's ipfrag_max_dist rule (IPv4 only).
 *
 * Linux counts every IPv4 fragment a host queues from each source (the
 * inet_peer "rid", net/ipv4/ip_fragment.c ip_frag_too_far). When more than
 * ipfrag_max_dist (64 by default, ip-sysctl.rst) fragments from that source
 * arrived between two fragments of one datagram, the datagram's queue is
 * emptied and restarted with the new fragment (ip_frag_reinit). An attacker
 * can use it: a garbage first fragment, 65 other fragments, then the clean
 * train with the same id: the target reassembles the clean one, a
 * reassembler without the rule keeps the garbage.
 *
 * A sensor sees many hosts; the target counts only what it receives, so a
 * peer here is (source, destination, tenant). A counter is needed only while
 * a datagram of its peer is queued, so counters are reference-counted by
 * the queued datagrams and there are never more than there are slots.
 */
import { randomInt } from 'node:crypto';
import { fmix, mixTenant } from './fragment-keys.js';

const EMPTY = -1;

export class FragmentPeers {
  private readonly src: Int32Array;
  private readonly dst: Int32Array;
  private readonly tenant: Float64Array;
  /** Fragments counted for the peer (wraps at 2^32, as the kernel's atomic_t is compared). */
  private readonly count: Int32Array;
  private readonly refs: Int32Array;
  private readonly freeList: Int32Array;
  private free: number;
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly seed: number;

  constructor(capacity: number, seed: number = randomInt(0, 2 ** 32)) {
    this.src = new Int32Array(capacity);
    this.dst = new Int32Array(capacity);
    this.tenant = new Float64Array(capacity);
    this.count = new Int32Array(capacity);
    this.refs = new Int32Array(capacity);
    this.freeList = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.freeList[i] = capacity - 1 - i;
    this.free = capacity;
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.table = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
    this.seed = seed | 0;
  }

  get bytes(): number {
    return this.src.length * (4 + 4 + 8 + 4 + 4 + 4) + this.table.length * 4;
  }

  private hash(src: number, dst: number, tenant: number): number {
    let h = fmix(src ^ this.seed);
    return mixTenant(fmix(h ^ dst), tenant) & this.mask;
  }

  /** The peer's counter, created at 0 if none is held; one more reference to it. */
  acquire(src: number, dst: number, tenant: number): number {
    let i = this.hash(src, dst, tenant);
    for (;;) {
      const p = this.table[i]!;
      if (p === EMPTY) break;
      if (this.src[p] === src && this.dst[p] === dst && this.tenant[p] === tenant) {
        this.refs[p]!++;
        return p;
      }
      i = (i + 1) & this.mask;
    }
    // Never empty: there are as many counters as datagram slots, and each slot holds one reference.
    const p = this.freeList[--this.free]!;
    this.src[p] = src;
    this.dst[p] = dst;
    this.tenant[p] = tenant;
    this.count[p] = 0;
    this.refs[p] = 1;
    this.table[i] = p;
    return p;
  }

  /** Counts one fragment of peer `p`; returns the new count. */
  next(p: number): number {
    const n = (this.count[p]! + 1) | 0;
    this.count[p] = n;
    return n;
  }

  /** Drops a reference; the last one frees the counter. */
  release(p: number): void {
    if (--this.refs[p]! > 0) return;
    let i = this.hash(this.src[p]!, this.dst[p]!, this.tenant[p]!);
    while (this.table[i] !== p) i = (i + 1) & this.mask;
    let hole = i;
    for (let j = (i + 1) & this.mask; this.table[j] !== EMPTY; j = (j + 1) & this.mask) {
      const q = this.table[j]!;
      const home = this.hash(this.src[q]!, this.dst[q]!, this.tenant[q]!);
      const between = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (between) continue;
      this.table[hole] = q;
      hole = j;
    }
    this.table[hole] = EMPTY;
    this.freeList[this.free++] = p;
  }
}
