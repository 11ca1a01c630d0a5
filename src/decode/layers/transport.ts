/** Transport layers: TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792), ICMPv6 (RFC 4443). */
import { hashIpv6 } from '../address.js';
import { i32, u16 } from '../bytes.js';
import type { Decoder } from '../decoder.js';
import { DecodeError } from '../errors.js';
import { ACCEPT } from '../layer.js';
import { type Packet, TcpFlag, TcpOpt } from '../packet.js';

export function tcp(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 20) return d.fail(DecodeError.TRUNCATED_TCP);
  const p = d.packet;
  const hlen = (buf[off + 12]! >> 4) * 4;
  if (hlen < 20) return d.fail(DecodeError.BAD_TCP_OFFSET);
  if (end - off < hlen) return d.fail(DecodeError.TRUNCATED_TCP);
  p.sport = u16(buf, off);
  p.dport = u16(buf, off + 2);
  p.tcpSeq = i32(buf, off + 4);
  p.tcpAck = i32(buf, off + 8);
  p.tcpFlags = buf[off + 13]!;
  p.tcpWindow = u16(buf, off + 14);
  p.payloadLen = end - off - hlen;
  p.tcpOptionMask = 0;
  p.tcpOptionCount = 0;
  p.tcpMss = -1;
  // Options matter for telling a raw-socket probe from a kernel connect():
  // parse them for SYNs and for the other probe shapes (no ACK, or bare ACK).
  if (hlen > 20 && (p.tcpFlags & TcpFlag.SYN || p.payloadLen === 0)) tcpOptions(p, buf, off + 20, off + hlen);
  return ACCEPT;
}

/** RFC 9293 section 3.1 option list; a malformed list just ends the walk. */
function tcpOptions(p: Packet, buf: Buffer, pos: number, end: number): void {
  while (pos < end) {
    const kind = buf[pos]!;
    if (kind === 0) break; // end of option list
    if (kind === 1) {
      pos++; // NOP
      continue;
    }
    if (pos + 1 >= end) break;
    const len = buf[pos + 1]!;
    if (len < 2 || pos + len > end) break;
    p.tcpOptionCount++;
    if (kind === 2 && len === 4) {
      p.tcpOptionMask |= TcpOpt.MSS;
      p.tcpMss = u16(buf, pos + 2);
    } else if (kind === 3) p.tcpOptionMask |= TcpOpt.WSCALE;
    else if (kind === 4) p.tcpOptionMask |= TcpOpt.SACK_PERM;
    else if (kind === 8) p.tcpOptionMask |= TcpOpt.TIMESTAMP;
    else p.tcpOptionMask |= TcpOpt.OTHER;
    pos += len;
  }
}

export function udp(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return d.fail(DecodeError.TRUNCATED_UDP);
  const p = d.packet;
  p.sport = u16(buf, off);
  p.dport = u16(buf, off + 2);
  p.payloadLen = Math.max(0, Math.min(u16(buf, off + 4), end - off) - 8);
  return ACCEPT;
}

/** The 8-byte header shared by ICMP and ICMPv6: type, code, and the identifier/sequence words. */
function icmpHeader(p: Packet, buf: Buffer, off: number): number {
  const type = buf[off]!;
  p.icmpType = type;
  p.icmpCode = buf[off + 1]!;
  p.icmpId = u16(buf, off + 4);
  p.icmpSeq = u16(buf, off + 6);
  return type;
}

export function icmp(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return d.fail(DecodeError.TRUNCATED_ICMP);
  const type = icmpHeader(d.packet, buf, off);
  // Destination unreachable (3) and time exceeded (11) quote the original
  // IP header and at least 8 bytes of its payload (RFC 792).
  if (type === 3 || type === 11) quotedIpv4(d.packet, buf, off + 8, end);
  return ACCEPT;
}

function quotedIpv4(p: Packet, buf: Buffer, off: number, end: number): void {
  if (end - off < 20 || buf[off]! >> 4 !== 4) return;
  const hlen = (buf[off]! & 15) * 4;
  if (hlen < 20 || end - off < hlen + 4) return;
  p.quotedProto = buf[off + 9]!;
  p.quotedSrc = i32(buf, off + 12);
  p.quotedDst = i32(buf, off + 16);
  if (p.quotedProto === 1) {
    // a quoted ICMP echo: identifier and sequence sit 4 bytes into its header
    if (end - off < hlen + 8) return;
    p.quotedSport = u16(buf, off + hlen + 4);
    p.quotedDport = u16(buf, off + hlen + 6);
  } else {
    p.quotedSport = u16(buf, off + hlen);
    p.quotedDport = u16(buf, off + hlen + 2);
  }
  p.quotedValid = true;
}

export function icmpv6(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return d.fail(DecodeError.TRUNCATED_ICMP);
  const p = d.packet;
  const type = icmpHeader(p, buf, off);
  p.ndTargetOff = -1;
  if (type === 1 || type === 3) {
    // RFC 4443: the invoking packet follows the 8-byte header. Quoted
    // transport ports are taken only when no extension header intervenes.
    const q = off + 8;
    if (end - q >= 44 && buf[q]! >> 4 === 6) {
      p.quotedProto = buf[q + 6]!;
      p.quotedSrc = hashIpv6(buf, q + 8);
      p.quotedDst = hashIpv6(buf, q + 24);
      // a quoted echo request is matched by identifier and sequence (4 bytes in)
      const at = p.quotedProto === 58 ? q + 44 : q + 40;
      if (end - at >= 4) {
        p.quotedSport = u16(buf, at);
        p.quotedDport = u16(buf, at + 2);
        p.quotedValid = true;
      }
    }
  } else if (type === 135 && end - off >= 24) {
    p.ndTargetOff = off + 8; // neighbour solicitation target (RFC 4861 section 4.3)
  }
  return ACCEPT;
}
