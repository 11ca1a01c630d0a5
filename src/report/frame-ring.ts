/**
 * The last frames the live sensor saw, for `live --extract`: a ring of
 * frame bytes bounded by size, and an index of them by their number (the
 * engine's ordinal), oldest overwritten first. When a scan ends, its
 * packets (the engine's packet index) are looked up here; those older
 * than the ring are counted as aged out, never guessed.
 *
 * Each frame is stored as a 20-byte header (seconds, nanoseconds, captured
 * and wire length, link type) and its bytes; the index holds its ordinal
 * and offset (12 bytes a slot, one slot per 128 bytes of ring: a flood of
 * minimum-size frames fills the slots first and shortens the history, it
 * never grows the memory). Cost per frame: one copy and five writes;
 * nothing is allocated.
 */
const HEADER_BYTES = 20;
/** Ring bytes per index slot: the average frame the index is sized for. */
const BYTES_PER_SLOT = 128;

export class FrameRing {
  private readonly bytes: Buffer;
  private readonly ordinals: Float64Array;
  private readonly offsets: Int32Array;
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
    this.slots = Math.max(1024, Math.ceil(capacityBytes / BYTES_PER_SLOT));
    this.ordinals = new Float64Array(this.slots);
    this.offsets = new Int32Array(this.slots);
  }

  private oldestSlot(): number {
    return (this.head - this.count + this.slots) % this.slots;
  }

  /** Keeps frame `ordinal`; a frame larger than the ring is not kept. */
  add(ordinal: number, linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    const size = HEADER_BYTES + capLen;
    if (size > this.capacityBytes) return;
    let at = this.writeAt;
    const wraps = at + size > this.capacityBytes;
    if (wraps) at = 0; // a frame is never split across the end
    // Free the frames the new one overwrites, oldest first: those in the
    // tail skipped by a wrap, then those under [at, at + size); and the
    // oldest when every slot is taken.
    while (this.count > 0) {
      const oldest = this.oldestSlot();
      const start = this.offsets[oldest]!;
      const skipped = wraps && start >= this.writeAt;
      const under = start < at + size && start + HEADER_BYTES + this.bytes.readUInt32LE(start + 8) > at;
      if (!(this.count === this.slots || skipped || under)) break;
      this.count--;
      this.overwritten++;
    }
    const b = this.bytes;
    b.writeUInt32LE(tsSec >>> 0, at);
    b.writeUInt32LE(tsNsec >>> 0, at + 4);
    b.writeUInt32LE(capLen, at + 8);
    b.writeUInt32LE(wireLen >>> 0, at + 12);
    b.writeUInt32LE(linkType >>> 0, at + 16);
    data.copy(b, at + HEADER_BYTES, offset, offset + capLen);
    this.ordinals[this.head] = ordinal;
    this.offsets[this.head] = at;
    this.head = (this.head + 1) % this.slots;
    this.count++;
    this.writeAt = at + size;
  }

  /** The oldest frame number still held (Infinity when empty). */
  get oldestOrdinal(): number {
    return this.count === 0 ? Infinity : this.ordinals[this.oldestSlot()]!;
  }

  /**
   * Calls `take` with frame `ordinal`'s bytes (a view, valid during the call)
   * and returns true; false when the ring no longer holds it.
   */
  find(ordinal: number, take: (linkType: number, data: Buffer, capLen: number, wireLen: number, tsSec: number, tsNsec: number) => void): boolean {
    // Ordinals rise with the slots: a binary search over the held ones, oldest first.
    let lo = 0;
    let hi = this.count - 1;
    const first = this.oldestSlot();
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const slot = (first + mid) % this.slots;
      const v = this.ordinals[slot]!;
      if (v === ordinal) {
        const b = this.bytes;
        const at = this.offsets[slot]!;
        const cap = b.readUInt32LE(at + 8);
        take(b.readUInt32LE(at + 16), b.subarray(at + HEADER_BYTES, at + HEADER_BYTES + cap), cap, b.readUInt32LE(at + 12), b.readUInt32LE(at), b.readUInt32LE(at + 4));
        return true;
      }
      if (v < ordinal) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}
