/**
 * Test helpers: raw frames for the engine and decoder tests.
 *
 * Builds Ethernet (optionally VLAN-tagged) frames carrying IPv4/IPv6 with
 * TCP, UDP, ICMP/ICMPv6, or ARP, with every length field right. The IPv4
 * header checksum is computed; transport checksums are left zero (nothing
 * here verifies them). Also wraps L3 packets in the other link layers the
 * decoder knows (Linux SLL/SLL2, BSD NULL loopback).
 *
 * Addresses used by the tests are documentation/benchmark space only:
 * 198.18.0.0/15 (RFC 2544), 2001:db8::/32 (RFC 3849) and 203.0.113.0/24
 * (RFC 5737, used for "remote" hosts).
 */
import type { Engine } from '../../src/engine/engine.js';

// ---------------------------------------------------------------------------
// Addresses

/** Dotted quad to an unsigned 32-bit number. */
export function ip4(text: string): number {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 ${text}`);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Unsigned 32-bit number to a dotted quad. */
export function ip4Text(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** IPv6 text (with optional "::") to its 16 bytes. No embedded IPv4 form. */
export function ip6(text: string): Buffer {
  const out = Buffer.alloc(16);
  const halves = text.split('::');
  if (halves.length > 2) throw new Error(`bad IPv6 ${text}`);
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const groups = halves.length === 2 ? [...head, ...new Array<string>(8 - head.length - tail.length).fill('0'), ...tail] : head;
  if (groups.length !== 8) throw new Error(`bad IPv6 ${text}`);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

export const isV6 = (addr: string): boolean => addr.includes(':');

/** A locally administered MAC derived from an address (stable per host). */
export function macOf(addr: string): Buffer {
  let h = 0x811c9dc5;
  for (const c of addr) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
  const m = Buffer.alloc(6);
  m[0] = 0x02;
  m.writeUInt32BE(h >>> 0, 1);
  m[5] = addr.length;
  return m;
}

export const BROADCAST_MAC = Buffer.from('ffffffffffff', 'hex');

// ---------------------------------------------------------------------------
// TCP flags and options

export const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** Flags from letters: F S R P A U E C (e.g. 'SA', 'FPU', 'RA', ''). */
export function flagsOf(spec: number | string): number {
  if (typeof spec === 'number') return spec;
  const map: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80 };
  let v = 0;
  for (const c of spec) {
    const bit = map[c];
    if (bit === undefined) throw new Error(`bad flag ${c}`);
    v |= bit;
  }
  return v;
}

export interface TcpOptions {
  mss?: number;
  sackPerm?: boolean;
  /** [TSval, TSecr] */
  ts?: [number, number];
  /** Window scale shift. */
  ws?: number;
  /** SACK blocks. */
  sack?: [number, number][];
}

/** Encodes options in Linux's order (MSS, SACK_PERM, TS, NOP, WS), padded with NOPs to 32 bits. */
export function tcpOptionBytes(o: TcpOptions | Buffer | undefined): Buffer {
  if (o === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(o)) return o;
  const parts: number[] = [];
  if (o.mss !== undefined) parts.push(2, 4, (o.mss >> 8) & 255, o.mss & 255);
  if (o.sackPerm === true && o.ts !== undefined) parts.push(4, 2);
  else if (o.sackPerm === true) parts.push(1, 1, 4, 2);
  if (o.ts !== undefined) {
    const b = Buffer.alloc(10);
    b[0] = 8;
    b[1] = 10;
    b.writeUInt32BE(o.ts[0] >>> 0, 2);
    b.writeUInt32BE(o.ts[1] >>> 0, 6);
    parts.push(...b);
  }
  if (o.sack !== undefined && o.sack.length > 0) {
    parts.push(1, 1, 5, 2 + 8 * o.sack.length);
    for (const [l, r] of o.sack) {
      const b = Buffer.alloc(8);
      b.writeUInt32BE(l >>> 0, 0);
      b.writeUInt32BE(r >>> 0, 4);
      parts.push(...b);
    }
  }
  if (o.ws !== undefined) parts.push(1, 3, 3, o.ws);
  while (parts.length % 4 !== 0) parts.push(1);
  return Buffer.from(parts);
}

/** nmap's raw SYN: a lone MSS of 1460. */
export const NMAP_SYN_OPTIONS: TcpOptions = { mss: 1460 };
/** A Linux connect() SYN: MSS, SACK_PERM, timestamps, window scale. */
export const LINUX_SYN_OPTIONS: TcpOptions = { mss: 1460, sackPerm: true, ts: [123456789, 0], ws: 7 };
/** A Linux SYN-ACK. */
export const LINUX_SYNACK_OPTIONS: TcpOptions = { mss: 1460, sackPerm: true, ts: [987654321, 123456789], ws: 7 };

// ---------------------------------------------------------------------------
// Transport layer

export interface TcpSpec {
  sport: number;
  dport: number;
  flags: number | string;
  seq?: number;
  ack?: number;
  window?: number;
  urgent?: number;
  options?: TcpOptions | Buffer;
  /** Payload bytes, or a length (filled with 'x'). */
  payload?: Buffer | number;
}

function payloadOf(p: Buffer | number | undefined): Buffer {
  if (p === undefined) return Buffer.alloc(0);
  if (typeof p === 'number') return Buffer.alloc(p, 0x78);
  return p;
}

export function tcpSegment(s: TcpSpec): Buffer {
  const opts = tcpOptionBytes(s.options);
  if (opts.length % 4 !== 0 || opts.length > 40) throw new Error('TCP options must be a multiple of 4 bytes, at most 40');
  const payload = payloadOf(s.payload);
  const hlen = 20 + opts.length;
  const b = Buffer.alloc(hlen + payload.length);
  b.writeUInt16BE(s.sport, 0);
  b.writeUInt16BE(s.dport, 2);
  b.writeUInt32BE((s.seq ?? 0) >>> 0, 4);
  b.writeUInt32BE((s.ack ?? 0) >>> 0, 8);
  b[12] = (hlen / 4) << 4;
  b[13] = flagsOf(s.flags);
  b.writeUInt16BE(s.window ?? 64240, 14);
  b.writeUInt16BE(0, 16); // checksum left zero
  b.writeUInt16BE(s.urgent ?? 0, 18);
  opts.copy(b, 20);
  payload.copy(b, hlen);
  return b;
}

export function udpDatagram(sport: number, dport: number, payload?: Buffer | number): Buffer {
  const data = payloadOf(payload);
  const b = Buffer.alloc(8 + data.length);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt16BE(8 + data.length, 4);
  data.copy(b, 8);
  return b;
}

/** ICMP or ICMPv6 message: type, code, 4 bytes of "rest of header", body. */
export function icmpMessage(type: number, code: number, rest: number, body?: Buffer | number): Buffer {
  const data = payloadOf(body);
  const b = Buffer.alloc(8 + data.length);
  b[0] = type;
  b[1] = code;
  b.writeUInt32BE(rest >>> 0, 4);
  data.copy(b, 8);
  return b;
}

// ---------------------------------------------------------------------------
// Network layer

export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, HOPOPT: 0, FRAG: 44 } as const;

export interface Ipv4Spec {
  src: string;
  dst: string;
  proto: number;
  payload: Buffer;
  id?: number;
  ttl?: number;
  /** IP options (padded with EOL to 32 bits). */
  options?: Buffer;
  /** Fragment offset in 8-byte units. */
  fragOffset?: number;
  moreFragments?: boolean;
  dontFragment?: boolean;
}

export function ipv4Packet(s: Ipv4Spec): Buffer {
  const rawOpts = s.options ?? Buffer.alloc(0);
  const opts = Buffer.alloc((rawOpts.length + 3) & ~3);
  rawOpts.copy(opts);
  const hlen = 20 + opts.length;
  const b = Buffer.alloc(hlen + s.payload.length);
  b[0] = 0x40 | (hlen / 4);
  b[1] = 0;
  b.writeUInt16BE(b.length, 2);
  b.writeUInt16BE((s.id ?? 0x1234) & 0xffff, 4);
  const frag = ((s.fragOffset ?? 0) & 0x1fff) | (s.moreFragments === true ? 0x2000 : 0) | (s.dontFragment === true ? 0x4000 : 0);
  b.writeUInt16BE(frag, 6);
  b[8] = s.ttl ?? 64;
  b[9] = s.proto;
  b.writeUInt32BE(ip4(s.src), 12);
  b.writeUInt32BE(ip4(s.dst), 16);
  opts.copy(b, 20);
  let sum = 0;
  for (let i = 0; i < hlen; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  b.writeUInt16BE(~sum & 0xffff, 10);
  s.payload.copy(b, hlen);
  return b;
}

/** An IPv6 extension header (hop-by-hop, routing, destination options, fragment). */
export interface Ipv6Ext {
  type: number;
  /** Body after the first two bytes (next header, length); hop-by-hop etc. are padded to 8n. For fragment headers, use `fragmentHeaderBody`. */
  body?: Buffer;
}

/** The 6 bytes after "next header, reserved" in a fragment header. */
export function fragmentHeaderBody(offset8: number, more: boolean, id: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUInt16BE(((offset8 & 0x1fff) << 3) | (more ? 1 : 0), 0);
  b.writeUInt32BE(id >>> 0, 2);
  return b;
}

export interface Ipv6Spec {
  src: string;
  dst: string;
  next: number;
  payload: Buffer;
  hopLimit?: number;
  ext?: Ipv6Ext[];
}

export function ipv6Packet(s: Ipv6Spec): Buffer {
  const exts = s.ext ?? [];
  const extBufs: Buffer[] = [];
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i]!;
    const next = i + 1 < exts.length ? exts[i + 1]!.type : s.next;
    if (e.type === PROTO.FRAG) {
      const body = e.body ?? fragmentHeaderBody(0, false, 1);
      extBufs.push(Buffer.concat([Buffer.from([next, 0]), body.subarray(0, 6)]));
    } else {
      const raw = e.body ?? Buffer.from([1, 4, 0, 0, 0, 0]); // PadN
      const total = (raw.length + 2 + 7) & ~7;
      const h = Buffer.alloc(total);
      h[0] = next;
      h[1] = total / 8 - 1;
      raw.copy(h, 2);
      if (raw.length + 2 < total) {
        // PadN over the rest
        const pad = total - raw.length - 2;
        if (pad === 1) h[raw.length + 2] = 0;
        else {
          h[raw.length + 2] = 1;
          h[raw.length + 3] = pad - 2;
        }
      }
      extBufs.push(h);
    }
  }
  const ext = Buffer.concat(extBufs);
  const b = Buffer.alloc(40 + ext.length + s.payload.length);
  b.writeUInt32BE(0x60000000, 0);
  b.writeUInt16BE(ext.length + s.payload.length, 4);
  b[6] = exts.length > 0 ? exts[0]!.type : s.next;
  b[7] = s.hopLimit ?? 64;
  ip6(s.src).copy(b, 8);
  ip6(s.dst).copy(b, 24);
  ext.copy(b, 40);
  s.payload.copy(b, 40 + ext.length);
  return b;
}

// ---------------------------------------------------------------------------
// Link layer

export const ETHERTYPE = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd, VLAN: 0x8100, QINQ: 0x88a8, LLDP: 0x88cc } as const;

export interface EtherOpts {
  src?: Buffer;
  dst?: Buffer;
  /** Outer first: e.g. [{ tpid: 0x88a8, vid: 100 }, { tpid: 0x8100, vid: 200 }]. */
  vlans?: { tpid: number; vid: number }[];
  /** Pad to the 60-byte Ethernet minimum, as a NIC would. */
  pad?: boolean;
}

export function ether(etherType: number, payload: Buffer, o: EtherOpts = {}): Buffer {
  const vlans = o.vlans ?? [];
  const hdr = Buffer.alloc(14 + 4 * vlans.length);
  (o.dst ?? Buffer.from('020000000002', 'hex')).copy(hdr, 0);
  (o.src ?? Buffer.from('020000000001', 'hex')).copy(hdr, 6);
  let pos = 12;
  for (const v of vlans) {
    hdr.writeUInt16BE(v.tpid, pos);
    hdr.writeUInt16BE(v.vid & 0x0fff, pos + 2);
    pos += 4;
  }
  hdr.writeUInt16BE(etherType, pos);
  const f = Buffer.concat([hdr, payload]);
  if (o.pad === true && f.length < 60) return Buffer.concat([f, Buffer.alloc(60 - f.length)]);
  return f;
}

/** Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113). packetType 0 = to us, 1 = broadcast, 4 = outgoing. */
export function sll(protocol: number, l3: Buffer, packetType = 0): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(packetType, 0);
  h.writeUInt16BE(1, 2); // ARPHRD_ETHER
  h.writeUInt16BE(6, 4);
  Buffer.from('020000000001', 'hex').copy(h, 6);
  h.writeUInt16BE(protocol, 14);
  return Buffer.concat([h, l3]);
}

/** Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276). */
export function sll2(protocol: number, l3: Buffer, packetType = 0): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(protocol, 0);
  h.writeUInt32BE(2, 4); // interface index
  h.writeUInt16BE(1, 8); // ARPHRD_ETHER
  h[10] = packetType;
  h[11] = 6;
  Buffer.from('020000000001', 'hex').copy(h, 12);
  return Buffer.concat([h, l3]);
}

/** BSD loopback (LINKTYPE_NULL, 0): 4-byte address family in the writer's byte order. */
export function nullLoop(family: number, l3: Buffer, littleEndian: boolean): Buffer {
  const h = Buffer.alloc(4);
  if (littleEndian) h.writeUInt32LE(family);
  else h.writeUInt32BE(family);
  return Buffer.concat([h, l3]);
}

// ---------------------------------------------------------------------------
// Whole frames (Ethernet)

export interface IpCommon {
  src: string;
  dst: string;
  ipId?: number;
  ttl?: number;
  ipOptions?: Buffer;
  vlans?: { tpid: number; vid: number }[];
}

function ipWrap(c: IpCommon, proto: number, l4: Buffer): Buffer {
  if (isV6(c.src) !== isV6(c.dst)) throw new Error('mixed address families');
  if (isV6(c.src)) {
    const pkt = ipv6Packet({ src: c.src, dst: c.dst, next: proto, payload: l4, hopLimit: c.ttl });
    return ether(ETHERTYPE.IPV6, pkt, { src: macOf(c.src), dst: macOf(c.dst), vlans: c.vlans, pad: true });
  }
  const pkt = ipv4Packet({ src: c.src, dst: c.dst, proto, payload: l4, id: c.ipId, ttl: c.ttl, options: c.ipOptions });
  return ether(ETHERTYPE.IPV4, pkt, { src: macOf(c.src), dst: macOf(c.dst), vlans: c.vlans, pad: true });
}

export type TcpFrameSpec = IpCommon & TcpSpec;

/** An Ethernet frame carrying one TCP segment (IPv4 or IPv6 by the address form). */
export function tcp(s: TcpFrameSpec): Buffer {
  return ipWrap(s, PROTO.TCP, tcpSegment(s));
}

export interface UdpFrameSpec extends IpCommon {
  sport: number;
  dport: number;
  payload?: Buffer | number;
}

export function udp(s: UdpFrameSpec): Buffer {
  return ipWrap(s, PROTO.UDP, udpDatagram(s.sport, s.dport, s.payload));
}

export interface EchoSpec extends IpCommon {
  id: number;
  seq: number;
  reply?: boolean;
  payload?: Buffer | number;
}

/** ICMP echo request/reply (ICMPv6 128/129 for IPv6 addresses). */
export function echo(s: EchoSpec): Buffer {
  const v6 = isV6(s.src);
  const type = v6 ? (s.reply === true ? 129 : 128) : s.reply === true ? 0 : 8;
  const rest = ((s.id & 0xffff) << 16) | (s.seq & 0xffff);
  return ipWrap(s, v6 ? PROTO.ICMPV6 : PROTO.ICMP, icmpMessage(type, 0, rest, s.payload));
}

/**
 * ICMP destination unreachable (type 3; ICMPv6 type 1) from `src` to `dst`
 * quoting `original` (an L3 packet, e.g. `l3Of(probeFrame)`): the IP header
 * and the first 8 bytes of its payload (RFC 792), or as much as fits in
 * 1280 bytes for ICMPv6 (RFC 4443).
 */
export function unreachable(s: IpCommon & { code: number; original: Buffer }): Buffer {
  const v6 = isV6(s.src);
  if (v6) return ipWrap(s, PROTO.ICMPV6, icmpMessage(1, s.code, 0, s.original.subarray(0, 1232)));
  const ihl = (s.original[0]! & 15) * 4;
  return ipWrap(s, PROTO.ICMP, icmpMessage(3, s.code, 0, s.original.subarray(0, ihl + 8)));
}

/** The L3 packet inside an untagged Ethernet frame (padding included). */
export function l3Of(frame: Buffer): Buffer {
  const type = frame.readUInt16BE(12);
  const pkt = frame.subarray(14);
  if (type === ETHERTYPE.IPV4) return pkt.subarray(0, pkt.readUInt16BE(2));
  if (type === ETHERTYPE.IPV6) return pkt.subarray(0, 40 + pkt.readUInt16BE(4));
  return pkt;
}

export interface ArpSpec {
  op: 1 | 2;
  senderIp: string;
  targetIp: string;
  senderMac?: Buffer;
  targetMac?: Buffer;
  /** Link-layer destination; who-has defaults to broadcast, is-at to the target's MAC. */
  dstMac?: Buffer;
}

export function arp(s: ArpSpec): Buffer {
  const b = Buffer.alloc(28);
  b.writeUInt16BE(1, 0); // Ethernet
  b.writeUInt16BE(ETHERTYPE.IPV4, 2);
  b[4] = 6;
  b[5] = 4;
  b.writeUInt16BE(s.op, 6);
  const sha = s.senderMac ?? macOf(s.senderIp);
  sha.copy(b, 8);
  b.writeUInt32BE(ip4(s.senderIp), 14);
  (s.targetMac ?? (s.op === 1 ? Buffer.alloc(6) : macOf(s.targetIp))).copy(b, 18);
  b.writeUInt32BE(ip4(s.targetIp), 24);
  const dst = s.dstMac ?? (s.op === 1 ? BROADCAST_MAC : macOf(s.targetIp));
  return ether(ETHERTYPE.ARP, b, { src: sha, dst, pad: true });
}

/** The solicited-node multicast group of an IPv6 address (RFC 4291 2.7.1). */
export function solicitedNode(target: string): string {
  const t = ip6(target);
  return `ff02::1:ff${t[13]!.toString(16).padStart(2, '0')}:${t.readUInt16BE(14).toString(16)}`;
}

/** ICMPv6 neighbour solicitation for `target`, to its solicited-node group (RFC 4861 4.3). */
export function neighbourSolicitation(src: string, target: string): Buffer {
  const body = Buffer.concat([ip6(target), Buffer.from([1, 1]), macOf(src)]); // target + source link-layer address option
  const dst = solicitedNode(target);
  const t = ip6(target);
  const dstMac = Buffer.from([0x33, 0x33, 0xff, t[13]!, t[14]!, t[15]!]);
  const pkt = ipv6Packet({ src, dst, next: PROTO.ICMPV6, payload: icmpMessage(135, 0, 0, body), hopLimit: 255 });
  return ether(ETHERTYPE.IPV6, pkt, { src: macOf(src), dst: dstMac });
}

// ---------------------------------------------------------------------------
// Feeding the engine

export interface Timed {
  frame: Buffer;
  /** Packet time, seconds since the epoch (microsecond precision is kept). */
  t: number;
}

/** Splits seconds into whole seconds and nanoseconds, exact to the microsecond. */
export function splitTime(t: number): [number, number] {
  const us = Math.round(t * 1e6);
  const sec = Math.floor(us / 1e6);
  return [sec, (us - sec * 1e6) * 1000];
}

/** Delivers frames to the engine, in array order, as a capture reader would. */
export function feed(engine: Pick<Engine, 'onPacket'>, frames: Timed[], linkType = 1): void {
  for (const { frame, t } of frames) {
    const [sec, nsec] = splitTime(t);
    engine.onPacket(linkType, frame, 0, frame.length, frame.length, sec, nsec);
  }
}

/** Deterministic PRNG (mulberry32) for reproducible traffic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** ISO 8601 UTC text of a packet time, to the millisecond (as reports print it). */
export function iso(t: number): string {
  return new Date(Math.round(t * 1000)).toISOString();
}
