/**
 * The sensor's metrics, read the way Prometheus reads them: over HTTP from
 * a server on an ephemeral loopback port, after a real capture.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/capture/index.js';
import { DECODE_ERROR_NAMES } from '../../src/decode/errors.js';
import { Engine, SEGMENT_KINDS } from '../../src/engine/engine.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/http-server.js';
import { createMetrics, type SensorMetrics } from '../../src/metrics/prometheus.js';
import { isSweep, TECHNIQUE_NAMES } from '../../src/rules/techniques.js';
import { linesOf, parseExposition, promtool, series, value, type Sample } from './exposition.js';

const pcap = fileURLToPath(new URL('../pcaps/nmap-syn.pcap', import.meta.url));

async function scrape(server: MetricsServer): Promise<{ text: string; samples: Sample[]; contentType: string | null }> {
  const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, samples: parseExposition(text), contentType: res.headers.get('content-type') };
}

describe('metrics of a real capture (nmap -sS of 1000 ports)', () => {
  const engine = new Engine();
  let metrics: SensorMetrics;
  let server: MetricsServer;
  const events: string[] = [];
  let activeBeforeFinish = 0;
  let during: Sample[] = [];

  beforeAll(async () => {
    metrics = createMetrics(engine, { version: '9.8.7-test' });
    // Wired as the live sensor wires it: every detection event goes to the metrics.
    engine.onDetection = (event, d) => {
      events.push(`${event}:${d.type}`);
      metrics.onDetection(event, d, 'inbound');
    };
    server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, health: () => ({ ok: true }), limits: { renderCacheMs: 0 } });
    const r = readCaptureFile(pcap, engine);
    expect(r.warning).toBeNull();
    activeBeforeFinish = engine.active.size;
    during = (await scrape(server)).samples;
    engine.finish();
  });

  afterAll(async () => {
    await server.close();
  });

  it('the fixture yields one tcp-syn scan that starts and ends', () => {
    expect(engine.detections.map((d) => [d.type, d.pattern()])).toEqual([['tcp-syn', 'vertical']]);
    expect(events).toEqual(['start:tcp-syn', 'end:tcp-syn']);
    expect(activeBeforeFinish).toBe(1);
  });

  it('counts active scans by type while they last, zeros included', () => {
    expect(series(during, 'scanwatch_scans_active')).toHaveLength(TECHNIQUE_NAMES.length);
    expect(value(during, 'scanwatch_scans_active', { type: 'tcp-syn' })).toBe(1);
    expect(value(during, 'scanwatch_scans_active', { type: 'udp' })).toBe(0);
  });

  it('serves the packet, byte, segment, probe and error counters the engine kept', async () => {
    const { samples, contentType } = await scrape(server);
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(engine.packets).toBeGreaterThan(2000);
    expect(value(samples, 'scanwatch_packets_total')).toBe(engine.packets);
    expect(value(samples, 'scanwatch_bytes_total')).toBe(engine.bytes);

    const errors = series(samples, 'scanwatch_decode_errors_total');
    expect(errors.map((s) => s.labels.reason).sort()).toEqual([...DECODE_ERROR_NAMES].sort());
    for (let i = 0; i < DECODE_ERROR_NAMES.length; i++) {
      expect(value(samples, 'scanwatch_decode_errors_total', { reason: DECODE_ERROR_NAMES[i]! })).toBe(engine.decoder.errors[i]);
    }

    expect(series(samples, 'scanwatch_tcp_segments_total').map((s) => s.labels.flags)).toEqual([...SEGMENT_KINDS]);
    for (let i = 0; i < SEGMENT_KINDS.length; i++) {
      expect(value(samples, 'scanwatch_tcp_segments_total', { flags: SEGMENT_KINDS[i]! })).toBe(engine.segments[i]);
    }
    expect(value(samples, 'scanwatch_tcp_segments_total', { flags: 'syn' })).toBeGreaterThanOrEqual(1000);

    expect(series(samples, 'scanwatch_scan_probes_total').map((s) => s.labels.technique)).toEqual([...TECHNIQUE_NAMES]);
    expect(value(samples, 'scanwatch_scan_probes_total', { technique: 'tcp-syn' })).toBe(engine.probes[0]);
    expect(value(samples, 'scanwatch_scan_probes_total', { technique: 'tcp-syn' })).toBeGreaterThanOrEqual(1000);
    expect(value(samples, 'scanwatch_scan_probes_total', { technique: 'udp' })).toBe(0);
  });

  it('counts the detected scan once, by type, pattern and direction; every other combination is 0', async () => {
    const { samples } = await scrape(server);
    const all = series(samples, 'scanwatch_scans_detected_total');
    expect(value(samples, 'scanwatch_scans_detected_total', { type: 'tcp-syn', pattern: 'vertical', direction: 'inbound' })).toBe(1);
    expect(all.filter((s) => s.value !== 0)).toHaveLength(1);
    // 8 port-scan techniques x 3 patterns + 2 sweeps x horizontal, in 4 directions.
    // every technique by pattern (sweeps are only horizontal) and direction, from the registry
    const sweeps = TECHNIQUE_NAMES.filter((_, t) => isSweep(t)).length;
    expect(all).toHaveLength(((TECHNIQUE_NAMES.length - sweeps) * 3 + sweeps) * 4);
    expect(series(samples, 'scanwatch_scans_detected_total', { type: 'icmp-sweep', pattern: 'vertical' })).toHaveLength(0);
    // Ended: nothing active any more.
    expect(series(samples, 'scanwatch_scans_active').every((s) => s.value === 0)).toBe(true);
  });

  it('reports the state tables, capture-loss sample, clock, budget and build', async () => {
    const { samples } = await scrape(server);
    const tables = { flows: engine.flows, probation: engine.probation, sources: engine.sources, long_horizon: engine.recon.longHorizon, targets: engine.recon.targets };
    expect(series(samples, 'scanwatch_state_entries').map((s) => s.labels.table).sort()).toEqual(['flows', 'long_horizon', 'probation', 'sources', 'targets', 'tenants']);
    for (const [table, t] of Object.entries(tables)) {
      expect(value(samples, 'scanwatch_state_entries', { table })).toBe(t.size);
      expect(value(samples, 'scanwatch_state_capacity', { table })).toBe(t.capacity);
    }
    expect(value(samples, 'scanwatch_state_capacity', { table: 'flows' })).toBeGreaterThan(0);
    expect(value(samples, 'scanwatch_state_entries', { table: 'sources' })).toBe(1);
    expect(value(samples, 'scanwatch_state_evictions_total', { table: 'flows' })).toBe(engine.flows.evicted);
    expect(value(samples, 'scanwatch_state_evictions_total', { table: 'probation' })).toBe(engine.probation.overwritten);
    expect(value(samples, 'scanwatch_state_evictions_total', { table: 'sources' })).toBe(engine.sources.evicted);
    expect(value(samples, 'scanwatch_state_evictions_total', { table: 'long_horizon' })).toBe(engine.recon.longHorizon.evicted + engine.recon.longHorizon.expired);
    expect(value(samples, 'scanwatch_state_evictions_total', { table: 'targets' })).toBe(engine.recon.targets.evicted + engine.recon.targets.membersEvicted);

    expect(value(samples, 'scanwatch_capture_acks_total')).toBe(engine.captureLoss.acks);
    expect(value(samples, 'scanwatch_capture_ack_gaps_total')).toBe(engine.captureLoss.gaps);
    expect(value(samples, 'scanwatch_capture_loss_ratio')).toBe(engine.captureLoss.ratio);

    expect(engine.now).toBeGreaterThan(1e9);
    expect(value(samples, 'scanwatch_last_packet_timestamp_seconds')).toBe(engine.now);
    expect(value(samples, 'scanwatch_detections_dropped_total')).toBe(0);
    expect(value(samples, 'scanwatch_state_sketch_bytes', { kind: 'used' })).toBe(engine.budget.used);
    expect(value(samples, 'scanwatch_state_sketch_bytes', { kind: 'limit' })).toBe(engine.budget.limitBytes);
    expect(value(samples, 'scanwatch_build_info', { version: '9.8.7-test', nodejs: process.version })).toBe(1);
    // No interface given: no interface series, not even HELP.
    expect(series(samples, 'scanwatch_interface_dropped_packets_total')).toHaveLength(0);
    // Default process metrics are in the same registry.
    expect(series(samples, 'process_cpu_user_seconds_total')).toHaveLength(1);
  });

  it('never puts an IP address in a label', async () => {
    const { text } = await scrape(server);
    expect(text).not.toContain('198.18.0');
    for (const line of text.split('\n').filter((l) => l.startsWith('scanwatch_'))) {
      expect(line, line).not.toMatch(/\{[^}]*\b\d{1,3}(?:\.\d{1,3}){3}\b[^}]*\}/);
    }
  });

  it('does not double count across scrapes, and adds only what the engine counted since', async () => {
    const a = (await scrape(server)).samples;
    const b = (await scrape(server)).samples;
    for (const name of ['scanwatch_packets_total', 'scanwatch_bytes_total', 'scanwatch_capture_acks_total']) {
      expect(value(b, name), name).toBe(value(a, name));
    }
    expect(value(b, 'scanwatch_scan_probes_total', { technique: 'tcp-syn' })).toBe(engine.probes[0]);
    expect(value(b, 'scanwatch_scans_detected_total', { type: 'tcp-syn', pattern: 'vertical', direction: 'inbound' })).toBe(1);

    // The engine counts on (as it does between live scrapes): the next scrape shows exactly the new total.
    const packets = engine.packets;
    engine.packets += 25;
    engine.segments[0]! += 3;
    engine.flows.evicted += 2;
    const c = (await scrape(server)).samples;
    expect(value(c, 'scanwatch_packets_total')).toBe(packets + 25);
    expect(value(c, 'scanwatch_tcp_segments_total', { flags: 'syn' })).toBe(engine.segments[0]);
    expect(value(c, 'scanwatch_state_evictions_total', { table: 'flows' })).toBe(engine.flows.evicted);
    const d = (await scrape(server)).samples;
    expect(value(d, 'scanwatch_packets_total')).toBe(packets + 25);
  });

  it('passes promtool check metrics (scanwatch_ metrics) with no finding', async () => {
    const { text } = await scrape(server);
    const ours = linesOf(text, 'scanwatch_');
    expect(ours.split('\n').filter((l) => l.startsWith('# HELP')).length).toBe(27);
    const r = promtool(['check', 'metrics'], ours);
    expect(r.output, r.output).toBe('');
    expect(r.status, r.output).toBe(0);
  });

  it('promtool check metrics does find a badly named metric (the check is live)', () => {
    const r = promtool(['check', 'metrics'], '# HELP scanwatch_things Things.\n# TYPE scanwatch_things counter\nscanwatch_things 1\n');
    expect(r.output).toMatch(/counter metrics should have "_total" suffix/);
  });
});

describe('metrics before any packet', () => {
  it('are all zero, with the last-packet time 0', async () => {
    const engine = new Engine();
    const { registry, onDetection } = createMetrics(engine, { version: '1.0.0' });
    expect(typeof onDetection).toBe('function');
    const samples = parseExposition(await registry.metrics());
    expect(value(samples, 'scanwatch_packets_total')).toBe(0);
    expect(value(samples, 'scanwatch_last_packet_timestamp_seconds')).toBe(0);
    expect(value(samples, 'scanwatch_capture_loss_ratio')).toBe(0);
    expect(series(samples, 'scanwatch_tcp_segments_total')).toHaveLength(SEGMENT_KINDS.length);
    expect(series(samples, 'scanwatch_tcp_segments_total').every((s) => s.value === 0)).toBe(true);
  });

  it('use a registry of their own, not the global one', async () => {
    const a = createMetrics(new Engine(), { version: '1' });
    const b = createMetrics(new Engine(), { version: '2' });
    expect(a.registry).not.toBe(b.registry);
    const { register } = await import('prom-client');
    expect(register.getSingleMetric('scanwatch_packets_total')).toBeUndefined();
  });
});

describe('interface drop counters from sysfs', () => {
  let root: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-sysfs-'));
    const stats = path.join(root, 'span0', 'statistics');
    fs.mkdirSync(stats, { recursive: true });
    fs.writeFileSync(path.join(stats, 'rx_dropped'), '17\n');
    fs.writeFileSync(path.join(stats, 'rx_missed_errors'), '4096\n');
    // rx_fifo_errors is missing (some drivers lack it): skipped.
    fs.writeFileSync(path.join(stats, 'rx_packets'), '999\n');
  });

  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('exports the kernel counters that exist, labelled by interface and counter', async () => {
    const m = createMetrics(new Engine(), { version: '1', interface: 'span0', sysfsRoot: root });
    const samples = parseExposition(await m.registry.metrics());
    const found = series(samples, 'scanwatch_interface_dropped_packets_total');
    expect(found.map((s) => [s.labels.interface, s.labels.counter, s.value])).toEqual([
      ['span0', 'rx_dropped', 17],
      ['span0', 'rx_missed_errors', 4096],
    ]);
    const text = await m.registry.metrics();
    expect(text).toContain('# TYPE scanwatch_interface_dropped_packets_total counter');
    const r = promtool(['check', 'metrics'], linesOf(text, 'scanwatch_interface_'));
    expect(r.output, r.output).toBe('');
  });

  it('follows the kernel counter, and restarts the series when it goes back', async () => {
    const stats = path.join(root, 'span0', 'statistics');
    const m = createMetrics(new Engine(), { version: '1', interface: 'span0', sysfsRoot: root });
    const read = async (counter: string): Promise<number> =>
      value(parseExposition(await m.registry.metrics()), 'scanwatch_interface_dropped_packets_total', { counter });
    fs.writeFileSync(path.join(stats, 'rx_dropped'), '20\n');
    expect(await read('rx_dropped')).toBe(20);
    expect(await read('rx_dropped')).toBe(20);
    fs.writeFileSync(path.join(stats, 'rx_dropped'), '31\n');
    expect(await read('rx_dropped')).toBe(31);
    // The interface was re-created: its counters start again.
    fs.writeFileSync(path.join(stats, 'rx_dropped'), '2\n');
    expect(await read('rx_dropped')).toBe(2);
    fs.writeFileSync(path.join(stats, 'rx_fifo_errors'), '5\n');
    expect(await read('rx_fifo_errors')).toBe(5);
    fs.rmSync(path.join(stats, 'rx_fifo_errors'));
  });

  it('an interface with no statistics directory gives no series and no error', async () => {
    const m = createMetrics(new Engine(), { version: '1', interface: 'nosuch0', sysfsRoot: root });
    const samples = parseExposition(await m.registry.metrics());
    expect(series(samples, 'scanwatch_interface_dropped_packets_total')).toHaveLength(0);
    expect(value(samples, 'scanwatch_packets_total')).toBe(0);
  });

  it('refuses an interface name that is not one (no path tricks)', () => {
    expect(() => createMetrics(new Engine(), { version: '1', interface: '../etc', sysfsRoot: root })).toThrow(/invalid interface name/);
    expect(() => createMetrics(new Engine(), { version: '1', interface: '', sysfsRoot: root })).toThrow(/invalid interface name/);
  });
});
