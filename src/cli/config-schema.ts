/**
 * One schema for the live sensor's settings, wherever they come from: flags,
 * SCANWATCH_* variables, the --config file at start and on SIGHUP. yargs
 * parses the command line and merges the sources (flag > variable > file >
 * default); this schema then decides what is valid, so every source gets
 * the same checks and the same one-line error naming the key.
 */
import { z } from 'zod';
import { DEFAULT_BUFFER_BYTES, DEFAULT_SNAPLEN, MAX_SNAPLEN, MIN_SNAPLEN, parseSize } from '../capture/live-capture.js';
import { parseListen } from '../metrics/http-server.js';
import { LIMITS } from '../metrics/server-limits.js';
import { defaultConfig } from '../rules/config.js';
import { LOG_SCHEMAS } from '../report/log-schema.js';
import { GENEVE_PORT, VXLAN_PORT } from '../decode/layer-table.js';
import { EXIT_USAGE, UserError } from './errors.js';
import { readConfigJson } from './config-file.js';
import { interfaceNameProblem } from './live-options.js';

const MIB = 1024 * 1024;
const defaults = defaultConfig();

/** "10.0.0.0/8,192.168.0.0/16", or a list of such strings (repeated flags, JSON arrays). */
const cidrList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== ''));

/** A size: bytes as a number, or text such as "256MiB" (parseSize's grammar). */
function size(min: number, max: number) {
  return z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      if (typeof v === 'number') return v;
      try {
        return parseSize(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .pipe(z.number().int().min(min, `must be from ${min / MIB}MiB to ${Math.floor(max / MIB)}MiB`).max(max, `must be from ${min / MIB}MiB to ${Math.floor(max / MIB)}MiB`));
}

const count = (min: number, max: number) => z.number().int().min(min).max(max);

/**
 * Every setting of `scanwatch live`, by its flag name (the config file's
 * keys and, upper-cased with `_`, the SCANWATCH_* variables).
 */
export const liveSettingsSchema = z.strictObject({
  interface: z.string().superRefine((name, ctx) => {
    const problem = interfaceNameProblem(name);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  }),
  filter: z.string().default(''),
  listen: z
    .string()
    .refine((s) => {
      try {
        parseListen(s);
        return true;
      } catch {
        return false;
      }
    }, 'must be HOST:PORT')
    .default('127.0.0.1:9750'),
  // Bounds of the /metrics listener against hostile clients (src/metrics/http-server.ts LIMITS).
  'metrics-connections': count(16, 16_384).default(LIMITS.maxConnections),
  'metrics-client-connections': count(1, 1024).default(LIMITS.perClientConnections),
  'metrics-client-rate': z.number().positive().max(10_000).default(LIMITS.perClientRatePerSecond),
  'buffer-size': size(MIB, 2 ** 31 - 1).default(DEFAULT_BUFFER_BYTES),
  snaplen: z
    .number()
    .refine((n) => Number.isInteger(n) && n >= MIN_SNAPLEN && n <= MAX_SNAPLEN, `must be a whole number of bytes from ${MIN_SNAPLEN} to ${MAX_SNAPLEN}`)
    .default(DEFAULT_SNAPLEN),
  'home-net': cidrList.optional(),
  'allow-scanner': cidrList.default([]),
  'allow-target': cidrList.default([]),
  // Deception (policy.ts checks the addresses and ports): one probe to them is a detection.
  'dark-net': cidrList.default([]),
  'honey-port': cidrList.default([]),
  'vxlan-port': count(1, 65535).default(VXLAN_PORT),
  'geneve-port': count(1, 65535).default(GENEVE_PORT),
  window: z.number().positive().default(defaults.window),
  'progress-interval': z.number().positive().default(60),
  'log-level': z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  'log-format': z.enum(['auto', 'json', 'pretty']).default('auto'),
  'log-schema': z.enum(LOG_SCHEMAS as ['native', 'ecs']).default('native'),
  'sensor-name': z.string().min(1).optional(),
  // Capacities: prometheus/alerts.yml tells users to raise them when tables evict.
  'flow-capacity': count(1024, 1 << 24).default(defaults.flowCapacity),
  'probation-capacity': count(1024, 1 << 24).default(defaults.probationCapacity),
  'source-capacity': count(64, 1 << 20).default(defaults.sourceCapacity),
  'sketch-budget': size(MIB, 16 * 1024 * MIB).default(defaults.sketchBudgetBytes),
  'max-detections': count(1, 10_000_000).default(defaults.maxDetections),
  // The tables' hash key; unset, a random one (a spoofer cannot aim collisions). Set only to repeat a run.
  'hash-seed': count(0, 0xffffffff).optional(),
  // Response hooks (src/response).
  'on-detection': z.string().min(1).optional(),
  'hook-timeout': z.number().positive().default(10),
  'hook-concurrency': count(1, 64).default(4),
  'hook-rate': z.number().positive().default(10),
  webhook: z.url({ protocol: /^https?$/ }).optional(),
  'webhook-queue': count(1, 100_000).default(1000),
  // Off by default: a forged packet must not steer a response (src/response/response-gate.ts).
  'hook-unverified': z.boolean().default(false),
  'hook-home-net': z.boolean().default(false),
  // live --extract (src/report/live-extract.ts): each ended scan's packets as a pcap in DIR, the directory bounded.
  extract: z.string().min(1).optional(),
  'extract-max-files': count(1, 1_000_000).default(1000),
  'extract-max-size': size(MIB, 1024 * 1024 * MIB).default(1024 * MIB),
  'extract-buffer': size(MIB, 4096 * MIB).default(64 * MIB),
  config: z.string().optional(),
});

export type LiveSettings = z.output<typeof liveSettingsSchema>;
export type LiveSettingsInput = z.input<typeof liveSettingsSchema>;
export const LIVE_SETTING_KEYS = Object.keys(liveSettingsSchema.shape) as (keyof LiveSettingsInput)[];

/** Keys SIGHUP applies to the running sensor; the rest need a restart. */
export const RELOADABLE_KEYS = ['home-net', 'allow-scanner', 'allow-target', 'log-level', 'window', 'progress-interval'] as const;

/** SCANWATCH_FOO_BAR for --foo-bar. */
export const envName = (key: string): string => `SCANWATCH_${key.toUpperCase().replace(/-/g, '_')}`;

/** The first problem, as one line naming the key the user wrote. */
function describeIssue(issue: z.core.$ZodIssue, where: string): string {
  if (issue.code === 'unrecognized_keys') return `${where}unknown setting ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const key = issue.path.join('.');
  // A file names its keys as written there; flags and SCANWATCH_* as the option.
  const sep = issue.message.startsWith('must ') ? ' ' : ': ';
  const name = key === '' ? '' : where === '' ? `--${key}${sep}` : `"${key}"${sep}`;
  return `${where}${name}${issue.message}`;
}

export class SettingsError extends UserError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** Validates merged settings; throws a SettingsError naming the first bad key. */
export function parseLiveSettings(raw: Record<string, unknown>, where = ''): LiveSettings {
  const r = liveSettingsSchema.safeParse(raw);
  if (!r.success) throw new SettingsError(describeIssue(r.error.issues[0]!, where));
  return r.data;
}

/** The settings yargs parsed (it also holds aliases, camelCase copies and `$0`): only the schema's keys. */
export function pickSettings(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of LIVE_SETTING_KEYS) if (args[k] !== undefined) out[k] = args[k];
  return out;
}

/** SCANWATCH_* variables that name no setting: a typo there would be silently ignored otherwise. */
export function checkEnvironment(env: NodeJS.ProcessEnv): void {
  const known = new Set(LIVE_SETTING_KEYS.map(envName));
  for (const name of Object.keys(env)) {
    if (name.startsWith('SCANWATCH_') && !known.has(name)) throw new SettingsError(`unknown setting ${name} in the environment`);
  }
}

/** The on/off settings. */
const SWITCHES = ['hook-unverified', 'hook-home-net'] as const;

/**
 * yargs reads any text but "true" as false for a boolean option, so
 * `SCANWATCH_HOOK_HOME_NET=yes` or `--hook-unverified=on` would silently
 * mean off: for the switches, such a value is an error naming it.
 */
export function checkSwitches(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const onOff = /^(true|false)$/;
  for (const key of SWITCHES) {
    const fromEnv = env[envName(key)];
    if (fromEnv !== undefined && !onOff.test(fromEnv)) throw new SettingsError(`${envName(key)}: must be true or false, not ${JSON.stringify(fromEnv)}`);
    for (const arg of argv) {
      const value = arg.startsWith(`--${key}=`) ? arg.slice(key.length + 3) : null;
      if (value !== null && !onOff.test(value)) throw new SettingsError(`--${key}: must be true or false, not ${JSON.stringify(value)}`);
    }
  }
}

/** Reads a --config file: a JSON object whose keys are all settings (values are checked with the rest). */
export function readConfigFile(path: string): Record<string, unknown> {
  let raw: Record<string, unknown>;
  try {
    raw = readConfigJson(path);
  } catch (err) {
    throw new SettingsError((err as Error).message);
  }
  const r = liveSettingsSchema.partial().safeParse(raw);
  if (!r.success) throw new SettingsError(describeIssue(r.error.issues[0]!, `config ${path}: `));
  return raw;
}

export interface ReloadPlan {
  /** The whole new configuration, validated. */
  settings: LiveSettings;
  /** Keys the file changed that only a restart applies (capacities, interface...). */
  restartOnly: string[];
}

/**
 * SIGHUP's first half: reads the file and builds the whole new
 * configuration (the file's keys laid over the start-up settings), or
 * throws a SettingsError naming the bad key. Nothing is applied here.
 */
export function planReload(start: Record<string, unknown>, path: string): ReloadPlan {
  const file = readConfigFile(path);
  const settings = parseLiveSettings({ ...start, ...file }, `config ${path}: `);
  const restartOnly = Object.keys(file).filter(
    (k) => !(RELOADABLE_KEYS as readonly string[]).includes(k) && k !== 'config' && JSON.stringify(file[k]) !== JSON.stringify(start[k]),
  );
  return { settings, restartOnly };
}
