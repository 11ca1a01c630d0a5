// The live mode of `npm run fuzz`: builds one bare lab link, turns the
// cases it is given into wire cases (wire-mutator.mjs), checks each one
// in-process as a pcap, gathers them into batches and sends each batch
// through a fresh sensor (live-harness.mjs). A failing batch is saved under
// crashers/ as seedS-live-caseA-B.pcap (every frame sent, in order) with a
// .json naming the mode, the cases and their mutations, the sensor's
// settings and what went wrong; then it is halved while a half still
// fails, and the smallest failing run of cases is saved as well
// (seedS-live-caseA-B-min).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CLI, runInProcess, saveCrasher } from './harness.mjs';
import { runLiveBatch, SENSOR_PROFILES } from './live-harness.mjs';
import { loadLab } from './load-lab.mjs';
import { caseSeed, ROOT } from './mutator.mjs';
import { edgeFrames } from './wire-link.mjs';
import { framesToPcap, loadWireFixtures, makeWireCase } from './wire-mutator.mjs';

/** Replays spent narrowing one failing batch down (each starts a sensor: about 2 s). */
const NARROW_REPLAYS = 16;

const FIGURES = ['frames', 'sent', 'refused_runt', 'refused_oversize', 'dropped_before_capture', 'counted', 'scans', 'decode_errors', 'rx_dropped', 'polls'];

export class LiveRunner {
  /** Checks the prerequisites and builds the lab; throws with what is missing. */
  static async start({ seed, mods, crasherDir, batchFrames, log }) {
    if (process.getuid?.() !== 0) throw new Error('must run as root (network namespaces, raw capture)');
    for (const cmd of ['ip', 'tcpreplay', 'curl']) {
      if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`${cmd} is missing (apt-get install iproute2 tcpreplay curl)`);
    }
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
    const kit = await loadLab();
    const lab = await kit.Lab.create({ root: ROOT, prefix: 'swfuzz', bare: true });
    return new LiveRunner({ kit, lab, seed, mods, crasherDir, batchFrames, log });
  }

  constructor({ kit, lab, seed, mods, crasherDir, batchFrames, log }) {
    Object.assign(this, { kit, lab, seed, mods, crasherDir, batchFrames, log });
    this.fixtures = loadWireFixtures();
    this.batch = [];
    this.batches = 0;
    this.failures = 0;
    this.cases = 0;
    this.totals = Object.fromEntries(FIGURES.map((k) => [k, 0]));
    this.replaySeconds = 0;
    this.seconds = 0;
    /** Batches whose detections analyze itself gave differently from run to run. */
    this.analyzeVaried = 0;
  }

  /** Adds wire case `i`; runs the batch once it holds enough frames. */
  async add(i) {
    const c = makeWireCase(this.fixtures, this.seed, i);
    this.cases++;
    const offline = runInProcess(this.mods, framesToPcap(c.frames), { small: i % 10 !== 0 });
    if (!offline.ok) {
      this.failures++;
      const file = saveCrasher(this.crasherDir, `seed${this.seed}-wire-case${i}`, framesToPcap(c.frames), {
        mode: 'wire-in-process',
        seed: this.seed,
        case: i,
        case_seed: caseSeed(this.seed, i),
        fixture: c.name,
        steps: c.steps,
        error: offline.error,
        stack: offline.stack,
      });
      this.log(`FAIL wire case ${i} (in-process): ${offline.error} -> ${path.relative(ROOT, file)}`);
    }
    this.batch.push({ case: i, fixture: c.name, steps: c.steps, frames: c.frames });
    if (this.batch.reduce((n, b) => n + b.frames.length, 0) >= this.batchFrames) await this.flush();
  }

  /** Sends the gathered cases through a sensor, with the frames at each limit of the link first. */
  async flush() {
    if (this.batch.length === 0) return;
    const cases = this.batch;
    this.batch = [];
    const profile = SENSOR_PROFILES[this.batches % SENSOR_PROFILES.length];
    this.batches++;
    const r = await this.replay(cases, profile);
    for (const k of FIGURES) this.totals[k] += r.figures[k] ?? 0;
    this.replaySeconds += r.figures.replay_s ?? 0;
    this.seconds += r.figures.seconds;
    this.log(`fuzz live: batch ${this.batches} (${profile.name}, cases ${cases[0].case}-${cases.at(-1).case}): ${JSON.stringify(r.figures)}${r.ok ? '' : ' FAILED'}`);
    for (const note of r.notes) this.log(`fuzz live: note: ${note.slice(0, 2000)}`);
    if (r.notes.length > 0) this.analyzeVaried++;
    if (!r.ok) {
      this.failures++;
      this.save(r.name, r, profile);
      const min = await this.narrow(cases, profile);
      if (min !== null && min.cases.length < cases.length) this.save(`${min.name}-min`, min, profile);
    }
    this.forget(r);
  }

  /** One sensor run of `cases`, with the frames at each limit of the link first. */
  async replay(cases, profile) {
    const frames = edgeFrames();
    const index = [];
    for (const c of cases) {
      index.push({ case: c.case, fixture: c.fixture, steps: c.steps, frames: [frames.length, frames.length + c.frames.length - 1] });
      frames.push(...c.frames);
    }
    const name = `seed${this.seed}-live-case${cases[0].case}-${cases.at(-1).case}`;
    const r = await runLiveBatch(this.kit, this.lab, frames, { name, sensorArgs: profile.args, analyzeArgs: profile.compare ? profile.args : null });
    return { ...r, name, cases, index };
  }

  /** The smallest run of `cases` found to fail by halving (null if no half fails alone). */
  async narrow(cases, profile) {
    let best = null;
    let replays = 0;
    let current = cases;
    while (current.length > 1 && replays < NARROW_REPLAYS) {
      const mid = Math.ceil(current.length / 2);
      let failing = null;
      for (const half of [current.slice(0, mid), current.slice(mid)]) {
        replays++;
        const r = await this.replay(half, profile);
        if (r.ok) {
          this.forget(r);
          continue;
        }
        failing = r;
        break;
      }
      if (failing === null) break;
      if (best !== null) this.forget(best);
      best = failing;
      current = failing.cases;
      this.log(`fuzz live: narrowed to cases ${current[0].case}-${current.at(-1).case} (${failing.figures.frames} frames): ${failing.problems[0]?.slice(0, 300)}`);
    }
    return best;
  }

  save(name, r, profile) {
    const file = saveCrasher(this.crasherDir, name, fs.readFileSync(r.sentFile), {
      mode: 'live',
      seed: this.seed,
      profile: profile.name,
      sensor_args: profile.args,
      compared_with_analyze: profile.compare,
      error: r.problems[0],
      problems: r.problems,
      stderr: r.stderr.slice(-8000),
      figures: r.figures,
      cases: r.index,
    });
    this.log(`FAIL live batch ${name}: ${r.problems.join('; ').slice(0, 2000)} -> ${path.relative(ROOT, file)}`);
    this.forget(r);
  }

  /** Removes a replay's scratch files. */
  forget(r) {
    fs.rmSync(r.sentFile, { force: true });
    fs.rmSync(r.capturedFile, { force: true });
  }

  async finish() {
    await this.flush();
    await this.lab.destroy();
  }

  summary() {
    return { cases: this.cases, batches: this.batches, ...this.totals, replay_seconds: Math.round(this.replaySeconds), seconds: Math.round(this.seconds), analyze_varied: this.analyzeVaried, failures: this.failures };
  }
}
