import { pino, type Logger } from 'pino';
import type { Detection } from '../rules/detection.js';
import type { SitePolicy } from '../rules/policy.js';
import { BoundedLogWriter } from './log-writer.js';
import { detectionReport } from './report.js';
import { type LogSchema, schemaOptions, type SensorIdentity, timeOrderedId } from './log-schema.js';
import { hostname } from 'node:os';

export type LogFormat = 'json' | 'pretty';

/** " attack=T1046" for the pretty line, from the log record's ATT&CK field. */
function attackText(attack: unknown): string {
  const id = (attack as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' ? ` attack=${id}` : '';
}

/** Anything that takes whole log lines (a BoundedLogWriter). */
export interface LineSink {
  write(line: string): boolean;
}

/**
 * Turns pino's JSON lines into one readable line each, for a person
 * watching a terminal, and passes them on. (Written here rather than
 * pulling in pino-pretty: the fields are few and known.)
 */
export class PrettyLines implements LineSink {
  constructor(private readonly out: LineSink) {}

  write(chunk: string): boolean {
    for (const line of chunk.split('\n')) {
      if (line === '') continue;
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        this.out.write(line + '\n');
        continue;
      }
      const ms = Number(o.time);
      const time =
        typeof o.time === 'string'
          ? o.time.replace('T', ' ').replace('Z', '')
          : Number.isFinite(ms) && Math.abs(ms) <= 8.64e15
            ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '')
            : String(o.time);
      const level =
        typeof o.level === 'string'
          ? o.level.toUpperCase()
          : (({ 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' } as Record<number, string>)[Number(o.level)] ?? 'INFO');
      let text = `${time} ${level.padEnd(5)} ${String(o.msg ?? o.event ?? '')}`;
      if (typeof o.src === 'string') {
        const learned = Array.isArray(o.open_ports) && o.open_ports.length > 0 ? ` open ${(o.open_ports as number[]).join(',')}` : '';
        text += `: ${o.src} ${o.type} ${o.pattern} ${o.direction}/${o.severity} targets=${o.targets} ports=${o.ports} probes=${o.probes}${o.tool ? ` tool=${o.tool}` : ''}${learned}${attackText(o.attack)}`;
      } else {
        const rest = Object.entries(o).filter(([k]) => !['time', 'level', 'msg', 'event', 'pid', 'hostname', 'sensor', 'interface'].includes(k));
        if (rest.length > 0) text += ' ' + rest.map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
      }
      this.out.write(text + '\n');
    }
    return true;
  }
}

/** Who logs: without one (tests, tools), the host name and no interface. */
const DEFAULT_SENSOR: SensorIdentity = { name: hostname(), hostname: hostname(), interface: '', version: '' };

/**
 * The sensor's logger. `schema` shapes the JSON lines (log-schema.ts):
 * ISO 8601 time, textual level, sensor name and interface on every line; a
 * terminal's pretty lines are always drawn from the native schema. Lines go
 * to `out` (default: a BoundedLogWriter on stdout): asynchronous and
 * bounded, so a log reader that stops reading costs log lines (counted),
 * never packets.
 */
export function createLogger(
  level: string,
  format: LogFormat,
  sensor: SensorIdentity = DEFAULT_SENSOR,
  schema: LogSchema = 'native',
  out: LineSink = new BoundedLogWriter(1),
): Logger {
  const options = { level, ...schemaOptions(format === 'pretty' ? 'native' : schema, sensor) };
  return pino(options, format === 'pretty' ? new PrettyLines(out) : out);
}

/**
 * Detections as log lines: one when a scan is first detected, one at
 * bounded intervals while it keeps growing, one when it ends. Nothing per
 * packet. Each line carries the offline report's fields plus direction
 * and severity.
 */
export class DetectionLog {
  /** Lines logged, by event: what a SIEM counting the lines would find (sensor_stopped, tests). */
  readonly counts = { scan_started: 0, scan_progress: 0, scan_ended: 0 };
  /** `scan_id` of each open scan: unique across restarts (log-schema.ts timeOrderedId). */
  private readonly scanIds = new WeakMap<Detection, string>();

  constructor(
    private readonly log: Logger,
    private policy: SitePolicy,
  ) {}

  setPolicy(policy: SitePolicy): void {
    this.policy = policy;
  }

  fields(d: Detection): Record<string, unknown> {
    let scanId = this.scanIds.get(d);
    if (scanId === undefined) {
      scanId = timeOrderedId();
      this.scanIds.set(d, scanId);
    }
    return { scan_id: scanId, ...detectionReport(d, this.policy) };
  }

  started(d: Detection, now: number): Record<string, unknown> {
    d.reportedAt = now;
    d.reportedProbes = d.probes;
    const f = this.fields(d);
    this.counts.scan_started++;
    this.log.warn({ event: 'scan_started', ...f }, 'scan detected');
    return f;
  }

  /** Logs scans that grew since their last line, at most once per `interval` seconds each. */
  progress(active: Iterable<Detection>, now: number, interval: number): void {
    for (const d of active) {
      if (d.probes > d.reportedProbes && now - d.reportedAt >= interval) {
        d.reportedAt = now;
        d.reportedProbes = d.probes;
        this.counts.scan_progress++;
        this.log.info({ event: 'scan_progress', ...this.fields(d) }, 'scan continues');
      }
    }
  }

  /**
   * A scan's last line. A scan that turned out to be part of another (a
   * member of a distributed scan found later) ends with `merged_into`, the
   * scan_id of the scan that now carries its probes: a SIEM counting scans
   * counts that one, as the offline report does.
   */
  ended(d: Detection): Record<string, unknown> {
    const f = this.fields(d);
    const into = d.absorbedBy === null ? undefined : this.scanIds.get(d.absorbedBy);
    if (into !== undefined) f.merged_into = into;
    // Taken out at --max-detections for a scan with more evidence; its source may be reported again.
    if (d.evicted) f.evicted = true;
    this.counts.scan_ended++;
    this.log.info({ event: 'scan_ended', ...f }, 'scan ended');
    return f;
  }
}
