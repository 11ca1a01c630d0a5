/**
 * Bounded IPv4 and IPv6 fragment reassembly (RFC 791 section 3.2, RFC 8200
 * section 4.5), so that a probe split so that its TCP flags or even its
 * ports sit in a later fragment (nmap -f, --mtu 8; Ptacek and Newsham 1998)
 * reaches the engine as the one segment the target rebuilds.
 *
 * Memory is fixed: `capacity` slots of one maximum datagram each (64 KiB
 * plus 32 bytes for the IPv6 addresses), allocated on the first fragment,
 * and a list of at most `maxFragments` fragment extents per slot. When every
 * slot is busy the oldest datagram is evicted (counted). Datagrams expire
 * ipfrag_time (30 s, the Linux default; ip-sysctl.rst) after their first
 * fragment, on packet time.
 *
 * Overlaps: RFC 5722 makes an IPv6 datagram with overlapping fragments
 * invalid (the whole datagram, including fragments still to come, is
 * discarded); Linux applies the same rule to IPv4 since 4.19
 * (net/ipv4/ip_fragment.c, "discard IPv4 datagrams with overlapping
 * segments"), and so do we: a discarded datagram's slot stays, marked dead,
 * until it times out, swallowing its remaining fragments. Exact duplicates
 * are dropped without harm to the datagram, as RFC 8200 section 4.5 allows.
 *
 * Keys: source, destination, identification and tenant; for IPv4 also the
 * protocol (RFC 791). For IPv6 the next header of the offset-zero fragment
 * is the datagram's (RFC 8200 section 4.5).
 */

export const FragmentStat = {
  FRAGMENTS: 0,
  REASSEMBLED: 1,
  TIMEOUTS: 2,
  EVICTIONS: 3,
  OVERLAPS: 4,
  DUPLICATES: 5,
  OVERSIZE: 6,
  MALFORMED: 7,
} as const;

/** Names of Reassembler.stats as reported (JSON `fragments` object, metric label). */
export const FRAGMENT_STAT_NAMES: readonly string[] = ['fragments', 'reassembled', 'timeouts', 'evictions', 'overlaps', 'duplicates', 'oversize', 'malformed'];

/** Room at the start of each slot for the IPv6 source and destination addresses. */
const ADDRESS_BYTES = 32;
/** Largest reassembled payload: the 16-bit IPv6 payload length (RFC 8200; jumbograms are never fragmented). */
export const MAX_DATAGRAM_PAYLOAD = 65535;
export const SLOT_BYTES = ADDRESS_BYTES + 65536;

const FREE = 0;
const ACTIVE = 1;
/** Discarded (overlap, malformed): kept to swallow the rest of its fragments until it times out. */
const DEAD = 2;

export interface ReassemblyOptions {
  /** Datagrams reassembled at once (default 64: 4 MiB of buffers). */
  slots?: number;
  /** Seconds from a datagram's first fragment to its expiry (default 30, Linux ipfrag_time). */
  timeout?: number;
  /** Fragments one datagram may have (default 256). */
  maxFragments?: number;
}

export class Reassembler {
  readonly stats = new Float64Array(FRAGMENT_STAT_NAMES.length);
  readonly capacity: number;
  readonly timeout: number;
  readonly maxFragments: number;
  /** The buffers, allocated on the first fragment; completed datagrams are read from here. */
  pool: Buffer = Buffer.alloc(0);

  private readonly state: Uint8Array;
  private readonly v6: Uint8Array;
  private readonly src: Int32Array;
  private readonly dst: Int32Array;
  private readonly ident: Float64Array;
  private readonly proto: Int16Array;
  private readonly tenant: Float64Array;
  private readonly started: Float64Array;
  private readonly total: Int32Array;
  private readonly received: Int32Array;
  private readonly count: Int32Array;
  // Allocated with the pool, on the first fragment: most decoders never see one.
  private fragStart = new Int32Array(0);
  private fragEnd = new Int32Array(0);
  private readonly addresses: Buffer;
  private inUse = 0;
  private nextExpiry = Infinity;
  /** Slots whose completed datagram is being decoded: not reused before the next frame. */
  private readonly pinned = new Int32Array(8);
  /** Datagrams handed over for the current frame (read by the decoder before it calls releasePinned). */
  pinnedCount = 0;

  /** Length and protocol (IPv6: next header) of the datagram add() just completed. */
  length = 0;
  datagramProto = -1;

  constructor(o: ReassemblyOptions = {}) {
    const n = Math.max(1, Math.floor(o.slots ?? 64));
    this.capacity = n;
    this.timeout = o.timeout ?? 30;
    this.maxFragments = Math.max(2, Math.floor(o.maxFragments ?? 256));
    this.state = new Uint8Array(n);
    this.v6 = new Uint8Array(n);
    this.src = new Int32Array(n);
    this.dst = new Int32Array(n);
    this.ident = new Float64Array(n);
    this.proto = new Int16Array(n);
    this.tenant = new Float64Array(n);
    this.started = new Float64Array(n);
    this.total = new Int32Array(n);
    this.received = new Int32Array(n);
    this.count = new Int32Array(n);
    this.addresses = Buffer.alloc(n * ADDRESS_BYTES);
  }

  /** Bytes this reassembler holds at most (buffers and bookkeeping). */
  get memoryBytes(): number {
    return this.capacity * (SLOT_BYTES + this.maxFragments * 8 + ADDRESS_BYTES + 64);
  }

  /** Datagrams waiting for fragments. */
  get pending(): number {
    let n = 0;
    for (let i = 0; i < this.capacity; i++) if (this.state[i] === ACTIVE) n++;
    return n;
  }

  /** Where the payload of a completed datagram starts in `pool`. */
  dataOffset(slot: number): number {
    return slot * SLOT_BYTES + ADDRESS_BYTES;
  }

  /** Where its IPv6 source (then destination) address sits in `pool`. */
  addressOffset(slot: number): number {
    return slot * SLOT_BYTES;
  }

  /** Called before each frame: the datagram delivered for the previous frame may be overwritten now. */
  releasePinned(): void {
    this.pinnedCount = 0;
  }

  /**
   * Adds one fragment: `len` bytes of data at buf[off] that belong at byte
   * `fragOffset` of its datagram, with `more` the More Fragments flag. `addr`
   * and `addrOff` locate the 32 bytes of IPv6 source and destination (unused
   * for IPv4, whose addresses are `src` and `dst`). `limit` is the largest
   * payload the datagram may have. Returns the slot of the datagram this
   * fragment completed, or -1.
   */
  add(
    v6: boolean,
    src: number,
    dst: number,
    addr: Buffer,
    addrOff: number,
    id: number,
    proto: number,
    tenant: number,
    buf: Buffer,
    off: number,
    len: number,
    fragOffset: number,
    more: boolean,
    limit: number,
    now: number,
  ): number {
    const stats = this.stats;
    stats[FragmentStat.FRAGMENTS]!++;
    if (this.pool.length === 0) this.allocateStorage();
    if (now >= this.nextExpiry) this.expire(now);
    const end = fragOffset + len;
    let s = this.find(v6, src, dst, addr, addrOff, id, proto, tenant);
    if (end > limit || end > MAX_DATAGRAM_PAYLOAD) {
      // The ping of death (CVE-1999-0128): a datagram that would exceed the maximum.
      stats[FragmentStat.OVERSIZE]!++;
      if (s >= 0) this.kill(s);
      return -1;
    }
    // Every fragment but the last carries a multiple of 8 bytes (RFC 791, RFC 8200 section 4.5).
    if (more && (len === 0 || (len & 7) !== 0)) {
      stats[FragmentStat.MALFORMED]!++;
      return -1;
    }
    if (s >= 0 && this.state[s] === DEAD) return -1;
    if (s < 0) {
      s = this.allocate();
      if (s < 0) return -1;
      this.state[s] = ACTIVE;
      this.v6[s] = v6 ? 1 : 0;
      this.src[s] = src;
      this.dst[s] = dst;
      this.ident[s] = id;
      this.proto[s] = v6 ? -1 : proto;
      this.tenant[s] = tenant;
      this.started[s] = now;
      this.total[s] = -1;
      this.received[s] = 0;
      this.count[s] = 0;
      if (v6) addr.copy(this.addresses, s * ADDRESS_BYTES, addrOff, addrOff + ADDRESS_BYTES);
      this.inUse++;
      if (now + this.timeout < this.nextExpiry) this.nextExpiry = now + this.timeout;
    }
    const base = s * this.maxFragments;
    const n = this.count[s]!;
    for (let k = base; k < base + n; k++) {
      const fs = this.fragStart[k]!;
      const fe = this.fragEnd[k]!;
      if (fragOffset < fe && end > fs) {
        if (fragOffset === fs && end === fe) {
          stats[FragmentStat.DUPLICATES]!++;
          return -1;
        }
        stats[FragmentStat.OVERLAPS]!++;
        this.kill(s);
        return -1;
      }
    }
    const total = this.total[s]!;
    if (!more) {
      // The last fragment fixes the length: nothing may lie beyond it, and only one may say so.
      if (total >= 0 && total !== end) return this.malformed(s);
      for (let k = base; k < base + n; k++) if (this.fragEnd[k]! > end) return this.malformed(s);
      this.total[s] = end;
    } else if (total >= 0 && end > total) {
      return this.malformed(s);
    }
    if (n === this.maxFragments) return this.malformed(s);
    this.fragStart[base + n] = fragOffset;
    this.fragEnd[base + n] = end;
    this.count[s] = n + 1;
    if (v6 && fragOffset === 0) this.proto[s] = proto;
    buf.copy(this.pool, this.dataOffset(s) + fragOffset, off, off + len);
    const received = this.received[s]! + len;
    this.received[s] = received;
    if (received !== this.total[s]) return -1;
    // No overlaps and every byte up to the total received: the datagram is whole.
    stats[FragmentStat.REASSEMBLED]!++;
    if (v6) this.addresses.copy(this.pool, this.addressOffset(s), s * ADDRESS_BYTES, (s + 1) * ADDRESS_BYTES);
    this.length = received;
    this.datagramProto = this.proto[s]!;
    this.state[s] = FREE;
    this.inUse--;
    if (this.pinnedCount < this.pinned.length) this.pinned[this.pinnedCount++] = s;
    return s;
  }

  private allocateStorage(): void {
    this.pool = Buffer.alloc(this.capacity * SLOT_BYTES);
    this.fragStart = new Int32Array(this.capacity * this.maxFragments);
    this.fragEnd = new Int32Array(this.capacity * this.maxFragments);
  }

  private malformed(s: number): -1 {
    this.stats[FragmentStat.MALFORMED]!++;
    this.kill(s);
    return -1;
  }

  private kill(s: number): void {
    this.state[s] = DEAD;
  }

  private find(v6: boolean, src: number, dst: number, addr: Buffer, addrOff: number, id: number, proto: number, tenant: number): number {
    if (this.inUse === 0) return -1;
    const want6 = v6 ? 1 : 0;
    for (let s = 0; s < this.capacity; s++) {
      if (this.state[s] === FREE || this.ident[s] !== id || this.src[s] !== src || this.dst[s] !== dst) continue;
      if (this.v6[s] !== want6 || this.tenant[s] !== tenant) continue;
      if (!v6) {
        if (this.proto[s] === proto) return s;
        continue;
      }
      // src and dst are hashes for IPv6: compare the addresses themselves.
      const a = s * ADDRESS_BYTES;
      let same = true;
      for (let i = 0; i < ADDRESS_BYTES; i++) {
        if (this.addresses[a + i] !== addr[addrOff + i]) {
          same = false;
          break;
        }
      }
      if (same) return s;
    }
    return -1;
  }

  private isPinned(s: number): boolean {
    for (let i = 0; i < this.pinnedCount; i++) if (this.pinned[i] === s) return true;
    return false;
  }

  /** A free slot, else the oldest datagram's (evicted). */
  private allocate(): number {
    let oldest = -1;
    for (let s = 0; s < this.capacity; s++) {
      if (this.isPinned(s)) continue;
      if (this.state[s] === FREE) return s;
      if (oldest < 0 || this.started[s]! < this.started[oldest]!) oldest = s;
    }
    if (oldest < 0) return -1;
    if (this.state[oldest] === ACTIVE) this.stats[FragmentStat.EVICTIONS]!++;
    this.state[oldest] = FREE;
    this.inUse--;
    return oldest;
  }

  /** Frees every datagram whose time is up; live ones count as timeouts. */
  expire(now: number): void {
    let next = Infinity;
    for (let s = 0; s < this.capacity; s++) {
      const st = this.state[s];
      if (st === FREE) continue;
      const due = this.started[s]! + this.timeout;
      if (due <= now) {
        if (st === ACTIVE) this.stats[FragmentStat.TIMEOUTS]!++;
        this.state[s] = FREE;
        this.inUse--;
      } else if (due < next) {
        next = due;
      }
    }
    this.nextExpiry = next;
  }
}
