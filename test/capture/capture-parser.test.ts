import { describe, it, expect } from 'vitest';
import { CaptureParser, MAX_TIME_SECONDS, type CaptureParseSummary } from '../../src/capture/capture-parser.js';
import { LinkType } from '../../src/capture/types.js';
import {
  CollectingSink,
  PcapngBuilder,
  addSkippableBlocks,
  buildPcap,
  frame,
  pcapHeader,
  pcapRecord,
  type PcapRecord,
  type SeenPacket,
} from './build-capture.js';

function parse(bytes: Uint8Array, chunk = bytes.length || 1, bufferSize?: number): { sink: CollectingSink; summary: CaptureParseSummary; parser: CaptureParser } {
  const sink = new CollectingSink();
  const parser = new CaptureParser(sink, bufferSize === undefined ? {} : { bufferSize });
  for (let i = 0; i < bytes.length; i += chunk) {
    if (!parser.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)))) break;
  }
  return { sink, summary: parser.finish(), parser };
}

/** Reference conversion of pcapng ticks with BigInt. */
function refTs(ticks: bigint, tsresol: number, offset = 0n): [number, number] {
  const per = tsresol & 0x80 ? 1n << BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
  const sec = ticks / per + offset;
  const nsec = ((ticks % per) * 1000000000n) / per;
  return [Number(sec), Number(nsec)];
}

const records: PcapRecord[] = [
  { sec: 1700000000, frac: 1, data: frame(60, 1) },
  { sec: 1700000000, frac: 999999, data: frame(1514, 2) },
  { sec: 1700000001, frac: 500000, data: frame(96, 3), origLen: 1500 }, // cut by snaplen
  { sec: 4294967295, frac: 0, data: frame(0, 4), origLen: 0 }, // empty frame, max seconds
  { sec: 0, frac: 123456, data: frame(61, 5) },
];

describe('classic pcap', () => {
  for (const littleEndian of [true, false]) {
    for (const nano of [false, true]) {
      it(`reads ${littleEndian ? 'little' : 'big'}-endian ${nano ? 'nanosecond' : 'microsecond'} files`, () => {
        const recs = records.map((r) => ({ ...r, frac: nano ? r.frac * 1000 + 7 : r.frac }));
        const file = buildPcap(recs, { littleEndian, nano, snaplen: 96 });
        const { sink, summary } = parse(file);
        expect(summary.format).toBe('pcap');
        expect(summary.failure).toBeNull();
        expect(summary.truncated).toBe(false);
        expect(summary.packets).toBe(records.length);
        expect(sink.packets.map((p) => p.linkType)).toEqual(records.map(() => 1));
        sink.packets.forEach((p, i) => {
          const r = records[i]!;
          expect(p.data.equals(Buffer.from(r.data))).toBe(true);
          expect(p.capLen).toBe(r.data.length);
          expect(p.wireLen).toBe(r.origLen ?? r.data.length);
          expect(p.tsSec).toBe(r.sec);
          expect(p.tsNsec).toBe(nano ? r.frac * 1000 + 7 : r.frac * 1000);
        });
        expect(summary.bytes).toBe(60 + 1514 + 1500 + 0 + 61);
        expect(summary.capturedBytes).toBe(60 + 1514 + 96 + 0 + 61);
        expect(summary.linkTypes).toEqual([1]);
        expect(summary.firstTs).toBe(1700000000 + (nano ? 1007e-9 : 1e-6));
        expect(summary.lastTs).toBe(nano ? 0 + 123456007e-9 : 0.123456);
      });
    }
  }

  it('masks FCS bits off the link type and maps DLT 12/14 to RAW; others pass through', () => {
    const cases: [number, number][] = [
      [0x10000001, 1], // FCS length 1 (bits 28-31) on Ethernet
      [0x04000000 | 113, 113], // F bit set
      [12, LinkType.RAW],
      [14, LinkType.RAW],
      [101, 101],
      [228, 228],
      [147, 147], // user DLT, not decoded here
      [0, 0],
    ];
    for (const [network, want] of cases) {
      const { sink, summary } = parse(buildPcap([{ sec: 1, frac: 2, data: frame(20, 9) }], { network }));
      expect(sink.packets[0]!.linkType, `network 0x${network.toString(16)}`).toBe(want);
      expect(summary.linkTypes).toEqual([want]);
    }
  });

  it('normalises a fraction field that overflows a second', () => {
    const us = parse(buildPcap([{ sec: 10, frac: 2500000, data: frame(4, 1) }])).sink.packets[0]!;
    expect([us.tsSec, us.tsNsec]).toEqual([12, 500000000]);
    const ns = parse(buildPcap([{ sec: 10, frac: 3000000001, data: frame(4, 1) }], { nano: true })).sink.packets[0]!;
    expect([ns.tsSec, ns.tsNsec]).toEqual([13, 1]);
  });

  it('reports wireLen >= capLen even when the file says less', () => {
    const p = parse(buildPcap([{ sec: 1, frac: 0, data: frame(50, 1), origLen: 0 }])).sink.packets[0]!;
    expect([p.capLen, p.wireLen]).toEqual([50, 50]);
  });

  it('stops at an absurd captured length with a corrupt-record failure, keeping earlier packets', () => {
    const file = Buffer.concat([
      pcapHeader({ snaplen: 65535 }),
      pcapRecord({ sec: 1, frac: 0, data: frame(60, 1) }),
      pcapRecord({ sec: 2, frac: 0, data: frame(60, 2) }),
      pcapRecord({ sec: 3, frac: 0, data: frame(60, 3), capLen: 0x7fffffff }),
      pcapRecord({ sec: 4, frac: 0, data: frame(60, 4) }),
    ]);
    const { sink, summary } = parse(file);
    expect(sink.packets.length).toBe(2);
    expect(summary.packets).toBe(2);
    expect(summary.failure?.kind).toBe('CORRUPT');
    const at = 24 + 2 * 76;
    expect(summary.failure?.offset).toBe(at);
    expect(summary.failure?.message).toBe(`corrupt record at byte ${at}: captured length 2147483647 exceeds the maximum of 262144`);
    expect(summary.truncated).toBe(false);
  });

  it('accepts packets up to the snaplen when it is above 262144', () => {
    const big = frame(300000, 7);
    const { sink, summary } = parse(buildPcap([{ sec: 1, frac: 0, data: big }], { snaplen: 1 << 20 }), 65536, 4096);
    expect(summary.failure).toBeNull();
    expect(sink.packets[0]!.data.equals(big)).toBe(true);
    const rejected = parse(buildPcap([{ sec: 1, frac: 0, data: big }], { snaplen: 65535 }));
    expect(rejected.summary.failure?.message).toMatch(/^corrupt record at byte 24: captured length 300000 exceeds/);
  });

  it('reports a file cut inside a record as truncated after the complete packets', () => {
    const full = buildPcap(records.slice(0, 3));
    // Cut inside the third record's data, then inside its header.
    for (const cut of [full.length - 10, 24 + 76 + 1530 + 7]) {
      const { sink, summary } = parse(full.subarray(0, cut));
      expect(sink.packets.length).toBe(2);
      expect(summary.truncated).toBe(true);
      expect(summary.truncatedAt).toBe(24 + 76 + 1530);
      expect(summary.failure).toBeNull();
    }
  });

  it('reports a file cut inside the file header as truncated with no packets', () => {
    const { summary } = parse(pcapHeader().subarray(0, 10));
    expect(summary).toMatchObject({ format: 'pcap', packets: 0, truncated: true, truncatedAt: 0, failure: null });
  });

  it('a header-only file is complete and empty', () => {
    const { summary } = parse(pcapHeader());
    expect(summary).toMatchObject({ format: 'pcap', packets: 0, truncated: false, failure: null, firstTs: null, lastTs: null, linkTypes: [] });
  });
});

describe('not a capture', () => {
  it('rejects unknown first bytes, showing them in hex', () => {
    const { summary, sink } = parse(Buffer.from('Hello, this is text\n'));
    expect(sink.packets.length).toBe(0);
    expect(summary.format).toBeNull();
    expect(summary.failure).toEqual({ kind: 'NOT_CAPTURE', offset: 0, message: 'not a pcap or pcapng capture (first bytes 0x48656c6c)' });
  });

  it('rejects an empty input', () => {
    expect(parse(Buffer.alloc(0)).summary.failure?.message).toBe('not a pcap or pcapng capture (empty file)');
  });

  it('rejects an input shorter than a magic number', () => {
    expect(parse(Buffer.from([0xd4, 0xc3])).summary.failure?.message).toBe('not a pcap or pcapng capture (first bytes 0xd4c3)');
  });

  it('hints at gzip', () => {
    expect(parse(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0])).summary.failure?.message).toMatch(/first bytes 0x1f8b0800\); it looks gzip-compressed/);
  });

  it('rejects a pcapng-looking start with a bad byte-order magic', () => {
    const bytes = Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0]);
    const f = parse(bytes).summary.failure;
    expect(f?.kind).toBe('NOT_CAPTURE');
    expect(f?.message).toBe('not a pcap or pcapng capture (first bytes 0x0a0d0d0a, byte-order magic 0x01020304)');
  });

  it('refuses further input after a failure', () => {
    const sink = new CollectingSink();
    const parser = new CaptureParser(sink);
    expect(parser.push(Buffer.from('GIF89a'))).toBe(false);
    expect(parser.failed).toBe(true);
    expect(parser.push(buildPcap(records))).toBe(false);
    expect(sink.packets.length).toBe(0);
  });
});

describe('pcapng', () => {
  it('reads EPBs with the default microsecond resolution, both byte orders', () => {
    for (const littleEndian of [true, false]) {
      const file = new PcapngBuilder()
        .section({ littleEndian })
        .idb({ linkType: 1, snaplen: 65535 })
        .epb({ ts: 1700000000123456n, data: frame(60, 1) })
        .epb({ ts: 1700000001000001n, data: frame(61, 2), origLen: 1000 })
        .epb({ ts: 0n, data: frame(0, 3) })
        .build();
      const { sink, summary } = parse(file);
      expect(summary.format).toBe('pcapng');
      expect(summary.failure).toBeNull();
      expect(sink.packets.map((p) => [p.linkType, p.capLen, p.wireLen, p.tsSec, p.tsNsec])).toEqual([
        [1, 60, 60, 1700000000, 123456000],
        [1, 61, 1000, 1700000001, 1000],
        [1, 0, 0, 0, 0],
      ]);
      expect(sink.packets[1]!.data.equals(frame(61, 2))).toBe(true);
      expect(summary.bytes).toBe(1060);
      expect(summary.capturedBytes).toBe(121);
      expect(summary.firstTs).toBe(1700000000.123456);
      expect(summary.lastTs).toBe(0);
    }
  });

  it('handles two interfaces with different link types, if_tsresol and if_tsoffset', () => {
    const file = new PcapngBuilder()
      .section()
      .idb({ linkType: 1, tsresol: 9 }) // 10^-9
      .idb({ linkType: 101, tsresol: 0x8a, tsoffset: 1000n, options: [{ code: 2, value: Buffer.from('eth0') }] }) // 2^-10
      .epb({ iface: 0, ts: 1700000000123456789n, data: frame(60, 1) })
      .epb({ iface: 1, ts: 5n * 1024n + 512n, data: frame(40, 2) })
      .epb({ iface: 1, ts: 5n * 1024n + 1n, data: frame(40, 3) })
      .epb({ iface: 0, ts: 18446744073709551615n, data: frame(42, 4) })
      .build();
    const { sink, summary } = parse(file);
    expect(summary.failure).toBeNull();
    expect(sink.packets.map((p) => [p.linkType, p.tsSec, p.tsNsec])).toEqual([
      [1, 1700000000, 123456789],
      [101, 1005, 500000000],
      [101, 1005, 976562], // 1/1024 s = 976562.5 ns, truncated
      [1, 18446744073, 709551615],
    ]);
    expect(summary.linkTypes).toEqual([1, 101]);
  });

  it('converts every 64-bit tick value exactly for all resolutions', () => {
    const resolutions = [0, 1, 3, 6, 9, 12, 0x80, 0x81, 0x8a, 0x94, 0x9e, 0xa0, 0xa1, 0xc0];
    // Deterministic mix of small, microsecond-epoch-like, 2^53 boundary and full 64-bit values.
    const ticks: bigint[] = [0n, 1n, 999999n, 1000000n, (1n << 53n) - 1n, 1n << 53n, (1n << 53n) + 1n, (1n << 64n) - 1n, 1700000000999999n, 1700000000999999999n];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 300; i++) {
      x = BigInt.asUintN(64, x * 6364136223846793005n + 1442695040888963407n);
      ticks.push(i % 3 === 0 ? x : i % 3 === 1 ? x >> 11n : x >> 40n);
    }
    for (const tsresol of resolutions) {
      for (const offset of [0n, -86400n]) {
        const b = new PcapngBuilder().section().idb({ linkType: 1, tsresol, tsoffset: offset });
        for (const t of ticks) b.epb({ ts: t, data: frame(1, 1) });
        const { sink, summary } = parse(b.build());
        expect(summary.failure).toBeNull();
        const got = sink.packets.map((p) => [p.tsSec, p.tsNsec]);
        const all = ticks.map((t) => refTs(t, tsresol, offset));
        // A time no Date can hold is skipped and counted (MAX_TIME_SECONDS);
        // every other one must be exact.
        const inRange = all.map(([sec]) => Math.abs(sec!) <= MAX_TIME_SECONDS);
        const want = all.filter((_, i) => inRange[i]);
        expect(want.length).toBeGreaterThan(100);
        expect(summary.badTimestamps).toBe(ticks.length - want.length);
        expect(got.length).toBe(want.length);
        const shownTicks = ticks.filter((_, i) => inRange[i]);
        got.forEach(([sec, nsec], i) => {
          const [wsec, wnsec] = want[i]!;
          const what = `tsresol 0x${tsresol.toString(16)} offset ${offset} ticks ${shownTicks[i]}`;
          expect(nsec, what).toBe(wnsec);
          expect(sec, what).toBe(wsec);
        });
      }
    }
  });

  it('reads Simple Packet Blocks: interface 0, last timestamp of the section, cut by snaplen', () => {
    const file = new PcapngBuilder()
      .section()
      .idb({ linkType: 113, snaplen: 64 })
      .spb({ data: frame(30, 1) }) // before any timestamp: 0
      .epb({ ts: 2000000n, data: frame(20, 2) })
      .spb({ data: frame(64, 3), origLen: 1500 }) // cut at snaplen
      .spb({ data: frame(10, 4), origLen: 7 }) // padded body longer than the frame
      .build();
    const { sink, summary } = parse(file);
    expect(summary.failure).toBeNull();
    expect(sink.packets.map((p) => [p.linkType, p.capLen, p.wireLen, p.tsSec, p.tsNsec])).toEqual([
      [113, 30, 30, 0, 0],
      [113, 20, 20, 2, 0],
      [113, 64, 1500, 2, 0],
      [113, 7, 7, 2, 0],
    ]);
    expect(sink.packets[2]!.data.equals(frame(64, 3))).toBe(true);
    expect(sink.packets[3]!.data.equals(frame(7, 4))).toBe(true);
    // SPBs carry no timestamp of their own: first/last come from the EPB.
    expect(summary.firstTs).toBe(2);
    expect(summary.lastTs).toBe(2);
  });

  it('cuts an SPB to the block size when there is no snaplen', () => {
    const file = new PcapngBuilder().section().idb({ linkType: 1 }).spb({ data: frame(12, 1), origLen: 9000 }).build();
    const p = parse(file).sink.packets[0]!;
    expect([p.capLen, p.wireLen]).toEqual([12, 9000]);
  });

  it('reads obsolete Packet Blocks (type 2)', () => {
    for (const littleEndian of [true, false]) {
      const file = new PcapngBuilder()
        .section({ littleEndian })
        .idb({ linkType: 1 })
        .idb({ linkType: 105, tsresol: 3 })
        .pb({ iface: 1, ts: 1234567n, data: frame(33, 1), origLen: 99 })
        .build();
      const { sink } = parse(file);
      expect(sink.packets.map((p) => [p.linkType, p.capLen, p.wireLen, p.tsSec, p.tsNsec])).toEqual([[105, 33, 99, 1234, 567000000]]);
      expect(sink.packets[0]!.data.equals(frame(33, 1))).toBe(true);
    }
  });

  it('skips every other block type by its length', () => {
    const b = new PcapngBuilder().section({ options: [{ code: 3, value: Buffer.from('Linux') }] });
    addSkippableBlocks(b);
    b.idb({ linkType: 1 });
    addSkippableBlocks(b);
    b.epb({ ts: 5n, data: frame(60, 1), options: [{ code: 1, value: Buffer.from('comment') }] });
    addSkippableBlocks(b);
    b.epb({ ts: 6n, data: frame(61, 2) });
    addSkippableBlocks(b);
    const { sink, summary } = parse(b.build());
    expect(summary.failure).toBeNull();
    expect(summary.truncated).toBe(false);
    expect(sink.packets.map((p) => [p.capLen, p.tsNsec])).toEqual([
      [60, 5000],
      [61, 6000],
    ]);
  });

  it('starts afresh at every section: byte order, interfaces and SPB timestamp', () => {
    const file = new PcapngBuilder()
      .section({ littleEndian: true })
      .idb({ linkType: 1 })
      .epb({ ts: 10_000_000n, data: frame(60, 1) })
      .section({ littleEndian: false })
      .idb({ linkType: 101, tsresol: 9 })
      .spb({ data: frame(20, 2) })
      .epb({ ts: 20_000_000_001n, data: frame(20, 3) })
      .section({ littleEndian: true, minor: 2 })
      .idb({ linkType: 228 })
      .idb({ linkType: 229 })
      .epb({ iface: 1, ts: 30_000_000n, data: frame(40, 4) })
      .build();
    const { sink, summary } = parse(file);
    expect(summary.failure).toBeNull();
    expect(sink.packets.map((p) => [p.linkType, p.tsSec, p.tsNsec])).toEqual([
      [1, 10, 0],
      [101, 0, 0], // SPB: no timestamp yet in this section
      [101, 20, 1],
      [229, 30, 0],
    ]);
    expect(summary.linkTypes).toEqual([1, 101, 229]);
    expect(summary.firstTs).toBe(10);
    expect(summary.lastTs).toBe(30);
  });

  it('rejects a packet for an interface of a previous section', () => {
    const b = new PcapngBuilder().section().idb({ linkType: 1 }).idb({ linkType: 1 }).epb({ iface: 1, ts: 1n, data: frame(8, 1) });
    const secondSectionAt = b.build().length;
    b.section({ littleEndian: false }).idb({ linkType: 1 });
    const badAt = b.build().length;
    b.epb({ iface: 1, ts: 2n, data: frame(8, 2) });
    const { sink, summary } = parse(b.build());
    expect(secondSectionAt).toBeLessThan(badAt);
    expect(sink.packets.length).toBe(1);
    expect(summary.failure?.message).toBe(`corrupt record at byte ${badAt}: packet block refers to interface 1, but the section has 1 interface`);
  });

  describe('corrupt blocks', () => {
    const good = new PcapngBuilder().section().idb({ linkType: 1 }).epb({ ts: 1n, data: frame(60, 1) }).build();
    const bad = (bytes: Uint8Array): CaptureParseSummary => {
      const { sink, summary } = parse(Buffer.concat([good, bytes, good]));
      // The packet before the damage is always delivered, nothing after it.
      expect(sink.packets.length).toBe(1);
      expect(summary.packets).toBe(1);
      expect(summary.failure?.kind).toBe('CORRUPT');
      expect(summary.failure?.offset).toBe(good.length);
      return summary;
    };
    const le32 = (...v: number[]): Buffer => Buffer.concat(v.map((n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; }));

    it('block length not a multiple of 4', () => {
      expect(bad(le32(6, 30, 0, 0, 0, 0, 0, 30)).failure?.message).toBe(`corrupt record at byte ${good.length}: block length 30 is not a multiple of 4`);
    });
    it('block length below 12', () => {
      expect(bad(le32(6, 8, 8)).failure?.message).toMatch(/block length 8 is smaller than the minimum of 12$/);
    });
    it('trailer length mismatch', () => {
      expect(bad(le32(0xbad, 16, 0, 20)).failure?.message).toMatch(/block trailer length 20 does not match header length 16$/);
    });
    it('EPB captured length beyond the block', () => {
      expect(bad(le32(6, 36, 0, 0, 0, 100, 100, 0, 36)).failure?.message).toMatch(/captured length 100 exceeds the block's data area of 4 bytes$/);
    });
    it('EPB shorter than its fixed fields', () => {
      expect(bad(le32(6, 16, 0, 16)).failure?.message).toMatch(/packet block length 16 is smaller than the minimum of 32$/);
    });
    it('a second section header with a bad byte-order magic', () => {
      expect(bad(le32(0x0a0d0d0a, 28, 0x11223344, 1, 0, 0, 28)).failure?.message).toMatch(/bad byte-order magic 0x44332211$/);
    });
    it('unsupported major version', () => {
      expect(bad(le32(0x0a0d0d0a, 28, 0x1a2b3c4d, 2, 0, 0, 28)).failure?.message).toMatch(/unsupported pcapng version 2\.0$/);
    });
    it('block longer than the maximum record size', () => {
      const sink = new CollectingSink();
      const parser = new CaptureParser(sink, { maxPacketBytes: 1024 });
      parser.push(Buffer.concat([good, le32(6, 0x7ffffff0)]));
      const s = parser.finish();
      expect(sink.packets.length).toBe(1);
      expect(s.failure?.message).toBe(`corrupt record at byte ${good.length}: block length 2147483632 exceeds the maximum of ${1024 + 65536}`);
    });
    it('packet before any interface description', () => {
      const file = new PcapngBuilder().section().spb({ data: frame(10, 1) }).build();
      expect(parse(file).summary.failure?.message).toBe('corrupt record at byte 28: simple packet block before any interface description block');
    });
  });

  it('reports a file cut inside a block as truncated after the complete packets', () => {
    const b = new PcapngBuilder().section().idb({ linkType: 1 }).epb({ ts: 1n, data: frame(60, 1) }).epb({ ts: 2n, data: frame(60, 2) });
    const cutAt = b.build().length;
    const file = b.epb({ ts: 3n, data: frame(60, 3) }).build();
    for (const cut of [cutAt + 4, cutAt + 30, file.length - 1]) {
      const { sink, summary } = parse(file.subarray(0, cut));
      expect(sink.packets.length).toBe(2);
      expect(summary).toMatchObject({ truncated: true, truncatedAt: cutAt, failure: null, packets: 2 });
    }
    // A section header cut before its byte-order magic.
    expect(parse(file.subarray(0, 10)).summary).toMatchObject({ format: 'pcapng', truncated: true, truncatedAt: 0, packets: 0 });
  });
});

describe('streaming', () => {
  const mixed = (): Buffer => {
    const b = new PcapngBuilder().section({ littleEndian: false }).idb({ linkType: 1, snaplen: 2000 }).idb({ linkType: 101, tsresol: 0x94 });
    addSkippableBlocks(b);
    for (let i = 0; i < 40; i++) {
      if (i % 7 === 3) b.spb({ data: frame(i * 3, i) });
      else b.epb({ iface: i % 2, ts: BigInt(1700000000000000 + i * 1234567), data: frame((i * 37) % 200, i) });
      if (i === 20) addSkippableBlocks(b.section().idb({ linkType: 276 }).idb({ linkType: 1, tsresol: 9 }));
    }
    b.epb({ iface: 0, ts: 1n, data: frame(5000, 99) }); // larger than small buffers
    return b.build();
  };

  const files: [string, Buffer][] = [
    ['pcapng', mixed()],
    ['pcap', buildPcap(Array.from({ length: 50 }, (_, i) => ({ sec: i, frac: i * 999, data: frame((i * 53) % 300, i) })).concat([{ sec: 9, frac: 9, data: frame(5000, 9) }]))],
    ['pcap-be-ns', buildPcap(Array.from({ length: 30 }, (_, i) => ({ sec: i, frac: i * 999, data: frame(i, i) })), { littleEndian: false, nano: true })],
  ];

  const same = (a: SeenPacket[], b: SeenPacket[]): void => {
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) {
      const x = a[i]!;
      const y = b[i]!;
      expect([x.linkType, x.capLen, x.wireLen, x.tsSec, x.tsNsec]).toEqual([y.linkType, y.capLen, y.wireLen, y.tsSec, y.tsNsec]);
      expect(x.data.equals(y.data)).toBe(true);
    }
  };

  for (const [name, file] of files) {
    it(`${name}: feeding in chunks of 1..N bytes gives the same packets as one go`, () => {
      const whole = parse(file);
      expect(whole.summary.failure).toBeNull();
      expect(whole.summary.packets).toBeGreaterThan(25);
      for (const chunk of [1, 2, 3, 4, 5, 7, 8, 13, 16, 31, 64, 100, 333, 1024, 4096, 4097]) {
        for (const bufferSize of [undefined, 1, 64, 1000]) {
          const part = parse(file, chunk, bufferSize);
          same(part.sink.packets, whole.sink.packets);
          expect(part.summary).toEqual(whole.summary);
        }
      }
    });

    it(`${name}: a record split across reads is carried over at every cut point`, () => {
      const whole = parse(file);
      for (let cut = 1; cut < file.length; cut += Math.max(1, Math.floor(file.length / 400))) {
        const sink = new CollectingSink();
        const parser = new CaptureParser(sink, { bufferSize: 256 });
        parser.push(file.subarray(0, cut));
        parser.push(file.subarray(cut));
        const s = parser.finish();
        expect(s).toEqual(whole.summary);
        same(sink.packets, whole.sink.packets);
      }
    });
  }

  it('hands the sink its own buffer with offsets, and does not grow it for a long capture', () => {
    const recs = Array.from({ length: 20000 }, (_, i) => ({ sec: i, frac: 0, data: frame(60 + (i % 40), i) }));
    const file = buildPcap(recs);
    let calls = 0;
    let sameBuffer = true;
    let sawOffset = false;
    const sink = {
      onPacket(_l: number, data: Buffer, offset: number, capLen: number): void {
        calls++;
        if (data !== parser.buffer) sameBuffer = false;
        if (offset > 0) sawOffset = true;
        if (capLen !== recs[calls - 1]!.data.length) throw new Error(`bad length at ${calls}`);
      },
    };
    const parser = new CaptureParser(sink, { bufferSize: 8192 });
    for (let i = 0; i < file.length; i += 1500) parser.push(file.subarray(i, i + 1500));
    expect(parser.finish().packets).toBe(20000);
    expect(calls).toBe(20000);
    expect(sameBuffer).toBe(true);
    expect(sawOffset).toBe(true);
    expect(parser.buffer.length).toBe(8192);
    expect(file.length).toBeGreaterThan(100 * 8192);
  });

  it('grows the buffer for a record larger than it, once', () => {
    const big = frame(100000, 5);
    const sink = new CollectingSink();
    const parser = new CaptureParser(sink, { bufferSize: 1024 });
    const file = buildPcap([{ sec: 1, frac: 0, data: frame(10, 1) }, { sec: 2, frac: 0, data: big }, { sec: 3, frac: 0, data: frame(10, 2) }]);
    for (let i = 0; i < file.length; i += 4096) parser.push(file.subarray(i, i + 4096));
    expect(parser.finish().packets).toBe(3);
    expect(sink.packets[1]!.data.equals(big)).toBe(true);
    expect(parser.buffer.length).toBeGreaterThanOrEqual(100016);
    expect(parser.buffer.length).toBeLessThanOrEqual(4 * 100016);
  });

  it('reads straight into the buffer with prepareWrite/commit', () => {
    const file = mixed();
    const whole = parse(file);
    const sink = new CollectingSink();
    const parser = new CaptureParser(sink, { bufferSize: 100 });
    let off = 0;
    while (off < file.length) {
      const room = parser.prepareWrite();
      expect(room).toBeGreaterThan(0);
      const n = Math.min(room, 77, file.length - off);
      file.copy(parser.buffer, parser.writeOffset, off, off + n);
      off += n;
      expect(parser.commit(n)).toBe(true);
    }
    expect(parser.finish()).toEqual(whole.summary);
    same(sink.packets, whole.sink.packets);
    expect(() => parser.commit(parser.buffer.length + 1)).toThrow(RangeError);
  });

  it('keeps its counters consistent when the sink throws', () => {
    const file = buildPcap(records);
    let n = 0;
    const parser = new CaptureParser({
      onPacket(): void {
        n++;
        if (n === 2) throw new Error('sink failed');
      },
    });
    expect(() => parser.push(file)).toThrow('sink failed');
    // The throwing packet counts as consumed; finishing delivers the rest.
    expect(n).toBe(2);
    const s = parser.finish();
    expect(n).toBe(records.length);
    expect(s.packets).toBe(records.length);
    expect(s.truncated).toBe(false);
  });
});
