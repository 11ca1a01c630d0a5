import { pino, type Logger } from 'pino';
import type { Detection } from '../rules/detection.js';
import { type Direction, directionOf, type SitePolicy } from '../rules/policy.js';
import { detectionConfidence } from '../rules/evidence.js';
import { formatIpv4 } from '../decode/address.js';
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
 * Lines a flood of weak scans may take: scan_started lines per second for
 * scans of low or medium confidence (rules/evidence.ts), as a token bucket
 * that holds a second's worth. Suricata's rate_filter and Snort's
 * detection_filter answer the same alert storm; here strong scans
 * (verified, answered, overwhelming, pattern rules, decoy hits) are never
 * held back, so a flood of forged scans cannot push a real scanner's line
 * out, and the lines it does cost are bounded.
 */
export const WEAK_SCAN_LINES_PER_SECOND = 100;

/**
 * Detections as log lines: one when a scan is first detected, one at
 * bounded intervals while it keeps growing, one when it ends. Nothing per
 * packet. Each line carries the offline report's fields plus direction
 * and severity.
 *
 * Beyond WEAK_SCAN_LINES_PER_SECOND, a weak scan gets no lines of its own:
 * it is counted in a `scans_summarized` line (once per second at most: how
 * many, of which types, a sample of sources), and its start line is written
 * as soon as it becomes strong. Every scan is still counted in /metrics.
 */
export class DetectionLog {
  /** Lines logged, by event: what a SIEM counting the lines would find (sensor_stopped, tests). */
  readonly counts = { scan_started: 0, scan_progress: 0, scan_relabelled: 0, scan_ended: 0, scans_summarized: 0 };
  /** `scan_id` of each open scan: unique across restarts (log-schema.ts timeOrderedId). */
  private readonly scanIds = new WeakMap<Detection, string>();
  /** Weak scans summarized instead of logged, still open. */
  private readonly summarized = new Set<Detection>();
  /** The summary being gathered for the next scans_summarized line. */
  private summary = { scans: 0, types: new Map<string, number>(), sources: [] as string[] };
  private tokens = WEAK_SCAN_LINES_PER_SECOND;
  private refilledAt = Number.NaN;

  constructor(
    private readonly log: Logger,
    private policy: SitePolicy,
    private readonly weakLinesPerSecond = WEAK_SCAN_LINES_PER_SECOND,
  ) {
    this.tokens = weakLinesPerSecond;
  }

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

  /** The direction of a scan without its line (the metric of a summarized scan). */
  direction(d: Detection): Direction {
    const st = d.live;
    const target = st !== null && st.sampleV4Count > 0 ? formatIpv4(st.sampleV4[0]!) : st !== null ? st.sampleV6[0] : d.figures().targetSamples[0];
    return directionOf(this.policy.homeNet, d.src, target);
  }

  /** The scan_started line, or null when a flood of weak scans has used the budget (the scan is summarized). */
  started(d: Detection, now: number): Record<string, unknown> | null {
    if (detectionConfidence(d) !== 'high' && !this.takeToken(now)) {
      this.summarized.add(d);
      this.summary.scans++;
      this.summary.types.set(d.type, (this.summary.types.get(d.type) ?? 0) + 1);
      if (this.summary.sources.length < SUMMARY_SOURCES) this.summary.sources.push(d.src);
      return null;
    }
    return this.startLine(d, now, false);
  }

  private startLine(d: Detection, now: number, late: boolean): Record<string, unknown> {
    d.reportedAt = now;
    d.reportedProbes = d.probes;
    const f = this.fields(d);
    if (late) f.summarized_first = true;
    this.counts.scan_started++;
    this.log.warn({ event: 'scan_started', ...f }, 'scan detected');
    return f;
  }

  private takeToken(now: number): boolean {
    if (this.refilledAt !== this.refilledAt) this.refilledAt = now;
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.weakLinesPerSecond, this.tokens + elapsed * this.weakLinesPerSecond);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /**
   * Logs scans that grew since their last line, at most once per `interval`
   * seconds each; writes the start line of a summarized scan that has become
   * strong; and the scans_summarized line of the last second's flood.
   */
  progress(active: Iterable<Detection>, now: number, interval: number): void {
    this.flushSummary();
    for (const d of active) {
      if (this.summarized.has(d)) {
        if (detectionConfidence(d) !== 'high') continue;
        this.summarized.delete(d);
        this.startLine(d, now, true);
        continue;
      }
      if (d.probes > d.reportedProbes && now - d.reportedAt >= interval) {
        d.reportedAt = now;
        d.reportedProbes = d.probes;
        this.counts.scan_progress++;
        this.log.info({ event: 'scan_progress', ...this.fields(d) }, 'scan continues');
      }
    }
  }

  /** Writes the scans_summarized line of the scans summarized since the last one, if any. */
  flushSummary(): void {
    if (this.summary.scans === 0) return;
    const types = Object.fromEntries(this.summary.types);
    this.counts.scans_summarized += this.summary.scans;
    this.log.warn(
      { event: 'scans_summarized', scans: this.summary.scans, types, sources_sample: this.summary.sources, lines_per_second: this.weakLinesPerSecond },
      'a flood of weak scans: counted, not logged one by one',
    );
    this.summary = { scans: 0, types: new Map(), sources: [] };
  }

  /**
   * A scan renamed on better evidence (tcp-syn and tcp-connect, by what the
   * source did after SYN-ACKs): its type was fixed when its first line was
   * written, and changes only by this line, which names the old type. Null
   * for a summarized scan (it had no line to correct).
   */
  relabelled(d: Detection): Record<string, unknown> | null {
    if (this.summarized.has(d)) return null;
    const f = this.fields(d);
    this.counts.scan_relabelled++;
    this.log.warn({ event: 'scan_relabelled', ...f }, 'scan renamed on better evidence');
    return f;
  }

  /**
   * A scan's last line, or null for a summarized scan (it had none). A
   * scan that turned out to be part of another (a member of a distributed
   * scan found later) ends with `merged_into`, the scan_id of the scan that
   * now carries its probes: a SIEM counting scans counts that one, as the
   * offline report does. `extra`: fields added to the line (live --extract's
   * file).
   */
  ended(d: Detection, extra: Record<string, unknown> | null = null): Record<string, unknown> | null {
    if (this.summarized.delete(d)) return null;
    const f = this.fields(d);
    if (extra !== null) Object.assign(f, extra);
    const into = d.absorbedBy === null ? undefined : this.scanIds.get(d.absorbedBy);
    if (into !== undefined) f.merged_into = into;
    // Taken out at --max-detections for a scan with more evidence; its source may be reported again.
    if (d.evicted) f.evicted = true;
    this.counts.scan_ended++;
    this.log.info({ event: 'scan_ended', ...f }, 'scan ended');
    return f;
  }
}

/** Sources a scans_summarized line names, at most. */
const SUMMARY_SOURCES = 10;
