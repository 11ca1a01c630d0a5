#!/usr/bin/env node
// Builds the capture that the live-sensor test and bench replay with
// tcpreplay into a network-namespace lab: a spoofed-source TCP SYN flood that
// stays entirely inside the lab ranges 198.18.0.0/15 and 2001:db8::/32.
//
//   node bench/live/make-live-flood.mjs [--packets N] [--out FILE] [--seed N] [--json]
//
// (bench/make-flood.mjs is not used for live replay on purpose: its flood is
// addressed to 203.0.113.0/24 from sources spread over the whole IPv4
// unicast space, and the lab may only ever carry 198.18.0.0/15 and
// 2001:db8::/32 traffic.)
//
// Shape (deterministic for a given --packets/--seed):
//   * classic pcap, little-endian, microseconds, LINKTYPE_ETHERNET, exactly N records;
//   * Ethernet source MAC 02:00:c6:12:ee:01 on every frame, destination
//     02:00:c6:12:ee:02 (no interface in the lab has either address, so the
//     receiving kernel discards the frames as "other host" and never answers;
//     a promiscuous capture still sees them). `--filter "ether src
//     02:00:c6:12:ee:01"` therefore matches the replayed frames and nothing else;
//   * 2 of every 5 frames IPv4: a SYN (window 64240, MSS 1460) from a distinct
//     source in 198.18.1.0-198.19.255.255 (130,816 addresses; the lab's own
//     198.18.0.0/24 is never a source) to 198.18.0.200-.203 port 80 or 443;
//     sources repeat only past 130,816 IPv4 frames (N > 327,040);
//   * 3 of every 5 frames IPv6: the same SYN from a distinct source in
//     2001:db8:8000::/33 to 2001:db8::c8-cb;
//   * every source sends exactly one SYN to one port (a flood, not a scan),
//     with random source port, sequence number, IP id/flow label and TTL 40-64;
//     IPv4 and TCP checksums are computed;
//   * timestamps 10 us apart (nominally 100k packets/s; tcpreplay --topspeed
//     and --pps ignore them).
//
// Node built-ins only; importable: makeLiveFlood({ packets, out, seed }).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../make-flood.mjs';

export const REPLAY_SRC_MAC = '02:00:c6:12:ee:01';
export const REPLAY_DST_MAC = '02:00:c6:12:ee:02';
export const REPLAY_FILTER = `ether src ${REPLAY_SRC_MAC}`;
export const DEFAULT_PACKETS = 300_000;
export const DEFAULT_SEED = 0x1ab5eed;

const V4_LEN = 14 + 20 + 24;
const V6_LEN = 14 + 40 + 24;
const V4_SOURCES = 130_816; // 198.18.1.0 .. 198.19.255.255
const V4_BASE = (198 << 24) | (18 << 16) | (1 << 8); // 198.18.1.0
const V4_STEP = 40_503; // coprime with 130,816 = 2^8 * 7 * 73: k -> k*STEP mod N is a bijection
const V4_DST = [200, 201, 202, 203].map((h) => ((198 << 24) | (18 << 16) | h) >>> 0);
const V6_DST_LAST = [0xc8, 0xc9, 0xca, 0xcb];
const MAC_SRC = REPLAY_SRC_MAC.split(':').map((h) => parseInt(h, 16));
const MAC_DST = REPLAY_DST_MAC.split(':').map((h) => parseInt(h, 16));
const T0_US = Date.UTC(2026, 0, 1) * 1000;

const fold = (s) => {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
};

function sum16(buf, off, len) {
  let s = 0;
  for (let i = 0; i + 1 < len; i += 2) s += (buf[off + i] << 8) | buf[off + i + 1];
  if (len & 1) s += buf[off + len - 1] << 8;
  return s;
}

/** Writes the TCP SYN header (24 bytes, MSS option) at `o`; checksum filled by the caller. */
function writeSyn(b, o, sport, dport, seq) {
  b.writeUInt16BE(sport, o);
  b.writeUInt16BE(dport, o + 2);
  b.writeUInt32BE(seq, o + 4);
  b.writeUInt32BE(0, o + 8);
  b[o + 12] = 0x60; // data offset 6 words
  b[o + 13] = 0x02; // SYN
  b.writeUInt16BE(64240, o + 14);
  b.writeUInt16BE(0, o + 16);
  b.writeUInt16BE(0, o + 18);
  b[o + 20] = 2;
  b[o + 21] = 4;
  b.writeUInt16BE(1460, o + 22);
}

export function makeLiveFlood({ packets = DEFAULT_PACKETS, out, seed = DEFAULT_SEED } = {}) {
  if (!Number.isInteger(packets) || packets < 1) throw new Error('packets must be a positive integer');
  if (!out) throw new Error('out is required');
  const rnd = mulberry32(seed);
  let v4 = 0;
  let v6 = 0;
  let bytes = 24;
  const records = [];
  for (let i = 0; i < packets; i++) {
    const isV4 = i % 5 < 2;
    const len = isV4 ? V4_LEN : V6_LEN;
    const f = Buffer.alloc(16 + len);
    const ts = T0_US + i * 10;
    f.writeUInt32LE(Math.floor(ts / 1e6), 0);
    f.writeUInt32LE(ts % 1e6, 4);
    f.writeUInt32LE(len, 8);
    f.writeUInt32LE(len, 12);
    let o = 16;
    for (let k = 0; k < 6; k++) {
      f[o + k] = MAC_DST[k];
      f[o + 6 + k] = MAC_SRC[k];
    }
    f.writeUInt16BE(isV4 ? 0x0800 : 0x86dd, o + 12);
    o += 14;
    const r1 = rnd();
    const r2 = rnd();
    const seq = rnd();
    const sport = 1024 + (r1 % 64512);
    const dport = r1 & 0x80000000 ? 443 : 80;
    const ttl = 40 + ((r2 >>> 8) % 25);
    const pick = (r2 >>> 4) & 3;
    if (isV4) {
      const src = (V4_BASE + ((v4 * V4_STEP) % V4_SOURCES)) >>> 0;
      const dst = V4_DST[pick];
      v4++;
      f[o] = 0x45;
      f[o + 1] = 0;
      f.writeUInt16BE(44, o + 2);
      f.writeUInt16BE(r2 & 0xffff, o + 4);
      f.writeUInt16BE(0x4000, o + 6); // DF
      f[o + 8] = ttl;
      f[o + 9] = 6;
      f.writeUInt16BE(0, o + 10);
      f.writeUInt32BE(src, o + 12);
      f.writeUInt32BE(dst, o + 16);
      f.writeUInt16BE(~fold(sum16(f, o, 20)) & 0xffff, o + 10);
      const t = o + 20;
      writeSyn(f, t, sport, dport, seq);
      const pseudo = sum16(f, o + 12, 8) + 6 + 24;
      f.writeUInt16BE(~fold(pseudo + sum16(f, t, 24)) & 0xffff, t + 16);
    } else {
      // 2001:db8:8000::/33 + 31-bit counter in the next 32 bits (distinct), random interface id
      f.writeUInt32BE(0x60000000 | (r2 & 0xfffff), o); // version 6, flow label
      f.writeUInt16BE(24, o + 4);
      f[o + 6] = 6;
      f[o + 7] = ttl;
      f.writeUInt32BE(0x20010db8, o + 8);
      f.writeUInt32BE((0x80000000 | v6) >>> 0, o + 12);
      f.writeUInt32BE(rnd(), o + 16);
      f.writeUInt32BE(rnd(), o + 20);
      f.writeUInt32BE(0x20010db8, o + 24);
      f.writeUInt32BE(0, o + 28);
      f.writeUInt32BE(0, o + 32);
      f.writeUInt32BE(V6_DST_LAST[pick], o + 36);
      v6++;
      const t = o + 40;
      writeSyn(f, t, sport, dport, seq);
      const pseudo = sum16(f, o + 8, 32) + 6 + 24;
      f.writeUInt16BE(~fold(pseudo + sum16(f, t, 24)) & 0xffff, t + 16);
    }
    records.push(f);
    bytes += f.length;
  }
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  records.unshift(header);
  fs.writeFileSync(tmp, Buffer.concat(records, bytes));
  fs.renameSync(tmp, out);
  return {
    file: path.resolve(out),
    packets,
    ipv4: v4,
    ipv6: v6,
    distinct_ipv4_sources: Math.min(v4, V4_SOURCES),
    distinct_ipv6_sources: v6,
    bytes,
    src_mac: REPLAY_SRC_MAC,
    dst_mac: REPLAY_DST_MAC,
    filter: REPLAY_FILTER,
    seed,
  };
}

function parseArgs(argv) {
  const o = { packets: DEFAULT_PACKETS, seed: DEFAULT_SEED, out: null, json: false };
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const val = () => {
      if (k + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++k];
    };
    if (a === '--packets') o.packets = Number(val());
    else if (a === '--out') o.out = val();
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '--json') o.json = true;
    else if (a === '-h' || a === '--help') o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (!(Number.isInteger(o.packets) && o.packets > 0)) throw new Error('--packets must be a positive integer');
  if (!Number.isInteger(o.seed)) throw new Error('--seed must be an integer');
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const o = parseArgs(process.argv.slice(2));
    if (o.help) {
      console.log('usage: node bench/live/make-live-flood.mjs [--packets N] [--out FILE] [--seed N] [--json]');
      process.exit(0);
    }
    o.out ??= `/tmp/scanwatch-live-flood-${o.packets}.pcap`;
    const meta = makeLiveFlood(o);
    if (o.json) console.log(JSON.stringify(meta));
    else
      console.log(
        `wrote ${meta.file}: ${meta.packets.toLocaleString('en-US')} packets (${meta.ipv4.toLocaleString('en-US')} IPv4, ${meta.ipv6.toLocaleString('en-US')} IPv6 SYNs), ${meta.bytes.toLocaleString('en-US')} bytes; replayed frames match --filter "${meta.filter}"`,
      );
  } catch (e) {
    console.error(`make-live-flood: ${e.message}`);
    process.exit(1);
  }
}
