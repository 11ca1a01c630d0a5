/**
 * Where the live sensor's log lines go: a bounded queue in front of a file
 * descriptor (stdout), written asynchronously, so that the packet path
 * never waits for a reader. When journald is stuck or stdout is a pipe
 * nobody drains, lines beyond the bound are dropped and counted, never
 * waited for (Suricata's eve-log and Zeek's logging threads make the same
 * choice: packets first).
 *
 * Node writes to pipes and files synchronously on Linux (process.stdout),
 * which is exactly what must not happen here; fs.write runs in libuv's
 * thread pool, so a blocked write blocks one pool thread, not the sensor.
 * One write is in flight at a time.
 */
import fs from 'node:fs';

/** Default bound of queued log text: 4 MiB (several thousand detection lines). */
export const DEFAULT_LOG_QUEUE_BYTES = 4 * 1024 * 1024;
/** Retry delay when a non-blocking descriptor is full (EAGAIN). */
const RETRY_MS = 20;

const countLines = (s: string): number => {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n === 0 ? 1 : n;
};

export class BoundedLogWriter {
  /** Lines that did not fit in the queue, or were lost to a closed descriptor. */
  linesDropped = 0;
  /** Lines fully written. */
  linesWritten = 0;
  private queue: string[] = [];
  private queuedChars = 0;
  /** The chunk being written (with its line count), and how much of it is done. */
  private inFlight: Buffer | null = null;
  private inFlightLines = 0;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly fd: number = 1,
    /** Bound on queued text, in UTF-16 code units (about bytes for JSON lines). */
    readonly maxQueued: number = DEFAULT_LOG_QUEUE_BYTES,
  ) {
    // Node opens a pipe, FIFO or socket stdout through libuv, which makes the
    // descriptor non-blocking: a full pipe then answers EAGAIN (retried
    // above) instead of parking a thread-pool thread in write(2), which
    // would also keep process.exit() from finishing. Opening it is enough.
    if (fd === 1) void process.stdout.fd;
  }

  /** Lines waiting or being written. */
  get pending(): number {
    return this.queue.length + this.inFlightLines;
  }

  /** pino's destination interface: one call per log line (ends with "\n"). Never blocks. */
  write(line: string): boolean {
    if (this.closed || this.queuedChars + line.length > this.maxQueued) {
      this.linesDropped += countLines(line);
      return true;
    }
    this.queue.push(line);
    this.queuedChars += line.length;
    if (this.inFlight === null) this.next();
    return true;
  }

  /** Resolves when everything queued is written, or after `ms` (whatever is left is counted as dropped by `abandon`). */
  drain(ms: number): Promise<boolean> {
    if (this.pending === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      timer.unref?.();
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Gives up on what is still queued (the process is exiting): counts it as dropped. */
  abandon(): number {
    const lost = this.pending;
    this.linesDropped += lost;
    this.queue = [];
    this.queuedChars = 0;
    this.inFlightLines = 0;
    this.closed = true;
    return lost;
  }

  private next(): void {
    if (this.queue.length === 0 || this.closed) {
      this.inFlight = null;
      this.inFlightLines = 0;
      if (this.queue.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      return;
    }
    const text = this.queue.length === 1 ? this.queue[0]! : this.queue.join('');
    this.inFlightLines = this.queue.length;
    this.queue = [];
    this.queuedChars = 0;
    this.inFlight = Buffer.from(text, 'utf8');
    this.writeFrom(0);
  }

  private writeFrom(offset: number): void {
    const buf = this.inFlight!;
    fs.write(this.fd, buf, offset, buf.length - offset, null, (err, n) => {
      if (this.closed) return;
      if (err) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.writeFrom(offset), RETRY_MS).unref?.();
          return;
        }
        // EPIPE, EBADF, ...: nobody will ever read these lines.
        this.linesDropped += this.inFlightLines;
        this.inFlightLines = 0;
        if (err.code === 'EPIPE' || err.code === 'EBADF') {
          this.abandon();
          for (const w of this.idleWaiters.splice(0)) w();
          return;
        }
        this.next();
        return;
      }
      if (offset + n < buf.length) {
        this.writeFrom(offset + n);
        return;
      }
      this.linesWritten += this.inFlightLines;
      this.inFlightLines = 0;
      this.next();
    });
  }
}
