/** IPv4 (RFC 791) and IPv6 with its extension header chain (RFC 8200 section 4). */
import { hashIpv6 } from '../address.js';
import { i32, u16, u32 } from '../bytes.js';
import type { Decoder } from '../decoder.js';
import { DecodeError } from '../errors.js';
import { ACCEPT, Layer } from '../layer.js';
import { tcp, udp } from './transport.js';
import { L3 } from '../packet.js';
import { DATA_OFFSET } from '../reassembly.js';

/** Hands a whole datagram's payload at [off, end) to the layer registered for `proto`, if any. */
export function ipPayload(d: Decoder, buf: Buffer, proto: number, off: number, end: number): number {
  const p = d.packet;
  p.proto = proto;
  p.l4Off = off;
  p.l4Len = end - off;
  p.completeDatagram = true;
  // TCP and UDP, nearly every packet, skip the table (which says the same).
  const next = proto === 6 ? Layer.TCP : proto === 17 ? Layer.UDP : d.ipProtocols[proto]!;
  // A datagram that states an empty payload is a bare protocol probe (nmap -sO
  // sends one for every protocol it has no header for): no transport to read,
  // but nothing is truncated either.
  if (next === 0 || (off === end && !d.ipTruncated)) {
    p.hasL4 = false;
    return ACCEPT;
  }
  p.hasL4 = true;
  d.pos = off;
  d.end = end;
  // The common transports are called here, directly (V8 inlines them), not
  // from the decode loop: the same layer functions, a shorter path.
  if (next === Layer.TCP) return tcp(d, buf, off, end);
  if (next === Layer.UDP) return udp(d, buf, off, end);
  return next;
}

/** A fragment waiting for the rest of its datagram: no transport header yet. */
function pendingFragment(d: Decoder, proto: number, off: number, end: number): number {
  const p = d.packet;
  p.proto = proto;
  p.hasL4 = false;
  p.completeDatagram = false;
  p.l4Off = off;
  p.l4Len = end - off;
  return ACCEPT;
}

export function ipv4(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 20) return d.fail(DecodeError.TRUNCATED_IPV4);
  const vihl = buf[off]!;
  if (vihl >> 4 !== 4) return d.fail(DecodeError.BAD_IP_VERSION);
  const hlen = (vihl & 15) * 4;
  const totalLen = u16(buf, off + 2);
  if (hlen < 20 || totalLen < hlen) return d.fail(DecodeError.BAD_IPV4_HEADER);
  if (end - off < hlen) return d.fail(DecodeError.TRUNCATED_IPV4);
  const p = d.packet;
  p.l3 = L3.IPV4;
  p.src6Off = -1;
  p.dst6Off = -1;
  p.ipId = u16(buf, off + 4);
  const frag = u16(buf, off + 6);
  p.ttl = buf[off + 8]!;
  const proto = buf[off + 9]!;
  p.src = i32(buf, off + 12);
  p.dst = i32(buf, off + 16);
  const dst = p.dst;
  // 224.0.0.0/4 multicast, 255.255.255.255 limited broadcast (RFC 1112, RFC 919).
  p.dstMulticast = dst >>> 28 === 14 || dst === -1;
  // Trust the IP total length over the frame length: Ethernet pads short frames.
  const payloadEnd = off + Math.min(totalLen, end - off);
  d.ipTruncated = totalLen > end - off;
  d.missing = d.ipTruncated ? totalLen - (end - off) : 0;
  // Fragment offset or More Fragments set: a fragment (RFC 791 section 3.2).
  if ((frag & 0x3fff) !== 0) {
    return ipv4Fragment(d, buf, proto, off, hlen, totalLen, payloadEnd, frag);
  }
  return ipPayload(d, buf, proto, off + hlen, payloadEnd);
}

/** The IPv4 header checksum (RFC 791, RFC 1071): the ones' complement sum of its words is all ones. */
function ipv4ChecksumOk(buf: Buffer, off: number, hlen: number): boolean {
  let sum = 0;
  for (let i = off; i < off + hlen; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum === 0xffff;
}

/** The least of a transport header that must have been captured to read its ports (0: no transport decoded). */
function transportHeaderBytes(proto: number): number {
  return proto === 6 ? 20 : proto === 17 || proto === 1 || proto === 58 ? 8 : proto === 132 ? 12 : 0;
}

/**
 * An IPv4 fragment: reassembled (reassembly.ts) before anything looks at
 * its transport header. Apart from ipv4 so that the common path stays small
 * enough for V8 to inline.
 */
function ipv4Fragment(d: Decoder, buf: Buffer, proto: number, off: number, hlen: number, totalLen: number, payloadEnd: number, frag: number): number {
  const p = d.packet;
  pendingFragment(d, proto, off + hlen, payloadEnd);
  // Linux's ip_rcv_core drops both before ip_defrag sees them: a sensor that
  // queued them would hold bytes the target never had (a junk first fragment
  // that makes the real one look like a duplicate).
  if (!ipv4ChecksumOk(buf, off, hlen)) return d.fail(DecodeError.BAD_IPV4_CHECKSUM);
  if (d.ipTruncated && d.frameWhole) return d.fail(DecodeError.BAD_IP_LENGTH);
  // Cut by the snapshot length: the fragment still covers what its header declares.
  const r = d.reassembly;
  const capLen = payloadEnd - off - hlen;
  const f = r.fragment;
  f.src = p.src;
  f.dst = p.dst;
  f.id = p.ipId;
  f.proto = proto;
  f.tenant = p.tenant;
  f.headerLen = hlen;
  f.buf = buf;
  f.off = off + hlen;
  f.capLen = capLen;
  f.len = totalLen - hlen;
  f.fragOffset = (frag & 0x1fff) * 8;
  f.more = (frag & 0x2000) !== 0;
  f.now = d.now;
  if (!r.addV4()) return ACCEPT;
  p.buf = r.out;
  p.reassembled = true;
  d.missing = r.length - r.captured;
  d.ipTruncated = d.missing > 0;
  if (d.ipTruncated && r.captured < transportHeaderBytes(proto)) return d.fail(DecodeError.TRUNCATED_FRAGMENT);
  return ipPayload(d, r.out, proto, DATA_OFFSET, DATA_OFFSET + r.captured);
}

export function ipv6(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 40) return d.fail(DecodeError.TRUNCATED_IPV6);
  if (buf[off]! >> 4 !== 6) return d.fail(DecodeError.BAD_IP_VERSION);
  const p = d.packet;
  p.l3 = L3.IPV6;
  p.src6Off = off + 8;
  p.dst6Off = off + 24;
  p.src = hashIpv6(buf, off + 8, d.ipv6HashKey);
  p.dst = hashIpv6(buf, off + 24, d.ipv6HashKey);
  p.dstMulticast = buf[off + 24] === 0xff; // ff00::/8 (RFC 4291)
  p.ttl = buf[off + 7]!;
  p.ipId = 0;
  d.nextHeader = buf[off + 6]!;
  d.pos = off + 40;
  const statedEnd = off + 40 + u16(buf, off + 4);
  d.ipTruncated = statedEnd > end;
  d.missing = d.ipTruncated ? statedEnd - end : 0;
  d.end = d.ipTruncated ? end : statedEnd;
  return ipv6Extensions(d, buf, d.pos, d.end);
}

/** An extension header runs past the bytes at hand: cut by the capture, or malformed. */
function extensionPastEnd(d: Decoder): number {
  return d.fail(d.ipTruncated ? DecodeError.TRUNCATED_IPV6 : DecodeError.BAD_IPV6_EXTENSION);
}

/**
 * Walks the extension header chain from d.nextHeader to the upper-layer
 * header. There is no limit on how many headers a chain has: Linux takes
 * chains as long as the packet (ip6_protocol_deliver_rcu hands each
 * destination options or routing header to its handler and resubmits the
 * next; the sysctls max_dst_opts_number and max_hbh_opts_number bound the
 * options inside one header, not the headers), so a sensor that stopped at
 * N headers would be blind to probes carrying N + 1. Each header is at
 * least 8 bytes, so the walk is bounded by the packet.
 */
export function ipv6Extensions(d: Decoder, buf: Buffer, off: number, end: number): number {
  let next = d.nextHeader;
  let pos = off;
  for (;;) {
    // Nothing left, and nothing cut off: a bare datagram whose next header is
    // its protocol (nmap -6 -sO probes 0, 43, 44, 51 and 60 too, with no payload).
    if (pos === end && !d.ipTruncated) break;
    if (next === 0 || next === 43 || next === 60) {
      // hop-by-hop, routing, destination options: length in 8-octet units, not counting the first 8
      if (end - pos < 8) return extensionPastEnd(d);
      next = buf[pos]!;
      pos += (buf[pos + 1]! + 1) * 8;
    } else if (next === 44) {
      // fragment header (RFC 8200 section 4.5); offset 0 without M is an atomic fragment (RFC 6946)
      if (end - pos < 8) return extensionPastEnd(d);
      const header = pos;
      next = buf[pos]!;
      const word = u16(buf, pos + 2);
      const id = u32(buf, pos + 4);
      pos += 8;
      if ((word & 0xfff9) !== 0) return ipv6Fragment(d, buf, next, id, word & 0xfff8, (word & 1) !== 0, header - off, pos, end);
    } else if (next === 51) {
      // authentication header: length in 4-octet units, minus 2 (RFC 4302)
      if (end - pos < 8) return extensionPastEnd(d);
      next = buf[pos]!;
      pos += (buf[pos + 1]! + 2) * 4;
    } else {
      break;
    }
    if (pos > end) return extensionPastEnd(d);
  }
  return ipPayload(d, buf, next, pos, end);
}

/**
 * Whether a first fragment holds the header chain through the first bytes
 * of the upper-layer header, as Linux's ipv6frag_thdr_truncated() decides
 * (RFC 8200 section 4.5, RFC 7112): the chain is walked as
 * ipv6_skip_exthdr() walks it (a header it cannot read ends the walk and
 * the fragment passes), then TCP needs 20 bytes, UDP and ICMPv6 8, anything
 * else 1. `declaredEnd` is where the fragment ends by its header; bytes the
 * capture did not keep cannot be read, and the fragment then passes.
 */
function upperLayerFits(buf: Buffer, next: number, pos: number, declaredEnd: number, capturedEnd: number): boolean {
  for (;;) {
    if (next === 59) return true; // no next header
    if (next !== 0 && next !== 43 && next !== 60 && next !== 51 && next !== 44) break;
    if (pos + 2 > declaredEnd || pos + 2 > capturedEnd) return true;
    if (next === 44) {
      if (pos + 8 > declaredEnd || pos + 8 > capturedEnd) return true;
      if ((u16(buf, pos + 2) & 0xfff8) !== 0) return true; // a later fragment: not this check's business
      next = buf[pos]!;
      pos += 8;
    } else {
      const hdrlen = next === 51 ? (buf[pos + 1]! + 2) * 4 : (buf[pos + 1]! + 1) * 8;
      next = buf[pos]!;
      pos += hdrlen;
    }
  }
  const need = next === 6 ? 20 : next === 17 || next === 58 ? 8 : 1;
  return pos + need <= declaredEnd;
}

/** The fragmentable part of an IPv6 fragment: reassembled, then its header chain walked on. */
function ipv6Fragment(d: Decoder, buf: Buffer, next: number, id: number, fragOffset: number, more: boolean, unfragLen: number, pos: number, end: number): number {
  const p = d.packet;
  pendingFragment(d, next, pos, end);
  // ipv6_rcv drops a packet shorter than its payload length states.
  if (d.ipTruncated && d.frameWhole) return d.fail(DecodeError.BAD_IP_LENGTH);
  const r = d.reassembly;
  const capLen = end - pos;
  // Cut by the snapshot length: the fragment still covers what its header declares.
  const len = capLen + d.missing;
  const headerComplete = fragOffset !== 0 || upperLayerFits(buf, next, pos, pos + len, end);
  const f = r.fragment;
  f.src = p.src;
  f.dst = p.dst;
  f.addr = buf;
  f.addrOff = p.src6Off;
  f.id = id;
  f.proto = next;
  f.tenant = p.tenant;
  f.headerLen = unfragLen;
  f.buf = buf;
  f.off = pos;
  f.capLen = capLen;
  f.len = len;
  f.fragOffset = fragOffset;
  f.more = more;
  f.headerComplete = headerComplete;
  f.now = d.now;
  if (!r.addV6()) return ACCEPT;
  p.buf = r.out;
  p.reassembled = true;
  p.src6Off = 0;
  p.dst6Off = 16;
  d.nextHeader = r.datagramProto;
  d.pos = DATA_OFFSET;
  d.end = DATA_OFFSET + r.captured;
  d.missing = r.length - r.captured;
  d.ipTruncated = d.missing > 0;
  if (d.ipTruncated && r.captured < transportHeaderBytes(r.datagramProto)) return d.fail(DecodeError.TRUNCATED_FRAGMENT);
  return Layer.IPV6_EXTENSIONS;
}
