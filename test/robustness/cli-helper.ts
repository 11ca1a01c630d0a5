/**
 * Runs the built CLI (dist/cli/main.js) as a child process for the
 * robustness tests; dist/ is rebuilt first when older than any source file.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
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

/** Builds dist/ when it is missing or older than src/. */
export function ensureBuilt(): void {
  const built = fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0;
  if (built < newestMtime(path.join(repo, 'src'))) {
    const r = spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: repo, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed (npx tsc -p tsconfig.json):\n${r.stdout}\n${r.stderr}`);
  }
  if (!fs.existsSync(main)) throw new Error(`${main} missing after the build`);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node dist/cli/main.js ...args`, killing it after `timeoutMs`. */
export function cli(args: string[], opts: { stdin?: Buffer; timeoutMs?: number; spawn?: SpawnOptions } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [main, ...args], {
      cwd: repo,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, SCANWATCH_DEBUG: '' },
      ...opts.spawn,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - t0 });
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(opts.stdin);
  });
}
