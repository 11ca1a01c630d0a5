import type { HostKey, Port, SourceKey } from '../units.js';
import { mix32 } from './distinct.js';
import { setCount, sourceKeyHash } from './keyed-hash.js';


/** Outcome bits of a probation entry's one probe. */
export const ProbationFlag = {
  ANSWERED: 1,
  REJECTED: 2,
  /** The answered probe carried the source's payload (a UDP request), or carried none. */
  DATA: 4,
  EMPTY: 8,
  /**
   * The probe is a TCP SYN whose flow was not put in the flow table: this
   * entry stands for it (responder `host`, ports `sourcePort` → `port`)
   * until an answer or a second probe needs the flow (engine/tracker.ts).
   */
  HOLDS_FLOW: 16,
  /** The answered probe's IPv6 responder address is kept (see `keepResponder6`). */
  RESPONDER6: 32,
  /** The source reset the SYN-ACK to its probe, or completed the handshake (checked numbers: classify-tcp.ts). */
  HALF_OPEN: 64,
  HANDSHAKE: 128,
} as const;

/** Ways per set: two 32-byte slots, one 64-byte cache line. */
const WAYS = 2;
/**
 * One slot is 32 bytes of one buffer, seen as 4 doubles or 8 int32s:
 * doubles 0 key (NaN = empty) and 1 time; int32s 4 host, 5 source port
 * << 16 | port, 6 technique | tool << 8 | flags << 16, 7 packets.
 */
const F64_STRIDE = 4;
const I32_STRIDE = 8;
const HOST = 4;
const PORTS = 5;
const META = 6;
const PACKETS = 7;

/**
 * Sources seen with only one distinct probe so far. Nearly every source
 * on a network, and every source of a spoofed flood, lives and dies here,
 * so it is the cheapest structure we have: a 2-way set-associative cache
 * in one typed buffer (no objects, no lists, nothing allocated). A new
 * source takes the empty or the older slot of its set (an overwrite is
 * counted as an eviction), so one spoofed packet cannot push a scanner
 * out between two of its probes. A source that is not here is told from
 * the one-byte tags alone (see `tags`); a source that is costs one cache
 * line. A source that shows a second distinct probe, or draws a refusal,
 * is promoted to a full record in the source table.
 */
export class Probation {
  readonly capacity: number;
  private readonly setMask: number;
  private readonly f64: Float64Array;
  private readonly i32: Int32Array;
  /**
   * One byte per slot, 0 when the slot is empty, else 8 bits of the key's
   * hash (never 0). 64 KiB at the default capacity: it stays in the CPU's
   * cache where the slots (2 MiB) do not, so a source that is not here (a
   * flood's every packet) is told from the tags alone, and its new slot is
   * written without being read first: a store that misses the cache does
   * not hold up the packet path, a load does (measured: BENCHMARKS.md).
   */
  private readonly tags: Uint8Array;
  /** Per set, the way filled last (the other one is the older: the one to replace). */
  private readonly newest: Uint8Array;
  size = 0;
  overwritten = 0;
  private readonly seedMix: number;
  /**
   * 16 bytes per slot: the IPv6 address that answered the slot's probe
   * (probation keeps hashes, and the report names open services and live
   * hosts by address). Allocated on first use (1 MiB at the default
   * capacity), so IPv4-only traffic never pays for it.
   */
  private responders6: Uint8Array | null = null;
  /**
   * Per slot, the input ordinals of its probe and of the first answer to it
   * (-1: none): the packets the source's detection will name if it is
   * promoted. Apart from the 32-byte slot, written with stores only.
   */
  private readonly ordinals: Float64Array;

  /**
   * `seed` keys the set hash (random per process, see Engine): with a
   * known hash a spoofer could overwrite a scanner's slot between each of
   * its probes and keep it in probation for ever.
   */
  constructor(
    capacity: number,
    private readonly seed = 0,
  ) {
    this.seedMix = mix32(seed);
    const sets = setCount(capacity, WAYS);
    this.capacity = sets * WAYS;
    this.setMask = sets - 1;
    const buf = new ArrayBuffer(this.capacity * 32);
    this.f64 = new Float64Array(buf);
    this.i32 = new Int32Array(buf);
    for (let i = 0; i < this.capacity; i++) this.f64[i * F64_STRIDE] = NaN;
    this.tags = new Uint8Array(this.capacity);
    this.newest = new Uint8Array(sets);
    this.ordinals = new Float64Array(this.capacity * 2).fill(-1);
  }

  /** The key's hash under this cache's key: its low bits pick the set, its top 8 bits are its tag. */
  private hash(key: number): number {
    // find, claim and put ask for the same key in a row (a new source).
    if (key === this.lastKey) return this.lastHash;
    const h = sourceKeyHash(key, this.seed, this.seedMix);
    this.lastKey = key;
    this.lastHash = h;
    return h;
  }
  private lastKey = NaN;
  private lastHash = 0;

  /** The first slot of the set a source key hashes to. */
  setOf(key: number): number {
    return (this.hash(key) & this.setMask) * WAYS;
  }

  /** The slot holding `key`, or -1. Reads a slot only when its tag matches. */
  find(key: number): number {
    const h = this.hash(key);
    const s = (h & this.setMask) * WAYS;
    const tag = tagOf(h);
    const tags = this.tags;
    if (tags[s] === tag && this.f64[s * F64_STRIDE] === key) return s;
    if (tags[s + 1] === tag && this.f64[(s + 1) * F64_STRIDE] === key) return s + 1;
    return -1;
  }

  /** The slot a new source takes in its set: an empty one, else the one filled earlier. */
  claim(key: number): number {
    const set = this.hash(key) & this.setMask;
    const s = set * WAYS;
    if (this.tags[s] === 0) return s;
    if (this.tags[s + 1] === 0) return s + 1;
    return s + 1 - this.newest[set]!;
  }

  holds(slot: number, key: number): boolean {
    return this.f64[slot * F64_STRIDE] === key;
  }

  /** Whether the slot's one probe is this one (a retransmission, or the same probe again). */
  sameProbe(slot: number, host: HostKey, port: Port, technique: number): boolean {
    const o = slot * I32_STRIDE;
    return this.i32[o + HOST] === host && (this.i32[o + PORTS]! & 0xffff) === port && (this.i32[o + META]! & 0xff) === technique;
  }

  /**
   * Fills a slot (from `claim`) with stores only (see `tags`), the probe
   * sent at `sec`.`nsec` (integers: no double is passed on the packet
   * path). `sourcePort`: the prober's port, kept for a held flow; `flags`:
   * ProbationFlag bits; `ordinal`: the probe packet's number in the input.
   */
  put(slot: number, key: SourceKey, host: HostKey, port: Port, technique: number, tool: number, sec: number, nsec: number, ordinal: number, sourcePort = 0, flags = 0): void {
    const f = slot * F64_STRIDE;
    if (this.tags[slot] !== 0) this.overwritten++;
    else this.size++;
    this.tags[slot] = tagOf(this.hash(key));
    this.newest[slot >> 1] = slot & 1; // WAYS = 2: set = slot >> 1, way = slot & 1
    this.f64[f] = key;
    this.f64[f + 1] = sec + nsec * 1e-9;
    this.ordinals[slot * 2] = ordinal;
    this.ordinals[slot * 2 + 1] = -1;
    const o = slot * I32_STRIDE;
    this.i32[o + HOST] = host;
    this.i32[o + PORTS] = (sourcePort << 16) | (port & 0xffff);
    this.i32[o + META] = (technique & 0xff) | ((tool & 0xff) << 8) | ((flags & 0xff) << 16);
    this.i32[o + PACKETS] = 1;
  }

  host(slot: number): HostKey {
    return this.i32[slot * I32_STRIDE + HOST]! as HostKey;
  }
  port(slot: number): Port {
    return (this.i32[slot * I32_STRIDE + PORTS]! & 0xffff) as Port;
  }
  /** The prober's port of a held flow (0 when none was kept). */
  sourcePort(slot: number): number {
    return this.i32[slot * I32_STRIDE + PORTS]! >>> 16;
  }
  technique(slot: number): number {
    return this.i32[slot * I32_STRIDE + META]! & 0xff;
  }
  tool(slot: number): number {
    return (this.i32[slot * I32_STRIDE + META]! >> 8) & 0xff;
  }
  flags(slot: number): number {
    return (this.i32[slot * I32_STRIDE + META]! >> 16) & 0xff;
  }
  addFlags(slot: number, flags: number): void {
    this.i32[slot * I32_STRIDE + META]! |= (flags & 0xff) << 16;
  }
  clearFlags(slot: number, flags: number): void {
    this.i32[slot * I32_STRIDE + META]! &= ~((flags & 0xff) << 16);
  }
  packets(slot: number): number {
    return this.i32[slot * I32_STRIDE + PACKETS]!;
  }
  addPacket(slot: number): void {
    this.i32[slot * I32_STRIDE + PACKETS]!++;
  }
  /** Keeps the IPv6 address at buf[off, off + 16) as the one that answered the slot's probe. */
  keepResponder6(slot: number, buf: Uint8Array, off: number): void {
    if (this.responders6 === null) this.responders6 = new Uint8Array(this.capacity * 16);
    this.responders6.set(buf.subarray(off, off + 16), slot * 16);
    this.addFlags(slot, ProbationFlag.RESPONDER6);
  }

  /** The kept IPv6 responder address as 32 hex digits (formatIpv6Key's input), or null. */
  responder6Hex(slot: number): string | null {
    if (this.responders6 === null || (this.flags(slot) & ProbationFlag.RESPONDER6) === 0) return null;
    return Buffer.from(this.responders6.buffer, this.responders6.byteOffset + slot * 16, 16).toString('hex');
  }

  time(slot: number): number {
    return this.f64[slot * F64_STRIDE + 1]!;
  }

  /** The input ordinal of the slot's probe (-1: none kept). */
  probeOrdinal(slot: number): number {
    return this.ordinals[slot * 2]!;
  }
  /** The input ordinal of the first answer to the slot's probe (-1: none yet). */
  answerOrdinal(slot: number): number {
    return this.ordinals[slot * 2 + 1]!;
  }
  /** Keeps the first answer's ordinal. */
  keepAnswerOrdinal(slot: number, ordinal: number): void {
    if (this.ordinals[slot * 2 + 1] === -1) this.ordinals[slot * 2 + 1] = ordinal;
  }

  clear(slot: number): void {
    if (this.tags[slot] !== 0) this.size--;
    this.tags[slot] = 0;
    this.f64[slot * F64_STRIDE] = NaN;
  }
}

/** A slot's tag: the hash's top 8 bits, 0 made 1 (0 marks an empty slot). */
function tagOf(h: number): number {
  return h >>> 24 || 1;
}
