/**
 * Validation of settings, generated from the option table (options.ts):
 * flags, SCANWATCH_* variables and the --config file get the same checks
 * and the same one-line error naming the key as the user wrote it (--flag
 * on the command line and in the environment, "key" in a file).
 */
import { OPTION_BY_NAME, OPTIONS, boundsFor, envName, optionsOf, type Bounds, type Command, type OptionSpec, type Settings } from './options.js';
import { EXIT_USAGE, UserError } from './errors.js';
import { readConfigJson } from './config-file.js';
import { listValues } from './list-values.js';
import { UDP_TUNNELS } from '../decode/layer-table.js';
import { parseSize } from '../capture/live-capture.js';
import { thresholdsProblem } from './thresholds.js';

export class SettingsError extends UserError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/**
 * The error line: `--window: expected number, received string` for a
 * flag, `config F: "window": ...` in a file; a rule phrased "must ..."
 * follows the name directly (`--snaplen must be ...`).
 */
function fail(where: string, key: string, message: string): never {
  const name = where === '' ? `--${key}` : `"${key}"`;
  throw new SettingsError(`${where}${name}${message.startsWith('must ') ? ' ' : ': '}${message}`);
}

function typeName(v: unknown): string {
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN';
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** The rule of a number, as the error says it. */
function boundsText(b: Bounds): string {
  const what = b.int ? `a whole number${b.unit ? ` of ${b.unit}` : ''}` : `a ${b.positive ? 'positive ' : ''}number${b.unit ? ` of ${b.unit}` : ''}`;
  if (b.min !== undefined && b.max !== undefined) return `expected ${what} from ${b.min} to ${b.max}`;
  if (b.min !== undefined) return `expected ${what} (${b.min} or more)`;
  if (b.max !== undefined) return `expected ${what} up to ${b.max}`;
  return `expected ${what}`;
}

function checkNumber(n: number, b: Bounds | undefined, where: string, key: string): number {
  if (b === undefined) return n;
  const bad = (b.int === true && !Number.isInteger(n)) || (b.positive === true && !(n > 0)) || (b.min !== undefined && n < b.min) || (b.max !== undefined && n > b.max);
  if (bad) fail(where, key, b.must !== undefined ? `must ${b.must}` : `${boundsText(b)}, received ${n}`);
  return n;
}

/** One value, checked and in its working form (a list as an array, a size in bytes). */
function checkValue(o: OptionSpec, command: Command | null, v: unknown, where: string): unknown {
  const key = o.name;
  const b = boundsFor(o, command);
  const problem = (value: unknown): void => {
    const p = o.check?.(value as never) ?? null;
    if (p !== null) fail(where, key, p);
  };
  switch (o.kind) {
    case 'number':
      if (typeof v !== 'number') fail(where, key, `expected number, received ${typeName(v)}`);
      // A flag that is not a number arrives as NaN: the option's own rule says it best.
      if (Number.isNaN(v)) fail(where, key, b?.must !== undefined ? `must ${b.must}` : 'expected number, received NaN');
      return checkNumber(v, b, where, key);
    case 'size': {
      if (typeof v !== 'number' && typeof v !== 'string') fail(where, key, `expected a size (bytes, or text such as "64MiB"), received ${typeName(v)}`);
      problem(v);
      return checkNumber(typeof v === 'number' ? v : parseSize(v), b, where, key);
    }
    case 'boolean':
      if (typeof v !== 'boolean') fail(where, key, `expected boolean, received ${typeName(v)}`);
      return v;
    case 'list':
      if (!(typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number')))) {
        fail(where, key, `expected a list (an array of strings, or one comma-separated string), received ${typeName(v)}`);
      }
      return listValues(v);
    case 'choice':
      if (!o.choices!.includes(v as string)) fail(where, key, `expected one of ${o.choices!.join(', ')}, received ${JSON.stringify(v)}`);
      return v;
    case 'thresholds': {
      const p = thresholdsProblem(v);
      if (p !== null) fail(where, [key, ...p.path].join('.'), p.message);
      return v;
    }
    case 'string':
      if (typeof v !== 'string') fail(where, key, `expected string, received ${typeName(v)}`);
      if (b?.min !== undefined && v.length < b.min) fail(where, key, 'must not be empty');
      problem(v);
      return v;
  }
}

/**
 * Checks `raw` (keys are option names) for `command`: every key must be an
 * option, every value valid; values for options of the other command are
 * checked and dropped. Defaults fill the rest. Throws a SettingsError naming the first
 * bad key, prefixed by `where` ("config F: " for a file).
 */
export function validateSettings(command: Command, raw: Record<string, unknown>, where = ''): Settings {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const o = OPTION_BY_NAME.get(key);
    if (o === undefined) throw new SettingsError(`${where}unknown setting "${key}"`);
    if (value === undefined) continue;
    const taken = o.commands.includes(command);
    const v = checkValue(o, taken ? command : null, value, where);
    if (taken) out[key] = v;
  }
  // Every option gets its default, the other command's too: the engine is
  // built from one complete set (analyze's tables have live's default sizes).
  for (const o of OPTIONS as readonly OptionSpec[]) {
    if (out[o.name] !== undefined) continue;
    if (o.required === true && o.commands.includes(command)) fail(where, o.name, `required (the flag, ${envName(o.name)}, or "${o.name}" in the --config file)`);
    if (o.default !== undefined) out[o.name] = structuredClone(o.default);
  }
  // One port, one tunnel: the layer table could not say which it is.
  const taken = new Map<unknown, string>();
  for (const t of UDP_TUNNELS) {
    const port = out[`${t.name}-port`];
    const other = taken.get(port);
    if (other !== undefined) throw new SettingsError(`${where}--${other}-port and --${t.name}-port must differ`);
    taken.set(port, t.name);
  }
  return out as Settings;
}

/** What the command line (and, for live, SCANWATCH_*) gave: yargs' result holds aliases, camelCase copies and `$0` too. */
export function pickSettings(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of OPTIONS as readonly OptionSpec[]) if (!o.fileOnly && args[o.name] !== undefined) out[o.name] = args[o.name];
  return out;
}

/**
 * Reads a --config file: a JSON object of settings by option name. Every
 * key and value is checked here, those of the other command too (one file
 * may serve both); the values are returned as written.
 */
export function readConfigFile(path: string, command: Command): Record<string, unknown> {
  const raw = readConfigJson(path);
  const where = `config ${path}: `;
  for (const [key, value] of Object.entries(raw)) {
    const o = OPTION_BY_NAME.get(key);
    if (o === undefined) throw new SettingsError(`${where}unknown setting "${key}"`);
    checkValue(o, o.commands.includes(command) ? command : null, value, where);
  }
  return raw;
}

/** SCANWATCH_* variables that name no setting of live: a typo there would be silently ignored otherwise. */
export function checkEnvironment(env: NodeJS.ProcessEnv): void {
  const known = new Set(optionsOf('live').filter((o) => !o.fileOnly).map((o) => envName(o.name)));
  for (const name of Object.keys(env)) {
    if (name.startsWith('SCANWATCH_') && !known.has(name)) throw new SettingsError(`unknown setting ${name} in the environment`);
  }
}

/**
 * yargs reads any text but "true" as false for a boolean option, so
 * `SCANWATCH_HOOK_HOME_NET=yes` or `--hook-unverified=on` would silently
 * mean off: for the switches, such a value is an error naming it.
 */
export function checkSwitches(command: Command, argv: readonly string[], env: NodeJS.ProcessEnv): void {
  const onOff = /^(true|false)$/;
  for (const o of optionsOf(command)) {
    if (o.kind !== 'boolean') continue;
    const key = o.name;
    const fromEnv = command === 'live' ? env[envName(key)] : undefined;
    if (fromEnv !== undefined && !onOff.test(fromEnv)) throw new SettingsError(`${envName(key)}: must be true or false, not ${JSON.stringify(fromEnv)}`);
    for (const arg of argv) {
      const value = arg.startsWith(`--${key}=`) ? arg.slice(key.length + 3) : null;
      if (value !== null && !onOff.test(value)) throw new SettingsError(`--${key}: must be true or false, not ${JSON.stringify(value)}`);
    }
  }
}

/**
 * The settings a command runs with: the --config file's (if any) with the
 * command line (and live's SCANWATCH_*) over them, checked and completed
 * with the defaults. `given` is what the command line and environment
 * said, kept by live for SIGHUP.
 */
export function resolveSettings(command: Command, args: Record<string, unknown>): { settings: Settings; given: Record<string, unknown> } {
  const given = pickSettings(args);
  const path = given.config;
  const file = typeof path === 'string' ? readConfigFile(path, command) : {};
  return { settings: validateSettings(command, { ...file, ...given }), given };
}
