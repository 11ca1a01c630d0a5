/**
 * Issue 12, item 1: a packet whose time no Date can hold costs that packet
 * (decode_errors.bad_timestamp), never the report; times before 1970 are
 * times. Fixture: test/pcaps/nmap-syn.pcap (nmap -sS -p 1-1000 198.18.0.2,
 * open 22, 80, 443), converted to pcapng with hostile timestamps spliced in.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureParser, MAX_TIME_SECONDS } from '../../src/capture/capture-parser.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/report/report.js';
import { cli, ensureBuilt, fixture } from './cli-helper.js';
import { pcapToPcapng, readPcapFrames } from './pcap-convert.js';

const SYN = fixture('nmap-syn.pcap');
const FRAMES = readPcapFrames(SYN).frames.length;
let tmp = '';

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-ts-'));
}, 180_000);

function analyseInProcess(buf: Buffer): ReturnType<typeof buildReport> {
  const engine = new Engine();
  const parser = new CaptureParser(engine);
  parser.push(buf);
  parser.finish();
  engine.finish();
  return buildReport(engine, [], 'test');
}

/** Hostile timestamps: a flipped top bit, if_tsresol=0 with a microsecond tick count, if_tsoffset near +-2^62. */
const HOSTILE: { name: string; bytes: () => Buffer }[] = [
  { name: 'bit flip in the high word', bytes: () => pcapToPcapng(SYN, { inject: [{ at: 10, ticks: (1n << 63n) | 1_700_000_000_000_000n }] }) },
  { name: 'if_tsresol=0 (ticks are seconds)', bytes: () => pcapToPcapng(SYN, { secondResol: 0, inject: [{ at: 10, iface: 1, ticks: 1_700_000_000_000_000n }] }) },
  { name: 'if_tsoffset near 2^62', bytes: () => pcapToPcapng(SYN, { secondResol: 6, secondOffset: 1n << 62n, inject: [{ at: 10, iface: 1, ticks: 1n }] }) },
  { name: 'if_tsoffset near -2^62', bytes: () => pcapToPcapng(SYN, { secondResol: 6, secondOffset: -(1n << 62n), inject: [{ at: 10, iface: 1, ticks: 1n }] }) },
];

describe('timestamps no Date can hold', () => {
  it('the bound is the largest time a Date holds', () => {
    expect(() => new Date(MAX_TIME_SECONDS * 1000 + 999).toISOString()).not.toThrow();
    expect(() => new Date((MAX_TIME_SECONDS + 2) * 1000).toISOString()).toThrow(RangeError);
  });

  for (const h of HOSTILE) {
    it(`${h.name}: that packet is one decode error, the scan is still reported (in-process)`, () => {
      const r = analyseInProcess(h.bytes());
      expect(r.decode_errors.bad_timestamp).toBe(1);
      expect(r.packets).toBe(FRAMES + 1);
      const syn = r.detections.filter((d) => d.src === '198.18.0.1' && d.type === 'tcp-syn');
      expect(syn).toHaveLength(1);
      expect(syn[0]!.ports).toBe(1000);
      expect(syn[0]!.open_ports).toEqual([22, 80, 443]);
      expect(r.first_packet).toMatch(/^2026-/);
    });
  }

  it('in every format, also when the bad packet is in the second file: exit 0, full report', async () => {
    const bad = path.join(tmp, 'bitflip.pcapng');
    fs.writeFileSync(bad, HOSTILE[0]!.bytes());
    for (const format of ['json', 'ndjson', 'table']) {
      const r = await cli(['analyze', SYN, bad, '--format', format]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      if (format === 'json') {
        const j = JSON.parse(r.stdout);
        expect(j.decode_errors.bad_timestamp).toBe(1);
        expect(j.detections.some((d: { src: string; ports: number }) => d.src === '198.18.0.1' && d.ports === 1000)).toBe(true);
      } else if (format === 'ndjson') {
        const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
        expect(lines.at(-1).kind).toBe('summary');
        expect(lines.at(-1).decode_errors.bad_timestamp).toBe(1);
        expect(lines.some((l) => l.kind === 'detection' && l.src === '198.18.0.1')).toBe(true);
      } else {
        expect(r.stdout).toContain('198.18.0.1');
      }
    }
  }, 60_000);

  it('times before 1970 are times: first_packet is set, detections stand', async () => {
    // Shift the whole capture 60 years back (if_tsoffset, seconds).
    const file = path.join(tmp, 'before-1970.pcapng');
    fs.writeFileSync(file, pcapToPcapng(SYN, { tsoffset: -60n * 365n * 86400n * 1n - 1_800_000_000n }));
    const r = await cli(['analyze', file, '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.packets).toBe(FRAMES);
    expect(j.first_packet).not.toBeNull();
    expect(new Date(j.first_packet).getTime()).toBeLessThan(0);
    expect(new Date(j.last_packet).getTime()).toBeGreaterThanOrEqual(new Date(j.first_packet).getTime());
    const syn = j.detections.find((d: { src: string; type: string }) => d.src === '198.18.0.1' && d.type === 'tcp-syn');
    expect(syn.ports).toBe(1000);
    expect(syn.first_seen < '1970').toBe(true);
  }, 60_000);
});
