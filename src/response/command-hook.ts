/**
 * --on-detection COMMAND: runs a program for each new scan, with the event
 * as one JSON line on its standard input (the way psad's EXTERNAL_SCRIPT
 * and Suricata/Zeek notice hooks hand an alert to a responder).
 *
 * - No shell: the command is split on white space into argv, so nothing in
 *   an event (an address, a tool name) can ever be interpreted by a shell.
 * - Bounded: at most `concurrency` programs at once, at most `rate` started
 *   per second (token bucket), at most `queueLimit` events waiting, each
 *   source at most `perSource` of them (fair-queue.ts); beyond that an
 *   event is dropped and counted, never queued without end.
 * - Contained: each program runs in a process group of its own (a new
 *   session: spawn's `detached`, setsid(2)). When the program exits, when
 *   it outlives `timeoutMs`, and when the sensor stops, the whole group is
 *   sent SIGKILL (kill(2) with a negative pid), so nothing it forked (a
 *   `sleep &`, a stuck `nft`) outlives it and escapes the concurrency
 *   bound. A descendant that makes a session of its own (setsid, a daemon)
 *   leaves the group; under the systemd unit the service's cgroup still
 *   ends it when the sensor stops (KillMode=control-group, the default).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { DEFAULT_SHARE_PER_SOURCE, FairQueue, type FairQueueDrops } from './fair-queue.js';
import { sourceShareKey } from './address-class.js';

export interface HookCounters {
  started: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  /** Still running when the sensor stopped, and killed then. */
  killedAtStop: number;
  /** Every event not run: refused or displaced by the queue, or waiting when the sensor stopped. */
  dropped: number;
}

export interface CommandHookOptions {
  command: string;
  timeoutMs: number;
  concurrency: number;
  /** Programs started per second at most. */
  rate: number;
  queueLimit?: number;
  /** Events of one source (an IPv4 address, an IPv6 /64) waiting at most. */
  perSource?: number;
  /** Called with one line when a program fails (for the log). */
  onFailure?: (message: string) => void;
}

/** Events waiting for a program at most. */
export const COMMAND_QUEUE_LIMIT = 100;

/** "a b  c" -> ["a", "b", "c"]; an empty command is an error. */
export function splitCommand(command: string): string[] {
  const argv = command.trim().split(/\s+/).filter((s) => s !== '');
  if (argv.length === 0) throw new Error('--on-detection: empty command');
  return argv;
}

/** SIGKILL to every process of the group led by `pid`; false when none was left. */
export function killProcessGroup(pid: number): boolean {
  try {
    process.kill(-pid, 'SIGKILL');
    return true;
  } catch {
    // ESRCH: the group is empty already.
    return false;
  }
}

export class CommandHook {
  readonly counters: HookCounters = { started: 0, succeeded: 0, failed: 0, timedOut: 0, killedAtStop: 0, dropped: 0 };
  private readonly argv: string[];
  private readonly queue: FairQueue<string>;
  /** Each running program, with what ends its bookkeeping when the sensor stops it. */
  private readonly running = new Map<ChildProcess, () => void>();
  private closed = false;
  private tokens: number;
  private lastRefill = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: CommandHookOptions) {
    this.argv = splitCommand(opts.command);
    this.tokens = Math.max(1, opts.rate);
    this.queue = new FairQueue(opts.queueLimit ?? COMMAND_QUEUE_LIMIT, opts.perSource ?? DEFAULT_SHARE_PER_SOURCE);
  }

  /** Why events were refused or displaced by the queue. */
  get queueDrops(): Readonly<FairQueueDrops> {
    return this.queue.drops;
  }

  /** Programs running now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Hands an event to the hook; false when it was dropped. Its source's
   * share and lane come from the event's `src` and `source_verified`.
   */
  submit(event: Record<string, unknown>): boolean {
    if (this.closed) {
      this.counters.dropped++;
      return false;
    }
    const before = this.queue.drops.displaced;
    const queued = this.queue.push(sourceShareKey(event.src), JSON.stringify(event) + '\n', event.source_verified === true);
    this.counters.dropped += this.queue.drops.displaced - before + (queued ? 0 : 1);
    if (queued) this.pump();
    return queued;
  }

  /** Resolves when nothing runs or waits (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running.size === 0 && this.queue.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Stops the hook: waiting events are dropped and running programs killed
   * with their whole process group, all counted.
   */
  close(): void {
    this.closed = true;
    this.counters.dropped += this.queue.clear();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const stop of [...this.running.values()]) stop();
    this.checkIdle();
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(Math.max(1, this.opts.rate), this.tokens + ((now - this.lastRefill) / 1000) * this.opts.rate);
    this.lastRefill = now;
  }

  private pump(): void {
    if (this.closed) return;
    this.refill();
    while (this.queue.size > 0 && this.running.size < this.opts.concurrency && this.tokens >= 1) {
      this.tokens -= 1;
      this.run(this.queue.shift()!);
    }
    if (this.queue.size > 0 && this.running.size < this.opts.concurrency && this.timer === null) {
      // Out of tokens: come back when the next one is due.
      const wait = Math.ceil(((1 - this.tokens) / this.opts.rate) * 1000);
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, wait);
      this.timer.unref();
    }
  }

  private run(line: string): void {
    this.counters.started++;
    // detached: the program leads a new session and process group (setsid), which killProcessGroup ends as a whole.
    const child = spawn(this.argv[0]!, this.argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], shell: false, detached: true });
    let settled = false;
    const finish = (outcome: 'succeeded' | 'failed' | 'timedOut' | 'killedAtStop', why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killer);
      this.running.delete(child);
      this.counters[outcome]++;
      if (outcome === 'failed' || outcome === 'timedOut') this.opts.onFailure?.(why);
      this.pump();
      this.checkIdle();
    };
    const killGroup = (): void => {
      if (child.pid !== undefined) killProcessGroup(child.pid);
    };
    this.running.set(child, () => {
      killGroup();
      finish('killedAtStop', '');
    });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 500) stderr += b.toString('utf8');
    });
    const killer = setTimeout(() => {
      killGroup();
      finish('timedOut', `${this.argv[0]} timed out after ${this.opts.timeoutMs} ms`);
    }, this.opts.timeoutMs);
    child.on('error', (err) => finish('failed', `${this.argv[0]}: ${err.message}`));
    // What the program left behind in its group dies with it. Linux does not
    // hand a pid number out again while a process still has it as its group
    // (kernel/pid.c), and allocates pids in increasing order until pid_max,
    // so the number names this group and no other at this moment.
    child.on('exit', killGroup);
    child.on('close', (code, signal) => {
      const detail = stderr.trim().split('\n')[0] ?? '';
      finish(code === 0 ? 'succeeded' : 'failed', `${this.argv[0]} exited with ${signal ?? code}${detail ? `: ${detail}` : ''}`);
    });
    // A program that does not read its input must not fail the hook with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(line);
  }

  private checkIdle(): void {
    if (this.running.size === 0 && this.queue.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
