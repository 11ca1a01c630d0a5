/**
 * Prometheus metrics for the live sensor.
 *
 * Nothing here runs per packet: every figure the engine keeps (packet,
 * byte, segment, probe and error counters, table sizes) is read when
 * Prometheus scrapes, in the metrics' collect() hooks. Counters whose value
 * lives in the engine are brought up to date by adding what the engine
 * counted since the previous scrape, so a scrape never double counts and
 * the series stay ordinary prom-client counters.
 *
 * No label ever carries an IP address: sources and targets go to the
 * detection log, not to Prometheus (each address would be a new series).
 */
import fs from 'node:fs';
import path from 'node:path';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { ENCAPSULATION_NAMES } from '../decode/encapsulation.js';
import { DECODE_ERROR_NAMES } from '../decode/errors.js';
import { FRAGMENT_STAT_NAMES } from '../decode/reassembly.js';
import { UNJUDGED_REASONS, unjudgedCounts } from '../decode/unjudged.js';
import { type Engine, SEGMENT_KINDS } from '../engine/engine.js';
import type { Detection } from '../rules/detection.js';
import { isSweep, type Pattern, TECHNIQUE_NAMES } from '../rules/techniques.js';

export type DetectionDirection = 'inbound' | 'outbound' | 'internal' | 'external';

export const DETECTION_DIRECTIONS: readonly DetectionDirection[] = ['inbound', 'outbound', 'internal', 'external'];

/** Where Linux exposes interface statistics. */
export const DEFAULT_SYSFS_ROOT = '/sys/class/net';

/** Kernel counters of frames the interface received but could not hand to us (Documentation/ABI/testing/sysfs-class-net-statistics). */
export const INTERFACE_DROP_COUNTERS = ['rx_dropped', 'rx_missed_errors', 'rx_fifo_errors'] as const;

const PATTERNS: readonly Pattern[] = ['vertical', 'horizontal', 'block'];

export interface MetricsOptions {
  /** The sensor's version, for scanwatch_build_info. */
  version: string;
  /** The capture interface; its kernel drop counters are exported when set. */
  interface?: string;
  /** Root of the interface statistics tree (default /sys/class/net); tests point it at a temporary copy. */
  sysfsRoot?: string;
}

export interface SensorMetrics {
  registry: Registry;
  /** Pass the engine's detection events here (with the scan's direction); 'start' counts a scan. */
  onDetection(event: 'start' | 'end', detection: Detection, direction: DetectionDirection): void;
}

/**
 * Brings a prom-client counter to the value of a counter kept elsewhere by
 * adding the difference since the last sync. A value lower than the last
 * one (the source was reset: an interface re-created, a counter wrapped)
 * restarts the series at the new value, which Prometheus reads as a
 * counter reset.
 */
class CounterSync {
  private readonly last = new Map<string, number>();

  /** `id` names the series (metric and label values) in this bookkeeping. */
  sync(id: string, counter: Counter<string>, labels: Record<string, string>, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const before = this.last.get(id) ?? 0;
    if (value >= before) {
      counter.inc(labels, value - before);
    } else {
      if (Object.keys(labels).length === 0) counter.reset();
      else counter.remove(labels);
      counter.inc(labels, value);
    }
    this.last.set(id, value);
  }
}

/** Linux interface names: 1 to 15 bytes, no slash, not "." or ".." (IFNAMSIZ, dev_valid_name()). */
function checkInterfaceName(name: string): void {
  if (name.length === 0 || name.length > 15 || name.includes('/') || /\s/.test(name) || name === '.' || name === '..') {
    throw new Error(`invalid interface name ${JSON.stringify(name)} (expected a Linux interface name such as eth0)`);
  }
}

/** A sysfs statistics file as a number, or null when it is missing or unreadable. */
function readStatistic(file: string): number | null {
  let text: string;
  try {
    // Synchronous on purpose: these files are a few bytes, and a read that
    // cannot interleave with another scrape keeps the delta bookkeeping simple.
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const t = text.trim();
  if (!/^\d+$/.test(t)) return null;
  return Number(t);
}

/** Interval of the event-loop delay sampling timer (see createMetrics). */
export const EVENT_LOOP_SAMPLE_MS = 100;

export function createMetrics(engine: Engine, opts: MetricsOptions): SensorMetrics {
  if (opts.interface !== undefined) checkInterfaceName(opts.interface);
  const registry = new Registry();
  // prom-client samples the event loop's delay (nodejs_eventloop_lag_*)
  // with a libuv timer at eventLoopMonitoringPrecision ms (perf_hooks
  // monitorEventLoopDelay); its default, 10 ms, wakes the sensor 100 times a
  // second whether packets arrive or not: 1.6% of a core idle, and about
  // 0.2 s of CPU per million packets at 50,000 packets/s (BENCHMARKS.md,
  // "Live sensor"). 10 samples a second still show any stall that matters
  // to a capture (the ring's block timeout is 100 ms).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  const synced = new CounterSync();
  const registers = [registry];

  new Counter({
    name: 'scanwatch_packets_total',
    help: 'Frames captured or read by the sensor, decodable or not.',
    registers,
    collect() {
      synced.sync('scanwatch_packets_total', this, {}, engine.packets);
    },
  });

  new Counter({
    name: 'scanwatch_bytes_total',
    help: 'Bytes of the frames captured or read by the sensor, as long as they were on the wire.',
    registers,
    collect() {
      synced.sync('scanwatch_bytes_total', this, {}, engine.bytes);
    },
  });

  new Counter({
    name: 'scanwatch_decode_errors_total',
    help: 'Frames the decoder could not read, by reason.',
    labelNames: ['reason'],
    registers,
    collect() {
      const errors = engine.decoder.errors;
      for (let i = 0; i < DECODE_ERROR_NAMES.length; i++) {
        synced.sync(`scanwatch_decode_errors_total/${DECODE_ERROR_NAMES[i]}`, this, { reason: DECODE_ERROR_NAMES[i]! }, errors[i] ?? 0);
      }
    },
  });

  new Counter({
    name: 'scanwatch_encapsulated_packets_total',
    help: 'Frames by encapsulation the decoder opened to analyse the packet inside (a frame counts once per layer of each kind).',
    labelNames: ['encapsulation'],
    registers,
    collect() {
      const counts = engine.decoder.encapsulations;
      for (let i = 0; i < ENCAPSULATION_NAMES.length; i++) {
        synced.sync(`scanwatch_encapsulated_packets_total/${ENCAPSULATION_NAMES[i]}`, this, { encapsulation: ENCAPSULATION_NAMES[i]! }, counts[i] ?? 0);
      }
    },
  });

  new Counter({
    name: 'scanwatch_ip_fragments_total',
    help: 'IP fragment reassembly as the Linux receiver does it: fragments seen, datagrams reassembled (cut: from fragments the capture cut short), datagrams lost to timeouts, evictions, overlaps (RFC 5722), oversize and malformed fragments, duplicates dropped, IPv4 fragments trimmed to 8 bytes, queues restarted (ipfrag_max_dist), IPv6 first fragments without their upper-layer header (RFC 7112).',
    labelNames: ['event'],
    registers,
    collect() {
      const stats = engine.decoder.reassembly.stats;
      for (let i = 0; i < FRAGMENT_STAT_NAMES.length; i++) {
        synced.sync(`scanwatch_ip_fragments_total/${FRAGMENT_STAT_NAMES[i]}`, this, { event: FRAGMENT_STAT_NAMES[i]! }, stats[i] ?? 0);
      }
    },
  });

  new Counter({
    name: 'scanwatch_unjudged_packets_total',
    help: 'Packets the sensor could not analyse although the target may have read them, by reason: cut (headers cut away by the snapshot length), malformed (headers that do not parse), over_bound (dropped at a bound of the sensor: tunnel depth, layer count, reassembly evictions). Scans hidden in them are not seen.',
    labelNames: ['reason'],
    registers,
    collect() {
      const counts = unjudgedCounts(engine.decoder.errors, engine.decoder.reassembly.stats);
      for (let i = 0; i < UNJUDGED_REASONS.length; i++) {
        synced.sync(`scanwatch_unjudged_packets_total/${UNJUDGED_REASONS[i]}`, this, { reason: UNJUDGED_REASONS[i]! }, counts[i]!);
      }
    },
  });

  new Gauge({
    name: 'scanwatch_ip_fragment_datagrams_pending',
    help: 'Datagrams waiting for fragments (at most the reassembly capacity, 4096 by default).',
    registers,
    collect() {
      this.set(engine.decoder.reassembly.pending);
    },
  });

  new Counter({
    name: 'scanwatch_tcp_segments_total',
    help: 'TCP segments seen, by flag pattern.',
    labelNames: ['flags'],
    registers,
    collect() {
      for (let i = 0; i < SEGMENT_KINDS.length; i++) {
        synced.sync(`scanwatch_tcp_segments_total/${SEGMENT_KINDS[i]}`, this, { flags: SEGMENT_KINDS[i]! }, engine.segments[i] ?? 0);
      }
    },
  });

  new Counter({
    name: 'scanwatch_scan_probes_total',
    help: 'Packets counted as scan probes, by scan technique.',
    labelNames: ['technique'],
    registers,
    collect() {
      for (let i = 0; i < TECHNIQUE_NAMES.length; i++) {
        synced.sync(`scanwatch_scan_probes_total/${TECHNIQUE_NAMES[i]}`, this, { technique: TECHNIQUE_NAMES[i]! }, engine.probes[i] ?? 0);
      }
    },
  });

  const detected = new Counter({
    name: 'scanwatch_scans_detected_total',
    help: 'Scans detected, by technique, pattern and direction relative to the monitored network.',
    labelNames: ['type', 'pattern', 'direction'],
    registers,
  });
  // Every possible series starts at zero: increase() cannot see a series'
  // first sample, so a series born at 1 would never fire the scan alert.
  for (let t = 0; t < TECHNIQUE_NAMES.length; t++) {
    for (const pattern of isSweep(t) ? (['horizontal'] as const) : PATTERNS) {
      for (const direction of DETECTION_DIRECTIONS) detected.inc({ type: TECHNIQUE_NAMES[t]!, pattern, direction }, 0);
    }
  }

  new Gauge({
    name: 'scanwatch_scans_active',
    help: 'Scans detected and not yet ended, by technique.',
    labelNames: ['type'],
    registers,
    collect() {
      const counts = new Array<number>(TECHNIQUE_NAMES.length).fill(0);
      for (const d of engine.active) counts[d.technique] = (counts[d.technique] ?? 0) + 1;
      for (let i = 0; i < TECHNIQUE_NAMES.length; i++) this.set({ type: TECHNIQUE_NAMES[i]! }, counts[i]!);
    },
  });

  new Gauge({
    name: 'scanwatch_state_entries',
    help: 'Entries in use in each state table.',
    labelNames: ['table'],
    registers,
    collect() {
      this.set({ table: 'flows' }, engine.flows.size);
      this.set({ table: 'probation' }, engine.probation.size);
      this.set({ table: 'sources' }, engine.sources.size);
      this.set({ table: 'long_horizon' }, engine.recon.longHorizon.size);
      this.set({ table: 'targets' }, engine.recon.targets.size);
      this.set({ table: 'tenants' }, engine.tenants.size);
    },
  });

  new Gauge({
    name: 'scanwatch_state_capacity',
    help: 'Entries each state table can hold.',
    labelNames: ['table'],
    registers,
    collect() {
      this.set({ table: 'flows' }, engine.flows.capacity);
      this.set({ table: 'probation' }, engine.probation.capacity);
      this.set({ table: 'sources' }, engine.sources.capacity);
      this.set({ table: 'long_horizon' }, engine.recon.longHorizon.capacity);
      this.set({ table: 'targets' }, engine.recon.targets.capacity);
      this.set({ table: 'tenants' }, engine.tenants.capacity - 2);
    },
  });

  new Counter({
    name: 'scanwatch_state_evictions_total',
    help: 'Entries pushed out of a state table to make room for new ones (probation counts overwritten slots).',
    labelNames: ['table'],
    registers,
    collect() {
      synced.sync('scanwatch_state_evictions_total/flows', this, { table: 'flows' }, engine.flows.evicted);
      synced.sync('scanwatch_state_evictions_total/probation', this, { table: 'probation' }, engine.probation.overwritten);
      synced.sync('scanwatch_state_evictions_total/sources', this, { table: 'sources' }, engine.sources.evicted);
      synced.sync('scanwatch_state_evictions_total/long_horizon', this, { table: 'long_horizon' }, engine.recon.longHorizon.evicted + engine.recon.longHorizon.expired);
      synced.sync('scanwatch_state_evictions_total/targets', this, { table: 'targets' }, engine.recon.targets.evicted + engine.recon.targets.membersEvicted);
      synced.sync('scanwatch_state_evictions_total/tenants', this, { table: 'tenants' }, engine.tenants.reclaimed);
    },
  });

  new Counter({
    name: 'scanwatch_tenant_overflow_packets_total',
    help: 'Packets whose tenant (VLAN, VNI...) found no index of its own because every index was in use: their tenants are analysed together and reported as tenant "overflow".',
    registers,
    collect() {
      synced.sync('scanwatch_tenant_overflow_packets_total', this, {}, engine.tenants.overflow);
    },
  });

  new Counter({
    name: 'scanwatch_capture_acks_total',
    help: 'TCP acknowledgements of new data sampled for the capture-loss estimate.',
    registers,
    collect() {
      synced.sync('scanwatch_capture_acks_total', this, {}, engine.captureLoss.acks);
    },
  });

  new Counter({
    name: 'scanwatch_capture_ack_gaps_total',
    help: 'Sampled TCP acknowledgements of data the capture never delivered, each a sign of a lost packet.',
    registers,
    collect() {
      synced.sync('scanwatch_capture_ack_gaps_total', this, {}, engine.captureLoss.gaps);
    },
  });

  new Gauge({
    name: 'scanwatch_capture_loss_ratio',
    help: 'Capture-loss estimate since start: acknowledgement gaps divided by sampled acknowledgements.',
    registers,
    collect() {
      this.set(engine.captureLoss.ratio);
    },
  });

  const iface = opts.interface;
  if (iface !== undefined) {
    const dir = path.join(opts.sysfsRoot ?? DEFAULT_SYSFS_ROOT, iface, 'statistics');
    new Counter({
      name: 'scanwatch_interface_dropped_packets_total',
      help: "Frames the capture interface's kernel counters report as dropped or missed since boot, by counter.",
      labelNames: ['interface', 'counter'],
      registers,
      collect() {
        for (const counter of INTERFACE_DROP_COUNTERS) {
          const value = readStatistic(path.join(dir, counter));
          if (value !== null) synced.sync(`scanwatch_interface_dropped_packets_total/${counter}`, this, { interface: iface, counter }, value);
        }
      },
    });
  }

  new Gauge({
    name: 'scanwatch_last_packet_timestamp_seconds',
    help: 'Timestamp of the latest packet seen, in seconds since the epoch (0 before the first packet).',
    registers,
    collect() {
      this.set(engine.now);
    },
  });

  new Counter({
    name: 'scanwatch_detections_dropped_total',
    help: 'Scans detected but not reported because the detection limit was reached.',
    registers,
    collect() {
      synced.sync('scanwatch_detections_dropped_total', this, {}, engine.detectionsDropped);
    },
  });

  new Gauge({
    name: 'scanwatch_state_sketch_bytes',
    help: 'Bytes of the per-source bitmaps and sketches in use, and the limit they may grow to.',
    labelNames: ['kind'],
    registers,
    collect() {
      this.set({ kind: 'used' }, engine.budget.used);
      this.set({ kind: 'limit' }, engine.budget.limitBytes);
    },
  });

  const buildInfo = new Gauge({
    name: 'scanwatch_build_info',
    help: 'Always 1; its labels give the scanwatch and Node.js versions.',
    labelNames: ['version', 'nodejs'],
    registers,
  });
  buildInfo.set({ version: opts.version, nodejs: process.version }, 1);

  return {
    registry,
    onDetection(event, detection, direction) {
      if (event !== 'start') return; // ended scans leave scanwatch_scans_active, read at scrape time
      detected.inc({ type: detection.type, pattern: detection.pattern(), direction });
    },
  };
}
