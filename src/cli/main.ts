#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { defaultConfig } from '../rules/config.js';
import { analyze, FORMATS, type Format } from './analyze.js';
import { EXIT_USAGE, printError, UserError } from './errors.js';
import { packageVersion } from './version.js';

// A closed pipe (`scanwatch analyze x | head`) is not an error worth a trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

/** yargs drops a lone "-" from positional arrays; it stands for standard input here. */
const STDIN_TOKEN = '\u0000stdin';

async function main(rawArgv: string[]): Promise<number> {
  const argv = rawArgv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  const version = packageVersion();
  let exitCode = 0;
  await yargs(argv)
    .scriptName('scanwatch')
    .version(version)
    .strict()
    .command(
      'analyze <files..>',
      'report every reconnaissance scan in pcap/pcapng captures (- reads standard input)',
      (y) =>
        y
          .positional('files', { type: 'string', array: true, demandOption: true, describe: 'capture files, or - for standard input' })
          .option('format', { alias: 'f', choices: FORMATS, default: 'table' as Format, describe: 'output format' })
          .option('window', { type: 'number', describe: 'seconds of quiet after which a source\'s counts restart', default: defaultConfig().window }),
      async (args) => {
        const config = defaultConfig();
        if (!(args.window > 0)) throw new UserError('--window must be a positive number of seconds', EXIT_USAGE);
        config.window = args.window;
        const files = (args.files as string[]).map((f) => (f === STDIN_TOKEN ? '-' : f));
        const result = await analyze({ files, format: args.format as Format, config, version });
        exitCode = result.exitCode;
      },
    )
    .demandCommand(1, 'give a command: analyze')
    .fail((msg, err) => {
      if (err) throw err;
      // yargs' messages span lines; the user gets one.
      throw new UserError(`${msg.replace(/\s*\n\s*/g, ' ')} (see scanwatch --help)`, EXIT_USAGE);
    })
    .help()
    .parseAsync();
  return exitCode;
}

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UserError) {
      printError(err.message);
      process.exitCode = err.exitCode;
      return;
    }
    // Anything else is a bug: still one line for the user, the detail only on request.
    printError(`internal error: ${(err as Error)?.message ?? String(err)} (set SCANWATCH_DEBUG=1 for details)`);
    if (process.env.SCANWATCH_DEBUG) console.error(err);
    process.exitCode = 70;
  },
);
