#!/usr/bin/env node
// Live-sensor bench: replays spoofed-source SYN floods of 300,000 and
// 1,000,000 packets (bench/live/make-live-flood.mjs, lab addresses only)
// with tcpreplay from the scanner side of a network-namespace lab
// (test/e2e/lab.ts) into the veth on which `scanwatch live` captures, at
// --topspeed and at 50,000 packets/s, and reports per configuration:
//
//   * the rate tcpreplay reached ("Rated: ... pps") and the frames it sent,
//   * the frames the target veth received (its rx_packets counter),
//   * the frames the sensor counted (scanwatch_packets_total from /metrics;
//     the sensor runs with --filter "ether src <replay MAC>", so nothing
//     else is counted) and the loss,
//   * the kernel's drop counters as the sensor reports them
//     (scanwatch_capture_kernel_drops_total, ..._interface_drops_total), and
//     whether counted + dropped equals what the veth received,
//   * the sensor's CPU time (utime + stime from /proc/PID/stat, before the
//     replay and right after the first scrape that returned the final
//     count) per million packets counted (the JSON also has the CPU up to
//     the end of the 1.5 s settle wait, which adds the bench's own scrapes),
//   * the sensor's peak RSS (VmHWM from /proc/PID/status) against --buffer-size,
//   * the sensor's CPU and wake-ups per second over 3 s with no traffic,
//   * from sensor_stopped's capture_cpu (counted by the binding): the main
//     thread's CPU in the capture itself (libpcap, the copy) and in the
//     rules, per million packets, and the capture's wake-ups per second.
//
// Each run starts a fresh sensor. Needs root, a built dist/ (npm run build),
// the devDependency typescript (to load test/e2e/lab.ts) and the Debian
// packages iproute2 iputils-ping procps util-linux ethtool tcpreplay curl.
//
//   node bench/run-live.mjs [--quick] [--runs N] [--packets N] [--json]
//                           [--no-pin] [--sensor-cpu N] [--replay-cpu N]
//                           [--cli PATH]
//
//   --quick        one run each of topspeed and 50k pps at the defaults
//   --runs N       runs of each configuration (default 3; medians reported)
//   --json         print every run and the summary as JSON instead of the table
//   --no-pin       do not pin the sensor and tcpreplay to separate cores
//   --sensor-cpu N core for the sensor (default 0); --replay-cpu N for tcpreplay (default 1)
//   --cli PATH     the scanwatch entry point, for the sensor and for analyze
//                  (default dist/cli/main.js; another checkout's, to compare)
//
// Exit status 0 when every run completed (loss is reported, not judged), 1 otherwise.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeLiveFlood, REPLAY_FILTER } from './live/make-live-flood.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (...a) => console.error(...a);
const die = (msg) => {
  console.error(`bench-live: ${msg}`);
  process.exit(1);
};

function parseArgs(argv) {
  const o = { runs: 3, pin: true, sensorCpu: '0', replayCpu: '1', cli: 'dist/cli/main.js' };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const val = () => {
      if (k + 1 >= argv.length) die(`${a} needs a value`);
      return argv[++k];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--json') o.json = true;
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--no-pin') o.pin = false;
    else if (a === '--sensor-cpu') o.sensorCpu = val();
    else if (a === '--replay-cpu') o.replayCpu = val();
    else if (a === '--cli') o.cli = val();
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node bench/run-live.mjs [--quick] [--runs N] [--json] [--no-pin] [--sensor-cpu N] [--replay-cpu N] [--cli PATH]',
      );
      process.exit(0);
    } else die(`unknown argument ${a}`);
  }
  if (!(Number.isInteger(o.runs) && o.runs >= 1)) die('--runs must be a positive integer');
  if (!/^\d+$/.test(o.sensorCpu) || !/^\d+$/.test(o.replayCpu)) die('--sensor-cpu/--replay-cpu must be core numbers');
  return o;
}

const opt = parseArgs(process.argv.slice(2));
if (opt.quick) opt.runs = 1;

// The matrix: [veth offloads, --buffer-size, tcpreplay rate option, packets].
// 'default' = the veth driver's offloads as the kernel set them (what a
// user has); 'off' = checksum/segmentation offloads off (as the fixtures).
const CONFIGS = opt.quick
  ? [
      ['default', '128MiB', '--topspeed', 1_000_000],
      ['default', '128MiB', '--pps=50000', 300_000],
    ]
  : [
      ['default', '128MiB', '--topspeed', 1_000_000],
      ['default', '128MiB', '--topspeed', 300_000],
      ['default', '128MiB', '--pps=50000', 300_000],
      ['default', '32MiB', '--topspeed', 1_000_000],
      ['default', '512MiB', '--topspeed', 1_000_000],
      ['off', '128MiB', '--topspeed', 1_000_000],
    ];

// ---------------------------------------------------------------------------
// prerequisites

if (process.getuid?.() !== 0) die('must run as root (network namespaces, raw capture): sudo node bench/run-live.mjs');
const cli = path.resolve(ROOT, opt.cli);
if (!fs.existsSync(cli)) die(`${path.relative(ROOT, cli)} is missing: run npm run build`);
const need = { ip: 'iproute2', ss: 'iproute2', ping: 'iputils-ping', sysctl: 'procps', taskset: 'util-linux', ethtool: 'ethtool', tcpreplay: 'tcpreplay', curl: 'curl' };
const missing = Object.entries(need).filter(([c]) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
if (missing.length) die(`missing ${missing.map(([c]) => c).join(', ')}: apt-get install -y ${[...new Set(missing.map(([, p]) => p))].join(' ')}`);
if (opt.pin && os.cpus().length < 2) {
  log('note: fewer than 2 cores; not pinning');
  opt.pin = false;
}

// test/e2e/lab.ts is the one lab implementation; load it through the project's TypeScript.
let ts;
try {
  ts = (await import('typescript')).default;
} catch {
  die('the devDependency typescript is not installed: run npm ci');
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-bench-live-'));
const cleanupWork = () => fs.rmSync(work, { recursive: true, force: true });
process.on('exit', cleanupWork);
const labSrc = fs.readFileSync(path.join(ROOT, 'test/e2e/lab.ts'), 'utf8');
const labJs = ts.transpileModule(labSrc, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
fs.writeFileSync(path.join(work, 'lab.mjs'), labJs);
const L = await import(pathToFileURL(path.join(work, 'lab.mjs')).href);

// ---------------------------------------------------------------------------
// the capture

const floods = new Map(); // packets -> file
for (const packets of new Set([1000, ...CONFIGS.map((c) => c[3])])) {
  const file = path.join(work, `live-flood-${packets}.pcap`);
  const flood = makeLiveFlood({ packets, out: file });
  floods.set(packets, file);
  log(`capture: ${flood.packets.toLocaleString('en-US')} frames (${flood.ipv4.toLocaleString('en-US')} IPv4 + ${flood.ipv6.toLocaleString('en-US')} IPv6 SYNs, one per source), ${flood.bytes.toLocaleString('en-US')} bytes`);
}

/**
 * CPU seconds (user + system) of `scanwatch analyze` on the same capture:
 * the engine's share, so that live minus offline is what the capture layer
 * costs. Measured with GNU time, in the same conditions as the live runs.
 */
const offlineCache = new Map();
function offlineCpu(file) {
  if (!offlineCache.has(file)) {
    // minus node's start-up and module loading, measured on a 1,000-packet file
    const cost = cpuOfAnalyze(file);
    const base = cpuOfAnalyze(floods.get(1000));
    offlineCache.set(file, cost === null || base === null ? null : cost - base);
  }
  return offlineCache.get(file);
}
function cpuOfAnalyze(file) {
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, cli, 'analyze', file, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  return m ? Number(m[1]) + Number(m[2]) : null;
}

/** How long the bench watches the sensor with no traffic before each replay. */
const IDLE_MS = 3000;

/** Times the process's main thread went to sleep (voluntary context switches). */
function wakeups(pid) {
  const m = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

/**
 * CPU time of all the process's threads in nanoseconds (the first field of
 * /proc/PID/task/TID/schedstat): utime and stime count in 10 ms ticks, too
 * coarse for a few seconds of an idle process.
 */
function runNs(pid) {
  const t = threadNs(pid);
  return t.main + t.other;
}

/**
 * The same, split into the main thread (the event loop: capture, parser,
 * engine) and the others (V8's compiler and GC helper threads, libuv's
 * pool): where the CPU goes besides the packet path.
 */
function threadNs(pid) {
  let main = 0;
  let other = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      if (Number(tid) === pid) main += ns;
      else other += ns;
    } catch {
      // the thread ended meanwhile
    }
  }
  return { main, other };
}

/** Peak resident set of a process (VmHWM), in bytes. */
function peakRss(pid) {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : null;
}

// ---------------------------------------------------------------------------
// runs

const labs = new Map(); // offloads -> the Lab in use
const allLabs = [];
async function labFor(offloads) {
  if (!labs.has(offloads)) {
    // one lab at a time (the namespace names are per process)
    for (const [k, other] of labs) {
      await other.destroy();
      labs.delete(k);
    }
    log(`building lab (veth offloads ${offloads === 'off' ? 'off, as in test/e2e' : 'left at the driver defaults'}) ...`);
    const lab = await L.Lab.create({ root: ROOT, prefix: 'swbench', services: false, offloads });
    // --cli names the sensor too (e.g. another checkout's build, to compare)
    lab.sensorMain = cli;
    allLabs.push(lab);
    labs.set(offloads, lab);
  }
  return labs.get(offloads);
}

/**
 * Waits until scanwatch_packets_total has not changed for `quietMs` and
 * returns it with the sensor's CPU seconds read right after the scrape that
 * first returned that final count. The sensor's CPU is measured up to the
 * moment it had counted every packet: the quiet period after it is the
 * bench's own polling (a /metrics scrape every 100 ms costs the sensor
 * about 5 ms of CPU each, 15 of them while waiting), which is not the
 * sensor's cost per packet (a Prometheus scrapes every 15 to 60 s).
 */
async function settledCount(sensor, quietMs, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let since = Date.now();
  let cpuAtCount = sensor.cpuSeconds();
  let threadsAtCount = threadNs(sensor.pid);
  for (;;) {
    const v = (await sensor.metric('scanwatch_packets_total')) ?? 0;
    const cpu = sensor.cpuSeconds();
    const threads = threadNs(sensor.pid);
    if (v !== last) {
      last = v;
      since = Date.now();
      cpuAtCount = cpu;
      threadsAtCount = threads;
    } else if (Date.now() - since >= quietMs) {
      return { counted: v, cpuAtCount, threadsAtCount };
    }
    if (Date.now() > deadline) throw new Error(`scanwatch_packets_total did not settle within ${timeoutMs} ms (last ${last})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let listenPort = 9760;
async function runOnce(offloads, buffer, rateArg, packets) {
  const floodFile = floods.get(packets);
  const lab = await labFor(offloads);
  const listen = `127.0.0.1:${listenPort++}`;
  const sensor = lab.startSensor(['--filter', REPLAY_FILTER, '--listen', listen, '--buffer-size', buffer], {
    listen,
    name: 'bench-sensor',
    wrap: opt.pin ? ['taskset', '-c', opt.sensorCpu] : [],
  });
  try {
    await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 60_000);
    const idle = (await sensor.metric('scanwatch_packets_total')) ?? 0;
    if (idle !== 0) throw new Error(`the sensor counted ${idle} frames before the replay (filter leak)`);
    // What the sensor costs with no traffic at all (timers, its own
    // housekeeping): CPU and event-loop wake-ups over IDLE_MS.
    const idleCpu0 = runNs(sensor.pid);
    const idleWake0 = wakeups(sensor.pid);
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const idleCpuMsPerS = (runNs(sensor.pid) - idleCpu0) / 1e6 / (IDLE_MS / 1000);
    const idleWakeupsPerS = (wakeups(sensor.pid) - idleWake0) / (IDLE_MS / 1000);
    const rx0 = await lab.ifStat(lab.tgtNs, L.TGT_IF, 'rx_packets');
    const cpu0 = sensor.cpuSeconds();
    const threads0 = threadNs(sensor.pid);
    const cmd = opt.pin ? ['taskset', ['-c', opt.replayCpu, 'tcpreplay', rateArg, '-i', L.SCAN_IF, floodFile]] : ['tcpreplay', [rateArg, '-i', L.SCAN_IF, floodFile]];
    const r = await lab.exec(lab.scanNs, cmd[0], cmd[1], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`tcpreplay exited ${r.code}: ${r.stderr.trim()}`);
    const tr = L.parseTcpreplay(r.stdout + r.stderr);
    const { counted, cpuAtCount, threadsAtCount } = await settledCount(sensor, 1500, 120_000);
    const cpu = cpuAtCount - cpu0;
    const cpuWithPolling = sensor.cpuSeconds() - cpu0;
    const rx = (await lab.ifStat(lab.tgtNs, L.TGT_IF, 'rx_packets')) - rx0;
    const samples = await sensor.metrics();
    const kernelDrops = L.metricValue(samples, 'scanwatch_capture_kernel_drops_total', { interface: L.TGT_IF }) ?? 0;
    const ifDrops = L.metricValue(samples, 'scanwatch_capture_interface_drops_total', { interface: L.TGT_IF }) ?? 0;
    const rss = peakRss(sensor.pid);
    const offline = offlineCpu(floodFile);
    const row = {
      veth_offloads: offloads,
      buffer,
      rate: rateArg,
      packets,
      offline_cpu_s_per_m: offline === null ? null : offline / (packets / 1e6),
      sent: tr.actual,
      failed: tr.failed,
      replay_s: tr.seconds,
      replay_pps: Math.round(tr.pps),
      target_rx: rx,
      counted,
      lost: tr.actual - counted,
      loss_pct: (100 * (tr.actual - counted)) / tr.actual,
      kernel_drops: kernelDrops,
      interface_drops: ifDrops,
      unaccounted: rx - counted - kernelDrops,
      peak_rss_mb: rss === null ? null : Math.round(rss / 1e5) / 10,
      idle_cpu_ms_per_s: Math.round(idleCpuMsPerS * 10) / 10,
      idle_wakeups_per_s: Math.round(idleWakeupsPerS),
      cpu_s: Math.round(cpu * 1000) / 1000,
      cpu_s_with_settle_polling: Math.round(cpuWithPolling * 1000) / 1000,
      cpu_main_thread_s: Math.round((threadsAtCount.main - threads0.main) / 1e6) / 1000,
      cpu_other_threads_s: Math.round((threadsAtCount.other - threads0.other) / 1e6) / 1000,
      cpu_s_per_m: counted > 0 ? cpu / (counted / 1e6) : null,
    };
    // sensor_stopped's capture_cpu: the main thread's CPU in the capture
    // itself (libpcap, the copy) and in the rules (record loop and engine),
    // counted by the binding; no packet reaches the sensor before the
    // replay (its filter), so both are the replay's.
    await sensor.proc.stop(3000);
    const stopped = await waitFor(() => sensor.lines.find((l) => l.event === 'sensor_stopped'), 3000);
    const u = stopped?.capture_cpu;
    row.capture_wakeups = u?.wakeups ?? null;
    row.capture_batches = u?.batches ?? null;
    row.capture_path_s_per_m = u && counted > 0 ? u.capture_s / (counted / 1e6) : null;
    row.rules_s_per_m = u && counted > 0 ? u.rules_s / (counted / 1e6) : null;
    return row;
  } finally {
    await sensor.proc.stop(3000);
  }
}

async function waitFor(fn, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const median = (xs) => {
  const s = xs.filter((x) => x != null).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const runs = [];
let failed = false;
const onSignal = (sig) => {
  log(`\n${sig}: tearing the lab down`);
  for (const lab of allLabs) lab.destroySync();
  process.exit(130);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
try {
  for (const [offloads, buffer, rate, packets] of CONFIGS) {
    for (let i = 1; i <= opt.runs; i++) {
      log(`run: veth offloads ${offloads}, --buffer-size ${buffer}, tcpreplay ${rate}, ${packets} packets (${i}/${opt.runs}) ...`);
      try {
        const row = await runOnce(offloads, buffer, rate, packets);
        runs.push(row);
        log(`  offline analyze of the same file: ${row.offline_cpu_s_per_m?.toFixed(2)} s/M;`);
        log(`  ${row.replay_pps.toLocaleString('en-US')} pps, veth rx ${row.target_rx.toLocaleString('en-US')}, counted ${row.counted.toLocaleString('en-US')}, kernel drops ${row.kernel_drops}, CPU ${row.cpu_s} s = ${row.cpu_s_per_m?.toFixed(2)} s/M (main thread ${row.cpu_main_thread_s} s, other threads ${row.cpu_other_threads_s} s), peak RSS ${row.peak_rss_mb} MB; idle ${row.idle_cpu_ms_per_s} ms CPU and ${row.idle_wakeups_per_s} wake-ups per s`);
      } catch (e) {
        failed = true;
        log(`  failed: ${e.message}`);
        runs.push({ veth_offloads: offloads, buffer, rate, packets, error: e.message });
      }
    }
  }
} finally {
  for (const lab of allLabs) await lab.destroy();
  for (const lab of allLabs) {
    const left = lab.remainingNamespaces();
    if (left.length) {
      failed = true;
      log(`WARNING: namespaces left behind: ${left.join(', ')}`);
    }
  }
}

// ---------------------------------------------------------------------------
// report

const summary = CONFIGS.map(([offloads, buffer, rate, packets]) => {
  const rs = runs.filter((r) => r.veth_offloads === offloads && r.buffer === buffer && r.rate === rate && r.packets === packets && !r.error);
  return {
    veth_offloads: offloads,
    buffer,
    rate,
    packets,
    runs: rs.length,
    replay_pps_median: median(rs.map((r) => r.replay_pps)),
    sent: rs[0]?.sent ?? null,
    counted: rs.map((r) => r.counted),
    lost: rs.map((r) => r.lost),
    loss_pct_median: median(rs.map((r) => r.loss_pct)),
    target_rx: rs.map((r) => r.target_rx),
    kernel_drops: rs.map((r) => r.kernel_drops),
    unaccounted: rs.map((r) => r.unaccounted),
    cpu_s_per_m_median: median(rs.map((r) => r.cpu_s_per_m)),
    main_thread_s_per_m_median: median(rs.map((r) => r.cpu_main_thread_s / (r.counted / 1e6))),
    other_threads_s_per_m_median: median(rs.map((r) => r.cpu_other_threads_s / (r.counted / 1e6))),
    capture_path_s_per_m_median: median(rs.map((r) => r.capture_path_s_per_m)),
    rules_s_per_m_median: median(rs.map((r) => r.rules_s_per_m)),
    capture_wakeups_per_s_median: median(rs.map((r) => (r.capture_wakeups ?? NaN) / r.replay_s)),
    offline_cpu_s_per_m_median: median(rs.map((r) => r.offline_cpu_s_per_m)),
    idle_cpu_ms_per_s_median: median(rs.map((r) => r.idle_cpu_ms_per_s)),
    idle_wakeups_per_s_median: median(rs.map((r) => r.idle_wakeups_per_s)),
    peak_rss_mb_max: rs.length ? Math.max(...rs.map((r) => r.peak_rss_mb ?? 0)) : null,
  };
});

function facts() {
  const sh = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() || null;
  };
  let cpuModel = null;
  try {
    cpuModel = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ?? null;
  } catch {}
  return {
    cpu: cpuModel,
    nproc: os.cpus().length,
    kernel: os.release(),
    node: process.version,
    tcpreplay: (sh('tcpreplay', ['-V']) ?? '').split('\n')[0] || null,
    libpcap: sh('dpkg-query', ['-W', '-f=${Version}', 'libpcap0.8']),
    dist_built: (() => {
      try {
        return fs.statSync(cli).mtime.toISOString();
      } catch {
        return null;
      }
    })(),
    pinned: opt.pin ? { sensor: Number(opt.sensorCpu), tcpreplay: Number(opt.replayCpu) } : null,
    date: new Date().toISOString(),
  };
}

const result = { ok: !failed, runs_per_config: opt.runs, filter: REPLAY_FILTER, machine: facts(), summary, runs };
if (opt.json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  const fmt = (x) => (x == null ? '–' : Math.round(x).toLocaleString('en-US'));
  const span = (xs) => {
    if (!xs.length) return '–';
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    return lo === hi ? fmt(lo) : `${fmt(lo)}–${fmt(hi)}`;
  };
  const m = result.machine;
  console.log(`Machine: ${m.cpu}, nproc ${m.nproc}, Linux ${m.kernel}, node ${m.node}, ${m.tcpreplay}, libpcap ${m.libpcap}; dist built ${m.dist_built}; ${m.pinned ? `sensor pinned to CPU ${m.pinned.sensor}, tcpreplay to CPU ${m.pinned.tcpreplay}` : 'not pinned'}; ${opt.runs} run(s) per row, ${m.date}.`);
  console.log('');
  console.log('| veth offloads | --buffer-size | tcpreplay | replayed pkt/s (median) | frames sent | veth rx_packets | counted by sensor | kernel drops reported | rx − counted − drops | sensor CPU s per M packets (median) | of which main thread / other threads | of which capture path / rules (main thread) | capture wake-ups per s | same file offline (analyze) | peak RSS MB | idle CPU ms/s | idle wake-ups/s |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const s of summary) {
    console.log(
      `| ${s.veth_offloads} | ${s.buffer} | \`${s.rate}\` | ${fmt(s.replay_pps_median)} | ${fmt(s.sent)} | ${span(s.target_rx)} | ${span(s.counted)} | ${span(s.kernel_drops)} | ${span(s.unaccounted)} | ${s.cpu_s_per_m_median == null ? '–' : s.cpu_s_per_m_median.toFixed(2)} | ${s.main_thread_s_per_m_median == null ? '–' : `${s.main_thread_s_per_m_median.toFixed(2)} / ${s.other_threads_s_per_m_median.toFixed(2)}`} | ${s.capture_path_s_per_m_median == null ? '–' : `${s.capture_path_s_per_m_median.toFixed(3)} / ${s.rules_s_per_m_median.toFixed(2)}`} | ${s.capture_wakeups_per_s_median == null || Number.isNaN(s.capture_wakeups_per_s_median) ? '–' : Math.round(s.capture_wakeups_per_s_median)} | ${s.offline_cpu_s_per_m_median == null ? '–' : s.offline_cpu_s_per_m_median.toFixed(2)} | ${s.peak_rss_mb_max == null ? '–' : s.peak_rss_mb_max.toFixed(0)} | ${s.idle_cpu_ms_per_s_median == null ? '–' : s.idle_cpu_ms_per_s_median.toFixed(1)} | ${s.idle_wakeups_per_s_median == null ? '–' : Math.round(s.idle_wakeups_per_s_median)} |`,
    );
  }
  if (failed) console.log(`\n${runs.filter((r) => r.error).length} run(s) failed: ${[...new Set(runs.filter((r) => r.error).map((r) => r.error))].join('; ')}`);
}
process.exit(failed ? 1 : 0);
