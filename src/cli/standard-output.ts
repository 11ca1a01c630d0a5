/**
 * Standard output, written whole or failed loudly.
 *
 * Node's process.stdout is not enough for a report on its own. On a regular
 * file or a device it is a synchronous stream that calls write(2) once per
 * chunk and ignores the count it returns: a disk that fills in the middle
 * of the report takes part of it, write(2) returns that short count (POSIX:
 * a short count is not an error; the next call says why, ENOSPC), and the
 * report ends cut short with exit 0. So files and devices are written here
 * with write(2) in a loop until every byte is taken or an error comes back.
 * Pipes, sockets and terminals go through process.stdout: its libuv handle
 * writes what the pipe takes, waits for room (a reader like `less`) and
 * calls back with the error, if any, once the bytes are written.
 *
 * A reader that closes its end (`scanwatch analyze x | head -1`) is not a
 * failure: it had what it wanted, as for tcpdump, grep or cat in a pipeline
 * (which die of SIGPIPE, a signal the shell does not report as an error;
 * Node ignores SIGPIPE, so it comes as EPIPE). The output stops quietly.
 */
import fs from 'node:fs';
import tty from 'node:tty';
import { EXIT_OUTPUT, printError, systemErrorText } from './errors.js';

export type StdoutOutcome = { written: true } | { written: false; readerClosed: true } | { written: false; readerClosed: false; reason: string };

/** Errors of process.stdout that a writer here has already turned into an outcome. */
const handled = new WeakSet<Error>();
let failed = false;

/** True once a write to standard output failed (other than a closed reader). */
export function stdoutFailed(): boolean {
  return failed;
}

/**
 * Catches process.stdout's errors for what writes to it without waiting
 * (yargs' --help, completion): a closed reader ends the output quietly,
 * anything else is one error line and EXIT_OUTPUT. Without a listener the
 * 'error' event would be thrown as an uncaught exception.
 */
export function watchStdoutErrors(): void {
  const fail = (err: NodeJS.ErrnoException): void => {
    if (handled.has(err) || err.code === 'EPIPE' || failed) return;
    failed = true;
    printError(`cannot write to standard output: ${systemErrorText(err)}`);
    process.exitCode = EXIT_OUTPUT;
  };
  process.stdout.on('error', fail);
  // yargs ends the process right after printing --help or --version, before
  // the stream's 'error' event (always emitted on a later tick); the error
  // is already recorded on the stream, and an 'exit' listener may still set
  // the exit code (Node's process.exit reads process.exitCode after 'exit').
  process.on('exit', () => {
    const err = process.stdout.errored as NodeJS.ErrnoException | null;
    if (err !== null) fail(err);
  });
}

/** What standard output is, for the message: the file's path when it is one, else "standard output". */
export function stdoutName(): string {
  try {
    const target = fs.readlinkSync('/proc/self/fd/1');
    if (target.startsWith('/')) return target;
  } catch {
    // No /proc (or no fd 1): the generic name.
  }
  return 'standard output';
}

/** Files and devices take the write(2) loop; pipes, sockets and terminals the libuv stream. */
function isStreamLike(): boolean {
  try {
    const st = fs.fstatSync(1);
    return st.isFIFO() || st.isSocket() || tty.isatty(1);
  } catch {
    return true;
  }
}

/** write(2) until every byte is taken; a write that takes nothing is an error of its own (it would loop forever). */
function writeAllSync(buf: Buffer): number {
  let off = 0;
  while (off < buf.length) {
    let n: number;
    try {
      n = fs.writeSync(1, buf, off, buf.length - off);
    } catch (err) {
      // A descriptor left non-blocking by someone else: the stream waits for room.
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return off;
      throw err;
    }
    if (n <= 0) throw Object.assign(new Error('EIO: write took no bytes, write'), { code: 'EIO' });
    off += n;
  }
  return off;
}

function writeStream(buf: Buffer): Promise<StdoutOutcome> {
  return new Promise((resolve) => {
    process.stdout.write(buf, (err) => {
      if (err === null || err === undefined) {
        resolve({ written: true });
        return;
      }
      handled.add(err);
      if ((err as NodeJS.ErrnoException).code === 'EPIPE') resolve({ written: false, readerClosed: true });
      else {
        failed = true;
        resolve({ written: false, readerClosed: false, reason: systemErrorText(err) });
      }
    });
  });
}

/**
 * Writes `text` to standard output; resolves once every byte is written
 * (handed to the kernel), the reader has gone, or a write failed.
 */
export async function writeStdout(text: string): Promise<StdoutOutcome> {
  const buf = Buffer.from(text, 'utf8');
  if (isStreamLike()) return writeStream(buf);
  let done: number;
  try {
    done = writeAllSync(buf);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return { written: false, readerClosed: true };
    failed = true;
    return { written: false, readerClosed: false, reason: systemErrorText(err) };
  }
  return done === buf.length ? { written: true } : writeStream(buf.subarray(done));
}
