/**
 * Several capture files: each its own capture by default (its own state and
 * detections, each naming its file), or one stream in timestamp order with
 * --merge. Runs the built CLI on the bundled captures and on files cut from
 * them (halves, interleaved records, swapped records).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ensureBuilt, fixture, pcapSplit, recordTime, repo } from './run-cli.js';

interface Det {
  id: number;
  file: string | null;
  src: string;
  type: string;
  tool: string | null;
  probes: number;
  ports: number;
  targets: number;
  open_ports: number[];
  attack: { id: string; name: string };
  [k: string]: unknown;
}
interface Rep {
  partial: boolean;
  merged: boolean;
  files: { path: string; packets: number; first_packet: string | null; last_packet: string | null; detection_count: number }[];
  packets: number;
  first_packet: string | null;
  last_packet: string | null;
  warnings: string[];
  detections: Det[];
}

const ALL = fs
  .readdirSync(path.join(repo, 'test/pcaps'))
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => fixture(f));
const SYN = fixture('nmap-syn.pcap');
const UDP = fixture('nmap-udp.pcap');
let tmp = '';

async function json(args: string[]): Promise<Rep> {
  const r = await cli(['analyze', ...args, '--format', 'json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Rep;
}

/** What identifies a scan's result, without ids and file names. */
const essence = (d: Det): string => `${d.src} ${d.type} ${d.pattern} ${d.targets} ${d.ports} ${d.probes} ${d.tool} ${d.open_ports.join(',')}`;

function writePcap(name: string, header: Buffer, records: Buffer[]): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, Buffer.concat([header, ...records]));
  return p;
}

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-files-'));
  expect(ALL.length).toBeGreaterThanOrEqual(20);
}, 180_000);

describe('each file its own capture (default)', () => {
  it('the bundled captures together give exactly the scans each gives alone, each naming its file', async () => {
    // One table key for every run: host counts above 64 are sketch estimates,
    // and which hosts share a sketch bit depends on the key.
    const seed = ['--hash-seed', '12345'];
    const together = await json([...ALL, ...seed]);
    expect(together.merged).toBe(false);
    const alone: string[] = [];
    for (const f of ALL) {
      const r = await json([f, ...seed]);
      for (const d of r.detections) {
        expect(d.file).toBe(f);
        alone.push(`${f} ${essence(d)}`);
      }
    }
    expect(alone.length).toBe(16);
    expect(together.detections.map((d) => `${d.file} ${essence(d)}`).sort()).toEqual(alone.sort());
    // nmap's UDP scan keeps its tool when read beside other captures.
    expect(together.detections.find((d) => d.file === UDP && d.type === 'udp')?.tool).toBe('nmap');
    // Ids stay unique across files.
    expect(new Set(together.detections.map((d) => d.id)).size).toBe(together.detections.length);
    // Per-file summaries add up to the totals.
    expect(together.files.map((f) => f.path)).toEqual(ALL);
    expect(together.files.reduce((a, f) => a + f.packets, 0)).toBe(together.packets);
    expect(together.files.reduce((a, f) => a + f.detection_count, 0)).toBe(16);
  }, 120_000);

  it('the table names each row\'s file (with several files) and its ATT&CK technique', async () => {
    const r = await cli(['analyze', SYN, fixture('nmap-ping-sweep.pcap')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('FILE '))).toMatch(/FILE\s+SOURCE\s+TYPE.*ATT&CK/);
    expect(lines.find((l) => l.startsWith(SYN))).toMatch(/198\.18\.0\.1\s+tcp-syn\s.*\sT1046\s/);
    expect(lines.find((l) => l.startsWith(fixture('nmap-ping-sweep.pcap')))).toMatch(/icmp-sweep\s.*\sT1595\.001\s/);
    expect(lines[0]).toContain('(each its own capture)');
  });

  it('the header time range is the true min/max when files are given out of time order', async () => {
    const [a, b] = await Promise.all([json([SYN]), json([UDP])]);
    const r = await json([UDP, SYN]); // nmap-udp was recorded after nmap-syn
    expect(a.last_packet! < b.first_packet!).toBe(true);
    expect(r.first_packet).toBe(a.first_packet);
    expect(r.last_packet).toBe(b.last_packet);
    expect(r.files.map((f) => [f.first_packet, f.last_packet])).toEqual([
      [b.first_packet, b.last_packet],
      [a.first_packet, a.last_packet],
    ]);
  });
});

describe('--merge: one stream in timestamp order', () => {
  it('two halves of a capture, given in reverse order, give the scan of the whole capture', async () => {
    const { header, records } = pcapSplit(SYN);
    const half = Math.floor(records.length / 2);
    const first = writePcap('first-half.pcap', header, records.slice(0, half));
    const second = writePcap('second-half.pcap', header, records.slice(half));
    const whole = await json([SYN]);
    const merged = await json(['--merge', second, first]);
    expect(merged.merged).toBe(true);
    expect(merged.warnings).toEqual([]);
    expect(merged.packets).toBe(records.length);
    expect(merged.detections.map(essence)).toEqual(whole.detections.map(essence));
    expect(merged.first_packet).toBe(whole.first_packet);
    expect(merged.last_packet).toBe(whole.last_packet);
    // The scan names the file holding its first probe.
    const firstProbe = Date.parse(merged.detections[0]!.first_seen as string) / 1000;
    const inFirst = firstProbe <= recordTime(records[half - 1]!) + 0.001;
    expect(merged.detections[0]!.file).toBe(inFirst ? first : second);
    // Without --merge the halves are two captures: the same packets, other scans.
    const apart = await json([second, first]);
    expect(apart.detections.length).toBeGreaterThanOrEqual(1);
    expect(apart.detections.map((d) => d.file)).not.toEqual([null]);
  });

  it('interleaved files (overlapping in time) are merged record by record, with a warning', async () => {
    const { header, records } = pcapSplit(SYN);
    const odd = writePcap('odd.pcap', header, records.filter((_, i) => i % 2 === 1));
    const even = writePcap('even.pcap', header, records.filter((_, i) => i % 2 === 0));
    const r = await cli(['analyze', '--merge', odd, even, '--format', 'json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as Rep;
    const whole = await json([SYN]);
    expect(rep.detections.map(essence)).toEqual(whole.detections.map(essence));
    expect(rep.warnings.some((w) => w.includes('overlaps'))).toBe(true);
    expect(r.stderr).toMatch(/warning: .*overlaps .* in time/);
  });

  it('a file whose time runs backwards is named in a warning; the header range is still min/max', async () => {
    const { header, records } = pcapSplit(SYN);
    const swapped = records.slice();
    // The last record moved to the front: time runs backwards once after it.
    swapped.unshift(swapped.pop()!);
    const f = writePcap('backwards.pcap', header, swapped);
    const r = await cli(['analyze', '--merge', f, '--format', 'json']);
    const rep = JSON.parse(r.stdout) as Rep;
    expect(rep.warnings).toEqual([`${f}: packet time runs backwards 1 time; merged in timestamp order`]);
    expect(rep.first_packet).toBe(new Date(Math.round(recordTime(records[0]!) * 1000)).toISOString());
    expect(rep.last_packet).toBe(new Date(Math.round(recordTime(records[records.length - 1]!) * 1000)).toISOString());
  });
});

describe('command line: options before or after the files', () => {
  it('--home-net before the file does not swallow it; same report as after it', async () => {
    const before = await cli(['analyze', '--home-net', '198.18.0.0/24', SYN, '--format', 'json']);
    const after = await cli(['analyze', SYN, '--home-net', '198.18.0.0/24', '--format', 'json']);
    expect(before.code, before.stderr).toBe(0);
    expect(after.code, after.stderr).toBe(0);
    const a = JSON.parse(before.stdout) as Rep;
    const b = JSON.parse(after.stdout) as Rep;
    expect(a.files.map((f) => f.path)).toEqual([SYN]);
    expect(a.detections).toEqual(b.detections);
    // 198.18.0.0/24 holds both scanner and target: an internal port scan, Discovery.
    expect(a.detections[0]!.direction).toBe('internal');
    expect(a.detections[0]!.attack.id).toBe('T1046');
  });

  it('list options take comma-separated values or repeat; files may come between them', async () => {
    const r1 = await json(['--home-net', '10.0.0.0/8,198.18.0.1/32', SYN, UDP]);
    const r2 = await json(['--home-net', '10.0.0.0/8', SYN, '--home-net', '198.18.0.1/32', UDP]);
    expect(r1.files.map((f) => f.path)).toEqual([SYN, UDP]);
    expect(r2.files.map((f) => f.path)).toEqual([SYN, UDP]);
    expect(r1.detections.map((d) => d.direction)).toEqual(['outbound', 'outbound']);
    expect(r2.detections).toEqual(r1.detections);
  });

  it('--home-net with no value is a usage error (exit 2), one line', async () => {
    const r = await cli(['analyze', SYN, '--home-net']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('NDJSON summary line', () => {
  it('reuses no JSON key with another meaning: detection_count, not detections', async () => {
    const [nd, js] = await Promise.all([cli(['analyze', SYN, UDP, '--format', 'ndjson']), cli(['analyze', SYN, UDP, '--format', 'json'])]);
    const lines = nd.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = lines[lines.length - 1]!;
    const rep = JSON.parse(js.stdout) as Record<string, unknown>;
    expect(summary.kind).toBe('summary');
    expect(summary.detection_count).toBe((rep.detections as unknown[]).length);
    expect('detections' in summary).toBe(false);
    // Every other summary key holds exactly what the JSON report holds under it.
    for (const [k, v] of Object.entries(summary)) {
      if (k === 'kind' || k === 'detection_count') continue;
      expect(rep[k], k).toEqual(v);
    }
    expect('kind' in rep || 'detection_count' in rep).toBe(false);
  });
});
