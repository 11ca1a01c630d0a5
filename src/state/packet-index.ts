import type { MemoryBudget } from './memory-budget.js';

/** What a packet was to the scan that names it. */
export const PacketRole = {
  /** A probe from the scanner. */
  PROBE: 0,
  /** A target's answer or refusal (or a router's refusal on its behalf). */
  ANSWER: 1,
  /** Another packet of the scanner's on a probed contact: its ACK or RST after an answer. */
  PROBER: 2,
} as const;

/** Entries kept inline from the start (not charged: part of a state's fixed size). */
const INLINE = 8;
/** Most entries one index keeps: the first half as they came, the second half an even sample of the rest. */
export const PACKET_INDEX_CAPACITY = 4096;
const HEAD = PACKET_INDEX_CAPACITY / 2;

/**
 * The packets a scan rests on, by their number in the input (the engine's
 * count before each packet): what `--extract`, `live --extract` and the
 * HTML plots write, without classifying any packet again. Bounded: the
 * first 2,048 packets are kept as they came, and past 4,096 the second
 * half becomes an evenly spread sample of the rest (each time it fills,
 * every other entry is dropped and the stride doubles, as ProbeSample
 * does), so a scan of millions of probes keeps its start whole and its
 * shape over its whole duration in 32 KiB. Growth past the first eight
 * entries is drawn from the memory budget; when it refuses, the index
 * samples within what it has. `seen - kept` counts what was left out.
 * Entries are ordinal * 4 + role, exact in a double.
 */
export class PacketIndex {
  private entries = new Float64Array(INLINE);
  /** Entries kept. */
  kept = 0;
  /** Packets added, kept or not. */
  seen = 0;
  private stride = 1;
  private skip = 0;
  /** Bytes drawn from the budget. */
  private charged = 0;
  /** Its detection ended: later packets are not its own. */
  frozen = false;

  constructor(private readonly budget: MemoryBudget) {}

  /** Adds packet `ordinal` (-1: none, ignored) in role `role` (PacketRole). */
  add(ordinal: number, role: number): void {
    if (ordinal < 0 || this.frozen) return;
    this.seen++;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    if (this.kept === this.entries.length && !this.grow()) this.thin();
    this.entries[this.kept++] = ordinal * 4 + role;
    if (this.stride > 1) this.skip = this.stride - 1;
  }

  /** Doubles the room, within the capacity and the budget. */
  private grow(): boolean {
    const size = this.entries.length;
    if (size >= PACKET_INDEX_CAPACITY) return false;
    const next = Math.min(PACKET_INDEX_CAPACITY, size * 2);
    if (!this.budget.acquire(next * 8 - this.charged)) return false;
    this.charged = next * 8;
    const grown = new Float64Array(next);
    grown.set(this.entries);
    this.entries = grown;
    return true;
  }

  /** Full: keeps the head, and every other entry of the rest; later packets are taken at twice the stride. */
  private thin(): void {
    const e = this.entries;
    const head = Math.min(HEAD, e.length >> 1);
    let w = head;
    for (let r = head; r < this.kept; r += 2) e[w++] = e[r]!;
    this.kept = w;
    this.stride *= 2;
  }

  /** Adds what another index kept (a member's packets joining a group's), oldest first. */
  addAll(other: PacketIndex): void {
    const { ordinals, roles } = other.sorted();
    for (let i = 0; i < ordinals.length; i++) this.add(ordinals[i]!, roles[i]!);
  }

  /** The kept packets' ordinals and roles, in input order. */
  sorted(): { ordinals: number[]; roles: number[] } {
    const all = Array.from(this.entries.subarray(0, this.kept)).sort((a, b) => a - b);
    const ordinals: number[] = [];
    const roles: number[] = [];
    let last = -1;
    for (const v of all) {
      const ordinal = Math.floor(v / 4);
      if (ordinal === last) continue; // one packet seen in two roles (a refusal replayed at promotion)
      last = ordinal;
      ordinals.push(ordinal);
      roles.push(v - ordinal * 4);
    }
    return { ordinals, roles };
  }

  /** Forgets every entry and gives the grown room back to the budget. */
  reset(): void {
    if (this.charged > 0) {
      this.budget.release(this.charged);
      this.charged = 0;
      this.entries = new Float64Array(INLINE);
    }
    this.kept = 0;
    this.seen = 0;
    this.stride = 1;
    this.skip = 0;
    this.frozen = false;
  }
}
