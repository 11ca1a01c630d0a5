/**
 * Thresholds and sensitivity from the configuration: the "sensitivity"
 * setting for every technique, and the "thresholds" object of the config
 * file for each one, checked here and turned into the engine's Threshold
 * list (rules/techniques.ts names the fields and their defaults).
 *
 *   "sensitivity": "medium",
 *   "thresholds": { "tcp-syn": { "ports": 20 }, "udp": { "sensitivity": "low" }, "arp-sweep": { "enabled": false } }
 */
import type { Threshold } from '../rules/config.js';
import { TECHNIQUE_NAMES, TECHNIQUES, techniqueByName } from '../rules/techniques.js';

/**
 * Snort's sfPortscan has one knob, sense_level low|medium|high (README.sfportscan):
 * low alerts on fewer, surer scans, high on more. Here it scales the
 * technique's count thresholds: low doubles them, high halves them.
 */
export const SENSITIVITIES = ['low', 'medium', 'high'] as const;
export type Sensitivity = (typeof SENSITIVITIES)[number];
const SCALE: Record<Sensitivity, number> = { low: 2, medium: 1, high: 0.5 };

/** One technique's entry of "thresholds": each field optional, the rest from the defaults. */
export interface TechniqueSettings {
  enabled?: boolean;
  sensitivity?: Sensitivity;
  ports?: number;
  hosts?: number;
  probes?: number;
  confirmed?: number;
}
export type ThresholdSettings = Record<string, TechniqueSettings>;

/** The count fields and their largest sensible value. */
const COUNTS = { ports: 65535, hosts: 1 << 24, probes: 1_000_000, confirmed: 65535 } as const;
type CountField = keyof typeof COUNTS;
const FIELDS = ['enabled', 'sensitivity', ...Object.keys(COUNTS)] as const;

/** A problem of the "thresholds" value: where (a key path under it) and what. */
export interface ThresholdProblem {
  path: string[];
  message: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The first problem of a "thresholds" value, or null. A count the
 * technique has no use for (ports of a sweep, hosts of the IP protocol
 * scan, probes of any but the idle scan: 0 or absent in its defaults) is
 * refused rather than silently ignored.
 */
export function thresholdsProblem(value: unknown): ThresholdProblem | null {
  if (!isObject(value)) return { path: [], message: `expected an object of techniques, received ${typeName(value)}` };
  for (const [name, entry] of Object.entries(value)) {
    const spec = techniqueByName(name);
    if (spec === undefined) return { path: [], message: `unknown technique "${name}" (one of ${TECHNIQUE_NAMES.join(', ')})` };
    if (!isObject(entry)) return { path: [name], message: `expected an object, received ${typeName(entry)}` };
    for (const [field, v] of Object.entries(entry)) {
      const at = [name, field];
      if (!(FIELDS as readonly string[]).includes(field)) return { path: [name], message: `unknown setting "${field}" (one of ${FIELDS.join(', ')})` };
      if (field === 'enabled') {
        if (typeof v !== 'boolean') return { path: at, message: `expected boolean, received ${typeName(v)}` };
      } else if (field === 'sensitivity') {
        if (!(SENSITIVITIES as readonly unknown[]).includes(v)) return { path: at, message: `expected one of ${SENSITIVITIES.join(', ')}, received ${JSON.stringify(v)}` };
      } else {
        const f = field as CountField;
        const base = spec.threshold[f];
        if (f !== 'confirmed' && !(base !== undefined && base > 0)) return { path: at, message: `${name} has no ${f} threshold` };
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > COUNTS[f]) {
          return { path: at, message: `expected a whole number from 1 to ${COUNTS[f]}, received ${JSON.stringify(v)}` };
        }
      }
    }
  }
  return null;
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/**
 * A count scaled by a sensitivity, at least 1. 0 (not applicable) and 1
 * stay: a count of 1 says one target is the evidence (the idle scan's one
 * zombie), not a margin against noise.
 */
function scaled(n: number, factor: number): number {
  return n <= 1 ? n : Math.max(1, Math.ceil(n * factor));
}

/**
 * The engine's thresholds: each technique's defaults (rules/techniques.ts)
 * scaled by its sensitivity (its own, else the global one), then the counts
 * the file sets for it, which are taken as written.
 */
export function effectiveThresholds(sensitivity: Sensitivity, settings: ThresholdSettings): Threshold[] {
  return TECHNIQUES.map((t) => {
    const own = settings[t.name] ?? {};
    const factor = SCALE[own.sensitivity ?? sensitivity];
    const th: Threshold = { ...t.threshold, ports: scaled(t.threshold.ports, factor), hosts: scaled(t.threshold.hosts, factor) };
    if (t.threshold.probes !== undefined) th.probes = scaled(t.threshold.probes, factor);
    for (const f of Object.keys(COUNTS) as CountField[]) if (own[f] !== undefined) th[f] = own[f];
    if (own.enabled === false) th.enabled = false;
    return th;
  });
}
