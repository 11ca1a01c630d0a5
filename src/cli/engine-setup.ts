/**
 * The one place an engine is assembled from settings, for `analyze` (its
 * main thread and each --threads worker) and `live`: the engine's
 * configuration (window, thresholds and sensitivity, bounds, tunnel ports,
 * hash key) and the site policy (home net, allow-lists, decoys).
 */
import { Engine } from '../engine/engine.js';
import { defaultConfig, type EngineConfig } from '../rules/config.js';
import { UDP_TUNNELS } from '../decode/layer-table.js';
import { sitePolicy, type SitePolicy } from '../rules/policy.js';
import { EXIT_USAGE, UserError } from './errors.js';
import type { Settings } from './options.js';
import { effectiveThresholds } from './thresholds.js';

/** The site policy's inputs as written (the policy holds CIDR sets: a worker thread rebuilds it from these). */
export interface PolicyArgs {
  homeNet?: string[];
  allowScanners?: string[];
  allowTargets?: string[];
  darkNet?: string[];
  honeyPorts?: string[];
}

/** Everything an engine is built from, as plain data (it crosses to worker threads). */
export interface EnginePlan {
  config: EngineConfig;
  policy: PolicyArgs;
}

/** The engine configuration and policy inputs that `settings` ask for. */
export function enginePlan(s: Settings): EnginePlan {
  const config = defaultConfig();
  config.window = s.window;
  config.thresholds = effectiveThresholds(s.sensitivity, s.thresholds);
  config.flowCapacity = s['flow-capacity'];
  config.probationCapacity = s['probation-capacity'];
  config.sourceCapacity = s['source-capacity'];
  config.sketchBudgetBytes = s['sketch-budget'];
  config.maxDetections = s['max-detections'];
  if (s['hash-seed'] !== undefined) config.hashSeed = s['hash-seed'];
  // Only a reader of the packets pays for the index: analyze's --extract and html, live's --extract.
  config.indexPackets = s.extract !== undefined || s.format === 'html';
  config.udpTunnelPorts = Object.fromEntries(UDP_TUNNELS.map((t) => [t.name, [s[`${t.name}-port`]]]));
  return {
    config,
    policy: { homeNet: s['home-net'], allowScanners: s['allow-scanner'], allowTargets: s['allow-target'], darkNet: s['dark-net'], honeyPorts: s['honey-port'] },
  };
}

/** The site policy; a bad address or port is a usage error. */
export function policyOf(a: PolicyArgs): SitePolicy {
  try {
    return sitePolicy(a.homeNet, a.allowScanners, a.allowTargets, a.darkNet, a.honeyPorts);
  } catch (err) {
    throw new UserError((err as Error).message, EXIT_USAGE);
  }
}

/** A new engine with `config`, and the policy's home net, allow-lists and decoys. */
export function buildEngine(config: EngineConfig, policy: SitePolicy): Engine {
  const engine = new Engine(config);
  applyPolicy(engine, policy);
  return engine;
}

/** Hands the engine the policy's lists: at start, and again on a reload. */
export function applyPolicy(engine: Engine, policy: SitePolicy): void {
  engine.useHomeNet(policy.homeNet);
  engine.useAllowLists(policy.allowScanners, policy.allowTargets);
  engine.useDeception(policy.darkNet, policy.honeyPorts);
}
