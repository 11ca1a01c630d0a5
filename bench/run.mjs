#!/usr/bin/env node
// `npm run bench`: end-to-end throughput and memory of `scanwatch analyze` on
// the 2-million-packet spoofed-SYN flood with a real nmap scan spliced in
// (bench/make-flood.mjs), on one core, against the `tcpdump -r` floor; then
// the thread scaling of `analyze --threads` on two 8-million-packet floods
// read as separate captures (bench/out/flood-8m-{a,b}.pcap, generated once),
// on every core: --threads 1 against --threads 2, reports compared. Beside
// them, what bounds the single-file figures: the fixed cost of a run (the
// file's first 1,000 packets) and the JavaScript floor (bench/floor.mjs).
//
//   node bench/run.mjs [--quick] [--json] [--runs N] [--force] [--scan FILE]
//                      [--cli PATH] [--cpu N]
//
//   --quick      200k-packet file (bench/out/flood-200k.pcap): a smoke run; the
//                throughput and memory rows are shown but do not gate the exit code
//   --json       print the figures as one JSON object instead of the table
//   --runs N     runs of each command (default 3; the median wall time is used)
//   --force      regenerate the capture even if the cached one is up to date
//   --scan FILE  capture holding the nmap scan to splice in
//                (default test/pcaps/nmap-syn.pcap)
//   --cli PATH   the scanwatch entry point (default dist/cli/main.js)
//   --cpu N      the core to pin to with taskset (default 0)
//   --no-live    skip the live-sensor rows (by default, as root, the bench
//                also runs `node bench/run-live.mjs --quick`: CPU seconds per
//                million packets at top speed and at 50,000 packets/s, loss,
//                reported drops and peak RSS; without root it says how)
//   --big        instead: a 10 GB capture of the same kind (136 M packets,
//                bench/out/flood-10g.pcap, generated once, not committed),
//                analysed once in a pseudo-terminal (`script`) so that the
//                progress bar runs as an analyst sees it; reports wall time,
//                peak RSS, packets/s and the last progress line
//
// Exit status: 0 when every requirement holds, 1 otherwise (or when the bench
// cannot run). Progress goes to stderr, the report to stdout.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, ensureFlood } from './make-flood.mjs';

const REQ_PPS = 2_000_000;
const REQ_RSS_MB = 300;
const GNU_TIME = '/usr/bin/time';
const TIME_FORMAT = '%e %M %U %S'; // wall s, max RSS KiB, user s, sys s

const log = (...a) => console.error(...a);
const die = (msg) => {
  console.error(`bench: ${msg}`);
  process.exit(1);
};

function parseArgs(argv) {
  const o = { runs: 3, cli: 'dist/cli/main.js', cpu: '0' };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const val = () => {
      if (k + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++k];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--force') o.force = true;
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--scan') o.scan = val();
    else if (a === '--cli') o.cli = val();
    else if (a === '--cpu') o.cpu = val();
    else if (a === '--big') o.big = true;
    else if (a === '--no-live') o.noLive = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node bench/run.mjs [--quick | --big] [--no-live] [--json] [--runs N] [--force] [--scan FILE] [--cli PATH] [--cpu N]');
      process.exit(0);
    } else die(`unknown argument ${a}`);
  }
  if (!(Number.isInteger(o.runs) && o.runs >= 1)) die('--runs must be a positive integer');
  if (!/^\d+$/.test(o.cpu)) die('--cpu must be a core number');
  return o;
}

function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout || ''}${r.stderr || ''}`.split('\n').find((l) => l.trim()) ?? null;
}

function machineFacts(cpu) {
  let cpuModel = null;
  try {
    const m = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    cpuModel = m ? m[1].trim() : null;
  } catch {}
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  return {
    date: new Date().toISOString(),
    cpu_model: cpuModel,
    nproc: Number(firstLine('nproc', [])) || null,
    pinned_cpu: Number(cpu),
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: firstLine('node', ['--version']),
    tcpdump: firstLine('tcpdump', ['--version']),
    git_head: git.status === 0 ? git.stdout.trim() : null,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** Runs `taskset -c CPU /usr/bin/time -f FORMAT cmd...`, GNU time's figures going to a file of their own. */
function timed(cpu, cmd, args, capture) {
  const tf = path.join(os.tmpdir(), `scanwatch-bench-time-${process.pid}`);
  fs.rmSync(tf, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync('taskset', ['-c', cpu, GNU_TIME, '-o', tf, '-f', TIME_FORMAT, cmd, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 2 ** 30,
    stdio: ['ignore', capture ? 'pipe' : 'ignore', 'pipe'],
  });
  const parentWall = Number(process.hrtime.bigint() - t0) / 1e9;
  let figures = null;
  try {
    const lines = fs.readFileSync(tf, 'utf8').trim().split('\n');
    const m = lines[lines.length - 1].match(/^(\d+(?:\.\d+)?) (\d+) (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)$/);
    if (m) figures = { wall_s: Number(m[1]), max_rss_kib: Number(m[2]), user_s: Number(m[3]), sys_s: Number(m[4]) };
  } catch {}
  fs.rmSync(tf, { force: true });
  if (r.error) die(`could not run ${cmd}: ${r.error.message}`);
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', figures, parent_wall_s: parentWall };
}

function parseReport(stdout) {
  try {
    return JSON.parse(stdout);
  } catch {}
  const k = stdout.indexOf('{');
  if (k >= 0) {
    try {
      return JSON.parse(stdout.slice(k));
    } catch {}
  }
  return null;
}

/** The correctness checks on one run's JSON. */
function checkReport(rep, packets, scanner) {
  if (!rep || typeof rep !== 'object') return { parsed: false };
  const dets = Array.isArray(rep.detections) ? rep.detections : [];
  const scan = dets.find((d) => d && d.src === scanner && d.type === 'tcp-syn') ?? null;
  const others = dets.filter((d) => !d || d.src !== scanner);
  return {
    parsed: true,
    packets_reported: rep.packets,
    packets_ok: rep.packets === packets,
    detections: dets.length,
    scan_found: !!scan,
    scan_detection: scan
      ? {
          pattern: scan.pattern ?? null,
          targets: scan.targets ?? null,
          ports: scan.ports ?? null,
          probes: scan.probes ?? null,
          tool: scan.tool ?? null,
          open_ports: scan.open_ports ?? null,
          detected_after_probes: scan.detected_after_probes ?? null,
        }
      : null,
    other_sources: others.length,
    other_examples: others.slice(0, 5).map((d) => (d ? `${d.src} ${d.type}` : String(d))),
    decode_errors: rep.decode_errors ?? null,
    evictions: rep.evictions ?? null,
  };
}

// ---------------------------------------------------------------------------

const opt = parseArgs(process.argv.slice(2));
const cli = path.resolve(ROOT, opt.cli);
if (!fs.existsSync(cli)) die(`${opt.cli} not found: run \`npm run build\` first`);
if (!fs.existsSync(GNU_TIME)) die(`${GNU_TIME} (GNU time) is missing: apt-get install -y time`);
if (!which('taskset')) die('taskset is missing: apt-get install -y util-linux');
if (!which('tcpdump')) die('tcpdump is missing: apt-get install -y tcpdump');
if (!which('node')) die('node is not on PATH');

const machine = machineFacts(opt.cpu);
if (opt.big) {
  bigRun();
  process.exit(0);
}

let meta;
try {
  meta = ensureFlood({ quick: !!opt.quick, force: !!opt.force, scan: opt.scan, log });
} catch (e) {
  die(`cannot build the capture: ${e.message}`);
}
const file = meta.file;
const N = meta.packets;
const scanner = meta.scan.scanner;

// Where the single-file figures stop (issue 11 items 1 and 2): the same
// analysis of the file's first 1,000 packets is what every run pays before
// and after its packet loop (node's start, loading, tables, the report),
// which no thread shares; bench/floor.mjs is the least any JavaScript
// analysis does per packet. Both run in the same alternation.
const head = headCapture(file, 1000);
const sw = [];
const td = [];
const fixed = [];
const floor = [];
for (let r = 1; r <= opt.runs; r++) {
  log(`scanwatch run ${r}/${opt.runs}: taskset -c ${opt.cpu} ${GNU_TIME} -f '${TIME_FORMAT}' node ${opt.cli} analyze ${file} --format json`);
  const res = timed(opt.cpu, 'node', [cli, 'analyze', file, '--format', 'json'], true);
  const check = checkReport(parseReport(res.stdout), N, scanner);
  const run = { run: r, exit: res.status, signal: res.signal, ...res.figures, parent_wall_s: round(res.parent_wall_s, 3), check };
  if (res.status !== 0 || !res.figures) run.stderr_tail = res.stderr.trim().split('\n').slice(-10).join('\n');
  sw.push(run);
  if (res.status !== 0) log(`  exited ${res.status ?? res.signal}:\n${run.stderr_tail}`);
  else log(`  ${res.figures ? `${res.figures.wall_s} s, ${res.figures.max_rss_kib} KiB max RSS` : 'no timing figures'}`);

  log(`tcpdump run ${r}/${opt.runs}: taskset -c ${opt.cpu} ${GNU_TIME} -f '${TIME_FORMAT}' tcpdump -r ${file} -w /dev/null`);
  const tres = timed(opt.cpu, 'tcpdump', ['-r', file, '-w', '/dev/null'], false);
  td.push({ run: r, exit: tres.status, ...tres.figures, parent_wall_s: round(tres.parent_wall_s, 3) });
  if (tres.status !== 0) log(`  tcpdump exited ${tres.status}: ${tres.stderr.trim()}`);

  log(`fixed-cost run ${r}/${opt.runs}: taskset -c ${opt.cpu} node ${opt.cli} analyze ${head} --format json`);
  const fres = timed(opt.cpu, 'node', [cli, 'analyze', head, '--format', 'json'], false);
  if (fres.status !== 0 || !fres.figures) die(`analyze ${head} exited ${fres.status ?? fres.signal}: ${fres.stderr.trim().split('\n').pop()}`);
  fixed.push(fres.figures.wall_s);

  log(`floor run ${r}/${opt.runs}: taskset -c ${opt.cpu} node bench/floor.mjs ${file}`);
  const lres = timed(opt.cpu, 'node', [path.join(ROOT, 'bench', 'floor.mjs'), file], true);
  if (lres.status !== 0 || !lres.figures) die(`bench/floor.mjs exited ${lres.status ?? lres.signal}: ${lres.stderr.trim()}`);
  let loopS = null;
  try {
    loopS = JSON.parse(lres.stdout).loop_s;
  } catch {}
  if (typeof loopS !== 'number') die(`bench/floor.mjs printed no loop time: ${lres.stdout.trim()}`);
  floor.push({ wall_s: lres.figures.wall_s, loop_s: loopS });
}

// Thread scaling (issue 11 item 2): --threads analyses files read as
// separate captures on worker threads, one whole file per thread. Two
// flood captures of 8 M packets each (as rotated hourly files would be;
// --quick: the 200 k file and one more), on every core, --threads 1 and
// --threads 2 (two files: more threads would idle) alternating; a fixed
// --hash-seed makes the two reports comparable byte for byte. Each thread
// pays node's start-up and V8's compiling once (about 0.3 s here), so
// small files scale less.
const pairThreads = Math.min(2, os.availableParallelism());
const allCpus = `0-${os.availableParallelism() - 1}`;
const pairPackets = opt.quick ? N : 8_000_000;
const pair = [];
try {
  for (const [k, name] of ['a', 'b'].entries()) {
    const out = opt.quick ? (k === 0 ? file : file.replace(/\.pcap$/, '-b.pcap')) : path.join(path.dirname(file), `flood-8m-${name}.pcap`);
    const m = k === 0 && opt.quick ? meta : ensureFlood({ packets: pairPackets, force: !!opt.force, scan: opt.scan, seed: meta.seed + k, out, log });
    pair.push(m.file);
  }
} catch (e) {
  die(`cannot build the thread-scaling captures: ${e.message}`);
}
const scaling = { files: pair, packets: 2 * pairPackets, cores: os.availableParallelism(), threads: [1, pairThreads], runs: { 1: [], [pairThreads]: [] }, identical: true };
let reference = null;
for (let r = 1; r <= opt.runs && pairThreads > 1; r++) {
  for (const t of scaling.threads) {
    const args = [cli, 'analyze', ...pair, '--format', 'json', '--threads', String(t), '--hash-seed', '1'];
    log(`threads run ${r}/${opt.runs}: taskset -c ${allCpus} node ${opt.cli} analyze ${pair.join(' ')} --format json --threads ${t} --hash-seed 1`);
    const res = timed(allCpus, 'node', args, true);
    if (res.status !== 0 || !res.figures) die(`--threads ${t} exited ${res.status ?? res.signal}: ${res.stderr.trim().split('\n').pop()}`);
    if (reference === null) reference = res.stdout;
    else if (res.stdout !== reference) scaling.identical = false;
    scaling.runs[t].push({ run: r, ...res.figures });
    log(`  ${res.figures.wall_s} s, ${res.figures.max_rss_kib} KiB max RSS`);
  }
}
const threadWall = (t) => (scaling.runs[t].length ? median(scaling.runs[t].map((x) => x.wall_s)) : null);
const threadRss = (t) => (scaling.runs[t].length ? Math.max(...scaling.runs[t].map((x) => x.max_rss_kib)) : null);
scaling.median_wall_s = { 1: threadWall(1), [pairThreads]: threadWall(pairThreads) };
scaling.peak_rss_kib = { 1: threadRss(1), [pairThreads]: threadRss(pairThreads) };
scaling.speedup = scaling.median_wall_s[1] && scaling.median_wall_s[pairThreads] ? scaling.median_wall_s[1] / scaling.median_wall_s[pairThreads] : null;

/** The first `n` records of a classic pcap, written beside it once (the fixed-cost run's input). */
function headCapture(src, n) {
  const out = src.replace(/\.pcap$/, `-head${n}.pcap`);
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(src).mtimeMs) return out;
  const fd = fs.openSync(src, 'r');
  const chunk = Buffer.alloc(1 << 20);
  const got = fs.readSync(fd, chunk, 0, chunk.length, 0);
  fs.closeSync(fd);
  let pos = 24;
  for (let k = 0; k < n && pos + 16 <= got; k++) {
    const next = pos + 16 + chunk.readUInt32LE(pos + 8);
    if (next > got) break;
    pos = next;
  }
  fs.writeFileSync(out, chunk.subarray(0, pos));
  return out;
}

function round(x, d) {
  return x == null || !Number.isFinite(x) ? null : Math.round(x * 10 ** d) / 10 ** d;
}

const swOk = sw.every((r) => r.exit === 0 && r.wall_s != null);
const tdOk = td.every((r) => r.exit === 0 && r.wall_s != null);
const swWall = swOk ? median(sw.map((r) => r.wall_s)) : null;
const tdWall = tdOk ? median(td.map((r) => r.wall_s)) : null;
const peakRssKib = sw.some((r) => r.max_rss_kib != null) ? Math.max(...sw.filter((r) => r.max_rss_kib != null).map((r) => r.max_rss_kib)) : null;
const peakRssMb = peakRssKib == null ? null : (peakRssKib * 1024) / 1e6; // MB = 10^6 bytes
const pps = swWall ? N / swWall : null;
const tdPps = tdWall ? N / tdWall : null;
const ratio = swWall && tdWall ? swWall / tdWall : null;
const fixedWall = median(fixed);
const floorWall = median(floor.map((x) => x.wall_s));
const floorLoop = median(floor.map((x) => x.loop_s));
// Amdahl: the fixed part runs once whatever the threads; the rest split
// perfectly in two, with workers that cost nothing to start.
const ceiling2 = swWall && swWall > fixedWall ? swWall / (fixedWall + (swWall - fixedWall) / 2) : null;
const limits = {
  fixed: { command: `taskset -c ${opt.cpu} ${GNU_TIME} -f '${TIME_FORMAT}' node ${opt.cli} analyze ${head} --format json`, median_wall_s: fixedWall },
  floor: { command: `taskset -c ${opt.cpu} ${GNU_TIME} -f '${TIME_FORMAT}' node bench/floor.mjs ${file}`, median_wall_s: floorWall, median_loop_s: floorLoop, ratio_to_tcpdump: tdWall ? round(floorWall / tdWall, 2) : null },
  loop_ns_per_packet: swWall ? round(((swWall - fixedWall) / N) * 1e9, 0) : null,
  floor_loop_ns_per_packet: round((floorLoop / N) * 1e9, 0),
  // Issue 11 item 1: what a packet may cost if the whole run is to take at most twice tcpdump's time.
  budget_ns_per_packet_at_2x_tcpdump: tdWall ? round(((2 * tdWall - fixedWall) / N) * 1e9, 0) : null,
  one_file_two_threads_ceiling: round(ceiling2, 2),
};
const checks = sw.map((r) => r.check);
const allParsed = checks.every((c) => c.parsed);
const packetsOk = allParsed && checks.every((c) => c.packets_ok);
const scanFound = allParsed && checks.every((c) => c.scan_found);
const noFlood = allParsed && checks.every((c) => c.other_sources === 0);
const c0 = checks.find((c) => c.parsed) ?? checks[0];
const perfGates = !opt.quick;

const failedRuns = sw.filter((r) => r.exit !== 0);
const requirements = [
  {
    id: 'runs_ok',
    requirement: 'tool exits 0 and prints its JSON report',
    measured: failedRuns.length
      ? `run ${failedRuns[0].run} exited ${failedRuns[0].exit ?? failedRuns[0].signal}: ${(failedRuns[0].stderr_tail || '').split('\n').pop().slice(0, 80)}`
      : allParsed
        ? `${sw.length} of ${sw.length} runs`
        : 'output was not JSON',
    value: failedRuns.length === 0 && allParsed,
    pass: failedRuns.length === 0 && allParsed,
    gates: true,
  },
  {
    id: 'throughput',
    requirement: `>= ${REQ_PPS.toLocaleString('en-US')} packets/s end to end`,
    measured: pps == null ? 'no successful run' : `${fmtInt(pps)} pkt/s (median wall ${swWall.toFixed(2)} s)`,
    value: round(pps, 0),
    pass: pps != null && pps >= REQ_PPS,
    gates: perfGates,
  },
  {
    id: 'peak_rss',
    requirement: `peak RSS <= ${REQ_RSS_MB} MB`,
    measured: peakRssMb == null ? 'unknown' : `${peakRssMb.toFixed(1)} MB (${fmtInt(peakRssKib)} KiB, max of ${opt.runs} runs)`,
    value: round(peakRssMb, 1),
    pass: peakRssMb != null && peakRssMb <= REQ_RSS_MB,
    gates: perfGates,
  },
  {
    id: 'packets',
    requirement: `tool reports packets == ${fmtInt(N)}`,
    measured: !allParsed ? 'output was not JSON' : [...new Set(checks.map((c) => c.packets_reported))].map((p) => (typeof p === 'number' ? fmtInt(p) : String(p))).join(', '),
    value: c0?.packets_reported ?? null,
    pass: packetsOk,
    gates: true,
  },
  {
    id: 'scan_found',
    requirement: `nmap scan found (${scanner}, tcp-syn)`,
    measured: !allParsed
      ? 'output was not JSON'
      : scanFound
        ? describeScan(c0.scan_detection)
        : `not reported in ${checks.filter((c) => !c.scan_found).length} of ${checks.length} runs`,
    value: scanFound,
    pass: scanFound,
    gates: true,
  },
  {
    id: 'no_flood_source',
    requirement: 'no flood source reported',
    measured: !allParsed
      ? 'output was not JSON'
      : noFlood
        ? `0 of ${c0.detections} detection(s) from another source`
        : `${Math.max(...checks.map((c) => c.other_sources))} detection(s) from other sources, e.g. ${c0.other_examples.join('; ')}`,
    value: allParsed ? Math.max(...checks.map((c) => c.other_sources)) : null,
    pass: noFlood,
    gates: true,
  },
];
if (pairThreads > 1) {
  requirements.push({
    id: 'threads_identical',
    requirement: `--threads ${pairThreads} report identical to --threads 1 (two files)`,
    measured: scaling.identical ? `identical in all ${opt.runs * 2} runs` : 'reports differ',
    value: scaling.identical,
    pass: scaling.identical,
    gates: true,
  });
}
const ok = requirements.every((q) => q.pass || !q.gates);

function fmtInt(x) {
  return Math.round(x).toLocaleString('en-US');
}
function describeScan(d) {
  if (!d) return 'yes';
  const bits = [d.pattern, d.ports != null ? `${d.ports} ports` : null, d.probes != null ? `${d.probes} probes` : null, `tool ${d.tool ?? 'null'}`];
  if (d.detected_after_probes != null) bits.push(`after ${d.detected_after_probes} probes`);
  return `yes: ${bits.filter(Boolean).join(', ')}`;
}

const live = liveRows();

const result = {
  ok,
  live,
  mode: opt.quick ? 'quick (smoke: performance rows do not gate)' : 'full',
  machine,
  capture: {
    file,
    packets: N,
    bytes: meta.bytes,
    flood_packets: meta.flood.packets,
    scan_packets: meta.scan.packets,
    scan_file: meta.scan.file,
    scanner,
    scan_time: [meta.scan.first, meta.scan.last],
    time_range: [meta.first, meta.last],
    seed: meta.seed,
  },
  scanwatch: {
    command: `taskset -c ${opt.cpu} ${GNU_TIME} -f '${TIME_FORMAT}' node ${opt.cli} analyze ${file} --format json`,
    cli: opt.cli,
    cli_built: fs.statSync(cli).mtime.toISOString(),
    runs: sw,
    median_wall_s: swWall,
    packets_per_s: round(pps, 0),
    peak_rss_kib: peakRssKib,
    peak_rss_mb: round(peakRssMb, 1),
  },
  tcpdump: {
    command: `taskset -c ${opt.cpu} ${GNU_TIME} -f '${TIME_FORMAT}' tcpdump -r ${file} -w /dev/null`,
    runs: td,
    median_wall_s: tdWall,
    packets_per_s: round(tdPps, 0),
  },
  ratio_scanwatch_to_tcpdump: round(ratio, 2),
  limits,
  thread_scaling: { ...scaling, command: `taskset -c ${allCpus} ${GNU_TIME} -f '${TIME_FORMAT}' node ${opt.cli} analyze ${pair.join(' ')} --format json --threads T --hash-seed 1`, speedup: round(scaling.speedup, 2) },
  requirements: requirements.map(({ id, requirement, value, pass, gates }) => ({ id, requirement, value, pass, gates })),
};

if (opt.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const out = [];
  const mb = (b) => `${(b / 1e6).toFixed(1)} MB`;
  out.push(`scanwatch analyze benchmark${opt.quick ? ' (--quick smoke run)' : ''}`);
  out.push(`  capture : ${file}, ${fmtInt(N)} packets, ${mb(meta.bytes)}: ${fmtInt(meta.flood.packets)} spoofed SYNs + ${meta.scan.packets} frames of nmap scan by ${scanner} (${meta.scan.file})`);
  out.push(`  tool    : node ${opt.cli} (built ${result.scanwatch.cli_built}), git HEAD ${machine.git_head ?? '?'}`);
  out.push(`  machine : ${machine.cpu_model ?? '?'}, nproc ${machine.nproc ?? '?'}, ${machine.memory_gib} GiB, ${machine.kernel}, node ${machine.node ?? '?'}, ${machine.tcpdump ?? 'tcpdump ?'}; pinned to CPU ${opt.cpu}`);
  out.push('');
  const rows = [['run', 'scanwatch wall', 'user', 'sys', 'max RSS', 'exit', 'tcpdump wall']];
  for (let k = 0; k < opt.runs; k++) {
    const s = sw[k];
    const t = td[k];
    rows.push([
      String(k + 1),
      s.wall_s != null ? `${s.wall_s.toFixed(2)} s` : '-',
      s.user_s != null ? `${s.user_s.toFixed(2)} s` : '-',
      s.sys_s != null ? `${s.sys_s.toFixed(2)} s` : '-',
      s.max_rss_kib != null ? `${((s.max_rss_kib * 1024) / 1e6).toFixed(1)} MB` : '-',
      String(s.exit ?? s.signal),
      t.wall_s != null ? `${t.wall_s.toFixed(2)} s` : '-',
    ]);
  }
  rows.push([
    'median',
    swWall != null ? `${swWall.toFixed(2)} s` : '-',
    '',
    '',
    peakRssMb != null ? `${peakRssMb.toFixed(1)} MB (max)` : '-',
    '',
    tdWall != null ? `${tdWall.toFixed(2)} s` : '-',
  ]);
  out.push(...table(rows));
  out.push('');
  out.push(
    `  scanwatch: ${pps != null ? `${fmtInt(pps)} pkt/s` : '-'} (tool reported ${c0?.packets_reported ?? '?'} packets)   ` +
      `tcpdump -r FILE -w /dev/null: ${tdPps != null ? `${fmtInt(tdPps)} pkt/s` : '-'}   ` +
      `ratio scanwatch/tcpdump: ${ratio != null ? `${ratio.toFixed(2)}x` : '-'}`,
  );
  out.push(
    `  fixed cost (the same analysis of the first 1,000 packets): ${fixedWall.toFixed(2)} s   ` +
      `JS floor (bench/floor.mjs: read, find the source, remember it): ${floorWall.toFixed(2)} s = ${limits.floor.ratio_to_tcpdump ?? '-'}x tcpdump`,
  );
  out.push(
    `  per packet: scanwatch ${limits.loop_ns_per_packet ?? '-'} ns (beyond the fixed cost), floor ${limits.floor_loop_ns_per_packet ?? '-'} ns (its loop); ` +
      `at 2x tcpdump a packet may cost ${limits.budget_ns_per_packet_at_2x_tcpdump ?? '-'} ns`,
  );
  out.push(`  one file on 2 threads at best (the fixed cost once, the rest split for free, workers free to start): ${ceiling2 != null ? `${ceiling2.toFixed(2)}x` : '-'}`);
  out.push('');
  if (pairThreads > 1) {
    out.push(`  threads: two flood captures read as separate captures (${pair.map((f) => path.basename(f)).join(', ')}, ${fmtInt(scaling.packets)} packets), all ${os.availableParallelism()} cores:`);
    const trows = [['--threads', 'median wall', 'packets/s', 'max RSS']];
    for (const t of scaling.threads) {
      const w = scaling.median_wall_s[t];
      trows.push([String(t), w != null ? `${w.toFixed(2)} s` : '-', w ? fmtInt(scaling.packets / w) : '-', scaling.peak_rss_kib[t] != null ? `${((scaling.peak_rss_kib[t] * 1024) / 1e6).toFixed(1)} MB` : '-']);
    }
    out.push(...table(trows));
    out.push(`  speedup ${pairThreads} threads / 1: ${scaling.speedup != null ? `${scaling.speedup.toFixed(2)}x` : '-'} (one file is analysed by one thread: the single-file run above does not scale)`);
    out.push('');
  }
  const vrows = [['requirement', 'measured', 'verdict']];
  for (const q of requirements) vrows.push([q.requirement, q.measured, q.pass ? 'PASS' : q.gates ? 'FAIL' : 'fail (not gating in --quick)']);
  out.push(...table(vrows));
  out.push('');
  out.push(...liveText(live));
  out.push('');
  out.push(ok ? 'RESULT: PASS' : 'RESULT: FAIL');
  console.log(out.join('\n'));
}
process.exit(ok ? 0 : 1);

function table(rows) {
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r) => '  ' + r.map((cell, c) => cell.padEnd(w[c])).join('  ').trimEnd();
  return [line(rows[0]), '  ' + w.map((n) => '-'.repeat(n)).join('  '), ...rows.slice(1).map(line)];
}

/**
 * The 10 GB run (issue 11 item 3): memory must stay what it is on the 2 M
 * file, whatever the size; the progress bar is drawn as on a terminal.
 */
function bigRun() {
  const BIG_PACKETS = 136_000_000; // 74 bytes a record on average: 10.06 GB
  const out = path.join(ROOT, 'bench/out/flood-10g.pcap');
  let big;
  try {
    big = ensureFlood({ packets: BIG_PACKETS, out, force: !!opt.force, scan: opt.scan, log });
  } catch (e) {
    die(`cannot build the 10 GB capture: ${e.message}`);
  }
  if (!which('script')) die('script (util-linux) is missing: apt-get install -y util-linux');
  const tf = path.join(os.tmpdir(), `scanwatch-bench-big-${process.pid}`);
  const json = path.join(os.tmpdir(), `scanwatch-bench-big-${process.pid}.json`);
  const command = `taskset -c ${opt.cpu} ${GNU_TIME} -o ${tf} -f '${TIME_FORMAT}' node ${cli} analyze ${big.file} --format json > ${json}`;
  log(`big run: script -qfec "${command}" /dev/null`);
  const r = spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 2 ** 28 });
  const figures = fs.readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  const rep = JSON.parse(fs.readFileSync(json, 'utf8'));
  fs.rmSync(tf, { force: true });
  fs.rmSync(json, { force: true });
  // The bar redraws with carriage returns: its last state is the text after the last one.
  const progress = (r.stdout ?? '').split(/\r|\n/).map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim()).filter((l) => l.length > 0);
  const check = checkReport(rep, big.packets, big.scan.scanner);
  const result = {
    capture: { file: big.file, packets: big.packets, bytes: big.bytes },
    command,
    exit: r.status,
    wall_s: figures[0],
    peak_rss_mb: round((figures[1] * 1024) / 1e6, 1),
    packets_per_s: round(big.packets / figures[0], 0),
    progress_lines: progress.length,
    last_progress: progress.filter((l) => /read|%/.test(l)).pop() ?? null,
    check,
    machine,
  };
  console.log(JSON.stringify(result, null, 2));
  if (r.status !== 0 || !check.packets_ok || !check.scan_found || check.other_sources !== 0) process.exit(1);
}

/**
 * The live sensor's figures beside the offline ones (issue 7 item 6): the
 * quick configuration of bench/run-live.mjs, which needs root (network
 * namespaces, raw capture). They inform; the offline requirements gate.
 */
function liveRows() {
  if (opt.noLive || opt.quick) return { skipped: opt.quick ? '--quick' : '--no-live' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { skipped: 'not root: run `sudo npm run bench` (or `sudo npm run bench:live` for every configuration)' };
  }
  const args = [path.join(ROOT, 'bench/run-live.mjs'), '--quick', '--json', '--cli', opt.cli];
  log(`live sensor: node ${args.map((a) => path.relative(ROOT, a) || a).join(' ')}`);
  const r = spawnSync('node', args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 2 ** 28, stdio: ['ignore', 'pipe', 'inherit'] });
  let rep = null;
  try {
    rep = JSON.parse(r.stdout);
  } catch {}
  if (rep === null) return { error: `bench/run-live.mjs exited ${r.status ?? r.signal} without its JSON report` };
  return {
    command: `node bench/run-live.mjs --quick --json --cli ${opt.cli}`,
    ok: rep.ok,
    summary: rep.summary.map((x) => ({
      offloads: x.veth_offloads,
      buffer: x.buffer,
      rate: x.rate,
      sent: x.sent,
      counted: x.counted,
      kernel_drops: x.kernel_drops,
      unaccounted: x.unaccounted,
      cpu_s_per_m: x.cpu_s_per_m_median,
      peak_rss_mb: x.peak_rss_mb_max,
    })),
  };
}

function liveText(l) {
  if (l.skipped !== undefined) return [`  live sensor: skipped (${l.skipped})`];
  if (l.error !== undefined) return [`  live sensor: ${l.error}`];
  const rows = [['live: replay', 'buffer', 'sent', 'counted', 'kernel drops', 'unaccounted', 'CPU s per M packets', 'peak RSS']];
  for (const x of l.summary) {
    rows.push([`tcpreplay ${x.rate}`, String(x.buffer), fmtInt(x.sent ?? 0), x.counted.map(fmtInt).join(', '), x.kernel_drops.join(', '), x.unaccounted.join(', '), x.cpu_s_per_m == null ? '-' : x.cpu_s_per_m.toFixed(2), x.peak_rss_mb == null ? '-' : `${x.peak_rss_mb.toFixed(0)} MB`]);
  }
  return ['', `  live sensor (${l.command}; offloads as the kernel set them):`, ...table(rows)];
}
