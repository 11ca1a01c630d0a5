/**
 * The live sensor's settings, wherever they come from: flags, SCANWATCH_*
 * variables, the --config file at start and on SIGHUP. The checks are
 * generated from the option table (options.ts, settings.ts); this module
 * adds the one that needs the HTTP server's code (--listen), which only
 * `live` loads.
 */
import { parseListen } from '../metrics/http-server.js';
import { lateChecks, OPTIONS, RELOADABLE, type OptionSpec, type Settings } from './options.js';
import { readConfigFile as readFile, validateSettings } from './settings.js';

export { checkEnvironment, pickSettings, SettingsError } from './settings.js';
export { envName } from './options.js';

lateChecks.listen = (s: string): string | null => {
  try {
    parseListen(s);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

export type LiveSettings = Settings;
export const LIVE_SETTING_KEYS: readonly string[] = (OPTIONS as readonly OptionSpec[]).filter((o) => o.commands.includes('live')).map((o) => o.name);
/** Keys SIGHUP applies to the running sensor; a change of any other needs a restart. */
export const RELOADABLE_KEYS = RELOADABLE;

/** Validates merged settings of live; throws a SettingsError naming the first bad key. */
export function parseLiveSettings(raw: Record<string, unknown>, where = ''): LiveSettings {
  return validateSettings('live', raw, where);
}

/** Reads and checks a --config file for live; the values as written. */
export function readConfigFile(path: string): Record<string, unknown> {
  return readFile(path, 'live');
}

export interface ReloadPlan {
  /** The whole new configuration, validated. */
  settings: LiveSettings;
  /** Settings that differ from the running ones and that only a restart applies (capacities, interface...). */
  restartOnly: string[];
}

/**
 * SIGHUP's first half: reads the file again and builds the whole new
 * configuration, or throws a SettingsError naming the bad key; nothing is
 * applied here. The file is what the operator just edited, so its keys win
 * over what the command line and SCANWATCH_* (`given`) said at start; a key
 * taken out of the file falls back to those, then to the default.
 */
export function planReload(given: Record<string, unknown>, path: string, current: LiveSettings = validateSettings('live', given)): ReloadPlan {
  const file = readConfigFile(path);
  const settings = parseLiveSettings({ ...given, ...file }, `config ${path}: `);
  return { settings, restartOnly: restartOnlyChanges(current, settings) };
}

/** The settings SIGHUP cannot apply that differ between two configurations, by option name. */
export function restartOnlyChanges(a: LiveSettings, b: LiveSettings): string[] {
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  return LIVE_SETTING_KEYS.filter((k) => !RELOADABLE.includes(k) && JSON.stringify(x[k]) !== JSON.stringify(y[k]));
}
