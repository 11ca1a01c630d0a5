/**
 * --extract on a bad day: inputs that cannot be read twice, a write that
 * fails in the middle of a file, and signals during the second pass. Each
 * pcap is written under a temporary name and renamed when whole, so none
 * of these leaves a half-written pcap; the report is printed regardless.
 *
 * A write failing mid-file without root: RLIMIT_FSIZE (util-linux
 * prlimit). write(2) past the limit takes what fits (a short write) and
 * the next one fails with EFBIG (Node ignores SIGXFSZ, so it is an error,
 * not a kill). test/e2e/full-disk.test.ts does the same with ENOSPC.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, fixture, main, pcapSplit, repo, runCommand, type CommandResult } from './run-cli.js';

const SYN = fixture('nmap-syn.pcap');
let tmp = '';


const run = (command: string[], env: Record<string, string> = {}) => runCommand(command, { env });

const cliCommand = (args: string[]): string[] => [process.execPath, main, ...args];
/** The CLI under a file size limit (bytes). */
const limited = (bytes: number, args: string[]): string[] => ['prlimit', `--fsize=${bytes}`, '--', ...cliCommand(args)];

function freshDir(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  return dir;
}

/** nmap-syn.pcap's records repeated, each copy 60 s later: one long scan, a second pass of some tenths of a second. */
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
  const p = path.join(tmp, `big-${copies}.pcap`);
  fs.writeFileSync(p, Buffer.concat(parts));
  return p;
}

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-extract-faults-'));
  expect(spawnSync('prlimit', ['--version']).status, 'util-linux prlimit is needed').toBe(0);
}, 180_000);

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

/** The one stderr line of a failed output, and nothing else on stderr. */
function oneErrorLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^scanwatch: error: /);
  expect(lines[0]).not.toMatch(/internal error|\bat \S+:\d+/);
  return lines[0]!;
}

describe('--extract: inputs that cannot be read twice are read once', () => {
  it('a process substitution (<(...), a pipe under /dev/fd): the same pcap as from the file', async () => {
    const fromFile = freshDir('subst-file');
    const fromPipe = freshDir('subst-pipe');
    expect((await run(cliCommand(['analyze', SYN, '--extract', fromFile, '--format', 'json']))).code).toBe(0);
    const script = `exec "$0" "$1" analyze <(cat "$2") --extract "$3" --format json`;
    const r = await run(['bash', '-c', script, process.execPath, main, SYN, fromPipe]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).detections).toHaveLength(1);
    const names = fs.readdirSync(fromFile);
    expect(names).toHaveLength(1);
    expect(fs.readdirSync(fromPipe)).toEqual(names);
    expect(fs.readFileSync(path.join(fromPipe, names[0]!)).equals(fs.readFileSync(path.join(fromFile, names[0]!)))).toBe(true);
  });

  it('a FIFO given by name: opened once, not waited on again for the second pass', async () => {
    const fifo = path.join(tmp, 'in.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const dir = freshDir('fifo');
    const writer = spawn('sh', ['-c', 'cat "$0" > "$1"', SYN, fifo], { stdio: 'ignore' });
    const r = await run(cliCommand(['analyze', fifo, '--extract', dir, '--format', 'json']));
    writer.kill();
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['1-198.18.0.1-tcp-syn.pcap']);
  });

  it('a copy that cannot be written: one line, exit 74, the copy removed', async () => {
    const spoolRoot = freshDir('spool-tmp');
    const dir = freshDir('spool-extract');
    const script = `exec "$@" < "${SYN}"`;
    const r = await run(['bash', '-c', script, 'bash', ...limited(20_000, ['analyze', '-', '--extract', dir])], { TMPDIR: spoolRoot });
    expect(r.code).toBe(74);
    expect(oneErrorLine(r.stderr)).toMatch(/^scanwatch: error: cannot copy standard input to \S+ to read it twice: file too large$/);
    expect(fs.readdirSync(spoolRoot)).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('no directory to copy into (TMPDIR missing): one line, exit 74', async () => {
    const missing = path.join(tmp, 'no-such-tmp');
    const dir = freshDir('spool-missing');
    const r = await run(['bash', '-c', `exec "$@" < "${SYN}"`, 'bash', ...cliCommand(['analyze', '-', '--extract', dir])], { TMPDIR: missing });
    expect(r.code).toBe(74);
    expect(oneErrorLine(r.stderr)).toBe(`scanwatch: error: cannot make a directory in ${missing} to copy standard input into: no such file or directory`);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describe('--extract: a write failing mid-file (short write, then EFBIG)', () => {
  for (const format of ['json', 'html'] as const) {
    it(`--format ${format}: one error line, exit 74, no partial pcap, the report printed whole`, async () => {
      const dir = freshDir(`efbig-${format}`);
      // The scan's pcap is about 130 KB: the first 64 KiB append crosses 20,000 bytes.
      const r = await run(limited(20_000, ['analyze', SYN, '--extract', dir, '--format', format]));
      expect(r.code).toBe(74);
      const line = oneErrorLine(r.stderr);
      expect(line).toBe(`scanwatch: error: cannot write --extract ${path.join(dir, '1-198.18.0.1-tcp-syn.pcap')}: file too large; no extract file was kept (partial files removed)`);
      expect(fs.readdirSync(dir)).toEqual([]);
      if (format === 'json') {
        const report = JSON.parse(r.stdout) as { partial: boolean; detections: { src: string; type: string; probes: number }[] };
        expect(report.partial).toBe(false);
        expect(report.detections.map((d) => `${d.src} ${d.type}`)).toEqual(['198.18.0.1 tcp-syn']);
      } else {
        // The plots still come from the whole pass: the extract's failure does not stop it.
        expect(r.stdout.trimEnd().endsWith('</html>')).toBe(true);
        expect(r.stdout).toContain('198.18.0.1');
      }
    });
  }

  it('a limit above the pcap: the file is whole, nothing else is left in DIR', async () => {
    const dir = freshDir('efbig-roomy');
    const r = await run(limited(1_000_000, ['analyze', SYN, '--extract', dir, '--format', 'json']));
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['1-198.18.0.1-tcp-syn.pcap']);
    const { records } = pcapSplit(path.join(dir, '1-198.18.0.1-tcp-syn.pcap'));
    expect(records.length).toBeGreaterThan(1000);
  });
});

/**
 * Starts `analyze BIG --extract DIR` and stops it (SIGSTOP) as soon as its
 * first temporary file appears, which is during the second pass. Returns
 * null when the pass had already ended by then (a finished pcap is there):
 * the caller tries a larger capture.
 */
async function stoppedInSecondPass(big: string, dir: string): Promise<{ child: ReturnType<typeof spawn>; done: Promise<CommandResult> } | null> {
  const watcher = fs.watch(dir);
  const appeared = new Promise<void>((resolve) => watcher.on('change', (_event, name) => String(name).endsWith('.partial') && resolve()));
  const child = spawn(process.execPath, [main, 'analyze', big, '--extract', dir, '--format', 'json'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const done = new Promise<CommandResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') })),
  );
  const first = await Promise.race([appeared.then(() => 'partial' as const), done.then(() => 'ended' as const)]);
  if (first === 'partial') child.kill('SIGSTOP');
  watcher.close();
  const names = fs.readdirSync(dir);
  if (first === 'ended' || names.some((n) => n.endsWith('.pcap'))) {
    child.kill('SIGCONT');
    await done;
    for (const n of fs.readdirSync(dir)) fs.rmSync(path.join(dir, n));
    return null;
  }
  expect(names.length).toBe(1);
  expect(names[0]).toMatch(/^1-198\.18\.0\.1-tcp-syn\.pcap\.\d+\.partial$/);
  return { child, done };
}

async function inSecondPass(name: string): Promise<{ dir: string; child: ReturnType<typeof spawn>; done: Promise<CommandResult> }> {
  for (const copies of [300, 600, 1200]) {
    const dir = freshDir(`${name}-${copies}`);
    const big = makeBig(copies);
    const stopped = await stoppedInSecondPass(big, dir);
    if (stopped !== null) return { dir, ...stopped };
  }
  throw new Error('the second pass always ended before it could be signalled');
}

describe('--extract: signals during the second pass', () => {
  it('SIGINT: the report printed whole, the partial pcap removed, exit 130', async () => {
    const { dir, child, done } = await inSecondPass('sigint');
    child.kill('SIGINT');
    child.kill('SIGCONT');
    const r = await done;
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 130, signal: null });
    expect(fs.readdirSync(dir)).toEqual([]);
    // Detection was complete: the report is too, and says so.
    const report = JSON.parse(r.stdout) as { partial: boolean; detections: { src: string; type: string }[] };
    expect(report.partial).toBe(false);
    expect(report.detections.map((d) => `${d.src} ${d.type}`)).toEqual(['198.18.0.1 tcp-syn']);
    expect(r.stderr).toBe('scanwatch: warning: --extract interrupted: no extract file was kept (partial files removed)\n');
  });

  it('SIGTERM: the partial pcap removed, then the process ends by the signal', async () => {
    const { dir, child, done } = await inSecondPass('sigterm');
    child.kill('SIGTERM');
    child.kill('SIGCONT');
    const r = await done;
    expect({ code: r.code, signal: r.signal }).toEqual({ code: null, signal: 'SIGTERM' });
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});
