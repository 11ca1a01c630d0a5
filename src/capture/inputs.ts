/**
 * The capture reader: every capture file, FIFO or standard input scanwatch
 * reads goes through it (`analyze`, the report's second pass, the tests and
 * benchmarks). Three ways:
 *
 * - `readOne`: one input into one sink (each file its own capture), in
 *   slices that let the event loop run between them: the progress bar
 *   redraws and SIGINT is seen while a large file is read;
 * - `readMerged`: several inputs as one stream in timestamp order, a k-way
 *   merge that holds at most one read slice of records per input;
 * - `readCaptureFile`: a regular file at once, synchronously (tests,
 *   benchmarks), with the same opening, parser and result.
 *
 * Each input is opened once (a FIFO or standard input cannot be read twice).
 */
import fs from 'node:fs';
import net from 'node:net';
import { CaptureParser, DEFAULT_BUFFER_BYTES } from './capture-parser.js';
import { fsError, openCapture, toResult, type CaptureReadResult } from './file-source.js';
import type { PacketSink } from './types.js';

/** How often (ms of work) the readers give the event loop a turn. */
const YIELD_EVERY_MS = 50;
/** Bytes read per slice in merge mode: what each input may hold in its queue. */
const MERGE_SLICE_BYTES = 256 * 1024;

/** What the readers report back and obey, shared by all inputs of a run. */
export class ReadControl {
  /** Set by `stop()` (SIGINT) to stop reading; the report covers what was read. */
  stopped = false;
  /** Resolves when reading is stopped: ends a wait for a pipe's data. */
  readonly stopSignal: Promise<void>;
  private resolveStop: () => void = () => {};
  /** True when an input was left with a read pending (see CaptureInput.read). */
  pending = false;
  /** Input bytes consumed so far, all inputs together. */
  bytesRead = 0;
  /** Frames delivered so far, all inputs together. */
  packets = 0;
  private lastYield = performance.now();

  constructor(private readonly onTick: () => void = () => {}) {
    this.stopSignal = new Promise((resolve) => {
      this.resolveStop = resolve;
    });
  }

  stop(): void {
    this.stopped = true;
    this.resolveStop();
  }

  /** Gives the event loop a turn when enough time has passed since the last one. */
  async pace(): Promise<void> {
    const now = performance.now();
    if (now - this.lastYield < YIELD_EVERY_MS) return;
    this.onTick();
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.lastYield = performance.now();
  }
}

/** An input opened for reading: a file, a FIFO or standard input ('-'). */
export class CaptureInput {
  readonly fd: number;
  /** Size of a regular file, else null (FIFO, pipe, terminal). */
  readonly size: number | null;
  private eof = false;
  /** A read was still pending when reading stopped (the process must exit to end it). */
  abandoned = false;

  private constructor(
    readonly path: string,
    fd: number,
    size: number | null,
  ) {
    this.fd = fd;
    this.size = size;
  }

  static open(path: string): CaptureInput {
    if (path === '-') {
      let size: number | null = null;
      try {
        const st = fs.fstatSync(0);
        if (st.isFile()) size = st.size;
      } catch {
        // Standard input closed: reading says so.
      }
      return new CaptureInput('-', 0, size);
    }
    // A FIFO's open waits for its writer, as cat's does (file-source.ts
    // openCapture); its reads then go through a stream.
    const c = openCapture(path);
    return new CaptureInput(path, c.fd, c.regular ? c.size : null);
  }

  get ended(): boolean {
    return this.eof;
  }

  /**
   * Reads up to `max` bytes into `buf` at `offset`; 0 at end of input.
   * Regular files are read synchronously (fast, never block for long).
   * Pipes, FIFOs and terminals are read on libuv's thread pool so the event
   * loop stays free while they wait for data: SIGINT is seen even then, and
   * `stop` (resolved by it) abandons the wait. A non-blocking standard input
   * (EAGAIN) is polled without spinning.
   */
  async read(buf: Buffer, offset: number, max: number, stop?: Promise<void>): Promise<number> {
    for (;;) {
      try {
        let n: number;
        if (this.size !== null) {
          n = fs.readSync(this.fd, buf, offset, max, null);
        } else {
          const r = await this.pullStream(buf, offset, max, stop);
          if (r < 0) {
            // Interrupted while waiting for data.
            this.abandoned = true;
            return 0;
          }
          n = r;
        }
        if (n === 0) this.eof = true;
        return n;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        if (code === 'EOF') {
          this.eof = true;
          return 0;
        }
        throw fsError('read', this.path, err);
      }
    }
  }

  /**
   * Pipes, FIFOs and terminals are read through a non-blocking stream
   * (a libuv pipe handle, not the thread pool): the event loop stays free
   * while they wait, and the stream can be dropped at once on SIGINT.
   */
  private stream: NodeJS.ReadableStream | null = null;
  private chunk: Buffer | null = null;
  private streamEnded = false;
  private streamError: Error | null = null;
  private wake: (() => void) | null = null;

  private openStream(): NodeJS.ReadableStream {
    const stream = this.fd === 0 ? process.stdin : new net.Socket({ fd: this.fd, readable: true, writable: false });
    stream.on('data', (b: Buffer) => {
      // One chunk held at a time: the stream is paused until it is consumed.
      this.chunk = this.chunk === null ? b : Buffer.concat([this.chunk, b]);
      stream.pause();
      this.wake?.();
    });
    stream.on('end', () => {
      this.streamEnded = true;
      this.wake?.();
    });
    stream.on('error', (err: Error) => {
      this.streamError = err;
      this.wake?.();
    });
    return stream;
  }

  private async pullStream(buf: Buffer, offset: number, max: number, stop?: Promise<void>): Promise<number> {
    this.stream ??= this.openStream();
    while (this.chunk === null && !this.streamEnded && this.streamError === null) {
      const arrived = new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.stream.resume();
      const stopped = stop === undefined ? false : await Promise.race([arrived.then(() => false), stop.then(() => true)]);
      if (stop === undefined) await arrived;
      this.wake = null;
      if (stopped) return -1;
    }
    if (this.streamError !== null) throw this.streamError;
    if (this.chunk === null) return 0;
    const n = Math.min(max, this.chunk.length);
    this.chunk.copy(buf, offset, 0, n);
    this.chunk = n === this.chunk.length ? null : this.chunk.subarray(n);
    return n;
  }

  close(): void {
    if (this.stream !== null) {
      // Drop the handle: nothing keeps the process waiting on this input.
      if (this.fd === 0) process.stdin.destroy();
      else (this.stream as net.Socket).destroy();
      return;
    }
    if (this.fd !== 0) {
      try {
        fs.closeSync(this.fd);
      } catch {
        // Already closed: nothing to do.
      }
    }
  }
}

function parserFor(input: CaptureInput, sink: PacketSink, slice?: number): CaptureParser {
  const hint = slice ?? (input.size !== null ? Math.max(64 * 1024, input.size + 1) : DEFAULT_BUFFER_BYTES);
  return new CaptureParser(sink, { bufferSize: Math.min(DEFAULT_BUFFER_BYTES, hint) });
}

/**
 * Reads a pcap or pcapng file synchronously, delivering every frame to
 * `sink`. Throws CaptureError when the file cannot be opened or read
 * (ENOENT, EACCES, EISDIR, EIO) or is not a capture (NOT_CAPTURE, including
 * an empty file). A truncated or corrupt capture is not an error: the
 * frames before the damage are delivered and `warning` says what happened.
 */
export function readCaptureFile(path: string, sink: PacketSink): CaptureReadResult {
  const input = CaptureInput.open(path);
  try {
    const parser = parserFor(input, sink);
    for (;;) {
      const room = parser.prepareWrite();
      if (parser.failed) break;
      let n: number;
      try {
        n = fs.readSync(input.fd, parser.buffer, parser.writeOffset, room, null);
      } catch (err) {
        throw fsError('read', path, err);
      }
      if (n === 0) break;
      if (!parser.commit(n)) break;
    }
    return toResult(path, parser.finish());
  } finally {
    input.close();
  }
}

/** Reads one input to its end (or until stopped) into `sink`. */
export async function readOne(input: CaptureInput, sink: PacketSink, control: ReadControl): Promise<CaptureReadResult> {
  const parser = parserFor(input, sink);
  while (!control.stopped) {
    const room = parser.prepareWrite();
    if (parser.failed) break;
    const n = await input.read(parser.buffer, parser.writeOffset, room, control.stopSignal);
    if (input.abandoned) control.pending = true;
    if (n === 0) break;
    control.bytesRead += n;
    const before = parser.packetCount;
    const ok = parser.commit(n);
    control.packets += parser.packetCount - before;
    if (!ok) break;
    await control.pace();
  }
  return toResult(input.path, parser.finish());
}

/**
 * The records of one input parsed but not yet delivered: copies of their
 * bytes in one arena, their headers in parallel arrays. Refilled one slice
 * at a time only when empty, so it holds at most a slice (plus one record
 * that straddled the previous slice).
 */
class RecordQueue implements PacketSink {
  arena = Buffer.allocUnsafe(MERGE_SLICE_BYTES * 2);
  used = 0;
  count = 0;
  head = 0;
  link: number[] = [];
  off: number[] = [];
  cap: number[] = [];
  wire: number[] = [];
  sec: number[] = [];
  nsec: number[] = [];

  onPacket(linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    if (this.used + capLen > this.arena.length) {
      const next = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + capLen));
      this.arena.copy(next, 0, 0, this.used);
      this.arena = next;
    }
    data.copy(this.arena, this.used, offset, offset + capLen);
    const i = this.count++;
    this.link[i] = linkType;
    this.off[i] = this.used;
    this.cap[i] = capLen;
    this.wire[i] = wireLen;
    this.sec[i] = tsSec;
    this.nsec[i] = tsNsec;
    this.used += capLen;
  }

  get empty(): boolean {
    return this.head >= this.count;
  }

  headTime(): number {
    return this.sec[this.head]! + this.nsec[this.head]! * 1e-9;
  }

  reset(): void {
    this.used = 0;
    this.count = 0;
    this.head = 0;
  }
}

interface MergeLane {
  input: CaptureInput;
  queue: RecordQueue;
  parser: CaptureParser;
  done: boolean;
}

async function refill(lane: MergeLane, control: ReadControl): Promise<void> {
  lane.queue.reset();
  while (lane.queue.empty && !lane.done) {
    const room = lane.parser.prepareWrite();
    if (lane.parser.failed) {
      lane.done = true;
      break;
    }
    const n = await lane.input.read(lane.parser.buffer, lane.parser.writeOffset, Math.min(room, MERGE_SLICE_BYTES), control.stopSignal);
    if (lane.input.abandoned) control.pending = true;
    if (n === 0) {
      lane.done = true;
      break;
    }
    control.bytesRead += n;
    if (!lane.parser.commit(n)) lane.done = true;
  }
}

/**
 * Reads several inputs as one stream in timestamp order: each step delivers
 * the earliest head record among the inputs (ties go to the earlier input)
 * to `sink`. Returns one result per input (with its own times, as its
 * parser saw them).
 */
export async function readMerged(inputs: CaptureInput[], sink: PacketSink, control: ReadControl): Promise<CaptureReadResult[]> {
  const lanes: MergeLane[] = inputs.map((input) => {
    const queue = new RecordQueue();
    return { input, queue, parser: parserFor(input, queue, MERGE_SLICE_BYTES * 2), done: false };
  });
  for (const lane of lanes) {
    await refill(lane, control);
    // Not a capture at all: say so now, before any work on the others.
    if (lane.parser.format === null && lane.done) toResult(lane.input.path, lane.parser.finish());
  }
  let sinceCheck = 0;
  while (!control.stopped) {
    // Inputs are few (files of one link): a linear scan for the minimum.
    let best = -1;
    let bestTime = Infinity;
    for (let i = 0; i < lanes.length; i++) {
      const q = lanes[i]!.queue;
      if (q.empty) continue;
      const t = q.headTime();
      if (t < bestTime) {
        bestTime = t;
        best = i;
      }
    }
    if (best < 0) break;
    const lane = lanes[best]!;
    const q = lane.queue;
    const h = q.head++;
    sink.onPacket(q.link[h]!, q.arena, q.off[h]!, q.cap[h]!, q.wire[h]!, q.sec[h]!, q.nsec[h]!);
    control.packets++;
    if (q.empty) await refill(lane, control);
    if (++sinceCheck === 4096) {
      sinceCheck = 0;
      await control.pace();
    }
  }
  return lanes.map((lane) => toResult(lane.input.path, lane.parser.finish()));
}
