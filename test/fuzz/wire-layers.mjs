// Where the headers of an Ethernet frame are, for the wire mutator: a
// walk written for the fuzzer alone (no code shared with src/decode, so the
// mutations do not inherit the decoder's assumptions about what it parses).
//
// layersOf(frame) lists each header it recognises, outermost first:
//   { proto, start, len, fields: [{ at, size, role }] }
// `len` is the header's own length as its bytes claim it (it may run past
// the frame: that is what the mutator wants to know). A field's role says
// what kind of value is worth writing there:
//   'next'   what comes after (EtherType, IP protocol, UDP port, GRE type)
//   'length' a length or count (IPv4 total length, IHL, TCP data offset, ...)
//   'frag'   fragment offset and flags
//   'flags'  TCP flags, VLAN TCI, ICMP type, other control bits
// The walk stops at the first header it cannot place.

export const ETHERTYPES = {
  IPV4: 0x0800,
  ARP: 0x0806,
  IPV6: 0x86dd,
  VLAN: 0x8100,
  QINQ: 0x88a8,
  VLAN_OLD: 0x9100,
  MPLS: 0x8847,
  MPLS_MC: 0x8848,
  TEB: 0x6558,
  ERSPAN2: 0x88be,
  ERSPAN3: 0x22eb,
};
const VLAN_TYPES = new Set([ETHERTYPES.VLAN, ETHERTYPES.QINQ, ETHERTYPES.VLAN_OLD]);
const VXLAN_PORTS = new Set([4789, 8472]);
const GENEVE_PORT = 6081;
/** IPv6 extension headers with the generic (next, length in 8-byte units) layout. */
const IPV6_EXT = new Set([0, 43, 60, 135, 139, 140]);
/** ICMP error types that quote the offending packet's IP header. */
const ICMP4_ERRORS = new Set([3, 4, 5, 11, 12]);
const ICMP6_ERRORS = new Set([1, 2, 3, 4]);
/** A walk deeper than this is a loop of tunnels; the mutator does not need more. */
const MAX_LAYERS = 24;

const field = (at, size, role) => ({ at, size, role });

/** All the headers of `frame` that the walk recognises, outermost first. */
export function layersOf(frame) {
  const layers = [];
  walkEthernet(frame, 0, layers);
  return layers;
}

function have(frame, at, n) {
  return at + n <= frame.length;
}

function walkEthernet(frame, at, out) {
  if (!have(frame, at, 14) || out.length >= MAX_LAYERS) return;
  out.push({ proto: 'ethernet', start: at, len: 14, fields: [field(at + 12, 2, 'next')] });
  walkEtherType(frame, frame.readUInt16BE(at + 12), at + 14, out);
}

function walkEtherType(frame, type, at, out) {
  if (out.length >= MAX_LAYERS) return;
  if (VLAN_TYPES.has(type)) {
    if (!have(frame, at, 4)) return;
    out.push({ proto: 'vlan', start: at, len: 4, fields: [field(at, 2, 'flags'), field(at + 2, 2, 'next')] });
    return walkEtherType(frame, frame.readUInt16BE(at + 2), at + 4, out);
  }
  if (type === ETHERTYPES.MPLS || type === ETHERTYPES.MPLS_MC) return walkMpls(frame, at, out);
  if (type === ETHERTYPES.IPV4) return walkIpv4(frame, at, out);
  if (type === ETHERTYPES.IPV6) return walkIpv6(frame, at, out);
  if (type === ETHERTYPES.ARP) {
    if (!have(frame, at, 8)) return;
    out.push({ proto: 'arp', start: at, len: 8 + 2 * frame[at + 4] + 2 * frame[at + 5], fields: [field(at + 4, 1, 'length'), field(at + 5, 1, 'length'), field(at + 6, 2, 'flags'), field(at + 2, 2, 'next')] });
    return;
  }
  if (type === ETHERTYPES.TEB) return walkEthernet(frame, at, out);
  if (type === ETHERTYPES.ERSPAN2 || type === ETHERTYPES.ERSPAN3) return walkErspan(frame, type, at, out);
}

function walkMpls(frame, at, out) {
  let o = at;
  while (have(frame, o, 4) && out.length < MAX_LAYERS) {
    out.push({ proto: 'mpls', start: o, len: 4, fields: [field(o + 2, 1, 'flags')] });
    const bottom = (frame[o + 2] & 1) === 1;
    o += 4;
    if (bottom) break;
  }
  if (!have(frame, o, 1)) return;
  const version = frame[o] >> 4;
  if (version === 4) walkIpv4(frame, o, out);
  else if (version === 6) walkIpv6(frame, o, out);
}

function walkIpv4(frame, at, out) {
  if (!have(frame, at, 20)) return;
  const ihl = (frame[at] & 0x0f) * 4;
  out.push({
    proto: 'ipv4',
    start: at,
    len: ihl,
    fields: [field(at, 1, 'length'), field(at + 2, 2, 'length'), field(at + 6, 2, 'frag'), field(at + 9, 1, 'next'), field(at + 8, 1, 'flags')],
  });
  if (ihl < 20) return;
  // A later fragment carries no transport header.
  if ((frame.readUInt16BE(at + 6) & 0x1fff) !== 0) return;
  walkIpPayload(frame, frame[at + 9], at + ihl, out);
}

function walkIpv6(frame, at, out) {
  if (!have(frame, at, 40)) return;
  out.push({ proto: 'ipv6', start: at, len: 40, fields: [field(at + 4, 2, 'length'), field(at + 6, 1, 'next'), field(at, 1, 'flags')] });
  let next = frame[at + 6];
  let o = at + 40;
  while (out.length < MAX_LAYERS) {
    if (IPV6_EXT.has(next)) {
      if (!have(frame, o, 2)) return;
      const len = 8 * (frame[o + 1] + 1);
      out.push({ proto: `ipv6-ext${next}`, start: o, len, fields: [field(o, 1, 'next'), field(o + 1, 1, 'length')] });
      next = frame[o];
      o += len;
    } else if (next === 44) {
      if (!have(frame, o, 8)) return;
      out.push({ proto: 'ipv6-frag', start: o, len: 8, fields: [field(o, 1, 'next'), field(o + 2, 2, 'frag')] });
      if ((frame.readUInt16BE(o + 2) & 0xfff8) !== 0) return;
      next = frame[o];
      o += 8;
    } else if (next === 51) {
      if (!have(frame, o, 2)) return;
      const len = 4 * (frame[o + 1] + 2);
      out.push({ proto: 'ah', start: o, len, fields: [field(o, 1, 'next'), field(o + 1, 1, 'length')] });
      next = frame[o];
      o += len;
    } else break;
  }
  walkIpPayload(frame, next, o, out);
}

function walkIpPayload(frame, proto, at, out) {
  if (out.length >= MAX_LAYERS) return;
  switch (proto) {
    case 6: {
      if (!have(frame, at, 20)) return;
      out.push({ proto: 'tcp', start: at, len: (frame[at + 12] >> 4) * 4, fields: [field(at + 12, 1, 'length'), field(at + 13, 1, 'flags'), field(at + 2, 2, 'next'), field(at, 2, 'next')] });
      return;
    }
    case 17: {
      if (!have(frame, at, 8)) return;
      out.push({ proto: 'udp', start: at, len: 8, fields: [field(at + 4, 2, 'length'), field(at + 2, 2, 'next'), field(at, 2, 'next')] });
      const port = frame.readUInt16BE(at + 2);
      if (VXLAN_PORTS.has(port) && have(frame, at + 8, 8)) {
        out.push({ proto: 'vxlan', start: at + 8, len: 8, fields: [field(at + 8, 1, 'flags')] });
        walkEthernet(frame, at + 16, out);
      } else if (port === GENEVE_PORT && have(frame, at + 8, 8)) {
        const g = at + 8;
        const len = 8 + 4 * (frame[g] & 0x3f);
        out.push({ proto: 'geneve', start: g, len, fields: [field(g, 1, 'length'), field(g + 2, 2, 'next')] });
        walkEtherType(frame, frame.readUInt16BE(g + 2), g + len, out);
      }
      return;
    }
    case 1:
    case 58: {
      if (!have(frame, at, 8)) return;
      out.push({ proto: proto === 1 ? 'icmp' : 'icmpv6', start: at, len: 8, fields: [field(at, 1, 'flags'), field(at + 1, 1, 'flags')] });
      const errors = proto === 1 ? ICMP4_ERRORS : ICMP6_ERRORS;
      if (!errors.has(frame[at])) return;
      // The quoted packet: its IP header is the one the rules read for an answer.
      if (have(frame, at + 8, 1) && frame[at + 8] >> 4 === 4) walkIpv4(frame, at + 8, out);
      else if (have(frame, at + 8, 1) && frame[at + 8] >> 4 === 6) walkIpv6(frame, at + 8, out);
      return;
    }
    case 132: {
      if (!have(frame, at, 12)) return;
      out.push({ proto: 'sctp', start: at, len: 12, fields: [field(at + 2, 2, 'next')] });
      if (have(frame, at + 12, 4)) out.push({ proto: 'sctp-chunk', start: at + 12, len: frame.readUInt16BE(at + 14), fields: [field(at + 12, 1, 'flags'), field(at + 14, 2, 'length')] });
      return;
    }
    case 47:
      return walkGre(frame, at, out);
    case 4:
      return walkIpv4(frame, at, out);
    case 41:
      return walkIpv6(frame, at, out);
  }
}

function walkGre(frame, at, out) {
  if (!have(frame, at, 4)) return;
  const flags = frame.readUInt16BE(at);
  // Checksum (C), key (K) and sequence (S) words follow the fixed four bytes when their bits are set.
  const len = 4 + (flags & 0x8000 ? 4 : 0) + (flags & 0x2000 ? 4 : 0) + (flags & 0x1000 ? 4 : 0);
  out.push({ proto: 'gre', start: at, len, fields: [field(at, 2, 'flags'), field(at + 2, 2, 'next')] });
  walkEtherType(frame, frame.readUInt16BE(at + 2), at + len, out);
}

function walkErspan(frame, type, at, out) {
  if (type === ETHERTYPES.ERSPAN2) {
    if (!have(frame, at, 8)) return;
    out.push({ proto: 'erspan2', start: at, len: 8, fields: [field(at, 1, 'flags')] });
    return walkEthernet(frame, at + 8, out);
  }
  if (!have(frame, at, 12)) return;
  // Type III: 12 bytes, and an 8-byte platform subheader when the O bit is set.
  const len = frame[at + 11] & 1 ? 20 : 12;
  out.push({ proto: 'erspan3', start: at, len, fields: [field(at + 11, 1, 'flags')] });
  walkEthernet(frame, at + len, out);
}
