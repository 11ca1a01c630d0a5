/**
 * The live sensor's log stream (BoundedLogWriter, the writer behind
 * `scanwatch live`'s stdout) on a bad day: every failed write costs its
 * lines, counted, never the process nor the packet path, and is said once
 * per kind of failure. ENOSPC from /dev/full, EPIPE from a pipe nobody
 * reads any more, EIO from a terminal whose other side is gone, a write
 * cut short by a file size limit. test/e2e/full-disk.test.ts adds a real
 * full disk that frees up again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BoundedLogWriter } from '../../src/report/log-writer.js';
import { ensureBuilt, repo } from './run-cli.js';

const line = (i: number): string => `${JSON.stringify({ event: 'scan_started', n: i, pad: 'x'.repeat(60) })}\n`;
let tmp = '';
const open: number[] = [];

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-log-faults-'));
}, 180_000);

afterAll(() => {
  for (const fd of open.splice(0)) fs.closeSync(fd);
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

/** Lets the writer's thread-pool writes come back. */
const settle = (ms = 100): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('log writer: failed writes are counted and told once', () => {
  it('ENOSPC (/dev/full): every line dropped and counted, one message, writes never throw nor wait, later lines still tried', async () => {
    const fd = fs.openSync('/dev/full', 'w');
    open.push(fd);
    const told: string[] = [];
    const w = new BoundedLogWriter(fd, 1024 * 1024, (m) => told.push(m));
    for (let i = 0; i < 100; i++) expect(w.write(line(i))).toBe(true);
    expect(await w.drain(2000)).toBe(true);
    await settle();
    for (let i = 100; i < 150; i++) w.write(line(i));
    expect(await w.drain(2000)).toBe(true);
    expect(w.linesWritten).toBe(0);
    expect(w.linesDropped).toBe(150);
    expect(w.pending).toBe(0);
    expect(told).toEqual([`log lines cannot be written to descriptor ${fd}: no space left on device; they are dropped and counted (scanwatch_log_lines_dropped_total)`]);
  });

  it('EPIPE (the reader closed its end): one message, everything after it dropped without trying', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'fifo-'));
    const fifo = path.join(dir, 'log.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    open.push(writer);
    fs.closeSync(reader);
    const told: string[] = [];
    const w = new BoundedLogWriter(writer, 1024 * 1024, (m) => told.push(m));
    for (let i = 0; i < 10; i++) w.write(line(i));
    await w.drain(2000);
    await settle();
    for (let i = 10; i < 20; i++) w.write(line(i));
    await settle();
    expect(w.linesWritten).toBe(0);
    expect(w.linesDropped).toBe(20);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/: broken pipe; they are dropped and counted/);
  });

  /**
   * Runs the built writer in a child node on descriptor 3, behind a
   * launcher (a pty, a file size limit); it writes `lines` lines of 88
   * bytes and prints its counters and messages as JSON.
   */
  function childWriter(launcher: string[], lines: number): { linesWritten: number; linesDropped: number; pending: number; told: string[] } {
    const url = new URL('dist/report/log-writer.js', `file://${repo}/`).href;
    const script = `
      const { BoundedLogWriter } = await import(${JSON.stringify(url)});
      const told = [];
      const w = new BoundedLogWriter(3, 1 << 20, (m) => told.push(m));
      for (let i = 0; i < ${lines}; i++) w.write(JSON.stringify({ event: 'scan_started', n: 100 + i, pad: 'x'.repeat(46) }) + '\\n');
      await w.drain(5000);
      console.log(JSON.stringify({ linesWritten: w.linesWritten, linesDropped: w.linesDropped, pending: w.pending, told }));`;
    const r = spawnSync(launcher[0]!, [...launcher.slice(1), process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  }

  it('EIO (a terminal whose other side is gone): counted and told once', () => {
    expect(spawnSync('python3', ['--version']).status, 'python3 is needed').toBe(0);
    const pty = 'import os, pty, sys\nm, s = pty.openpty()\nos.close(m)\nos.dup2(s, 3)\nos.execvp(sys.argv[1], sys.argv[1:])';
    const r = childWriter(['python3', '-c', pty], 40);
    expect(r.linesWritten).toBe(0);
    expect(r.linesDropped).toBe(40);
    expect(r.told).toEqual(['log lines cannot be written to descriptor 3: i/o error; they are dropped and counted (scanwatch_log_lines_dropped_total)']);
  });

  it('a write cut short (file size limit: a short count, then EFBIG): the whole lines before the cut count as written, the rest as dropped', () => {
    const file = path.join(tmp, 'limited.log');
    // 88-byte lines: the limit falls in the middle of line 12 (11 * 88 = 968).
    const launcher = ['bash', '-c', 'exec 3>>"$0"; exec prlimit --fsize=1050 -- "$@"', file];
    const r = childWriter(launcher, 30);
    expect(r.linesWritten).toBe(11);
    expect(r.linesDropped).toBe(19);
    expect(r.told).toEqual(['log lines cannot be written to descriptor 3: file too large; they are dropped and counted (scanwatch_log_lines_dropped_total)']);
    const text = fs.readFileSync(file, 'utf8');
    expect(text.length).toBe(1050);
    const whole = text.split('\n').slice(0, -1);
    expect(whole).toHaveLength(11);
    for (const l of whole) expect(JSON.parse(l).event).toBe('scan_started');
  });
});
