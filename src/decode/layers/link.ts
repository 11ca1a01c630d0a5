/** Link layers: Ethernet II and its VLAN tags, Linux cooked captures, BSD loopback, raw IP, ARP. */
import { i32, u16, u32, u32le } from '../bytes.js';
import type { Decoder } from '../decoder.js';
import { DecodeError } from '../errors.js';
import { Encap, TenantKind, tenantOf } from '../encapsulation.js';
import { ACCEPT, Layer, REJECT } from '../layer.js';
import { L3 } from '../packet.js';
import { ipv4, ipv6 } from './ip.js';

const ETH_IPV4 = 0x0800;
/** 802.1Q/802.1ad tags in one frame before we call it malformed. */
export const MAX_VLAN_TAGS = 4;

/** The payload named by an EtherType (or a cooked header's protocol type). */
export function etherNext(d: Decoder, buf: Buffer, type: number, off: number, end: number): number {
  // IPv4 and IPv6, the common cases, are called directly, before the table (which says
  // the same, see test/decode/layer-table.test.ts): V8 inlines the chain.
  if (type === 0x0800) return ipv4(d, buf, off, end);
  if (type === 0x86dd) return ipv6(d, buf, off, end);
  const next = d.etherTypes[type]!;
  d.etherType = type;
  if (next === 0) {
    d.otherProtocol++;
    return REJECT;
  }
  d.pos = off;
  d.end = end;
  return next;
}

export function ethernet(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 14) return d.fail(DecodeError.TRUNCATED_LINK);
  d.packet.l2Broadcast = i32(buf, off) === -1 && u16(buf, off + 4) === 0xffff;
  return etherNext(d, buf, u16(buf, off + 12), off + 14, end);
}

/**
 * One IEEE 802.1Q or 802.1ad tag: the VLAN id, then the EtherType of what
 * follows. The VLAN is the packet's tenant unless a tunnel around it names
 * the network (VNI, GRE key...); a service tag over a customer tag (QinQ)
 * makes the pair the tenant ("vlan:100.20"), VLAN 0 (priority only) none.
 */
export function vlan(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (d.vlanTags === MAX_VLAN_TAGS || end - off < 4) return d.fail(DecodeError.TRUNCATED_VLAN);
  d.vlanTags++;
  const p = d.packet;
  const outer = p.vlan;
  const vid = u16(buf, off) & 0x0fff;
  p.vlan = vid;
  // The EtherType that announced the tag is its TPID (0x8100: 802.1Q; else a service tag).
  d.encapsulations[d.etherType === 0x8100 ? Encap.VLAN : Encap.QINQ]!++;
  if (!d.tunnelTenant && vid !== 0) p.tenant = tenantOf(TenantKind.VLAN, outer > 0 && d.vlanTags === 2 ? (outer << 12) | vid : vid);
  return etherNext(d, buf, u16(buf, off + 2), off + 4, end);
}

/** 16-byte cooked header; protocol type in the last 2 bytes (pcap-linktype(7)). */
export function linuxSll(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 16) return d.fail(DecodeError.TRUNCATED_LINK);
  d.packet.l2Broadcast = u16(buf, off) === 1; // packet type 1: broadcast
  return etherNext(d, buf, u16(buf, off + 14), off + 16, end);
}

/** 20-byte cooked v2 header; protocol type first, packet type at byte 10. */
export function linuxSll2(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 20) return d.fail(DecodeError.TRUNCATED_LINK);
  d.packet.l2Broadcast = buf[off + 10] === 1;
  return etherNext(d, buf, u16(buf, off), off + 20, end);
}

function loopback(d: Decoder, family: number, off: number, end: number): number {
  d.pos = off + 4;
  d.end = end;
  if (family === 2) return Layer.IPV4;
  // AF_INET6 differs by OS: 10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS.
  if (family === 10 || family === 24 || family === 28 || family === 30) return Layer.IPV6;
  d.otherProtocol++;
  return REJECT;
}

/**
 * LINKTYPE_NULL: a 4-byte address family in the writer's byte order; a
 * value above 0xffff means we read it the wrong way round.
 */
export function loopbackHostOrder(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return d.fail(DecodeError.TRUNCATED_LINK);
  let family = u32le(buf, off);
  if (family > 0xffff) family = u32(buf, off);
  return loopback(d, family, off, end);
}

/** LINKTYPE_LOOP (OpenBSD): the address family in network byte order. */
export function loopbackNetworkOrder(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return d.fail(DecodeError.TRUNCATED_LINK);
  return loopback(d, u32(buf, off), off, end);
}

/** Raw IPv4 or IPv6, the version from the first nibble. */
export function rawIp(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 1) return d.fail(DecodeError.TRUNCATED_LINK);
  const version = buf[off]! >> 4;
  d.pos = off;
  d.end = end;
  if (version === 4) return Layer.IPV4;
  if (version === 6) return Layer.IPV6;
  return d.fail(DecodeError.BAD_IP_VERSION);
}

/** RFC 826 for Ethernet/IPv4 only (protocol 0x0800, 4-byte addresses); others are counted as other. */
export function arp(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 8) return d.fail(DecodeError.TRUNCATED_ARP);
  const hlen = buf[off + 4]!;
  const plen = buf[off + 5]!;
  if (u16(buf, off + 2) !== ETH_IPV4 || plen !== 4) {
    d.otherProtocol++;
    return REJECT;
  }
  // Linux takes an ARP packet only with the device's hardware type and
  // address length (net/ipv4/arp.c arp_rcv, arp_process: Ethernet 1, or
  // IEEE 802 6, and 6 bytes); a damaged one would otherwise ask about
  // whatever address its shifted bytes spell, one new target per frame.
  const hrd = u16(buf, off);
  if ((hrd !== 1 && hrd !== 6) || hlen !== 6) return d.fail(DecodeError.BAD_ARP_HEADER);
  if (end - off < 8 + 2 * hlen + 8) return d.fail(DecodeError.TRUNCATED_ARP);
  const p = d.packet;
  p.l3 = L3.ARP;
  p.arpOp = u16(buf, off + 6);
  p.arpSpa = i32(buf, off + 8 + hlen);
  p.arpTpa = i32(buf, off + 8 + 2 * hlen + 4);
  return ACCEPT;
}
