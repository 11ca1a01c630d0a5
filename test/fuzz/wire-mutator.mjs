// Seeded mutation of Ethernet frames, for the live mode of the fuzzer:
// what an adversary on the link can put on the wire. File-level damage
// (pcapng blocks, record lengths, timestamps) cannot travel on a link, so
// these mutations act on the frames themselves: bit flips anywhere and in
// headers, header fields (lengths, next-protocol types, fragment fields)
// set to awkward values, frames cut inside a header, shortened or padded
// frames, bytes inserted or removed inside the headers (everything behind
// shifts), VLAN tags pushed in, random link-layer payloads, duplicated and
// reordered frames, and now and then a frame the link cannot carry (under
// the 14-byte Ethernet header, above the MTU).
//
// Wire case i of seed S is reproducible from (S, i) alone: a run of up to
// MAX_CASE_FRAMES consecutive frames of one fixture (test/pcaps and its
// recon/ and adversary/ subdirectories, all Ethernet), one to about one per
// frame of mutations, and each frame's gap to the previous one (its
// recorded gap, capped so that a case replays in milliseconds).

import fs from 'node:fs';
import path from 'node:path';
import { caseSeed, FIXTURE_DIR, prng, readPcap, ROOT } from './mutator.mjs';
import { ETHERTYPES, layersOf } from './wire-layers.mjs';

export const WIRE_FIXTURE_DIRS = [FIXTURE_DIR, path.join(FIXTURE_DIR, 'recon'), path.join(FIXTURE_DIR, 'adversary')];
/** Longest run of fixture frames in one case. */
export const MAX_CASE_FRAMES = 48;
/** Longest gap kept between two frames of a case, in microseconds (the recorded gap when shorter). */
export const MAX_GAP_US = 2000;
/** The largest frame the mutator writes: above the lab link's MTU (9000) on purpose, now and then. */
const MAX_FRAME = 9100;
const LINKTYPE_ETHERNET = 1;

/** Every Ethernet fixture, each with its frames and their recorded gaps. */
export function loadWireFixtures(dirs = WIRE_FIXTURE_DIRS) {
  const out = [];
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.pcap')).sort()) {
      const { linkType, frames } = readPcap(fs.readFileSync(path.join(dir, f)));
      if (linkType !== LINKTYPE_ETHERNET || frames.length === 0) continue;
      out.push({
        name: path.relative(ROOT, path.join(dir, f)),
        frames: frames.map((fr, k) => ({ data: fr.data, gapUs: k === 0 ? 0 : Number(fr.us - frames[k - 1].us) })),
      });
    }
  }
  if (out.length === 0) throw new Error(`no Ethernet fixtures in ${dirs.join(', ')}`);
  return out;
}

const NEXT_16 = [ETHERTYPES.IPV4, ETHERTYPES.IPV6, ETHERTYPES.ARP, ETHERTYPES.VLAN, ETHERTYPES.QINQ, ETHERTYPES.VLAN_OLD, ETHERTYPES.MPLS, ETHERTYPES.TEB, ETHERTYPES.ERSPAN2, ETHERTYPES.ERSPAN3, 0x0000, 0x05dc, 0x0600, 0xffff, 4789, 6081, 8472, 53, 80];
const NEXT_8 = [0, 1, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 59, 60, 132, 135, 255];
const LENGTH_8 = [0, 1, 2, 4, 5, 6, 0x0f, 0x40, 0x44, 0x45, 0x46, 0x4f, 0x50, 0x60, 0x7f, 0x80, 0xf0, 0xff];
const LENGTH_16 = [0, 1, 2, 4, 7, 8, 12, 19, 20, 28, 39, 40, 60, 0x7fff, 0x8000, 0xfffe, 0xffff];
/** IPv4 (flags, offset) and IPv6 (offset, M) words: more fragments, last fragment, odd offsets. */
const FRAG_16 = [0x0000, 0x2000, 0x2001, 0x0001, 0x1fff, 0x3fff, 0x4000, 0x6000, 0x0008, 0x0009, 0xfff8, 0xfff9, 0xffff];
const INTERESTING_8 = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x45, 0x60, 0x06, 0x11, 0x3a, 0x2c, 0x2f, 0x84];

function readField(frame, f) {
  return f.size === 1 ? frame[f.at] : frame.readUInt16BE(f.at);
}
function writeField(frame, f, v) {
  if (f.at + f.size > frame.length) return;
  if (f.size === 1) frame[f.at] = v & 0xff;
  else frame.writeUInt16BE(v & 0xffff, f.at);
}

/** A random header of the frame, or null when the walk found none. */
function pickLayer(frame, r) {
  const layers = layersOf(frame);
  return layers.length === 0 ? null : r.pick(layers);
}

/** Each mutation takes (a copy of the frame, the case's prng) and returns [new frame, description]. */
const FRAME_MUTATIONS = {
  bitflip(frame, r) {
    const n = 1 + r.int(8);
    for (let i = 0; i < n && frame.length > 0; i++) frame[r.int(frame.length)] ^= 1 << r.int(8);
    return [frame, `bitflip*${n}`];
  },
  /** Bits or interesting bytes inside one header. */
  headerflip(frame, r) {
    const l = pickLayer(frame, r);
    if (l === null) return FRAME_MUTATIONS.bitflip(frame, r);
    const n = 1 + r.int(4);
    for (let i = 0; i < n; i++) {
      const o = l.start + r.int(Math.max(1, Math.min(l.len, frame.length - l.start)));
      if (o < frame.length) frame[o] = r.chance(0.5) ? frame[o] ^ (1 << r.int(8)) : r.pick(INTERESTING_8);
    }
    return [frame, `headerflip:${l.proto}`];
  },
  /** A length, next-protocol, fragment or flags field set to an awkward value. */
  field(frame, r) {
    const fields = layersOf(frame).flatMap((l) => l.fields.map((f) => ({ ...f, proto: l.proto })));
    if (fields.length === 0) return FRAME_MUTATIONS.bitflip(frame, r);
    const f = r.pick(fields);
    const old = f.at + f.size <= frame.length ? readField(frame, f) : 0;
    let v;
    if (r.chance(0.25)) v = old + r.pick([-8, -4, -2, -1, 1, 2, 4, 8]);
    else if (f.role === 'next') v = f.size === 1 ? r.pick(NEXT_8) : r.pick(NEXT_16);
    else if (f.role === 'length') v = f.size === 1 ? r.pick(LENGTH_8) : r.chance(0.3) ? frame.length - f.at + r.int(41) - 20 : r.pick(LENGTH_16);
    else if (f.role === 'frag') v = r.pick(FRAG_16);
    else v = r.int(f.size === 1 ? 256 : 65536);
    writeField(frame, f, v);
    return [frame, `field:${f.proto}@${f.at}=${v & (f.size === 1 ? 0xff : 0xffff)}`];
  },
  /** The frame ends inside (or right after) one of its headers. */
  cut(frame, r) {
    const l = pickLayer(frame, r);
    const at = l === null ? r.int(frame.length + 1) : Math.min(frame.length, l.start + r.int(l.len + 2));
    return [frame.subarray(0, at), `cut:${l?.proto ?? 'frame'}@${at}`];
  },
  /** A few bytes fewer than the headers' lengths promise. */
  trim(frame, r) {
    const n = 1 + r.int(Math.min(16, Math.max(1, frame.length)));
    return [frame.subarray(0, Math.max(0, frame.length - n)), `trim-${n}`];
  },
  /** Trailing bytes: zeros (Ethernet padding), random ones, or enough to reach a jumbo frame or to pass the MTU. */
  pad(frame, r) {
    const kind = r.float();
    // The last kind straddles the link's limit (9014 bytes with the header): some fit, some are refused.
    const n = kind < 0.6 ? 1 + r.int(64) : kind < 0.85 ? r.int(1500) : kind < 0.95 ? r.int(9000) : MAX_FRAME - 100 + r.int(101) - frame.length;
    const extra = Buffer.alloc(Math.max(0, n));
    if (r.chance(0.5)) for (let i = 0; i < extra.length; i++) extra[i] = r.int(256);
    return [Buffer.concat([frame, extra]), `pad+${extra.length}`];
  },
  /** Bytes inserted into or removed from a header: everything behind it moves. */
  shift(frame, r) {
    const l = pickLayer(frame, r);
    const at = Math.min(frame.length, l === null ? r.int(frame.length + 1) : l.start + r.int(l.len + 1));
    const n = r.pick([1, 2, 3, 4, 8, 16]);
    if (r.chance(0.5)) {
      const ins = Buffer.alloc(n);
      for (let i = 0; i < n; i++) ins[i] = r.chance(0.5) ? 0 : r.int(256);
      return [Buffer.concat([frame.subarray(0, at), ins, frame.subarray(at)]), `insert${n}@${at}`];
    }
    return [Buffer.concat([frame.subarray(0, at), frame.subarray(Math.min(frame.length, at + n))]), `remove${n}@${at}`];
  },
  /** One or more VLAN tags pushed in after the MAC addresses (802.1Q, 802.1ad, the old 0x9100). */
  vlan(frame, r) {
    if (frame.length < 12) return FRAME_MUTATIONS.bitflip(frame, r);
    const n = r.chance(0.8) ? 1 : 2 + r.int(7);
    const tags = Buffer.alloc(4 * n);
    for (let i = 0; i < n; i++) {
      tags.writeUInt16BE(r.pick([ETHERTYPES.VLAN, ETHERTYPES.QINQ, ETHERTYPES.VLAN_OLD]), 4 * i);
      tags.writeUInt16BE(r.chance(0.3) ? r.int(65536) : r.int(4096), 4 * i + 2);
    }
    // The tags go between the MACs and the frame's own EtherType, which ends up as the innermost type.
    const out = Buffer.concat([frame.subarray(0, 12), tags, frame.subarray(12)]);
    return [out, `vlan*${n}`];
  },
  /** A link-layer payload of random bytes behind a chosen (or random) EtherType. */
  random(frame, r) {
    const keep = frame.length >= 12 && r.chance(0.8) ? frame.subarray(0, 12) : Buffer.from(Array.from({ length: 12 }, () => r.int(256)));
    const type = r.chance(0.8) ? r.pick(NEXT_16) : r.int(65536);
    const body = Buffer.alloc(r.chance(0.7) ? r.int(128) : r.int(1500));
    for (let i = 0; i < body.length; i++) body[i] = r.int(256);
    // Half the time the body starts like the protocol it claims to be, so the decoder goes further in.
    if (body.length > 0 && r.chance(0.5)) body[0] = type === ETHERTYPES.IPV6 ? 0x60 : r.pick([0x45, 0x46, 0x4f, 0x60, body[0]]);
    const t = Buffer.alloc(2);
    t.writeUInt16BE(type);
    return [Buffer.concat([keep, t, body]), `random:${type.toString(16)}+${body.length}`];
  },
  /** Too short to be an Ethernet frame: the sender's kernel refuses it, the fuzzer must say so. */
  runt(frame, r) {
    const n = 1 + r.int(13);
    return [frame.subarray(0, Math.min(n, frame.length)), `runt${Math.min(n, frame.length)}`];
  },
};
const FRAME_MUTATION_NAMES = Object.keys(FRAME_MUTATIONS);
/** How often each is picked: the rare ones make frames the link cannot carry. */
const WEIGHTS = { bitflip: 3, headerflip: 4, field: 6, cut: 3, trim: 2, pad: 2, shift: 2, vlan: 2, random: 2, runt: 0.1 };
const TOTAL_WEIGHT = FRAME_MUTATION_NAMES.reduce((a, n) => a + WEIGHTS[n], 0);

function pickMutation(r) {
  let x = r.float() * TOTAL_WEIGHT;
  for (const n of FRAME_MUTATION_NAMES) {
    x -= WEIGHTS[n];
    if (x < 0) return n;
  }
  return FRAME_MUTATION_NAMES.at(-1);
}

/**
 * Wire case `i` of run `seed`: { name, steps, frames: [{ data, gapUs }] }.
 * `name` is the fixture, `steps` what was done to which frame (k:what).
 * A frame is never empty: a zero-length record stops tcpreplay outright.
 */
export function makeWireCase(fixtures, seed, i) {
  const r = prng(caseSeed(seed, i));
  const fx = r.pick(fixtures);
  const from = r.int(fx.frames.length);
  const count = 1 + r.int(Math.min(MAX_CASE_FRAMES, fx.frames.length - from));
  const frames = fx.frames.slice(from, from + count).map((f, k) => ({ data: Buffer.from(f.data), gapUs: k === 0 ? 0 : Math.min(f.gapUs, MAX_GAP_US) }));
  const steps = [`frames:${from}+${count}`];
  const n = 1 + r.int(count);
  for (let m = 0; m < n; m++) {
    const k = r.int(frames.length);
    if (r.chance(0.05)) {
      // Reordered or repeated frames, as a sender replaying or racing itself would put them on the wire.
      const j = r.int(frames.length);
      const swap = r.chance(0.5);
      if (swap) [frames[k].data, frames[j].data] = [frames[j].data, frames[k].data];
      else frames.splice(j, 0, { data: Buffer.from(frames[k].data), gapUs: 0 });
      steps.push(`${k}:${swap ? 'swap' : 'repeat'}:${j}`);
      continue;
    }
    const name = pickMutation(r);
    const [out, what] = FRAME_MUTATIONS[name](Buffer.from(frames[k].data), r);
    frames[k].data = out.length > 0 ? Buffer.from(out) : Buffer.from([r.int(256)]);
    steps.push(`${k}:${what}`);
  }
  return { name: fx.name, steps, frames };
}

/**
 * A classic microsecond pcap (Ethernet) of `frames`, the first at `startUs`
 * and each after its gapUs; captured length = wire length = the frame.
 */
export function framesToPcap(frames, startUs = 1_700_000_000_000_000n) {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const parts = [header];
  let t = BigInt(startUs);
  for (const f of frames) {
    t += BigInt(f.gapUs);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(Number(t / 1_000_000n), 0);
    rec.writeUInt32LE(Number(t % 1_000_000n), 4);
    rec.writeUInt32LE(f.data.length, 8);
    rec.writeUInt32LE(f.data.length, 12);
    parts.push(rec, f.data);
  }
  return Buffer.concat(parts);
}
