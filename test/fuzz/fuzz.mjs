#!/usr/bin/env node
// The fuzzing harness:
//
//   npm run build && npm run fuzz -- --cases 100000 --seed 1 [--cli-every 100] [--jobs 2]
//                                     [--live [--live-every K] [--live-batch N]]
//
// Mutates the fixtures in test/pcaps (see mutator.mjs), runs every case
// in-process against dist/ (parser, engine, report in all formats) and
// every --cli-every'th case also through the CLI with a 10 s limit (in
// --jobs parallel processes).
//
// --live (root, tcpreplay): every K-th case also has a wire case
// (wire-mutator.mjs: mutated Ethernet frames), checked in-process as a
// pcap and gathered into batches of about N frames; each batch is
// replayed onto a bare lab link where a fresh `scanwatch live` captures
// it (live-harness.mjs says what must hold), with the sensor settings of
// live-harness.mjs's SENSOR_PROFILES in turn.
//
// A failing case or batch is saved under test/fuzz/crashers/ with what
// was done to it; the last line is a JSON summary. Exit 0 when every case
// held, 1 otherwise.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { caseSeed, loadFixtures, makeCase, ROOT } from './mutator.mjs';
import { runCli, runInProcess, saveCrasher } from './harness.mjs';
import { LiveRunner } from './live-runner.mjs';

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? Number(process.argv[i + 1]) : def;
}
const cases = arg('cases', 1000);
const seed = arg('seed', 1);
const cliEvery = arg('cli-every', 100);
const jobs = Math.max(1, arg('jobs', 2));
const first = arg('from', 0);
const live = process.argv.includes('--live');
const liveEvery = Math.max(1, arg('live-every', 1));
const liveBatch = Math.max(1, arg('live-batch', 4000));
const crasherDir = path.join(ROOT, 'test/fuzz/crashers');

const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
if (!fs.existsSync(path.join(ROOT, 'dist/cli/main.js'))) {
  console.error('fuzz: dist/ is missing: run npm run build first');
  process.exit(2);
}
const [{ CaptureParser }, { Engine }, { buildReport }, { renderTable }, { defaultConfig }] = await Promise.all([
  dist('capture/capture-parser.js'),
  dist('engine/engine.js'),
  dist('report/report.js'),
  dist('report/table.js'),
  dist('rules/config.js'),
]);
const mods = { CaptureParser, Engine, buildReport, renderTable, defaultConfig };
const fixtures = loadFixtures();
let liveRunner = null;
if (live) {
  try {
    liveRunner = await LiveRunner.start({ seed, mods, crasherDir, batchFrames: liveBatch, log: (line) => console.error(line) });
  } catch (err) {
    console.error(`fuzz: --live: ${err.message}`);
    process.exit(2);
  }
  // Ctrl-C: exit through process.exit, so that the lab's exit hook removes its namespaces.
  process.once('SIGINT', () => process.exit(130));
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-fuzz-'));
const exits = { 0: 0, 1: 0, 3: 0 };
const failures = [];
let cliRuns = 0;
let slowest = 0;
const pending = new Set();
const t0 = Date.now();

function fail(i, c, how, res) {
  const name = `seed${seed}-case${i}`;
  const file = saveCrasher(crasherDir, name, c.bytes, { seed, case: i, case_seed: caseSeed(seed, i), fixture: c.name, steps: c.steps, how, error: res.error, exit: res.exit });
  failures.push({ case: i, how, error: res.error, file: path.relative(ROOT, file) });
  console.error(`FAIL case ${i} (${how}): ${res.error} -> ${path.relative(ROOT, file)}`);
}

for (let i = first; i < first + cases; i++) {
  const c = makeCase(fixtures, seed, i);
  // One case in ten runs with the default (large) tables, the rest with small ones.
  const res = runInProcess(mods, c.bytes, { small: i % 10 !== 0 });
  slowest = Math.max(slowest, res.ms);
  if (!res.ok) fail(i, c, 'in-process', res);
  else exits[res.exit]++;
  if (cliEvery > 0 && i % cliEvery === 0) {
    const file = path.join(tmp, `case${i}`);
    fs.writeFileSync(file, c.bytes);
    const format = ['json', 'ndjson', 'table'][Math.floor(i / cliEvery) % 3];
    const p = runCli(file, format).then((r) => {
      cliRuns++;
      slowest = Math.max(slowest, r.ms);
      if (!r.ok) fail(i, c, `cli --format ${format}`, r);
      fs.rmSync(file, { force: true });
      pending.delete(p);
    });
    pending.add(p);
    while (pending.size >= jobs) await Promise.race(pending);
  }
  if (liveRunner !== null && i % liveEvery === 0) await liveRunner.add(i);
  if ((i - first + 1) % 5000 === 0) console.error(`fuzz: ${i - first + 1}/${cases} cases, ${failures.length} failures, ${Math.round((Date.now() - t0) / 1000)} s`);
}
await Promise.all(pending);
await liveRunner?.finish();
fs.rmSync(tmp, { recursive: true, force: true });
const summary = { seed, cases, from: first, cli_runs: cliRuns, exits, failures: failures.length, slowest_ms: Math.round(slowest), seconds: Math.round((Date.now() - t0) / 1000) };
if (liveRunner !== null) {
  summary.live = liveRunner.summary();
  summary.failures += liveRunner.failures;
}
console.log(JSON.stringify(summary));
process.exit(summary.failures === 0 ? 0 : 1);
