/**
 * Runs the built CLI (dist/cli/main.js) as a child process for the
 * robustness tests, with its exit signal and run time.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { main, repo } from '../cli/run-cli.js';

// One place builds dist/ and names the paths (test/cli/run-cli.ts); this
// runner differs in what it returns (signal, time) and how it is stopped.
export { ensureBuilt, fixture, main, repo } from '../cli/run-cli.js';

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
