#!/usr/bin/env node
// What the live sensor's state costs at its defaults under floods, and
// whether that memory comes back (or is reused) once a flood is over:
//
//   npm run build && node --expose-gc bench/memory.mjs [--json]
//
// Runs the engine as `live` runs it (ended scans forgotten, every scan
// through DetectionLog, lines into a counting sink), in this process, with
// no capture ring (the ring is fixed at --buffer-size and comes on top).
// Each flood is fed twice, with 120 s of quiet (ticks) after each: peak
// heap and RSS of each round, and the heap after the quiet. Floods (forged
// sources from 198.19.0.0/16 and 100.64.0.0/10 to one target):
//   scans:    100,000 sources x 3 NULL probes: 100,000 scans at once, the
//             --max-detections default;
//   scanners: 200,000 sources x 15 SYN ports (README "Bounds");
//   one-packet: 1,000,000 sources x 1 SYN.
// The last line is JSON (--json: only that).

import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
if (!fs.existsSync(path.join(ROOT, 'dist/engine/engine.js'))) {
  console.error('bench/memory: run npm run build first');
  process.exit(2);
}
if (typeof globalThis.gc !== 'function') {
  console.error('bench/memory: run with node --expose-gc');
  process.exit(2);
}
const jsonOnly = process.argv.includes('--json');
const [{ Engine }, { DetectionLog }, { sitePolicy }, { pino }] = await Promise.all([
  dist('engine/engine.js'),
  dist('report/detection-log.js'),
  dist('rules/policy.js'),
  import('pino'),
]);

const MiB = 1024 * 1024;
const mem = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, rss: m.rss };
};

/** An Ethernet/IPv4/TCP frame (no payload), checksums left 0: the engine does not check them. */
function frame(buf, src, dst, sport, dport, flags) {
  buf.fill(0);
  buf.writeUInt16BE(0x0800, 12);
  buf[14] = 0x45;
  buf.writeUInt16BE(40, 16);
  buf[22] = 64;
  buf[23] = 6;
  buf.writeUInt32BE(src >>> 0, 26);
  buf.writeUInt32BE(dst >>> 0, 30);
  buf.writeUInt16BE(sport, 34);
  buf.writeUInt16BE(dport, 36);
  buf[46] = 0x50;
  buf[47] = flags;
  buf.writeUInt16BE(1024, 48);
}

const TARGET = (198 << 24) | (18 << 16) | 2;
const FLOODS = {
  scans: { sources: 100_000, ports: 3, flags: 0x00 },
  scanners: { sources: 200_000, ports: 15, flags: 0x02 },
  'one-packet': { sources: 1_000_000, ports: 1, flags: 0x02 },
};
// 198.19.0.0/16 holds 65,536 sources; the rest come from 100.64.0.0/10.
const sourceAddr = (i) => (i < 65536 ? (198 << 24) | (19 << 16) | i : (100 << 24) | (64 << 16)) + (i < 65536 ? 0 : i - 65536);

function run(name) {
  const f = FLOODS[name];
  const engine = new Engine();
  engine.keepEndedDetections = false;
  let lines = 0;
  const sink = new Writable({
    write(chunk, _e, done) {
      lines++;
      done();
    },
  });
  const log = new DetectionLog(pino({ level: 'info' }, sink), sitePolicy(['198.18.0.0/15']));
  engine.onDetection = (event, d) => (event === 'start' ? log.started(d, engine.now) : log.ended(d));
  const buf = Buffer.alloc(60);
  let t = 1_800_000_000;
  const rounds = [];
  globalThis.gc();
  const base = mem();
  for (let round = 0; round < 2; round++) {
    let peak = mem();
    const perSecond = 100_000;
    let n = 0;
    for (let s = 0; s < f.sources; s++) {
      for (let k = 0; k < f.ports; k++) {
        frame(buf, sourceAddr(s), TARGET, 1024 + (s % 60000), 1000 + k, f.flags);
        const ts = t + n / perSecond;
        const sec = Math.floor(ts);
        engine.onPacket(1, buf, 0, 54, 54, sec, Math.round((ts - sec) * 1e9));
        n++;
        if ((n & 0xffff) === 0) {
          const m = mem();
          if (m.rss > peak.rss) peak = { ...peak, rss: m.rss };
          if (m.heap > peak.heap) peak = { ...peak, heap: m.heap };
        }
      }
    }
    t += n / perSecond;
    const active = engine.active.size;
    const m = mem();
    peak = { heap: Math.max(peak.heap, m.heap), rss: Math.max(peak.rss, m.rss) };
    // 120 s of quiet: scans end, flows expire; then a full collection.
    for (let q = 0; q < 120; q++) {
      t += 1;
      engine.tick(t);
      log.progress(engine.active, t, 60);
    }
    globalThis.gc();
    const after = mem();
    rounds.push({ active_at_peak: active, peak_heap_mib: +(peak.heap / MiB).toFixed(1), peak_rss_mib: +(peak.rss / MiB).toFixed(1), heap_after_quiet_mib: +(after.heap / MiB).toFixed(1), rss_after_quiet_mib: +(after.rss / MiB).toFixed(1), active_after_quiet: engine.active.size });
  }
  return { flood: name, sources: f.sources, probes_each: f.ports, base_heap_mib: +(base.heap / MiB).toFixed(1), base_rss_mib: +(base.rss / MiB).toFixed(1), log_lines: lines, rounds };
}

const which = process.argv.find((a) => a in FLOODS);
const results = (which ? [which] : Object.keys(FLOODS)).map(run);
if (!jsonOnly) {
  for (const r of results) {
    console.log(`${r.flood}: ${r.sources.toLocaleString('en-US')} sources x ${r.probes_each}; engine at start: heap ${r.base_heap_mib} MiB, RSS ${r.base_rss_mib} MiB; ${r.log_lines} log lines`);
    r.rounds.forEach((x, i) =>
      console.log(`  round ${i + 1}: ${x.active_at_peak} scans open at the end of the flood; peak heap ${x.peak_heap_mib} MiB, RSS ${x.peak_rss_mib} MiB; after 120 s quiet: heap ${x.heap_after_quiet_mib} MiB, RSS ${x.rss_after_quiet_mib} MiB, ${x.active_after_quiet} open`),
    );
  }
}
console.log(JSON.stringify({ memory: results }));
