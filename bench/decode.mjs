#!/usr/bin/env node
// Decoder-only A/B micro-benchmark: CPU time per frame of Decoder.decode over
// every frame of a capture (default: the 2-million-frame flood of
// bench/make-flood.mjs), alternating two builds in one process so that both
// see the same machine load. `npm run bench` stays the end-to-end measure;
// this isolates the packet decoder when the machine is too busy for wall times.
//
//   node bench/decode.mjs [--a DIST] [--b DIST] [--rounds N] [--file PCAP]
//
//   --a, --b   dist directories to compare (default: only dist/)
//   --rounds   alternations (default 7; the median is reported)
//   --file     classic little-endian pcap to decode (default bench/out/flood-2m.pcap)

import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, ensureFlood } from './make-flood.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const rounds = Number(opt('--rounds', '7'));
let file = opt('--file', null);
if (file === null) file = ensureFlood({ log: () => {} }).out ?? path.join(ROOT, 'bench/out/flood-2m.pcap');
const builds = [opt('--a', 'dist'), ...(args.includes('--b') ? [opt('--b', null)] : [])];

const buf = fs.readFileSync(file);
if (buf.readUInt32LE(0) !== 0xa1b2c3d4 && buf.readUInt32LE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a little-endian pcap`);
const linkType = buf.readUInt32LE(20) & 0x0fffffff;
const offs = [];
const lens = [];
const times = [];
for (let off = 24; off + 16 <= buf.length; ) {
  const incl = buf.readUInt32LE(off + 8);
  times.push(buf.readUInt32LE(off));
  offs.push(off + 16);
  lens.push(incl);
  off += 16 + incl;
}
const frameOff = Int32Array.from(offs);
const frameLen = Int32Array.from(lens);
const frameTime = Int32Array.from(times);
const n = frameOff.length;

const decoders = [];
for (const dir of builds) {
  const mod = await import(pathToFileURL(path.resolve(ROOT, dir, 'decode/decoder.js')).href);
  decoders.push({ dir, d: new mod.Decoder(), runs: [] });
}

function pass(d) {
  let ok = 0;
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) if (d.decode(linkType, buf, frameOff[i], frameLen[i], frameTime[i], 0)) ok++;
  const t = process.cpuUsage(t0);
  return { ns: ((t.user + t.system) * 1000) / n, ok };
}

for (const x of decoders) pass(x.d); // warm up
for (let r = 0; r < rounds; r++) for (const x of decoders) x.runs.push(pass(x.d).ns);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const x of decoders) {
  console.log(`${x.dir.padEnd(28)} ${median(x.runs).toFixed(1)} ns/frame CPU (median of ${rounds}; min ${Math.min(...x.runs).toFixed(1)}; runs ${x.runs.map((v) => v.toFixed(1)).join(' ')}) over ${n} frames of ${path.relative(ROOT, file)}`);
}
