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
 *
 * A failed write (ENOSPC, EIO, a closed reader's EPIPE) costs the lines of
 * that write, counted in linesDropped, never the process: it is said once
 * on stderr per kind of failure (a disk that stays full would otherwise
 * say it for every line). A full disk or an I/O error may pass, so later
 * lines are tried again; a closed reader never comes back (EPIPE, EBADF),
 * so everything after it is dropped without trying. A write cut short by
 * a failure leaves a torn line: the next write starts with a newline, so
 * that a line-by-line reader sees one bad line, not two glued together.
 */
import fs from 'node:fs';
import { printWarning, systemErrorText } from '../stderr.js';

/** Default bound of queued log text: 4 MiB (several thousand detection lines). */
export const DEFAULT_LOG_QUEUE_BYTES = 4 * 1024 * 1024;
/** Retry delay when a non-blocking descriptor is full (EAGAIN). */
const RETRY_MS = 20;

const countLines = (s: string): number => {
  let n = 0;
  for (let i = s.indexOf('\n'); i >= 0; i = s.indexOf('\n', i + 1)) n++;
  return n === 0 ? 1 : n;
};

const NEWLINE = 0x0a;

/** Whole lines in buf[from, to). */
function newlinesIn(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(NEWLINE, from); i >= 0 && i < to; i = buf.indexOf(NEWLINE, i + 1)) n++;
  return n;
}

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
  /** The output ends inside a line (a write failed part-way). */
  private torn = false;
  /** Bytes of the in-flight chunk that only end a torn line (0 or 1). */
  private inFlightPrefix = 0;
  /** Kinds of failure (error codes) already told. */
  private readonly told = new Set<string>();

  constructor(
    private readonly fd: number = 1,
    /** Bound on queued text, in UTF-16 code units (about bytes for JSON lines). */
    readonly maxQueued: number = DEFAULT_LOG_QUEUE_BYTES,
    /** Where a failure is told, once per kind: a warning line on stderr. */
    private readonly tell: (message: string) => void = printWarning,
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

  /**
   * The lines from now on are the last ones (the sensor is stopping: its
   * sensor_stopped line): they are queued beyond the bound, so the line
   * that says what was lost is never itself lost to a full queue.
   */
  lastLines(): void {
    this.unbounded = true;
  }
  private unbounded = false;

  /** pino's destination interface: one call per log line (ends with "\n"). Never blocks. */
  write(line: string): boolean {
    if (this.closed || (!this.unbounded && this.queuedChars + line.length > this.maxQueued)) {
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
      // Not unref'd: this timer keeps the process alive while the last lines
      // drain. The retry timer of a full pipe is unref'd (a stuck reader must
      // not keep a stopping sensor alive), so without this one the process
      // would exit in the middle of a retry, cutting the output mid-line.
      const timer = setTimeout(() => resolve(false), ms);
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
    this.inFlightPrefix = this.torn ? 1 : 0;
    this.inFlight = Buffer.from(this.torn ? `\n${text}` : text, 'utf8');
    this.writeFrom(0);
  }

  /** A write failed after `offset` bytes of the chunk were written: count what was lost, say so once. */
  private failed(err: NodeJS.ErrnoException, offset: number): void {
    const buf = this.inFlight!;
    if (offset > 0) this.torn = buf[offset - 1] !== NEWLINE;
    // The prefix newline only ends the torn line, counted as dropped when it tore.
    const whole = offset > this.inFlightPrefix ? newlinesIn(buf, this.inFlightPrefix, offset) : 0;
    this.linesWritten += whole;
    this.linesDropped += this.inFlightLines - whole;
    this.inFlightLines = 0;
    const code = err.code ?? 'EIO';
    if (!this.told.has(code)) {
      this.told.add(code);
      const where = this.fd === 1 ? 'standard output' : `descriptor ${this.fd}`;
      this.tell(`log lines cannot be written to ${where}: ${systemErrorText(err)}; they are dropped and counted (scanwatch_log_lines_dropped_total)`);
    }
  }

  private writeFrom(offset: number): void {
    const buf = this.inFlight!;
    fs.write(this.fd, buf, offset, buf.length - offset, null, (error, n) => {
      if (this.closed) return;
      // A write that takes nothing would be retried forever.
      const err = error ?? (n === 0 ? Object.assign(new Error('EIO: write took no bytes, write'), { code: 'EIO' }) : null);
      if (err) {
        if (err.code === 'EAGAIN') {
          setTimeout(() => this.writeFrom(offset), RETRY_MS).unref?.();
          return;
        }
        this.failed(err, offset);
        // A closed reader or descriptor: nobody will ever read these lines.
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
      this.torn = false;
      this.next();
    });
  }
}
