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

// The one-line stderr messages and system-error phrases live apart from the
// CLI (src/stderr.ts): the report and log writers use them too.
export { printError, printWarning, systemErrorText } from '../stderr.js';
