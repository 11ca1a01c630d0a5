import { LinkType } from '../capture/types.js';
import { hashIpv6 } from './address.js';
import { DecodeError, DECODE_ERROR_NAMES } from './errors.js';
import { L3, Packet, Proto, TcpFlag, TcpOpt } from './packet.js';

// Byte-wise reads: Node's Buffer#readUInt16BE and friends validate their
// offset on every call, which on this path costs more than the read. The
// decoder checks every length before it reads.
function u16(buf: Buffer, o: number): number {
  return (buf[o]! << 8) | buf[o + 1]!;
}
function i32(buf: Buffer, o: number): number {
  return (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
}
function u32(buf: Buffer, o: number): number {
  return i32(buf, o) >>> 0;
}
function u32le(buf: Buffer, o: number): number {
  return ((buf[o + 3]! << 24) | (buf[o + 2]! << 16) | (buf[o + 1]! << 8) | buf[o]!) >>> 0;
}

const ETH_IPV4 = 0x0800;
const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100; // IEEE 802.1Q
const ETH_QINQ = 0x88a8; // IEEE 802.1ad service tag
const ETH_QINQ_OLD = 0x9100; // pre-standard stacked tag, still seen on switches
const MAX_VLAN_TAGS = 4;
const MAX_IPV6_EXTENSIONS = 8;

/**
 * Decodes frames into the reused `packet`, defensively: every length is
 * checked against what was captured, and a frame that does not parse is
 * counted under a reason and dropped. Nothing here throws or allocates.
 */
export class Decoder {
  readonly packet = new Packet();
  /** Frames that failed to decode, indexed by DecodeError. */
  readonly errors = new Float64Array(DECODE_ERROR_NAMES.length);
  /** Frames that decoded but carry a protocol we do not analyse (LLDP, STP, IPX...). */
  otherProtocol = 0;

  /**
   * Where the innermost IP header says its packet ends (may lie beyond the
   * captured bytes when the frame was cut by the snapshot length).
   */
  private ipDeclaredEnd = 0;
  /** The frame was cut by the snapshot length (captured < wire length). */
  private cut = false;

  /**
   * Returns true when `packet` holds an IPv4, IPv6 or ARP packet worth
   * analysing. Reads never go past `capLen`; when the frame was cut by a
   * snapshot length (`wireLen` > `capLen`), payload lengths come from the
   * IP (and UDP) headers, so a cut segment still counts its whole payload
   * (TCP sequence tracking depends on it).
   */
  decode(linkType: number, buf: Buffer, off: number, capLen: number, wireLen: number = capLen): boolean {
    const p = this.packet;
    this.cut = wireLen > capLen;
    p.buf = buf;
    p.l3 = L3.NONE;
    p.l2Broadcast = false;
    p.vlan = -1;
    p.hasL4 = false;
    p.proto = -1;
    p.quotedValid = false;
    const end = off + capLen;
    switch (linkType) {
      case LinkType.ETHERNET:
        return this.ethernet(buf, off, end);
      case LinkType.LINUX_SLL:
        // 16-byte cooked header; protocol type in the last 2 bytes (pcap-linktype(7)).
        if (capLen < 16) return this.fail(DecodeError.TRUNCATED_LINK);
        p.l2Broadcast = u16(buf, off) === 1; // packet type 1: broadcast
        return this.etherType(u16(buf, off + 14), buf, off + 16, end);
      case LinkType.LINUX_SLL2:
        // 20-byte cooked v2 header; protocol type first, packet type at byte 10.
        if (capLen < 20) return this.fail(DecodeError.TRUNCATED_LINK);
        p.l2Broadcast = buf[off + 10] === 1;
        return this.etherType(u16(buf, off), buf, off + 20, end);
      case LinkType.RAW:
        if (capLen < 1) return this.fail(DecodeError.TRUNCATED_LINK);
        return this.rawIp(buf, off, end);
      case LinkType.IPV4:
        return this.ipv4(buf, off, end);
      case LinkType.IPV6:
        return this.ipv6(buf, off, end);
      case LinkType.NULL:
      case LinkType.LOOP: {
        if (capLen < 4) return this.fail(DecodeError.TRUNCATED_LINK);
        // The family is in the writer's byte order for NULL, network order for LOOP;
        // a value above 0xffff means we read it the wrong way round.
        let family = linkType === LinkType.LOOP ? u32(buf, off) : u32le(buf, off);
        if (family > 0xffff) family = u32(buf, off);
        if (family === 2) return this.ipv4(buf, off + 4, end);
        // AF_INET6 differs by OS: 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS.
        if (family === 10 || family === 24 || family === 28 || family === 30) return this.ipv6(buf, off + 4, end);
        this.otherProtocol++;
        return false;
      }
      default:
        return this.fail(DecodeError.UNSUPPORTED_LINKTYPE);
    }
  }

  private fail(reason: number): false {
    this.errors[reason]!++;
    return false;
  }

  private ethernet(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 14) return this.fail(DecodeError.TRUNCATED_LINK);
    this.packet.l2Broadcast = i32(buf, off) === -1 && u16(buf, off + 4) === 0xffff;
    let type = u16(buf, off + 12);
    let pos = off + 14;
    for (let tags = 0; type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD; tags++) {
      if (tags === MAX_VLAN_TAGS || end - pos < 4) return this.fail(DecodeError.TRUNCATED_VLAN);
      this.packet.vlan = u16(buf, pos) & 0x0fff;
      type = u16(buf, pos + 2);
      pos += 4;
    }
    return this.etherType(type, buf, pos, end);
  }

  private etherType(type: number, buf: Buffer, off: number, end: number): boolean {
    if (type === ETH_IPV4) return this.ipv4(buf, off, end);
    if (type === ETH_IPV6) return this.ipv6(buf, off, end);
    if (type === ETH_ARP) return this.arp(buf, off, end);
    this.otherProtocol++;
    return false;
  }

  private rawIp(buf: Buffer, off: number, end: number): boolean {
    const version = buf[off]! >> 4;
    if (version === 4) return this.ipv4(buf, off, end);
    if (version === 6) return this.ipv6(buf, off, end);
    return this.fail(DecodeError.BAD_IP_VERSION);
  }

  /** RFC 826 for Ethernet/IPv4 only (hardware type 1, protocol 0x0800); others are counted as other. */
  private arp(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 8) return this.fail(DecodeError.TRUNCATED_ARP);
    const hlen = buf[off + 4]!;
    const plen = buf[off + 5]!;
    if (u16(buf, off + 2) !== ETH_IPV4 || plen !== 4) {
      this.otherProtocol++;
      return false;
    }
    if (end - off < 8 + 2 * hlen + 8) return this.fail(DecodeError.TRUNCATED_ARP);
    const p = this.packet;
    p.l3 = L3.ARP;
    p.arpOp = u16(buf, off + 6);
    p.arpSpa = i32(buf, off + 8 + hlen);
    p.arpTpa = i32(buf, off + 8 + 2 * hlen + 4);
    return true;
  }

  private ipv4(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 20) return this.fail(DecodeError.TRUNCATED_IPV4);
    const vihl = buf[off]!;
    if (vihl >> 4 !== 4) return this.fail(DecodeError.BAD_IP_VERSION);
    const hlen = (vihl & 15) * 4;
    const totalLen = u16(buf, off + 2);
    if (hlen < 20 || totalLen < hlen) return this.fail(DecodeError.BAD_IPV4_HEADER);
    if (end - off < hlen) return this.fail(DecodeError.TRUNCATED_IPV4);
    const p = this.packet;
    p.l3 = L3.IPV4;
    p.src6Off = -1;
    p.dst6Off = -1;
    p.ipId = u16(buf, off + 4);
    const frag = u16(buf, off + 6);
    p.ttl = buf[off + 8]!;
    p.proto = buf[off + 9]!;
    p.src = i32(buf, off + 12);
    p.dst = i32(buf, off + 16);
    const d = p.dst;
    // 224.0.0.0/4 multicast, 255.255.255.255 limited broadcast (RFC 1112, RFC 919).
    p.dstMulticast = d >>> 28 === 14 || d === -1;
    // Only the first fragment carries the transport header (RFC 791).
    p.hasL4 = (frag & 0x1fff) === 0;
    p.l4Off = off + hlen;
    this.ipDeclaredEnd = off + totalLen;
    // Trust the IP total length over the frame length: Ethernet pads short frames.
    p.l4Len = Math.min(totalLen, end - off) - hlen;
    if (!p.hasL4) return true;
    return this.transport(buf, p.l4Off, p.l4Off + p.l4Len, p.proto);
  }

  private ipv6(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 40) return this.fail(DecodeError.TRUNCATED_IPV6);
    if (buf[off]! >> 4 !== 6) return this.fail(DecodeError.BAD_IP_VERSION);
    const p = this.packet;
    p.l3 = L3.IPV6;
    p.src6Off = off + 8;
    p.dst6Off = off + 24;
    p.src = hashIpv6(buf, off + 8);
    p.dst = hashIpv6(buf, off + 24);
    p.dstMulticast = buf[off + 24] === 0xff; // ff00::/8 (RFC 4291)
    p.ttl = buf[off + 7]!;
    p.ipId = 0;
    this.ipDeclaredEnd = off + 40 + u16(buf, off + 4);
    const payloadEnd = Math.min(end, this.ipDeclaredEnd);
    let next = buf[off + 6]!;
    let pos = off + 40;
    p.hasL4 = true;
    // Walk the extension header chain (RFC 8200 section 4).
    for (let i = 0; ; i++) {
      if (next === 0 || next === 43 || next === 60) {
        // hop-by-hop, routing, destination options: length in 8-octet units, not counting the first 8
        if (payloadEnd - pos < 8 || i === MAX_IPV6_EXTENSIONS) return this.fail(DecodeError.BAD_IPV6_EXTENSION);
        next = buf[pos]!;
        pos += (buf[pos + 1]! + 1) * 8;
      } else if (next === 44) {
        // fragment header: a non-zero offset means no transport header here
        if (payloadEnd - pos < 8 || i === MAX_IPV6_EXTENSIONS) return this.fail(DecodeError.BAD_IPV6_EXTENSION);
        next = buf[pos]!;
        if ((u16(buf, pos + 2) & 0xfff8) !== 0) p.hasL4 = false;
        pos += 8;
      } else if (next === 51) {
        // authentication header: length in 4-octet units, minus 2 (RFC 4302)
        if (payloadEnd - pos < 8 || i === MAX_IPV6_EXTENSIONS) return this.fail(DecodeError.BAD_IPV6_EXTENSION);
        next = buf[pos]!;
        pos += (buf[pos + 1]! + 2) * 4;
      } else {
        break;
      }
      if (pos > payloadEnd) return this.fail(DecodeError.BAD_IPV6_EXTENSION);
    }
    p.proto = next;
    p.l4Off = pos;
    p.l4Len = payloadEnd - pos;
    if (!p.hasL4) return true;
    return this.transport(buf, pos, payloadEnd, next);
  }

  private transport(buf: Buffer, off: number, end: number, proto: number): boolean {
    if (proto === Proto.TCP) return this.tcp(buf, off, end);
    if (proto === Proto.UDP) return this.udp(buf, off, end);
    if (proto === Proto.ICMP) return this.icmp(buf, off, end);
    if (proto === Proto.ICMPV6) return this.icmpv6(buf, off, end);
    this.packet.hasL4 = false;
    return true;
  }

  private tcp(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 20) return this.fail(DecodeError.TRUNCATED_TCP);
    const p = this.packet;
    const hlen = (buf[off + 12]! >> 4) * 4;
    if (hlen < 20) return this.fail(DecodeError.BAD_TCP_OFFSET);
    if (end - off < hlen) return this.fail(DecodeError.TRUNCATED_TCP);
    p.sport = u16(buf, off);
    p.dport = u16(buf, off + 2);
    p.tcpSeq = i32(buf, off + 4);
    p.tcpAck = i32(buf, off + 8);
    p.tcpFlags = buf[off + 13]!;
    p.tcpWindow = u16(buf, off + 14);
    // A frame cut by the snapshot length: the IP header's length holds.
    p.payloadLen = (this.cut && this.ipDeclaredEnd > end ? this.ipDeclaredEnd : end) - off - hlen;
    p.tcpOptionMask = 0;
    p.tcpOptionCount = 0;
    p.tcpMss = -1;
    // Options matter for telling a raw-socket probe from a kernel connect():
    // parse them for SYNs and for the other probe shapes (no ACK, or bare ACK).
    if (hlen > 20 && (p.tcpFlags & TcpFlag.SYN || p.payloadLen === 0)) this.tcpOptions(buf, off + 20, off + hlen);
    return true;
  }

  /** RFC 9293 section 3.1 option list; a malformed list just ends the walk. */
  private tcpOptions(buf: Buffer, pos: number, end: number): void {
    const p = this.packet;
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

  private udp(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 8) return this.fail(DecodeError.TRUNCATED_UDP);
    const p = this.packet;
    p.sport = u16(buf, off);
    p.dport = u16(buf, off + 2);
    p.payloadLen = Math.max(0, Math.min(u16(buf, off + 4), (this.cut && this.ipDeclaredEnd > end ? this.ipDeclaredEnd : end) - off) - 8);
    return true;
  }

  /** The 8-byte header shared by ICMP and ICMPv6: type, code, and the identifier/sequence words. */
  private icmpHeader(buf: Buffer, off: number): number {
    const p = this.packet;
    const type = buf[off]!;
    p.icmpType = type;
    p.icmpCode = buf[off + 1]!;
    p.icmpId = u16(buf, off + 4);
    p.icmpSeq = u16(buf, off + 6);
    return type;
  }

  private icmp(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 8) return this.fail(DecodeError.TRUNCATED_ICMP);
    const type = this.icmpHeader(buf, off);
    // Destination unreachable (3) and time exceeded (11) quote the original
    // IP header and at least 8 bytes of its payload (RFC 792).
    if (type === 3 || type === 11) this.quotedIpv4(buf, off + 8, end);
    return true;
  }

  private quotedIpv4(buf: Buffer, off: number, end: number): void {
    if (end - off < 20 || buf[off]! >> 4 !== 4) return;
    const hlen = (buf[off]! & 15) * 4;
    if (hlen < 20 || end - off < hlen + 4) return;
    const p = this.packet;
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

  private icmpv6(buf: Buffer, off: number, end: number): boolean {
    if (end - off < 8) return this.fail(DecodeError.TRUNCATED_ICMP);
    const p = this.packet;
    const type = this.icmpHeader(buf, off);
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
    return true;
  }
}
