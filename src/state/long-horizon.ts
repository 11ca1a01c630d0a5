import { mix32 } from './distinct.js';
import { setCount } from './keyed-hash.js';

/**
 * The long-horizon tier: compact per-(source, technique) summaries of
 * first contacts and their outcomes, kept for a day beside the 900 s
 * window, so that a scan of one probe every 20 to 30 minutes (slower than
 * any window a per-source record can afford) still adds up.
 *
 * Failures (refused or unanswered probes) are what count, as in the
 * Threshold Random Walk (Jung et al., IEEE S&P 2004): a benign client's
 * contacts succeed. Successes are summarised too (the report's ports and
 * open ports), but give an entry no protection.
 *
 * Memory is fixed at construction: `capacity` entries of ENTRY_BYTES
 * (about 300 bytes) in typed arrays, set-associative (WAYS per set), no
 * object per entry and no allocation per update.
 *
 * Admission and eviction: an entry's value is its count of distinct failed
 * (host, port) pairs that FAILED. A newcomer takes an empty way, an
 * entry past the horizon, or an entry of value 0 or 1 (the least recently
 * active); it may also take an entry of value 2 or more that has been idle
 * for `idleProtect` seconds. Otherwise it is refused. So a flood of
 * spoofed one-probe sources can churn only the value-1 entries: a source
 * that has shown several distinct failed probes and keeps probing stays
 * until its counts reach the horizon. Every replacement is counted
 * (`evicted`, `expired`) and so is every refusal (`refused`).
 */

export interface LongHorizonConfig {
  /** Entries (rounded up to a multiple of WAYS, sets a power of two). */
  capacity: number;
  /** Seconds an entry's counts cover: they start again when the first failure is older. */
  horizon: number;
  /** Seconds of idleness after which an entry of several failures may be displaced. */
  idleProtect: number;
  /** Distinct failed ports of a few hosts that make a slow vertical scan. */
  ports: number;
  /** ...with at least this many distinct failed (host, port) pairs per host on average. */
  pairsPerHost: number;
}

export function defaultLongHorizonConfig(): LongHorizonConfig {
  return { capacity: 8192, horizon: 86400, idleProtect: 3 * 3600, ports: 20, pairsPerHost: 4 };
}

export const WAYS = 4;
const PORTS_MAX = 64; // exact distinct ports per entry
const HOSTS_MAX = 16; // exact distinct hosts per entry, then linear counting
const HOST_SKETCH_WORDS = 8; // 256 bits
const PAIR_WORDS = 16; // 512-bit one-hash filter of (host, port) pairs
/** Int32 counters per entry. */
const C_PROBES = 0; // probe packets whose outcome is known
const C_PAIRS = 1; // distinct (host, port) pairs
const C_PORTS = 2; // distinct ports (exact up to PORTS_MAX; a lower bound beyond)
const C_HOSTS = 3; // exact hosts held
const C_SKETCH_BITS = 4; // bits set in the host sketch
const C_REJECTED = 5;
const C_SILENT = 6;
const C_FLAGS = 7; // 1: ports past PORTS_MAX, 2: reported
const C_FAILED = 8; // distinct (host, port) pairs that failed: the entry's value
const C_ANSWERED = 9;
const C_OPEN = 10; // open ports held (at most OPEN_MAX)
const C_TOOLS = 11; // 4 tool ids x 8-bit vote counters (saturating), see vote()
const COUNTERS = 12;
const OPEN_MAX = 8;
const F_PORTS_OVER = 1;
const F_REPORTED = 2;
export const ENTRY_BYTES = 1 + 3 * 8 + (PORTS_MAX + OPEN_MAX) * 2 + HOSTS_MAX * 4 + HOST_SKETCH_WORDS * 4 + PAIR_WORDS * 4 + COUNTERS * 4;

/** What a contact's outcome was. */
export const Outcome = { ANSWERED: 0, REJECTED: 1, SILENT: 2 } as const;

/** What the report needs of one entry. */
export interface LongHorizonSummary {
  firstSeen: number;
  lastSeen: number;
  probes: number;
  pairs: number;
  ports: number;
  hosts: number;
  exact: boolean;
  rejected: number;
  silent: number;
  answered: number;
  failedPairs: number;
  /** Open ports seen (at most 8), sorted. */
  openPorts: number[];
  /** The tool id most probes carried (0: none named), and its votes. */
  tool: number;
  toolVotes: number;
  /** The exact hosts held (at most 16), as stored keys. */
  hostKeys: number[];
}

export class LongHorizonTable {
  readonly capacity: number;
  private readonly setMask: number;
  /** key, firstSeen, lastSeen; key NaN = empty. */
  private readonly keyTimes: Float64Array;
  private readonly ports: Uint16Array;
  private readonly open: Uint16Array;
  private readonly hosts: Int32Array;
  private readonly hostSketch: Uint32Array;
  private readonly pairBits: Uint32Array;
  private readonly counters: Int32Array;
  /** The technique of each entry (entries are per source and technique). */
  private readonly techniques: Uint8Array;
  size = 0;
  /** Entries of several failures displaced after idling, or of one failure displaced by a newcomer. */
  evicted = 0;
  /** Entries replaced because their last failure was older than the horizon. */
  expired = 0;
  /** Newcomers turned away because every way of their set was protected. */
  refused = 0;
  /** Set by `contact`: true when the update made the entry cross the slow-scan test for the first time. */
  crossed = false;

  /** `seed` keys the set hash (the engine's per-process key), so nobody can aim a flood at one source's set. */
  constructor(
    readonly config: LongHorizonConfig = defaultLongHorizonConfig(),
    private readonly seed = 0,
  ) {
    const sets = setCount(config.capacity, WAYS);
    this.capacity = sets * WAYS;
    this.setMask = sets - 1;
    const n = this.capacity;
    this.keyTimes = new Float64Array(n * 3).fill(NaN);
    this.ports = new Uint16Array(n * PORTS_MAX);
    this.open = new Uint16Array(n * OPEN_MAX);
    this.hosts = new Int32Array(n * HOSTS_MAX);
    this.hostSketch = new Uint32Array(n * HOST_SKETCH_WORDS);
    this.pairBits = new Uint32Array(n * PAIR_WORDS);
    this.counters = new Int32Array(n * COUNTERS);
    this.techniques = new Uint8Array(n);
  }

  /** Bytes held, whatever the traffic. */
  get bytes(): number {
    return this.capacity * ENTRY_BYTES;
  }

  /**
   * One probe's outcome (Outcome.*) from source `key` with technique `tech`
   * to (host, port); `tool` is the tool id the
   * source's probes carry (0: none, at most 15). Returns the entry's slot,
   * or -1 when the newcomer was refused. Sets `crossed`.
   */
  contact(key: number, tech: number, host: number, port: number, outcome: number, tool: number, now: number): number {
    this.crossed = false;
    let slot = this.find(key, tech);
    if (slot < 0) {
      slot = this.admit(key, tech, now);
      if (slot < 0) return -1;
    } else if (now - this.keyTimes[slot * 3 + 1]! > this.config.horizon) {
      this.clear(slot, key, tech, now); // the horizon has passed: counts start again
    }
    const kt = this.keyTimes;
    if (now > kt[slot * 3 + 2]!) kt[slot * 3 + 2] = now;
    const c = slot * COUNTERS;
    const ct = this.counters;
    ct[c + C_PROBES]!++;
    if (outcome === Outcome.REJECTED) ct[c + C_REJECTED]!++;
    else if (outcome === Outcome.SILENT) ct[c + C_SILENT]!++;
    else {
      ct[c + C_ANSWERED]!++;
      this.addOpen(slot, port);
    }
    if (tool > 0) this.vote(slot, tool);
    // Ports and hosts are counted exactly (up to their lists); the pair filter
    // only tells retries from new pairs for the pairs-per-host test, where a
    // false "seen" can only make the test stricter.
    const newPort = this.addPort(slot, port);
    const newHost = this.addHost(slot, host);
    if (!this.addPair(slot, host, port) && !newPort && !newHost) return slot; // a retry of a pair already counted
    ct[c + C_PAIRS]!++;
    if (outcome !== Outcome.ANSWERED) ct[c + C_FAILED]!++;
    if ((ct[c + C_FLAGS]! & F_REPORTED) === 0 && this.isSlowScan(slot)) {
      ct[c + C_FLAGS]! |= F_REPORTED;
      this.crossed = true;
    }
    return slot;
  }

  /** The entry holding (`key`, `tech`), or -1. */
  find(key: number, tech: number): number {
    const base = (this.setOf(key, tech) * WAYS) | 0;
    for (let w = 0; w < WAYS; w++) if (this.keyTimes[(base + w) * 3] === key && this.techniques[base + w] === tech) return base + w;
    return -1;
  }

  /** Whether the slot still holds (`key`, `tech`) (a caller's cached slot may have been reused). */
  holds(slot: number, key: number, tech: number): boolean {
    return this.keyTimes[slot * 3] === key && this.techniques[slot] === tech;
  }

  hostCount(slot: number): number {
    const c = slot * COUNTERS;
    const exact = this.counters[c + C_HOSTS]!;
    const bits = this.counters[c + C_SKETCH_BITS]!;
    if (bits === 0) return exact;
    const m = HOST_SKETCH_WORDS * 32;
    const zero = (m - bits) / m;
    const est = zero <= 0 ? Math.round(m * Math.log(m)) : Math.floor(-m * Math.log(zero));
    return Math.max(exact, est);
  }

  summary(slot: number): LongHorizonSummary {
    const c = slot * COUNTERS;
    const ct = this.counters;
    const nHosts = ct[c + C_HOSTS]!;
    return {
      firstSeen: this.keyTimes[slot * 3 + 1]!,
      lastSeen: this.keyTimes[slot * 3 + 2]!,
      probes: ct[c + C_PROBES]!,
      pairs: ct[c + C_PAIRS]!,
      ports: ct[c + C_PORTS]!,
      hosts: this.hostCount(slot),
      exact: (ct[c + C_FLAGS]! & F_PORTS_OVER) === 0 && ct[c + C_SKETCH_BITS] === 0,
      rejected: ct[c + C_REJECTED]!,
      silent: ct[c + C_SILENT]!,
      answered: ct[c + C_ANSWERED]!,
      failedPairs: ct[c + C_FAILED]!,
      openPorts: Array.from(this.open.subarray(slot * OPEN_MAX, slot * OPEN_MAX + ct[c + C_OPEN]!)).sort((a, b) => a - b),
      ...this.topTool(slot),
      hostKeys: Array.from(this.hosts.subarray(slot * HOSTS_MAX, slot * HOSTS_MAX + nHosts)),
    };
  }

  /**
   * A slow vertical scan: many distinct ports, concentrated on a few hosts
   * (a peer-to-peer client's contacts spread one port per host), and at
   * least half of the contacts failed (a client's succeed).
   */
  private isSlowScan(slot: number): boolean {
    const c = slot * COUNTERS;
    const ct = this.counters;
    if (ct[c + C_PORTS]! < this.config.ports) return false;
    const pairs = ct[c + C_PAIRS]!;
    return pairs >= this.config.pairsPerHost * this.hostCount(slot) && ct[c + C_FAILED]! * 2 >= pairs;
  }

  private addOpen(slot: number, port: number): void {
    const c = slot * COUNTERS;
    const n = this.counters[c + C_OPEN]!;
    const base = slot * OPEN_MAX;
    for (let i = 0; i < n; i++) if (this.open[base + i] === port) return;
    if (n < OPEN_MAX) {
      this.open[base + n] = port;
      this.counters[c + C_OPEN] = n + 1;
    }
  }

  /** Tool votes: four 8-bit saturating counters packed in one word, for tool ids 1 to 4. */
  private vote(slot: number, tool: number): void {
    if (tool > 4) return;
    const i = slot * COUNTERS + C_TOOLS;
    const shift = (tool - 1) * 8;
    const v = (this.counters[i]! >>> shift) & 0xff;
    if (v < 0xff) this.counters[i] = this.counters[i]! + (1 << shift);
  }

  private topTool(slot: number): { tool: number; toolVotes: number } {
    const w = this.counters[slot * COUNTERS + C_TOOLS]!;
    let tool = 0;
    let votes = 0;
    for (let t = 1; t <= 4; t++) {
      const v = (w >>> ((t - 1) * 8)) & 0xff;
      if (v > votes) {
        tool = t;
        votes = v;
      }
    }
    return { tool, toolVotes: votes };
  }

  private setOf(key: number, tech: number): number {
    const lo = key % 4294967296 | 0;
    const hi = Math.floor(key / 4294967296) | 0;
    return mix32(lo ^ Math.imul(hi + (tech << 24), 0x5bd1e995) ^ this.seed) & this.setMask;
  }

  private admit(key: number, tech: number, now: number): number {
    const base = this.setOf(key, tech) * WAYS;
    const kt = this.keyTimes;
    const cfg = this.config;
    let victim = -1;
    let victimRank = Infinity;
    for (let w = 0; w < WAYS; w++) {
      const s = base + w;
      if (kt[s * 3] !== kt[s * 3]) {
        this.size++;
        this.clear(s, key, tech, now);
        return s;
      }
      const last = kt[s * 3 + 2]!;
      if (now - last > cfg.horizon) {
        this.expired++;
        this.clear(s, key, tech, now);
        return s;
      }
      // Displaceable: at most one failure, or idle long enough. Least recently active first.
      const value = this.counters[s * COUNTERS + C_FAILED]!;
      if ((value <= 1 || now - last > cfg.idleProtect) && last < victimRank) {
        victim = s;
        victimRank = last;
      }
    }
    if (victim < 0) {
      this.refused++;
      return -1;
    }
    this.evicted++;
    this.clear(victim, key, tech, now);
    return victim;
  }

  private clear(slot: number, key: number, tech: number, now: number): void {
    const kt = this.keyTimes;
    kt[slot * 3] = key;
    this.techniques[slot] = tech;
    kt[slot * 3 + 1] = now;
    kt[slot * 3 + 2] = now;
    this.counters.fill(0, slot * COUNTERS, (slot + 1) * COUNTERS);
    this.hostSketch.fill(0, slot * HOST_SKETCH_WORDS, (slot + 1) * HOST_SKETCH_WORDS);
    this.pairBits.fill(0, slot * PAIR_WORDS, (slot + 1) * PAIR_WORDS);
  }

  /** Returns true when the pair is new (a one-hash filter: a false "seen" is possible once it fills). */
  private addPair(slot: number, host: number, port: number): boolean {
    const h = mix32(host ^ Math.imul(port + 1, 0x9e3779b1) ^ this.seed) & (PAIR_WORDS * 32 - 1);
    const i = slot * PAIR_WORDS + (h >>> 5);
    const bit = 1 << (h & 31);
    if (this.pairBits[i]! & bit) return false;
    this.pairBits[i]! |= bit;
    return true;
  }

  /** Returns true when the port is new. */
  private addPort(slot: number, port: number): boolean {
    const c = slot * COUNTERS;
    const ct = this.counters;
    const n = ct[c + C_PORTS]!;
    const base = slot * PORTS_MAX;
    const held = n < PORTS_MAX ? n : PORTS_MAX;
    for (let i = 0; i < held; i++) if (this.ports[base + i] === port) return false;
    if (n < PORTS_MAX) {
      this.ports[base + n] = port;
      ct[c + C_PORTS] = n + 1;
      return true;
    }
    // Past the exact list the count is a lower bound: it stops growing.
    ct[c + C_FLAGS]! |= F_PORTS_OVER;
    return false;
  }

  /** Returns true when the host is (as far as can be told) new. */
  private addHost(slot: number, host: number): boolean {
    const c = slot * COUNTERS;
    const ct = this.counters;
    const key = host | 0;
    const n = ct[c + C_HOSTS]!;
    const base = slot * HOSTS_MAX;
    for (let i = 0; i < n; i++) if (this.hosts[base + i] === key) return false;
    if (n < HOSTS_MAX) {
      this.hosts[base + n] = key;
      ct[c + C_HOSTS] = n + 1;
      return true;
    }
    if (ct[c + C_SKETCH_BITS] === 0) {
      // Seed the sketch with the exact hosts so the estimate covers them all.
      for (let j = 0; j < HOSTS_MAX; j++) this.sketchSet(slot, this.hosts[base + j]!);
    }
    return this.sketchSet(slot, key);
  }

  private sketchSet(slot: number, key: number): boolean {
    const h = mix32(key ^ this.seed) & (HOST_SKETCH_WORDS * 32 - 1);
    const i = slot * HOST_SKETCH_WORDS + (h >>> 5);
    const bit = 1 << (h & 31);
    if (this.hostSketch[i]! & bit) return false;
    this.hostSketch[i]! |= bit;
    this.counters[slot * COUNTERS + C_SKETCH_BITS]!++;
    return true;
  }
}
