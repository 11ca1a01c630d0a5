/**
 * --on-detection COMMAND: runs a program for each new scan, with the event
 * as one JSON line on its standard input (the way psad's EXTERNAL_SCRIPT
 * and Suricata/Zeek notice hooks hand an alert to a responder).
 *
 * - No shell: the command is split on white space into argv, so nothing in
 *   an event (an address, a tool name) can ever be interpreted by a shell.
 * - Bounded: at most `concurrency` programs at once, at most `rate` started
 *   per second (token bucket), at most `queueLimit` events waiting; beyond
 *   that an event is dropped and counted, never queued without end. A
 *   program that runs longer than `timeoutMs` is killed (SIGKILL) and
 *   counted as a timeout.
 */
import { spawn } from 'node:child_process';

export interface HookCounters {
  started: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  dropped: number;
}

export interface CommandHookOptions {
  command: string;
  timeoutMs: number;
  concurrency: number;
  /** Programs started per second at most. */
  rate: number;
  queueLimit?: number;
  /** Called with one line when a program fails (for the log). */
  onFailure?: (message: string) => void;
}

/** "a b  c" -> ["a", "b", "c"]; an empty command is an error. */
export function splitCommand(command: string): string[] {
  const argv = command.trim().split(/\s+/).filter((s) => s !== '');
  if (argv.length === 0) throw new Error('--on-detection: empty command');
  return argv;
}

export class CommandHook {
  readonly counters: HookCounters = { started: 0, succeeded: 0, failed: 0, timedOut: 0, dropped: 0 };
  private readonly argv: string[];
  private readonly queue: string[] = [];
  private running = 0;
  private tokens: number;
  private lastRefill = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: CommandHookOptions) {
    this.argv = splitCommand(opts.command);
    this.tokens = Math.max(1, opts.rate);
  }

  /** Hands an event to the hook; returns false when it was dropped (queue full). */
  submit(event: Record<string, unknown>): boolean {
    if (this.queue.length >= (this.opts.queueLimit ?? 100)) {
      this.counters.dropped++;
      return false;
    }
    this.queue.push(JSON.stringify(event) + '\n');
    this.pump();
    return true;
  }

  /** Resolves when nothing runs or waits (tests, shutdown). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Stops starting programs; waiting events are dropped and counted. */
  close(): void {
    this.counters.dropped += this.queue.length;
    this.queue.length = 0;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.checkIdle();
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(Math.max(1, this.opts.rate), this.tokens + ((now - this.lastRefill) / 1000) * this.opts.rate);
    this.lastRefill = now;
  }

  private pump(): void {
    this.refill();
    while (this.queue.length > 0 && this.running < this.opts.concurrency && this.tokens >= 1) {
      this.tokens -= 1;
      this.run(this.queue.shift()!);
    }
    if (this.queue.length > 0 && this.running < this.opts.concurrency && this.timer === null) {
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
    this.running++;
    this.counters.started++;
    let settled = false;
    const finish = (ok: boolean, timedOut: boolean, why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(killer);
      this.running--;
      if (timedOut) this.counters.timedOut++;
      else if (ok) this.counters.succeeded++;
      else this.counters.failed++;
      if (!ok) this.opts.onFailure?.(why);
      this.pump();
      this.checkIdle();
    };
    const child = spawn(this.argv[0]!, this.argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], shell: false });
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      if (stderr.length < 500) stderr += b.toString('utf8');
    });
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(false, true, `${this.argv[0]} timed out after ${this.opts.timeoutMs} ms`);
    }, this.opts.timeoutMs);
    child.on('error', (err) => finish(false, false, `${this.argv[0]}: ${err.message}`));
    child.on('close', (code, signal) => {
      const detail = stderr.trim().split('\n')[0] ?? '';
      finish(code === 0, false, `${this.argv[0]} exited with ${signal ?? code}${detail ? `: ${detail}` : ''}`);
    });
    // A program that does not read its input must not fail the hook with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(line);
  }

  private checkIdle(): void {
    if (this.running === 0 && this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}
