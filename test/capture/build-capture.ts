/**
 * Test helpers: writers for classic pcap and pcapng files, and a sink that
 * records what it receives. Layouts follow draft-ietf-opsawg-pcap /
 * pcap-savefile(5) and draft-ietf-opsawg-pcapng. Not tuned for speed.
 */
import type { PacketSink } from '../../src/capture/types.js';

// ---------------------------------------------------------------------------
// Classic pcap

export interface PcapRecord {
  sec: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  frac: number;
  data: Uint8Array;
  /** Original (wire) length; defaults to data.length. */
  origLen?: number;
  /** Captured length written in the header; defaults to data.length. */
  capLen?: number;
}

export interface PcapOptions {
  /** Byte order (default little-endian). */
  littleEndian?: boolean;
  /** Nanosecond magic 0xA1B23C4D instead of 0xA1B2C3D4. */
  nano?: boolean;
  /** The whole 32-bit LinkType field (default 1 = Ethernet). */
  network?: number;
  snaplen?: number;
}

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}

function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}

function u64(v: bigint, le: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (le) b.writeBigUInt64LE(BigInt.asUintN(64, v));
  else b.writeBigUInt64BE(BigInt.asUintN(64, v));
  return b;
}

function pad4(data: Uint8Array): Buffer {
  const padded = Buffer.alloc((data.length + 3) & ~3);
  padded.set(data);
  return padded;
}

export function pcapHeader(opts: PcapOptions = {}): Buffer {
  const le = opts.littleEndian ?? true;
  return Buffer.concat([
    u32(opts.nano === true ? 0xa1b23c4d : 0xa1b2c3d4, le),
    u16(2, le),
    u16(4, le),
    u32(0, le),
    u32(0, le),
    u32(opts.snaplen ?? 262144, le),
    u32(opts.network ?? 1, le),
  ]);
}

export function pcapRecord(rec: PcapRecord, opts: PcapOptions = {}): Buffer {
  const le = opts.littleEndian ?? true;
  return Buffer.concat([
    u32(rec.sec, le),
    u32(rec.frac, le),
    u32(rec.capLen ?? rec.data.length, le),
    u32(rec.origLen ?? rec.data.length, le),
    Buffer.from(rec.data),
  ]);
}

export function buildPcap(records: PcapRecord[], opts: PcapOptions = {}): Buffer {
  return Buffer.concat([pcapHeader(opts), ...records.map((r) => pcapRecord(r, opts))]);
}

// ---------------------------------------------------------------------------
// pcapng

export interface NgOption {
  code: number;
  value: Uint8Array;
}

export interface IdbOptions {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte: n = 10^-n, 0x80|n = 2^-n. Omitted: no option (10^-6). */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: bigint;
  /** Further options, written before if_tsresol/if_tsoffset. */
  options?: NgOption[];
}

export interface EpbOptions {
  iface?: number;
  /** Timestamp in the interface's ticks. */
  ts: bigint;
  data: Uint8Array;
  origLen?: number;
  /** Captured length written in the block; defaults to data.length. */
  capLen?: number;
  options?: NgOption[];
}

/** Builds a pcapng file block by block. Blocks use the current section's byte order. */
export class PcapngBuilder {
  private readonly parts: Buffer[] = [];
  private le = true;

  private opts(options: NgOption[] | undefined): Buffer {
    if (options === undefined || options.length === 0) return Buffer.alloc(0);
    const le = this.le;
    const out: Buffer[] = [];
    for (const o of options) out.push(u16(o.code, le), u16(o.value.length, le), pad4(o.value));
    out.push(u16(0, le), u16(0, le)); // opt_endofopt
    return Buffer.concat(out);
  }

  /** Appends a block with the given type and body (padded to 32 bits). */
  block(type: number, body: Uint8Array): this {
    const le = this.le;
    const b = pad4(body);
    const len = 12 + b.length;
    this.parts.push(u32(type, le), u32(len, le), b, u32(len, le));
    return this;
  }

  /** Starts a section (Section Header Block) in the given byte order. */
  section(opts: { littleEndian?: boolean; major?: number; minor?: number; options?: NgOption[] } = {}): this {
    this.le = opts.littleEndian ?? true;
    const le = this.le;
    const body = Buffer.concat([
      u32(0x1a2b3c4d, le),
      u16(opts.major ?? 1, le),
      u16(opts.minor ?? 0, le),
      u64(-1n, le), // section length not specified
      this.opts(opts.options),
    ]);
    return this.block(0x0a0d0d0a, body);
  }

  /** Interface Description Block. */
  idb(opts: IdbOptions): this {
    const le = this.le;
    const options: NgOption[] = [...(opts.options ?? [])];
    if (opts.tsresol !== undefined) options.push({ code: 9, value: Uint8Array.of(opts.tsresol) });
    if (opts.tsoffset !== undefined) options.push({ code: 14, value: u64(opts.tsoffset, le) });
    const body = Buffer.concat([u16(opts.linkType, le), u16(0, le), u32(opts.snaplen ?? 0, le), this.opts(options)]);
    return this.block(1, body);
  }

  /** Enhanced Packet Block. */
  epb(opts: EpbOptions): this {
    const le = this.le;
    const ts = BigInt.asUintN(64, opts.ts);
    const body = Buffer.concat([
      u32(opts.iface ?? 0, le),
      u32(Number(ts >> 32n), le),
      u32(Number(ts & 0xffffffffn), le),
      u32(opts.capLen ?? opts.data.length, le),
      u32(opts.origLen ?? opts.data.length, le),
      pad4(opts.data),
      this.opts(opts.options),
    ]);
    return this.block(6, body);
  }

  /** Obsolete Packet Block (type 2). */
  pb(opts: EpbOptions): this {
    const le = this.le;
    const ts = BigInt.asUintN(64, opts.ts);
    const body = Buffer.concat([
      u16(opts.iface ?? 0, le),
      u16(0, le), // drops count
      u32(Number(ts >> 32n), le),
      u32(Number(ts & 0xffffffffn), le),
      u32(opts.capLen ?? opts.data.length, le),
      u32(opts.origLen ?? opts.data.length, le),
      pad4(opts.data),
    ]);
    return this.block(2, body);
  }

  /** Simple Packet Block: original length and (possibly cut) data. */
  spb(opts: { data: Uint8Array; origLen?: number }): this {
    const le = this.le;
    return this.block(3, Buffer.concat([u32(opts.origLen ?? opts.data.length, le), pad4(opts.data)]));
  }

  /** Appends raw bytes (for corruption tests). */
  raw(bytes: Uint8Array): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }

  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A few blocks the reader must skip: NRB, ISB, custom, DSB, unknown, local-use. */
export function addSkippableBlocks(b: PcapngBuilder): PcapngBuilder {
  return b
    // NRB: nrb_record_ipv4 (type 1, length 9) 10.0.0.1 "host", nrb_record_end.
    // Written little-endian whatever the section's order: it is only skipped.
    .block(4, Buffer.from([1, 0, 9, 0, 10, 0, 0, 1, 0x68, 0x6f, 0x73, 0x74, 0, 0, 0, 0, 0, 0, 0, 0]))
    .block(5, Buffer.alloc(20)) // ISB (interface 0, timestamp, no options)
    .block(0x00000bad, Buffer.from('custom block, copyable')) // custom
    .block(0x40000bad, Buffer.from('custom block, do not copy'))
    .block(0x0000000a, Buffer.alloc(8, 0x55)) // decryption secrets
    .block(0x12345678, Buffer.alloc(0)) // unknown, empty body
    .block(0x80000001, Buffer.alloc(40, 0xee)); // local use
}

// ---------------------------------------------------------------------------
// Frames and sinks

/** Deterministic pseudo-random bytes. */
export function frame(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  let x = (seed * 2654435761 + 12345) >>> 0;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

export interface SeenPacket {
  linkType: number;
  data: Buffer;
  capLen: number;
  wireLen: number;
  tsSec: number;
  tsNsec: number;
}

/** Records a copy of every frame. */
export class CollectingSink implements PacketSink {
  readonly packets: SeenPacket[] = [];
  /** Distinct Buffer objects passed as `data`. */
  readonly buffers = new Set<Buffer>();

  onPacket(linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    this.buffers.add(data);
    this.packets.push({ linkType, data: Buffer.from(data.subarray(offset, offset + capLen)), capLen, wireLen, tsSec, tsNsec });
  }
}
