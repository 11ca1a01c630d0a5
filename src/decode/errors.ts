/**
 * Reasons a frame could not be decoded. Each is counted, never thrown:
 * malformed bytes on a span port are normal, not exceptional.
 */
export const DecodeError = {
  UNSUPPORTED_LINKTYPE: 0,
  TRUNCATED_LINK: 1,
  TRUNCATED_VLAN: 2,
  TRUNCATED_ARP: 3,
  TRUNCATED_IPV4: 4,
  BAD_IPV4_HEADER: 5,
  TRUNCATED_IPV6: 6,
  BAD_IPV6_EXTENSION: 7,
  TRUNCATED_TCP: 8,
  BAD_TCP_OFFSET: 9,
  TRUNCATED_UDP: 10,
  TRUNCATED_ICMP: 11,
  BAD_IP_VERSION: 12,
  TOO_MANY_LAYERS: 13,
  TRUNCATED_SCTP: 14,
  TRUNCATED_MPLS: 15,
  TRUNCATED_GRE: 16,
  TRUNCATED_ERSPAN: 17,
  BAD_ERSPAN_HEADER: 18,
  TRUNCATED_GENEVE: 19,
  TUNNEL_TOO_DEEP: 20,
  TRUNCATED_FRAGMENT: 21,
  /** Set by the capture reader, not the decoder: a time no Date can hold. */
  BAD_TIMESTAMP: 22,
  /** An IPv4 fragment whose header checksum is wrong: Linux drops it before reassembly. */
  BAD_IPV4_CHECKSUM: 23,
  /** A fragment in a frame captured whole but shorter than its IP header states: Linux drops it. */
  BAD_IP_LENGTH: 24,
  /** An ARP packet whose hardware type or address length is not Ethernet's: Linux's arp_rcv drops it. */
  BAD_ARP_HEADER: 25,
} as const;

export const DECODE_ERROR_NAMES: readonly string[] = [
  'unsupported_linktype',
  'truncated_link',
  'truncated_vlan',
  'truncated_arp',
  'truncated_ipv4',
  'bad_ipv4_header',
  'truncated_ipv6',
  'bad_ipv6_extension',
  'truncated_tcp',
  'bad_tcp_offset',
  'truncated_udp',
  'truncated_icmp',
  'bad_ip_version',
  'too_many_layers',
  'truncated_sctp',
  'truncated_mpls',
  'truncated_gre',
  'truncated_erspan',
  'bad_erspan_header',
  'truncated_geneve',
  'tunnel_too_deep',
  'truncated_fragment',
  'bad_timestamp',
  'bad_ipv4_checksum',
  'bad_ip_length',
  'bad_arp_header',
];

export type DecodeErrorCounts = Record<string, number>;

export function decodeErrorCounts(counts: Float64Array): DecodeErrorCounts {
  const out: DecodeErrorCounts = {};
  for (let i = 0; i < DECODE_ERROR_NAMES.length; i++) {
    if (counts[i]! > 0) out[DECODE_ERROR_NAMES[i]!] = counts[i]!;
  }
  return out;
}
