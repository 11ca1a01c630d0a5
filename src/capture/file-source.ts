/**
 * What reading a capture gives back and how it fails, and the one way a
 * capture path is opened; the reader itself is inputs.ts.
 */
import fs from 'node:fs';
import type { CaptureFormat, CaptureParseSummary } from './capture-parser.js';

export type CaptureErrorCode = 'ENOENT' | 'EACCES' | 'EISDIR' | 'EIO' | 'NOT_CAPTURE' | 'CORRUPT';

/**
 * A capture that cannot be read at all. The message is one line meant for a
 * user, e.g. "cannot open x.pcap: no such file" or "x.txt: not a pcap or
 * pcapng capture (first bytes 0x48656c6c)".
 *
 * 'CORRUPT' is not thrown by the readers here (a corrupt record is reported
 * as CaptureReadResult.warning); it is for callers that treat it as fatal.
 * 'EIO' covers every other system error while opening or reading.
 */
export class CaptureError extends Error {
  readonly code: CaptureErrorCode;
  /** The file name as given ('-' for standard input). */
  readonly path: string;

  constructor(code: CaptureErrorCode, message: string, path: string) {
    super(message);
    this.name = 'CaptureError';
    this.code = code;
    this.path = path;
  }
}

export interface CaptureReadResult {
  format: CaptureFormat;
  /** Frames delivered to the sink. */
  packets: number;
  /** Frames skipped (and reported to the sink) because no Date can hold their time. */
  badTimestamps: number;
  /** Sum of the frames' wire lengths. */
  bytes: number;
  /** Sum of the frames' captured lengths. */
  capturedBytes: number;
  /** The input ended in the middle of a record. */
  truncated: boolean;
  /**
   * One line for the user when the capture was only partly read (truncated,
   * or stopped at a corrupt record), starting with the file name; else null.
   */
  warning: string | null;
  /** Distinct link types of the delivered frames, in order of first use. */
  linkTypes: number[];
  /** First and last frame timestamps in file order, seconds since the epoch. */
  firstTs: number | null;
  lastTs: number | null;
  /** Earliest and latest frame time, whatever the file order; null without frames. */
  minTs: number | null;
  maxTs: number | null;
  /** Frames older than the frame before them. */
  backwards: number;
}

/** How a file is named in messages; '-' is standard input. */
function displayName(name: string): string {
  return name === '-' ? 'standard input' : name;
}

function systemErrorCode(err: unknown): string | undefined {
  if (err !== null && typeof err === 'object' && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Maps an fs error to a CaptureError with a short, user-facing message. */
export function fsError(verb: 'open' | 'read', name: string, err: unknown): CaptureError {
  const code = systemErrorCode(err);
  const shown = displayName(name);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new CaptureError('ENOENT', `cannot ${verb} ${shown}: no such file`, name);
    case 'EACCES':
    case 'EPERM':
      return new CaptureError('EACCES', `cannot ${verb} ${shown}: permission denied`, name);
    case 'EISDIR':
      return new CaptureError('EISDIR', `cannot ${verb} ${shown}: is a directory`, name);
    default: {
      // Node's messages look like "ELOOP: too many symbolic links ..., open 'x'".
      const text = errorText(err).replace(/^E[A-Z]+: /, '').replace(/, (open|read)\b.*$/, '');
      return new CaptureError('EIO', `cannot ${verb} ${shown}: ${text}`, name);
    }
  }
}

export function toResult(name: string, s: CaptureParseSummary): CaptureReadResult {
  const shown = displayName(name);
  if (s.failure !== null && s.failure.kind === 'NOT_CAPTURE') {
    throw new CaptureError('NOT_CAPTURE', `${shown}: ${s.failure.message}`, name);
  }
  let warning: string | null = null;
  if (s.failure !== null) {
    warning = `${shown}: ${s.failure.message}`;
  } else if (s.truncated) {
    warning =
      `${shown}: capture is truncated: last record cut after ${s.packets} ` +
      `packet${s.packets === 1 ? '' : 's'} at byte ${s.truncatedAt}`;
  }
  return {
    // The format is known whenever the input was not rejected above.
    format: s.format ?? 'pcap',
    packets: s.packets,
    badTimestamps: s.badTimestamps,
    bytes: s.bytes,
    capturedBytes: s.capturedBytes,
    truncated: s.truncated,
    warning,
    linkTypes: s.linkTypes,
    firstTs: s.firstTs,
    lastTs: s.lastTs,
    minTs: s.minTs,
    maxTs: s.maxTs,
    backwards: s.backwards,
  };
}

/**
 * A capture input opened exactly once. A FIFO, a process substitution
 * (/dev/fd/N) or a character device can be opened only once with the same
 * data behind it: opening a FIFO a second time after closing the first
 * descriptor loses the writer (it dies of SIGPIPE) and leaves the reader
 * waiting for a writer that never comes. So the descriptor opened to check
 * the path is the one that is read.
 */
export interface OpenedCapture {
  readonly name: string;
  readonly fd: number;
  /** A regular file (read with synchronous large reads); else a stream. */
  readonly regular: boolean;
  readonly size: number;
}

/**
 * Opens a capture path for reading. Throws CaptureError (ENOENT, EACCES,
 * EISDIR, EIO) when it cannot. Opening a FIFO waits for its writer, as
 * tcpdump -r does.
 */
export function openCapture(path: string): OpenedCapture {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    throw fsError('open', path, err);
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) throw new CaptureError('EISDIR', `cannot open ${displayName(path)}: is a directory`, path);
    return { name: path, fd, regular: st.isFile(), size: st.isFile() ? st.size : -1 };
  } catch (err) {
    fs.closeSync(fd);
    if (err instanceof CaptureError) throw err;
    throw fsError('open', path, err);
  }
}

/** Closes an opened capture that will not be read (another input failed to open). */
export function closeCapture(c: OpenedCapture): void {
  try {
    fs.closeSync(c.fd);
  } catch {
    // Already closed: nothing to do.
  }
}
