/**
 * The live sensor's path, in process: the engine as `live` runs it (ended
 * scans forgotten, every start and end turned into a log line by
 * DetectionLog as the sensor writes it) against the engine as `analyze`
 * runs it, on every recorded fixture and on the packets that used to crash
 * the sensor (a derived detection announced before its figures existed).
 * What the two report must be the same scans with the same figures. The
 * real capture path (tcpreplay onto a lab link) is test/e2e/live-replay.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/index.js';
import { Engine } from '../../src/engine/engine.js';
import { createMetrics } from '../../src/metrics/prometheus.js';
import { DetectionLog } from '../../src/report/detection-log.js';
import { detectionReport } from '../../src/report/report.js';
import { schemaOptions } from '../../src/report/log-schema.js';
import { defaultConfig, type EngineConfig } from '../../src/rules/config.js';
import { sitePolicy, type Direction } from '../../src/rules/policy.js';
import type { PacketSink } from '../../src/capture/types.js';
import { COMPARED, brief } from '../scan-fields.mjs';
import { feed, type Timed } from './packets.js';
import { merge, rawScan, T0 } from './traffic.js';

type Line = Record<string, unknown>;

/** The figures both paths must agree on: in process the times are the same too. */
const FIELDS = [...COMPARED, 'first_seen', 'last_seen'];
const briefOf = (d: Record<string, unknown>): string => brief(d, FIELDS);

interface Options {
  config?: (c: EngineConfig) => void;
  darkNet?: string[];
  honeyPorts?: string[];
  homeNet?: string[];
}

function engineFor(o: Options): Engine {
  const config = defaultConfig();
  config.hashSeed = 7;
  o.config?.(config);
  const engine = new Engine(config);
  const policy = sitePolicy(o.homeNet, [], [], o.darkNet ?? [], o.honeyPorts ?? []);
  engine.useHomeNet(policy.homeNet);
  engine.useDeception(policy.darkNet, policy.honeyPorts);
  return engine;
}

/** `analyze`: every detection kept, the report read at the end. */
function offline(input: (sink: PacketSink) => void, o: Options): string[] {
  const engine = engineFor(o);
  input(engine);
  engine.finish();
  // A verdict from a probe that timed out after the last packet is dated no later than it.
  for (const d of engine.detections) expect(d.detectedAt).toBeLessThanOrEqual(engine.now);
  return engine.detections.map((d) => briefOf(detectionReport(d) as unknown as Record<string, unknown>)).sort();
}

/** `live`: ended scans forgotten; what a SIEM gets is the scan_ended lines. */
async function live(input: (sink: PacketSink) => void, o: Options): Promise<{ ended: string[]; started: number; lines: Line[] }> {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  const logger = pino({ level: 'info', ...schemaOptions('native', { name: 't', hostname: 't', interface: 'eth1', version: '0' }) }, sink);
  const log = new DetectionLog(logger, sitePolicy(undefined));
  const engine = engineFor(o);
  engine.keepEndedDetections = false;
  const metrics = createMetrics(engine, { version: '0', interface: 'eth1' });
  // As src/cli/live.ts wires it.
  engine.onDetection = (event, d) => {
    if (event === 'relabel') {
      log.relabelled(d);
      return;
    }
    const line = event === 'start' ? log.started(d, engine.now) : log.ended(d);
    metrics.onDetection(event, d, line === null ? log.direction(d) : (line.direction as Direction));
  };
  input(engine);
  engine.finish();
  await new Promise((r) => setImmediate(r));
  // A scan announced, then found part of a distributed one, ends merged into it (not a scan of its own).
  const ended = lines.filter((l) => l.event === 'scan_ended' && l.merged_into === undefined);
  const merged = lines.filter((l) => l.event === 'scan_ended' && l.merged_into !== undefined);
  const ids = new Set(lines.filter((l) => l.event === 'scan_started').map((l) => l.scan_id));
  for (const m of merged) expect(ids.has(m.merged_into), `merged_into ${String(m.merged_into)} names an announced scan`).toBe(true);
  return { ended: ended.map(briefOf).sort(), started: lines.filter((l) => l.event === 'scan_started').length - merged.length, lines };
}

const fromFile = (file: string) => (sink: PacketSink) => {
  readCaptureFile(file, sink);
};
const fromFrames = (frames: Timed[]) => (sink: PacketSink) => feed(sink, frames);

/** The fixture's options (NAME.expected.json "options") as engine settings. */
function fixtureOptions(json: string): Options {
  const args = ((JSON.parse(fs.readFileSync(json, 'utf8')) as { options?: string[] }).options ?? []).slice();
  const o: Options = {};
  for (let i = 0; i < args.length; i += 2) {
    const [name, value] = [args[i]!, args[i + 1]!];
    if (name === '--dark-net') o.darkNet = value.split(',');
    else if (name === '--honey-port') o.honeyPorts = value.split(',');
    else if (name === '--vxlan-port') o.config = (c) => (c.udpTunnelPorts = { vxlan: [Number(value)] });
    else if (name === '--window') o.config = (c) => (c.window = Number(value));
    else if (name === '--home-net') o.homeNet = [...(o.homeNet ?? []), ...value.split(',')];
    else throw new Error(`fixture option ${name} not handled here`);
  }
  return o;
}

const repo = path.resolve(import.meta.dirname, '../..');
const fixtures = ['test/pcaps', 'test/pcaps/recon', 'test/pcaps/adversary', 'test/pcaps/internal'].flatMap((dir) =>
  fs
    .readdirSync(path.join(repo, dir))
    .filter((f) => f.endsWith('.pcap'))
    .sort()
    .map((f) => ({ name: `${dir}/${f}`, pcap: path.join(repo, dir, f), json: path.join(repo, dir, f.replace(/\.pcap$/, '.expected.json')) })),
);

describe('live path = analyze, on every recorded fixture', () => {
  it('finds the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(97);
  });
  for (const f of fixtures) {
    it(f.name, async () => {
      const o = fs.existsSync(f.json) ? fixtureOptions(f.json) : {};
      const want = offline(fromFile(f.pcap), o);
      const got = await live(fromFile(f.pcap), o);
      expect(got.ended).toEqual(want);
      // Every scan announced was ended, and nothing was announced twice.
      expect(got.started).toBe(got.ended.length);
    });
  }
});

/** Ten spoofed sources, twelve closed ports each of one target, one SYN a port: a distributed scan. */
function distributedSyns(): Timed[] {
  const parts: Timed[][] = [];
  for (let s = 0; s < 10; s++) {
    const ports = Array.from({ length: 12 }, (_, i) => 2000 + s * 12 + i);
    parts.push(rawScan({ src: `198.18.5.${10 + s}`, dsts: ['198.18.0.2'], ports, flags: 'S', t0: T0 + s * 0.05, gap: 0.5, seed: s + 1 }));
  }
  return merge(...parts);
}

/** 24 SYNs 1.5 s apart to closed ports: with a 1 s window only the long-horizon tier can add them up. */
function slowSyns(): Timed[] {
  const ports = Array.from({ length: 24 }, (_, i) => 3000 + i);
  return rawScan({ src: '198.18.0.1', dsts: ['198.18.0.2'], ports, flags: 'S', t0: T0, gap: 1.5, seed: 3 });
}

describe('derived detections are complete before the live sensor announces them', () => {
  it('a distributed scan of spoofed SYNs: scan_started carries its figures, and the sensor keeps going', async () => {
    const frames = distributedSyns();
    const got = await live(fromFrames(frames), {});
    const started = got.lines.filter((l) => l.event === 'scan_started' && l.reason === 'distributed');
    expect(started.length, JSON.stringify(got.lines.map((l) => l.reason))).toBe(1);
    expect(started[0]!.probes as number).toBeGreaterThan(0);
    expect((started[0]!.sources as string[]).length).toBeGreaterThan(1);
    expect(got.ended).toEqual(offline(fromFrames(frames), {}));
  });

  it('a slow scan found by the long-horizon tier (--window 1): scan_started carries its figures', async () => {
    const frames = slowSyns();
    const o: Options = { config: (c) => (c.window = 1) };
    const got = await live(fromFrames(frames), o);
    const started = got.lines.filter((l) => l.event === 'scan_started' && l.reason === 'long-horizon');
    expect(started.length, JSON.stringify(got.lines.map((l) => `${l.event} ${l.reason}`))).toBe(1);
    expect(started[0]!.ports as number).toBeGreaterThanOrEqual(20);
    expect(got.ended).toEqual(offline(fromFrames(frames), o));
  });
});
