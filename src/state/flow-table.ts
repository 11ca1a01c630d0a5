import { mix32 } from './distinct.js';
import { EndedFlows } from './ended-flows.js';
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

/** Marks in the meta word above flags (bits 0-7), technique (8-15) and tool (16-23). */
const OWNER_TRACKED = 0x1000000;
const CONTACT_JUDGED = 0x2000000;
const INITIATOR_DATA = 0x4000000;

/** Reading a flow's meta word (FlowTable.meta, EndedFlows.meta). */
export const FlowMeta = {
  flags: (meta: number): number => meta & 0xff,
  technique: (meta: number): number => (meta >> 8) & 0xff,
  tool: (meta: number): number => (meta >> 16) & 0xff,
  ownerTracked: (meta: number): boolean => (meta & OWNER_TRACKED) !== 0,
  contactJudged: (meta: number): boolean => (meta & CONTACT_JUDGED) !== 0,
  initiatorData: (meta: number): boolean => (meta & INITIATOR_DATA) !== 0,
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
   * The input ordinal of the flow's first packet, kept for lone candidate
   * segments (a lone ACK is a probe only once its answer comes, and its
   * detection names it then); -1 for other flows.
   */
  private readonly firstOrdinals: Float64Array;
  /**
   * Times are kept as 32-bit milliseconds since the epoch (the first
   * packet's time, whole seconds and nanoseconds), compared with wrap-around
   * arithmetic (as TCP compares sequence numbers, RFC 9293 section 3.4):
   * entries live seconds, far less than the 24 days of range, and a slot's
   * whole state then fits in one 32-byte stride. Times come in as two small
   * integers, so that the packet path passes no double (a boxed number per call).
   */
  private epochSec = 0;
  private epochNsec = 0;
  private hasEpoch = false;
  private hand = 0;
  size = 0;
  evicted = 0;
  expired = 0;
  /**
   * Flows that ended (expired, evicted, or drained) with a probe to judge:
   * copied here as they leave, and judged by the engine once the insert or
   * sweep that ended them is over, never from inside it.
   */
  readonly ended: EndedFlows;

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
    this.firstOrdinals = new Float64Array(this.capacity).fill(-1);
    this.ended = new EndedFlows();
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

  /** Adds an entry (the caller has checked it is absent) at time `sec`.`nsec`; returns its slot. */
  insert(a: number, b: number, ports: number, kind: number, flags: number, technique: number, sec: number, nsec: number): number {
    return this.place(this.setOf(a, b, ports, kind), a, b, ports, kind, flags, technique, this.ms(sec, nsec));
  }

  /**
   * Finds the entry, or adds it with the given flags and technique: one
   * hash and one set scan for the common "new flow" case. `inserted` says which.
   */
  findOrInsert(a: number, b: number, ports: number, kind: number, flags: number, technique: number, sec: number, nsec: number): number {
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
    return this.place(base, a, b, ports, kind, flags, technique, this.ms(sec, nsec));
  }

  private place(base: number, a: number, b: number, ports: number, kind: number, flags: number, technique: number, nowMs: number): number {
    const ints = this.ints;
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
      this.release(slot, this.latestMs);
    }
    ints[o + A] = a;
    ints[o + B] = b;
    ints[o + PORTS] = ports;
    ints[o + KIND] = kind;
    ints[o + META] = (flags & 0xff) | ((technique & 0xff) << 8);
    ints[o + PACKETS] = 1;
    ints[o + FIRST] = nowMs;
    ints[o + LAST] = nowMs;
    this.firstOrdinals[slot] = -1;
    this.size++;
    this.advance(nowMs, 2);
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
  /** The meta word: flags, technique, tool and marks (read with the FlowMeta functions). */
  meta(slot: number): number {
    return this.ints[slot * STRIDE + META]!;
  }
  technique(slot: number): number {
    return FlowMeta.technique(this.ints[slot * STRIDE + META]!);
  }
  /** Whether the initiator had a full source record when the flow began. */
  ownerTracked(slot: number): boolean {
    return FlowMeta.ownerTracked(this.ints[slot * STRIDE + META]!);
  }
  markOwnerTracked(slot: number): void {
    this.ints[slot * STRIDE + META]! |= OWNER_TRACKED;
  }
  /** Whether the initiator's payload on an answered contact has been judged (counted as a data or an empty contact). */
  contactJudged(slot: number): boolean {
    return FlowMeta.contactJudged(this.ints[slot * STRIDE + META]!);
  }
  markContactJudged(slot: number): void {
    this.ints[slot * STRIDE + META]! |= CONTACT_JUDGED;
  }
  /** Whether the initiator's first packet carried payload (UDP). */
  initiatorData(slot: number): boolean {
    return FlowMeta.initiatorData(this.ints[slot * STRIDE + META]!);
  }
  markInitiatorData(slot: number): void {
    this.ints[slot * STRIDE + META]! |= INITIATOR_DATA;
  }
  /** The scanning tool the first segment's fingerprint named (candidates only). */
  tool(slot: number): number {
    return FlowMeta.tool(this.ints[slot * STRIDE + META]!);
  }
  setTool(slot: number, tool: number): void {
    const o = slot * STRIDE + META;
    this.ints[o] = (this.ints[o]! & ~0xff0000) | ((tool & 0xff) << 16);
  }
  /** Keeps the input ordinal of the flow's first packet (see firstOrdinals). */
  setFirstOrdinal(slot: number, ordinal: number): void {
    this.firstOrdinals[slot] = ordinal;
  }
  firstOrdinal(slot: number): number {
    return this.firstOrdinals[slot]!;
  }
  /** Segments seen from the initiator. */
  packets(slot: number): number {
    return this.ints[slot * STRIDE + PACKETS]!;
  }
  /** Marks activity at `sec`.`nsec`: the initiator sent another packet when `fromInitiator`. */
  touch(slot: number, sec: number, nsec: number, fromInitiator: boolean): void {
    this.ints[slot * STRIDE + LAST] = this.ms(sec, nsec);
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
    return this.seconds(this.unwrap(this.ints[slot * STRIDE + FIRST]!));
  }

  /** When the flow's last packet came, in seconds (unwrapped as firstSeen is). */
  lastSeen(slot: number): number {
    return this.seconds(this.unwrap(this.ints[slot * STRIDE + LAST]!));
  }

  /** When the flow began, in milliseconds since the epoch (see splitTime). */
  firstSeenMs(slot: number): number {
    return this.unwrap(this.ints[slot * STRIDE + FIRST]!);
  }

  /** A stored (wrapped) time as milliseconds since the epoch, unwrapped against the latest clock reading. */
  private unwrap(stored: number): number {
    const latest = this.latestMs;
    return latest - (((latest | 0) - stored) | 0);
  }

  private seconds(ms: number): number {
    return this.epochSec + this.epochNsec * 1e-9 + ms / 1000;
  }

  /** Set by splitTime: a time as whole seconds and nanoseconds. */
  splitSec = 0;
  splitNsec = 0;

  /** Milliseconds since the epoch as whole seconds and nanoseconds, exactly (into splitSec and splitNsec). */
  splitTime(ms: number): void {
    const whole = Math.floor(ms / 1000);
    let sec = this.epochSec + whole;
    let nsec = this.epochNsec + (ms - whole * 1000) * 1e6;
    if (nsec >= 1e9) {
      sec++;
      nsec -= 1e9;
    }
    this.splitSec = sec;
    this.splitNsec = nsec;
  }

  /** The latest clock reading, in whole milliseconds since the epoch (not wrapped). */
  private latestMs = 0;

  /** Packet time as wrapping 32-bit milliseconds since the first packet. */
  private ms(sec: number, nsec: number): number {
    if (!this.hasEpoch) {
      this.hasEpoch = true;
      this.epochSec = sec;
      this.epochNsec = nsec;
    }
    const full = (sec - this.epochSec) * 1000 + Math.round((nsec - this.epochNsec) / 1e6);
    if (full > this.latestMs) this.latestMs = full;
    return full | 0;
  }

  /**
   * Advances the clock hand over up to `steps` slots at time `sec`.`nsec`,
   * expiring idle entries; returns the steps taken (fewer when the ended
   * flows waiting to be judged fill their queue: sweep again once they
   * are). An expired flow ends at the moment it timed out (its last packet
   * plus the timeout), not when the hand reached it: what its silence
   * means then does not depend on how often the table is swept (a live
   * sensor's timer, or packet time jumping ahead in a sparse capture).
   */
  sweep(sec: number, nsec: number, steps: number): number {
    return this.advance(this.ms(sec, nsec), steps);
  }

  private advance(nowMs: number, steps: number): number {
    const timeoutMs = Math.round(this.idleTimeout * 1000);
    const ended = this.ended;
    let h = this.hand;
    let k = 0;
    for (; k < steps && !ended.nearlyFull; k++) {
      if (this.ints[h * STRIDE + KIND] !== EMPTY && ((nowMs - this.ints[h * STRIDE + LAST]!) | 0) > timeoutMs) {
        this.expired++;
        this.release(h, this.unwrap(this.ints[h * STRIDE + LAST]!) + timeoutMs);
      }
      h = h + 1 === this.capacity ? 0 : h + 1;
    }
    this.hand = h;
    return k;
  }

  /**
   * Ends entries (end of a capture), in slot order, each when it would have
   * timed out (see sweep), until the table is empty (returns true) or the
   * ended flows' queue is nearly full (false: judge them and drain again).
   */
  drain(): boolean {
    const timeoutMs = Math.round(this.idleTimeout * 1000);
    for (let i = this.drainFrom; i < this.capacity && this.size > 0; i++) {
      if (this.ended.nearlyFull) {
        this.drainFrom = i;
        return false;
      }
      if (this.ints[i * STRIDE + KIND] !== EMPTY) this.release(i, this.unwrap(this.ints[i * STRIDE + LAST]!) + timeoutMs);
    }
    this.drainFrom = 0;
    return true;
  }

  /** Where an interrupted drain resumes. */
  private drainFrom = 0;

  /** The first slot of the set a flow hashes to (under this table's key). */
  setOf(a: number, b: number, ports: number, kind: number): number {
    const h = mix32(a ^ mix32(b ^ mix32(ports ^ Math.imul(kind, 0x9e3779b1) ^ this.seed)));
    return (h & this.setMask) * WAYS;
  }

  /** Frees a slot; a flow with a probe to judge is copied to `ended` first, with the time it ended (ms since the epoch). */
  private release(slot: number, endMs: number): void {
    const o = slot * STRIDE;
    if ((this.ints[o + META]! & (Flow.PROBE | Flow.CANDIDATE)) !== 0) {
      this.ended.push(this.ints, o, this.unwrap(this.ints[o + FIRST]!), endMs, this.firstOrdinals[slot]!);
    }
    this.ints[o + KIND] = EMPTY;
    this.size--;
  }
}
