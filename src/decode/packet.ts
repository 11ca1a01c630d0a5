/**
 * One decoded frame. A single instance is reused for every packet, so the
 * hot path allocates nothing: fields are overwritten in place and only the
 * ones that belong to the layers present are meaningful.
 */

export const L3 = { NONE: 0, IPV4: 4, IPV6: 6, ARP: 1 } as const;
export const Proto = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58, SCTP: 132 } as const;

/** SCTP chunk types of the first chunk (RFC 9260 section 3.2). */
export const SctpChunk = { DATA: 0, INIT: 1, INIT_ACK: 2, ABORT: 6, SHUTDOWN_ACK: 8, COOKIE_ECHO: 10, COOKIE_ACK: 11 } as const;

export const TcpFlag = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** Bits of `tcpOptionMask`: one bit per TCP option kind we care about (RFC 9293, 7323, 2018). */
export const TcpOpt = { MSS: 1, WSCALE: 2, SACK_PERM: 4, TIMESTAMP: 8, OTHER: 16 } as const;

export class Packet {
  l3 = 0;
  /** True when the link-layer destination was broadcast (ff:ff:ff:ff:ff:ff). */
  l2Broadcast = false;
  /** VLAN ID of the innermost 802.1Q/802.1ad tag, or -1. */
  vlan = -1;
  /**
   * The virtual network the analysed (innermost) packet belongs to, so that
   * tenants with overlapping addresses are kept apart: 0 for none, else an
   * encapsulation kind and its id (VLAN, VNI, GRE key, ERSPAN session, MPLS
   * label) packed by tenantOf() in encapsulation.ts; formatTenant() renders it
   * ("vlan:20", "vni:5001"). A number, so that keys stay unboxed.
   */
  tenant = 0;

  // --- network layer ---
  /**
   * IPv4 addresses as signed 32-bit integers (so that V8 keeps them as small
   * integers and never boxes them); for IPv6, a signed 32-bit hash.
   */
  src = 0;
  dst = 0;
  /** Where the 16-byte IPv6 addresses sit in `buf` (valid during the packet only). */
  src6Off = -1;
  dst6Off = -1;
  buf: Buffer = Buffer.alloc(0);
  proto = -1;
  ttl = 0;
  ipId = 0;
  /**
   * True when a transport header was decoded (TCP, UDP, ICMP, ICMPv6, SCTP):
   * false for a fragment still waiting for the rest of its datagram and for
   * protocols without a decoder.
   */
  hasL4 = false;
  /**
   * True when the packet is a whole IP datagram of protocol `proto`: not
   * fragmented, or reassembled here. With hasL4 false it is a datagram of a
   * protocol we do not decode further (IGMP, GRE that is no tunnel, ...),
   * which is what an IP protocol scan (nmap -sO) sends.
   */
  completeDatagram = false;
  /** True when the datagram was rebuilt from fragments (buf is then the reassembly buffer). */
  reassembled = false;
  /** IP payload length as the IP header states it (bounded by what was captured). */
  l4Off = 0;
  l4Len = 0;
  /** True when the destination is multicast or limited/broadcast; such packets are not probes. */
  dstMulticast = false;

  // --- transport ---
  sport = 0;
  dport = 0;
  tcpFlags = 0;
  tcpWindow = 0;
  tcpSeq = 0;
  tcpAck = 0;
  tcpOptionMask = 0;
  tcpOptionCount = 0;
  tcpMss = -1;
  payloadLen = 0;
  /** UDP: where the payload starts in `buf`, and how much of it was captured (payloadLen may count bytes a snapshot length cut). */
  payloadOff = 0;
  payloadCaptured = 0;

  /** SCTP: type of the first chunk (SctpChunk), -1 when the packet has none; verification tag. */
  sctpChunkType = -1;
  sctpVtag = 0;

  icmpType = -1;
  icmpCode = -1;
  /** Echo/timestamp/mask identifier and sequence number. */
  icmpId = 0;
  icmpSeq = 0;

  /**
   * For ICMP errors: the quoted original datagram (RFC 792, RFC 4443 section
   * 3.1). Ports (or echo identifier/sequence) are those of TCP, UDP, SCTP and
   * ICMP quotes; for other protocols (an nmap -sO probe answered by protocol
   * unreachable) only the addresses and protocol, with ports 0.
   */
  quotedValid = false;
  quotedProto = -1;
  quotedSrc = 0;
  quotedDst = 0;
  quotedSport = 0;
  quotedDport = 0;

  // --- ARP (RFC 826) and IPv6 neighbour solicitation (RFC 4861) ---
  arpOp = 0;
  /** Sender and target protocol addresses, IPv4 as signed 32-bit integers. */
  arpSpa = 0;
  arpTpa = 0;
  /** NS target address hash (IPv6) / offset of its 16 bytes in buf. */
  ndTargetOff = -1;
}
