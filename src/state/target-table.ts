import { mix32 } from './distinct.js';
import { setCount } from './keyed-hash.js';
import type { MemoryBudget } from './memory-budget.js';
import { PortSet } from './distinct.js';

/**
 * Per-target correlation for scans spread over many sources: for each
 * (target host, technique), which sources made first contacts with which
 * ports in the current window. Fed only by sources with full records that
 * have made at least two distinct contacts (see the engine), so the
 * one-packet sources of a spoofed flood never reach it.
 *
 * Bounded: `capacity` targets (set-associative, WAYS per set, least
 * recently active evicted) and MEMBERS sources per target. A member with
 * one contact, or idle for `memberIdle` seconds, can be displaced by a new
 * member; members with several recent contacts cannot, so sources flooding
 * a target cannot push the real distributed scanners out. The union of
 * ports is a PortSet (an exact 8 KiB bitmap past 32 ports, from the shared
 * sketch budget). Evictions and refusals are counted.
 */

export interface TargetTableConfig {
  capacity: number;
  /** Seconds of quiet after which a target's correlation starts again (the engine's window). */
  window: number;
  /** Seconds after which a member may be displaced whatever its contacts. */
  memberIdle: number;
}

export const WAYS = 4;
export const MEMBERS = 128;
const C_MEMBERS = 0;
const C_CONTRIBUTORS = 1; // members with two or more contacts
const C_CONTACTS = 2;
const C_FLAGS = 3; // 1: reported
const COUNTERS = 4;
const F_REPORTED = 1;

export class TargetTable {
  readonly capacity: number;
  private readonly setMask: number;
  private readonly keyTimes: Float64Array; // key, firstSeen, lastSeen; NaN key = empty
  private readonly memberKeys: Float64Array;
  private readonly memberLast: Float64Array;
  private readonly memberContacts: Uint16Array;
  private readonly counters: Int32Array;
  private readonly unionPorts: (PortSet | null)[];
  size = 0;
  /** Targets displaced (least recently active) to make room. */
  evicted = 0;
  /** Members displaced from a full target entry. */
  membersEvicted = 0;
  /** Contacts from a source that found its target's member list full of protected members. */
  membersRefused = 0;
  /** Set by `contact`: whether the port was new for the target, and the member just reached two contacts. */
  newPort = false;
  newContributor = false;

  constructor(
    readonly config: TargetTableConfig,
    private readonly budget: MemoryBudget,
    /** Keys the set hash (the engine's per-process key). */
    private readonly seed = 0,
  ) {
    const sets = setCount(config.capacity, WAYS);
    this.capacity = sets * WAYS;
    this.setMask = sets - 1;
    const n = this.capacity;
    this.keyTimes = new Float64Array(n * 3).fill(NaN);
    this.memberKeys = new Float64Array(n * MEMBERS);
    this.memberLast = new Float64Array(n * MEMBERS);
    this.memberContacts = new Uint16Array(n * MEMBERS);
    this.counters = new Int32Array(n * COUNTERS);
    this.unionPorts = new Array<PortSet | null>(n).fill(null);
  }

  /** Bytes held by the fixed arrays (the port bitmaps come from the shared budget). */
  get bytes(): number {
    return this.capacity * (3 * 8 + MEMBERS * 18 + COUNTERS * 4 + 64);
  }

  /**
   * The slot whose counts `contact(key, ..., now)` would start afresh (the
   * target's own after its window, or the least recently active target of
   * its set that it would displace), or -1 when it would keep every
   * target's counts. Whoever reads a slot (a detection's figures) freezes
   * it first, so the table calls nobody back from inside `contact`.
   */
  restartingSlot(key: number, now: number): number {
    const slot = this.find(key);
    if (slot >= 0) return now - this.keyTimes[slot * 3 + 2]! > this.config.window ? slot : -1;
    const base = this.setOf(key) * WAYS;
    for (let w = 0; w < WAYS; w++) if (this.keyTimes[(base + w) * 3] !== this.keyTimes[(base + w) * 3]) return -1;
    return this.leastRecent(base);
  }

  /** A first contact from `source` to `port` of the target `key`. Returns the slot; sets newPort and newContributor. */
  contact(key: number, source: number, port: number, now: number): number {
    this.newPort = false;
    this.newContributor = false;
    let slot = this.find(key);
    if (slot < 0) slot = this.admit(key, now);
    else if (now - this.keyTimes[slot * 3 + 2]! > this.config.window) this.restart(slot, key, now);
    this.keyTimes[slot * 3 + 2] = now;
    const c = slot * COUNTERS;
    this.counters[c + C_CONTACTS]!++;
    this.newPort = this.unionPorts[slot]!.add(port);
    const m = this.member(slot, source, now);
    if (m >= 0) {
      const contacts = this.memberContacts[m]!;
      if (contacts < 65535) this.memberContacts[m] = contacts + 1;
      this.memberLast[m] = now;
      if (contacts === 1) {
        this.counters[c + C_CONTRIBUTORS]!++;
        this.newContributor = true;
      }
    }
    return slot;
  }

  find(key: number): number {
    const base = this.setOf(key) * WAYS;
    for (let w = 0; w < WAYS; w++) if (this.keyTimes[(base + w) * 3] === key) return base + w;
    return -1;
  }

  holds(slot: number, key: number): boolean {
    return this.keyTimes[slot * 3] === key;
  }

  ports(slot: number): number {
    return this.unionPorts[slot]!.count;
  }
  portsExact(slot: number): boolean {
    return !this.unionPorts[slot]!.saturated;
  }
  contributors(slot: number): number {
    return this.counters[slot * COUNTERS + C_CONTRIBUTORS]!;
  }
  contacts(slot: number): number {
    return this.counters[slot * COUNTERS + C_CONTACTS]!;
  }
  members(slot: number): number {
    return this.counters[slot * COUNTERS + C_MEMBERS]!;
  }
  memberKey(slot: number, i: number): number {
    return this.memberKeys[slot * MEMBERS + i]!;
  }
  memberContactCount(slot: number, i: number): number {
    return this.memberContacts[slot * MEMBERS + i]!;
  }
  firstSeen(slot: number): number {
    return this.keyTimes[slot * 3 + 1]!;
  }
  lastSeen(slot: number): number {
    return this.keyTimes[slot * 3 + 2]!;
  }
  reported(slot: number): boolean {
    return (this.counters[slot * COUNTERS + C_FLAGS]! & F_REPORTED) !== 0;
  }
  markReported(slot: number): void {
    this.counters[slot * COUNTERS + C_FLAGS]! |= F_REPORTED;
  }

  /** Whether `source` is a member of the target entry. */
  hasMember(slot: number, source: number): boolean {
    const base = slot * MEMBERS;
    const n = this.counters[slot * COUNTERS + C_MEMBERS]!;
    for (let i = 0; i < n; i++) if (this.memberKeys[base + i] === source) return true;
    return false;
  }

  /** The member's index, adding it (or displacing an unprotected member) when absent; -1 when refused. */
  private member(slot: number, source: number, now: number): number {
    const base = slot * MEMBERS;
    const c = slot * COUNTERS;
    const n = this.counters[c + C_MEMBERS]!;
    const keys = this.memberKeys;
    for (let i = 0; i < n; i++) if (keys[base + i] === source) return base + i;
    let m: number;
    if (n < MEMBERS) {
      m = base + n;
      this.counters[c + C_MEMBERS] = n + 1;
    } else {
      m = -1;
      let oldest = Infinity;
      for (let i = base; i < base + MEMBERS; i++) {
        const last = this.memberLast[i]!;
        if ((this.memberContacts[i]! <= 1 || now - last > this.config.memberIdle) && last < oldest) {
          m = i;
          oldest = last;
        }
      }
      if (m < 0) {
        this.membersRefused++;
        return -1;
      }
      this.membersEvicted++;
      if (this.memberContacts[m]! >= 2) this.counters[c + C_CONTRIBUTORS]!--;
    }
    keys[m] = source;
    this.memberContacts[m] = 0;
    this.memberLast[m] = now;
    return m;
  }

  private setOf(key: number): number {
    const lo = key % 4294967296 | 0;
    const hi = Math.floor(key / 4294967296) | 0;
    return mix32(lo ^ Math.imul(hi, 0x27d4eb2f) ^ this.seed) & this.setMask;
  }

  private admit(key: number, now: number): number {
    const base = this.setOf(key) * WAYS;
    for (let w = 0; w < WAYS; w++) {
      const s = base + w;
      if (this.keyTimes[s * 3] !== this.keyTimes[s * 3]) {
        this.size++;
        this.restart(s, key, now);
        return s;
      }
    }
    const victim = this.leastRecent(base);
    this.evicted++;
    this.restart(victim, key, now);
    return victim;
  }

  /** The least recently active slot of the (full) set at `base`. */
  private leastRecent(base: number): number {
    let victim = base;
    let oldest = Infinity;
    for (let w = 0; w < WAYS; w++) {
      const last = this.keyTimes[(base + w) * 3 + 2]!;
      if (last < oldest) {
        victim = base + w;
        oldest = last;
      }
    }
    return victim;
  }

  private restart(slot: number, key: number, now: number): void {
    this.keyTimes[slot * 3] = key;
    this.keyTimes[slot * 3 + 1] = now;
    this.keyTimes[slot * 3 + 2] = now;
    this.counters.fill(0, slot * COUNTERS, (slot + 1) * COUNTERS);
    const ports = this.unionPorts[slot];
    if (ports === null || ports === undefined) this.unionPorts[slot] = new PortSet(this.budget);
    else ports.reset();
  }
}
