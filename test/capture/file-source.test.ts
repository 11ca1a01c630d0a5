import { describe, it, expect, afterAll, afterEach, vi } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureError, toResult, type CaptureReadResult } from '../../src/capture/file-source.js';
import { CaptureParser } from '../../src/capture/capture-parser.js';
import { readCaptureFile } from '../../src/capture/inputs.js';
import * as captureIndex from '../../src/capture/index.js';
import { CollectingSink, PcapngBuilder, addSkippableBlocks, buildPcap, frame, pcapRecord, type PcapRecord } from './build-capture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-file-source-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

function write(name: string, bytes: Uint8Array | string): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, bytes);
  return file;
}

function thrown(fn: () => unknown): CaptureError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CaptureError);
    return err as CaptureError;
  }
  throw new Error('expected a CaptureError');
}

const recs: PcapRecord[] = Array.from({ length: 5 }, (_, i) => ({ sec: 1700000000 + i, frac: i * 250000, data: frame(60 + i, i), origLen: 100 + i }));

const ngFile = (): Buffer => {
  const b = new PcapngBuilder().section().idb({ linkType: 1, tsresol: 9 }).idb({ linkType: 101 });
  addSkippableBlocks(b);
  b.epb({ iface: 0, ts: 1700000000_500000001n, data: frame(60, 1) });
  b.epb({ iface: 1, ts: 1700000002_000000n, data: frame(40, 2), origLen: 1400 });
  b.section({ littleEndian: false }).idb({ linkType: 113 }).epb({ ts: 1700000003_250000n, data: frame(70, 3) });
  return b.build();
};

describe('readCaptureFile', () => {
  it('gives the true first and last time and counts time running backwards, in pcap and pcapng', () => {
    // Times 3, 1, 2, 5, 4 (s): two steps back; extremes 1 and 5 whatever the order.
    const order = [3, 1, 2, 5, 4].map((t, i) => ({ sec: 1700000000 + t, frac: 0, data: frame(60, i), origLen: 60 }));
    const pcap = readCaptureFile(write('backwards.pcap', buildPcap(order)), new CollectingSink());
    const ng = new PcapngBuilder().section().idb({ linkType: 1 });
    for (const r of order) ng.epb({ ts: BigInt(r.sec) * 1000000n, data: r.data });
    const pcapng = readCaptureFile(write('backwards.pcapng', ng.build()), new CollectingSink());
    for (const r of [pcap, pcapng]) {
      expect([r.minTs, r.maxTs, r.backwards, r.firstTs, r.lastTs]).toEqual([1700000001, 1700000005, 2, 1700000003, 1700000004]);
    }
  });

  it('reads a classic pcap and summarises it', () => {
    const file = write('five.pcap', buildPcap(recs));
    const sink = new CollectingSink();
    const r = readCaptureFile(file, sink);
    expect(r).toEqual<CaptureReadResult>({
      format: 'pcap',
      packets: 5,
      badTimestamps: 0,
      bytes: 100 + 101 + 102 + 103 + 104,
      capturedBytes: 60 + 61 + 62 + 63 + 64,
      truncated: false,
      warning: null,
      linkTypes: [1],
      firstTs: 1700000000,
      lastTs: 1700000005, // 1700000004 s + 1000000 µs, normalised
      minTs: 1700000000,
      maxTs: 1700000005,
      backwards: 0,
    });
    expect(sink.packets.map((p) => [p.tsSec, p.tsNsec])).toEqual([
      [1700000000, 0],
      [1700000001, 250000000],
      [1700000002, 500000000],
      [1700000003, 750000000],
      [1700000005, 0],
    ]);
  });

  it('reads a multi-section pcapng', () => {
    const sink = new CollectingSink();
    const r = readCaptureFile(write('multi.pcapng', ngFile()), sink);
    expect(r).toMatchObject({ format: 'pcapng', packets: 3, bytes: 60 + 1400 + 70, capturedBytes: 170, truncated: false, warning: null, linkTypes: [1, 101, 113] });
    expect(r.firstTs).toBeCloseTo(1700000000.500000001, 9);
    expect(r.lastTs).toBe(1700000003.25);
    expect(sink.packets.map((p) => [p.linkType, p.tsSec, p.tsNsec])).toEqual([
      [1, 1700000000, 500000001],
      [101, 1700000002, 0],
      [113, 1700000003, 250000000],
    ]);
  });

  it('reads files much larger than its buffer (records carried across reads)', () => {
    const many: PcapRecord[] = Array.from({ length: 120000 }, (_, i) => ({ sec: i, frac: 0, data: frame(40 + (i % 61), i % 997) }));
    const bytes = buildPcap(many);
    expect(bytes.length).toBeGreaterThan(2 * 4 * 1024 * 1024);
    let n = 0;
    let lens = 0;
    let bad = 0;
    const r = readCaptureFile(write('big.pcap', bytes), {
      onPacket(_l, data, offset, capLen, _w, tsSec) {
        if (tsSec !== n || capLen !== 40 + (n % 61) || data[offset] !== frame(1, n % 997)[0]) bad++;
        n++;
        lens += capLen;
      },
    });
    expect(bad).toBe(0);
    expect(r.packets).toBe(120000);
    expect(r.capturedBytes).toBe(lens);
    expect(r.warning).toBeNull();
  });

  it('returns the packets before a truncation, with a warning', () => {
    const full = buildPcap(recs);
    const file = write('cut.pcap', full.subarray(0, full.length - 20));
    const sink = new CollectingSink();
    const r = readCaptureFile(file, sink);
    expect(sink.packets.length).toBe(4);
    const at = 24 + recs.slice(0, 4).reduce((s, x) => s + 16 + x.data.length, 0);
    expect(r).toMatchObject({ packets: 4, truncated: true, format: 'pcap' });
    expect(r.warning).toBe(`${file}: capture is truncated: last record cut after 4 packets at byte ${at}`);
  });

  it('returns the packets before a corrupt record, with a warning', () => {
    const ng = ngFile();
    // ngFile() ends in a big-endian section.
    const bad = Buffer.alloc(12);
    bad.writeUInt32BE(0xbad, 0);
    bad.writeUInt32BE(13, 4); // not a multiple of 4
    const file = write('corrupt.pcapng', Buffer.concat([ng, bad, ng]));
    const r = readCaptureFile(file, new CollectingSink());
    expect(r.packets).toBe(3);
    expect(r.truncated).toBe(false);
    expect(r.warning).toBe(`${file}: corrupt record at byte ${ng.length}: block length 13 is not a multiple of 4`);
  });

  it('reports an absurd pcap captured length as corrupt', () => {
    const file = write('absurd.pcap', Buffer.concat([buildPcap(recs.slice(0, 1)), pcapRecord({ sec: 1, frac: 0, data: frame(4, 1), capLen: 0xffffffff })]));
    const r = readCaptureFile(file, new CollectingSink());
    expect(r.packets).toBe(1);
    expect(r.warning).toMatch(/: corrupt record at byte 100: captured length 4294967295 exceeds the maximum of 262144$/);
  });

  it('rejects a text file', () => {
    const file = write('notes.txt', 'Hello world\n');
    const e = thrown(() => readCaptureFile(file, new CollectingSink()));
    expect(e.code).toBe('NOT_CAPTURE');
    expect(e.message).toBe(`${file}: not a pcap or pcapng capture (first bytes 0x48656c6c)`);
    expect(e.path).toBe(file);
  });

  it('rejects an empty file', () => {
    const file = write('empty.pcap', '');
    const e = thrown(() => readCaptureFile(file, new CollectingSink()));
    expect(e.code).toBe('NOT_CAPTURE');
    expect(e.message).toBe(`${file}: not a pcap or pcapng capture (empty file)`);
  });

  it('stops reading a non-capture after its first bytes', () => {
    const file = write('big.txt', Buffer.alloc(5 * 1024 * 1024, 0x41));
    const spy = vi.spyOn(fs, 'readSync');
    expect(thrown(() => readCaptureFile(file, new CollectingSink())).code).toBe('NOT_CAPTURE');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it('reports a missing file', () => {
    const file = path.join(tmp, 'nope.pcap');
    const e = thrown(() => readCaptureFile(file, new CollectingSink()));
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`cannot open ${file}: no such file`);
  });

  it('reports a directory', () => {
    const e = thrown(() => readCaptureFile(tmp, new CollectingSink()));
    expect(e.code).toBe('EISDIR');
    expect(e.message).toBe(`cannot open ${tmp}: is a directory`);
  });

  it('reports permission denied (simulated open failure)', () => {
    const file = write('locked.pcap', buildPcap(recs));
    vi.spyOn(fs, 'openSync').mockImplementation(() => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
    });
    const e = thrown(() => readCaptureFile(file, new CollectingSink()));
    expect(e.code).toBe('EACCES');
    expect(e.message).toBe(`cannot open ${file}: permission denied`);
  });

  it('reports a read error as EIO and closes the file', () => {
    const file = write('ioerr.pcap', buildPcap(recs));
    vi.spyOn(fs, 'readSync').mockImplementation(() => {
      throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
    });
    const close = vi.spyOn(fs, 'closeSync');
    const e = thrown(() => readCaptureFile(file, new CollectingSink()));
    expect(e.code).toBe('EIO');
    expect(e.message).toBe(`cannot read ${file}: i/o error`);
    expect(close).toHaveBeenCalledTimes(1);
  });
});

/**
 * Standard input and FIFOs reach the parser in chunks of whatever size the
 * pipe gives (src/capture/inputs.ts reads them as a stream and copies each
 * chunk in): the result must not depend on where the chunks are cut.
 */
function parseChunks(chunks: Buffer[], sink: CollectingSink, name = '-'): CaptureReadResult {
  const parser = new CaptureParser(sink);
  for (const c of chunks) if (!parser.push(c)) break;
  return toResult(name, parser.finish());
}

describe('a capture in chunks (standard input, a FIFO)', () => {
  const chunked = (bytes: Buffer, size: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
    return out;
  };

  it('gives the same result as readCaptureFile, whatever the chunk sizes', () => {
    for (const bytes of [buildPcap(recs, { littleEndian: false, nano: true }), ngFile()]) {
      const file = write('same.cap', bytes);
      const fileSink = new CollectingSink();
      const want = readCaptureFile(file, fileSink);
      for (const size of [1, 3, 17, 4096]) {
        const sink = new CollectingSink();
        const got = parseChunks(chunked(bytes, size), sink, file);
        expect(got).toEqual(want);
        expect(sink.packets).toEqual(fileSink.packets);
      }
    }
  });

  it('names standard input in warnings and errors', () => {
    const full = buildPcap(recs);
    const r = parseChunks([full.subarray(0, 50)], new CollectingSink());
    expect(r.warning).toBe('standard input: capture is truncated: last record cut after 0 packets at byte 24');
    expect(() => parseChunks([Buffer.from('PK\x03\x04zip')], new CollectingSink())).toThrow(
      expect.objectContaining({ code: 'NOT_CAPTURE', message: 'standard input: not a pcap or pcapng capture (first bytes 0x504b0304)' }),
    );
    expect(() => parseChunks([], new CollectingSink(), 'pipe.pcap')).toThrow(expect.objectContaining({ code: 'NOT_CAPTURE', message: 'pipe.pcap: not a pcap or pcapng capture (empty file)' }));
  });

  it('stops taking data once it is rejected', () => {
    const parser = new CaptureParser(new CollectingSink());
    let taken = 0;
    for (let i = 0; i < 1000; i++) {
      if (!parser.push(Buffer.from('not a capture at all\n'))) break;
      taken++;
    }
    expect(taken).toBeLessThan(50);
  });
});

describe('index', () => {
  it('re-exports the public API', () => {
    expect(captureIndex.readCaptureFile).toBe(readCaptureFile);
    expect(typeof captureIndex.readOne).toBe('function');
    expect(captureIndex.CaptureError).toBe(CaptureError);
    expect(typeof captureIndex.CaptureParser).toBe('function');
    expect(captureIndex.LinkType.RAW).toBe(101);
  });
});
