#!/usr/bin/env node
// Builds the benchmark capture: a classic pcap (microsecond timestamps,
// little-endian, Ethernet) of spoofed-source TCP SYNs -- one SYN, one port,
// from each of ~2 million distinct pseudo-random IPv4 sources -- with a real
// nmap SYN scan, read frame by frame from another capture, spliced in at its
// original timing.
//
//   node bench/make-flood.mjs [--quick] [--packets N] [--out FILE]
//                             [--scan FILE] [--seed N] [--force]
//
// Also importable: ensureFlood() (cached) and makeFlood() (always writes).
// Node built-ins only. Deliberately shares no code with src/: this is the
// independent oracle the analyzer is measured against.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// Any edit to this generator invalidates cached captures.
const GENERATOR_SHA = createHash('sha256').update(fs.readFileSync(fileURLToPath(import.meta.url))).digest('hex').slice(0, 16);
export const DEFAULT_SEED = 0x5eed2024;
export const DEFAULT_SCAN = path.join(ROOT, 'test/pcaps/nmap-syn.pcap');
// Real nmap SYN scan (192.168.1.10 -> 192.168.1.25) from the shared corpus,
// used only while test/pcaps/nmap-syn.pcap has not been recorded yet.
export const FALLBACK_SCAN = path.resolve(ROOT, '../shared/corpus/real/ef-nmap-syn-scan.pcap');

export const PRESETS = {
  full: { packets: 2_000_000, out: path.join(ROOT, 'bench/out/flood-2m.pcap') },
  quick: { packets: 200_000, out: path.join(ROOT, 'bench/out/flood-200k.pcap') },
};

// Flood shape.
const FLOOD_DURATION_US = 20_000_000; // ~20 s of packet time
const SCAN_OFFSET_US = 5_000_000; // the scan starts 5 s into the flood
const TARGETS = [0xcb00710a, 0xcb007114, 0xcb00711e, 0xcb007128]; // 203.0.113.10/.20/.30/.40
const FLOOD_FRAME_LEN = 14 + 20 + 24; // Ethernet + IPv4 + TCP with MSS option
const MAC_DST = [0x02, 0x42, 0xcb, 0x00, 0x71, 0x01]; // locally administered
const MAC_SRC = [0x02, 0x42, 0x0a, 0xfe, 0x00, 0x01];

// ---------------------------------------------------------------------------
// Minimal capture reader (pcap, either byte order, us or ns; pcapng), every
// frame converted to Ethernet so it can be written into a LINKTYPE_ETHERNET file.

const LT = { NULL: 0, ETHERNET: 1, RAW_OLD: 12, RAW_OLD2: 14, RAW: 101, LOOP: 108, SLL: 113, IPV4: 228, IPV6: 229, SLL2: 276 };

export function readCapture(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 24) throw new Error(`${file}: too short to be a capture`);
  const m = buf.readUInt32LE(0);
  if (m === 0x0a0d0d0a) return readPcapng(buf, file);
  let le;
  let nsec;
  if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) le = true;
  else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) le = false;
  else throw new Error(`${file}: not a pcap or pcapng file (magic ${m.toString(16)})`);
  nsec = m === 0xa1b23c4d || m === 0x4d3cb2a1;
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const linktype = u32(20) & 0x0fffffff;
  const frames = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    const orig = u32(off + 12);
    off += 16;
    if (off + incl > buf.length) throw new Error(`${file}: truncated record at byte ${off - 16}`);
    const tsUs = sec * 1e6 + (nsec ? Math.floor(frac / 1000) : frac);
    frames.push(toEthernet(linktype, buf.subarray(off, off + incl), orig, tsUs, le, file));
    off += incl;
  }
  return { format: nsec ? 'pcap-ns' : 'pcap', linktypes: [linktype], frames: frames.filter(Boolean) };
}

function readPcapng(buf, file) {
  const frames = [];
  const linktypes = new Set();
  let le = true;
  let ifaces = [];
  let off = 0;
  while (off + 12 <= buf.length) {
    let type = buf.readUInt32LE(off);
    if (type === 0x0a0d0d0a) {
      const bom = buf.readUInt32LE(off + 8);
      le = bom === 0x1a2b3c4d;
      if (!le && bom !== 0x4d3c2b1a) throw new Error(`${file}: bad pcapng byte-order magic`);
      ifaces = [];
    } else if (!le) {
      type = buf.readUInt32BE(off);
    }
    const u16 = (o) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
    const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
    const len = u32(off + 4);
    if (len < 12 || off + len > buf.length) throw new Error(`${file}: bad pcapng block at byte ${off}`);
    const body = off + 8;
    const end = off + len - 4;
    if (type === 1) {
      // Interface Description Block
      const linktype = u16(body);
      let tsDiv = 1e6; // ticks per second, default microseconds
      let o = body + 8;
      while (o + 4 <= end) {
        const code = u16(o);
        const olen = u16(o + 2);
        if (code === 0) break;
        if (code === 9 && olen >= 1) {
          const v = buf[o + 4];
          tsDiv = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
        }
        o += 4 + ((olen + 3) & ~3);
      }
      ifaces.push({ linktype, tsDiv });
      linktypes.add(linktype);
    } else if (type === 6) {
      // Enhanced Packet Block
      const ifc = ifaces[u32(body)];
      if (!ifc) throw new Error(`${file}: packet for undeclared interface`);
      const ticks = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
      const incl = u32(body + 12);
      const orig = u32(body + 16);
      const data = buf.subarray(body + 20, body + 20 + incl);
      const tsUs = Number((ticks * 1000000n) / BigInt(ifc.tsDiv));
      frames.push(toEthernet(ifc.linktype, data, orig, tsUs, le, file));
    } else if (type === 2) {
      // obsolete Packet Block
      const ifc = ifaces[u16(body)];
      if (!ifc) throw new Error(`${file}: packet for undeclared interface`);
      const ticks = (BigInt(u32(body + 4)) << 32n) | BigInt(u32(body + 8));
      const incl = u32(body + 12);
      const orig = u32(body + 16);
      const tsUs = Number((ticks * 1000000n) / BigInt(ifc.tsDiv));
      frames.push(toEthernet(ifc.linktype, buf.subarray(body + 20, body + 20 + incl), orig, tsUs, le, file));
    } else if (type === 3) {
      throw new Error(`${file}: pcapng Simple Packet Blocks carry no timestamp; re-save the scan as pcap`);
    }
    off += len;
  }
  return { format: 'pcapng', linktypes: [...linktypes], frames: frames.filter(Boolean) };
}

const ETH_SYNTH_DST = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x02]);
const ETH_SYNTH_SRC = Buffer.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);

function ethWrap(payload, orig, hdrLen, ethertype, tsUs, srcMac) {
  const out = Buffer.alloc(14 + payload.length);
  ETH_SYNTH_DST.copy(out, 0);
  (srcMac && srcMac.length === 6 ? srcMac : ETH_SYNTH_SRC).copy(out, 6);
  out.writeUInt16BE(ethertype, 12);
  payload.copy(out, 14);
  return { tsUs, data: out, origLen: orig - hdrLen + 14 };
}

function etherFromVersion(p) {
  const v = p.length ? p[0] >> 4 : 0;
  return v === 4 ? 0x0800 : v === 6 ? 0x86dd : 0;
}

function toEthernet(linktype, data, orig, tsUs, le, file) {
  switch (linktype) {
    case LT.ETHERNET:
      return { tsUs, data, origLen: orig };
    case LT.SLL: {
      if (data.length < 16) return null;
      const alen = data.readUInt16BE(4);
      return ethWrap(data.subarray(16), orig, 16, data.readUInt16BE(14), tsUs, alen === 6 ? data.subarray(6, 12) : null);
    }
    case LT.SLL2: {
      if (data.length < 20) return null;
      return ethWrap(data.subarray(20), orig, 20, data.readUInt16BE(0), tsUs, data[11] === 6 ? data.subarray(12, 18) : null);
    }
    case LT.RAW:
    case LT.RAW_OLD:
    case LT.RAW_OLD2:
    case LT.IPV4:
    case LT.IPV6: {
      const et = etherFromVersion(data);
      return et ? ethWrap(data, orig, 0, et, tsUs) : null;
    }
    case LT.NULL:
    case LT.LOOP: {
      if (data.length < 4) return null;
      const fam = linktype === LT.LOOP ? data.readUInt32BE(0) : le ? data.readUInt32LE(0) : data.readUInt32BE(0);
      const et = fam === 2 ? 0x0800 : fam === 24 || fam === 28 || fam === 30 ? 0x86dd : 0;
      return et ? ethWrap(data.subarray(4), orig, 4, et, tsUs) : null;
    }
    default:
      throw new Error(`${file}: link type ${linktype} is not supported by the bench's reader`);
  }
}

const ipStr = (a) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;

/** Finds the scanner (source of the most SYN-without-ACK segments) and every IPv4 address in the scan. */
export function analyzeScan(frames) {
  const syns = new Map(); // src -> { probes, dsts:Set, ports:Set }
  const addrs = new Set();
  for (const { data } of frames) {
    let o = 12;
    let et = data.length >= 14 ? data.readUInt16BE(12) : 0;
    while ((et === 0x8100 || et === 0x88a8) && data.length >= o + 6) {
      o += 4;
      et = data.readUInt16BE(o);
    }
    o += 2;
    if (et === 0x0806 && data.length >= o + 28) {
      addrs.add(data.readUInt32BE(o + 14));
      addrs.add(data.readUInt32BE(o + 24));
      continue;
    }
    if (et !== 0x0800 || data.length < o + 20 || data[o] >> 4 !== 4) continue;
    const ihl = (data[o] & 15) * 4;
    const src = data.readUInt32BE(o + 12);
    const dst = data.readUInt32BE(o + 16);
    addrs.add(src);
    addrs.add(dst);
    const frag = data.readUInt16BE(o + 6) & 0x1fff;
    if (data[o + 9] !== 6 || frag !== 0 || data.length < o + ihl + 14) continue;
    const t = o + ihl;
    const flags = data[t + 13];
    if ((flags & 0x12) !== 0x02) continue; // SYN set, ACK clear
    let s = syns.get(src);
    if (!s) syns.set(src, (s = { probes: 0, dsts: new Set(), ports: new Set() }));
    s.probes++;
    s.dsts.add(dst);
    s.ports.add(data.readUInt16BE(t + 2));
  }
  let best = null;
  for (const [src, s] of syns) if (!best || s.probes > best.s.probes) best = { src, s };
  if (!best) throw new Error('the scan capture contains no TCP SYN (without ACK) over IPv4');
  return {
    scanner: ipStr(best.src),
    scannerInt: best.src,
    synProbes: best.s.probes,
    targets: [...best.s.dsts].map(ipStr),
    ports: best.s.ports.size,
    addresses: addrs,
  };
}

// ---------------------------------------------------------------------------
// Deterministic randomness.

/** mulberry32: a small seeded PRNG, enough for reproducible benchmark traffic. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

// A bijection of the 32-bit integers (add key, then xorshift-multiply rounds,
// each invertible), so counter values 0,1,2,... give distinct addresses.
function permute32(x, key) {
  x = (x + key) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

function excludedSource(a, scanAddrs) {
  const o1 = a >>> 24;
  if (o1 === 0 || o1 === 127 || o1 >= 224) return true; // 0/8, 127/8, 224/3
  if ((a & 0xfffe0000) >>> 0 === 0xc6120000) return true; // 198.18.0.0/15 (the real scanner's range)
  if ((a & 0xffffff00) >>> 0 === 0xcb007100) return true; // 203.0.113.0/24 (the targets)
  return scanAddrs.has(a); // anything that appears in the spliced scan
}

// ---------------------------------------------------------------------------
// Writer.

const CHUNK = 8 << 20;

export function makeFlood({ packets, out, scan, seed = DEFAULT_SEED, log = console.log } = {}) {
  const t0 = process.hrtime.bigint();
  const scanData = readCapture(scan);
  const scanFrames = scanData.frames.map((f, i) => ({ ...f, i })).sort((a, b) => a.tsUs - b.tsUs || a.i - b.i);
  const info = analyzeScan(scanFrames);
  const scanN = scanFrames.length;
  const floodN = packets - scanN;
  if (floodN < 1) throw new Error(`the scan has ${scanN} frames, more than the ${packets} packets requested`);

  const scanFirst = scanFrames[0].tsUs;
  const scanLast = scanFrames[scanN - 1].tsUs;
  const floodStart = scanFirst - SCAN_OFFSET_US;
  const floodTs = (i) => floodStart + Math.floor((i * FLOOD_DURATION_US) / floodN);

  const rnd = mulberry32(seed);
  const key = mulberry32(seed ^ 0x9e3779b9)();
  let ctr = 0;

  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  const buf = Buffer.allocUnsafe(CHUNK);
  let off = 0;
  let bytes = 0;
  const flush = () => {
    let w = 0;
    while (w < off) w += fs.writeSync(fd, buf, w, off - w);
    bytes += off;
    off = 0;
  };

  let snaplen = 65535;
  for (const f of scanFrames) snaplen = Math.max(snaplen, f.data.length);
  // pcap global header, little-endian, microseconds, LINKTYPE_ETHERNET
  buf.writeUInt32LE(0xa1b2c3d4, 0);
  buf.writeUInt16LE(2, 4);
  buf.writeUInt16LE(4, 6);
  buf.writeInt32LE(0, 8);
  buf.writeUInt32LE(0, 12);
  buf.writeUInt32LE(snaplen, 16);
  buf.writeUInt32LE(1, 20);
  off = 24;

  const writeScanFrame = (f) => {
    const need = 16 + f.data.length;
    if (off + need > CHUNK) flush();
    buf.writeUInt32LE(Math.floor(f.tsUs / 1e6), off);
    buf.writeUInt32LE(f.tsUs % 1e6, off + 4);
    buf.writeUInt32LE(f.data.length, off + 8);
    buf.writeUInt32LE(f.origLen, off + 12);
    f.data.copy(buf, off + 16);
    off += need;
  };

  const b = buf;
  const writeFloodPacket = (ts) => {
    if (off + 16 + FLOOD_FRAME_LEN > CHUNK) flush();
    // next distinct, allowed source address
    let src;
    do src = permute32(ctr++, key);
    while (excludedSource(src, info.addresses));
    const r1 = rnd();
    const r2 = rnd();
    const seq = rnd();
    const dst = TARGETS[r1 & 3];
    const dport = r1 & 4 ? 443 : 80;
    const sport = 1024 + ((r1 >>> 3) % 64512);
    const ipId = r2 & 0xffff;
    const ttl = 64 - ((r2 >>> 16) & 15) - ((r2 >>> 20) & 7); // 42..64
    const sec = Math.floor(ts / 1e6);
    const usec = ts - sec * 1e6;
    let o = off;
    // record header (LE)
    b[o] = sec; b[o + 1] = sec >>> 8; b[o + 2] = sec >>> 16; b[o + 3] = sec >>> 24;
    b[o + 4] = usec; b[o + 5] = usec >>> 8; b[o + 6] = usec >>> 16; b[o + 7] = usec >>> 24;
    b[o + 8] = FLOOD_FRAME_LEN; b[o + 9] = 0; b[o + 10] = 0; b[o + 11] = 0;
    b[o + 12] = FLOOD_FRAME_LEN; b[o + 13] = 0; b[o + 14] = 0; b[o + 15] = 0;
    o += 16;
    // Ethernet
    for (let k = 0; k < 6; k++) { b[o + k] = MAC_DST[k]; b[o + 6 + k] = MAC_SRC[k]; }
    b[o + 12] = 0x08; b[o + 13] = 0x00;
    o += 14;
    // IPv4 header
    const sh = src >>> 16, sl = src & 0xffff, dh = dst >>> 16, dl = dst & 0xffff;
    let s = 0x4500 + 44 + ipId + 0 + ((ttl << 8) | 6) + sh + sl + dh + dl;
    s = (s & 0xffff) + (s >>> 16);
    s = (s & 0xffff) + (s >>> 16);
    const ipSum = ~s & 0xffff;
    b[o] = 0x45; b[o + 1] = 0; b[o + 2] = 0; b[o + 3] = 44;
    b[o + 4] = ipId >>> 8; b[o + 5] = ipId & 255; b[o + 6] = 0; b[o + 7] = 0;
    b[o + 8] = ttl; b[o + 9] = 6; b[o + 10] = ipSum >>> 8; b[o + 11] = ipSum & 255;
    b[o + 12] = src >>> 24; b[o + 13] = (src >>> 16) & 255; b[o + 14] = (src >>> 8) & 255; b[o + 15] = src & 255;
    b[o + 16] = dst >>> 24; b[o + 17] = (dst >>> 16) & 255; b[o + 18] = (dst >>> 8) & 255; b[o + 19] = dst & 255;
    o += 20;
    // TCP: SYN, window 65535, MSS 1460; checksum over pseudo-header + 24-byte header
    let t = sh + sl + dh + dl + 6 + 24 + sport + dport + (seq >>> 16) + (seq & 0xffff) + 0x6002 + 0xffff + 0x0204 + 0x05b4;
    t = (t & 0xffff) + (t >>> 16);
    t = (t & 0xffff) + (t >>> 16);
    const tcpSum = ~t & 0xffff;
    b[o] = sport >>> 8; b[o + 1] = sport & 255; b[o + 2] = dport >>> 8; b[o + 3] = dport & 255;
    b[o + 4] = seq >>> 24; b[o + 5] = (seq >>> 16) & 255; b[o + 6] = (seq >>> 8) & 255; b[o + 7] = seq & 255;
    b[o + 8] = 0; b[o + 9] = 0; b[o + 10] = 0; b[o + 11] = 0;
    b[o + 12] = 0x60; b[o + 13] = 0x02; b[o + 14] = 0xff; b[o + 15] = 0xff;
    b[o + 16] = tcpSum >>> 8; b[o + 17] = tcpSum & 255; b[o + 18] = 0; b[o + 19] = 0;
    b[o + 20] = 0x02; b[o + 21] = 0x04; b[o + 22] = 0x05; b[o + 23] = 0xb4;
    off = o + 24;
  };

  let firstUs = Infinity;
  let lastUs = -Infinity;
  let i = 0;
  let j = 0;
  try {
    while (i < floodN || j < scanN) {
      const ft = i < floodN ? floodTs(i) : Infinity;
      const st = j < scanN ? scanFrames[j].tsUs : Infinity;
      let ts;
      if (st <= ft) {
        ts = st;
        writeScanFrame(scanFrames[j++]);
      } else {
        ts = ft;
        writeFloodPacket(ft);
        i++;
      }
      if (ts < firstUs) firstUs = ts;
      if (ts > lastUs) lastUs = ts;
    }
    flush();
    fs.closeSync(fd);
  } catch (e) {
    try { fs.closeSync(fd); } catch {}
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.renameSync(tmp, out);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const iso = (us) => new Date(us / 1000).toISOString().replace('Z', `${String(us % 1000).padStart(3, '0')}Z`);
  const meta = {
    generator_sha256: GENERATOR_SHA,
    file: path.relative(ROOT, out),
    packets,
    bytes,
    seed,
    flood: {
      packets: floodN,
      distinct_sources: floodN,
      targets: TARGETS.map(ipStr),
      ports: [80, 443],
      first: iso(floodStart),
      last: iso(floodTs(floodN - 1)),
      pps: Math.round(floodN / (FLOOD_DURATION_US / 1e6)),
    },
    scan: {
      file: path.relative(ROOT, scan) || scan,
      sha256: createHash('sha256').update(fs.readFileSync(scan)).digest('hex'),
      format: scanData.format,
      linktypes: scanData.linktypes,
      packets: scanN,
      scanner: info.scanner,
      syn_probes: info.synProbes,
      targets: info.targets,
      ports: info.ports,
      first: iso(scanFirst),
      last: iso(scanLast),
      starts_into_flood_s: SCAN_OFFSET_US / 1e6,
    },
    first: iso(firstUs),
    last: iso(lastUs),
    duration_s: (lastUs - firstUs) / 1e6,
    generated_in_s: Math.round(seconds * 1000) / 1000,
  };
  fs.writeFileSync(metaPath(out), JSON.stringify(meta, null, 2) + '\n');
  log(
    `wrote ${meta.file}: ${packets.toLocaleString('en-US')} packets, ${bytes.toLocaleString('en-US')} bytes in ${seconds.toFixed(2)} s\n` +
      `  flood: ${floodN.toLocaleString('en-US')} spoofed SYNs from as many distinct sources -> ${meta.flood.targets.join(', ')} ports 80/443, ~${meta.flood.pps.toLocaleString('en-US')} pps\n` +
      `  scan:  ${scanN} frames from ${meta.scan.file} (${meta.scan.format}), scanner ${info.scanner} -> ${info.targets.join(', ')}, ${info.synProbes} SYN probes over ${info.ports} ports\n` +
      `  time:  ${meta.first} .. ${meta.last} (${meta.duration_s.toFixed(3)} s); scan ${meta.scan.first} .. ${meta.scan.last}`,
  );
  return meta;
}

export const metaPath = (out) => `${out}.meta.json`;

/** Picks the scan capture: the given one, else test/pcaps/nmap-syn.pcap, else the shared-corpus stand-in. */
export function resolveScan(scan, log = console.error) {
  if (scan) return path.resolve(scan);
  if (fs.existsSync(DEFAULT_SCAN)) return DEFAULT_SCAN;
  if (fs.existsSync(FALLBACK_SCAN)) {
    log(`note: ${path.relative(ROOT, DEFAULT_SCAN)} does not exist yet; splicing the stand-in ${FALLBACK_SCAN}`);
    return FALLBACK_SCAN;
  }
  throw new Error(`no scan capture: neither ${DEFAULT_SCAN} nor ${FALLBACK_SCAN} exists (give one with --scan FILE)`);
}

/** Returns the metadata of an up-to-date flood file, generating it when missing, stale or forced. */
export function ensureFlood({ quick = false, packets, out, scan, seed = DEFAULT_SEED, force = false, log = console.log } = {}) {
  const preset = quick ? PRESETS.quick : PRESETS.full;
  packets ??= preset.packets;
  out = out ? path.resolve(out) : preset.out;
  scan = resolveScan(scan, log);
  let why = force ? 'forced' : null;
  if (!why) {
    let meta = null;
    try {
      meta = JSON.parse(fs.readFileSync(metaPath(out), 'utf8'));
    } catch {}
    const size = fs.existsSync(out) ? fs.statSync(out).size : -1;
    const sha = createHash('sha256').update(fs.readFileSync(scan)).digest('hex');
    if (size < 0) why = 'missing';
    else if (!meta) why = 'no metadata';
    else if (meta.generator_sha256 !== GENERATOR_SHA) why = 'generator changed';
    else if (meta.packets !== packets || meta.seed !== seed) why = 'different size or seed';
    else if (meta.scan.sha256 !== sha) why = 'different scan capture';
    else if (meta.bytes !== size) why = 'size does not match metadata';
    if (!why) {
      log(`using cached ${meta.file} (${meta.packets.toLocaleString('en-US')} packets, scanner ${meta.scan.scanner}; --force to regenerate)`);
      return meta;
    }
  }
  log(`generating ${path.relative(ROOT, out)} (${why}) ...`);
  return makeFlood({ packets, out, scan, seed, log });
}

// ---------------------------------------------------------------------------
// CLI

function parseArgs(argv) {
  const o = {};
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k];
    const val = () => {
      if (k + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++k];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--force') o.force = true;
    else if (a === '--packets') o.packets = Number(val());
    else if (a === '--out') o.out = val();
    else if (a === '--scan') o.scan = val();
    else if (a === '--seed') o.seed = Number(val());
    else if (a === '-h' || a === '--help') o.help = true;
    else throw new Error(`unknown argument ${a}`);
  }
  if (o.packets !== undefined && !(Number.isInteger(o.packets) && o.packets > 0)) throw new Error('--packets must be a positive integer');
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new Error('--seed must be an integer');
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const o = parseArgs(process.argv.slice(2));
    if (o.help) {
      console.log('usage: node bench/make-flood.mjs [--quick] [--packets N] [--out FILE] [--scan FILE] [--seed N] [--force]');
      process.exit(0);
    }
    ensureFlood(o);
  } catch (e) {
    console.error(`make-flood: ${e.message}`);
    process.exit(1);
  }
}
