/**
 * Issue 10 items 1 and 2: the live sensor's lines as a SIEM takes them.
 * The engine and DetectionLog run on synthetic packets in packet time (no
 * capture): a source scans, is quiet for 2 minutes, scans again, is quiet,
 * scans a third time. Each scan must be its own scan_started/scan_ended
 * with its own counts, and what the lines add up to must agree with the
 * sensor's own totals and /metrics.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { createMetrics } from '../../src/metrics/prometheus.js';
import { DetectionLog } from '../../src/report/detection-log.js';
import { ECS_VERSION, schemaOptions, type LogSchema } from '../../src/report/log-schema.js';
import { sitePolicy, type Direction } from '../../src/rules/policy.js';
import { feed, type Timed } from '../engine/packets.js';
import { rawScan, T0 } from '../engine/traffic.js';

type Line = Record<string, unknown>;
const SENSOR = { name: 'span-dmz-1', hostname: 'sensor-host', interface: 'eth1', version: '0.1.0' };
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Three scans of 100 ports by one source, each 100 s apart after the previous one ends. */
function threeScans(): Timed[] {
  const ports = Array.from({ length: 100 }, (_, i) => 1000 + i);
  const scan = (t0: number, seed: number): Timed[] => rawScan({ src: '198.18.0.66', dsts: ['198.19.0.10'], ports, flags: 'S', open: new Set(['1022']), t0, gap: 0.01, seed });
  // Each scan lasts 1 s; 120 s of quiet (2 min) after each, more than the 60 s that ends a scan.
  return [...scan(T0, 1), ...scan(T0 + 121, 2), ...scan(T0 + 242, 3)];
}

/** Runs frames through the engine like the live sensor: a tick every second of packet time, then shutdown. */
async function replay(schema: LogSchema): Promise<{ lines: Line[]; log: DetectionLog; metricsText: string; engine: Engine }> {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const logger = pino({ level: 'info', ...schemaOptions(schema, SENSOR) }, sink);
  const policy = sitePolicy(['198.19.0.0/16']);
  const log = new DetectionLog(logger, policy);
  const engine = new Engine();
  engine.keepEndedDetections = false;
  const metrics = createMetrics(engine, { version: '0.1.0', interface: 'eth1' });
  engine.onDetection = (event, d) => {
    const line = event === 'start' ? log.started(d, engine.now) : log.ended(d);
    metrics.onDetection(event, d, line.direction as Direction);
  };
  const frames = threeScans();
  let nextTick = Math.ceil(T0);
  for (const f of frames) {
    while (f.t >= nextTick) {
      engine.tick(nextTick);
      log.progress(engine.active, nextTick, 60);
      nextTick++;
    }
    feed(engine, [f]);
  }
  // The quiet after the last scan, then SIGTERM.
  for (const end = nextTick + 120; nextTick < end; nextTick++) engine.tick(nextTick);
  engine.finish();
  logger.info({ event: 'sensor_stopped', scans_started: log.counts.scan_started, scans_ended: log.counts.scan_ended }, 'stopped');
  await new Promise((r) => setImmediate(r));
  return { lines, log, metricsText: await metrics.registry.metrics(), engine };
}

describe('SIEM lifecycle: scan, 2 min quiet, scan, quiet, scan', () => {
  it('gives three scans with fresh counts, and the sums agree with sensor_stopped and /metrics', async () => {
    const { lines, metricsText } = await replay('native');
    const scans = lines.filter((l) => typeof l.event === 'string' && (l.event as string).startsWith('scan_'));
    const started = scans.filter((l) => l.event === 'scan_started');
    const ended = scans.filter((l) => l.event === 'scan_ended');
    expect(started).toHaveLength(3);
    expect(ended).toHaveLength(3);
    // Every scan is its own: one id per scan, started before it ends.
    const ids = new Set(started.map((l) => l.scan_id));
    expect(ids.size).toBe(3);
    expect(new Set(ended.map((l) => l.scan_id))).toEqual(ids);
    // Fresh counts: each scan probed 100 ports, never the sum of earlier ones.
    for (const l of ended) {
      expect(l.probes).toBe(100);
      expect(l.ports).toBe(100);
    }
    for (const l of started) expect(l.probes as number).toBeLessThanOrEqual(100);
    // A SIEM sums the ended scans' probes: 300 probes were sent.
    expect(ended.reduce((a, l) => a + (l.probes as number), 0)).toBe(300);
    // First-seen times are those of each scan, not of the first one.
    const firsts = ended.map((l) => Date.parse(l.first_seen as string) / 1000);
    expect(firsts[1]! - firsts[0]!).toBeCloseTo(121, 0);
    expect(firsts[2]! - firsts[1]!).toBeCloseTo(121, 0);
    const stopped = lines.find((l) => l.event === 'sensor_stopped')!;
    expect(stopped.scans_started).toBe(3);
    expect(stopped.scans_ended).toBe(3);
    const detected = [...metricsText.matchAll(/^scanwatch_scans_detected_total\{[^}]*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(detected).toBe(3);
  });
});

describe('native schema', () => {
  it('has an ISO 8601 time, a textual level, the sensor and interface on every line, UUIDv7 scan ids', async () => {
    const { lines } = await replay('native');
    expect(lines.length).toBeGreaterThan(4);
    for (const l of lines) {
      expect(typeof l.time).toBe('string');
      expect(new Date(l.time as string).toISOString()).toBe(l.time);
      expect(['info', 'warn', 'error', 'debug']).toContain(l.level);
      expect(l.sensor).toBe('span-dmz-1');
      expect(l.interface).toBe('eth1');
    }
    for (const l of lines.filter((x) => x.event === 'scan_started')) {
      expect(l.scan_id).toMatch(UUID7);
      expect(typeof l.id).toBe('number');
    }
  });
});

interface EcsField {
  type: string;
  normalization?: string;
}
const ECS = JSON.parse(readFileSync('test/fixtures/ecs-fields.json', 'utf8')) as { ecs_version: string; custom_namespace: string; fields: Record<string, EcsField> };

/** Dotted key -> value, as Elasticsearch maps a document (arrays are leaves). */
function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const key = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, key + '.', out);
    else out[key] = v;
  }
  return out;
}

function typeOk(type: string, v: unknown): boolean {
  switch (type) {
    case 'keyword':
    case 'match_only_text':
      return typeof v === 'string';
    case 'long':
      return Number.isSafeInteger(v);
    case 'ip':
      return typeof v === 'string' && isIP(v) !== 0;
    case 'date':
      return typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(v) && !Number.isNaN(Date.parse(v));
    default:
      return false;
  }
}

describe('--log-schema ecs', () => {
  it('every key outside scanwatch.* is an ECS field of the right type (ECS fields vendored in test/fixtures/ecs-fields.json)', async () => {
    expect(ECS.ecs_version).toBe(ECS_VERSION);
    const { lines } = await replay('ecs');
    const alerts = lines.filter((l) => (l.event as { kind?: string } | undefined)?.kind === 'alert');
    expect(alerts.length).toBeGreaterThanOrEqual(6);
    let checked = 0;
    for (const line of lines) {
      for (const [key, value] of Object.entries(flatten(line))) {
        if (key.startsWith(ECS.custom_namespace + '.')) continue;
        const def = ECS.fields[key];
        expect(def, `${key} is not an ECS field`).toBeDefined();
        const values = Array.isArray(value) ? value : [value];
        if (def!.normalization === 'array') expect(Array.isArray(value), `${key} must be an array`).toBe(true);
        for (const v of values) expect(typeOk(def!.type, v), `${key}=${JSON.stringify(v)} is not ${def!.type}`).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('maps a scan to an alert with source, network, observer, threat and rule', async () => {
    const { lines } = await replay('ecs');
    const a = lines.find((l) => (l.event as { action?: string } | undefined)?.action === 'scan_started')!;
    const f = flatten(a);
    expect(f['ecs.version']).toBe(ECS_VERSION);
    expect(f['log.level']).toBe('warn');
    expect(f['event.kind']).toBe('alert');
    expect(f['event.category']).toEqual(['network', 'intrusion_detection']);
    expect(f['event.type']).toEqual(['start']);
    expect(f['source.ip']).toBe('198.18.0.66');
    expect(f['destination.ip']).toBe('198.19.0.10');
    expect(f['network.transport']).toBe('tcp');
    expect(f['network.direction']).toBe('inbound');
    expect(f['observer.name']).toBe('span-dmz-1');
    expect(f['observer.hostname']).toBe('sensor-host');
    expect(f['observer.ingress.interface.name']).toBe('eth1');
    expect(f['threat.framework']).toBe('MITRE ATT&CK');
    expect(f['threat.technique.id']).toEqual(['T1046']);
    expect(f['threat.technique.name']).toEqual(['Network Service Discovery']);
    expect(f['rule.id']).toBe('scanwatch.tcp-syn');
    expect(f['event.id']).toMatch(UUID7);
    expect(f['scanwatch.ports']).toBeGreaterThanOrEqual(6);
  });
});
