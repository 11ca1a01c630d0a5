import { readFileSync } from 'node:fs';
import { type LiveCapture, LiveCaptureError, startLiveCapture } from '../capture/live-capture.js';
import { Engine } from '../engine/engine.js';
import { createMetrics } from '../metrics/prometheus.js';
import { parseListen, startMetricsServer } from '../metrics/http-server.js';
import { DetectionLog, createLogger, type LogFormat } from '../report/detection-log.js';
import { BoundedLogWriter } from '../report/log-writer.js';
import { registerLogMetrics } from '../metrics/log-metrics.js';
import type { EngineConfig } from '../rules/config.js';
import { type Direction, sitePolicy, type SitePolicy } from '../rules/policy.js';
import { UserError } from './errors.js';

export interface LiveOptions {
  interface: string;
  filter: string;
  listen: string;
  bufferBytes: number;
  homeNet: string[] | undefined;
  allowScanners: string[];
  allowTargets: string[];
  /** Decoys (--dark-net, --honey-port): one probe to them is a detection. */
  darkNet?: string[];
  honeyPorts?: string[];
  logLevel: string;
  logFormat: LogFormat;
  progressInterval: number;
  configFile: string | undefined;
  config: EngineConfig;
  version: string;
}

/** How long SIGTERM may take: systemd and operators expect a prompt, clean exit. */
const STOP_DEADLINE_MS = 1800;
const TICK_MS = 1000;

/** The parts of a config file that SIGHUP may change without a restart. */
interface Reloadable {
  homeNet?: string[];
  allowScanners?: string[];
  allowTargets?: string[];
  logLevel?: string;
  progressInterval?: number;
  window?: number;
}

const asList = (v: unknown): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v).split(/[\s,]+/).filter((s) => s !== '');

/** Reads the JSON config file's reloadable keys (the same names as the flags). */
export function readReloadable(path: string): Reloadable {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new UserError(`cannot read config ${path}: ${(err as Error).message.split('\n')[0]}`);
  }
  const num = (v: unknown): number | undefined => (v === undefined ? undefined : Number(v));
  return {
    homeNet: asList(raw['home-net']),
    allowScanners: asList(raw['allow-scanner']),
    allowTargets: asList(raw['allow-target']),
    logLevel: raw['log-level'] === undefined ? undefined : String(raw['log-level']),
    progressInterval: num(raw['progress-interval']),
    window: num(raw['window']),
  };
}

function buildPolicy(homeNet: string[] | undefined, scanners: string[], targets: string[]): SitePolicy {
  try {
    return sitePolicy(homeNet, scanners, targets);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}

/**
 * The sensor daemon: capture -> the same engine as `analyze` -> detection
 * log lines and Prometheus metrics. Resolves with the exit code when it stops.
 */
export async function runLive(opts: LiveOptions): Promise<number> {
  // Logs never block the packet path: a bounded queue, written asynchronously (log-writer.ts).
  const logOut = new BoundedLogWriter(1);
  const log = createLogger(opts.logLevel, opts.logFormat, logOut);
  const policy = buildPolicy(opts.homeNet, opts.allowScanners, opts.allowTargets);
  let progressInterval = opts.progressInterval;
  const engine = new Engine(opts.config);
  engine.keepEndedDetections = false;
  engine.useAllowLists(policy.allowScanners, policy.allowTargets);
  try {
    const decoys = sitePolicy(undefined, [], [], opts.darkNet, opts.honeyPorts);
    engine.useDeception(decoys.darkNet, decoys.honeyPorts);
  } catch (err) {
    throw new UserError((err as Error).message);
  }
  const detections = new DetectionLog(log, policy);
  const metrics = createMetrics(engine, { version: opts.version, interface: opts.interface });
  registerLogMetrics(metrics.registry, logOut);
  let capture: LiveCapture | null = null;

  engine.onDetection = (event, d) => {
    // The log line already worked out the direction; the metric takes the same one.
    const line = event === 'start' ? detections.started(d, engine.now) : detections.ended(d);
    metrics.onDetection(event, d, line.direction as Direction);
  };

  const { host, port } = (() => {
    try {
      return parseListen(opts.listen);
    } catch (err) {
      throw new UserError((err as Error).message);
    }
  })();
  let server: Awaited<ReturnType<typeof startMetricsServer>>;
  try {
    server = await startMetricsServer({
      host,
      port,
      registry: metrics.registry,
      health: () => ({ ok: capture !== null, interface: opts.interface, packets: engine.packets, scans_active: engine.active.size }),
    });
  } catch (err) {
    throw new UserError((err as Error).message);
  }

  try {
    capture = startLiveCapture({ interface: opts.interface, filter: opts.filter, bufferBytes: opts.bufferBytes }, engine);
  } catch (err) {
    await server.close();
    if (err instanceof LiveCaptureError) throw new UserError(err.message);
    throw err;
  }
  log.info(
    {
      event: 'sensor_started',
      interface: opts.interface,
      link_type: capture.linkType,
      filter: opts.filter || null,
      buffer_bytes: opts.bufferBytes,
      listen: `${server.host}:${server.port}`,
      home_net: policy.homeNet.text,
      version: opts.version,
    },
    'capturing',
  );

  // Live packet time is the time of delivery, so expiry, scan ends and
  // progress lines run on that clock too, also while no packet arrives.
  const tick = setInterval(() => {
    // The same clock the capture stamps packets with (live-capture.ts).
    const now = (performance.timeOrigin + performance.now()) / 1000;
    engine.tick(now, 16384);
    detections.progress(engine.active, now, progressInterval);
  }, TICK_MS);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(tick);
      const hardExit = setTimeout(() => resolve(0), STOP_DEADLINE_MS);
      hardExit.unref();
      capture?.stop();
      log.info({ event: 'sensor_stopping', signal }, 'stopping');
      // Every open scan gets its final line before we go.
      engine.finish();
      log.info(
        {
          event: 'sensor_stopped',
          packets: engine.packets,
          bytes: engine.bytes,
          detections: engine.detections.length,
          decode_errors: engine.decoder.errors.reduce((a, b) => a + b, 0),
          log_lines_dropped: logOut.linesDropped,
        },
        'stopped',
      );
      // Do not wait for idle keep-alive connections (a scraper's) to close.
      // The final lines get most of the stop deadline to drain; a reader
      // that takes nothing does not keep the sensor from stopping.
      void server.close();
      void logOut.drain(STOP_DEADLINE_MS - 300).then(() => {
        clearTimeout(hardExit);
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      if (opts.configFile === undefined) {
        log.warn({ event: 'config_reload_skipped' }, 'SIGHUP: no --config file to reload');
        return;
      }
      try {
        const r = readReloadable(opts.configFile);
        const next = buildPolicy(r.homeNet ?? opts.homeNet, r.allowScanners ?? opts.allowScanners, r.allowTargets ?? opts.allowTargets);
        engine.useAllowLists(next.allowScanners, next.allowTargets);
        detections.setPolicy(next);
        if (r.logLevel !== undefined) log.level = r.logLevel;
        if (r.progressInterval !== undefined && r.progressInterval > 0) progressInterval = r.progressInterval;
        if (r.window !== undefined && r.window > 0) engine.config.window = r.window;
        log.info(
          { event: 'config_reloaded', file: opts.configFile, home_net: next.homeNet.text, allow_scanner: next.allowScanners.text, allow_target: next.allowTargets.text },
          'configuration reloaded; state kept',
        );
      } catch (err) {
        log.error({ event: 'config_reload_failed', file: opts.configFile, error: (err as Error).message }, 'SIGHUP: kept the old configuration');
      }
    });
  });
}
