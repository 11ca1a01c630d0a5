/**
 * IPv4 and IPv6 fragment reassembly that follows the Linux receiver, so
 * that what the target rebuilds and answers is what the sensor analyses:
 * a probe split so that its flags or ports sit in a later fragment (nmap
 * -f, --mtu; Ptacek and Newsham 1998) reaches the engine as the one segment
 * the target rebuilds, and a fragment trick the target sees through does
 * not blind the sensor.
 *
 * The rules, with where Linux (6.x) has them:
 * - Keys: source, destination, identification and tenant; IPv4 also the
 *   protocol (ip_find; RFC 791), IPv6 not (fq_find; RFC 8200 section 4.5).
 * - Duplicates and overlaps: fragment-runs.ts (inet_frag_queue_insert). An
 *   overlap discards the whole datagram and its queue is gone: the next
 *   fragment with the same key starts a NEW datagram, which can complete
 *   (inet_frag_kill removes the queue from the hash table). So does every
 *   other discard below (discard_qp / discard_fq).
 * - Length (ip_frag_queue, ip6_frag_queue): a last fragment that ends
 *   before data already received, or a second last fragment with another
 *   end, discards the datagram; so does a non-last fragment reaching beyond
 *   a known end, and an empty fragment. An IPv4 non-last fragment whose
 *   length is not a multiple of 8 is trimmed to one (`end &= ~7`) and
 *   queued; an IPv6 one is refused with a Parameter Problem and the queue
 *   is left as it was, as is an IPv6 fragment ending beyond 65,535.
 * - Size: a complete IPv4 datagram of more than 65,535 bytes with its header
 *   (ip_frag_reasm), or an IPv6 one whose payload would (ip6_frag_reasm),
 *   is discarded: the ping of death.
 * - IPv4 ipfrag_max_dist (fragment-peers.ts): a queue that missed more than
 *   64 fragments of its peer is emptied and restarted (ip_frag_reinit).
 * - Time: a queue expires ipfrag_time (30 s, ip-sysctl.rst) after it was
 *   created or restarted, on packet time; later fragments do not extend it.
 * - IPv6 first fragments that do not hold the whole header chain up to
 *   the upper-layer header (RFC 7112; ipv6frag_thdr_truncated) are refused
 *   by Linux before any queue is looked up. Other stacks and middleboxes
 *   have taken them, so they are kept aside ("shadow"): the datagram they
 *   would complete is analysed too, but they never touch the queue Linux
 *   keeps (a real first fragment drops the shadow), so they cannot be used
 *   to hide the datagram Linux does rebuild.
 *
 * Coverage is tracked by the lengths the IP headers declare, not by the
 * bytes captured: a fragment cut by the capture's snapshot length still
 * covers its range, so a datagram whose fragments were all seen completes,
 * and what was captured of it (the headers, from the first fragment) is
 * analysed with its declared length.
 *
 * Memory is fixed, allocated on the first fragment: `slots` datagrams at
 * once, their bytes in a shared arena of `pages` pages of 1 KiB
 * (fragment-store.ts), their runs in a pool of records. When a new datagram
 * finds every slot taken, or a fragment finds no free page or run record,
 * the datagram queued longest ago is evicted and counted (`evictions`). A
 * flood therefore costs the oldest incomplete datagrams, never the new
 * ones; to push a probe's datagram out between two of its fragments a
 * flooder must send more first fragments than there are slots in between
 * (4,096 by default, about as many datagrams as Linux's 4 MiB
 * ipfrag_high_thresh holds), and every eviction is counted and alerted on.
 */
import { FragmentKeys } from './fragment-keys.js';
import { FragmentPeers } from './fragment-peers.js';
import { FragmentRuns, RunInsert } from './fragment-runs.js';
import { FragmentStore, PAGE_BYTES, PAGES_PER_DATAGRAM, STORE_LIMIT } from './fragment-store.js';

export const FragmentStat = {
  FRAGMENTS: 0,
  REASSEMBLED: 1,
  TIMEOUTS: 2,
  EVICTIONS: 3,
  OVERLAPS: 4,
  DUPLICATES: 5,
  OVERSIZE: 6,
  MALFORMED: 7,
  TRIMMED: 8,
  RESTARTED: 9,
  HEADER_INCOMPLETE: 10,
  CUT: 11,
} as const;

/** Names of Reassembler.stats as reported (JSON `fragments` object, metric label). */
export const FRAGMENT_STAT_NAMES: readonly string[] = [
  'fragments',
  'reassembled',
  'timeouts',
  'evictions',
  'overlaps',
  'duplicates',
  'oversize',
  'malformed',
  'trimmed',
  'restarted',
  'header_incomplete',
  'cut',
];

/** Largest IP payload (16-bit length fields; jumbograms are never fragmented). */
export const MAX_DATAGRAM_PAYLOAD = 65535;
/** Where a completed datagram's payload starts in `out` (its IPv6 addresses come first). */
export const DATA_OFFSET = 32;

const NONE = -1;
/** Slot states: free; a queue Linux would hold; only a shadow first fragment (no Linux queue yet). */
const FREE = 0;
const QUEUED = 1;
const SHADOW_ONLY = 2;
const FIRST_IN = 1;
const LAST_IN = 2;
const NO_CUT = 0x7fffffff;

export interface ReassemblyOptions {
  /** Datagrams reassembled at once (default 4096). */
  slots?: number;
  /** Pages of 1 KiB for their bytes (default 4096: 4 MiB). */
  pages?: number;
  /** Seconds from a queue's creation to its expiry (default 30, Linux ipfrag_time). */
  timeout?: number;
  /** IPv4 fragments of a peer a queue may miss before it restarts (default 64, Linux ipfrag_max_dist; 0: never). */
  maxDist?: number;
  /** Key of the hash index (default random); changes speed, never a result. */
  seed?: number;
}

/**
 * One fragment as the IP layer read it. Named fields, filled in place, so
 * that a swapped offset and length read as what they are.
 */
export class FragmentInfo {
  /** Source and destination: IPv4 addresses, or the keyed IPv6 hashes. */
  src = 0;
  dst = 0;
  /** IPv6: the addresses themselves, for the queue's key (addr[addrOff, +32)). */
  addr: Buffer = Buffer.alloc(0);
  addrOff = 0;
  /** The datagram's identification. */
  id = 0;
  /** IPv4: the protocol; IPv6: the fragment header's next header. */
  proto = 0;
  tenant = 0;
  /** What precedes the data in the datagram: the IPv4 header's length, or IPv6's unfragmentable part. */
  headerLen = 0;
  /** The fragment's data: `capLen` bytes captured at buf[off] of `len` declared. */
  buf: Buffer = Buffer.alloc(0);
  off = 0;
  capLen = 0;
  len = 0;
  /** Where the data sits in the datagram, in bytes. */
  fragOffset = 0;
  /** More fragments follow (MF). */
  more = false;
  /** IPv6 first fragment: it holds the header chain up to the upper layer. */
  headerComplete = true;
  /** The packet's time, seconds. */
  now = 0;
}


export class Reassembler {
  readonly stats = new Float64Array(FRAGMENT_STAT_NAMES.length);
  readonly capacity: number;
  readonly pages: number;
  readonly runRecords: number;
  readonly timeout: number;
  readonly maxDist: number;
  /** The completed datagram: its IPv6 addresses (32 bytes), then its payload from DATA_OFFSET. */
  out: Buffer = Buffer.alloc(0);
  /** Of the datagram add*() just completed: its length as declared, the bytes of it captured from its start, its protocol (IPv6: next header). */
  length = 0;
  captured = 0;
  datagramProto = -1;

  private readonly seed: number | undefined;
  private allocated = false;
  private keys!: FragmentKeys;
  private runs!: FragmentRuns;
  private store!: FragmentStore;
  private peers!: FragmentPeers;
  private state = new Uint8Array(0);
  private started = new Float64Array(0);
  private qlen = new Int32Array(0);
  private flags = new Uint8Array(0);
  private meat = new Int32Array(0);
  /** Of the offset-0 fragment: IPv4 header length, or the bytes of IPv6 extension headers before the fragment header. */
  private headLen = new Int32Array(0);
  /** IPv6: the next header of the offset-0 fragment (the datagram's). */
  private nextHeader = new Int16Array(0);
  /** Lowest datagram offset where a queued fragment's captured bytes stop short of its declared length. */
  private cutAt = new Int32Array(0);
  private shadowEnd = new Int32Array(0);
  private shadowCut = new Int32Array(0);
  private shadowNext = new Int16Array(0);
  private shadowHead = new Int32Array(0);
  /** ipfrag_max_dist: the peer's count at this queue's last fragment, and the peer. */
  private rid = new Int32Array(0);
  private peer = new Int32Array(0);
  /** Queues in order of creation (or restart): the head expires, or is evicted, first. */
  private agePrev = new Int32Array(0);
  private ageNext = new Int32Array(0);
  private ageHead = NONE;
  private ageTail = NONE;
  private freeSlots = new Int32Array(0);
  private freeCount = 0;
  private inUse = 0;

  /** The fragment addV4/addV6 take: the IP layer fills it in place (no allocation, no positional list). */
  readonly fragment = new FragmentInfo();

  constructor(o: ReassemblyOptions = {}) {
    this.capacity = Math.max(1, Math.floor(o.slots ?? 4096));
    this.pages = Math.max(PAGES_PER_DATAGRAM, Math.floor(o.pages ?? 4096));
    // A datagram has at most 65536 / 16 runs (8-byte fragments with 8-byte gaps): one can always fit.
    this.runRecords = Math.max(4 * this.capacity, STORE_LIMIT / 16 + 1);
    this.timeout = o.timeout ?? 30;
    this.maxDist = Math.max(0, Math.floor(o.maxDist ?? 64));
    this.seed = o.seed;
  }

  /** Bytes this reassembler holds at most (all of it allocated on the first fragment). */
  get memoryBytes(): number {
    const n = this.capacity;
    const slotState = n * (1 + 8 + 4 + 1 + 4 + 4 + 2 + 4 + 4 + 4 + 2 + 4 + 4 + 4 + 4 + 4 + 4);
    const table = (k: number): number => {
      let t = 16;
      while (t < k * 2) t *= 2;
      return t * 4;
    };
    return (
      this.pages * PAGE_BYTES + n * PAGES_PER_DATAGRAM * 2 + this.pages * 2 + // arena, page maps, free list
      this.runRecords * 12 + n * 8 + // runs
      n * 59 + table(n) + n * 28 + table(n) + // keys, peers
      slotState +
      DATA_OFFSET + STORE_LIMIT // out
    );
  }

  /** Datagrams waiting for fragments. */
  get pending(): number {
    return this.inUse;
  }

  /**
   * The IPv4 fragment described in `fragment`. Returns true when it
   * completed a datagram (now in `out`).
   */
  addV4(): boolean {
    const f = this.fragment;
    const { src, dst, id, proto, tenant, headerLen: hlen, buf, off, capLen, len, fragOffset, more, now } = f;
    this.begin(now);
    let s = this.keys.find(false, src, dst, buf, 0, id, proto, tenant);
    if (s < 0) s = this.create(false, src, dst, buf, 0, id, proto, tenant, now, QUEUED);
    if (this.maxDist > 0) {
      const start = this.rid[s]!;
      const end = this.peers.next(this.peer[s]!);
      this.rid[s] = end;
      if (this.runs.hasFragments(s) && (end - start) >>> 0 > this.maxDist) {
        this.stats[FragmentStat.RESTARTED]!++;
        this.restart(s, now);
      }
    }
    let end = fragOffset + len;
    if (!more) {
      if (!this.lastFragment(s, end)) return false;
    } else {
      if ((end & 7) !== 0) {
        // ip_frag_queue: "end &= ~7" - the tail is dropped and the fragment queued.
        end &= ~7;
        this.stats[FragmentStat.TRIMMED]!++;
      }
      if (!this.middleFragment(s, end)) return false;
    }
    if (end === fragOffset) return this.discard(s, FragmentStat.MALFORMED);
    return this.insert(s, buf, off, capLen, fragOffset, end, hlen, proto);
  }

  /**
   * The IPv6 fragment described in `fragment` (its `proto` is the fragment
   * header's next header, `headerLen` the unfragmentable part's length).
   * A first fragment whose `headerComplete` is false does not hold the
   * header chain up to the upper-layer header (RFC 7112).
   */
  addV6(): boolean {
    const f = this.fragment;
    const { src, dst, addr, addrOff, id, tenant, headerLen: unfragLen, proto: next, buf, off, capLen, len, fragOffset, more, headerComplete, now } = f;
    this.begin(now);
    let s = this.keys.find(true, src, dst, addr, addrOff, id, next, tenant);
    if (fragOffset === 0 && !headerComplete) return this.shadow(s, src, dst, addr, addrOff, id, tenant, unfragLen, next, buf, off, capLen, len, more, now);
    if (s < 0) s = this.create(true, src, dst, addr, addrOff, id, next, tenant, now, QUEUED);
    else if (this.state[s] === SHADOW_ONLY) this.openQueue(s, now);
    const end = fragOffset + len;
    if (end > MAX_DATAGRAM_PAYLOAD) {
      // ip6_frag_queue answers a Parameter Problem; the queue stays as it was.
      this.stats[FragmentStat.OVERSIZE]!++;
      return false;
    }
    if (!more) {
      if (!this.lastFragment(s, end)) return false;
    } else {
      if ((end & 7) !== 0) {
        // RFC 8200 section 4.5: Parameter Problem, the fragment dropped, the queue left alone.
        this.stats[FragmentStat.MALFORMED]!++;
        return false;
      }
      if (!this.middleFragment(s, end)) return false;
    }
    if (end === fragOffset) return this.discard(s, FragmentStat.MALFORMED);
    return this.insert(s, buf, off, capLen, fragOffset, end, unfragLen, next);
  }

  private begin(now: number): void {
    this.stats[FragmentStat.FRAGMENTS]!++;
    if (!this.allocated) this.allocate();
    const head = this.ageHead;
    if (head !== NONE && this.started[head]! + this.timeout <= now) this.expire(now);
  }

  /** A last fragment: it fixes the end, and nothing may lie beyond it. False when the datagram was discarded. */
  private lastFragment(s: number, end: number): boolean {
    if (end < this.qlen[s]! || ((this.flags[s]! & LAST_IN) !== 0 && end !== this.qlen[s])) {
      this.discard(s, FragmentStat.MALFORMED);
      return false;
    }
    this.flags[s]! |= LAST_IN;
    this.qlen[s] = end;
    return true;
  }

  /** A fragment with More Fragments set, ending at `end`. False when the datagram was discarded. */
  private middleFragment(s: number, end: number): boolean {
    if (end > this.qlen[s]!) {
      if ((this.flags[s]! & LAST_IN) !== 0) {
        this.discard(s, FragmentStat.MALFORMED);
        return false;
      }
      this.qlen[s] = end;
    }
    return true;
  }

  /** Queues the fragment [from, to); completes the datagram when every byte is in. */
  private insert(s: number, buf: Buffer, off: number, capLen: number, from: number, to: number, headLen: number, next: number): boolean {
    let r = this.runs.insert(s, from, to);
    while (r === RunInsert.NO_ROOM) {
      if (!this.evictOther(s)) return this.discard(s, FragmentStat.EVICTIONS);
      r = this.runs.insert(s, from, to);
    }
    if (r === RunInsert.DUPLICATE) {
      this.stats[FragmentStat.DUPLICATES]!++;
      return false;
    }
    if (r === RunInsert.OVERLAP) return this.discard(s, FragmentStat.OVERLAPS);
    this.meat[s]! += to - from;
    if (from === 0) {
      this.flags[s]! |= FIRST_IN;
      this.headLen[s] = headLen;
      this.nextHeader[s] = next;
    }
    if (from < this.shadowEnd[s]!) this.dropShadow(s);
    const n = Math.min(capLen, to - from);
    if (n < to - from && from + n < this.cutAt[s]!) this.cutAt[s] = from + n;
    this.writeBytes(s, from, buf, off, n);
    if ((this.flags[s]! & (FIRST_IN | LAST_IN)) === (FIRST_IN | LAST_IN) && this.meat[s] === this.qlen[s]) return this.complete(s);
    return this.completeShadow(s);
  }

  /**
   * An IPv6 first fragment without its upper-layer header: Linux refuses it
   * before looking for a queue. Kept aside when it conflicts with nothing
   * Linux holds, for the datagram another stack would have rebuilt.
   */
  private shadow(s: number, src: number, dst: number, addr: Buffer, addrOff: number, id: number, tenant: number, unfragLen: number, next: number, buf: Buffer, off: number, capLen: number, len: number, more: boolean, now: number): boolean {
    this.stats[FragmentStat.HEADER_INCOMPLETE]!++;
    if (!more || len === 0 || (len & 7) !== 0) return false;
    if (s < 0) s = this.create(true, src, dst, addr, addrOff, id, next, tenant, now, SHADOW_ONLY);
    if (this.shadowEnd[s]! > 0) return false;
    const first = this.runs.firstStart(s);
    if (first >= 0 && first < len) return false;
    const n = Math.min(capLen, len);
    this.writeBytes(s, 0, buf, off, n);
    this.shadowEnd[s] = len;
    this.shadowCut[s] = n < len ? n : NO_CUT;
    this.shadowNext[s] = next;
    this.shadowHead[s] = unfragLen;
    return this.completeShadow(s);
  }

  /** Every byte in, counting the shadow as the first fragment: delivered, the queue Linux holds kept. */
  private completeShadow(s: number): boolean {
    const sEnd = this.shadowEnd[s]!;
    if (sEnd === 0 || (this.flags[s]! & LAST_IN) === 0 || this.meat[s] !== this.qlen[s]! - sEnd) return false;
    const len = this.qlen[s]!;
    const captured = Math.min(len, this.cutAt[s]!, this.shadowCut[s]!, STORE_LIMIT);
    const over = this.shadowHead[s]! + len > MAX_DATAGRAM_PAYLOAD;
    this.dropShadow(s);
    if (over) {
      this.stats[FragmentStat.OVERSIZE]!++;
      return false;
    }
    this.deliver(s, len, captured, this.shadowNext[s]!);
    return true;
  }

  private dropShadow(s: number): void {
    this.shadowEnd[s] = 0;
    this.shadowCut[s] = NO_CUT;
  }

  /** Every byte of the datagram is in (Linux: FIRST_IN, LAST_IN and meat == len). */
  private complete(s: number): boolean {
    const len = this.qlen[s]!;
    if (this.headLen[s]! + len > MAX_DATAGRAM_PAYLOAD) return this.discard(s, FragmentStat.OVERSIZE);
    this.deliver(s, len, Math.min(len, this.cutAt[s]!, STORE_LIMIT), this.keys.v6[s] === 1 ? this.nextHeader[s]! : this.keys.proto[s]!);
    this.release(s);
    return true;
  }

  private deliver(s: number, len: number, captured: number, proto: number): void {
    if (this.keys.v6[s] === 1) this.keys.addresses.copy(this.out, 0, s * 32, s * 32 + 32);
    this.store.read(s, this.out, DATA_OFFSET, captured);
    this.length = len;
    this.captured = captured;
    this.datagramProto = proto;
    this.stats[FragmentStat.REASSEMBLED]!++;
    if (captured < len) this.stats[FragmentStat.CUT]!++;
  }

  private writeBytes(s: number, at: number, buf: Buffer, off: number, n: number): void {
    if (n <= 0) return;
    const need = this.store.pagesNeeded(s, at, n);
    // A datagram maps at most PAGES_PER_DATAGRAM pages and the arena has at least that many.
    while (this.store.free < need) if (!this.evictOther(s)) return;
    this.store.write(s, at, buf, off, n);
  }

  private discard(s: number, stat: number): false {
    this.stats[stat]!++;
    this.release(s);
    return false;
  }

  private create(v6: boolean, src: number, dst: number, addr: Buffer, addrOff: number, id: number, proto: number, tenant: number, now: number, state: number): number {
    if (this.freeCount === 0) {
      this.stats[FragmentStat.EVICTIONS]!++;
      this.release(this.ageHead);
    }
    const s = this.freeSlots[--this.freeCount]!;
    this.inUse++;
    this.keys.insert(s, v6, src, dst, addr, addrOff, id, proto, tenant);
    this.state[s] = state;
    this.qlen[s] = 0;
    this.flags[s] = 0;
    this.meat[s] = 0;
    this.headLen[s] = 0;
    this.nextHeader[s] = -1;
    this.cutAt[s] = NO_CUT;
    this.shadowEnd[s] = 0;
    this.shadowCut[s] = NO_CUT;
    this.rid[s] = 0;
    this.peer[s] = v6 || this.maxDist === 0 ? NONE : this.peers.acquire(src, dst, tenant);
    this.started[s] = now;
    this.ageAppend(s);
    return s;
  }

  /** The first fragment Linux queues for a datagram that so far had only a shadow: Linux's queue, and its timer, start now. */
  private openQueue(s: number, now: number): void {
    this.state[s] = QUEUED;
    this.started[s] = now;
    this.ageUnlink(s);
    this.ageAppend(s);
  }

  /** ip_frag_reinit: the queue emptied, its timer started again. */
  private restart(s: number, now: number): void {
    this.runs.clear(s);
    this.store.release(s);
    this.qlen[s] = 0;
    this.flags[s] = 0;
    this.meat[s] = 0;
    this.cutAt[s] = NO_CUT;
    this.started[s] = now;
    this.ageUnlink(s);
    this.ageAppend(s);
  }

  private release(s: number): void {
    this.keys.remove(s);
    this.runs.clear(s);
    this.store.release(s);
    if (this.peer[s] !== NONE) this.peers.release(this.peer[s]!);
    this.peer[s] = NONE;
    this.ageUnlink(s);
    this.state[s] = FREE;
    this.freeSlots[this.freeCount++] = s;
    this.inUse--;
  }

  /** Evicts the datagram queued longest ago other than `s`; false when there is none. */
  private evictOther(s: number): boolean {
    let v = this.ageHead;
    if (v === s) v = this.ageNext[s]!;
    if (v === NONE) return false;
    this.stats[FragmentStat.EVICTIONS]!++;
    this.release(v);
    return true;
  }

  /** Frees every datagram whose time is up (counted as timeouts). */
  expire(now: number): void {
    while (this.ageHead !== NONE && this.started[this.ageHead]! + this.timeout <= now) {
      this.stats[FragmentStat.TIMEOUTS]!++;
      this.release(this.ageHead);
    }
  }

  private ageAppend(s: number): void {
    this.agePrev[s] = this.ageTail;
    this.ageNext[s] = NONE;
    if (this.ageTail === NONE) this.ageHead = s;
    else this.ageNext[this.ageTail] = s;
    this.ageTail = s;
  }

  private ageUnlink(s: number): void {
    const p = this.agePrev[s]!;
    const n = this.ageNext[s]!;
    if (p === NONE) this.ageHead = n;
    else this.ageNext[p] = n;
    if (n === NONE) this.ageTail = p;
    else this.agePrev[n] = p;
  }

  private allocate(): void {
    const n = this.capacity;
    this.keys = new FragmentKeys(n, this.seed);
    this.runs = new FragmentRuns(n, this.runRecords);
    this.store = new FragmentStore(n, this.pages);
    this.peers = new FragmentPeers(n, this.seed);
    this.state = new Uint8Array(n);
    this.started = new Float64Array(n);
    this.qlen = new Int32Array(n);
    this.flags = new Uint8Array(n);
    this.meat = new Int32Array(n);
    this.headLen = new Int32Array(n);
    this.nextHeader = new Int16Array(n);
    this.cutAt = new Int32Array(n);
    this.shadowEnd = new Int32Array(n);
    this.shadowCut = new Int32Array(n);
    this.shadowNext = new Int16Array(n);
    this.shadowHead = new Int32Array(n);
    this.rid = new Int32Array(n);
    this.peer = new Int32Array(n).fill(NONE);
    this.agePrev = new Int32Array(n);
    this.ageNext = new Int32Array(n);
    this.freeSlots = new Int32Array(n);
    for (let i = 0; i < n; i++) this.freeSlots[i] = n - 1 - i;
    this.freeCount = n;
    this.out = Buffer.alloc(DATA_OFFSET + STORE_LIMIT);
    this.allocated = true;
  }
}
