import fs from 'node:fs';
/** User-facing failures: one line on stderr and an exit code, never a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export const EXIT_INPUT_ERROR = 1;
/**
 * A bug (an exception nobody expected) is not an exit code of its own: the
 * run failed, so it is 1 with one "internal error" line. Every such case the
 * fuzzer (test/fuzz) found was fixed; none is expected.
 */
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
/** The report is complete for what could be read, but an input was truncated or corrupt. */
export const EXIT_INPUT_DAMAGED = 3;
/**
 * An output could not be written (the report, an --extract file, a spool
 * file): no space left, an I/O error, a file too large. sysexits.h's
 * EX_IOERR, "an error occurred while doing I/O on some file".
 */
export const EXIT_OUTPUT = 74;

/**
 * The reason of a failed system call as one lower-case phrase: libuv's
 * strerror text that Node puts in the message ("ENOSPC: no space left on
 * device, write" gives "no space left on device"), else the error code.
 */
export function systemErrorText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(String(e?.message ?? ''));
  if (m !== null) return m[1]!;
  return e?.code ?? String(e?.message ?? err);
}

export function printError(message: string): void {
  process.stderr.write(`${journalPriority(3)}scanwatch: error: ${message}\n`);
}

export function printWarning(message: string): void {
  process.stderr.write(`${journalPriority(4)}scanwatch: warning: ${message}\n`);
}

let stderrIsJournal: boolean | null = null;

/**
 * "<N>" when standard error is connected to the systemd journal, so that
 * `journalctl -p err` shows the error line (sd-daemon(3): a line starting
 * with "<3>" is logged at priority err; without it, everything the unit
 * writes is info). The journal says so with JOURNAL_STREAM="dev:inode" of
 * the stream it gave us (systemd.exec(5)); a redirected stderr keeps the
 * variable but not the inode, and gets no prefix.
 */
function journalPriority(level: number): string {
  if (stderrIsJournal === null) {
    stderrIsJournal = false;
    const stream = process.env.JOURNAL_STREAM;
    if (stream !== undefined) {
      try {
        const st = fs.fstatSync(2);
        stderrIsJournal = stream === `${st.dev}:${st.ino}`;
      } catch {
        // No standard error to look at: plain lines.
      }
    }
  }
  return stderrIsJournal ? `<${level}>` : '';
}
