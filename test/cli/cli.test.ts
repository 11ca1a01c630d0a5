/**
 * The built CLI (dist/cli/main.js), run as a child process: output formats,
 * standard input, several files, user errors, and damaged captures.
 * dist/ is rebuilt first when it is missing or older than any source file.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ensureBuilt, fixture, main, repo } from './run-cli.js';

const SYN = fixture('nmap-syn.pcap');
const UDP = fixture('nmap-udp.pcap');

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** Frame count and record boundaries of a classic pcap file. */
function pcapRecords(file: string): { count: number; boundaries: number[] } {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const boundaries: number[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    boundaries.push(off);
    off += 16 + u32(off + 8);
  }
  expect(off).toBe(b.length);
  return { count: boundaries.length, boundaries };
}

let tmp = '';

beforeAll(() => {
  ensureBuilt();
  expect(fs.existsSync(main)).toBe(true);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-cli-'));
}, 180_000);

interface JsonDetection {
  src: string;
  type: string;
  pattern: string;
  targets: number;
  ports: number;
  probes: number;
  first_seen: string;
  last_seen: string;
  tool: string | null;
  open_ports: number[];
  detected_after_probes: number;
  [k: string]: unknown;
}

interface JsonReport {
  files: { path: string; packets: number; truncated: boolean }[];
  packets: number;
  bytes: number;
  first_packet: string | null;
  last_packet: string | null;
  decode_errors: Record<string, number>;
  decode_errors_total: number;
  evictions: Record<string, number>;
  detections: JsonDetection[];
  [k: string]: unknown;
}

describe('analyze output', () => {
  it('table (default): a summary line and a row naming the scanner', async () => {
    const r = await cli(['analyze', SYN]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const row = r.stdout.split('\n').find((l) => l.startsWith('198.18.0.1'));
    expect(row, r.stdout).toBeDefined();
    expect(row).toMatch(/\btcp-syn\b/);
    expect(row).toMatch(/\bvertical\b/);
    expect(row).toMatch(/\bnmap\b/);
    expect(row).toMatch(/22,80,443/);
    expect(r.stdout).toMatch(/1 scan detected/);
  });

  it('--format json: the required fields, packet/byte/decode-error/eviction counts', async () => {
    const r = await cli(['analyze', SYN, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const rep = JSON.parse(r.stdout) as JsonReport;
    const { count } = pcapRecords(SYN);
    expect(rep.packets).toBe(count);
    expect(rep.bytes).toBeGreaterThan(count * 40);
    expect(rep.files).toHaveLength(1);
    expect(rep.files[0]!.path).toBe(SYN);
    expect(rep.files[0]!.packets).toBe(count);
    expect(typeof rep.decode_errors).toBe('object');
    expect(rep.decode_errors_total).toBe(0);
    expect(typeof rep.evictions).toBe('object');
    const evictionValues = Object.values(rep.evictions);
    expect(evictionValues.length).toBeGreaterThan(0);
    for (const v of evictionValues) expect(typeof v).toBe('number');
    expect(Object.keys(rep.evictions).some((k) => k.includes('probation'))).toBe(true);
    expect(rep.first_packet).toMatch(ISO_UTC);
    expect(rep.last_packet).toMatch(ISO_UTC);

    expect(rep.detections).toHaveLength(1);
    const d = rep.detections[0]!;
    for (const k of ['src', 'type', 'pattern', 'targets', 'ports', 'probes', 'first_seen', 'last_seen', 'tool', 'open_ports', 'detected_after_probes']) {
      expect(d, k).toHaveProperty(k);
    }
    expect(d.src).toBe('198.18.0.1');
    expect(d.type).toBe('tcp-syn');
    expect(d.pattern).toBe('vertical');
    expect(d.targets).toBe(1);
    expect(d.ports).toBe(1000);
    expect(d.probes).toBeGreaterThanOrEqual(1000);
    expect(d.tool).toBe('nmap');
    expect(d.open_ports).toEqual([22, 80, 443]);
    expect(Number.isInteger(d.detected_after_probes)).toBe(true);
    expect(d.detected_after_probes).toBeGreaterThan(0);
    expect(d.first_seen).toMatch(ISO_UTC);
    expect(d.last_seen).toMatch(ISO_UTC);
    // Packet times, inside the capture's span.
    expect(d.first_seen >= rep.first_packet!).toBe(true);
    expect(d.last_seen <= rep.last_packet!).toBe(true);
    expect(d.first_seen <= d.last_seen).toBe(true);
  });

  it('--format ndjson: one JSON object per line, the detections then a summary', async () => {
    const [nd, js] = await Promise.all([cli(['analyze', SYN, UDP, '--format', 'ndjson']), cli(['analyze', SYN, UDP, '--format', 'json'])]);
    expect(nd.code).toBe(0);
    expect(nd.stdout.endsWith('\n')).toBe(true);
    const lines = nd.stdout.trimEnd().split('\n');
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const rep = JSON.parse(js.stdout) as JsonReport;
    const det = objs.filter((o) => o.kind === 'detection');
    expect(det).toHaveLength(rep.detections.length);
    expect(det.map(({ kind: _k, ...rest }) => rest)).toEqual(rep.detections);
    const summary = objs[objs.length - 1]!;
    expect(summary.kind).toBe('summary');
    expect(summary.packets).toBe(rep.packets);
    expect(lines).toHaveLength(det.length + 1);
  });

  it('standard input (-) gives the same detections as the file path', async () => {
    const [viaStdin, viaPath] = await Promise.all([cli(['analyze', '-', '--format', 'json'], SYN), cli(['analyze', SYN, '--format', 'json'])]);
    expect(viaStdin.stderr).toBe('');
    expect(viaStdin.code).toBe(0);
    const a = JSON.parse(viaStdin.stdout) as JsonReport;
    const b = JSON.parse(viaPath.stdout) as JsonReport;
    expect(a.detections.length).toBeGreaterThan(0);
    // The same scans; only the file each names differs.
    expect(a.detections.map((d) => d.file)).toEqual(a.detections.map(() => '-'));
    expect(a.detections.map(({ file: _f, ...rest }) => rest)).toEqual(b.detections.map(({ file: _f, ...rest }) => rest));
    expect(a.packets).toBe(b.packets);
    expect(a.files[0]!.path).toBe('-');
  });

  it('several files at once: one report over all of them, each file its own capture', async () => {
    const r = await cli(['analyze', SYN, UDP, '--format', 'json']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as JsonReport;
    expect(rep.files.map((f) => f.path)).toEqual([SYN, UDP]);
    expect(rep.packets).toBe(pcapRecords(SYN).count + pcapRecords(UDP).count);
    expect(rep.detections.map((d) => `${d.src} ${d.type}`).sort()).toEqual(['198.18.0.1 tcp-syn', '198.18.0.1 udp']);
  });
});

describe('errors: one line on stderr, no stack trace, non-zero exit', () => {
  function expectOneLineError(r: CliResult, code: number): void {
    expect(r.code, r.stderr).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith('scanwatch: error: '), r.stderr).toBe(true);
    expect(r.stderr.endsWith('\n')).toBe(true);
    expect(r.stderr.trimEnd().split('\n'), `exactly one line: ${JSON.stringify(r.stderr)}`).toHaveLength(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr).not.toMatch(/Error:|node:internal|\.js:\d+/);
  }

  it('a missing file (exit 1)', async () => {
    const r = await cli(['analyze', path.join(tmp, 'no-such-file.pcap')]);
    expectOneLineError(r, 1);
    expect(r.stderr).toMatch(/no-such-file\.pcap/);
  });

  it('a directory (exit 1)', async () => {
    expectOneLineError(await cli(['analyze', tmp]), 1);
  });

  it('a text file, not a capture (exit 1)', async () => {
    const txt = path.join(tmp, 'notes.txt');
    fs.writeFileSync(txt, 'these are not packets\n'.repeat(20));
    const r = await cli(['analyze', txt]);
    expectOneLineError(r, 1);
    expect(r.stderr).toMatch(/notes\.txt/);
  });

  it('an empty file (exit 1)', async () => {
    const empty = path.join(tmp, 'empty.pcap');
    fs.writeFileSync(empty, '');
    expectOneLineError(await cli(['analyze', empty]), 1);
  });

  it('an unknown --format (exit 2)', async () => {
    const r = await cli(['analyze', SYN, '--format', 'xml']);
    expectOneLineError(r, 2);
    expect(r.stderr).toMatch(/format/);
  });

  it('no arguments at all (exit 2)', async () => {
    expectOneLineError(await cli([]), 2);
  });

  it('analyze without a file (exit 2)', async () => {
    expectOneLineError(await cli(['analyze']), 2);
  });
});

describe('damaged input', () => {
  it('a capture cut in the middle of a record: the report on stdout, one warning on stderr, exit 3', async () => {
    const { boundaries } = pcapRecords(SYN);
    const k = Math.floor(boundaries.length / 2);
    const cutAt = boundaries[k]! + 16 + 10; // inside record k's packet data
    const cut = path.join(tmp, 'cut.pcap');
    fs.writeFileSync(cut, fs.readFileSync(SYN).subarray(0, cutAt));
    const r = await cli(['analyze', cut, '--format', 'json']);
    expect(r.code).toBe(3);
    const rep = JSON.parse(r.stdout) as JsonReport;
    expect(rep.packets).toBe(k);
    expect(rep.files[0]!.truncated).toBe(true);
    expect(rep.detections.map((d) => `${d.src} ${d.type}`)).toEqual(['198.18.0.1 tcp-syn']);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^scanwatch: warning: .*cut\.pcap/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('the table report is printed too before the warning (exit 3)', async () => {
    const { boundaries } = pcapRecords(SYN);
    const cut = path.join(tmp, 'cut2.pcap');
    fs.writeFileSync(cut, fs.readFileSync(SYN).subarray(0, boundaries[300]! + 5)); // inside a record header
    const r = await cli(['analyze', cut]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^198\.18\.0\.1\s+tcp-syn/m);
    expect(r.stderr).toMatch(/^scanwatch: warning: /);
  });
});

describe('live: settings from the environment (the systemd unit passes them so)', () => {
  function live(env: Record<string, string>, args: string[] = []): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [main, 'live', ...args], { cwd: repo, env: { ...process.env, ...env } });
      const err: Buffer[] = [];
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
    });
  }

  it('reads SCANWATCH_INTERFACE: an unknown interface is one line and exit 1', async () => {
    const r = await live({ SCANWATCH_INTERFACE: 'sw-no-such-if0' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^scanwatch: error: no such interface: sw-no-such-if0/);
  });

  it('a bad SCANWATCH_BUFFER_SIZE or --listen is a usage error, not a trace', async () => {
    const r = await live({ SCANWATCH_INTERFACE: 'lo', SCANWATCH_BUFFER_SIZE: 'lots' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^scanwatch: error: --buffer-size: not a size/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const l = await live({}, ['--interface', 'lo', '--listen', 'nonsense']);
    expect(l.code).not.toBe(0);
    expect(l.stderr.trim().split('\n')).toHaveLength(1);
    expect(l.stderr).toMatch(/^scanwatch: error: /);
  });

  it('analyze ignores SCANWATCH_* settings meant for the sensor', async () => {
    const child = spawnSync(process.execPath, [main, 'analyze', SYN, '--format', 'json'], { cwd: repo, env: { ...process.env, SCANWATCH_INTERFACE: 'eth9' }, encoding: 'utf8' });
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout).detections.length).toBe(1);
  });
});
