import { existsSync, readFileSync } from 'node:fs';
import { BLOCK_TIMEOUT_MS, type LiveCapture, LiveCaptureError, startLiveCapture } from '../capture/live-capture.js';
import { registerCaptureLag, registerCaptureMetrics, registerFailedFrames } from '../metrics/capture-metrics.js';
import { RateLimitedTeller } from './rate-limited-teller.js';
import { CaptureStatsLog, captureUsage } from './live-capture-stats.js';
import type { Engine } from '../engine/engine.js';
import { createMetrics } from '../metrics/prometheus.js';
import { configuredLimits, parseListen, startMetricsServer } from '../metrics/http-server.js';
import { DetectionLog, createLogger, type LogFormat } from '../report/detection-log.js';
import { BoundedLogWriter } from '../report/log-writer.js';
import { registerLogMetrics } from '../metrics/log-metrics.js';
import { hostname } from 'node:os';
import type { Direction } from '../rules/policy.js';
import { EXIT_USAGE, printError, UserError } from './errors.js';
import type { LiveSettings } from './config-schema.js';
import { buildEngine, applyPolicy } from './engine-setup.js';
import { type LiveConfig, liveConfig, reloadConfig } from './reload.js';
import { CommandHook } from '../response/command-hook.js';
import { Webhook } from '../response/webhook.js';
import { AddressGuard } from '../response/address-class.js';
import { ResponseGate } from '../response/response-gate.js';
import type { Detection } from '../rules/detection.js';
import { LiveExtract } from '../report/live-extract.js';
import type { PacketSink } from '../capture/types.js';
import { mkdirSync, accessSync, constants as fsConstants } from 'node:fs';
import { registerHookMetrics } from '../metrics/hook-metrics.js';

export interface LiveOptions {
  /** The validated settings in force at start. */
  settings: LiveSettings;
  /** What the command line and SCANWATCH_* gave (SIGHUP lays the config file over it again). */
  given: Record<string, unknown>;
  version: string;
}

/** How often the hooks' list of the host's own addresses is read again (an address added by DHCP later). */
const OWN_ADDRESSES_REFRESH_S = 60;
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

/**
 * The sensor daemon: capture -> the same engine as `analyze` -> detection
 * log lines and Prometheus metrics. Resolves with the exit code when it stops.
 */
export async function runLive(opts: LiveOptions): Promise<number> {
  const s = opts.settings;
  const iface = s.interface!;
  const sensorName = s['sensor-name'] ?? hostname();
  // The whole configuration is built before anything starts; a reload builds the next one the same way (reload.ts).
  let current: LiveConfig = liveConfig(s);
  const policy = current.policy;
  // Logs never block the packet path: a bounded queue, written asynchronously (log-writer.ts).
  const logOut = new BoundedLogWriter(1);
  const logFormat: LogFormat = s['log-format'] === 'auto' ? (process.stdout.isTTY ? 'pretty' : 'json') : s['log-format'];
  const log = createLogger(s['log-level'], logFormat, { name: sensorName, hostname: hostname(), interface: iface, version: opts.version }, s['log-schema'], logOut);
  let progressInterval = s['progress-interval'];
  const engine = buildEngine(current.plan.config, policy);
  engine.keepEndedDetections = false;
  const detections = new DetectionLog(log, policy);
  const metrics = createMetrics(engine, { version: opts.version, interface: iface });
  registerLogMetrics(metrics.registry, logOut);
  let capture: LiveCapture | null = null;

  // Response hooks: each new scan's event, off the packet path (bounded queues, counted).
  const extract = s.extract === undefined ? null : openLiveExtract(s.extract, s['extract-max-files'], s['extract-max-size'], s['extract-buffer']);
  const hookFailed = (message: string): void => log.warn({ event: 'hook_failed', error: message }, message);
  let command: CommandHook | null = null;
  try {
    command =
      s['on-detection'] === undefined
        ? null
        : new CommandHook({ command: s['on-detection'], timeoutMs: s['hook-timeout'] * 1000, concurrency: s['hook-concurrency'], rate: s['hook-rate'], onFailure: hookFailed });
  } catch (err) {
    throw new UserError((err as Error).message, EXIT_USAGE);
  }
  const webhook = s.webhook === undefined ? null : new Webhook({ url: s.webhook, queueLimit: s['webhook-queue'], onFailure: hookFailed });
  // Only a verified source outside the address classes no response may touch reaches a hook (response-gate.ts).
  const hookAddresses = new AddressGuard({ homeNet: policy.homeNet, actOnHomeNet: s['hook-home-net'] });
  const gate =
    command === null && webhook === null
      ? null
      : new ResponseGate<Detection>({
          hooks: [command, webhook].filter((h) => h !== null),
          addresses: hookAddresses,
          actOnUnverified: s['hook-unverified'],
          sensor: sensorName,
          interface: iface,
          current: (d) => (d.ended ? null : detections.fields(d)),
          logWithheld: (fields, message) => log.info(fields, message),
        });
  registerHookMetrics(metrics.registry, command, webhook, gate);

  engine.onDetection = (event, d) => {
    if (event === 'relabel') {
      detections.relabelled(d);
      return;
    }
    // The log line already worked out the direction; the metric takes the same
    // one. A weak scan summarized in a flood has no line: it is still counted.
    const line = event === 'start' ? detections.started(d, engine.now) : detections.ended(d, extract === null || d.absorbedBy !== null ? null : extractFields(extract, d));
    metrics.onDetection(event, d, line === null ? detections.direction(d) : (line.direction as Direction));
    if (gate !== null) {
      // A summarized scan is weak, so never verified: the gate withholds it
      // (counted) and watches it like any other unverified scan.
      const seen = line ?? { src: d.src, type: d.type, source_verified: false };
      if (event === 'start') gate.started(d, seen);
      else gate.ended(d, seen);
    }
  };

  const { host, port } = (() => {
    try {
      return parseListen(s.listen);
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
      health: () => ({ ok: capture !== null, interface: iface, packets: engine.packets, scans_active: engine.active.size }),
      limits: configuredLimits({
        maxConnections: s['metrics-connections'],
        perClientConnections: s['metrics-client-connections'],
        perClientRatePerSecond: s['metrics-client-rate'],
      }),
    });
  } catch (err) {
    throw new UserError((err as Error).message);
  }

  // A frame the rules throw on is skipped and counted (a bug, never meant to happen); said at most once a minute.
  const packetErrors = new RateLimitedTeller(60_000, (message, suppressed) =>
    log.error({ event: 'internal_error', error: message, suppressed_since_last: suppressed }, 'a frame made the rules throw; it was skipped'),
  );
  // Set once the capture has failed by itself; the promise below stops the sensor.
  let captureFailed: (message: string) => void = () => {};
  try {
    capture = startLiveCapture(
      {
        interface: iface,
        filter: s.filter,
        bufferBytes: s['buffer-size'],
        snaplen: s.snaplen,
        onError: (message) => captureFailed(message),
        onPacketError: (err) => packetErrors.tell(err),
      },
      extract === null ? engine : framesKeptFor(extract, engine),
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
      interface: iface,
      link_type: capture.linkType,
      filter: s.filter || null,
      buffer_bytes: s['buffer-size'],
      snaplen: capture.snaplen,
      nanosecond_timestamps: capture.nanosecond,
      listen: `${server.host}:${server.port}`,
      home_net: policy.homeNet.text,
      version: opts.version,
    },
    'capturing',
  );
  if (capture.warning !== null) log.warn({ event: 'capture_warning', interface: iface, warning: capture.warning }, capture.warning);
  const live = capture;
  registerCaptureMetrics(metrics.registry, iface, () => live.counters());
  registerCaptureLag(metrics.registry, iface, () => live.takeMaxLag());
  registerFailedFrames(metrics.registry, () => live.failedFrames);

  const captureStats = new CaptureStatsLog(log, live, () => engine.packets);

  // Packets carry the kernel's timestamps (CLOCK_REALTIME). While none
  // arrives, expiry, scan ends and progress lines run on the same clock,
  // held back by the ring's block timeout so that it never runs ahead of a
  // packet still waiting in the ring.
  let ticks = 0;
  const tick = setInterval(() => {
    const now = (Date.now() - BLOCK_TIMEOUT_MS) / 1000;
    engine.tick(now);
    detections.progress(engine.active, now, progressInterval);
    captureStats.maybeLog(progressInterval);
    if (gate !== null) {
      gate.recheck();
      if (++ticks % OWN_ADDRESSES_REFRESH_S === 0) hookAddresses.refresh();
    }
  }, TICK_MS);

  return await new Promise<number>((resolve) => {
    let stopping = false;
    let hardExit: NodeJS.Timeout | undefined;
    const stop = (signal: string, code = 0): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(tick);
      hardExit = setTimeout(() => resolve(code), STOP_DEADLINE_MS);
      hardExit.unref();
      log.info({ event: 'sensor_stopping', signal }, 'stopping');
      // Packets that arrived before the signal may sit in a ring block the
      // kernel hands over only at the block timeout: wait for it, so the
      // final lines count them (a lost capture has nothing more to give).
      setTimeout(() => finishStop(code), code === 0 ? BLOCK_TIMEOUT_MS + 50 : 0);
    };
    const finishStop = (code: number): void => {
      live.stop();
      // Hooks stop first: waiting events are dropped (counted) and running programs killed with their process groups.
      gate?.close();
      command?.close();
      webhook?.close();
      // Every open scan gets its final line before we go.
      engine.finish();
      detections.flushSummary();
      // The line that says what was lost is never itself lost to a full log queue.
      logOut.lastLines();
      log.info(
        {
          event: 'sensor_stopped',
          ...captureStats.totals(),
          capture_cpu: captureUsage(live),
          bytes: engine.bytes,
          // What the lines logged add up to (a SIEM counting them finds the same).
          detections: detections.counts.scan_started,
          scans_started: detections.counts.scan_started,
          scans_ended: detections.counts.scan_ended,
          scans_summarized: detections.counts.scans_summarized,
          detections_dropped: engine.detectionsDropped,
          ...(command !== null ? { hook_command: { ...command.counters, queue_drops: command.queueDrops } } : {}),
          ...(webhook !== null ? { hook_webhook: { ...webhook.counters, queue_drops: webhook.queueDrops } } : {}),
          ...(gate !== null ? { hook_withheld: gate.counters.withheld, hook_verified_later: gate.counters.verifiedLater, hook_watch_evicted: gate.counters.watchEvicted } : {}),
          decode_errors: engine.decoder.errors.reduce((a, b) => a + b, 0),
          log_lines_dropped: logOut.linesDropped,
          frames_failed: live.failedFrames,
          ...(extract !== null ? { extract: { files_written: extract.written, files_removed: extract.removed, files_failed: extract.failed, files_skipped: extract.skipped, packets_aged_out: extract.agedOut, frames_overwritten: extract.ring.overwritten } } : {}),
          exit_code: code,
        },
        'stopped',
      );
      // Do not wait for idle keep-alive connections (a scraper's) to close.
      // The final lines get most of the stop deadline to drain; a reader
      // that takes nothing does not keep the sensor from stopping.
      void server.close();
      void logOut.drain(STOP_DEADLINE_MS - 300).then(() => {
        clearTimeout(hardExit);
        resolve(code);
      });
    };
    captureFailed = (detail: string): void => {
      // The socket errors while the kernel is still tearing the interface
      // down; a moment later sysfs tells a deleted interface from a downed one.
      setTimeout(() => reportLoss(detail), 250);
    };
    const reportLoss = (detail: string): void => {
      if (stopping) return;
      const message = explainCaptureLoss(iface, detail);
      // One clear line in the log and one on stderr, then the final lines of
      // every open scan; the non-zero exit lets systemd restart the sensor.
      log.error({ event: 'capture_lost', interface: iface, error: message, detail }, `capture stopped: ${message}`);
      printError(`capture stopped: ${message}`);
      stop('capture_lost', EXIT_CAPTURE_LOST);
    };
    requestStop = stop;
    if (pendingSignal !== null) stop(pendingSignal);
    // What holds a reloadable setting: each gets the new value, or none does (reload.ts).
    const targets = {
      reconfigure: (config: LiveConfig['plan']['config']) => engine.reconfigure(config),
      setPolicy: (p: LiveConfig['policy']) => {
        applyPolicy(engine, p);
        detections.setPolicy(p);
        hookAddresses.setHomeNet(p.homeNet);
        hookAddresses.refresh();
      },
      setLogLevel: (level: string) => {
        log.level = level;
      },
      setProgressInterval: (seconds: number) => {
        progressInterval = seconds;
      },
    };
    const configFile = s.config;
    process.on('SIGHUP', () => {
      if (configFile === undefined) {
        log.warn({ event: 'config_reload_skipped' }, 'SIGHUP: no --config file to reload');
        return;
      }
      try {
        current = reloadConfig(targets, current, opts.given, configFile);
        const next = current.settings;
        log.info(
          {
            event: 'config_reloaded',
            file: configFile,
            home_net: current.policy.homeNet.text,
            allow_scanner: current.policy.allowScanners.text,
            allow_target: current.policy.allowTargets.text,
            dark_net: current.policy.darkNet.text,
            log_level: next['log-level'],
            window: next.window,
            sensitivity: next.sensitivity,
            thresholds: next.thresholds,
            progress_interval: next['progress-interval'],
          },
          'configuration reloaded; state kept',
        );
      } catch (err) {
        const why = (err as Error).message;
        log.error({ event: 'config_reload_failed', file: configFile, error: why }, `SIGHUP: kept the old configuration: ${why}`);
      }
    });
  });
}

/** live --extract DIR: the directory made and checked at start (a usage error, exit 2, when it cannot be written). */
function openLiveExtract(dir: string, maxFiles: number, maxBytes: number, ringBytes: number): LiveExtract {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
  } catch (err) {
    throw new UserError(`--extract ${dir}: ${(err as Error).message.replace(/^E[A-Z]+: /, '').replace(/, (mkdir|access)\b.*$/, '')}`, 2);
  }
  return new LiveExtract(dir, { maxFiles, maxBytes, ringBytes });
}

/** The sink live capture feeds: each frame kept in the extract ring under the number the engine gives it, then the engine. */
function framesKeptFor(extract: LiveExtract, engine: Engine): PacketSink {
  const ring = extract.ring;
  return {
    onPacket(linkType, data, offset, capLen, wireLen, tsSec, tsNsec) {
      ring.add(engine.packets, linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
      engine.onPacket(linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
    },
    onBadTimestamp(wireLen) {
      // The engine numbers this frame too (as analyze does): nothing to keep of it.
      engine.onBadTimestamp(wireLen);
    },
  };
}

/** What the scan_ended line says of the scan's extract file. */
function extractFields(extract: LiveExtract, d: Detection): Record<string, unknown> {
  const r = extract.scanEnded(d);
  return { extract_file: r.file, extract_packets: r.packets, extract_packets_aged_out: r.agedOut, ...(r.failure !== null && r.file === null ? { extract_failure: r.failure } : {}) };
}
