/**
 * What the sensor's log lines look like to a SIEM: the native schema
 * (scanwatch's own field names) or the Elastic Common Schema. Both carry an
 * ISO 8601 timestamp, a textual level, the sensor's name and interface on
 * every line. Only the shape of a line is decided here; what is logged, and
 * when, is DetectionLog's and the live command's business.
 */
import { randomBytes } from 'node:crypto';
import type { LoggerOptions } from 'pino';
import { techniqueByName } from '../rules/techniques.js';

export type LogSchema = 'native' | 'ecs';
export const LOG_SCHEMAS: readonly LogSchema[] = ['native', 'ecs'];

/**
 * The ECS release the `ecs` lines follow; the field names and types used
 * are checked against test/fixtures/ecs-fields.json, taken from that
 * release's generated/csv/fields.csv (github.com/elastic/ecs, 8.12 branch).
 */
export const ECS_VERSION = '8.12.0';

export interface SensorIdentity {
  /** --sensor-name: the name an analyst sees (default: the host name). */
  name: string;
  hostname: string;
  interface: string;
  version: string;
}

/**
 * A time-ordered unique id (the layout of a UUIDv7, RFC 9562 section 5.7:
 * 48 bits of Unix milliseconds, version 7, 74 random bits), so scan ids
 * sort by start time and never repeat across restarts or sensors, unlike
 * the report's per-process counter `id`.
 */
export function timeOrderedId(nowMs: number = Date.now()): string {
  const b = randomBytes(16);
  const ms = BigInt(Math.floor(nowMs));
  for (let i = 0; i < 6; i++) b[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const isoNow = (key: string) => (): string => `,"${key}":"${new Date().toISOString()}"`;

/** pino options for the chosen schema (only the shape; level and destination stay the caller's). */
export function schemaOptions(schema: LogSchema, sensor: SensorIdentity): LoggerOptions {
  if (schema === 'ecs') {
    return {
      messageKey: 'message',
      timestamp: isoNow('@timestamp'),
      base: { pid: process.pid },
      formatters: {
        level: (label) => ({ 'log.level': label }),
        bindings: (b) => ({
          'ecs.version': ECS_VERSION,
          process: { pid: b.pid as number },
          observer: {
            hostname: sensor.hostname,
            name: sensor.name,
            type: 'ids',
            vendor: 'scanwatch',
            product: 'scanwatch',
            version: sensor.version,
            ingress: { interface: { name: sensor.interface } },
          },
        }),
        log: (o) => toEcs(o),
      },
    };
  }
  return {
    messageKey: 'msg',
    timestamp: isoNow('time'),
    base: { pid: process.pid, sensor: sensor.name, interface: sensor.interface },
    formatters: {
      level: (label) => ({ level: label }),
      // `interface` is on every line already (base); a second copy would be a duplicate JSON key.
      log: (o) => {
        if (!('interface' in o)) return o;
        const { interface: _, ...rest } = o;
        return rest;
      },
    },
  };
}

const SCAN_EVENTS: Record<string, string[]> = {
  scan_started: ['start'],
  scan_progress: ['info'],
  scan_relabelled: ['change'],
  scan_ended: ['end'],
};

/** ECS `network.transport` of each technique (IANA protocol keyword names, lower case). */
function transportOf(type: string): string | null {
  return techniqueByName(type)?.transport ?? null;
}

/** ATT&CK tactics of the techniques attack.ts can name. */
const TACTICS: Record<string, { id: string; name: string }> = {
  T1595: { id: 'TA0043', name: 'Reconnaissance' },
  T1046: { id: 'TA0007', name: 'Discovery' },
  T1018: { id: 'TA0007', name: 'Discovery' },
};

const SEVERITY: Record<string, number> = { low: 25, medium: 50, high: 75, critical: 100 };

function threatOf(attack: unknown): Record<string, unknown> | null {
  const a = attack as { id?: unknown; name?: unknown } | null | undefined;
  if (typeof a?.id !== 'string' || typeof a.name !== 'string') return null;
  const [base, sub] = a.id.split('.');
  const [baseName, subName] = a.name.split(': ');
  const url = (id: string): string => `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
  const technique: Record<string, unknown> = { id: [base!], name: [baseName!], reference: [url(base!)] };
  if (sub !== undefined && subName !== undefined) technique.subtechnique = { id: [a.id], name: [subName], reference: [url(a.id)] };
  const tactic = TACTICS[base!];
  return { framework: 'MITRE ATT&CK', technique, ...(tactic ? { tactic: { id: [tactic.id], name: [tactic.name] } } : {}) };
}

/**
 * One native log record as ECS. Detection lines become alerts
 * (`event.kind: alert`); everything the ECS has no field for is kept
 * under `scanwatch.*`, the custom namespace ECS asks for.
 */
export function toEcs(o: Record<string, unknown>): Record<string, unknown> {
  const { event: action, error, interface: _iface, ...rest } = o as Record<string, unknown> & { event?: string };
  const out: Record<string, unknown> = {};
  const scanTypes = typeof action === 'string' ? SCAN_EVENTS[action] : undefined;
  if (scanTypes !== undefined && typeof rest.src === 'string') {
    const type = String(rest.type);
    const src = rest.src;
    const targets = Array.isArray(rest.targets_sample) ? (rest.targets_sample as string[]) : [];
    const event: Record<string, unknown> = {
      kind: 'alert',
      category: ['network', 'intrusion_detection'],
      type: scanTypes,
      action,
      module: 'scanwatch',
      dataset: 'scanwatch.scan',
      reason: String(rest.reason),
      start: rest.first_seen,
      severity: SEVERITY[String(rest.severity)] ?? 0,
    };
    if (typeof rest.scan_id === 'string') event.id = rest.scan_id;
    if (action === 'scan_ended') {
      event.end = rest.last_seen;
      event.duration = Math.round(Number(rest.duration_s) * 1e9);
    }
    out.event = event;
    out.source = { ip: src, address: src };
    if (rest.targets === 1 && targets.length === 1) out.destination = { ip: targets[0], address: targets[0] };
    out.related = { ip: [...new Set([src, ...targets])] };
    const transport = transportOf(type);
    out.network = {
      ...(transport !== null ? { transport } : {}),
      type: src.includes(':') ? 'ipv6' : 'ipv4',
      direction: String(rest.direction),
    };
    const threat = threatOf(rest.attack);
    if (threat !== null) out.threat = threat;
    out.rule = {
      id: `scanwatch.${type}`,
      name: `${type} scan`,
      category: 'reconnaissance',
      ruleset: 'scanwatch',
    };
  } else {
    out.event = { kind: 'event', category: ['network'], type: ['info'], module: 'scanwatch', dataset: 'scanwatch.sensor', ...(action ? { action } : {}) };
  }
  if (error !== undefined) out.error = { message: String(error) };
  if (Object.keys(rest).length > 0) out.scanwatch = rest;
  return out;
}
