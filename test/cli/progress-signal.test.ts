/**
 * Long work shows progress (only on a terminal: tested in a pseudo-terminal
 * made by util-linux `script`), and SIGINT (a real signal to the node
 * process) prints the report of what was read, marked partial, exit 130.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ensureBuilt, fixture, main, pcapSplit, repo } from './run-cli.js';

const SYN = fixture('nmap-syn.pcap');
let tmp = '';
let big = '';
let bigPackets = 0;

/** A larger capture: nmap-syn.pcap's records repeated, each copy 60 s later. */
function makeBig(copies: number): string {
  const { header, records } = pcapSplit(SYN);
  const parts: Buffer[] = [header];
  for (let c = 0; c < copies; c++) {
    for (const r of records) {
      const x = Buffer.from(r);
      x.writeUInt32LE(x.readUInt32LE(0) + 60 * c, 0);
      parts.push(x);
    }
  }
  bigPackets = copies * records.length;
  const p = path.join(tmp, 'big.pcap');
  fs.writeFileSync(p, Buffer.concat(parts));
  return p;
}

/** Runs a shell command line in a pseudo-terminal; returns what the terminal showed. */
function inPty(command: string): { status: number | null; screen: string } {
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: repo, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, screen: r.stdout };
}

/**
 * Starts the CLI reading standard input from a FIFO and writes `data` into
 * it without closing it. A FIFO holds 64 KiB: when the blocking write of
 * more than that returns, the CLI has been reading (its SIGINT handler is
 * installed before it reads) and waits for more when the rest is taken.
 */
function startOnFifo(args: string[], data: Buffer): { child: ReturnType<typeof spawn>; writer: number } {
  expect(data.length).toBeGreaterThan(96 * 1024);
  const fifo = path.join(tmp, `in-${process.hrtime.bigint()}.fifo`);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writer = fs.openSync(fifo, 'w');
  // node itself (not npx), so the signal reaches the program.
  const child = spawn(process.execPath, [main, ...args], { cwd: repo, stdio: [reader, 'pipe', 'pipe'] });
  fs.closeSync(reader);
  fs.writeSync(writer, data);
  return { child, writer };
}

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-progress-'));
  // Long enough that the first redraw (250 ms after start) comes well before the end on a fast machine.
  big = makeBig(600);
  const which = spawnSync('script', ['--version'], { encoding: 'utf8' });
  expect(which.status, 'util-linux script is needed (scripts/test.sh installs util-linux)').toBe(0);
}, 180_000);

describe('progress bar', () => {
  it('on a terminal: bytes of total, percentage, packets/s and ETA on stderr; the report is unchanged', () => {
    const out = path.join(tmp, 'tty.json');
    const r = inPty(`${process.execPath} ${main} analyze ${big} --format json > ${out}`);
    expect(r.status).toBe(0);
    // At least one drawn line: "[####----]  42%  8.1 MiB / 20.5 MiB  1.23M pkt/s  ETA 0:01".
    expect(r.screen).toMatch(/\[[#-]{24}\]\s+\d+%\s+[\d.]+ (B|KiB|MiB) \/ [\d.]+ MiB\s+[\d.]+[kM]? pkt\/s\s+ETA (\d+:)?\d+:\d\d/);
    // The bar is erased at the end (erase-line after the last redraw), never left mid-line.
    expect(r.screen.trimEnd().endsWith('\x1b[2K')).toBe(true);
    const rep = JSON.parse(fs.readFileSync(out, 'utf8')) as { packets: number; partial: boolean };
    expect(rep.packets).toBe(bigPackets);
    expect(rep.partial).toBe(false);
  });

  it('--quiet silences it on a terminal', () => {
    const r = inPty(`${process.execPath} ${main} analyze ${big} --quiet --format json > /dev/null`);
    expect(r.status).toBe(0);
    expect(r.screen).not.toMatch(/pkt\/s/);
  });

  it('never on a pipe: stderr stays empty', async () => {
    const r = await cli(['analyze', big, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
  });
});

describe('SIGINT', () => {
  it('prints the report of what was read so far, marked partial, and exits 130', async () => {
    const { header, records } = pcapSplit(SYN);
    const sent = records.slice(0, 1800);
    const { child, writer } = startOnFifo(['analyze', '-', '--format', 'json'], Buffer.concat([header, ...sent]));
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (code, sig) => resolve([code, sig])));
    // Time to take the last 64 KiB; the FIFO stays open, so the CLI then waits for more.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    child.kill('SIGINT');
    const [code, signal] = await closed;
    fs.closeSync(writer);
    expect({ code, signal }).toEqual({ code: 130, signal: null });
    const rep = JSON.parse(Buffer.concat(out).toString('utf8')) as { partial: boolean; packets: number; detections: { type: string; src: string }[] };
    expect(rep.partial).toBe(true);
    expect(rep.packets).toBe(sent.length);
    expect(rep.detections.map((d) => `${d.src} ${d.type}`)).toEqual(['198.18.0.1 tcp-syn']);
    expect(Buffer.concat(err).toString('utf8')).toMatch(/warning: interrupted: the report covers the 1800 packets read so far/);
  });

  it('the table report says PARTIAL too', async () => {
    const { header, records } = pcapSplit(SYN);
    const { child, writer } = startOnFifo(['analyze', '-'], Buffer.concat([header, ...records.slice(0, 1800)]));
    const out: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    const closed = new Promise<[number | null, string | null]>((resolve) => child.on('close', (code, sig) => resolve([code, sig])));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    child.kill('SIGINT');
    const [code, signal] = await closed;
    fs.closeSync(writer);
    expect({ code, signal }).toEqual({ code: 130, signal: null });
    expect(Buffer.concat(out).toString('utf8')).toMatch(/^PARTIAL REPORT/m);
  });
});
