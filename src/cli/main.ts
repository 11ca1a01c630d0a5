#!/usr/bin/env node
import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { analyze, type Format } from './analyze.js';
import { epilog } from './help-text.js';
import { EXIT_INTERNAL, EXIT_OUTPUT, EXIT_USAGE, printError, UserError } from './errors.js';
import { stdoutFailed, watchStdoutErrors } from './standard-output.js';
import { packageVersion } from './version.js';
import type { Command } from './options.js';
import { checkEnvironment, checkSwitches, resolveSettings } from './settings.js';
import { enginePlan } from './engine-setup.js';
import { yargsOptions } from './yargs-options.js';

// A closed pipe (`scanwatch analyze x | head`) ends the output quietly; any
// other failure to write is one line and EXIT_OUTPUT (standard-output.ts).
watchStdoutErrors();
// Standard error is where failures are told; when it fails too (a full disk,
// a closed pipe) there is nowhere left to tell it, and its 'error' event must
// not become an uncaught exception that ends the sensor.
process.stderr.on('error', () => {});

/** yargs drops a lone "-" from positional arrays; it stands for standard input here. */
const STDIN_TOKEN = '\u0000stdin';

/** Not an option: SCANWATCH_DEBUG asks for stack traces of internal errors. */
const DEBUG = Boolean(process.env.SCANWATCH_DEBUG);
delete process.env.SCANWATCH_DEBUG;

/** A command's options, from the option table (options.ts). */
function withOptions<T>(y: Argv<T>, command: Command): Argv<T> {
  for (const [name, option] of yargsOptions(command)) y = y.option(name, option) as Argv<T>;
  return y;
}

async function main(rawArgv: string[]): Promise<number> {
  const argv = rawArgv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  const version = packageVersion();
  let exitCode = 0;
  let liveStopped = false;
  await yargs(argv)
    .scriptName('scanwatch')
    .version(version)
    // One value per list option occurrence: options may come before or after the files.
    .parserConfiguration({ 'greedy-arrays': false })
    // Never break inside words: full lines when piped (to a pager, a file, the man page builder).
    .wrap(process.stdout.isTTY ? Math.min(120, process.stdout.columns ?? 80) : null)
    .usage('$0 <command> [options]\n\nFinds network reconnaissance (port scans, ping and ARP sweeps) in captures and live traffic.')
    .epilog(epilog())
    .strict()
    .command(
      'analyze <files..>',
      'report every reconnaissance scan in pcap/pcapng captures (- reads standard input)',
      (y) =>
        withOptions(
          y.positional('files', { type: 'string', array: true, demandOption: true, describe: 'capture files, or - for standard input; each is its own capture unless --merge' }),
          'analyze',
        ).epilog(epilog()),
      async (args) => {
        checkSwitches('analyze', rawArgv, {});
        const { settings: s } = resolveSettings('analyze', args as Record<string, unknown>);
        const plan = enginePlan(s);
        const files = (args.files as string[]).map((f) => (f === STDIN_TOKEN ? '-' : f));
        const result = await analyze({
          files,
          format: s.format as Format,
          config: plan.config,
          version,
          homeNet: plan.policy.homeNet,
          allowScanners: plan.policy.allowScanners,
          allowTargets: plan.policy.allowTargets,
          merge: s.merge,
          quiet: s.quiet,
          threads: s.threads,
          extract: s.extract,
          darkNet: plan.policy.darkNet,
          honeyPorts: plan.policy.honeyPorts,
        });
        exitCode = result.exitCode;
      },
    )
    .command(
      'live',
      'run the sensor on a network interface: detections as JSON log lines, metrics for Prometheus',
      (y) =>
        // Settings may come from SCANWATCH_* variables (the systemd unit's environment file).
        withOptions(y.env('SCANWATCH'), 'live'),
      async (args) => {
        checkEnvironment(process.env);
        checkSwitches('live', rawArgv, process.env);
        // Loaded only here: the --listen check needs the HTTP server's code (prom-client).
        await import('./config-schema.js');
        const { settings, given } = resolveSettings('live', args as Record<string, unknown>);
        // Loaded only here: analyze needs neither libpcap nor prom-client.
        const { runLive } = await import('./live.js');
        exitCode = await runLive({ settings, given, version });
        liveStopped = true;
      },
    )
    .completion('completion', 'print a shell completion script (bash; zsh with bashcompinit)')
    .demandCommand(1, 'give a command: analyze or live')
    .fail((msg, err) => {
      // yargs' own parse errors (YError, e.g. an option missing its value) are usage errors.
      if (err && err.name !== 'YError') throw err;
      const text = msg ?? err?.message ?? 'bad usage';
      // yargs' messages span lines; the user gets one.
      throw new UserError(`${text.replace(/\s*\n\s*/g, ' ')} (see scanwatch --help)`, EXIT_USAGE);
    })
    .help()
    .parseAsync();
  // The capture library may hold the event loop open; a stopped sensor exits now.
  if (liveStopped) process.exit(exitCode);
  return exitCode;
}

main(hideBin(process.argv)).then(
  (code) => {
    // Output that failed outside the report (--help, completion) was told on stderr.
    process.exitCode = stdoutFailed() ? EXIT_OUTPUT : code;
  },
  (thrown: unknown) => {
    const err = thrown;
    if (err instanceof UserError) {
      printError(err.message);
      process.exitCode = err.exitCode;
      return;
    }
    // Anything else is a bug: still one line for the user, the detail only on
    // request, and one of the documented exit codes (see errors.ts).
    printError(`internal error: ${String((err as Error)?.message ?? err).split('\n')[0]} (set SCANWATCH_DEBUG=1 for details)`);
    if (DEBUG) console.error(err);
    process.exitCode = EXIT_INTERNAL;
  },
);
