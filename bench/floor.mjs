#!/usr/bin/env node
// The least a JavaScript analysis of a classic pcap must do per packet, as
// a yardstick for `npm run bench` (issue 11 item 1): read the file in 4 MiB
// chunks, walk the record headers, find an Ethernet/IPv4/TCP packet's
// source address and destination port, and remember the source in a
// probation-sized table (2-way sets of 32-byte slots behind one-byte tags,
// 65,536 slots, as src/state/probation.ts). No validation, no other
// protocol, no classification, no report: scanwatch cannot be faster than
// this on one core, so the time this takes, minus node's own start-up,
// is the part of any ratio to `tcpdump -r` that no engine change removes.
//
//   node bench/floor.mjs FILE   prints {"packets":N,"ipv4_tcp":N,"stored":N,"loop_s":S}
//                               (loop_s: from opening the file to its end)
//
// Little-endian pcap only (what bench/make-flood.mjs writes).

import fs from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: node bench/floor.mjs FILE.pcap');
  process.exit(2);
}
const t0 = process.hrtime.bigint();
const fd = fs.openSync(file, 'r');
const CHUNK = 4 << 20;
const buf = Buffer.allocUnsafe(CHUNK + 262144 + 16);
const header = Buffer.alloc(24);
if (fs.readSync(fd, header, 0, 24, null) !== 24 || header.readUInt32LE(0) !== 0xa1b2c3d4) {
  console.error(`${file}: not a little-endian microsecond pcap`);
  process.exit(1);
}

const SLOTS = 65536;
const tags = new Uint8Array(SLOTS);
const newest = new Uint8Array(SLOTS / 2);
const slots = new Float64Array(SLOTS * 4);
const SEED = 0x5bd1e995;
let packets = 0;
let ipv4Tcp = 0;
let stored = 0;
let have = 0;
for (;;) {
  const got = fs.readSync(fd, buf, have, CHUNK, null);
  if (got === 0) break;
  have += got;
  let p = 0;
  while (have - p >= 16) {
    const cap = (buf[p + 8] | (buf[p + 9] << 8) | (buf[p + 10] << 16) | (buf[p + 11] << 24)) >>> 0;
    if (p + 16 + cap > have) break;
    const sec = (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
    const d = p + 16;
    p = d + cap;
    packets++;
    // Ethernet II, IPv4, TCP: the flood's every packet.
    if (cap < 54 || buf[d + 12] !== 0x08 || buf[d + 13] !== 0x00 || buf[d + 23] !== 6) continue;
    ipv4Tcp++;
    const ihl = (buf[d + 14] & 15) << 2;
    const src = (buf[d + 26] << 24) | (buf[d + 27] << 16) | (buf[d + 28] << 8) | buf[d + 29];
    const dport = (buf[d + 14 + ihl + 2] << 8) | buf[d + 14 + ihl + 3];
    // murmur3's finaliser over the keyed address: set from the low bits, tag from the top 8.
    let h = src ^ SEED;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    h ^= h >>> 16;
    const set = h & (SLOTS / 2 - 1);
    const tag = h >>> 24 || 1;
    const s = set * 2;
    if ((tags[s] === tag && slots[s * 4] === src) || (tags[s + 1] === tag && slots[(s + 1) * 4] === src)) continue;
    const way = tags[s] === 0 ? 0 : tags[s + 1] === 0 ? 1 : 1 - newest[set];
    const slot = s + way;
    tags[slot] = tag;
    newest[set] = way;
    slots[slot * 4] = src;
    slots[slot * 4 + 1] = sec;
    slots[slot * 4 + 2] = dport;
    stored++;
  }
  buf.copy(buf, 0, p, have);
  have -= p;
}
const loopS = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ packets, ipv4_tcp: ipv4Tcp, stored, loop_s: Math.round(loopS * 1e4) / 1e4 }));
