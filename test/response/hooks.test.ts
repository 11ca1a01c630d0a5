/**
 * The response hooks' bounds. --on-detection runs a program without a
 * shell, the event JSON on stdin, in a process group of its own that is
 * killed as a whole at its timeout, when it exits and when the sensor
 * stops, with a concurrency bound, a rate limit and a bounded fair queue;
 * --webhook retries with backoff from a bounded fair queue. Everything
 * that goes wrong is counted.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { CommandHook, splitCommand } from '../../src/response/command-hook.js';
import { Webhook } from '../../src/response/webhook.js';
import { registerHookMetrics } from '../../src/metrics/hook-metrics.js';

const dir = mkdtempSync(join(tmpdir(), 'scanwatch-hooks-'));
const event = { event: 'scan_started', src: '198.18.0.66', type: 'tcp-syn', scan_id: '0190-test' };
/** The same event from the n-th of many sources. */
const from = (n: number, verified = false) => ({ ...event, src: `198.18.${n >> 8}.${n & 255}`, source_verified: verified });

/** Whether a process is alive: it exists and is not a zombie waiting for its parent to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function waitFor(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A hook program that forks two grandchildren (`sleep 60 &` twice), records its own and their pids, and waits. */
function forkingHook(name: string, then: 'wait' | 'exit'): { script: string; pids: () => number[] } {
  const pids = join(dir, `${name}.pids`);
  writeFileSync(pids, '');
  const script = join(dir, `${name}.sh`);
  writeFileSync(script, `#!/bin/sh\necho $$ >> ${pids}\nsleep 60 &\necho $! >> ${pids}\nsleep 60 &\necho $! >> ${pids}\n${then === 'wait' ? 'wait' : 'exit 0'}\n`, { mode: 0o755 });
  return { script, pids: () => readFileSync(pids, 'utf8').trim().split('\n').filter((l) => l !== '').map(Number) };
}

describe('--on-detection', () => {
  it('splits the command into argv: a ; or $() reaches the program as text, no shell runs it', async () => {
    const out = join(dir, 'argv.json');
    const marker = join(dir, 'pwned');
    const script = join(dir, 'record.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';\nlet s = '';\nprocess.stdin.on('data', (d) => (s += d)).on('end', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify({ argv: process.argv.slice(2), stdin: s })));\n`,
    );
    const hook = new CommandHook({ command: `${process.execPath} ${script} ;touch $(${marker})`, timeoutMs: 5000, concurrency: 1, rate: 10 });
    expect(splitCommand('a  b\tc')).toEqual(['a', 'b', 'c']);
    hook.submit(event);
    await hook.idle();
    expect(hook.counters).toMatchObject({ started: 1, succeeded: 1, failed: 0 });
    const got = JSON.parse(readFileSync(out, 'utf8')) as { argv: string[]; stdin: string };
    expect(got.argv).toEqual([';touch', `$(${marker})`]);
    expect(JSON.parse(got.stdin)).toEqual(event);
    expect(existsSync(marker)).toBe(false);
  });

  it('kills a program that outlives the timeout and counts it; a non-zero exit is a failure', async () => {
    const failures: string[] = [];
    const slow = new CommandHook({ command: 'sleep 30', timeoutMs: 200, concurrency: 1, rate: 10, onFailure: (m) => failures.push(m) });
    const t = Date.now();
    slow.submit(event);
    await slow.idle();
    expect(Date.now() - t).toBeLessThan(5000);
    expect(slow.counters).toMatchObject({ started: 1, timedOut: 1, succeeded: 0 });
    const bad = new CommandHook({ command: 'false', timeoutMs: 2000, concurrency: 1, rate: 10, onFailure: (m) => failures.push(m) });
    bad.submit(event);
    const missing = new CommandHook({ command: '/nonexistent/blocker', timeoutMs: 2000, concurrency: 1, rate: 10, onFailure: (m) => failures.push(m) });
    missing.submit(event);
    await Promise.all([bad.idle(), missing.idle()]);
    expect(bad.counters.failed).toBe(1);
    expect(missing.counters.failed).toBe(1);
    expect(failures).toHaveLength(3);
    expect(failures[0]).toMatch(/timed out/);
  });

  it('at its timeout the whole process group dies: the program and every grandchild it forked', async () => {
    const { script, pids } = forkingHook('timeout', 'wait');
    const hook = new CommandHook({ command: script, timeoutMs: 500, concurrency: 1, rate: 10 });
    hook.submit(event);
    await waitFor('the hook and its two grandchildren to start', () => pids().length === 3);
    expect(pids().every(alive)).toBe(true);
    await hook.idle();
    expect(hook.counters).toMatchObject({ started: 1, timedOut: 1 });
    await waitFor('every process of the group to be gone', () => !pids().some(alive), 2000);
  });

  it('when the sensor stops (close), running programs and their grandchildren are killed and counted', async () => {
    const { script, pids } = forkingHook('stop', 'wait');
    const hook = new CommandHook({ command: script, timeoutMs: 30_000, concurrency: 1, rate: 10 });
    hook.submit(from(1));
    hook.submit(from(2));
    await waitFor('the hook and its two grandchildren to start', () => pids().length === 3);
    hook.close();
    expect(hook.counters).toMatchObject({ started: 1, killedAtStop: 1, dropped: 1 });
    await waitFor('every process of the group to be gone', () => !pids().some(alive), 2000);
    // Closed, it runs nothing more.
    expect(hook.submit(from(3))).toBe(false);
    expect(hook.counters.started).toBe(1);
  });

  it('a program that exits leaves nothing running behind it', async () => {
    const { script, pids } = forkingHook('exits', 'exit');
    const hook = new CommandHook({ command: script, timeoutMs: 30_000, concurrency: 1, rate: 10 });
    hook.submit(event);
    await hook.idle();
    expect(hook.counters).toMatchObject({ started: 1, succeeded: 1 });
    expect(pids()).toHaveLength(3);
    await waitFor('the background sleeps to be gone', () => !pids().some(alive), 2000);
  });

  it('a flood of 150 sources cannot keep a verified scanner out of the queue: it runs next', async () => {
    const ran = join(dir, 'fair.log');
    writeFileSync(ran, '');
    const script = join(dir, 'fair.mjs');
    writeFileSync(script, `import { appendFileSync } from 'node:fs';\nlet s = '';\nprocess.stdin.on('data', (d) => (s += d)).on('end', () => appendFileSync(${JSON.stringify(ran)}, JSON.parse(s).src + '\\n'));\n`);
    const hook = new CommandHook({ command: `${process.execPath} ${script}`, timeoutMs: 5000, concurrency: 1, rate: 20 });
    for (let i = 0; i < 150; i++) hook.submit(from(i));
    const real = { ...event, src: '198.19.0.1', source_verified: true };
    expect(hook.submit(real)).toBe(true);
    for (let i = 150; i < 170; i++) hook.submit(from(i));
    const lines = () => readFileSync(ran, 'utf8').trim().split('\n');
    await waitFor('the real scanner\'s event to be run', () => lines().includes('198.19.0.1'), 10_000);
    hook.close();
    // The first flood event was already running; the real one came straight after it.
    expect(lines().indexOf('198.19.0.1')).toBe(1);
    expect(hook.queueDrops.displaced).toBe(1);
    expect(hook.queueDrops.queueFull).toBe(49 + 20);
  });

  it('never runs more than the concurrency bound, and drops (counts) what the queue cannot hold', async () => {
    const log = join(dir, 'concurrency.log');
    writeFileSync(log, '');
    const script = join(dir, 'conc.sh');
    writeFileSync(script, `#!/bin/sh\necho start >> ${log}\nsleep 0.3\necho end >> ${log}\n`, { mode: 0o755 });
    const hook = new CommandHook({ command: script, timeoutMs: 5000, concurrency: 2, rate: 1000, queueLimit: 3 });
    for (let i = 0; i < 8; i++) hook.submit(from(i));
    await hook.idle();
    // 2 start at once, 3 wait, 3 are dropped.
    expect(hook.counters).toMatchObject({ started: 5, succeeded: 5, dropped: 3 });
    expect(hook.queueDrops).toEqual({ sourceShare: 0, queueFull: 3, displaced: 0 });
    let running = 0;
    let most = 0;
    for (const l of readFileSync(log, 'utf8').trim().split('\n')) {
      running += l === 'start' ? 1 : -1;
      most = Math.max(most, running);
    }
    expect(most).toBeLessThanOrEqual(2);
  });

  it('starts at most `rate` programs per second', async () => {
    const hook = new CommandHook({ command: 'true', timeoutMs: 5000, concurrency: 10, rate: 2, queueLimit: 10 });
    const t = Date.now();
    for (let i = 0; i < 5; i++) hook.submit(from(i));
    await hook.idle();
    // Two at once (the bucket holds one second's worth), then one every 500 ms: the fifth after 1.5 s.
    expect(Date.now() - t).toBeGreaterThanOrEqual(1400);
    expect(hook.counters.succeeded).toBe(5);
  });
});

describe('--webhook', () => {
  let server: Server | null = null;
  afterEach(() => server?.close());

  async function serve(handler: (req: IncomingMessage, body: string) => number): Promise<string> {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString())).on('end', () => {
        res.statusCode = handler(req, body);
        res.end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const a = server.address() as { port: number };
    return `http://127.0.0.1:${a.port}/hook`;
  }

  it('posts the event as JSON and retries a 503 with backoff until it is taken', async () => {
    const bodies: string[] = [];
    let calls = 0;
    const url = await serve((req, body) => {
      calls++;
      bodies.push(body);
      expect(req.method).toBe('POST');
      expect(req.headers['content-type']).toBe('application/json');
      return calls <= 2 ? 503 : 204;
    });
    const hook = new Webhook({ url, queueLimit: 10, backoffMs: 20 });
    hook.submit(event);
    await hook.idle();
    expect(hook.counters).toEqual({ sent: 1, retries: 2, failed: 0, dropped: 0 });
    expect(JSON.parse(bodies[2]!)).toEqual(event);
  });

  it('gives up on a 400 at once, counts a refused connection as failed after its retries, keeps a source to its share of the queue', async () => {
    const url = await serve(() => 400);
    const rejected = new Webhook({ url, queueLimit: 10, backoffMs: 10 });
    rejected.submit(event);
    await rejected.idle();
    expect(rejected.counters).toMatchObject({ sent: 0, failed: 1, retries: 0 });

    const refused = new Webhook({ url: 'http://127.0.0.1:9/', queueLimit: 2, attempts: 3, backoffMs: 10 });
    for (let i = 0; i < 5; i++) refused.submit({ ...event, n: i });
    await refused.idle();
    // The first is in flight; of the four behind it the queue keeps the source's share, two.
    expect(refused.counters.dropped).toBe(2);
    expect(refused.queueDrops.sourceShare).toBe(2);
    expect(refused.counters.failed).toBe(3);
    expect(refused.counters.retries).toBe(6);
  });

  it('the counters are on /metrics', async () => {
    const hook = new CommandHook({ command: 'false', timeoutMs: 2000, concurrency: 1, rate: 10 });
    hook.submit(event);
    await hook.idle();
    const registry = new Registry();
    registerHookMetrics(registry, hook, null);
    const text = await registry.metrics();
    expect(text).toMatch(/^scanwatch_hook_events_total\{hook="command",result="failed"\} 1$/m);
    expect(text).toMatch(/^scanwatch_hook_events_total\{hook="command",result="dropped"\} 0$/m);
    expect(text).toMatch(/^scanwatch_hook_events_total\{hook="command",result="killed_at_stop"\} 0$/m);
  });
});
