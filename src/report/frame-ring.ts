/**
 * The last frames the live sensor saw, for `live --extract`: a ring of
 * frame bytes bounded by size, and an index of them by their number (the
 * engine's ordinal), oldest overwritten first. When a scan ends, its
 * packets (the engine's packet index) are looked up here; those older
 * than the ring are counted as aged out, never guessed.
 *
 * Cost per frame: one copy of the captured bytes and six typed-array
 * writes; nothing is allocated.
 */
const HEADER_WORDS = 6;
/** Index slots per MiB of ring: more than the smallest frames (60 bytes) could fill. */
const SLOTS_PER_MIB = 1 << 14;

export class FrameRing {
  private readonly bytes: Buffer;
  /** Per slot: ordinal, byte offset, captured length, wire length, seconds, nanoseconds. */
  private readonly index: Float64Array;
  private readonly linkTypes: Int32Array;
  private readonly slots: number;
  /** Next slot to write, and how many hold a frame. */
  private head = 0;
  private count = 0;
  /** Next byte offset to write. */
  private writeAt = 0;
  /** Frames overwritten to make room. */
  overwritten = 0;

  constructor(readonly capacityBytes: number) {
    this.bytes = Buffer.allocUnsafe(capacityBytes);
    this.slots = Math.max(1024, Math.ceil((capacityBytes / 1048576) * SLOTS_PER_MIB));
    this.index = new Float64Array(this.slots * HEADER_WORDS);
    this.linkTypes = new Int32Array(this.slots);
  }

  /** Keeps frame `ordinal`; a frame larger than the ring is not kept. */
  add(ordinal: number, linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    if (capLen > this.capacityBytes) return;
    let at = this.writeAt;
    if (at + capLen > this.capacityBytes) at = 0; // frames are never split across the end
    // Free the slots whose bytes the new frame overwrites (the oldest first).
    while (this.count > 0) {
      const oldest = (this.head - this.count + this.slots) % this.slots;
      const o = oldest * HEADER_WORDS;
      const start = this.index[o + 1]!;
      const end = start + this.index[o + 2]!;
      const overlaps = this.count === this.slots || (start < at + capLen && end > at) || (at === 0 && this.writeAt !== 0 && start >= this.writeAt);
      if (!overlaps) break;
      this.count--;
      this.overwritten++;
    }
    data.copy(this.bytes, at, offset, offset + capLen);
    const o = this.head * HEADER_WORDS;
    this.index[o] = ordinal;
    this.index[o + 1] = at;
    this.index[o + 2] = capLen;
    this.index[o + 3] = wireLen;
    this.index[o + 4] = tsSec;
    this.index[o + 5] = tsNsec;
    this.linkTypes[this.head] = linkType;
    this.head = (this.head + 1) % this.slots;
    this.count++;
    this.writeAt = at + capLen;
  }

  /** The oldest frame number still held (Infinity when empty). */
  get oldestOrdinal(): number {
    if (this.count === 0) return Infinity;
    return this.index[((this.head - this.count + this.slots) % this.slots) * HEADER_WORDS]!;
  }

  /**
   * Calls `take` with frame `ordinal`'s bytes (a view, valid during the call)
   * and returns true; false when the ring no longer holds it.
   */
  find(ordinal: number, take: (linkType: number, data: Buffer, capLen: number, wireLen: number, tsSec: number, tsNsec: number) => void): boolean {
    // Ordinals rise with the slots: a binary search over the held ones, oldest first.
    let lo = 0;
    let hi = this.count - 1;
    const first = (this.head - this.count + this.slots) % this.slots;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const slot = (first + mid) % this.slots;
      const o = slot * HEADER_WORDS;
      const v = this.index[o]!;
      if (v === ordinal) {
        const at = this.index[o + 1]!;
        const cap = this.index[o + 2]!;
        take(this.linkTypes[slot]!, this.bytes.subarray(at, at + cap), cap, this.index[o + 3]!, this.index[o + 4]!, this.index[o + 5]!);
        return true;
      }
      if (v < ordinal) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
