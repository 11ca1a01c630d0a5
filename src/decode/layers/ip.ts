/** IPv4 (RFC 791) and IPv6 with its extension header chain (RFC 8200 section 4). */
import { hashIpv6 } from '../address.js';
import { i32, u16 } from '../bytes.js';
import type { Decoder } from '../decoder.js';
import { DecodeError } from '../errors.js';
import { ACCEPT, Layer } from '../layer.js';
import { L3 } from '../packet.js';

/** Extension headers walked before we call the chain malformed. */
export const MAX_IPV6_EXTENSIONS = 8;

/** Hands the IP payload at [off, end) to the layer registered for `proto`, if any. */
export function ipPayload(d: Decoder, proto: number, off: number, end: number): number {
  const p = d.packet;
  p.proto = proto;
  p.l4Off = off;
  p.l4Len = end - off;
  const next = d.ipProtocols[proto]!;
  if (next === 0) {
    p.hasL4 = false;
    return ACCEPT;
  }
  d.pos = off;
  d.end = end;
  return next;
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
  // Only the first fragment carries the transport header (RFC 791).
  if ((frag & 0x1fff) !== 0) {
    p.proto = proto;
    p.hasL4 = false;
    p.l4Off = off + hlen;
    p.l4Len = payloadEnd - off - hlen;
    return ACCEPT;
  }
  p.hasL4 = true;
  return ipPayload(d, proto, off + hlen, payloadEnd);
}

export function ipv6(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 40) return d.fail(DecodeError.TRUNCATED_IPV6);
  if (buf[off]! >> 4 !== 6) return d.fail(DecodeError.BAD_IP_VERSION);
  const p = d.packet;
  p.l3 = L3.IPV6;
  p.src6Off = off + 8;
  p.dst6Off = off + 24;
  p.src = hashIpv6(buf, off + 8);
  p.dst = hashIpv6(buf, off + 24);
  p.dstMulticast = buf[off + 24] === 0xff; // ff00::/8 (RFC 4291)
  p.ttl = buf[off + 7]!;
  p.ipId = 0;
  p.hasL4 = true;
  d.nextHeader = buf[off + 6]!;
  d.pos = off + 40;
  d.end = Math.min(end, off + 40 + u16(buf, off + 4));
  return Layer.IPV6_EXTENSIONS;
}

/** Walks the extension header chain from d.nextHeader to the upper-layer header. */
export function ipv6Extensions(d: Decoder, buf: Buffer, off: number, end: number): number {
  const p = d.packet;
  let next = d.nextHeader;
  let pos = off;
  for (let i = 0; ; i++) {
    if (next === 0 || next === 43 || next === 60) {
      // hop-by-hop, routing, destination options: length in 8-octet units, not counting the first 8
      if (end - pos < 8 || i === MAX_IPV6_EXTENSIONS) return d.fail(DecodeError.BAD_IPV6_EXTENSION);
      next = buf[pos]!;
      pos += (buf[pos + 1]! + 1) * 8;
    } else if (next === 44) {
      // fragment header: a non-zero offset means no transport header here
      if (end - pos < 8 || i === MAX_IPV6_EXTENSIONS) return d.fail(DecodeError.BAD_IPV6_EXTENSION);
      next = buf[pos]!;
      if ((u16(buf, pos + 2) & 0xfff8) !== 0) p.hasL4 = false;
      pos += 8;
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
  if (!p.hasL4) {
    p.proto = next;
    p.l4Off = pos;
    p.l4Len = end - pos;
    return ACCEPT;
  }
  return ipPayload(d, next, pos, end);
}
