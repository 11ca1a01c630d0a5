#!/usr/bin/env node
// Measures the bounds the README states (issue 12, items 4 and 5):
//
//   npm run build && node bench/bounds.mjs [--scanners 200000] [--ports 15]
//
// Builds (once, in bench/out/) two captures of 200,000 raw-SYN scanners
// probing 15 ports each (bench/make-scanners.mjs): one scanner after the
// other, and interleaved (every source sends its first probe before any
// sends its second). Runs `scanwatch analyze FILE --format json` on each
// under /usr/bin/time for peak RSS, and prints what was kept, dropped,
// reported and forgotten, as a table and a last JSON line.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeScannerCapture } from './make-scanners.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, def) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const scanners = arg('scanners', 200000);
const ports = arg('ports', 15);
const main = path.join(ROOT, 'dist/cli/main.js');
if (!fs.existsSync(main)) {
  console.error('bench/bounds: run npm run build first');
  process.exit(2);
}

function capture(interleaved) {
  const file = path.join(ROOT, `bench/out/scanners-${scanners}x${ports}${interleaved ? '-interleaved' : ''}.pcap`);
  if (!fs.existsSync(file)) writeScannerCapture(file, { scanners, ports, interleaved });
  return file;
}

function run(label, file, extra = []) {
  const out = path.join(os.tmpdir(), `scanwatch-bounds-${process.pid}.json`);
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, main, 'analyze', file, '--format', 'json', ...extra], {
    stdio: ['ignore', fs.openSync(out, 'w'), 'pipe'],
    encoding: 'utf8',
  });
  const seconds = (Date.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${label}: exit ${r.status}: ${r.stderr}`);
  const peakKiB = Number(r.stderr.trim().split('\n').at(-1));
  const j = JSON.parse(fs.readFileSync(out, 'utf8'));
  fs.rmSync(out);
  const reported = new Set(j.detections.map((d) => d.src)).size;
  return {
    run: label,
    options: extra.join(' ') || '-',
    packets: j.packets,
    detections_kept: j.detections.length,
    detections_dropped: j.detections_dropped,
    scanners_reported: reported + j.detections_dropped,
    reported_pct: Math.round((1000 * (reported + j.detections_dropped)) / scanners) / 10,
    ...j.coverage,
    evictions: j.evictions,
    peak_rss_mb: Math.round(peakKiB / 1024),
    seconds,
  };
}

const seq = capture(false);
const inter = capture(true);
const results = [
  run('one after the other', seq),
  run('one after the other', seq, ['--max-detections', '10000']),
  run('interleaved', inter),
];
for (const r of results) {
  console.log(
    `${r.run.padEnd(20)} ${r.options.padEnd(22)} kept ${String(r.detections_kept).padStart(6)}  dropped ${String(r.detections_dropped).padStart(6)}  ` +
      `reported ${r.reported_pct}%  sources~${r.probing_sources_estimate} promoted ${r.sources_promoted} evicted-undetected ${r.sources_evicted_undetected} ` +
      `probation-overwritten ${r.probation_overwritten}  peak RSS ${r.peak_rss_mb} MB  ${r.seconds} s`,
  );
}
console.log(JSON.stringify({ scanners, ports, node: process.version, cpus: os.cpus().length, results }));
