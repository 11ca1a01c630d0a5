/**
 * The live sensor under mutated frames, on the real capture path: a fixed
 * seed of wire cases (test/fuzz/wire-mutator.mjs: Ethernet frames with
 * flipped header bits, fields set to awkward lengths and types, frames cut
 * inside a header, shifted, padded, VLAN-tagged, random link-layer
 * payloads...) and the frames at each limit of the link
 * (test/fuzz/wire-link.mjs) are sent with tcpreplay onto a bare lab link
 * where `scanwatch live` captures them. test/fuzz/live-harness.mjs checks
 * what must hold: /healthz and /metrics answer all through the replay;
 * scanwatch_packets_total equals the frames the link delivered (tcpreplay's
 * sent frames minus those the receiving kernel drops before any capture,
 * with the refused frames exactly those the link model names); no internal
 * error or stack trace on stderr; exit 0 and a sensor_stopped line on
 * SIGTERM; and the scan_ended lines are what `scanwatch analyze` reports
 * for a pcap of the frames the capture saw (frames the link never
 * delivered are left out of that file: the file would otherwise hold
 * frames the wire cannot carry).
 *
 * Every live crasher saved by `npm run fuzz -- --live` in test/fuzz/crashers
 * is replayed the same way, with the sensor settings it failed with.
 *
 * Needs root, iproute2, tcpreplay and curl (scripts/test.sh installs them).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kit from './lab.js';
import { Lab } from './lab.js';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { runLiveBatch, SENSOR_PROFILES } from '../fuzz/live-harness.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { readPcap } from '../fuzz/mutator.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { edgeFrames, fateOf } from '../fuzz/wire-link.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { loadWireFixtures, makeWireCase } from '../fuzz/wire-mutator.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const CRASHERS = path.join(ROOT, 'test/fuzz/crashers');
const SEED = 20261207;

interface Frame {
  data: Buffer;
  gapUs: number;
}
interface WireCase {
  name: string;
  steps: string[];
  frames: Frame[];
}
interface Profile {
  name: string;
  args: string[];
  compare: boolean;
}
interface BatchResult {
  ok: boolean;
  problems: string[];
  notes: string[];
  figures: Record<string, number>;
  stderr: string;
}

const profiles = SENSOR_PROFILES as Profile[];
const profile = (name: string): Profile => profiles.find((p) => p.name === name)!;

/** Wire cases [from, to) of SEED, with the frames at the link's limits first. */
function batch(from: number, to: number): { frames: Frame[]; steps: string[] } {
  const fixtures = loadWireFixtures();
  const frames: Frame[] = [...(edgeFrames() as Frame[])];
  const steps: string[] = [];
  for (let i = from; i < to; i++) {
    const c = makeWireCase(fixtures, SEED, i) as WireCase;
    frames.push(...c.frames);
    steps.push(...c.steps);
  }
  return { frames, steps };
}

const liveCrashers = fs.existsSync(CRASHERS)
  ? fs
      .readdirSync(CRASHERS)
      .filter((f) => f.endsWith('.json'))
      .filter((f) => (JSON.parse(fs.readFileSync(path.join(CRASHERS, f), 'utf8')) as { mode?: string }).mode === 'live')
      .sort()
  : [];

let lab: Lab;

describe('mutated frames through the live sensor (npm run fuzz -- --live)', () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('live fuzz e2e: must run as root (network namespaces, raw capture)');
    for (const cmd of ['ip', 'tcpreplay', 'curl']) {
      if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`live fuzz e2e: ${cmd} is missing (scripts/test.sh installs iproute2, tcpreplay and curl)`);
    }
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
    lab = await Lab.create({ root: ROOT, prefix: 'swfzlive', bare: true });
  }, 120_000);

  afterAll(async () => {
    if (lab === undefined) return;
    await lab.destroy();
    expect(lab.remainingNamespaces()).toEqual([]);
  });

  it('a few thousand frames: the sensor stays up, counts every delivered frame, stops cleanly, and logs the scans analyze reports', async () => {
    const { frames, steps } = batch(0, 180);
    expect(frames.length).toBeGreaterThan(3000);
    // The seed reaches every kind of mutation (so the run is what it claims to be).
    const kinds = new Set(steps.map((s) => /^\d+:([a-z]+)/.exec(s)?.[1]).filter((k) => k !== undefined));
    expect([...kinds].sort()).toEqual(['bitflip', 'cut', 'field', 'headerflip', 'insert', 'pad', 'random', 'remove', 'repeat', 'runt', 'swap', 'trim', 'vlan']);

    const r = (await runLiveBatch(kit, lab, frames, { name: 'defaults', sensorArgs: [], analyzeArgs: [] })) as BatchResult;
    expect(r.problems, `stderr: ${r.stderr}`).toEqual([]);
    const f = r.figures;
    // Every branch of the link's accounting was taken, and adds up.
    expect(f.refused_runt).toBeGreaterThan(0);
    expect(f.refused_oversize).toBeGreaterThan(0);
    expect(f.dropped_before_capture).toBeGreaterThan(0);
    expect(f.sent).toBe(f.frames! - f.refused_runt! - f.refused_oversize!);
    expect(f.counted).toBe(f.sent! - f.dropped_before_capture!);
    expect(f.counted).toBe(frames.filter((x) => fateOf(x.data) === 'captured').length);
    // The frames reached the decoder's error paths and still made scans to compare.
    expect(f.decode_errors).toBeGreaterThan(100);
    expect(f.scans).toBeGreaterThan(5);
    expect(f.polls).toBeGreaterThan(0);
  }, 120_000);

  it('with decoy addresses and ports (--dark-net, --honey-port) on both sides', async () => {
    const { frames } = batch(180, 260);
    const p = profile('deception');
    const r = (await runLiveBatch(kit, lab, frames, { name: 'deception', sensorArgs: p.args, analyzeArgs: p.args })) as BatchResult;
    expect(r.problems, `stderr: ${r.stderr}`).toEqual([]);
    expect(r.figures.scans).toBeGreaterThan(5);
  }, 120_000);

  it('with tables a hundredth of their size (evictions; live-only settings, so no analyze comparison)', async () => {
    const { frames } = batch(260, 340);
    const p = profile('small-tables');
    const r = (await runLiveBatch(kit, lab, frames, { name: 'small', sensorArgs: p.args, analyzeArgs: null })) as BatchResult;
    expect(r.problems, `stderr: ${r.stderr}`).toEqual([]);
    expect(r.figures.counted).toBeGreaterThan(1000);
  }, 120_000);

  for (const json of liveCrashers) {
    it(`saved live crasher ${json}`, async () => {
      const info = JSON.parse(fs.readFileSync(path.join(CRASHERS, json), 'utf8')) as { sensor_args: string[]; compared_with_analyze: boolean };
      const recs = readPcap(fs.readFileSync(path.join(CRASHERS, json.replace(/\.json$/, '.pcap')))).frames as { data: Buffer; us: bigint }[];
      const frames = recs.map((x, k) => ({ data: Buffer.from(x.data), gapUs: k === 0 ? 0 : Number(x.us - recs[k - 1]!.us) }));
      const r = (await runLiveBatch(kit, lab, frames, { name: 'crasher', sensorArgs: info.sensor_args, analyzeArgs: info.compared_with_analyze ? info.sensor_args : null })) as BatchResult;
      expect(r.problems, `stderr: ${r.stderr}`).toEqual([]);
    }, 180_000);
  }
});
