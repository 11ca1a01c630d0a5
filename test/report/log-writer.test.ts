/**
 * Issue 12, item 3: log output never blocks. A pipe nobody reads (a FIFO
 * opened by the test, its read end never drained) takes 64 KiB and then
 * blocks every write; the writer must keep returning at once, keep the
 * event loop running, bound its queue and count the lines it drops.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { BoundedLogWriter } from '../../src/report/log-writer.js';
import { createLogger } from '../../src/report/detection-log.js';

const open: number[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const fd of open.splice(0)) fs.closeSync(fd);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory, removed after the test. */
function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-log-'));
  dirs.push(dir);
  return dir;
}

/** A FIFO opened read-write: writes fill its 64 KiB and then block, nobody reads. */
function stuckPipe(nonBlocking = false): { fd: number; fifo: string } {
  const dir = scratch();
  const fifo = path.join(dir, 'stdout.fifo');
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const fd = fs.openSync(fifo, fs.constants.O_RDWR | (nonBlocking ? fs.constants.O_NONBLOCK : 0));
  open.push(fd);
  return { fd, fifo };
}

const line = (i: number): string => `${JSON.stringify({ event: 'scan_started', src: `198.18.${i >> 8 & 255}.${i & 255}`, pad: 'x'.repeat(400) })}\n`;

describe('BoundedLogWriter', () => {
  for (const mode of ['blocking', 'non-blocking'] as const) {
    it(`on a ${mode} pipe nobody reads: writes return at once, the event loop runs, drops are counted; a returning reader gets the rest`, async () => {
      const { fd, fifo } = stuckPipe(mode === 'non-blocking');
      const w = new BoundedLogWriter(fd, 256 * 1024);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      const t0 = performance.now();
      const n = 20_000; // about 8.5 MB of lines
      for (let i = 0; i < n; i++) w.write(line(i));
      const spent = performance.now() - t0;
      await new Promise((r) => setTimeout(r, 300));
      clearInterval(timer);
      // 20,000 writes take a few ms when nothing blocks; a blocking write would never return.
      expect(spent).toBeLessThan(2000);
      // A blocked write would stop the loop entirely; on a loaded machine a 5 ms timer may fire only a few times in 300 ms.
      expect(ticks).toBeGreaterThanOrEqual(2);
      // At most 64 KiB in the pipe plus 256 KiB queued: the rest is dropped and counted.
      expect(w.linesDropped).toBeGreaterThan(n - (320 * 1024) / 400);
      expect(w.linesDropped + w.linesWritten + w.pending).toBe(n);
      expect(await w.drain(100)).toBe(false);
      // The reader comes back: what was queued is written, nothing more is lost.
      const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      const sink = Buffer.alloc(1 << 20);
      let got = 0;
      const pump = setInterval(() => {
        try {
          for (;;) {
            const k = fs.readSync(reader, sink, 0, sink.length, null);
            if (k <= 0) break;
            got += k;
          }
        } catch {
          // EAGAIN: nothing to read right now
        }
      }, 2);
      const drained = await w.drain(5000);
      clearInterval(pump);
      fs.closeSync(reader);
      expect(drained).toBe(true);
      expect(w.linesDropped + w.linesWritten).toBe(n);
      expect(got).toBeGreaterThan(0);
    });
  }

  it('writes every line, in order, when the reader keeps up', async () => {
    const dir = scratch();
    const file = path.join(dir, 'out.log');
    const fd = fs.openSync(file, 'w');
    open.push(fd);
    const w = new BoundedLogWriter(fd, 1024 * 1024);
    for (let i = 0; i < 2000; i++) {
      w.write(line(i));
      if (i % 100 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(await w.drain(5000)).toBe(true);
    expect(w.linesDropped).toBe(0);
    expect(w.linesWritten).toBe(2000);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2000);
    expect(JSON.parse(lines[1999]!).src).toBe('198.18.7.207');
  });

  it('a closed reader (EPIPE) costs lines, not the process', async () => {
    const { fifo } = stuckPipe();
    // A second, write-only descriptor; close every read end so writes fail with EPIPE.
    const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeFd = fs.openSync(fifo, 'w');
    fs.closeSync(readFd);
    fs.closeSync(open.pop()!);
    open.push(writeFd);
    const w = new BoundedLogWriter(writeFd);
    for (let i = 0; i < 10; i++) w.write(line(i));
    await w.drain(1000);
    await new Promise((r) => setTimeout(r, 50));
    expect(w.linesWritten).toBe(0);
    expect(w.linesDropped).toBe(10);
  });

  it('the sensor logger (JSON and pretty) writes through it', async () => {
    const dir = scratch();
    for (const format of ['json', 'pretty'] as const) {
      const file = path.join(dir, `${format}.log`);
      const fd = fs.openSync(file, 'w');
      open.push(fd);
      const w = new BoundedLogWriter(fd);
      const log = createLogger('info', format, undefined, undefined, w);
      log.info({ event: 'sensor_started', interface: 'eth1' }, 'capturing');
      log.debug({ event: 'ignored' }, 'below the level');
      expect(await w.drain(2000)).toBe(true);
      const text = fs.readFileSync(file, 'utf8');
      expect(text.trim().split('\n')).toHaveLength(1);
      if (format === 'json') expect(JSON.parse(text).event).toBe('sensor_started');
      // The pretty line leaves out what every line carries (sensor, interface).
      else expect(text).toMatch(/INFO +capturing\n$/);
    }
    expect(typeof pino).toBe('function');
  });
});

describe('scanwatch_log_lines_dropped_total', () => {
  it('exports the writer counters at scrape time', async () => {
    const { Registry } = await import('prom-client');
    const { registerLogMetrics } = await import('../../src/metrics/log-metrics.js');
    const registry = new Registry();
    const counters = { linesDropped: 7, linesWritten: 3, pending: 2 };
    registerLogMetrics(registry, counters);
    let text = await registry.metrics();
    expect(text).toMatch(/^scanwatch_log_lines_dropped_total 7$/m);
    expect(text).toMatch(/^scanwatch_log_lines_written_total 3$/m);
    expect(text).toMatch(/^scanwatch_log_lines_pending 2$/m);
    counters.linesDropped = 12;
    text = await registry.metrics();
    expect(text).toMatch(/^scanwatch_log_lines_dropped_total 12$/m);
  });
});
