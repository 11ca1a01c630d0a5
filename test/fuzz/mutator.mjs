// Seeded mutation of capture files for the fuzzing harness.
//
// Every case is reproducible from (seed, case number) alone: makeCase()
// derives the case's own PRNG from both, picks a fixture from test/pcaps,
// optionally rewrites it as pcapng (with chosen if_tsresol / if_tsoffset,
// several interfaces and link types, either byte order) and applies one to
// four mutations: bit flips, interesting bytes, truncation, length fields,
// link types, pcapng options, block splices. Node built-ins only, shares no
// code with src/ (it must not inherit the reader's assumptions).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIXTURE_DIR = path.join(ROOT, 'test/pcaps');

/** mulberry32: small, fast, good enough to pick mutations. */
export function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    float: next,
    int: (n) => Math.floor(next() * n),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
  };
}

/** The seed of case `i` of run `seed` (a 32-bit mix, so neighbouring cases differ). */
export function caseSeed(seed, i) {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

/** Classic pcap records of a fixture: link type and frames with their times. */
export function readPcap(buf) {
  if (buf.length < 24) return { linkType: 0, frames: [], le: true };
  const magic = buf.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const nano = magic === 0xa1b23c4d || magic === 0x4d3cb2a1;
  const linkType = u32(20) & 0xffff;
  const frames = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const cap = u32(off + 8);
    if (off + 16 + cap > buf.length) break;
    const us = BigInt(u32(off)) * 1000000n + BigInt(nano ? Math.floor(u32(off + 4) / 1000) : u32(off + 4));
    frames.push({ us, data: buf.subarray(off + 16, off + 16 + cap), recordAt: off });
    off += 16 + cap;
  }
  return { linkType, frames, le };
}

export function loadFixtures(dir = FIXTURE_DIR) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.pcap') || f.endsWith('.pcapng')).sort();
  if (files.length === 0) throw new Error(`no fixtures in ${dir}`);
  return files.map((f) => ({ name: f, bytes: fs.readFileSync(path.join(dir, f)) }));
}

// ------------------------------------------------------------------ pcapng writer

function u16(v, le) {
  const b = Buffer.alloc(2);
  le ? b.writeUInt16LE(v & 0xffff) : b.writeUInt16BE(v & 0xffff);
  return b;
}
function u32(v, le) {
  const b = Buffer.alloc(4);
  le ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0);
  return b;
}
function u64(v, le) {
  const b = Buffer.alloc(8);
  const x = BigInt.asUintN(64, v);
  le ? b.writeBigUInt64LE(x) : b.writeBigUInt64BE(x);
  return b;
}
function pad4(b) {
  const n = (4 - (b.length % 4)) % 4;
  return n === 0 ? Buffer.from(b) : Buffer.concat([b, Buffer.alloc(n)]);
}
function block(type, body, le) {
  const b = pad4(body);
  const len = 12 + b.length;
  return Buffer.concat([u32(type, le), u32(len, le), b, u32(len, le)]);
}
function options(opts, le) {
  if (opts.length === 0) return Buffer.alloc(0);
  const parts = [];
  for (const o of opts) parts.push(u16(o.code, le), u16(o.value.length, le), pad4(o.value));
  parts.push(u16(0, le), u16(0, le));
  return Buffer.concat(parts);
}

/** Interesting if_tsresol bytes: 10^-0, -6, -9, -19, 2^-0, 2^-32, 2^-127, and any. */
const TSRESOLS = [0, 1, 3, 6, 9, 10, 19, 0x7f, 0x80, 0x81, 0x94, 0xa0, 0xa1, 0xff];
/** Interesting if_tsoffset values: near +-2^62, +-2^63, days, years. */
const TSOFFSETS = [0n, 1n, -1n, 86400n, -86400n, -3_000_000_000n, 1n << 62n, -(1n << 62n), (1n << 62n) - 1n, (1n << 63n) - 1n, -(1n << 63n), 8_640_000_000_000n, -8_640_000_000_000n];

/**
 * Rewrites a classic pcap as pcapng: one or more interfaces (the frames'
 * interface chosen per frame), options on the IDB, sometimes a second
 * section, sometimes big-endian. Timestamps stay right for interface 0 at
 * 10^-6 with no offset; other choices give the reader unusual times.
 */
export function toPcapng(pcap, r) {
  const { linkType, frames } = readPcap(pcap);
  const le = !r.chance(0.2);
  const ifaces = [{ link: linkType, tsresol: 6, tsoffset: 0n }];
  const extra = r.int(3);
  for (let i = 0; i < extra; i++) {
    ifaces.push({ link: r.chance(0.7) ? linkType : r.pick([0, 1, 101, 108, 113, 228, 229, 276, 105, 127, 0xffff]), tsresol: r.pick(TSRESOLS), tsoffset: r.pick(TSOFFSETS) });
  }
  if (r.chance(0.3)) {
    ifaces[0].tsresol = r.pick(TSRESOLS);
    ifaces[0].tsoffset = r.pick(TSOFFSETS);
  }
  const shb = (sle) => block(0x0a0d0d0a, Buffer.concat([u32(0x1a2b3c4d, sle), u16(1, sle), u16(0, sle), u64(-1n, sle)]), sle);
  const idb = (f, sle) => {
    const opts = [];
    if (f.tsresol !== 6) opts.push({ code: 9, value: Uint8Array.of(f.tsresol) });
    if (f.tsoffset !== 0n) opts.push({ code: 14, value: u64(f.tsoffset, sle) });
    return block(1, Buffer.concat([u16(f.link, sle), u16(0, sle), u32(r.chance(0.1) ? r.int(100) : 0, sle), options(opts, sle)]), sle);
  };
  const ticks = (us, f) => {
    // Express the frame's time in the interface's units where that is exact enough.
    if ((f.tsresol & 0x80) === 0 && f.tsresol <= 9) return (us * 10n ** BigInt(f.tsresol)) / 1000000n;
    if ((f.tsresol & 0x80) !== 0 && (f.tsresol & 0x7f) <= 32) return (us << BigInt(f.tsresol & 0x7f)) / 1000000n;
    return us;
  };
  const parts = [shb(le), ...ifaces.map((f) => idb(f, le))];
  const splitAt = r.chance(0.15) ? r.int(frames.length + 1) : -1;
  frames.forEach((fr, i) => {
    if (i === splitAt) parts.push(shb(le), ...ifaces.map((f) => idb(f, le)));
    const id = ifaces.length > 1 && r.chance(0.2) ? r.int(ifaces.length) : 0;
    const t = BigInt.asUintN(64, ticks(fr.us, ifaces[id]));
    const kind = r.float();
    if (kind < 0.03) {
      parts.push(block(3, Buffer.concat([u32(fr.data.length, le), pad4(fr.data)]), le)); // SPB
    } else if (kind < 0.05) {
      parts.push(block(2, Buffer.concat([u16(id, le), u16(0, le), u32(Number(t >> 32n), le), u32(Number(t & 0xffffffffn), le), u32(fr.data.length, le), u32(fr.data.length, le), pad4(fr.data)]), le));
    } else {
      parts.push(block(6, Buffer.concat([u32(id, le), u32(Number(t >> 32n), le), u32(Number(t & 0xffffffffn), le), u32(fr.data.length, le), u32(fr.data.length, le), pad4(fr.data)]), le));
    }
  });
  return Buffer.concat(parts);
}

// ------------------------------------------------------------------ structure

/** Offsets of length-like fields: pcap record lengths, pcapng block lengths and captured lengths. */
function lengthFields(buf) {
  const fields = [];
  if (buf.length < 24) return fields;
  const m = buf.readUInt32LE(0);
  if (m === 0x0a0d0d0a) {
    let off = 0;
    let le = true;
    while (off + 12 <= buf.length && fields.length < 100000) {
      const typeLe = buf.readUInt32LE(off);
      if (typeLe === 0x0a0d0d0a && off + 12 <= buf.length) le = buf.readUInt32LE(off + 8) === 0x1a2b3c4d;
      const len = le ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
      const type = le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
      fields.push({ at: off + 4, le, kind: 'block-length' });
      if (type === 6 || type === 2) fields.push({ at: off + 20, le, kind: 'captured-length' }, { at: off + 24, le, kind: 'original-length' }, { at: off + 8, le, kind: 'interface-id' });
      if (type === 1) fields.push({ at: off + 8, le, kind: 'link-type16' });
      if (len < 12 || len % 4 !== 0) break;
      off += len;
    }
    return fields;
  }
  const le = m === 0xa1b2c3d4 || m === 0xa1b23c4d;
  fields.push({ at: 16, le, kind: 'snaplen' }, { at: 20, le, kind: 'link-type' });
  const { frames } = readPcap(buf);
  for (const f of frames) fields.push({ at: f.recordAt + 8, le, kind: 'captured-length' }, { at: f.recordAt + 12, le, kind: 'original-length' }, { at: f.recordAt + 4, le, kind: 'fraction' });
  return fields;
}

const INTERESTING_32 = [0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 15, 16, 27, 28, 31, 32, 60, 64, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 65535, 262144, 262145, 0x7fffffff, 0x80000000, 0xfffffffc, 0xfffffffe, 0xffffffff];
const INTERESTING_8 = [0, 1, 0x7f, 0x80, 0xff, 0x40, 0x45, 0x46, 0x4f, 0x60, 0x06, 0x11, 0x01, 0x3a, 0x2c, 0x00];
/** Link types worth trying: every one the decoder knows, and some it does not. */
const LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276, 12, 14, 105, 127, 147, 0xffff];

const isPcapng = (buf) => buf.length >= 4 && buf.readUInt32LE(0) === 0x0a0d0d0a;

function writeField(buf, f, v) {
  if (f.at + 4 > buf.length) return;
  f.le ? buf.writeUInt32LE(v >>> 0, f.at) : buf.writeUInt32BE(v >>> 0, f.at);
}

/** Each mutation edits `buf` (a copy) and may return a new buffer; it returns [buffer, description]. */
const MUTATIONS = {
  bitflip(buf, r) {
    const n = 1 + r.int(8);
    const at = [];
    for (let i = 0; i < n && buf.length > 0; i++) {
      const o = r.int(buf.length);
      buf[o] ^= 1 << r.int(8);
      at.push(o);
    }
    return [buf, `bitflip@${at.join(',')}`];
  },
  /** Flips bits inside the first 80 bytes of a record's data (headers: IP, TCP, ICMP, VLAN, SLL). */
  headerflip(buf, r) {
    if (isPcapng(buf)) return MUTATIONS.bitflip(buf, r);
    const { frames } = readPcap(buf);
    if (frames.length === 0) return MUTATIONS.bitflip(buf, r);
    const f = r.pick(frames);
    const start = f.recordAt + 16;
    const n = 1 + r.int(4);
    for (let i = 0; i < n; i++) {
      const o = start + r.int(Math.min(80, Math.max(1, f.data.length)));
      if (o < buf.length) buf[o] = r.chance(0.5) ? buf[o] ^ (1 << r.int(8)) : r.pick(INTERESTING_8);
    }
    return [buf, `headerflip@${start}`];
  },
  bytes(buf, r) {
    const n = 1 + r.int(4);
    for (let i = 0; i < n && buf.length > 0; i++) buf[r.int(buf.length)] = r.pick(INTERESTING_8);
    return [buf, 'interesting-bytes'];
  },
  truncate(buf, r) {
    const at = r.chance(0.3) ? r.int(Math.min(buf.length, 200)) : r.int(buf.length + 1);
    return [buf.subarray(0, at), `truncate@${at}`];
  },
  length(buf, r) {
    const fields = lengthFields(buf);
    if (fields.length === 0) return MUTATIONS.bitflip(buf, r);
    const f = r.pick(fields);
    const old = f.at + 4 <= buf.length ? (f.le ? buf.readUInt32LE(f.at) : buf.readUInt32BE(f.at)) : 0;
    const v = r.chance(0.5) ? r.pick(INTERESTING_32) : (old + r.pick([-8, -4, -1, 1, 4, 8, 1 << 16, 1 << 24])) >>> 0;
    if (f.kind === 'link-type16' || f.kind === 'link-type') {
      writeField(buf, f, r.pick(LINK_TYPES) | (f.kind === 'link-type' && r.chance(0.2) ? 0x14000000 : 0));
      return [buf, `${f.kind}@${f.at}`];
    }
    writeField(buf, f, v);
    return [buf, `${f.kind}@${f.at}=${v}`];
  },
  linktype(buf, r) {
    const fields = lengthFields(buf).filter((f) => f.kind === 'link-type' || f.kind === 'link-type16');
    if (fields.length === 0) return MUTATIONS.bitflip(buf, r);
    const f = r.pick(fields);
    const v = r.pick(LINK_TYPES);
    if (f.kind === 'link-type16') {
      f.le ? buf.writeUInt16LE(v, f.at) : buf.writeUInt16BE(v, f.at);
    } else writeField(buf, f, v);
    return [buf, `linktype@${f.at}=${v}`];
  },
  splice(buf, r) {
    if (buf.length < 8) return [buf, 'splice-none'];
    const a = r.int(buf.length);
    const len = 1 + r.int(Math.min(512, buf.length - a));
    const at = r.int(buf.length);
    const piece = Buffer.from(buf.subarray(a, a + len));
    const out = r.chance(0.5) ? Buffer.concat([buf.subarray(0, at), piece, buf.subarray(at)]) : Buffer.concat([buf.subarray(0, at), buf.subarray(Math.min(buf.length, at + len))]);
    return [out, `splice@${at}`];
  },
  /** A timestamp field set to an extreme value (pcap seconds/fraction, pcapng high/low words). */
  timestamp(buf, r) {
    if (isPcapng(buf)) {
      const blocks = lengthFields(buf).filter((f) => f.kind === 'captured-length');
      if (blocks.length === 0) return MUTATIONS.bitflip(buf, r);
      const f = r.pick(blocks);
      const hiAt = f.at - 8;
      writeField(buf, { at: hiAt, le: f.le }, r.pick([0xffffffff, 0x80000000, 0x7fffffff, 0x00200000, 0x10000000, 0]));
      return [buf, `pcapng-ts@${hiAt}`];
    }
    const { frames, le } = readPcap(buf);
    if (frames.length === 0) return MUTATIONS.bitflip(buf, r);
    const f = r.pick(frames);
    writeField(buf, { at: f.recordAt + r.pick([0, 4]), le }, r.pick(INTERESTING_32));
    return [buf, `pcap-ts@${f.recordAt}`];
  },
};
const MUTATION_NAMES = Object.keys(MUTATIONS);

/**
 * Case `i` of run `seed`: { name, bytes, steps } where `name` says which
 * fixture it came from and `steps` the mutations applied, in order.
 */
export function makeCase(fixtures, seed, i) {
  const r = prng(caseSeed(seed, i));
  const fx = r.pick(fixtures);
  let bytes = Buffer.from(fx.bytes);
  const steps = [];
  // Most cases use a prefix of the capture: faster, and the mutations then
  // land near the headers more often.
  if (r.chance(0.7)) {
    const { frames } = readPcap(bytes);
    const keep = 1 + r.int(Math.min(frames.length, 300));
    if (keep < frames.length) {
      bytes = bytes.subarray(0, frames[keep].recordAt);
      steps.push(`prefix:${keep}`);
    }
  }
  if (r.chance(0.45)) {
    bytes = toPcapng(bytes, r);
    steps.push('pcapng');
  } else bytes = Buffer.from(bytes);
  const n = 1 + r.int(4);
  for (let k = 0; k < n; k++) {
    const m = r.pick(MUTATION_NAMES);
    const [out, what] = MUTATIONS[m](bytes, r);
    bytes = Buffer.from(out);
    steps.push(what);
  }
  return { name: fx.name, bytes, steps };
}
