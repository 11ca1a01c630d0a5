// Runs a batch of mutated frames through the live sensor and says whether
// it held: the frames are replayed with tcpreplay onto a bare lab link
// (test/e2e/lab.ts) where `scanwatch live` captures them.
//
// What must hold:
//  - the sensor stays up: /healthz answers 200 and /metrics answers, polled
//    all through the replay and once after it;
//  - it counts every frame the link delivered: scanwatch_packets_total
//    equals tcpreplay's sent frames minus those the receiving kernel drops
//    before any capture (wire-link.mjs); the frames the sender's kernel
//    refuses must be exactly the ones the model says, and the veth must
//    have carried every frame tcpreplay sent;
//  - nothing on stderr says "internal error" or shows a stack trace, and
//    every stdout line is JSON;
//  - on SIGTERM it exits 0 with a sensor_stopped line counting the same;
//  - its scan_ended lines report what `scanwatch analyze` reports for a
//    pcap of the frames it captured (same sources, techniques, counts;
//    times are the kernel's on the link and are not compared).
//
// Both `npm run fuzz -- --live` (lab.ts transpiled, load-lab.mjs) and
// test/e2e/fuzz-live.test.ts (lab.ts imported) pass the lab module in as
// `kit`, so that there is one lab implementation.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI } from './harness.mjs';
import { fateOf } from './wire-link.mjs';
import { framesToPcap } from './wire-mutator.mjs';

import { COMPARED, brief } from '../scan-fields.mjs';

export { COMPARED, brief };

/**
 * The sensor's settings a batch runs with, in turn. `compare`: whether
 * analyze can be given the same settings (the table sizes are live-only
 * flags, so a small-tables batch is checked for all but the detections).
 */
export const SENSOR_PROFILES = [
  { name: 'default', args: [], compare: true },
  { name: 'deception', args: ['--dark-net', '198.18.1.0/24,2001:db8:1::/48', '--honey-port', '23,3389'], compare: true },
  {
    name: 'small-tables',
    args: ['--flow-capacity', '4096', '--probation-capacity', '1024', '--source-capacity', '256', '--sketch-budget', '8MiB', '--max-detections', '50'],
    compare: false,
  },
];

/**
 * One table key for the sensor and for analyze: host counts above 64 are
 * keyed sketch estimates, and the order in which the keyed tables release
 * flows can decide which decoy leads a merged scan. With the same key both
 * paths must agree exactly; any difference is a divergence.
 */
const SHARED_KEY = ['--hash-seed', '20261207'];

/** How often /healthz and /metrics are asked during a replay. */
const POLL_MS = 300;
/** How long the sensor may take to count the last frame once tcpreplay is done. */
const COUNT_TIMEOUT_MS = 20_000;
/** A stack trace line as node prints one. */
const STACK_LINE = /^\s+at .+\(?.*:\d+:\d+\)?$/m;

/** The frames `keep` accepts, each with its gap grown by those of the frames left out just before it (times stay the same). */
export function keepFrames(frames, keep) {
  const out = [];
  let carried = 0;
  for (const f of frames) {
    if (keep(f)) {
      out.push({ data: f.data, gapUs: f.gapUs + carried });
      carried = 0;
    } else carried += f.gapUs;
  }
  return out;
}

/** tcpreplay's numbers (1-based) of the frames it could not send, from its warnings. */
export function refusedNumbers(stderr) {
  return [...stderr.matchAll(/send\(\) \[(\d+)\]/g)].map((m) => Number(m[1]));
}

/** `scanwatch analyze FILE --format json`: the scans, each as brief(). */
export function analyzeScans(file, options = []) {
  const r = spawnSync(process.execPath, [CLI, 'analyze', file, '--format', 'json', ...options], { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`analyze ${file} exited ${r.status}: ${r.stderr.trim().split('\n')[0]}`);
  return JSON.parse(r.stdout).detections.map((d) => brief(d)).sort();
}

/**
 * The scans a stopped sensor logged, as analyze folds them (a scan merged
 * into a distributed one is part of that one), and how many it announced.
 */
function sensorScans(lines) {
  const ended = lines.filter((l) => l.event === 'scan_ended' && l.merged_into === undefined);
  const merged = lines.filter((l) => l.event === 'scan_ended' && l.merged_into !== undefined).length;
  return { ended: ended.map((d) => brief(d)).sort(), announced: lines.filter((l) => l.event === 'scan_started').length - merged };
}

/** Items of `a` that `b` lacks and items of `b` that `a` lacks (multisets of strings). */
function difference(a, b) {
  const count = new Map();
  for (const x of b) count.set(x, (count.get(x) ?? 0) + 1);
  const onlyA = [];
  for (const x of a) {
    const n = count.get(x) ?? 0;
    if (n > 0) count.set(x, n - 1);
    else onlyA.push(x);
  }
  const onlyB = [...count].flatMap(([x, n]) => Array(n).fill(x));
  return { onlyA, onlyB };
}

/** Polls /healthz and /metrics until stop() is called; remembers every answer that was not 200. */
function watchEndpoints(sensor) {
  const state = { polls: 0, bad: [], running: true };
  const loop = (async () => {
    while (state.running) {
      const [h, m] = await Promise.all([sensor.healthz(), sensor.lab.httpGet(sensor.lab.tgtNs, `http://${sensor.listen}/metrics`)]);
      state.polls++;
      if (h.status !== 200) state.bad.push(`/healthz answered ${h.status} (${h.body.slice(0, 120)})`);
      if (m.status !== 200) state.bad.push(`/metrics answered ${m.status} (${m.body.slice(0, 120)})`);
      if (!sensor.proc.running()) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  return {
    state,
    async stop() {
      state.running = false;
      await loop;
    },
  };
}

/**
 * Replays `frames` ([{ data, gapUs }]) through a fresh sensor in `lab` and
 * checks it. opts: name (of the files), sensorArgs, analyzeArgs (null: do
 * not compare the detections). Returns { ok, problems, notes, figures,
 * stderr, sentFile, capturedFile }; `notes` says when analyze disagreed
 * with itself; `figures` has the frames sent, refused (and why), dropped
 * before capture, counted, the scans, and the seconds taken.
 */
export async function runLiveBatch(kit, lab, frames, opts = {}) {
  const t0 = Date.now();
  const problems = [];
  const notes = [];
  const fates = frames.map((f) => fateOf(f.data));
  const tally = (what) => fates.filter((x) => x === what).length;
  const captured = keepFrames(frames, (f) => fateOf(f.data) === 'captured');
  const name = opts.name ?? 'batch';
  const sentFile = path.join(lab.tmp, `${name}.pcap`);
  const capturedFile = path.join(lab.tmp, `${name}-captured.pcap`);
  fs.writeFileSync(sentFile, framesToPcap(frames));
  fs.writeFileSync(capturedFile, framesToPcap(captured));
  const figures = {
    frames: frames.length,
    refused_runt: tally('refused-runt'),
    refused_oversize: tally('refused-oversize'),
    dropped_before_capture: tally('dropped-before-capture'),
    expected: captured.length,
  };

  // The sensor prints the stack of an internal error only when asked to.
  const sensor = lab.startSensor([...SHARED_KEY, ...(opts.sensorArgs ?? [])], { name: `sensor-${name}`, env: { SCANWATCH_DEBUG: '1' } });
  let watcher = null;
  try {
    await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 30_000);
    const rx0 = await lab.ifStat(lab.tgtNs, kit.TGT_IF, 'rx_packets');
    const rxDropped0 = await lab.ifStat(lab.tgtNs, kit.TGT_IF, 'rx_dropped');
    watcher = watchEndpoints(sensor);
    const replay = await lab.exec(lab.scanNs, 'tcpreplay', ['-i', kit.SCAN_IF, '--no-flow-stats', sentFile], { timeoutMs: 600_000 });
    if (replay.code !== 0) throw new Error(`tcpreplay exited ${replay.code}: ${replay.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    const stats = kit.parseTcpreplay(replay.stdout);
    figures.sent = stats.successful;
    figures.failed = stats.failed;
    figures.replay_s = stats.seconds;

    // The link: the frames refused are the ones the model says, every other one crossed the veth.
    const refused = refusedNumbers(replay.stderr).map((n) => n - 1);
    const predicted = fates.flatMap((f, i) => (f.startsWith('refused-') ? [i] : []));
    if (JSON.stringify(refused) !== JSON.stringify(predicted)) problems.push(`link model: tcpreplay refused frames ${refused.join(',')}; expected ${predicted.join(',')}`);
    if (stats.successful + stats.failed !== frames.length) problems.push(`tcpreplay sent ${stats.successful} and failed ${stats.failed} of ${frames.length} frames`);
    const rx = (await lab.ifStat(lab.tgtNs, kit.TGT_IF, 'rx_packets')) - rx0;
    if (rx !== stats.successful) problems.push(`the veth received ${rx} frames of the ${stats.successful} tcpreplay sent`);
    // Not a loss: the kernel counts here frames it captured but no protocol took (a VLAN tag over an unknown type).
    figures.rx_dropped = (await lab.ifStat(lab.tgtNs, kit.TGT_IF, 'rx_dropped')) - rxDropped0;
    const expected = stats.successful - figures.dropped_before_capture;
    if (expected !== figures.expected) problems.push(`link model: ${expected} frames should reach the capture, the model says ${figures.expected}`);

    // The count: wait for it to reach what was captured, or to stop moving short of it.
    let counted = -1;
    try {
      const seen = await kit.waitUntil(
        `scanwatch_packets_total to reach ${figures.expected}`,
        async () => {
          if (!sensor.proc.running()) return { dead: true };
          const v = (await sensor.metric('scanwatch_packets_total')) ?? 0;
          return v >= figures.expected ? { v } : undefined;
        },
        { timeoutMs: COUNT_TIMEOUT_MS, intervalMs: 200 },
      );
      if (seen.dead) throw new Error(`the sensor exited while counting (${JSON.stringify(sensor.proc.exitInfo)})`);
      counted = seen.v;
    } catch (err) {
      if (sensor.proc.running()) counted = await sensor.settledPackets(1500, 10_000).catch(() => -1);
      problems.push(`${err.message}; it counted ${counted} of ${figures.expected}`);
    }
    figures.counted = counted;
    if (counted > figures.expected) problems.push(`scanwatch_packets_total is ${counted}, more than the ${figures.expected} frames captured`);
    await watcher.stop();
    const last = await sensor.healthz();
    if (last.status !== 200) problems.push(`/healthz answered ${last.status} after the replay`);

    const diedBefore = !sensor.proc.running();
    sensor.proc.kill('SIGTERM');
    const exit = await sensor.proc.exited;
    if (exit.code !== 0 || exit.signal !== null || diedBefore) {
      problems.push(`the sensor exited with code ${exit.code} signal ${exit.signal} ${diedBefore ? 'before it was told to stop' : 'on SIGTERM'}`);
    }
    const stopped = sensor.lines.find((l) => l.event === 'sensor_stopped');
    if (stopped === undefined) problems.push('no sensor_stopped line');
    else if (stopped.packets !== figures.expected) problems.push(`sensor_stopped counts ${stopped.packets} packets, not ${figures.expected}`);
    figures.decode_errors = stopped?.decode_errors;
  } catch (err) {
    problems.push(err.message);
  } finally {
    await watcher?.stop();
    await sensor.proc.stop(2000);
  }
  const stderr = sensor.stderr;
  figures.polls = watcher?.state.polls ?? 0;
  for (const bad of watcher?.state.bad ?? []) problems.push(`during the replay: ${bad}`);
  if (watcher !== null && figures.polls === 0) problems.push('/healthz and /metrics were never polled during the replay');
  if (/internal error/i.test(stderr)) problems.push(`internal error on stderr: ${stderr.trim().split('\n')[0]}`);
  if (STACK_LINE.test(stderr)) problems.push('a stack trace on stderr');
  if (sensor.nonJson.length > 0) problems.push(`stdout lines that are not JSON: ${sensor.nonJson.slice(0, 3).join(' | ')}`);

  // Detections: the sensor's final lines against analyze on the frames the capture saw.
  if (problems.length === 0 && opts.analyzeArgs !== null) {
    const live = sensorScans(sensor.lines);
    const offline = analyzeScans(capturedFile, [...SHARED_KEY, ...(opts.analyzeArgs ?? [])]);
    figures.scans = live.ended.length;
    if (live.announced !== live.ended.length) problems.push(`the sensor announced ${live.announced} scans and ended ${live.ended.length}`);
    const { onlyA: onlyLive, onlyB: onlyOffline } = difference(live.ended, offline);
    if (onlyLive.length + onlyOffline.length > 0) problems.push(`live and analyze differ: only live ${JSON.stringify(onlyLive)}; only analyze ${JSON.stringify(onlyOffline)}`);
  }
  figures.seconds = Math.round((Date.now() - t0) / 100) / 10;
  return { ok: problems.length === 0, problems, notes, figures, stderr, capturedFile, sentFile };
}
