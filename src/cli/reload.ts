/**
 * SIGHUP in the live sensor: the config file is read again, the whole new
 * configuration is validated and built, and then it reaches every part of
 * the sensor that holds a setting, or none does. Snort and Suricata reload
 * rules the same way: the new configuration is built beside the running
 * one and swapped in only once it is complete (Suricata's "rule reload",
 * suricata.yaml detect-engine reload).
 */
import { RestartRequired } from '../engine/engine.js';
import type { EngineConfig } from '../rules/config.js';
import type { SitePolicy } from '../rules/policy.js';
import { type LiveSettings, planReload, restartOnlyChanges } from './config-schema.js';
import { enginePlan, type EnginePlan, policyOf } from './engine-setup.js';

/** A configuration of the sensor, complete: its settings and what is built from them. */
export interface LiveConfig {
  settings: LiveSettings;
  plan: EnginePlan;
  policy: SitePolicy;
}

/** Builds everything the settings ask for; throws (a usage error) before anything is in use. */
export function liveConfig(settings: LiveSettings): LiveConfig {
  const plan = enginePlan(settings);
  return { settings, plan, policy: policyOf(plan.policy) };
}

/**
 * What holds a reloadable setting in the running sensor. `reconfigure`
 * either takes the engine configuration whole or throws having changed
 * nothing (Engine.reconfigure); the others only assign, and cannot fail.
 */
export interface ReloadTargets {
  reconfigure(config: EngineConfig): void;
  /** The engine's lists, the detection log's directions, the hooks' home net. */
  setPolicy(policy: SitePolicy): void;
  setLogLevel(level: LiveSettings['log-level']): void;
  setProgressInterval(seconds: number): void;
}

/**
 * Applies `next` over `current`: a changed setting only a restart can
 * apply throws RestartRequired first; then the engine, which may refuse
 * as a whole; then the rest, which cannot fail. So either every part runs
 * with `next` or every part still runs with `current`.
 */
export function applyReload(targets: ReloadTargets, current: LiveConfig, next: LiveConfig): void {
  const fixed = restartOnlyChanges(current.settings, next.settings);
  if (fixed.length > 0) throw new RestartRequired(fixed);
  targets.reconfigure(next.plan.config);
  targets.setPolicy(next.policy);
  targets.setLogLevel(next.settings['log-level']);
  targets.setProgressInterval(next.settings['progress-interval']);
}

/**
 * The whole of SIGHUP: reads `path`, validates and builds the new
 * configuration, applies it; returns it, or throws (SettingsError,
 * RestartRequired, a bad address) with `current` still in force everywhere.
 */
export function reloadConfig(targets: ReloadTargets, current: LiveConfig, given: Record<string, unknown>, path: string): LiveConfig {
  const next = liveConfig(planReload(given, path, current.settings).settings);
  applyReload(targets, current, next);
  return next;
}
