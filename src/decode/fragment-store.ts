/**
 * The bytes of datagrams being reassembled, in a fixed arena of pages.
 *
 * A datagram is at most 64 KiB, but nearly every fragmented probe is a few
 * dozen bytes: a buffer of 64 KiB per datagram would let a few dozen
 * datagrams use all the memory a reassembler can have. Here each datagram
 * maps its byte range onto pages of PAGE_BYTES taken from one shared arena
 * when a fragment first writes into them, so the number of datagrams held
 * is bounded by the pages they really use. The arena is the memory bound:
 * when it has no free page left the caller evicts a datagram (and counts it).
 */

/** Bytes per page: one page holds the headers of any ordinary probe. */
export const PAGE_BYTES = 1024;
/** Largest offset + 1 stored: the 16-bit IP length fields bound a datagram (RFC 791, RFC 8200). */
export const STORE_LIMIT = 65536;
/** Pages one datagram can map. */
export const PAGES_PER_DATAGRAM = STORE_LIMIT / PAGE_BYTES;

const NONE = -1;

export class FragmentStore {
  readonly pageCount: number;
  /** Pages not mapped by any datagram. */
  free: number;
  private readonly arena: Buffer;
  /** Per datagram, PAGES_PER_DATAGRAM page numbers (NONE: not mapped). */
  private readonly map: Int16Array;
  /** Free pages, as a stack. */
  private readonly freeList: Int16Array;

  constructor(datagrams: number, pages: number) {
    // Int16 page numbers keep the map small (128 bytes a datagram).
    if (pages < PAGES_PER_DATAGRAM || pages > 32767) throw new RangeError(`fragment pages must be ${PAGES_PER_DATAGRAM} to 32767`);
    this.pageCount = pages;
    this.free = pages;
    this.arena = Buffer.alloc(pages * PAGE_BYTES);
    this.map = new Int16Array(datagrams * PAGES_PER_DATAGRAM).fill(NONE);
    this.freeList = new Int16Array(pages);
    for (let i = 0; i < pages; i++) this.freeList[i] = pages - 1 - i;
  }

  get bytes(): number {
    return this.arena.length + this.map.length * 2 + this.freeList.length * 2;
  }

  /** Pages a write of `len` bytes at `at` of datagram `d` would have to map. */
  pagesNeeded(d: number, at: number, len: number): number {
    const end = Math.min(at + len, STORE_LIMIT);
    if (end <= at) return 0;
    const base = d * PAGES_PER_DATAGRAM;
    let n = 0;
    for (let p = (at / PAGE_BYTES) | 0, last = ((end - 1) / PAGE_BYTES) | 0; p <= last; p++) if (this.map[base + p] === NONE) n++;
    return n;
  }

  /**
   * Copies buf[off, off + len) to byte `at` of datagram `d`, bytes at or
   * beyond STORE_LIMIT dropped. The caller has made sure pagesNeeded() pages
   * are free.
   */
  write(d: number, at: number, buf: Buffer, off: number, len: number): void {
    const end = Math.min(at + len, STORE_LIMIT);
    const base = d * PAGES_PER_DATAGRAM;
    let pos = at;
    while (pos < end) {
      const p = (pos / PAGE_BYTES) | 0;
      let page = this.map[base + p]!;
      if (page === NONE) {
        page = this.freeList[--this.free]!;
        this.map[base + p] = page;
      }
      const inPage = pos - p * PAGE_BYTES;
      const n = Math.min(end - pos, PAGE_BYTES - inPage);
      buf.copy(this.arena, page * PAGE_BYTES + inPage, off + (pos - at), off + (pos - at) + n);
      pos += n;
    }
  }

  /** Copies the first `len` bytes of datagram `d` to into[at...]; every page of that range is mapped. */
  read(d: number, into: Buffer, at: number, len: number): void {
    const base = d * PAGES_PER_DATAGRAM;
    for (let pos = 0; pos < len; pos += PAGE_BYTES) {
      const page = this.map[base + pos / PAGE_BYTES]!;
      const n = Math.min(len - pos, PAGE_BYTES);
      this.arena.copy(into, at + pos, page * PAGE_BYTES, page * PAGE_BYTES + n);
    }
  }

  /** Unmaps every page of datagram `d`. */
  release(d: number): void {
    const base = d * PAGES_PER_DATAGRAM;
    for (let p = 0; p < PAGES_PER_DATAGRAM; p++) {
      const page = this.map[base + p]!;
      if (page !== NONE) {
        this.freeList[this.free++] = page;
        this.map[base + p] = NONE;
      }
    }
  }
}
