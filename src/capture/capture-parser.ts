/**
 * Incremental, allocation-free reader for classic pcap and pcapng capture
 * files.
 *
 * Bytes are fed in (either copied in with `push`, or read straight into the
 * parser's own buffer with `prepareWrite` + `commit`), and every complete
 * frame is handed to `PacketSink.onPacket` as an (offset, length) window on
 * that same buffer. Nothing is allocated per packet. The buffer is reused:
 * after each batch of records the unparsed tail (at most one partial record)
 * is moved to the front with `copyWithin`, and the buffer only grows when a
 * single record does not fit, up to a hard limit. Memory therefore does not
 * depend on the file size.
 *
 * Formats, with the spec sections relied on:
 *
 * - Classic pcap: draft-ietf-opsawg-pcap ("PCAP Capture File Format") and
 *   tcpdump.org's pcap-savefile(5). 24-byte file header (magic, version,
 *   reserved/thiszone, reserved/sigfigs, SnapLen, LinkType+FCS), then records
 *   of a 16-byte header (seconds, micro- or nanoseconds, captured length,
 *   original length) followed by the captured bytes. The magic 0xA1B2C3D4
 *   means microsecond and 0xA1B23C4D nanosecond timestamps; reading it in the
 *   "wrong" byte order tells that the file was written big-endian (or
 *   little-endian). In the LinkType field only the low 16 bits are the link
 *   type; bits 26-31 carry the FCS length information and are masked off.
 *
 * - pcapng: draft-ietf-opsawg-pcapng ("PCAP Next Generation (pcapng) Capture
 *   File Format"). Every block is: Block Type (32), Block Total Length (32),
 *   body, Block Total Length again; the total length is a multiple of 4.
 *   Section Header Block (type 0x0A0D0D0A) carries the byte-order magic
 *   0x1A2B3C4D; each section has its own byte order and its own list of
 *   interfaces. Interface Description Block (type 1): LinkType (16),
 *   reserved (16), SnapLen (32), options; if_tsresol (code 9, one byte: MSB
 *   clear = 10^-n, MSB set = 2^-n, default 10^-6) and if_tsoffset (code 14,
 *   64-bit signed seconds added to every timestamp). Enhanced Packet Block
 *   (type 6): Interface ID (32), Timestamp upper/lower (32 each), Captured
 *   Packet Length, Original Packet Length, data padded to 32 bits, options.
 *   Simple Packet Block (type 3): Original Packet Length, data; it belongs
 *   to interface 0 and has no timestamp. Obsolete Packet Block (type 2):
 *   Interface ID (16), Drops Count (16), then as the EPB. All other blocks
 *   are skipped by their length.
 */
import { LinkType, type PacketSink } from './types.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** Largest captured packet accepted (a record claiming more is corrupt). */
export const MAX_PACKET_BYTES = 256 * 1024 * 1024;
/** Room for the record/block header and options around the packet data. */
const RECORD_OVERHEAD_BYTES = 64 * 1024;
/** Default size of the parser's reusable buffer. */
export const DEFAULT_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * Classic pcap: a record is corrupt if its captured length exceeds
 * max(SnapLen, this) (or MAX_PACKET_BYTES). 262144 is libpcap's largest
 * default snapshot length.
 */
const PCAP_MIN_CAPLEN_LIMIT = 262144;

const PCAP_FILE_HEADER = 24;
const PCAP_RECORD_HEADER = 16;

// pcapng block types (draft-ietf-opsawg-pcapng, "Block Type Codes").
const NG_SHB = 0x0a0d0d0a;
const NG_IDB = 0x00000001;
const NG_PB = 0x00000002; // obsolete Packet Block
const NG_SPB = 0x00000003;
const NG_EPB = 0x00000006;
const NG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const NG_OPT_ENDOFOPT = 0;
const NG_OPT_IF_TSRESOL = 9;
const NG_OPT_IF_TSOFFSET = 14;

const TWO_POW_32 = 4294967296;
/**
 * The largest |time| in seconds a JavaScript Date can hold (ECMA-262
 * 21.4.1.1: +-8.64e15 ms), less one second for the nanoseconds. A packet
 * stamped outside it (a flipped high bit, if_tsresol 0, an if_tsoffset near
 * +-2^62) cannot be placed in time: it is counted and skipped, like any
 * other frame that does not decode, and the rest of the capture stands.
 */
export const MAX_TIME_SECONDS = 8.64e12 - 1;
/** Timestamps with upper word below this have fewer than 53 bits. */
const TWO_POW_21 = 0x200000;

// Parser states.
const S_MAGIC = 0;
const S_PCAP_HEADER = 1;
const S_PCAP = 2;
const S_PCAPNG = 3;
const S_FAILED = 4;

// Timestamp conversion kinds for pcapng interfaces.
/** 10^-n seconds per tick, n <= 9: plain double arithmetic, never BigInt. */
const TS_DEC = 0;
/** 2^-n seconds per tick, n <= 32: exact with doubles, never BigInt. */
const TS_POW2 = 1;
/** Anything finer (10^-n, n > 9; 2^-n, n > 32): BigInt, rare. */
const TS_BIG = 2;

export interface CaptureParserOptions {
  /** Initial size of the reusable buffer in bytes (default 4 MiB). */
  bufferSize?: number;
  /**
   * Largest captured packet accepted, in bytes (default 256 MiB). A record
   * or block claiming more is reported as corrupt. The buffer never grows
   * beyond this plus a small allowance for headers.
   */
  maxPacketBytes?: number;
}

export interface CaptureFailure {
  /** NOT_CAPTURE: not a capture file at all. CORRUPT: a bad record. */
  kind: 'NOT_CAPTURE' | 'CORRUPT';
  /** Byte offset in the input of the offending record (0 for NOT_CAPTURE). */
  offset: number;
  /**
   * One line, without a file name: "not a pcap or pcapng capture (first
   * bytes 0x...)", "not a pcap or pcapng capture (empty file)" or "corrupt
   * record at byte N: reason".
   */
  message: string;
}

export interface CaptureParseSummary {
  /** null only when the input was not recognised as a capture. */
  format: CaptureFormat | null;
  /** Frames delivered to the sink. */
  packets: number;
  /** Frames not delivered because no Date can hold their time (see MAX_TIME_SECONDS). */
  badTimestamps: number;
  /** Sum of wire lengths of the delivered frames. */
  bytes: number;
  /** Sum of captured lengths of the delivered frames. */
  capturedBytes: number;
  /** Distinct link types of the delivered frames, in order of first use. */
  linkTypes: number[];
  /**
   * Timestamp of the first and of the last timestamped frame in file order,
   * in seconds (float). Simple Packet Blocks carry no timestamp and are not
   * counted here. null when no timestamped frame was delivered.
   */
  firstTs: number | null;
  lastTs: number | null;
  /**
   * Earliest and latest frame time in seconds (float), whatever the file
   * order (Simple Packet Blocks count with their section's last time);
   * null when no frame was delivered.
   */
  minTs: number | null;
  maxTs: number | null;
  /** Frames older than the frame before them (time running backwards in the file). */
  backwards: number;
  /** The input ended inside a record (or inside the file header). */
  truncated: boolean;
  /** Byte offset where the incomplete record starts, when truncated. */
  truncatedAt: number | null;
  /** Why parsing stopped early, or null. */
  failure: CaptureFailure | null;
}

function hex(buf: Buffer, start: number, end: number): string {
  return buf.toString('hex', start, end);
}

/**
 * Streaming pcap/pcapng parser. Feed it with `push(chunk)` (copies), or
 * read directly into its buffer:
 *
 *     const room = parser.prepareWrite();
 *     const n = fs.readSync(fd, parser.buffer, parser.writeOffset, room, null);
 *     if (n === 0 || !parser.commit(n)) ...stop...
 *
 * then call `finish()` at end of input.
 */
export class CaptureParser {
  private readonly sink: PacketSink;
  private readonly maxPacket: number;
  private readonly maxBuffer: number;

  private buf: Buffer;
  /** Start of unparsed data in buf. */
  private pos = 0;
  /** End of valid data in buf. */
  private end = 0;
  /** Input offset of buf[0]. */
  private base = 0;
  private state = S_MAGIC;
  private failure: CaptureFailure | null = null;
  private fmt: CaptureFormat | null = null;
  /** Byte order of the file (pcap) or of the current section (pcapng). */
  private le = true;

  // Classic pcap.
  private nano = false;
  private pcapLink = 0;
  private pcapMaxCap = 0;

  // pcapng: interfaces of the current section, one entry per IDB.
  private ifLink: number[] = [];
  private ifSnap: number[] = [];
  private ifKind: number[] = [];
  /** TS_DEC: ticks per second; TS_POW2/TS_BIG: exponent n. */
  private ifDiv: number[] = [];
  /** TS_DEC: nanoseconds per tick; TS_BIG: 1 for 2^-n, 0 for 10^-n. */
  private ifMul: number[] = [];
  /** if_tsoffset in seconds. */
  private ifOff: number[] = [];
  /** Last timestamp of the current section, for Simple Packet Blocks. */
  private secTsSec = 0;
  private secTsNsec = 0;
  /** Output of the slow timestamp conversion. */
  private tsSec = 0;
  private tsNsec = 0;

  // Statistics.
  private packets = 0;
  /** Packets skipped because their time is outside MAX_TIME_SECONDS. */
  private badTimestamps = 0;
  private bytes = 0;
  private capturedBytes = 0;
  private linkTypes: number[] = [];
  private lastLink = -1;
  private hasTs = false;
  private firstSec = 0;
  private firstNsec = 0;
  private lastSec = 0;
  private lastNsec = 0;
  /** Frame times as analysed (sec + nsec * 1e-9): extremes, the previous one, frames older than it. */
  private minTs = Infinity;
  private maxTs = -Infinity;
  private prevTs = -Infinity;
  private backwards = 0;

  constructor(sink: PacketSink, options: CaptureParserOptions = {}) {
    this.sink = sink;
    const maxPacket = options.maxPacketBytes ?? MAX_PACKET_BYTES;
    if (!(maxPacket >= 1 && maxPacket <= MAX_PACKET_BYTES)) {
      throw new RangeError(`maxPacketBytes must be between 1 and ${MAX_PACKET_BYTES}`);
    }
    this.maxPacket = Math.floor(maxPacket);
    this.maxBuffer = this.maxPacket + RECORD_OVERHEAD_BYTES;
    const size = Math.floor(options.bufferSize ?? DEFAULT_BUFFER_BYTES);
    if (!(size >= 1)) throw new RangeError('bufferSize must be at least 1');
    this.buf = Buffer.allocUnsafe(Math.min(size, this.maxBuffer));
  }

  /** The parser's buffer; may be replaced by `prepareWrite` when it grows. */
  get buffer(): Buffer {
    return this.buf;
  }

  /** Where the next bytes must be written into `buffer`. */
  get writeOffset(): number {
    return this.end;
  }

  /** The format, once the first bytes have been seen. */
  get format(): CaptureFormat | null {
    return this.fmt;
  }

  /** True once parsing has stopped because of a failure. */
  get failed(): boolean {
    return this.state === S_FAILED;
  }

  /** Frames delivered so far. */
  get packetCount(): number {
    return this.packets;
  }

  /** Number of input bytes seen so far. */
  get inputBytes(): number {
    return this.base + this.end;
  }

  /**
   * Makes room at the end of the buffer and returns how many bytes may be
   * written at `writeOffset`. The unparsed tail (at most one partial
   * record) is moved to the front; the buffer grows (doubling, up to the
   * limit) only when one record fills it entirely.
   */
  prepareWrite(): number {
    if (this.pos > 0) this.compact();
    if (this.end === this.buf.length) this.grow();
    return this.buf.length - this.end;
  }

  /**
   * Declares that `n` bytes were written at `writeOffset` and parses them.
   * Returns false once parsing has stopped (failure): stop feeding then.
   */
  commit(n: number): boolean {
    if (!(n >= 0 && this.end + n <= this.buf.length)) {
      throw new RangeError('commit: byte count outside the writable region');
    }
    this.end += n;
    if (this.state !== S_FAILED) this.run();
    return this.state !== S_FAILED;
  }

  /**
   * Copies `chunk` into the buffer and parses it. Returns false once
   * parsing has stopped (failure): stop feeding then.
   */
  push(chunk: Uint8Array): boolean {
    let off = 0;
    const len = chunk.length;
    while (off < len && this.state !== S_FAILED) {
      let room = this.buf.length - this.end;
      if (room === 0) room = this.prepareWrite();
      const n = len - off < room ? len - off : room;
      this.buf.set(off === 0 && n === len ? chunk : chunk.subarray(off, off + n), this.end);
      off += n;
      this.end += n;
      this.run();
    }
    return this.state !== S_FAILED;
  }

  /** A pcapng frame's time into the time statistics (the pcap loop keeps them in locals). */
  private frameTime(sec: number, nsec: number): void {
    const t = sec + nsec * 1e-9;
    if (t < this.prevTs) this.backwards++;
    this.prevTs = t;
    if (t < this.minTs) this.minTs = t;
    if (t > this.maxTs) this.maxTs = t;
  }

  /** Ends the input and returns what was read. */
  finish(): CaptureParseSummary {
    // Parse what is buffered but not yet parsed (only possible when the
    // sink threw during an earlier call).
    if (this.state !== S_FAILED) this.run();
    let truncated = false;
    let truncatedAt: number | null = null;
    if (this.state === S_MAGIC) {
      if (this.end - this.pos === 0) {
        this.fail('NOT_CAPTURE', 0, 'not a pcap or pcapng capture (empty file)');
      } else {
        this.failNotCapture();
      }
    } else if (this.state !== S_FAILED && this.end > this.pos) {
      truncated = true;
      truncatedAt = this.base + this.pos;
    }
    const hasTs = this.hasTs;
    return {
      format: this.fmt,
      packets: this.packets,
      badTimestamps: this.badTimestamps,
      bytes: this.bytes,
      capturedBytes: this.capturedBytes,
      linkTypes: this.linkTypes.slice(),
      firstTs: hasTs ? this.firstSec + this.firstNsec / 1e9 : null,
      lastTs: hasTs ? this.lastSec + this.lastNsec / 1e9 : null,
      minTs: this.minTs <= this.maxTs ? this.minTs : null,
      maxTs: this.minTs <= this.maxTs ? this.maxTs : null,
      backwards: this.backwards,
      truncated,
      truncatedAt,
      failure: this.failure,
    };
  }

  // ---------------------------------------------------------------------
  // Buffer management

  private compact(): void {
    const pos = this.pos;
    if (pos < this.end) this.buf.copyWithin(0, pos, this.end);
    this.base += pos;
    this.end -= pos;
    this.pos = 0;
  }

  private grow(): void {
    const old = this.buf;
    if (old.length >= this.maxBuffer) {
      // Cannot happen for valid records (their size is checked against the
      // limit before waiting for their bytes); guard anyway.
      this.fail('CORRUPT', this.base + this.pos, `corrupt record at byte ${this.base + this.pos}: record larger than ${this.maxBuffer} bytes`);
      return;
    }
    const size = Math.min(Math.max(old.length * 2, 64), this.maxBuffer);
    const next = Buffer.allocUnsafe(size);
    old.copy(next, 0, 0, this.end);
    this.buf = next;
  }

  // ---------------------------------------------------------------------
  // Failures

  private fail(kind: CaptureFailure['kind'], offset: number, message: string): void {
    this.failure = { kind, offset, message };
    this.state = S_FAILED;
  }

  private corrupt(pos: number, reason: string): void {
    const at = this.base + pos;
    this.fail('CORRUPT', at, `corrupt record at byte ${at}: ${reason}`);
  }

  private failNotCapture(extra = ''): void {
    const n = Math.min(4, this.end - this.pos);
    const first = hex(this.buf, this.pos, this.pos + n);
    let message = `not a pcap or pcapng capture (first bytes 0x${first}${extra})`;
    if (first.startsWith('1f8b')) message += '; it looks gzip-compressed, decompress it first';
    this.fail('NOT_CAPTURE', 0, message);
  }

  // ---------------------------------------------------------------------
  // Parsing

  private run(): void {
    for (;;) {
      switch (this.state) {
        case S_MAGIC:
          if (this.end - this.pos < 4) return;
          this.detect();
          break;
        case S_PCAP_HEADER:
          if (this.end - this.pos < PCAP_FILE_HEADER) return;
          this.pcapHeader();
          break;
        case S_PCAP:
          this.runPcap();
          return;
        case S_PCAPNG:
          this.runPcapng();
          return;
        default:
          return;
      }
    }
  }

  private detect(): void {
    const buf = this.buf;
    const p = this.pos;
    const le = buf.readUInt32LE(p);
    const be = buf.readUInt32BE(p);
    if (le === 0xa1b2c3d4 || le === 0xa1b23c4d) {
      this.fmt = 'pcap';
      this.le = true;
      this.nano = le === 0xa1b23c4d;
      this.state = S_PCAP_HEADER;
    } else if (be === 0xa1b2c3d4 || be === 0xa1b23c4d) {
      this.fmt = 'pcap';
      this.le = false;
      this.nano = be === 0xa1b23c4d;
      this.state = S_PCAP_HEADER;
    } else if (le === NG_SHB) {
      // The byte order is read from the Section Header Block itself.
      this.fmt = 'pcapng';
      this.state = S_PCAPNG;
    } else {
      this.failNotCapture();
    }
  }

  private pcapHeader(): void {
    const buf = this.buf;
    const p = this.pos;
    const le = this.le;
    const snaplen = le ? buf.readUInt32LE(p + 16) : buf.readUInt32BE(p + 16);
    const network = le ? buf.readUInt32LE(p + 20) : buf.readUInt32BE(p + 20);
    // LinkType is the low 16 bits; the upper bits may hold the FCS length.
    let link = network & 0xffff;
    // DLT_RAW is 12 on most BSDs and 14 on OpenBSD; files written with the
    // DLT value instead of LINKTYPE_RAW (101) exist.
    if (link === 12 || link === 14) link = LinkType.RAW;
    this.pcapLink = link;
    this.pcapMaxCap = Math.min(this.maxPacket, Math.max(snaplen, PCAP_MIN_CAPLEN_LIMIT));
    this.pos = p + PCAP_FILE_HEADER;
    this.state = S_PCAP;
  }

  /** The classic pcap hot loop. */
  private runPcap(): void {
    const buf = this.buf;
    const end = this.end;
    const sink = this.sink;
    const link = this.pcapLink;
    const le = this.le;
    const nano = this.nano;
    const maxCap = this.pcapMaxCap;
    let pos = this.pos;
    let packets = this.packets;
    let bytes = this.bytes;
    let capBytes = this.capturedBytes;
    let lastSec = this.lastSec;
    let lastNsec = this.lastNsec;
    let minTs = this.minTs;
    let maxTs = this.maxTs;
    let prevTs = this.prevTs;
    let backwards = this.backwards;
    try {
      while (end - pos >= PCAP_RECORD_HEADER) {
        let sec: number;
        let frac: number;
        let cap: number;
        let wire: number;
        if (le) {
          // Byte-wise reads: Buffer#readUInt32LE validates its offset on every call,
          // which costs more than the read itself on this path.
          sec = (buf[pos]! | (buf[pos + 1]! << 8) | (buf[pos + 2]! << 16) | (buf[pos + 3]! << 24)) >>> 0;
          frac = (buf[pos + 4]! | (buf[pos + 5]! << 8) | (buf[pos + 6]! << 16) | (buf[pos + 7]! << 24)) >>> 0;
          cap = (buf[pos + 8]! | (buf[pos + 9]! << 8) | (buf[pos + 10]! << 16) | (buf[pos + 11]! << 24)) >>> 0;
          wire = (buf[pos + 12]! | (buf[pos + 13]! << 8) | (buf[pos + 14]! << 16) | (buf[pos + 15]! << 24)) >>> 0;
        } else {
          sec = buf.readUInt32BE(pos);
          frac = buf.readUInt32BE(pos + 4);
          cap = buf.readUInt32BE(pos + 8);
          wire = buf.readUInt32BE(pos + 12);
        }
        if (cap > maxCap) {
          this.corrupt(pos, `captured length ${cap} exceeds the maximum of ${maxCap}`);
          return;
        }
        const data = pos + PCAP_RECORD_HEADER;
        const next = data + cap;
        if (next > end) break;
        let nsec: number;
        if (nano) {
          if (frac >= 1000000000) {
            sec += Math.floor(frac / 1000000000);
            frac %= 1000000000;
          }
          nsec = frac;
        } else {
          if (frac >= 1000000) {
            sec += Math.floor(frac / 1000000);
            frac %= 1000000;
          }
          nsec = frac * 1000;
        }
        if (wire < cap) wire = cap;
        if (packets === 0) {
          this.hasTs = true;
          this.firstSec = sec;
          this.firstNsec = nsec;
          this.linkTypes.push(link);
        }
        packets++;
        bytes += wire;
        capBytes += cap;
        lastSec = sec;
        lastNsec = nsec;
        const t = sec + nsec * 1e-9;
        if (t < prevTs) backwards++;
        prevTs = t;
        if (t < minTs) minTs = t;
        if (t > maxTs) maxTs = t;
        pos = next;
        sink.onPacket(link, buf, data, cap, wire, sec, nsec);
      }
    } finally {
      this.pos = pos;
      this.packets = packets;
      this.bytes = bytes;
      this.capturedBytes = capBytes;
      this.lastSec = lastSec;
      this.lastNsec = lastNsec;
      this.minTs = minTs;
      this.maxTs = maxTs;
      this.prevTs = prevTs;
      this.backwards = backwards;
    }
  }

  /** The pcapng block loop. */
  private runPcapng(): void {
    const buf = this.buf;
    const end = this.end;
    const sink = this.sink;
    const maxBlock = this.maxBuffer;
    let le = this.le;
    let pos = this.pos;
    let packets = this.packets;
    let bytes = this.bytes;
    let capBytes = this.capturedBytes;
    let lastSec = this.lastSec;
    let lastNsec = this.lastNsec;
    let secSec = this.secTsSec;
    let secNsec = this.secTsNsec;
    let lastLink = this.lastLink;
    // Interface tables are replaced (not mutated) by a Section Header Block.
    let ifLink = this.ifLink;
    let ifKind = this.ifKind;
    let ifDiv = this.ifDiv;
    let ifMul = this.ifMul;
    let ifOff = this.ifOff;
    try {
      while (end - pos >= 8) {
        const type = le ? buf.readUInt32LE(pos) : buf.readUInt32BE(pos);
        if (type === NG_SHB) {
          // The byte order of the new section comes from its byte-order
          // magic, which follows the Block Total Length.
          if (end - pos < 12) break;
          if (buf.readUInt32LE(pos + 8) === NG_BYTE_ORDER_MAGIC) le = true;
          else if (buf.readUInt32BE(pos + 8) === NG_BYTE_ORDER_MAGIC) le = false;
          else {
            if (this.base + pos === 0) {
              this.failNotCapture(`, byte-order magic 0x${hex(buf, pos + 8, pos + 12)}`);
            } else {
              this.corrupt(pos, `section header block has a bad byte-order magic 0x${hex(buf, pos + 8, pos + 12)}`);
            }
            return;
          }
          this.le = le;
        }
        const len = le ? buf.readUInt32LE(pos + 4) : buf.readUInt32BE(pos + 4);
        if (len < 12) {
          this.corrupt(pos, `block length ${len} is smaller than the minimum of 12`);
          return;
        }
        if ((len & 3) !== 0) {
          this.corrupt(pos, `block length ${len} is not a multiple of 4`);
          return;
        }
        if (len > maxBlock) {
          this.corrupt(pos, `block length ${len} exceeds the maximum of ${maxBlock}`);
          return;
        }
        const next = pos + len;
        if (next > end) break;
        const trailer = le ? buf.readUInt32LE(next - 4) : buf.readUInt32BE(next - 4);
        if (trailer !== len) {
          this.corrupt(pos, `block trailer length ${trailer} does not match header length ${len}`);
          return;
        }

        if (type === NG_EPB || type === NG_PB) {
          // EPB: interface id (32); obsolete PB: interface id (16) + drops (16).
          if (len < 32) {
            this.corrupt(pos, `packet block length ${len} is smaller than the minimum of 32`);
            return;
          }
          let id: number;
          let hi: number;
          let lo: number;
          let cap: number;
          let wire: number;
          if (le) {
            id = type === NG_EPB ? buf.readUInt32LE(pos + 8) : buf.readUInt16LE(pos + 8);
            hi = buf.readUInt32LE(pos + 12);
            lo = buf.readUInt32LE(pos + 16);
            cap = buf.readUInt32LE(pos + 20);
            wire = buf.readUInt32LE(pos + 24);
          } else {
            id = type === NG_EPB ? buf.readUInt32BE(pos + 8) : buf.readUInt16BE(pos + 8);
            hi = buf.readUInt32BE(pos + 12);
            lo = buf.readUInt32BE(pos + 16);
            cap = buf.readUInt32BE(pos + 20);
            wire = buf.readUInt32BE(pos + 24);
          }
          if (id >= ifLink.length) {
            this.corrupt(pos, `packet block refers to interface ${id}, but the section has ${ifLink.length} interface${ifLink.length === 1 ? '' : 's'}`);
            return;
          }
          if (cap > len - 32) {
            this.corrupt(pos, `captured length ${cap} exceeds the block's data area of ${len - 32} bytes`);
            return;
          }
          let sec: number;
          let nsec: number;
          if (ifKind[id] === TS_DEC && hi < TWO_POW_21) {
            // Fewer than 53 bits: the tick count is an exact double. The
            // floor of the rounded quotient can be one too high; the
            // remainder check corrects it, so the split is exact.
            const div = ifDiv[id]!;
            const ticks = hi * TWO_POW_32 + lo;
            sec = Math.floor(ticks / div);
            let rem = ticks - sec * div;
            if (rem < 0) {
              sec--;
              rem += div;
            }
            nsec = rem * ifMul[id]!;
            sec += ifOff[id]!;
          } else {
            this.slowTimestamp(id, hi, lo);
            sec = this.tsSec;
            nsec = this.tsNsec;
          }
          if (sec > MAX_TIME_SECONDS || sec < -MAX_TIME_SECONDS) {
            this.badTimestamps++;
            pos = next;
            sink.onBadTimestamp?.(wire < cap ? cap : wire);
            continue;
          }
          const link = ifLink[id]!;
          if (link !== lastLink) {
            lastLink = link;
            if (!this.linkTypes.includes(link)) this.linkTypes.push(link);
          }
          if (wire < cap) wire = cap;
          if (!this.hasTs) {
            this.hasTs = true;
            this.firstSec = sec;
            this.firstNsec = nsec;
          }
          packets++;
          bytes += wire;
          capBytes += cap;
          lastSec = secSec = sec;
          lastNsec = secNsec = nsec;
          this.frameTime(sec, nsec);
          pos = next;
          sink.onPacket(link, buf, pos - len + 28, cap, wire, sec, nsec);
          continue;
        }

        if (type === NG_SPB) {
          if (len < 16) {
            this.corrupt(pos, `simple packet block length ${len} is smaller than the minimum of 16`);
            return;
          }
          if (ifLink.length === 0) {
            this.corrupt(pos, 'simple packet block before any interface description block');
            return;
          }
          let wire = le ? buf.readUInt32LE(pos + 8) : buf.readUInt32BE(pos + 8);
          // Captured length: the original length, cut by the snapshot
          // length of interface 0 (if any) and by the block size.
          let cap = len - 16;
          if (wire < cap) cap = wire;
          const snap = this.ifSnap[0]!;
          if (snap !== 0 && snap < cap) cap = snap;
          if (wire < cap) wire = cap;
          const link = ifLink[0]!;
          if (link !== lastLink) {
            lastLink = link;
            if (!this.linkTypes.includes(link)) this.linkTypes.push(link);
          }
          packets++;
          bytes += wire;
          capBytes += cap;
          this.frameTime(secSec, secNsec);
          pos = next;
          sink.onPacket(link, buf, pos - len + 12, cap, wire, secSec, secNsec);
          continue;
        }

        if (type === NG_SHB) {
          // Body: byte-order magic (32), major (16), minor (16), section
          // length (64), options.
          if (len < 28) {
            this.corrupt(pos, `section header block length ${len} is smaller than the minimum of 28`);
            return;
          }
          const major = le ? buf.readUInt16LE(pos + 12) : buf.readUInt16BE(pos + 12);
          if (major !== 1) {
            const minor = le ? buf.readUInt16LE(pos + 14) : buf.readUInt16BE(pos + 14);
            this.corrupt(pos, `unsupported pcapng version ${major}.${minor}`);
            return;
          }
          // A new section forgets the interfaces of the previous one.
          this.ifLink = ifLink = [];
          this.ifSnap = [];
          this.ifKind = ifKind = [];
          this.ifDiv = ifDiv = [];
          this.ifMul = ifMul = [];
          this.ifOff = ifOff = [];
          secSec = 0;
          secNsec = 0;
          pos = next;
          continue;
        }

        if (type === NG_IDB) {
          if (len < 20) {
            this.corrupt(pos, `interface description block length ${len} is smaller than the minimum of 20`);
            return;
          }
          this.interfaceBlock(pos, len);
          pos = next;
          continue;
        }

        // Any other block (name resolution, interface statistics, custom,
        // decryption secrets, systemd journal, unknown): skip it.
        pos = next;
      }
    } finally {
      this.pos = pos;
      this.packets = packets;
      this.bytes = bytes;
      this.capturedBytes = capBytes;
      this.lastSec = lastSec;
      this.lastNsec = lastNsec;
      this.secTsSec = secSec;
      this.secTsNsec = secNsec;
      this.lastLink = lastLink;
    }
  }

  /** Interface Description Block: link type, snaplen, if_tsresol, if_tsoffset. */
  private interfaceBlock(pos: number, len: number): void {
    const buf = this.buf;
    const le = this.le;
    const link = le ? buf.readUInt16LE(pos + 8) : buf.readUInt16BE(pos + 8);
    const snap = le ? buf.readUInt32LE(pos + 12) : buf.readUInt32BE(pos + 12);
    let tsresol = 6; // default: 10^-6
    let tsoffset = 0;
    // Options: code (16), length (16), value padded to 32 bits. A malformed
    // option list ends option parsing; the interface is still usable.
    let o = pos + 16;
    const oend = pos + len - 4;
    while (oend - o >= 4) {
      const code = le ? buf.readUInt16LE(o) : buf.readUInt16BE(o);
      const olen = le ? buf.readUInt16LE(o + 2) : buf.readUInt16BE(o + 2);
      if (code === NG_OPT_ENDOFOPT) break;
      const v = o + 4;
      if (olen > oend - v) break;
      if (code === NG_OPT_IF_TSRESOL && olen >= 1) {
        tsresol = buf[v]!;
      } else if (code === NG_OPT_IF_TSOFFSET && olen >= 8) {
        const hi = le ? buf.readInt32LE(v + 4) : buf.readInt32BE(v);
        const lo = le ? buf.readUInt32LE(v) : buf.readUInt32BE(v + 4);
        tsoffset = hi * TWO_POW_32 + lo;
      }
      o = v + ((olen + 3) & ~3);
    }
    let kind: number;
    let div: number;
    let mul: number;
    if ((tsresol & 0x80) === 0) {
      const n = tsresol;
      if (n <= 9) {
        kind = TS_DEC;
        div = 10 ** n;
        mul = 10 ** (9 - n);
      } else {
        kind = TS_BIG;
        div = n;
        mul = 0;
      }
    } else {
      const n = tsresol & 0x7f;
      if (n <= 32) {
        kind = TS_POW2;
        div = n;
        mul = 0;
      } else {
        kind = TS_BIG;
        div = n;
        mul = 1;
      }
    }
    this.ifLink.push(link);
    this.ifSnap.push(snap);
    this.ifKind.push(kind);
    this.ifDiv.push(div);
    this.ifMul.push(mul);
    this.ifOff.push(tsoffset);
  }

  /**
   * Converts a 64-bit tick count (hi:lo) of interface `id` into
   * this.tsSec / this.tsNsec, exactly. Nanoseconds are truncated when the
   * resolution is finer than 1 ns or not a power of ten.
   */
  private slowTimestamp(id: number, hi: number, lo: number): void {
    const kind = this.ifKind[id];
    let sec: number;
    let nsec: number;
    if (kind === TS_DEC) {
      // Long division of hi * 2^32 + lo by div (< 2^30) in 16-bit steps;
      // every intermediate value stays below 2^47, so all of it is exact.
      const div = this.ifDiv[id]!;
      const qh = Math.floor(hi / div);
      let r = hi - qh * div;
      let x = r * 65536 + (lo >>> 16);
      let q1 = Math.floor(x / div);
      r = x - q1 * div;
      if (r < 0) {
        q1--;
        r += div;
      }
      x = r * 65536 + (lo & 0xffff);
      let q2 = Math.floor(x / div);
      r = x - q2 * div;
      if (r < 0) {
        q2--;
        r += div;
      }
      sec = qh * TWO_POW_32 + q1 * 65536 + q2;
      nsec = r * this.ifMul[id]!;
    } else if (kind === TS_POW2) {
      // 2^-n, n <= 32: ticks = hi * 2^32 + lo, so the fraction is the low
      // n bits of lo. frac * 5^9 < 2^53 and 10^9 / 2^n = 5^9 * 2^(9-n).
      const n = this.ifDiv[id]!;
      const p = 2 ** n;
      const loSec = Math.floor(lo / p);
      const frac = lo - loSec * p;
      sec = hi * 2 ** (32 - n) + loSec;
      nsec = n >= 9 ? Math.floor((frac * 1953125) / 2 ** (n - 9)) : frac * 1953125 * 2 ** (9 - n);
    } else {
      // Resolutions finer than 1 ns: values exceed 2^53, use BigInt.
      const n = BigInt(this.ifDiv[id]!);
      const perSec = this.ifMul[id] === 1 ? 1n << n : 10n ** n;
      const ticks = (BigInt(hi) << 32n) | BigInt(lo);
      sec = Number(ticks / perSec);
      nsec = Number(((ticks % perSec) * 1000000000n) / perSec);
    }
    this.tsSec = sec + this.ifOff[id]!;
    this.tsNsec = nsec;
  }
}
