/**
 * Every setting of scanwatch, declared once: its name (the flag, the
 * config-file key and, upper-cased with `_`, the SCANWATCH_* variable of
 * `live`), type, default, description, the commands that take it, its
 * bounds, and whether SIGHUP may change it in a running sensor. The yargs
 * options (yargs-options.ts), `--help` and the man page (build-man.ts), and
 * the validation of flags, variables and the config file (settings.ts) are
 * all generated from this table.
 *
 * Cheap to import: no validation library, so `analyze` starts as fast as
 * without a config file.
 */
import { DEFAULT_BUFFER_BYTES, DEFAULT_SNAPLEN, MAX_SNAPLEN, MIN_SNAPLEN, parseSize } from '../capture/live-capture.js';
import { UDP_TUNNELS } from '../decode/layer-table.js';
import { LIMITS } from '../metrics/server-limits.js';
import { LOG_SCHEMAS } from '../report/log-schema.js';
import { defaultConfig } from '../rules/config.js';
import { interfaceNameProblem } from './live-options.js';
import { AUTO_THREAD_MIB, FORMATS, MAX_AUTO_THREADS } from './analyze.js';
import { SENSITIVITIES, type ThresholdSettings } from './thresholds.js';

export type Command = 'analyze' | 'live';

/**
 * What a value is. 'list': CIDRs or ports, comma-separated or repeated;
 * 'size': bytes as a number or text such as "256MiB"; 'thresholds': the
 * per-technique object of the config file (thresholds.ts).
 */
export type Kind = 'string' | 'number' | 'boolean' | 'list' | 'choice' | 'size' | 'thresholds';

/** Bounds of a number (or of a size, in bytes). */
export interface Bounds {
  /** A whole number. */
  int?: boolean;
  min?: number;
  max?: number;
  /** Greater than 0 (seconds, rates). */
  positive?: boolean;
  /** What a number counts, for the message ("seconds", "bytes"). */
  unit?: string;
  /**
   * The whole rule as one phrase after "must" ("be a UDP port number
   * (1-65535)"), said for any bad value of this option, a non-number too.
   */
  must?: string;
}

export interface OptionSpec {
  readonly name: string;
  readonly kind: Kind;
  readonly alias?: string;
  readonly choices?: readonly string[];
  /** The value when no source gives one; absent: unset. */
  readonly default?: unknown;
  /** How the default reads in --help, when not the value itself ("64MiB"). */
  readonly defaultText?: string;
  readonly describe: string;
  readonly commands: readonly Command[];
  /** Per command: another description or other bounds, where the commands mean different things by the option. */
  readonly per?: Partial<Record<Command, { describe?: string; bounds?: Bounds }>>;
  readonly bounds?: Bounds;
  /** A check beyond the type and bounds: the problem as a phrase ("must be HOST:PORT"), or null. */
  readonly check?: (value: never) => string | null;
  /** `live` cannot start without it (from a flag, SCANWATCH_* or the file). */
  readonly required?: boolean;
  /** Only in the config file: no flag, no variable (an object does not fit on a command line). */
  readonly fileOnly?: boolean;
  /** SIGHUP applies a change of it to the running sensor; any other change needs a restart. */
  readonly reload: boolean;
}

const defaults = defaultConfig();
const MIB = 1024 * 1024;

/**
 * Checks whose code is slow to load: parseListen comes with the HTTP
 * server and prom-client (tens of ms). `live`, the only command taking
 * these options, loads them before it validates (settings-live.ts).
 */
export const lateChecks: { listen?: (s: string) => string | null } = {};

function listenProblem(s: string): string | null {
  return lateChecks.listen?.(s) ?? null;
}

function urlProblem(s: string): string | null {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? null : 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
}

/** A size must parse (parseSize's grammar: "256MiB", "1g", bytes). */
function sizeProblem(v: number | string): string | null {
  if (typeof v === 'number') return null;
  try {
    parseSize(v);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

const sizeBounds = (min: number, max: number): Bounds => ({ int: true, min, max, must: `be from ${min / MIB}MiB to ${Math.floor(max / MIB)}MiB` });

/** `--<name>-port` of a UDP tunnel (decode/layer-table.ts UDP_TUNNELS): a new tunnel's option comes from its entry. */
function tunnelPortOption<T extends (typeof UDP_TUNNELS)[number]>(t: T) {
  return {
    name: `${t.name}-port` as `${T['name']}-port`,
    kind: 'number',
    default: t.port as number,
    bounds: { int: true, min: 1, max: 65535, must: 'be a UDP port number (1-65535)' },
    commands: ['analyze', 'live'],
    reload: false,
    describe: `UDP port decoded as ${t.label} (inner traffic analysed)`,
  } as const;
}

export const OPTIONS = [
  // What to read.
  { name: 'interface', alias: 'i', kind: 'string', commands: ['live'], required: true, reload: false, check: (n: string) => interfaceNameProblem(n), describe: 'interface to capture on (a span or mirror port); required: here, in SCANWATCH_INTERFACE or in the --config file' },
  { name: 'format', alias: 'f', kind: 'choice', choices: FORMATS, default: 'table', commands: ['analyze'], reload: false, describe: 'output format (html: one self-contained page with plots)' },
  { name: 'merge', kind: 'boolean', default: false, commands: ['analyze'], reload: false, describe: 'read all files as one stream in timestamp order (rotated captures of one link)' },
  {
    name: 'extract',
    kind: 'string',
    bounds: { min: 1 },
    commands: ['analyze', 'live'],
    reload: false,
    describe: "write each scan's probes and answers to DIR/<id>-<src>-<type>.pcap",
    per: { live: { describe: 'when a scan ends, write its probes and answers still in memory to DIR/<id>-<src>-<type>.pcap' } },
  },
  { name: 'quiet', alias: 'q', kind: 'boolean', default: false, commands: ['analyze'], reload: false, describe: 'no progress bar (it is shown only when stderr is a terminal)' },
  {
    name: 'threads',
    kind: 'number',
    commands: ['analyze'],
    reload: false,
    // Each thread holds a capture's tables (about 35 MB at the defaults): more than 64 is a typo, not a machine.
    bounds: { int: true, min: 1, max: 64, must: 'be a whole number from 1 to 64' },
    describe:
      `files analysed at once, each whole on its own thread (files read as separate captures, not --merge or -); memory is that of this many captures (default: one per ${AUTO_THREAD_MIB} MiB of input, at most the cores and ${MAX_AUTO_THREADS})`,
  },
  { name: 'filter', kind: 'string', default: '', commands: ['live'], reload: false, describe: 'BPF capture filter (tcpdump syntax)' },
  { name: 'listen', kind: 'string', default: '127.0.0.1:9750', commands: ['live'], reload: false, check: listenProblem, describe: 'HOST:PORT for /metrics and /healthz' },
  // Bounds of the /metrics listener against hostile clients (src/metrics/http-server.ts LIMITS).
  { name: 'metrics-connections', kind: 'number', default: LIMITS.maxConnections, bounds: { int: true, min: 16, max: 16_384 }, commands: ['live'], reload: false, describe: 'connections to --listen at once; when full, an idle or silent one makes room' },
  { name: 'metrics-client-connections', kind: 'number', default: LIMITS.perClientConnections, bounds: { int: true, min: 1, max: 1024 }, commands: ['live'], reload: false, describe: 'connections to --listen at once per client (IPv4 address, IPv6 /64); more are refused' },
  { name: 'metrics-client-rate', kind: 'number', default: LIMITS.perClientRatePerSecond, bounds: { positive: true, max: 10_000 }, commands: ['live'], reload: false, describe: 'new connections to --listen per second per client (burst: 2 s worth); more are refused' },
  {
    name: 'buffer-size',
    kind: 'size',
    default: DEFAULT_BUFFER_BYTES,
    defaultText: `${DEFAULT_BUFFER_BYTES / MIB}MiB`,
    bounds: sizeBounds(MIB, 2 ** 31 - 1),
    check: sizeProblem,
    commands: ['live'],
    reload: false,
    describe: 'kernel capture ring (RAM, taken at start); a packet takes its captured length plus about 80 bytes',
  },
  {
    name: 'snaplen',
    kind: 'number',
    default: DEFAULT_SNAPLEN,
    bounds: { int: true, min: MIN_SNAPLEN, max: MAX_SNAPLEN, must: `be a whole number of bytes from ${MIN_SNAPLEN} to ${MAX_SNAPLEN}` },
    commands: ['live'],
    reload: false,
    describe: `bytes kept of each packet (${MIN_SNAPLEN}-${MAX_SNAPLEN}); the default keeps frames whole, so no header chain reaches past it`,
  },
  // The site policy (rules/policy.ts checks the addresses and ports).
  {
    name: 'home-net',
    kind: 'list',
    commands: ['analyze', 'live'],
    reload: true,
    describe: 'networks you defend (CIDR list); each scan is then inbound, outbound, internal or external',
    per: { live: { describe: 'networks you defend (CIDR list); default RFC 1918, fc00::/7, fe80::/10' } },
  },
  { name: 'allow-scanner', kind: 'list', default: [], commands: ['analyze', 'live'], reload: true, describe: 'sources never reported (CIDR list), e.g. your vulnerability scanner' },
  { name: 'allow-target', kind: 'list', default: [], commands: ['analyze', 'live'], reload: true, describe: 'targets whose probes are not counted (CIDR list)' },
  { name: 'dark-net', kind: 'list', default: [], commands: ['analyze', 'live'], reload: true, describe: 'addresses no host uses (CIDR list): one probe to them is a detection' },
  { name: 'honey-port', kind: 'list', default: [], commands: ['analyze', 'live'], reload: true, describe: 'ports nobody legitimate calls (list): one probe to them is a detection' },
  // The detection rules.
  { name: 'window', kind: 'number', default: defaults.window, bounds: { positive: true, unit: 'seconds' }, commands: ['analyze', 'live'], reload: true, describe: "seconds of quiet after which a source's counts restart" },
  {
    name: 'sensitivity',
    kind: 'choice',
    choices: SENSITIVITIES,
    default: 'medium',
    commands: ['analyze', 'live'],
    reload: true,
    describe: 'every technique\'s thresholds: low doubles them (fewer, surer reports), high halves them; "thresholds" in the --config file sets each technique',
  },
  {
    name: 'thresholds',
    kind: 'thresholds',
    default: {},
    fileOnly: true,
    commands: ['analyze', 'live'],
    reload: true,
    describe: 'per technique ("tcp-syn", "udp"...): enabled, sensitivity, ports, hosts, probes, confirmed (README "Configuration file")',
  },
  ...UDP_TUNNELS.map(tunnelPortOption),
  {
    name: 'max-detections',
    kind: 'number',
    default: defaults.maxDetections,
    bounds: { int: true, min: 0, max: 10_000_000, must: 'be a whole number (0 or more)' },
    commands: ['analyze', 'live'],
    reload: false,
    describe: 'detections kept for the report; more are counted in detections_dropped',
    per: { live: { describe: 'open scans kept at once; beyond this they are counted and dropped', bounds: { int: true, min: 1, max: 10_000_000 } } },
  },
  {
    name: 'hash-seed',
    kind: 'number',
    bounds: { int: true, min: 0, max: 0xffffffff, must: 'be a whole number from 0 to 4294967295' },
    commands: ['analyze', 'live'],
    reload: false,
    // Zeek's --load-seeds makes a run repeatable the same way.
    describe: 'fix the key of the bounded tables (0-4294967295) to reproduce a run exactly; unset, each capture gets a random one, which a spoofer cannot aim collisions at',
    per: {
      live: {
        describe:
          'fix the key of the bounded tables and sketches (0-4294967295), to repeat a run exactly (tests, comparing with analyze --hash-seed); unset, a random one that a spoofer cannot aim collisions at',
      },
    },
  },
  // Logging.
  { name: 'progress-interval', kind: 'number', default: 60, bounds: { positive: true, unit: 'seconds' }, commands: ['live'], reload: true, describe: 'seconds between log lines for a scan that keeps growing' },
  { name: 'log-level', kind: 'choice', choices: ['debug', 'info', 'warn', 'error'], default: 'info', commands: ['live'], reload: true, describe: 'the least severe log lines written' },
  { name: 'log-format', kind: 'choice', choices: ['auto', 'json', 'pretty'], default: 'auto', commands: ['live'], reload: false, describe: 'auto: pretty on a terminal, JSON otherwise' },
  { name: 'log-schema', kind: 'choice', choices: LOG_SCHEMAS, default: 'native', commands: ['live'], reload: false, describe: "JSON lines' field names: native, or ecs (Elastic Common Schema)" },
  { name: 'sensor-name', kind: 'string', bounds: { min: 1 }, commands: ['live'], reload: false, describe: 'name of this sensor on every log line (default: the host name)' },
  // Capacities: prometheus/alerts.yml tells users to raise them when tables evict; the tables are sized at start.
  { name: 'flow-capacity', kind: 'number', default: defaults.flowCapacity, bounds: { int: true, min: 1024, max: 1 << 24 }, commands: ['live'], reload: false, describe: 'flow table slots (answers tied to probes); raise when flows are evicted' },
  { name: 'probation-capacity', kind: 'number', default: defaults.probationCapacity, bounds: { int: true, min: 1024, max: 1 << 24 }, commands: ['live'], reload: false, describe: 'slots for sources with one probe so far' },
  { name: 'source-capacity', kind: 'number', default: defaults.sourceCapacity, bounds: { int: true, min: 64, max: 1 << 20 }, commands: ['live'], reload: false, describe: 'sources followed in full; raise when sources are evicted' },
  {
    name: 'sketch-budget',
    kind: 'size',
    default: defaults.sketchBudgetBytes,
    defaultText: `${defaults.sketchBudgetBytes / MIB}MiB`,
    bounds: sizeBounds(MIB, 16 * 1024 * MIB),
    check: sizeProblem,
    commands: ['live'],
    reload: false,
    describe: 'memory for per-source port bitmaps and host sketches',
  },
  // Response hooks (src/response): built at start, with their queues and processes.
  { name: 'on-detection', kind: 'string', bounds: { min: 1 }, commands: ['live'], reload: false, describe: 'run COMMAND (argv split on spaces, no shell) for each new scan, the event JSON on its stdin' },
  { name: 'hook-timeout', kind: 'number', default: 10, bounds: { positive: true, unit: 'seconds' }, commands: ['live'], reload: false, describe: 'seconds before an --on-detection command is killed' },
  { name: 'hook-concurrency', kind: 'number', default: 4, bounds: { int: true, min: 1, max: 64 }, commands: ['live'], reload: false, describe: '--on-detection commands running at once' },
  { name: 'hook-rate', kind: 'number', default: 10, bounds: { positive: true }, commands: ['live'], reload: false, describe: '--on-detection commands started per second at most; up to 100 events wait (2 per source), more are dropped and counted' },
  { name: 'webhook', kind: 'string', check: urlProblem, commands: ['live'], reload: false, describe: 'POST each new scan as JSON to this http(s) URL (retries with backoff)' },
  { name: 'webhook-queue', kind: 'number', default: 1000, bounds: { int: true, min: 1, max: 100_000 }, commands: ['live'], reload: false, describe: 'events waiting for the webhook at most, each source at most 2 of them; beyond, events are dropped and counted' },
  // Off by default: a forged packet must not steer a response (src/response/response-gate.ts).
  { name: 'hook-unverified', kind: 'boolean', default: false, commands: ['live'], reload: false, describe: 'hand the hooks scans whose source never proved it is not spoofed (a forged packet can then trigger them)' },
  { name: 'hook-home-net', kind: 'boolean', default: false, commands: ['live'], reload: false, describe: 'hand the hooks scans from --home-net sources too' },
  // live --extract (src/report/live-extract.ts): the frame ring is taken at start, the directory bounded.
  { name: 'extract-max-files', kind: 'number', default: 1000, bounds: { int: true, min: 1, max: 1_000_000 }, commands: ['live'], reload: false, describe: '--extract files kept at most; the oldest is removed first' },
  {
    name: 'extract-max-size',
    kind: 'size',
    default: 1024 * MIB,
    defaultText: '1GiB',
    bounds: sizeBounds(MIB, 1024 * 1024 * MIB),
    check: sizeProblem,
    commands: ['live'],
    reload: false,
    describe: '--extract files kept at most, in bytes all together; the oldest is removed first',
  },
  {
    name: 'extract-buffer',
    kind: 'size',
    default: 64 * MIB,
    defaultText: '64MiB',
    bounds: sizeBounds(MIB, 4096 * MIB),
    check: sizeProblem,
    commands: ['live'],
    reload: false,
    describe: "memory for the recent frames --extract writes from (a scan's packets older than it are counted, not written)",
  },
  {
    name: 'config',
    kind: 'string',
    commands: ['analyze', 'live'],
    reload: false,
    describe: 'JSON file of settings (any option by its name, and "thresholds"); the command line wins over it. live: SIGHUP reads it again',
  },
] as const satisfies readonly OptionSpec[];

export const OPTION_BY_NAME: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o: OptionSpec) => [o.name, o]));

type Option = (typeof OPTIONS)[number];
type ValueOf<O> = O extends { kind: 'number' | 'size' }
  ? number
  : O extends { kind: 'boolean' }
    ? boolean
    : O extends { kind: 'list' }
      ? string[]
      : O extends { kind: 'choice'; choices: readonly (infer C)[] }
        ? C
        : O extends { kind: 'thresholds' }
          ? ThresholdSettings
          : string;

/** Validated settings, by option name: defaults filled in; an option without a default may be unset. */
export type Settings = { [O in Option as O['name']]: O extends { default: unknown } ? ValueOf<O> : ValueOf<O> | undefined };

/** The options `command` takes, in declaration order. */
export function optionsOf(command: Command): OptionSpec[] {
  return (OPTIONS as readonly OptionSpec[]).filter((o) => o.commands.includes(command));
}

/** The option's description for `command`. */
export function describeFor(o: OptionSpec, command: Command): string {
  return o.per?.[command]?.describe ?? o.describe;
}

/** The option's bounds for `command`. */
export function boundsFor(o: OptionSpec, command: Command | null): Bounds | undefined {
  return (command === null ? undefined : o.per?.[command]?.bounds) ?? o.bounds;
}

/** SCANWATCH_FOO_BAR for --foo-bar. */
export const envName = (key: string): string => `SCANWATCH_${key.toUpperCase().replace(/-/g, '_')}`;

/** The names SIGHUP may change; any other setting that differs needs a restart. */
export const RELOADABLE: readonly string[] = (OPTIONS as readonly OptionSpec[]).filter((o) => o.reload).map((o) => o.name);
