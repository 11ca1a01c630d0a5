import { existsSync, readFileSync } from 'node:fs';
import { BLOCK_TIMEOUT_MS, type LiveCapture, LiveCaptureError, startLiveCapture } from '../capture/live-capture.js';
import { registerCaptureMetrics } from '../metrics/capture-metrics.js';
import { CaptureStatsLog } from './live-capture-stats.js';
import { Engine } from '../engine/engine.js';
import { createMetrics } from '../metrics/prometheus.js';
import { parseListen, startMetricsServer } from '../metrics/http-server.js';
import { DetectionLog, createLogger, type LogFormat } from '../report/detection-log.js';
import type { EngineConfig } from '../rules/config.js';
import { type Direction, sitePolicy, type SitePolicy } from '../rules/policy.js';
import { printError, UserError } from './errors.js';

export interface LiveOptions {
  interface: string;
  filter: string;
  listen: string;
  bufferBytes: number;
  snaplen: number;
  homeNet: string[] | undefined;
  allowScanners: string[];
  allowTargets: string[];
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
/**
 * Exit status when the capture is lost while running (the interface went
 * down or was removed): the same as a capture that cannot start, non-zero
 * and not 2 (bad usage), so systemd's Restart=on-failure retries until the
 * interface is back (systemd/scanwatch.service).
 */
export const EXIT_CAPTURE_LOST = 1;

/**
 * Says why a running capture stopped. The socket error libpcap or the poll
 * reports (ENETDOWN for both a downed and a deleted interface) does not
 * tell the two apart; the interface's state in sysfs does (IFF_UP is bit 0
 * of /sys/class/net/IF/flags, Documentation/ABI/testing/sysfs-class-net).
 */
export function explainCaptureLoss(iface: string, detail: string, sysfsRoot = '/sys/class/net'): string {
  if (iface !== 'any') {
    let flags: string | null = null;
    try {
      flags = readFileSync(`${sysfsRoot}/${iface}/flags`, 'utf8').trim();
    } catch {
      if (!existsSync(`${sysfsRoot}/${iface}`)) return `interface ${iface} was removed (${detail})`;
    }
    if (flags !== null && /^0x[0-9a-f]+$/i.test(flags) && (Number.parseInt(flags, 16) & 1) === 0) return `interface ${iface} went down (${detail})`;
  }
  if (/network is down|went down|disappeared|no such device/i.test(detail)) return `interface ${iface} went down or was removed (${detail})`;
  return detail;
}

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
  const log = createLogger(opts.logLevel, opts.logFormat);
  const policy = buildPolicy(opts.homeNet, opts.allowScanners, opts.allowTargets);
  let progressInterval = opts.progressInterval;
  const engine = new Engine(opts.config);
  engine.keepEndedDetections = false;
  engine.useAllowLists(policy.allowScanners, policy.allowTargets);
  const detections = new DetectionLog(log, policy);
  const metrics = createMetrics(engine, { version: opts.version, interface: opts.interface });
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

  // Set once the capture has failed by itself; the promise below stops the sensor.
  let captureFailed: (message: string) => void = () => {};
  try {
    capture = startLiveCapture(
      {
        interface: opts.interface,
        filter: opts.filter,
        bufferBytes: opts.bufferBytes,
        snaplen: opts.snaplen,
        onError: (message) => captureFailed(message),
      },
      engine,
    );
  } catch (err) {
    await server.close();
    if (err instanceof LiveCaptureError) throw new UserError(err.message);
    throw err;
  }
  // Signal handlers go in before sensor_started is written: until a
  // listener exists, SIGTERM's default action kills node outright, and a
  // supervisor may signal as soon as it sees that line.
  let pendingSignal: string | null = null;
  let requestStop = (signal: string): void => {
    pendingSignal ??= signal;
  };
  process.once('SIGTERM', () => requestStop('SIGTERM'));
  process.once('SIGINT', () => requestStop('SIGINT'));

  log.info(
    {
      event: 'sensor_started',
      interface: opts.interface,
      link_type: capture.linkType,
      filter: opts.filter || null,
      buffer_bytes: opts.bufferBytes,
      snaplen: capture.snaplen,
      nanosecond_timestamps: capture.nanosecond,
      listen: `${server.host}:${server.port}`,
      home_net: policy.homeNet.text,
      version: opts.version,
    },
    'capturing',
  );
  if (capture.warning !== null) log.warn({ event: 'capture_warning', interface: opts.interface, warning: capture.warning }, capture.warning);
  const live = capture;
  registerCaptureMetrics(metrics.registry, opts.interface, () => live.counters());

  const captureStats = new CaptureStatsLog(log, live, () => engine.packets);

  // Packets carry the kernel's timestamps (CLOCK_REALTIME). While none
  // arrives, expiry, scan ends and progress lines run on the same clock,
  // held back by the ring's block timeout so that it never runs ahead of a
  // packet still waiting in the ring.
  const tick = setInterval(() => {
    const now = (Date.now() - BLOCK_TIMEOUT_MS) / 1000;
    engine.tick(now, 16384);
    detections.progress(engine.active, now, progressInterval);
    captureStats.maybeLog(progressInterval);
  }, TICK_MS);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string, code = 0): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(tick);
      const hardExit = setTimeout(() => resolve(code), STOP_DEADLINE_MS);
      hardExit.unref();
      live.stop();
      log.info({ event: 'sensor_stopping', signal }, 'stopping');
      // Every open scan gets its final line before we go.
      engine.finish();
      log.info(
        {
          event: 'sensor_stopped',
          ...captureStats.totals(),
          bytes: engine.bytes,
          detections: engine.detections.length,
          decode_errors: engine.decoder.errors.reduce((a, b) => a + b, 0),
          exit_code: code,
        },
        'stopped',
      );
      // Do not wait for idle keep-alive connections (a scraper's) to close:
      // the final lines are written (synchronously), so exit now.
      void server.close();
      clearTimeout(hardExit);
      resolve(code);
    };
    captureFailed = (detail: string): void => {
      // The socket errors while the kernel is still tearing the interface
      // down; a moment later sysfs tells a deleted interface from a downed one.
      setTimeout(() => reportLoss(detail), 250);
    };
    const reportLoss = (detail: string): void => {
      if (stopping) return;
      const message = explainCaptureLoss(opts.interface, detail);
      // One clear line in the log and one on stderr, then the final lines of
      // every open scan; the non-zero exit lets systemd restart the sensor.
      log.error({ event: 'capture_lost', interface: opts.interface, error: message, detail }, `capture stopped: ${message}`);
      printError(`capture stopped: ${message}`);
      stop('capture_lost', EXIT_CAPTURE_LOST);
    };
    requestStop = stop;
    if (pendingSignal !== null) stop(pendingSignal);
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
