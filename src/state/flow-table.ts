import { mix32 } from './distinct.js';
import { setCount } from './keyed-hash.js';

/** Flow entry flags. */
export const Flow = {
  /** The responder answered positively: SYN-ACK, UDP reply, echo reply. */
  ANSWERED: 1,
  /** The responder (or a router on its behalf) refused: RST, ICMP unreachable. */
  REJECTED: 2,
  /** The initiator completed the handshake after a SYN-ACK. */
  INIT_ACKED: 4,
  /** The initiator reset the connection after a SYN-ACK (half-open). */
  INIT_RST: 8,
  /** The flow's probe was the source's first contact with this (host, port). */
  FIRST_CONTACT: 16,
  /** The flow is a probe counted under its technique. */
  PROBE: 32,
  /** A bare ACK or FIN/ACK with no known connection: a probe only if no normal reply follows. */
  CANDIDATE: 64,
  /** A connection already under way when we first saw it; never a probe. */
  MIDSTREAM: 128,
} as const;

const WAYS = 4;
/** Int32 words per slot: a, b, ports, kind, flags|technique<<8|tool<<16, packets, first and last seen (32 bytes). */
const STRIDE = 8;
const A = 0;
const B = 1;
const PORTS = 2;
const KIND = 3;
const META = 4;
const PACKETS = 5;
const FIRST = 6;
const LAST = 7;
const EMPTY = 0;

/**
 * A fixed-size, 4-way set-associative flow table (the layout of a hardware
 * cache): a flow hashes to one set of four slots and, when all four are
 * taken, the least recently active of them is evicted. A slot's fields,
 * its two times included (wrapping 32-bit milliseconds), sit side by side
 * in one Int32Array, so a lookup touches the set's two cache lines at most. Lookups, inserts and
 * evictions are O(1) and allocate nothing; memory is fixed at creation
 * (32 bytes a slot). A clock hand walks a few slots per insert to expire
 * idle entries.
 */
export class FlowTable {
  readonly capacity: number;
  private readonly setMask: number;
  private readonly ints: Int32Array;
  /**
   * The responder's SYN-ACK per slot: its sequence number (the responder's
   * ISN) and its acknowledgment number (the initiator's ISN + 1). What the
   * initiator sends next proves, or not, that it received the SYN-ACK
   * (see setAnswer). Apart from the 32-byte stride, read only then.
   */
  private readonly answerSeq: Int32Array;
  private readonly answerAck: Int32Array;
  /**
   * Times are kept as 32-bit milliseconds since `epoch`, compared with
   * wrap-around arithmetic (as TCP compares sequence numbers, RFC 9293
   * section 3.4): entries live seconds, far less than the 24 days of range,
   * and a slot's whole state then fits in one 32-byte stride.
   */
  private epoch = NaN;
  private hand = 0;
  size = 0;
  evicted = 0;
  expired = 0;

  /** Called for each entry that leaves, before its slot is reused. */
  onEnd: (slot: number, now: number) => void = () => {};

  constructor(
    capacity: number,
    /** Seconds of inactivity after which an entry expires. */
    readonly idleTimeout: number,
    /**
     * The hash key (see Engine: random per process). Without it, anyone
     * could compute which set a scanner's flow falls in and push it out
     * with four spoofed flows that hash there (a targeted-collision flood).
     */
    private readonly seed = 0,
  ) {
    const sets = setCount(capacity, WAYS);
    this.capacity = sets * WAYS;
    this.setMask = sets - 1;
    this.ints = new Int32Array(this.capacity * STRIDE);
    this.answerSeq = new Int32Array(this.capacity);
    this.answerAck = new Int32Array(this.capacity);
  }

  /** Keeps the SYN-ACK's sequence and acknowledgment numbers (as signed 32-bit words). */
  setAnswer(slot: number, seq: number, ack: number): void {
    this.answerSeq[slot] = seq;
    this.answerAck[slot] = ack;
  }

  /**
   * Whether the initiator's ACK acknowledges the SYN-ACK: SEG.ACK is the
   * responder's ISN + 1 (RFC 9293 section 3.5, the three-way handshake).
   * A blind spoofer never saw that ISN, so it cannot send this ACK.
   */
  acknowledgesAnswer(slot: number, ack: number): boolean {
    return (ack | 0) === ((this.answerSeq[slot]! + 1) | 0);
  }

  /**
   * Whether the initiator's RST answers the SYN-ACK as a TCP stack does: a
   * reset of a segment with ACK takes its sequence number from that
   * segment's acknowledgment field (RFC 9293 section 3.10.7.1).
   */
  resetsAnswer(slot: number, seq: number): boolean {
    return (seq | 0) === this.answerAck[slot];
  }

  /** Finds the entry for initiator a → responder b; returns its slot or -1. */
  find(a: number, b: number, ports: number, kind: number): number {
    const ints = this.ints;
    const base = this.setOf(a, b, ports, kind);
    for (let i = base; i < base + WAYS; i++) {
      const o = i * STRIDE;
      if (ints[o + KIND] === kind && ints[o + A] === a && ints[o + B] === b && ints[o + PORTS] === ports) return i;
    }
    return -1;
  }

  /** Set by `findOrInsert`: whether the returned slot is a new entry. */
  inserted = false;

  /** Adds an entry (the caller has checked it is absent); returns its slot. */
  insert(a: number, b: number, ports: number, kind: number, flags: number, technique: number, now: number): number {
    return this.place(this.setOf(a, b, ports, kind), a, b, ports, kind, flags, technique, now);
  }

  /**
   * Finds the entry, or adds it with the given flags and technique: one
   * hash and one set scan for the common "new flow" case. `inserted` says which.
   */
  findOrInsert(a: number, b: number, ports: number, kind: number, flags: number, technique: number, now: number): number {
    const ints = this.ints;
    const base = this.setOf(a, b, ports, kind);
    for (let i = base; i < base + WAYS; i++) {
      const o = i * STRIDE;
      if (ints[o + KIND] === kind && ints[o + A] === a && ints[o + B] === b && ints[o + PORTS] === ports) {
        this.inserted = false;
        return i;
      }
    }
    this.inserted = true;
    return this.place(base, a, b, ports, kind, flags, technique, now);
  }

  private place(base: number, a: number, b: number, ports: number, kind: number, flags: number, technique: number, now: number): number {
    const ints = this.ints;
    const nowMs = this.ms(now);
    let slot = -1;
    let oldestAge = -1;
    for (let i = base; i < base + WAYS; i++) {
      if (ints[i * STRIDE + KIND] === EMPTY) {
        slot = i;
        break;
      }
      const age = (nowMs - ints[i * STRIDE + LAST]!) | 0;
      if (age > oldestAge) {
        oldestAge = age;
        slot = i;
      }
    }
    const o = slot * STRIDE;
    if (ints[o + KIND] !== EMPTY) {
      this.evicted++;
      this.release(slot, now);
    }
    ints[o + A] = a;
    ints[o + B] = b;
    ints[o + PORTS] = ports;
    ints[o + KIND] = kind;
    ints[o + META] = (flags & 0xff) | ((technique & 0xff) << 8);
    ints[o + PACKETS] = 1;
    ints[o + FIRST] = nowMs;
    ints[o + LAST] = nowMs;
    this.size++;
    this.sweep(now, 2);
    return slot;
  }

  initiator(slot: number): number {
    return this.ints[slot * STRIDE + A]!;
  }
  responder(slot: number): number {
    return this.ints[slot * STRIDE + B]!;
  }
  ports(slot: number): number {
    return this.ints[slot * STRIDE + PORTS]!;
  }
  kind(slot: number): number {
    return this.ints[slot * STRIDE + KIND]!;
  }
  flags(slot: number): number {
    return this.ints[slot * STRIDE + META]! & 0xff;
  }
  setFlags(slot: number, flags: number): void {
    const o = slot * STRIDE + META;
    this.ints[o] = (this.ints[o]! & ~0xff) | (flags & 0xff);
  }
  technique(slot: number): number {
    return (this.ints[slot * STRIDE + META]! >> 8) & 0xff;
  }
  /** Whether the initiator had a full source record when the flow began (bit 24 of the meta word). */
  ownerTracked(slot: number): boolean {
    return (this.ints[slot * STRIDE + META]! & 0x1000000) !== 0;
  }
  markOwnerTracked(slot: number): void {
    this.ints[slot * STRIDE + META]! |= 0x1000000;
  }
  /**
   * Whether the initiator's payload on an answered contact has been judged
   * (counted as a data or an empty contact; bit 25 of the meta word).
   */
  contactJudged(slot: number): boolean {
    return (this.ints[slot * STRIDE + META]! & 0x2000000) !== 0;
  }
  markContactJudged(slot: number): void {
    this.ints[slot * STRIDE + META]! |= 0x2000000;
  }
  /** Whether the initiator's first packet carried payload (UDP; bit 26). */
  initiatorData(slot: number): boolean {
    return (this.ints[slot * STRIDE + META]! & 0x4000000) !== 0;
  }
  markInitiatorData(slot: number): void {
    this.ints[slot * STRIDE + META]! |= 0x4000000;
  }
  /** The scanning tool the first segment's fingerprint named (candidates only). */
  tool(slot: number): number {
    return (this.ints[slot * STRIDE + META]! >> 16) & 0xff;
  }
  setTool(slot: number, tool: number): void {
    const o = slot * STRIDE + META;
    this.ints[o] = (this.ints[o]! & ~0xff0000) | ((tool & 0xff) << 16);
  }
  /** Segments seen from the initiator. */
  packets(slot: number): number {
    return this.ints[slot * STRIDE + PACKETS]!;
  }
  /** Marks activity: the initiator sent another packet when `fromInitiator`. */
  touch(slot: number, now: number, fromInitiator: boolean): void {
    this.ints[slot * STRIDE + LAST] = this.ms(now);
    if (fromInitiator) this.ints[slot * STRIDE + PACKETS]!++;
  }
  /**
   * When the flow began, in seconds. The stored 32-bit value wraps every
   * 2^32 ms (49.7 days; the signed range every 24.8), so it is unwrapped
   * against the latest clock reading: exact for any flow younger than 24.8
   * days, whatever the uptime (flows expire after `idleTimeout` seconds
   * without a packet).
   */
  firstSeen(slot: number): number {
    return this.unwrap(this.ints[slot * STRIDE + FIRST]!);
  }

  /** When the flow's last packet came, in seconds (unwrapped as firstSeen is). */
  lastSeen(slot: number): number {
    return this.unwrap(this.ints[slot * STRIDE + LAST]!);
  }

  private unwrap(stored: number): number {
    const latest = this.latestMs;
    const ageMs = ((latest | 0) - stored) | 0;
    return this.epoch + (latest - ageMs) / 1000;
  }

  /** The latest clock reading, in whole milliseconds since `epoch` (not wrapped). */
  private latestMs = 0;

  /** Packet time as wrapping 32-bit milliseconds since the first packet. */
  private ms(now: number): number {
    if (this.epoch !== this.epoch) this.epoch = now;
    const full = Math.round((now - this.epoch) * 1000);
    if (full > this.latestMs) this.latestMs = full;
    return full | 0;
  }

  /**
   * Advances the clock hand over `steps` slots, expiring idle entries. An
   * expired flow ends at the moment it timed out (its last packet plus the
   * timeout), not when the hand reached it: what its silence means then
   * does not depend on how often the table is swept (a live sensor's timer,
   * or packet time jumping ahead in a sparse capture).
   */
  sweep(now: number, steps: number): void {
    const nowMs = this.ms(now);
    const timeoutMs = Math.round(this.idleTimeout * 1000);
    let h = this.hand;
    for (let k = 0; k < steps; k++) {
      if (this.ints[h * STRIDE + KIND] !== EMPTY && ((nowMs - this.ints[h * STRIDE + LAST]!) | 0) > timeoutMs) {
        this.expired++;
        this.release(h, this.lastSeen(h) + this.idleTimeout);
      }
      h = h + 1 === this.capacity ? 0 : h + 1;
    }
    this.hand = h;
  }

  /**
   * Ends every entry (end of a capture), in slot order, each when it would
   * have timed out (see sweep); stops at the last one (a small capture
   * leaves most of the table empty).
   */
  drain(): void {
    for (let i = 0; i < this.capacity && this.size > 0; i++) if (this.ints[i * STRIDE + KIND] !== EMPTY) this.release(i, this.lastSeen(i) + this.idleTimeout);
  }

  /** The first slot of the set a flow hashes to (under this table's key). */
  setOf(a: number, b: number, ports: number, kind: number): number {
    const h = mix32(a ^ mix32(b ^ mix32(ports ^ Math.imul(kind, 0x9e3779b1) ^ this.seed)));
    return (h & this.setMask) * WAYS;
  }

  private release(slot: number, now: number): void {
    this.onEnd(slot, now);
    this.ints[slot * STRIDE + KIND] = EMPTY;
    this.size--;
  }
}
