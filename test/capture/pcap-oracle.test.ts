/**
 * Cross-checks the reader against the independent `pcap-parser` package on
 * every classic (microsecond) pcap we can find: test/pcaps/*.pcap, the shared
 * real-capture corpus (when present) and files generated here.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { corpusDir, corpusPresent, corpusRequired } from '../corpus-dir.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pcapp from 'pcap-parser';
import { readCaptureFile } from '../../src/capture/index.js';
import type { PacketSink } from '../../src/capture/types.js';
import { buildPcap, frame, type PcapRecord } from './build-capture.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));


interface Rec {
  sec: number;
  usec: number;
  capLen: number;
  origLen: number;
  hash: string;
}

function md5(data: Uint8Array): string {
  return createHash('md5').update(data).digest('hex');
}

/** Packets as pcap-parser sees them (records without data are dropped). */
function oracle(file: string): Promise<Rec[]> {
  return new Promise((resolve, reject) => {
    const out: Rec[] = [];
    let hdr: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number } | null = null;
    const p = pcapp.parse(file);
    p.on('packetHeader', (h: typeof hdr) => {
      hdr = h;
    });
    p.on('packetData', (d: Buffer) => {
      if (hdr === null) return;
      out.push({ sec: hdr.timestampSeconds, usec: hdr.timestampMicroseconds, capLen: hdr.capturedLength, origLen: hdr.originalLength, hash: md5(d) });
    });
    p.on('error', reject);
    p.on('end', () => resolve(out));
  });
}

function ours(file: string): { recs: Rec[]; warning: string | null; packets: number } {
  const recs: Rec[] = [];
  const sink: PacketSink = {
    onPacket(_link, data, offset, capLen, wireLen, tsSec, tsNsec) {
      recs.push({ sec: tsSec, usec: tsNsec / 1000, capLen, origLen: wireLen, hash: md5(data.subarray(offset, offset + capLen)) });
    },
  };
  const r = readCaptureFile(file, sink);
  return { recs, warning: r.warning, packets: r.packets };
}

/** Classic microsecond pcap (the only kind pcap-parser reads)? */
function isMicrosecondPcap(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    if (fs.readSync(fd, b, 0, 4, 0) < 4) return false;
    return b.readUInt32LE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b2c3d4;
  } finally {
    fs.closeSync(fd);
  }
}

function listPcaps(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((f) => path.join(dir, f));
}

// Files generated for this test, so that at least two are always checked.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-oracle-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function generated(littleEndian: boolean): string {
  const recs: PcapRecord[] = [];
  for (let i = 0; i < 3000; i++) {
    const len = (i * 7919) % 1515;
    const cut = i % 5 === 0 ? Math.min(len, 64) : len; // some cut by a snaplen
    recs.push({ sec: 1600000000 + (i >> 4), frac: (i * 104729) % 1000000, data: frame(cut, i), origLen: len });
  }
  const file = path.join(tmp, `generated-${littleEndian ? 'le' : 'be'}.pcap`);
  fs.writeFileSync(file, buildPcap(recs, { littleEndian }));
  return file;
}

const files = [
  ...listPcaps(path.join(repo, 'test/pcaps')),
  ...listPcaps(corpusDir),
  generated(true),
  generated(false),
];
const oracleFiles = files.filter(isMicrosecondPcap);

describe('oracle: pcap-parser agrees on every microsecond pcap', () => {
  it('has files to check', () => {
    expect(oracleFiles.length).toBeGreaterThanOrEqual(2);
    // Where the shared corpus is present (test/corpus-dir.ts), its captures are checked too.
    if (corpusPresent || corpusRequired) expect(oracleFiles.filter((f) => f.startsWith(corpusDir)).length, `corpus at ${corpusDir}`).toBeGreaterThan(10);
  });

  for (const file of oracleFiles) {
    it(path.relative(path.resolve(repo, '..'), file), async () => {
      const want = await oracle(file);
      const got = ours(file);
      expect(got.packets).toBe(want.length);
      expect(got.recs.length).toBe(want.length);
      // Compare in one go for a readable diff on the first difference.
      for (let i = 0; i < want.length; i++) {
        if (JSON.stringify(got.recs[i]) !== JSON.stringify(want[i])) {
          expect({ i, ...got.recs[i] }).toEqual({ i, ...want[i] });
        }
      }
      expect(want.length).toBeGreaterThan(0);
    });
  }
});
