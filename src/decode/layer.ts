import type { Decoder } from './decoder.js';

/**
 * One protocol layer, as gopacket's DecodingLayer: it reads its header at
 * buf[off, end), fills the fields of `d.packet` it owns, moves `d.pos` and
 * `d.end` to its payload and returns the id of the layer that decodes it,
 * or ACCEPT (the packet is complete) or REJECT (already counted, as an
 * error or as another protocol). A layer never throws and never allocates.
 *
 * Every layer has the same signature and receives the same Decoder, so the
 * property accesses inside each one stay monomorphic; the dispatch is one
 * indexed call per layer (see Decoder.decode).
 */
export type LayerFn = (d: Decoder, buf: Buffer, off: number, end: number) => number;

export const ACCEPT = 0;
export const REJECT = -1;

/**
 * Layer ids: indexes into LAYERS (layer-table.ts) and the values of the
 * next-layer tables (EtherType, IP protocol, UDP port, tunnel protocol type).
 */
export const Layer = {
  ETHERNET: 1,
  VLAN: 2,
  LINUX_SLL: 3,
  LINUX_SLL2: 4,
  LOOPBACK_HOST: 5,
  LOOPBACK_NETWORK: 6,
  RAW_IP: 7,
  ARP: 8,
  IPV4: 9,
  IPV6: 10,
  IPV6_EXTENSIONS: 11,
  TCP: 12,
  UDP: 13,
  ICMP: 14,
  ICMPV6: 15,
  SCTP: 16,
  MPLS: 17,
  GRE: 18,
  ERSPAN_II: 19,
  ERSPAN_III: 20,
  VXLAN: 21,
  GENEVE: 22,
} as const;
export const LAYER_COUNT = 23;
