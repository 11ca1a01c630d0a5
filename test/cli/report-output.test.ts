/**
 * The report reaches its reader whole, or the run says it did not: one
 * line on stderr and exit 74. /dev/full (every write fails with ENOSPC)
 * stands for a full disk, a terminal whose other side is gone for EIO, a
 * file size limit (prlimit) for a write cut short on a regular file. A
 * reader that closes early (`| head`) is not a failure: quiet, and the
 * exit code the run earned.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt, fixture, main, repo, runCommand, type CommandResult } from './run-cli.js';

const SYN = fixture('nmap-syn.pcap');
const FORMATS = ['table', 'json', 'ndjson', 'html'] as const;
let tmp = '';


const run = (command: string[], stdout: number | 'pipe' = 'pipe') => runCommand(command, { stdout });

const cli = (args: string[]): string[] => [process.execPath, main, ...args];

/** Runs the CLI with its standard output on `device`, opened for writing. */
async function toDevice(device: string, args: string[]): Promise<CommandResult> {
  const fd = fs.openSync(device, 'w');
  try {
    return await run(cli(args), fd);
  } finally {
    fs.closeSync(fd);
  }
}

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-report-output-'));
}, 180_000);

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

describe('a report that cannot be written (/dev/full: ENOSPC)', () => {
  for (const format of FORMATS) {
    it(`--format ${format}: one error line naming the output and the reason, exit 74`, async () => {
      const r = await toDevice('/dev/full', ['analyze', SYN, '--format', format]);
      expect(r.code).toBe(74);
      expect(r.stderr).toBe('scanwatch: error: cannot write the report to /dev/full: no space left on device\n');
    });
  }

  it('with --extract: the pcap files are whole (written before the report), the report failure still told', async () => {
    const dir = path.join(tmp, 'extract-full');
    const r = await toDevice('/dev/full', ['analyze', SYN, '--extract', dir, '--format', 'json']);
    expect(r.code).toBe(74);
    expect(r.stderr).toBe('scanwatch: error: cannot write the report to /dev/full: no space left on device\n');
    expect(fs.readdirSync(dir)).toEqual(['1-198.18.0.1-tcp-syn.pcap']);
    const tcpdump = spawnSync('tcpdump', ['-nn', '-r', path.join(dir, '1-198.18.0.1-tcp-syn.pcap')], { encoding: 'utf8' });
    expect(tcpdump.status, tcpdump.stderr).toBe(0);
    expect(tcpdump.stdout.split('\n').length).toBeGreaterThan(1000);
  });

  it('a damaged input as well: the output fault decides the exit code (74, not 3), the input warning is kept', async () => {
    const cut = path.join(tmp, 'cut.pcap');
    const whole = fs.readFileSync(SYN);
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 7));
    const r = await toDevice('/dev/full', ['analyze', cut, '--format', 'json']);
    expect(r.code).toBe(74);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^scanwatch: warning: .*truncated/);
    expect(lines[1]).toBe('scanwatch: error: cannot write the report to /dev/full: no space left on device');
  });

  for (const args of [['--help'], ['--version'], ['completion']]) {
    it(`${args.join(' ')}: one error line, exit 74`, async () => {
      const r = await toDevice('/dev/full', args);
      expect(r.code).toBe(74);
      expect(r.stderr).toBe('scanwatch: error: cannot write to standard output: no space left on device\n');
    });
  }
});

describe('other write failures', () => {
  it('EIO: a terminal whose other side is gone (a pty whose master was closed)', async () => {
    expect(spawnSync('python3', ['--version']).status, 'python3 is needed').toBe(0);
    // python opens a pseudo-terminal, closes its master side and runs the CLI with the slave as stdout.
    const launcher = 'import os, pty, sys\nm, s = pty.openpty()\nos.close(m)\nos.dup2(s, 1)\nos.execvp(sys.argv[1], sys.argv[1:])';
    const r = await run(['python3', '-c', launcher, ...cli(['analyze', SYN, '--format', 'json'])], 'pipe');
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/^scanwatch: error: cannot write the report to \S+.*: i\/o error\n$/);
  });

  it('a regular file under a size limit: the write is cut short (a short count, then EFBIG), never a silent truncated report', async () => {
    const file = path.join(tmp, 'limited.html');
    const fd = fs.openSync(file, 'w');
    let r: CommandResult;
    try {
      r = await run(['prlimit', '--fsize=10000', '--', ...cli(['analyze', SYN, '--format', 'html'])], fd);
    } finally {
      fs.closeSync(fd);
    }
    expect(r.code).toBe(74);
    expect(r.stderr).toBe(`scanwatch: error: cannot write the report to ${file}: file too large\n`);
    expect(fs.statSync(file).size).toBe(10000);
  });
});

describe('a report that can be written is written whole', () => {
  it('to a regular file and to a pipe read slowly (the pipe fills, the writer waits): the same bytes, exit 0', async () => {
    const file = path.join(tmp, 'report.html');
    const fd = fs.openSync(file, 'w');
    const toFile = await run(cli(['analyze', SYN, '--format', 'html']), fd);
    fs.closeSync(fd);
    expect(toFile.code, toFile.stderr).toBe(0);
    const written = fs.readFileSync(file);
    // More than a pipe holds (64 KiB): the writer must wait for the reader.
    expect(written.length).toBeGreaterThan(80 * 1024);
    expect(written.toString('utf8').trimEnd().endsWith('</html>')).toBe(true);

    // The reader takes nothing for half a second, then everything.
    const piped = path.join(tmp, 'piped.html');
    const script = `"$0" "$1" analyze "$2" --format html | (sleep 0.5; cat > "$3"); echo "\${PIPESTATUS[0]}"`;
    const r = await run(['bash', '-c', script, process.execPath, main, SYN, piped]);
    expect(r.stdout).toBe('0\n');
    expect(r.stderr).toBe('');
    expect(fs.readFileSync(piped).equals(written)).toBe(true);
  });
});

describe('a reader that closes early (EPIPE) is not a failure', () => {
  /** Runs the CLI with a stdout pipe whose reading end is closed before the CLI writes. */
  async function closedReader(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    const child = spawn(process.execPath, [main, ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    return { code, signal, stderr };
  }

  for (const format of FORMATS) {
    it(`--format ${format}: nothing on stderr, exit 0`, async () => {
      const r = await closedReader(['analyze', SYN, '--format', format]);
      expect(r).toEqual({ code: 0, signal: null, stderr: '' });
    });
  }

  it('the exit code is still the one the run earned: 3 for a damaged input, with its warning', async () => {
    const cut = path.join(tmp, 'cut-epipe.pcap');
    const whole = fs.readFileSync(SYN);
    fs.writeFileSync(cut, whole.subarray(0, whole.length - 7));
    const r = await closedReader(['analyze', cut]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^scanwatch: warning: .*truncated[^\n]*\n$/);
  });

  it('`scanwatch analyze | head -c 15` in a shell with pipefail: exit 0 and the first bytes', async () => {
    const script = `set -o pipefail; "$0" "$1" analyze "$2" --format html | head -c 15; echo " status $?"`;
    const r = await run(['bash', '-c', script, process.execPath, main, SYN]);
    expect(r.stdout).toBe('<!DOCTYPE html> status 0\n');
    expect(r.stderr).toBe('');
  });
});
