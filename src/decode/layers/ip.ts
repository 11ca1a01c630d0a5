/** IPv4 (RFC 791) and IPv6 with its extension header chain (RFC 8200 section 4). */
import { hashIpv6 } from '../address.js';
import { i32, u16, u32 } from '../bytes.js';
import type { Decoder } from '../decoder.js';
import { DecodeError } from '../errors.js';
import { ACCEPT, Layer } from '../layer.js';
import { tcp, udp } from './transport.js';
import { L3 } from '../packet.js';

/** Extension headers walked before we call the chain malformed. */
export const MAX_IPV6_EXTENSIONS = 8;

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
    return ipv4Fragment(d, buf, proto, off + hlen, payloadEnd, frag, hlen);
  }
  return ipPayload(d, buf, proto, off + hlen, payloadEnd);
}

/**
 * A fragment: reassembled before anything looks at its transport header.
 * Apart from ipv4 so that the common path stays small enough for V8 to inline.
 */
function ipv4Fragment(d: Decoder, buf: Buffer, proto: number, off: number, end: number, frag: number, hlen: number): number {
  const p = d.packet;
  pendingFragment(d, proto, off, end);
  if (d.ipTruncated) return d.fail(DecodeError.TRUNCATED_FRAGMENT); // cut by the snapshot length
  const r = d.reassembly;
  const slot = r.add(false, p.src, p.dst, buf, 0, p.ipId, proto, p.tenant, buf, off, end - off, (frag & 0x1fff) * 8, (frag & 0x2000) !== 0, 65535 - hlen, d.now);
  if (slot < 0) return ACCEPT;
  p.buf = r.pool;
  p.reassembled = true;
  d.missing = 0;
  const start = r.dataOffset(slot);
  return ipPayload(d, r.pool, proto, start, start + r.length);
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

/** Walks the extension header chain from d.nextHeader to the upper-layer header. */
export function ipv6Extensions(d: Decoder, buf: Buffer, off: number, end: number): number {
  let next = d.nextHeader;
  let pos = off;
  for (let i = 0; ; i++) {
    // Nothing left, and nothing cut off: a bare datagram whose next header is
    // its protocol (nmap -6 -sO probes 0, 43, 44, 51 and 60 too, with no payload).
    if (pos === end && !d.ipTruncated) break;
    if (next === 0 || next === 43 || next === 60) {
      // hop-by-hop, routing, destination options: length in 8-octet units, not counting the first 8
      if (end - pos < 8 || i === MAX_IPV6_EXTENSIONS) return d.fail(DecodeError.BAD_IPV6_EXTENSION);
      next = buf[pos]!;
      pos += (buf[pos + 1]! + 1) * 8;
    } else if (next === 44) {
      // fragment header (RFC 8200 section 4.5); offset 0 without M is an atomic fragment (RFC 6946)
      if (end - pos < 8 || i === MAX_IPV6_EXTENSIONS) return d.fail(DecodeError.BAD_IPV6_EXTENSION);
      next = buf[pos]!;
      const word = u16(buf, pos + 2);
      const id = u32(buf, pos + 4);
      pos += 8;
      if ((word & 0xfff9) !== 0) return ipv6Fragment(d, buf, next, id, word & 0xfff8, (word & 1) !== 0, pos, end);
    } else if (next === 51) {
      // authentication header: length in 4-octet units, minus 2 (RFC 4302)
      if (end - pos < 8 || i === MAX_IPV6_EXTENSIONS) return d.fail(DecodeError.BAD_IPV6_EXTENSION);
      next = buf[pos]!;
      pos += (buf[pos + 1]! + 2) * 4;
    } else {
      break;
    }
    if (pos > end) return d.fail(DecodeError.BAD_IPV6_EXTENSION);
  }
  return ipPayload(d, buf, next, pos, end);
}

/** The fragmentable part of an IPv6 fragment: reassembled, then its header chain walked on. */
function ipv6Fragment(d: Decoder, buf: Buffer, next: number, id: number, fragOffset: number, more: boolean, pos: number, end: number): number {
  const p = d.packet;
  pendingFragment(d, next, pos, end);
  if (d.ipTruncated) return d.fail(DecodeError.TRUNCATED_FRAGMENT);
  const r = d.reassembly;
  const slot = r.add(true, p.src, p.dst, buf, p.src6Off, id, next, p.tenant, buf, pos, end - pos, fragOffset, more, 65535, d.now);
  if (slot < 0) return ACCEPT;
  p.buf = r.pool;
  p.reassembled = true;
  p.src6Off = r.addressOffset(slot);
  p.dst6Off = p.src6Off + 16;
  d.nextHeader = r.datagramProto;
  d.pos = r.dataOffset(slot);
  d.end = d.pos + r.length;
  d.ipTruncated = false;
  return Layer.IPV6_EXTENSIONS;
}
