/**
 * One-line messages on standard error (`scanwatch: error: ...`), tagged
 * with their journal priority under systemd, and the phrase for a failed
 * system call. Used by the CLI, the report writers and the log writer.
 */
import fs from 'node:fs';

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
