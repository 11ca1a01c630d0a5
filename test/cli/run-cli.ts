/**
 * Running the built CLI (dist/cli/main.js) as a child process, for the CLI
 * tests. dist/ is rebuilt first when it is missing or older than a source.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../', import.meta.url));
export const main = path.join(repo, 'dist/cli/main.js');
export const fixture = (name: string): string => path.join(repo, 'test/pcaps', name);

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (e.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const built = fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0;
  if (built < newestMtime(path.join(repo, 'src'))) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed (npm run build):\n${r.stdout}\n${r.stderr}`);
  }
  if (!fs.existsSync(main)) throw new Error(`${main} missing after the build`);
}

/** The man page, which `npm run build` writes after tsc: a tsc-only build lacks it, so it is rebuilt when missing or older. */
export function ensureManPage(man: string): void {
  ensureBuilt();
  if (!fs.existsSync(man) || fs.statSync(man).mtimeMs < fs.statSync(main).mtimeMs) {
    const r = spawnSync('npm', ['run', 'build'], { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed (npm run build):\n${r.stdout}\n${r.stderr}`);
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `args`; `stdinFile` is piped to its standard input. */
export function cli(args: string[], stdinFile?: string, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SCANWATCH_DEBUG: '', ...env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.on('error', () => {});
    if (stdinFile !== undefined) fs.createReadStream(stdinFile).pipe(child.stdin);
    else child.stdin.end();
  });
}

export interface CommandResult extends CliResult {
  signal: NodeJS.Signals | null;
}

/**
 * Runs any command (the CLI under prlimit, bash, python) from the repository
 * with SCANWATCH_DEBUG off and `env` added, its standard output a pipe or a
 * descriptor opened by the caller; killed after 60 s.
 */
export function runCommand(command: string[], opts: { stdout?: number | 'pipe'; env?: Record<string, string> } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd: repo, stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'], env: { ...process.env, SCANWATCH_DEBUG: '', ...opts.env } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** The records of a little-endian classic pcap file: its header and each record's bytes. */
export function pcapSplit(file: string): { header: Buffer; records: Buffer[] } {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4 && magic !== 0xa1b23c4d) throw new Error(`${file}: not a little-endian pcap`);
  const records: Buffer[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    const next = off + 16 + b.readUInt32LE(off + 8);
    records.push(b.subarray(off, next));
    off = next;
  }
  return { header: b.subarray(0, 24), records };
}

/** Seconds of a record's timestamp (microsecond pcap). */
export function recordTime(rec: Buffer): number {
  return rec.readUInt32LE(0) + rec.readUInt32LE(4) / 1e6;
}
