#!/usr/bin/env node
// Builds a capture of many SYN scanners (issue 12, items 4 and 5): N
// sources, each sending raw SYNs (no options: what nmap -sS, masscan and
// zmap send) to P ports of one target, nobody answering. Sources are
// consecutive addresses from 100.64.0.0/10 (RFC 6598 shared space),
// targets from 203.0.113.0/24 (RFC 5737 TEST-NET-3), one SYN every 20 us.
//
//   node bench/make-scanners.mjs --scanners 200000 --ports 15 [--interleaved] --out FILE
//
// --interleaved: every source sends its first probe before any sends its
// second (round-robin), the worst case for a sensor that must see two
// probes from a source before it follows it. Without it, each source sends
// its P probes in a row.
// Also importable: scannerCapture() returns the capture as a Buffer (tests).
// Node built-ins only; shares no code with src/.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FRAME = 14 + 20 + 20;
const RECORD = 16 + FRAME;
const GAP_US = 20;
const T0 = 1_790_000_000; // 2026-09-21, seconds

function checksum(b, start, end, init = 0) {
  let s = init;
  for (let i = start; i < end; i += 2) s += (b[i] << 8) | (i + 1 < end ? b[i + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

function writeRecord(b, o, n, src, dst, sport, dport) {
  const us = n * GAP_US;
  b.writeUInt32LE(T0 + Math.floor(us / 1e6), o);
  b.writeUInt32LE(us % 1e6, o + 4);
  b.writeUInt32LE(FRAME, o + 8);
  b.writeUInt32LE(FRAME, o + 12);
  const e = o + 16;
  b.fill(0, e, e + FRAME);
  b.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00], e);
  const ip = e + 14;
  b[ip] = 0x45;
  b.writeUInt16BE(40, ip + 2);
  b.writeUInt16BE(n & 0xffff, ip + 4);
  b[ip + 8] = 52;
  b[ip + 9] = 6;
  b.writeUInt32BE(src >>> 0, ip + 12);
  b.writeUInt32BE(dst >>> 0, ip + 16);
  b.writeUInt16BE(checksum(b, ip, ip + 20), ip + 10);
  const t = ip + 20;
  b.writeUInt16BE(sport, t);
  b.writeUInt16BE(dport, t + 2);
  b.writeUInt32BE((Math.imul(n, 2654435761) >>> 0), t + 4);
  b[t + 12] = 0x50;
  b[t + 13] = 0x02; // SYN
  b.writeUInt16BE(1024, t + 14);
  // TCP checksum over the pseudo-header (RFC 9293 3.1).
  const pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + 20;
  b.writeUInt16BE(checksum(b, t, t + 20, pseudo), t + 16);
}

function header() {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(65535, 16);
  h.writeUInt32LE(1, 20);
  return h;
}

/** The i-th packet: which source, which port. */
function* order(scanners, ports, interleaved) {
  if (interleaved) for (let p = 0; p < ports; p++) for (let s = 0; s < scanners; s++) yield [s, p];
  else for (let s = 0; s < scanners; s++) for (let p = 0; p < ports; p++) yield [s, p];
}

const SRC_BASE = 0x64400000; // 100.64.0.0
const DST_BASE = 0xcb007100; // 203.0.113.0

function emit(scanners, ports, interleaved, sink, srcBase = SRC_BASE, dstBase = DST_BASE, targets = 250) {
  const chunkRecords = 65536;
  let b = Buffer.alloc(chunkRecords * RECORD);
  let o = 0;
  let n = 0;
  for (const [s, p] of order(scanners, ports, interleaved)) {
    writeRecord(b, o, n++, srcBase + s, dstBase + (targets > 1 ? 1 + (s % targets) : 0), 40000 + (s % 20000), 1 + p * 7);
    o += RECORD;
    if (o === b.length) {
      sink(b);
      b = Buffer.alloc(chunkRecords * RECORD);
      o = 0;
    }
  }
  if (o > 0) sink(b.subarray(0, o));
}

/**
 * srcBase/dstBase (32-bit addresses) and targets (1: every scanner probes
 * dstBase itself) let the e2e lab keep to 198.18.0.0/15.
 */
export function scannerCapture({ scanners, ports, interleaved = false, srcBase = SRC_BASE, dstBase = DST_BASE, targets = 250 }) {
  const parts = [header()];
  emit(scanners, ports, interleaved, (c) => parts.push(Buffer.from(c)), srcBase, dstBase, targets);
  return Buffer.concat(parts);
}

export function writeScannerCapture(file, { scanners, ports, interleaved = false }) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file + '.part', 'w');
  fs.writeSync(fd, header());
  emit(scanners, ports, interleaved, (c) => fs.writeSync(fd, c));
  fs.closeSync(fd);
  fs.renameSync(file + '.part', file);
  return file;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, def) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : def;
  };
  const scanners = Number(arg('scanners', 200000));
  const ports = Number(arg('ports', 15));
  const interleaved = process.argv.includes('--interleaved');
  const out = arg('out', `bench/out/scanners-${scanners}x${ports}${interleaved ? '-interleaved' : ''}.pcap`);
  writeScannerCapture(out, { scanners, ports, interleaved });
  console.log(out);
}
