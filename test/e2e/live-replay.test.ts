/**
 * Live equals offline, on the real capture path: every recorded fixture
 * (test/pcaps, test/pcaps/recon, test/pcaps/adversary, test/pcaps/internal) is sent with
 * tcpreplay onto a lab link at its recorded pace, `scanwatch live` captures
 * it on the other end, and the scans it logs (scan_ended lines: its final
 * figures) must be those `scanwatch analyze` reports for the same file:
 * same sources, techniques, tenants, counts, outcomes and reasons. The
 * sensor must stay up and stop cleanly after each.
 *
 * The link is bare (test/e2e/lab.ts, LabOptions.bare): no addresses, IPv6
 * off, so neither kernel adds a frame. A fixture longer than MAX_REPLAY_S
 * (a day of slow probes) is replayed from a copy whose packet times are
 * compressed to that length, and analyze reads the same copy: both paths
 * see the same packets at the same times. Times themselves differ (the
 * kernel stamps the replayed frames) and are not compared.
 *
 * Needs root, iproute2 and tcpreplay (scripts/test.sh installs them).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brief } from '../scan-fields.mjs';
import { Lab, type LogLine, SCAN_IF, waitUntil } from './lab.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
/** Longest replay at the recorded pace; longer fixtures are compressed to it. */
const MAX_REPLAY_S = 60;
/**
 * One table key for both paths: host counts above 64 are keyed sketch
 * estimates, and which hosts share a bit depends on the key.
 */
const SEED = ['--hash-seed', '20261207'];
/** Labs (a sensor each) replaying at once: the replays mostly wait on their recorded gaps. */
const LANES = 3;


interface Fixture {
  name: string;
  pcap: string;
  options: string[];
  /**
   * A capture cut by a snapshot length (NAME-snapN.pcap) cannot be replayed
   * as it is (the link would carry the cut frames as whole ones): its whole
   * twin NAME.pcap is replayed, and the sensor cuts it with --snaplen N, as
   * a sensor on the link would have.
   */
  replay: { pcap: string; snaplen: number } | null;
}

const fixtures: Fixture[] = ['test/pcaps', 'test/pcaps/recon', 'test/pcaps/adversary', 'test/pcaps/internal']
  .filter((dir) => fs.existsSync(path.join(ROOT, dir)))
  .flatMap((dir) =>
    fs
      .readdirSync(path.join(ROOT, dir))
      .filter((f) => f.endsWith('.pcap'))
      .sort()
      .map((f) => {
        const json = path.join(ROOT, dir, f.replace(/\.pcap$/, '.expected.json'));
        const options = fs.existsSync(json) ? ((JSON.parse(fs.readFileSync(json, 'utf8')) as { options?: string[] }).options ?? []) : [];
        const cut = /^(.*)-snap(\d+)\.pcap$/.exec(f);
        const replay = cut === null ? null : { pcap: path.join(ROOT, dir, `${cut[1]}.pcap`), snaplen: Number(cut[2]) };
        return { name: `${dir}/${f}`, pcap: path.join(ROOT, dir, f), options, replay };
      }),
  );

/** Packet count and first/last time of a classic pcap file (every fixture is one). */
function pcapTimes(buf: Buffer): { le: boolean; nano: boolean; count: number; first: number; last: number } {
  const magicLe = buf.readUInt32LE(0);
  const le = magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d;
  if (!le && buf.readUInt32BE(0) !== 0xa1b2c3d4 && buf.readUInt32BE(0) !== 0xa1b23c4d) throw new Error('not a classic pcap file');
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const nano = u32(0) === 0xa1b23c4d;
  let o = 24;
  let count = 0;
  let first = 0;
  let last = 0;
  while (o + 16 <= buf.length) {
    const t = u32(o) + u32(o + 4) / (nano ? 1e9 : 1e6);
    if (count === 0) first = t;
    last = t;
    count++;
    o += 16 + u32(o + 8);
  }
  return { le, nano, count, first, last };
}

/** A copy of `src` whose packet times are compressed by `factor` about the first packet. */
function compressed(src: string, factor: number, out: string): void {
  const buf = Buffer.from(fs.readFileSync(src));
  const { le, nano, first } = pcapTimes(buf);
  const unit = nano ? 1e9 : 1e6;
  const rd = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const wr = (v: number, o: number): void => void (le ? buf.writeUInt32LE(v, o) : buf.writeUInt32BE(v, o));
  for (let o = 24; o + 16 <= buf.length; o += 16 + rd(o + 8)) {
    const t = first + (rd(o) + rd(o + 4) / unit - first) / factor;
    const sec = Math.floor(t);
    wr(sec, o);
    wr(Math.min(unit - 1, Math.round((t - sec) * unit)), o + 4);
  }
  fs.writeFileSync(out, buf);
}

function analyze(file: string, options: string[]): string[] {
  const r = spawnSync(process.execPath, [MAIN, 'analyze', file, '--format', 'json', ...SEED, ...options], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`analyze ${file} exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { detections: Record<string, unknown>[] }).detections.map((d) => brief(d)).sort();
}

/** Labs, each used by one replay at a time. */
const free: Lab[] = [];
const waiting: ((lab: Lab) => void)[] = [];
const all: Lab[] = [];
function acquire(): Promise<Lab> {
  const lab = free.pop();
  return lab !== undefined ? Promise.resolve(lab) : new Promise((r) => waiting.push(r));
}
function release(lab: Lab): void {
  const next = waiting.shift();
  if (next !== undefined) next(lab);
  else free.push(lab);
}

interface LiveResult {
  ended: string[];
  started: number;
  stopped: LogLine | undefined;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
}

async function replayLive(lab: Lab, file: string, packets: number, options: string[]): Promise<LiveResult> {
  const sensor = lab.startSensor([...SEED, ...options], { name: `sensor-${path.basename(file)}` });
  try {
    await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 20_000);
    const r = await lab.exec(lab.scanNs, 'tcpreplay', ['-i', SCAN_IF, file], { timeoutMs: (MAX_REPLAY_S + 60) * 1000 });
    if (r.code !== 0) throw new Error(`tcpreplay ${file}: ${r.stderr}`);
    await waitUntil(`the sensor to count ${packets} packets`, async () => ((await sensor.metric('scanwatch_packets_total')) ?? 0) >= packets, { timeoutMs: 20_000, intervalMs: 100 });
    sensor.proc.kill('SIGTERM');
    const { code, signal } = await sensor.proc.exited;
    const exit = { code, signal };
    const lines = sensor.lines;
    // A scan announced and then found part of a distributed one ends merged into it, as analyze folds it.
    const ended = lines.filter((l) => l.event === 'scan_ended' && l.merged_into === undefined);
    const merged = lines.filter((l) => l.event === 'scan_ended' && l.merged_into !== undefined).length;
    return {
      ended: ended.map((l) => brief(l as Record<string, unknown>)).sort(),
      started: lines.filter((l) => l.event === 'scan_started').length - merged,
      stopped: lines.find((l) => l.event === 'sensor_stopped'),
      exit,
      stderr: sensor.stderr,
    };
  } finally {
    await sensor.proc.stop(2000);
  }
}

describe('live = analyze on every fixture, replayed onto a lab link', () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('live replay e2e: must run as root (network namespaces, raw capture)');
    for (const cmd of ['ip', 'tcpreplay']) {
      if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`live replay e2e: ${cmd} is missing (scripts/test.sh installs iproute2 and tcpreplay)`);
    }
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
    for (let i = 0; i < LANES; i++) {
      const lab = await Lab.create({ root: ROOT, prefix: `swrp${i}`, bare: true });
      all.push(lab);
      free.push(lab);
    }
  }, 120_000);

  afterAll(async () => {
    for (const lab of all) await lab.destroy();
    for (const lab of all) expect(lab.remainingNamespaces()).toEqual([]);
  });

  it('finds the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(97);
  });

  for (const f of fixtures) {
    it.concurrent(
      f.name,
      async () => {
        const lab = await acquire();
        try {
          const sent = f.replay?.pcap ?? f.pcap;
          const { count, first, last } = pcapTimes(fs.readFileSync(sent));
          expect(pcapTimes(fs.readFileSync(f.pcap)).count, 'the cut capture and its twin hold the same frames').toBe(count);
          let file = sent;
          let analyzed = f.pcap;
          if (last - first > MAX_REPLAY_S) {
            file = path.join(lab.tmp, path.basename(f.pcap));
            compressed(f.pcap, (last - first) / MAX_REPLAY_S, file);
            analyzed = file;
          }
          expect(f.replay === null || file === sent, 'a cut capture is short enough to replay as recorded').toBe(true);
          const want = analyze(analyzed, f.options);
          const got = await replayLive(lab, file, count, f.replay === null ? f.options : [...f.options, '--snaplen', String(f.replay.snaplen)]);
          expect(got.exit, `sensor exit; stderr: ${got.stderr}`).toEqual({ code: 0, signal: null });
          expect(got.stopped, 'sensor_stopped line').toBeDefined();
          expect(got.stopped!.packets, 'packets counted by the sensor').toBe(count);
          expect(got.ended).toEqual(want);
          expect(got.started, 'every scan announced was ended once').toBe(got.ended.length);
        } finally {
          release(lab);
        }
      },
      (MAX_REPLAY_S + 120) * 1000,
    );
  }
});
