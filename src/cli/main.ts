#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { defaultConfig, type EngineConfig } from '../rules/config.js';
import { GENEVE_PORT, VXLAN_PORT } from '../decode/layer-table.js';
import { DEFAULT_BUFFER_BYTES, DEFAULT_SNAPLEN, MAX_SNAPLEN, MIN_SNAPLEN } from '../capture/live-capture.js';
import { analyze, AUTO_THREAD_MIB, FORMATS, type Format, MAX_AUTO_THREADS } from './analyze.js';
import { epilog } from './help-text.js';
import { listValues } from './list-values.js';
import { EXIT_INTERNAL, EXIT_OUTPUT, EXIT_USAGE, printError, UserError } from './errors.js';
import { stdoutFailed, watchStdoutErrors } from './standard-output.js';
import { packageVersion } from './version.js';
import { LOG_SCHEMAS, type LogSchema } from '../report/log-schema.js';
import { readConfigJson } from './config-file.js';
import { LIMITS } from '../metrics/server-limits.js';

/**
 * The settings schema (zod) is loaded only when a config file is given (its
 * keys are checked as yargs reads it, before yargs' own unknown-argument
 * check) or for `live`: it costs about 130 ms of start-up.
 */
const configSchema =
  process.argv.some((a) => a === '--config' || a.startsWith('--config=')) || process.env.SCANWATCH_CONFIG !== undefined ? await import('./config-schema.js') : null;

// A closed pipe (`scanwatch analyze x | head`) ends the output quietly; any
// other failure to write is one line and EXIT_OUTPUT (standard-output.ts).
watchStdoutErrors();
// Standard error is where failures are told; when it fails too (a full disk,
// a closed pipe) there is nowhere left to tell it, and its 'error' event must
// not become an uncaught exception that ends the sensor.
process.stderr.on('error', () => {});

/** Where /metrics is served unless --listen says otherwise: loopback, so nothing is exposed by default. */
const DEFAULT_LISTEN = '127.0.0.1:9750';

/** yargs drops a lone "-" from positional arrays; it stands for standard input here. */
const STDIN_TOKEN = '\u0000stdin';

/** Not an option: SCANWATCH_DEBUG asks for stack traces of internal errors. */
const DEBUG = Boolean(process.env.SCANWATCH_DEBUG);
delete process.env.SCANWATCH_DEBUG;

/** --vxlan-port and --geneve-port: one UDP port each, 1-65535. */
function setTunnelPorts(config: EngineConfig, vxlan: number, geneve: number): void {
  for (const [name, port] of [['--vxlan-port', vxlan], ['--geneve-port', geneve]] as const) {
    if (!(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UserError(`${name} must be a UDP port number (1-65535)`, EXIT_USAGE);
  }
  if (vxlan === geneve) throw new UserError('--vxlan-port and --geneve-port must differ', EXIT_USAGE);
  config.vxlanPorts = [vxlan];
  config.genevePorts = [geneve];
}

/**
 * yargs re-wraps what a config parser throws (losing its class), so the
 * usage error of a bad --config file is kept here for the exit code.
 */
let configError: UserError | null = null;

/** --max-detections: a whole number from 0 (count, keep none) up. */
function maxDetections(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new UserError('--max-detections must be a whole number (0 or more)', EXIT_USAGE);
  return n;
}

/**
 * --hash-seed: the tables' hash key. Which entries share a set (and so which
 * one is evicted under pressure, and when the idle sweep reaches a flow)
 * follows from it; Zeek's --load-seeds makes a run repeatable the same way.
 */
function hashSeed(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0 || n > 0xffffffff) throw new UserError('--hash-seed must be a whole number from 0 to 4294967295', EXIT_USAGE);
  return n;
}

/** Each thread holds a capture's tables (about 35 MB at the defaults): more than this is a typo, not a machine. */
const MAX_THREADS = 64;

/** --threads: a whole number from 1 to MAX_THREADS. */
function threadCount(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_THREADS) throw new UserError(`--threads must be a whole number from 1 to ${MAX_THREADS}`, EXIT_USAGE);
  return n;
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
        y
          .positional('files', { type: 'string', array: true, demandOption: true, describe: 'capture files, or - for standard input; each is its own capture unless --merge' })
          .option('format', { alias: 'f', choices: FORMATS, default: 'table' as Format, requiresArg: true, describe: 'output format (html: one self-contained page with plots)' })
          .option('merge', { type: 'boolean', default: false, describe: 'read all files as one stream in timestamp order (rotated captures of one link)' })
          .option('extract', { type: 'string', requiresArg: true, describe: "write each scan's probes and answers to DIR/<id>-<src>-<type>.pcap" })
          .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress bar (it is shown only when stderr is a terminal)' })
          .option('threads', {
            type: 'number',
            requiresArg: true,
            describe: `files analysed at once, each whole on its own thread (files read as separate captures, not --merge or -); memory is that of this many captures (default: one per ${AUTO_THREAD_MIB} MiB of input, at most the cores and ${MAX_AUTO_THREADS})`,
          })
          .option('window', { type: 'number', requiresArg: true, describe: "seconds of quiet after which a source's counts restart", default: defaultConfig().window })
          .option('hash-seed', {
            type: 'number',
            requiresArg: true,
            describe: 'fix the key of the bounded tables (0-4294967295) to reproduce a run exactly; unset, each capture gets a random one, which a spoofer cannot aim collisions at',
          })
          .option('home-net', { type: 'string', array: true, requiresArg: true, coerce: listValues, describe: 'networks you defend (CIDR list); each scan is then inbound, outbound, internal or external' })
          .option('allow-scanner', { type: 'string', array: true, requiresArg: true, coerce: listValues, default: [] as string[], describe: 'sources never reported (CIDR list), e.g. your vulnerability scanner' })
          .option('allow-target', { type: 'string', array: true, requiresArg: true, coerce: listValues, default: [] as string[], describe: 'targets whose probes are not counted (CIDR list)' })
          .option('dark-net', { type: 'string', array: true, requiresArg: true, coerce: listValues, default: [] as string[], describe: 'addresses no host uses (CIDR list): one probe to them is a detection' })
          .option('honey-port', { type: 'string', array: true, requiresArg: true, coerce: listValues, default: [] as string[], describe: 'ports nobody legitimate calls (list): one probe to them is a detection' })
          .option('vxlan-port', { type: 'number', requiresArg: true, default: VXLAN_PORT, describe: 'UDP port decoded as VXLAN (inner traffic analysed)' })
          .option('geneve-port', { type: 'number', requiresArg: true, default: GENEVE_PORT, describe: 'UDP port decoded as Geneve (inner traffic analysed)' })
          .option('max-detections', { type: 'number', requiresArg: true, default: defaultConfig().maxDetections, describe: 'detections kept for the report; more are counted in detections_dropped' })
          .epilog(epilog()),
      async (args) => {
        const config = defaultConfig();
        if (!(args.window > 0)) throw new UserError('--window must be a positive number of seconds', EXIT_USAGE);
        config.window = args.window;
        setTunnelPorts(config, args['vxlan-port'], args['geneve-port']);
        config.maxDetections = maxDetections(args['max-detections']);
        if (args['hash-seed'] !== undefined) config.hashSeed = hashSeed(args['hash-seed']);
        const files = (args.files as string[]).map((f) => (f === STDIN_TOKEN ? '-' : f));
        const result = await analyze({
          files,
          format: args.format as Format,
          config,
          version,
          homeNet: args['home-net'],
          allowScanners: args['allow-scanner'],
          allowTargets: args['allow-target'],
          merge: args.merge,
          quiet: args.quiet,
          threads: args.threads === undefined ? undefined : threadCount(args.threads),
          extract: args.extract,
          darkNet: args['dark-net'],
          honeyPorts: args['honey-port'],
        });
        exitCode = result.exitCode;
      },
    )
    .command(
      'live',
      'run the sensor on a network interface: detections as JSON log lines, metrics for Prometheus',
      (y) =>
        y
          // Settings may come from SCANWATCH_* variables (the systemd unit's environment file).
          .env('SCANWATCH')
          .option('interface', { alias: 'i', type: 'string', demandOption: true, describe: 'interface to capture on (a span or mirror port)' })
          .option('filter', { type: 'string', default: '', describe: 'BPF capture filter (tcpdump syntax)' })
          .option('listen', { type: 'string', default: DEFAULT_LISTEN, describe: 'HOST:PORT for /metrics and /healthz' })
          .option('metrics-connections', { type: 'number', default: LIMITS.maxConnections, describe: 'connections to --listen at once; when full, an idle or silent one makes room' })
          .option('metrics-client-connections', { type: 'number', default: LIMITS.perClientConnections, describe: 'connections to --listen at once per client (IPv4 address, IPv6 /64); more are refused' })
          .option('metrics-client-rate', { type: 'number', default: LIMITS.perClientRatePerSecond, describe: 'new connections to --listen per second per client (burst: 2 s worth); more are refused' })
          .option('buffer-size', { type: 'string', default: `${DEFAULT_BUFFER_BYTES / 1024 / 1024}MiB`, describe: 'kernel capture ring (RAM, taken at start); a packet takes its captured length plus about 80 bytes' })
          .option('snaplen', { type: 'number', default: DEFAULT_SNAPLEN, describe: `bytes kept of each packet (${MIN_SNAPLEN}-${MAX_SNAPLEN}); the default keeps frames whole, so no header chain reaches past it` })
          .option('home-net', { type: 'string', array: true, coerce: listValues, describe: 'networks you defend (CIDR list); default RFC 1918, fc00::/7, fe80::/10' })
          .option('allow-scanner', { type: 'string', array: true, coerce: listValues, default: [] as string[], describe: 'sources never reported (CIDR list)' })
          .option('allow-target', { type: 'string', array: true, coerce: listValues, default: [] as string[], describe: 'targets whose probes are not counted (CIDR list)' })
          .option('dark-net', { type: 'string', array: true, coerce: listValues, default: [] as string[], describe: 'addresses no host uses (CIDR list): one probe to them is a detection' })
          .option('honey-port', { type: 'string', array: true, coerce: listValues, default: [] as string[], describe: 'ports nobody legitimate calls (list): one probe to them is a detection' })
          .option('window', { type: 'number', default: defaultConfig().window, describe: "seconds of quiet after which a source's counts restart" })
          .option('vxlan-port', { type: 'number', default: VXLAN_PORT, describe: 'UDP port decoded as VXLAN (inner traffic analysed)' })
          .option('geneve-port', { type: 'number', default: GENEVE_PORT, describe: 'UDP port decoded as Geneve (inner traffic analysed)' })
          .option('progress-interval', { type: 'number', default: 60, describe: 'seconds between log lines for a scan that keeps growing' })
          .option('log-level', { choices: ['debug', 'info', 'warn', 'error'], default: 'info' })
          .option('log-format', { choices: ['auto', 'json', 'pretty'], default: 'auto', describe: 'auto: pretty on a terminal, JSON otherwise' })
          .option('log-schema', { choices: LOG_SCHEMAS, default: 'native' as LogSchema, describe: "JSON lines' field names: native, or ecs (Elastic Common Schema)" })
          .option('sensor-name', { type: 'string', describe: 'name of this sensor on every log line (default: the host name)' })
          .option('flow-capacity', { type: 'number', default: defaultConfig().flowCapacity, describe: 'flow table slots (answers tied to probes); raise when flows are evicted' })
          .option('probation-capacity', { type: 'number', default: defaultConfig().probationCapacity, describe: 'slots for sources with one probe so far' })
          .option('source-capacity', { type: 'number', default: defaultConfig().sourceCapacity, describe: 'sources followed in full; raise when sources are evicted' })
          .option('sketch-budget', { type: 'string', default: `${defaultConfig().sketchBudgetBytes / 1024 / 1024}MiB`, describe: 'memory for per-source port bitmaps and host sketches' })
          .option('max-detections', { type: 'number', default: defaultConfig().maxDetections, describe: 'open scans kept at once; beyond this they are counted and dropped' })
          .option('hash-seed', {
            type: 'number',
            describe: 'fix the key of the bounded tables and sketches (0-4294967295), to repeat a run exactly (tests, comparing with analyze --hash-seed); unset, a random one that a spoofer cannot aim collisions at',
          })
          .option('on-detection', { type: 'string', describe: 'run COMMAND (argv split on spaces, no shell) for each new scan, the event JSON on its stdin' })
          .option('hook-timeout', { type: 'number', default: 10, describe: 'seconds before an --on-detection command is killed' })
          .option('hook-concurrency', { type: 'number', default: 4, describe: '--on-detection commands running at once' })
          .option('hook-rate', { type: 'number', default: 10, describe: '--on-detection commands started per second at most; up to 100 events wait (2 per source), more are dropped and counted' })
          .option('webhook', { type: 'string', describe: 'POST each new scan as JSON to this http(s) URL (retries with backoff)' })
          .option('webhook-queue', { type: 'number', default: 1000, describe: 'events waiting for the webhook at most, each source at most 2 of them; beyond, events are dropped and counted' })
          .option('hook-unverified', { type: 'boolean', default: false, describe: 'hand the hooks scans whose source never proved it is not spoofed (a forged packet can then trigger them)' })
          .option('hook-home-net', { type: 'boolean', default: false, describe: 'hand the hooks scans from --home-net sources too' })
          .option('extract', { type: 'string', requiresArg: true, describe: "when a scan ends, write its probes and answers still in memory to DIR/<id>-<src>-<type>.pcap" })
          .option('extract-max-files', { type: 'number', default: 1000, describe: '--extract files kept at most; the oldest is removed first' })
          .option('extract-max-size', { type: 'string', default: '1GiB', describe: '--extract files kept at most, in bytes all together; the oldest is removed first' })
          .option('extract-buffer', { type: 'string', default: '64MiB', describe: "memory for the recent frames --extract writes from (a scan's packets older than it are counted, not written)" })
          // The file is read here and checked below by the same schema as the flags (config-schema.ts).
          .config('config', 'JSON file with any of these settings (SIGHUP reloads home-net, allow lists, log-level, window, progress-interval)', (path: string) => (configSchema === null ? readConfigJson(path) : configSchema.readConfigFile(path))),
      async (args) => {
        // One schema for flags, SCANWATCH_* and the config file (config-schema.ts, loaded only here).
        const { checkEnvironment, checkSwitches, parseLiveSettings, pickSettings, readConfigFile } = await import('./config-schema.js');
        // Checked as yargs read it, unless the schema was not loaded then.
        if (configSchema === null && typeof args.config === 'string') readConfigFile(args.config);
        checkEnvironment(process.env);
        checkSwitches(rawArgv, process.env);
        const raw = pickSettings(args as Record<string, unknown>);
        const s = parseLiveSettings(raw);
        const config = defaultConfig();
        config.window = s.window;
        config.flowCapacity = s['flow-capacity'];
        config.probationCapacity = s['probation-capacity'];
        config.sourceCapacity = s['source-capacity'];
        config.sketchBudgetBytes = s['sketch-budget'];
        config.maxDetections = s['max-detections'];
        if (s['hash-seed'] !== undefined) config.hashSeed = s['hash-seed'];
        const bufferBytes = s['buffer-size'];
        const snaplen = s.snaplen;
        const format = s['log-format'] === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : s['log-format'];
        setTunnelPorts(config, s['vxlan-port'], s['geneve-port']);
        // Loaded only here: analyze needs neither libpcap nor prom-client.
        const { runLive } = await import('./live.js');
        exitCode = await runLive({
          interface: s.interface,
          filter: s.filter,
          listen: s.listen,
          bufferBytes,
          snaplen,
          homeNet: s['home-net'],
          allowScanners: s['allow-scanner'],
          allowTargets: s['allow-target'],
          logLevel: s['log-level'],
          darkNet: s['dark-net'],
          honeyPorts: s['honey-port'],
          logFormat: format,
          logSchema: s['log-schema'],
          sensorName: s['sensor-name'],
          progressInterval: s['progress-interval'],
          configFile: s.config,
          startSettings: raw,
          settings: s,
          config,
          version,
        });
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
    const err = configError ?? thrown;
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
