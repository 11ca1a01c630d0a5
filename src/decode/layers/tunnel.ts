/**
 * Tunnels, as cloud traffic mirroring and remote span deliver traffic:
 * MPLS (RFC 3032), GRE (RFC 2784, RFC 2890), ERSPAN types I, II and III
 * (draft-foschiano-erspan), VXLAN (RFC 7348) and Geneve (RFC 8926). Each
 * opens its inner packet with decapsulate(), which forgets the outer
 * headers' fields so that outer addresses never become the analysed ones.
 *
 * A packet that does not carry a tunnel header we can read (an nmap -sO
 * probe of protocol 47 is an empty GRE datagram, an nmap -sU probe of port
 * 4789 an empty UDP one) stays the outer packet and is analysed as such.
 */
import { u16, u24, u32 } from '../bytes.js';
import type { Decoder } from '../decoder.js';
import { Encap, TenantKind, tenantOf } from '../encapsulation.js';
import { DecodeError } from '../errors.js';
import { ACCEPT, Layer, REJECT } from '../layer.js';
import { L3 } from '../packet.js';

/** Tunnels one frame may nest before we stop opening them (counted as tunnel_too_deep). */
export const MAX_TUNNEL_DEPTH = 4;
/** MPLS labels in one stack before we call it malformed. */
export const MAX_MPLS_LABELS = 8;

/**
 * Enters a tunnel: counts it, checks the nesting depth and resets what the
 * outer layers wrote. `tenant` is the tunnel's network id (0: none); a VLAN
 * tag inside a tunnel that names its network does not replace it.
 */
export function decapsulate(d: Decoder, encap: number, tenant: number): boolean {
  if (d.depth === MAX_TUNNEL_DEPTH) {
    d.fail(DecodeError.TUNNEL_TOO_DEEP);
    return false;
  }
  d.depth++;
  d.encapsulations[encap]!++;
  const p = d.packet;
  p.l3 = L3.NONE;
  p.l2Broadcast = false;
  p.vlan = -1;
  p.hasL4 = false;
  p.completeDatagram = false;
  p.proto = -1;
  p.quotedValid = false;
  p.tenant = tenant;
  d.tunnelTenant = tenant !== 0;
  d.vlanTags = 0;
  return true;
}

/** Not a tunnel after all: the outer IP datagram is the packet (see the module comment). */
function notTunnel(d: Decoder): number {
  d.packet.hasL4 = false;
  return ACCEPT;
}

/** RFC 3032 label stack: 4 bytes a label, bottom of stack flagged; the payload's type is guessed. */
export function mpls(d: Decoder, buf: Buffer, off: number, end: number): number {
  let pos = off;
  let label = 0;
  for (let i = 0; ; i++) {
    if (end - pos < 4 || i === MAX_MPLS_LABELS) return d.fail(DecodeError.TRUNCATED_MPLS);
    label = u24(buf, pos) >>> 4;
    const bottom = buf[pos + 2]! & 1;
    pos += 4;
    if (bottom) break;
  }
  // The bottom label is the service label (an L3VPN's VRF, RFC 4364; a pseudowire, RFC 4448): the tenant.
  if (!decapsulate(d, Encap.MPLS, tenantOf(TenantKind.MPLS, label))) return REJECT;
  if (end - pos < 1) return d.fail(DecodeError.TRUNCATED_MPLS);
  d.end = end;
  // MPLS does not name its payload: the first nibble tells IPv4 (4) and IPv6 (6)
  // from a pseudowire control word (0, RFC 4385) before an Ethernet frame;
  // anything else is taken as an Ethernet pseudowire without control word (RFC 4448).
  const nibble = buf[pos]! >> 4;
  if (nibble === 4 || nibble === 6) {
    d.pos = pos;
    return nibble === 4 ? Layer.IPV4 : Layer.IPV6;
  }
  if (nibble === 0) {
    if (end - pos < 4) return d.fail(DecodeError.TRUNCATED_MPLS);
    pos += 4;
  }
  d.pos = pos;
  return Layer.ETHERNET;
}

/**
 * GRE (RFC 2784) with the key and sequence number of RFC 2890. The protocol
 * type is an EtherType, looked up in the decoder's tunnel table (IPv4, IPv6,
 * 0x6558 transparent Ethernet bridging, MPLS, ERSPAN).
 */
export function gre(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 4) return notTunnel(d);
  const flags = u16(buf, off);
  // Version 0 only (1 is PPTP's enhanced GRE, RFC 2637). RFC 2784 section 2.5.1:
  // a receiver discards GRE with any of bits 1-5 set; bits 2 and 3 are RFC 2890's K and S.
  if ((flags & 7) !== 0 || (flags & 0x4c00) !== 0) return notTunnel(d);
  const next = d.tunnelTypes[u16(buf, off + 2)]!;
  if (next === 0) return notTunnel(d);
  let hlen = 4;
  if (flags & 0x8000) hlen += 4; // checksum and reserved1
  const hasKey = (flags & 0x2000) !== 0;
  const keyAt = off + hlen;
  if (hasKey) hlen += 4;
  d.greSequence = (flags & 0x1000) !== 0;
  if (d.greSequence) hlen += 4;
  if (end - off < hlen) return d.fail(DecodeError.TRUNCATED_GRE);
  d.pos = off + hlen;
  d.end = end;
  if (next === Layer.ERSPAN_II || next === Layer.ERSPAN_III) {
    // The ERSPAN layer opens the tunnel and names it by its session.
    d.encapsulations[Encap.GRE]!++;
    return next;
  }
  if (!decapsulate(d, Encap.GRE, hasKey ? tenantOf(TenantKind.GRE_KEY, u32(buf, keyAt)) : 0)) return REJECT;
  return next;
}

/**
 * GRE protocol 0x88BE: ERSPAN type II, whose GRE header has a sequence
 * number and which adds an 8-byte header (version 1, 10-bit session id);
 * without the sequence bit it is type I, which has no ERSPAN header at all.
 */
export function erspanII(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (!d.greSequence) {
    if (!decapsulate(d, Encap.ERSPAN_I, 0)) return REJECT;
    return Layer.ETHERNET;
  }
  if (end - off < 8) return d.fail(DecodeError.TRUNCATED_ERSPAN);
  if (buf[off]! >> 4 !== 1) return d.fail(DecodeError.BAD_ERSPAN_HEADER);
  const session = u16(buf, off + 2) & 0x3ff;
  if (!decapsulate(d, Encap.ERSPAN_II, tenantOf(TenantKind.ERSPAN, session))) return REJECT;
  d.pos = off + 8;
  return Layer.ETHERNET;
}

/**
 * GRE protocol 0x22EB: ERSPAN type III, a 12-byte header (version 2,
 * session id, timestamp, SGT, frame type, and the O bit announcing an
 * 8-byte platform-specific subheader). Frame type 0 is Ethernet, 2 an IP packet.
 */
export function erspanIII(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 12) return d.fail(DecodeError.TRUNCATED_ERSPAN);
  if (buf[off]! >> 4 !== 2) return d.fail(DecodeError.BAD_ERSPAN_HEADER);
  const session = u16(buf, off + 2) & 0x3ff;
  const frameType = (buf[off + 10]! >> 2) & 0x1f;
  const hlen = buf[off + 11]! & 1 ? 20 : 12;
  if (end - off < hlen) return d.fail(DecodeError.TRUNCATED_ERSPAN);
  if (frameType !== 0 && frameType !== 2) {
    d.otherProtocol++;
    return REJECT;
  }
  if (!decapsulate(d, Encap.ERSPAN_III, tenantOf(TenantKind.ERSPAN, session))) return REJECT;
  d.pos = off + hlen;
  return frameType === 0 ? Layer.ETHERNET : Layer.RAW_IP;
}

/** VXLAN (RFC 7348): 8 bytes, the I flag saying the 24-bit VNI is valid, then an Ethernet frame. */
export function vxlan(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 8 || (buf[off]! & 0x08) === 0) return ACCEPT;
  if (!decapsulate(d, Encap.VXLAN, tenantOf(TenantKind.VNI, u24(buf, off + 4)))) return REJECT;
  d.pos = off + 8;
  return Layer.ETHERNET;
}

/**
 * Geneve (RFC 8926): version 0, options skipped by their length (in 4-byte
 * words), the protocol type an EtherType (0x6558 for Ethernet), a 24-bit VNI.
 */
export function geneve(d: Decoder, buf: Buffer, off: number, end: number): number {
  if (end - off < 8 || buf[off]! >> 6 !== 0) return ACCEPT;
  const next = d.tunnelTypes[u16(buf, off + 2)]!;
  if (next === 0 || next === Layer.ERSPAN_II || next === Layer.ERSPAN_III) return ACCEPT;
  const hlen = 8 + (buf[off]! & 0x3f) * 4;
  if (end - off < hlen) return d.fail(DecodeError.TRUNCATED_GENEVE);
  if (!decapsulate(d, Encap.GENEVE, tenantOf(TenantKind.GENEVE, u24(buf, off + 4)))) return REJECT;
  d.pos = off + hlen;
  return next;
}
