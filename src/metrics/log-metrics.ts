/**
 * Metrics of the sensor's own log output: lines dropped because the reader
 * of stdout (journald, a pipe) did not keep up, and lines waiting. Read at
 * scrape time from the BoundedLogWriter's counters.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface LogCounters {
  readonly linesDropped: number;
  readonly linesWritten: number;
  readonly pending: number;
}

export function registerLogMetrics(registry: Registry, log: LogCounters): void {
  let shownDropped = 0;
  let shownWritten = 0;
  new Counter({
    name: 'scanwatch_log_lines_dropped_total',
    help: 'Log lines (detections, lifecycle) dropped: stdout did not take them fast enough, or a write failed (a full disk, a closed reader); the packet path never waits for the log',
    registers: [registry],
    collect() {
      this.inc(log.linesDropped - shownDropped);
      shownDropped = log.linesDropped;
    },
  });
  new Counter({
    name: 'scanwatch_log_lines_written_total',
    help: 'Log lines written to stdout',
    registers: [registry],
    collect() {
      this.inc(log.linesWritten - shownWritten);
      shownWritten = log.linesWritten;
    },
  });
  new Gauge({
    name: 'scanwatch_log_lines_pending',
    help: 'Log lines queued for stdout (bounded)',
    registers: [registry],
    collect() {
      this.set(log.pending);
    },
  });
}
