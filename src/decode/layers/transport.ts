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
  // A frame cut by the snapshot length: the payload is what the IP header states (d.missing).
  p.payloadLen = end - off - hlen + d.missing;
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
  // Bounded by the datagram the IP header states, which a snapshot length may have cut (d.missing).
  p.payloadLen = Math.max(0, Math.min(u16(buf, off + 4), end - off + d.missing) - 8);
  const payloadLen = Math.max(0, Math.min(p.payloadLen, end - off - 8));
  p.payloadOff = off + 8;
  p.payloadCaptured = payloadLen;
  // A tunnel registered on the destination port (VXLAN, Geneve) opens the payload.
  const next = d.udpPorts[p.dport]!;
  if (next === 0 || payloadLen === 0) return ACCEPT;
  d.pos = off + 8;
  d.end = off + 8 + payloadLen;
  return next;
}

/**
 * SCTP (RFC 9260 section 3): the 12-byte common header (ports, verification
 * tag, checksum) and the type of the first chunk, which tells an INIT (nmap
 * -sY) or COOKIE ECHO (nmap -sZ) probe from the INIT ACK or ABORT answering it.
 */
export function sctp(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 12) return d.fail(DecodeError.TRUNCATED_SCTP);
  const p = d.packet;
  p.sport = u16(buf, off);
  p.dport = u16(buf, off + 2);
  p.sctpVtag = i32(buf, off + 4);
  p.payloadLen = end - off - 12;
  // A chunk header is 4 bytes: type, flags, length (section 3.2).
  p.sctpChunkType = end - off >= 16 ? buf[off + 12]! : -1;
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

/** Quoted protocols whose first 4 bytes are source and destination ports. */
function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 132;
}

/**
 * The quoted ports (or echo identifier and sequence) at buf[at]; for
 * protocols without ports they are 0 and the quote is valid with its IP
 * header alone: a protocol unreachable (type 3 code 2) answering an nmap -sO
 * probe quotes an IP header with nothing after it.
 */
function quotedTransport(p: Packet, buf: Buffer, at: number, end: number, echoProto: number): void {
  const proto = p.quotedProto;
  if (proto === echoProto) {
    // a quoted ICMP echo: identifier and sequence sit 4 bytes into its header
    if (end - at < 8) return;
    p.quotedSport = u16(buf, at + 4);
    p.quotedDport = u16(buf, at + 6);
  } else if (hasPorts(proto)) {
    if (end - at < 4) return;
    p.quotedSport = u16(buf, at);
    p.quotedDport = u16(buf, at + 2);
  } else {
    p.quotedSport = 0;
    p.quotedDport = 0;
  }
  p.quotedValid = true;
}

function quotedIpv4(p: Packet, buf: Buffer, off: number, end: number): void {
  if (end - off < 20 || buf[off]! >> 4 !== 4) return;
  const hlen = (buf[off]! & 15) * 4;
  if (hlen < 20 || end - off < hlen) return;
  p.quotedProto = buf[off + 9]!;
  p.quotedSrc = i32(buf, off + 12);
  p.quotedDst = i32(buf, off + 16);
  quotedTransport(p, buf, off + hlen, end, 1);
}

export function icmpv6(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return d.fail(DecodeError.TRUNCATED_ICMP);
  const p = d.packet;
  const type = icmpHeader(p, buf, off);
  p.ndTargetOff = -1;
  if (type === 1 || type === 3 || type === 4) {
    // RFC 4443: destination unreachable, time exceeded and parameter problem
    // (code 1: unrecognized next header, the answer to an nmap -sO probe)
    // quote the invoking packet after the 8-byte header. The quoted protocol
    // is the fixed header's next header: no extension header is walked.
    const q = off + 8;
    if (end - q >= 40 && buf[q]! >> 4 === 6) {
      p.quotedProto = buf[q + 6]!;
      p.quotedSrc = hashIpv6(buf, q + 8, d.ipv6HashKey);
      p.quotedDst = hashIpv6(buf, q + 24, d.ipv6HashKey);
      quotedTransport(p, buf, q + 40, end, 58);
    }
  } else if ((type === 135 || type === 136) && end - off >= 24) {
    // Neighbour solicitation and advertisement: the target address (RFC 4861 sections 4.3, 4.4).
    p.ndTargetOff = off + 8;
  }
  return ACCEPT;
}
