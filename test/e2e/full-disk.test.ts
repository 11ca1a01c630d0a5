/**
 * A real full disk: a 64 KiB tmpfs (mount -t tmpfs -o size=64k), filled
 * with a file so that what scanwatch writes there runs out of space in
 * the middle (write(2) takes what fits, then fails with ENOSPC). The
 * report, the --extract pcaps, the spool of standard input and the live
 * sensor's log: one line on stderr saying what and why, exit 74 (the
 * sensor keeps running), no partial pcap left, the report still printed
 * when only the extract failed. The tmpfs is unmounted afterwards, also
 * when a test fails or the run is cut short.
 *
 * Needs root (mount, and live capture on lo), util-linux (mount, umount)
 * and tcpdump.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCleanup, metricValue, parseMetrics, waitUntil } from './lab.js';
import { BoundedLogWriter } from '../../src/report/log-writer.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const SYN = path.join(ROOT, 'test/pcaps/nmap-syn.pcap');
const PAGE = 4096;

/** A small tmpfs mounted for the tests; unmounted by `destroySync`, at the latest when the process exits. */
class SmallDisk {
  private mounted = false;

  constructor(readonly dir: string) {}

  mount(): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', this.dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mount tmpfs: ${r.stderr}`);
    this.mounted = true;
  }

  /** Bytes a new file can still take. */
  free(): number {
    const s = fs.statfsSync(this.dir);
    return s.bavail * s.bsize;
  }

  /** Removes everything on the disk, then fills it but `pages` pages. */
  fillLeaving(pages: number): void {
    this.empty();
    const filler = this.free() - pages * PAGE;
    fs.writeFileSync(path.join(this.dir, 'filler'), Buffer.alloc(filler, 0x55));
    expect(this.free()).toBe(pages * PAGE);
  }

  empty(): void {
    for (const name of fs.readdirSync(this.dir)) fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
  }

  /** Every file on the disk, with its path relative to it. */
  files(): string[] {
    return (fs.readdirSync(this.dir, { recursive: true }) as string[]).filter((p) => fs.statSync(path.join(this.dir, p)).isFile()).sort();
  }

  destroySync(): void {
    if (this.mounted) {
      const r = spawnSync('umount', [this.dir]);
      // Busy (a process still writing there): detach it now, it goes when released.
      if (r.status !== 0) spawnSync('umount', ['-l', this.dir]);
      this.mounted = false;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const cleanup = new ExitCleanup<SmallDisk>();
let base = '';
let disk: SmallDisk;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; its standard output is a pipe read here, or a file opened for it. */
function cli(args: string[], opts: { stdoutFile?: string; stdinFile?: string; env?: Record<string, string> } = {}): Promise<Run> {
  const fds: number[] = [];
  const stdin = opts.stdinFile === undefined ? 'ignore' : fds[fds.push(fs.openSync(opts.stdinFile, 'r')) - 1]!;
  const stdout = opts.stdoutFile === undefined ? 'pipe' : fds[fds.push(fs.openSync(opts.stdoutFile, 'w')) - 1]!;
  const stdio: StdioOptions = [stdin, stdout, 'pipe'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio, env: { ...process.env, SCANWATCH_DEBUG: '', ...opts.env } });
    for (const fd of fds) fs.closeSync(fd);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The one line of a failed output: stderr holds it and nothing else. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  return lines[0]!;
}

beforeAll(() => {
  if (process.getuid?.() !== 0) throw new Error('full-disk e2e: must run as root (mount -t tmpfs)');
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm run build`);
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-full-disk-'));
  disk = new SmallDisk(path.join(base, 'disk'));
  cleanup.add(disk);
  disk.mount();
});

afterEach(() => {
  disk?.empty();
});

afterAll(() => {
  if (disk !== undefined) {
    disk.destroySync();
    cleanup.delete(disk);
    // Unmounted: nothing of the tmpfs is left in the mount table.
    expect(fs.readFileSync('/proc/self/mounts', 'utf8')).not.toContain(disk.dir);
  }
  if (base !== '') fs.rmSync(base, { recursive: true, force: true });
});

describe('--extract onto a full disk', () => {
  it('ENOSPC in the middle of the pcap: one line, exit 74, no partial file, space given back, the report printed', async () => {
    // Six pages free: the scan's pcap (about 130 KB) is cut in its first 64 KiB append.
    disk.fillLeaving(6);
    const dir = path.join(disk.dir, 'scans');
    const r = await cli(['analyze', SYN, '--extract', dir, '--format', 'json']);
    expect(r.code).toBe(74);
    expect(oneLine(r.stderr)).toBe(
      `scanwatch: error: cannot write --extract ${path.join(dir, '1-198.18.0.1-tcp-syn.pcap')}: no space left on device; no extract file was kept (partial files removed)`,
    );
    expect(disk.files()).toEqual(['filler']);
    expect(disk.free()).toBe(6 * PAGE);
    const report = JSON.parse(r.stdout) as { partial: boolean; detections: { src: string; type: string }[] };
    expect(report.partial).toBe(false);
    expect(report.detections.map((d) => `${d.src} ${d.type}`)).toEqual(['198.18.0.1 tcp-syn']);
  });

  it('several scans from several files: every partial file removed, the table report printed', async () => {
    disk.fillLeaving(6);
    const dir = path.join(disk.dir, 'scans');
    const inputs = ['nmap-ping-sweep.pcap', 'nmap-syn-ipv6.pcap', 'nmap-udp.pcap', 'nmap-syn.pcap'].map((f) => path.join(ROOT, 'test/pcaps', f));
    const r = await cli(['analyze', ...inputs, '--extract', dir, '--threads', '1']);
    expect(r.code).toBe(74);
    expect(oneLine(r.stderr)).toMatch(/^scanwatch: error: cannot write --extract \S+\.pcap: no space left on device; no extract file was kept \(partial files removed\)$/);
    expect(disk.files()).toEqual(['filler']);
    for (const scan of ['icmp-sweep', 'tcp-syn', 'udp']) expect(r.stdout).toContain(scan);
  });

  it('room enough: each pcap whole, and no temporary name left', async () => {
    disk.empty();
    const dir = path.join(disk.dir, 'scans');
    const r = await cli(['analyze', path.join(ROOT, 'test/pcaps/nmap-ping-sweep.pcap'), '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(disk.files()).toEqual([path.join('scans', '1-198.18.0.1-icmp-sweep.pcap')]);
    const tcpdump = spawnSync('tcpdump', ['-nn', '-r', path.join(dir, '1-198.18.0.1-icmp-sweep.pcap')], { encoding: 'utf8' });
    expect(tcpdump.status, tcpdump.stderr).toBe(0);
  });
});

describe('the report onto a full disk', () => {
  for (const format of ['json', 'html'] as const) {
    it(`--format ${format} > a file on it: the write cut short, one line naming the file, exit 74`, async () => {
      disk.fillLeaving(1);
      const file = path.join(disk.dir, `report.${format}`);
      // Bigger than the page left: json with many files, html with its plots.
      const inputs = format === 'json' ? fs.readdirSync(path.join(ROOT, 'test/pcaps')).filter((f) => f.endsWith('.pcap')).map((f) => path.join(ROOT, 'test/pcaps', f)) : [SYN];
      const r = await cli(['analyze', ...inputs, '--format', format], { stdoutFile: file });
      expect(r.code).toBe(74);
      expect(oneLine(r.stderr)).toBe(`scanwatch: error: cannot write the report to ${file}: no space left on device`);
      expect(fs.statSync(file).size).toBe(PAGE);
    });
  }
});

describe('the spool of standard input onto a full TMPDIR', () => {
  it('one line, exit 74, the spool removed', async () => {
    disk.fillLeaving(2);
    const spoolRoot = path.join(disk.dir, 'tmp');
    fs.mkdirSync(spoolRoot);
    const extract = path.join(base, 'extract');
    const r = await cli(['analyze', '-', '--extract', extract], { stdinFile: SYN, env: { TMPDIR: spoolRoot } });
    expect(r.code).toBe(74);
    expect(oneLine(r.stderr)).toMatch(/^scanwatch: error: cannot copy standard input to \S+ to read it twice: no space left on device$/);
    expect(fs.readdirSync(spoolRoot)).toEqual([]);
    expect(fs.readdirSync(extract)).toEqual([]);
  });
});

describe('the log stream onto a full disk', () => {
  it('a line torn by ENOSPC is ended before the next once there is room again; every other line whole; told once', async () => {
    disk.fillLeaving(1);
    const file = path.join(disk.dir, 'sensor.log');
    const fd = fs.openSync(file, 'a');
    const told: string[] = [];
    const w = new BoundedLogWriter(fd, 1 << 20, (m) => told.push(m));
    const line = (i: number): string => `${JSON.stringify({ event: 'scan_started', n: 1000 + i, pad: 'x'.repeat(50) })}\n`;
    try {
      // About 9,000 bytes into one free page: cut in the middle of a line.
      for (let i = 0; i < 100; i++) w.write(line(i));
      expect(await w.drain(5000)).toBe(true);
      expect(fs.statSync(file).size).toBe(PAGE);
      expect(w.linesDropped).toBeGreaterThan(0);
      fs.rmSync(path.join(disk.dir, 'filler'));
      for (let i = 100; i < 110; i++) w.write(line(i));
      expect(await w.drain(5000)).toBe(true);
    } finally {
      fs.closeSync(fd);
    }
    expect(w.linesWritten + w.linesDropped).toBe(110);
    expect(told).toEqual([`log lines cannot be written to descriptor ${fd}: no space left on device; they are dropped and counted (scanwatch_log_lines_dropped_total)`]);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const bad = lines.filter((l) => {
      try {
        JSON.parse(l);
        return false;
      } catch {
        return true;
      }
    });
    // The torn line, alone: not glued to the first line written after it.
    expect(bad).toHaveLength(1);
    expect(lines.length - bad.length).toBe(w.linesWritten);
    expect(lines.slice(-10).map((l) => JSON.parse(l).n)).toEqual([...Array(10).keys()].map((i) => 1100 + i));
  });

  it('scanwatch live with its stdout on the full disk: keeps running, says so once, counts the lines, stops cleanly', async () => {
    disk.fillLeaving(0);
    const port = await freePort();
    const fd = fs.openSync(path.join(disk.dir, 'live.log'), 'a');
    const child = spawn(process.execPath, [MAIN, 'live', '--interface', 'lo', '--listen', `127.0.0.1:${port}`, '--log-format', 'json'], { cwd: ROOT, stdio: ['ignore', fd, 'pipe'] });
    fs.closeSync(fd);
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const dropped = await waitUntil(
        'scanwatch_log_lines_dropped_total >= 1',
        async () => {
          const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((res) => res.text());
          const v = metricValue(parseMetrics(text), 'scanwatch_log_lines_dropped_total');
          return v !== null && v >= 1 ? v : null;
        },
        { timeoutMs: 20_000, describe: () => `stderr: ${stderr}` },
      );
      expect(dropped).toBeGreaterThanOrEqual(1);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // A reload logs another line: still one message.
      child.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
    expect(stderr).toBe('scanwatch: warning: log lines cannot be written to standard output: no space left on device; they are dropped and counted (scanwatch_log_lines_dropped_total)\n');
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
