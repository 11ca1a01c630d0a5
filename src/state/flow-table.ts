import { mix32 } from './distinct.js';

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
  /** The flow is a probe counted under `technique` for its owner. */
  PROBE: 32,
  /** A bare ACK or FIN/ACK with no known connection: a probe only if no normal reply follows. */
  CANDIDATE: 64,
  /** A connection already under way when we first saw it; never a probe. */
  MIDSTREAM: 128,
} as const;

const WAYS = 4;
const EMPTY = 0;

/** Why an entry leaves the table. */
export const FlowEnd = { EXPIRED: 0, EVICTED: 1 } as const;

/**
 * A fixed-size, 4-way set-associative flow table in typed arrays (the
 * layout of a hardware cache): a flow hashes to one set of four slots and,
 * when all four are taken, the least recently active of them is evicted.
 * Lookups, inserts and evictions are O(1) and allocate nothing; memory is
 * fixed at creation (about 44 bytes a slot). A clock hand walks a few slots
 * per insert to expire idle entries.
 */
export class FlowTable {
  readonly capacity: number;
  private readonly setMask: number;
  /** Initiator and responder address words (IPv4, or IPv6 hash). */
  readonly a: Int32Array;
  readonly b: Int32Array;
  /** Initiator port << 16 | responder port (ICMP: identifier << 16 | sequence). */
  readonly ports: Int32Array;
  /** proto | 0x100 for IPv6; 0 marks a free slot. */
  readonly kind: Uint16Array;
  readonly flags: Uint8Array;
  readonly technique: Int8Array;
  readonly initPackets: Uint16Array;
  readonly owner: Int32Array;
  readonly ownerGeneration: Int32Array;
  readonly firstSeen: Float64Array;
  readonly lastSeen: Float64Array;
  private hand = 0;
  size = 0;
  evicted = 0;
  expired = 0;

  /** Called for each entry that leaves, before its slot is reused. */
  onEnd: (slot: number, why: number, now: number) => void = () => {};

  constructor(
    capacity: number,
    /** Seconds of inactivity after which an entry expires. */
    readonly idleTimeout: number,
  ) {
    let sets = 1;
    while (sets * WAYS < capacity) sets *= 2;
    this.capacity = sets * WAYS;
    this.setMask = sets - 1;
    const n = this.capacity;
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.ports = new Int32Array(n);
    this.kind = new Uint16Array(n);
    this.flags = new Uint8Array(n);
    this.technique = new Int8Array(n);
    this.initPackets = new Uint16Array(n);
    this.owner = new Int32Array(n);
    this.ownerGeneration = new Int32Array(n);
    this.firstSeen = new Float64Array(n);
    this.lastSeen = new Float64Array(n);
  }

  private setOf(a: number, b: number, ports: number, kind: number): number {
    const h = mix32(a ^ mix32(b ^ mix32(ports ^ Math.imul(kind, 0x9e3779b1))));
    return (h & this.setMask) * WAYS;
  }

  /** Finds the entry for initiator a → responder b; returns its slot or -1. */
  find(a: number, b: number, ports: number, kind: number): number {
    a |= 0;
    b |= 0;
    ports |= 0;
    const base = this.setOf(a, b, ports, kind);
    for (let i = base; i < base + WAYS; i++) {
      if (this.kind[i] === kind && this.a[i] === a && this.b[i] === b && this.ports[i] === ports) return i;
    }
    return -1;
  }

  /** Adds an entry (the caller has checked it is absent); returns its slot. */
  insert(a: number, b: number, ports: number, kind: number, now: number): number {
    a |= 0;
    b |= 0;
    ports |= 0;
    const base = this.setOf(a, b, ports, kind);
    let slot = -1;
    let oldest = Infinity;
    for (let i = base; i < base + WAYS; i++) {
      if (this.kind[i] === EMPTY) {
        slot = i;
        break;
      }
      if (this.lastSeen[i]! < oldest) {
        oldest = this.lastSeen[i]!;
        slot = i;
      }
    }
    if (this.kind[slot] !== EMPTY) {
      this.evicted++;
      this.release(slot, FlowEnd.EVICTED, now);
    }
    this.a[slot] = a;
    this.b[slot] = b;
    this.ports[slot] = ports;
    this.kind[slot] = kind;
    this.flags[slot] = 0;
    this.technique[slot] = -1;
    this.initPackets[slot] = 1;
    this.owner[slot] = -1;
    this.ownerGeneration[slot] = 0;
    this.firstSeen[slot] = now;
    this.lastSeen[slot] = now;
    this.size++;
    this.sweep(now, 2);
    return slot;
  }

  /** Advances the clock hand over `steps` slots, expiring idle entries. */
  sweep(now: number, steps: number): void {
    const limit = now - this.idleTimeout;
    let h = this.hand;
    for (let k = 0; k < steps; k++) {
      if (this.kind[h] !== EMPTY && this.lastSeen[h]! < limit) {
        this.expired++;
        this.release(h, FlowEnd.EXPIRED, now);
      }
      h = h + 1 === this.capacity ? 0 : h + 1;
    }
    this.hand = h;
  }

  /** Ends every entry (end of a capture). */
  drain(now: number): void {
    for (let i = 0; i < this.capacity; i++) if (this.kind[i] !== EMPTY) this.release(i, FlowEnd.EXPIRED, now);
  }

  private release(slot: number, why: number, now: number): void {
    this.onEnd(slot, why, now);
    this.kind[slot] = EMPTY;
    this.size--;
  }
}
