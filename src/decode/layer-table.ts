/**
 * The table of layers and the keys under which each is registered: the
 * one place that says which layer decodes which EtherType, IP protocol,
 * UDP port or link type. A new protocol or tunnel is one LayerFn here plus
 * the number(s) that announce it.
 */
import { LinkType } from '../capture/types.js';
import { Layer, LAYER_COUNT, type LayerFn } from './layer.js';
import { ipv4, ipv6, ipv6Extensions } from './layers/ip.js';
import { arp, ethernet, linuxSll, linuxSll2, loopbackHostOrder, loopbackNetworkOrder, rawIp, vlan } from './layers/link.js';
import { icmp, icmpv6, tcp, udp } from './layers/transport.js';

const notRegistered: LayerFn = (d) => d.fail(0);

function table(): LayerFn[] {
  // A packed array of functions of one signature: the dispatch is an indexed load and a call.
  const t: LayerFn[] = new Array<LayerFn>(LAYER_COUNT).fill(notRegistered);
  t[Layer.ETHERNET] = ethernet;
  t[Layer.VLAN] = vlan;
  t[Layer.LINUX_SLL] = linuxSll;
  t[Layer.LINUX_SLL2] = linuxSll2;
  t[Layer.LOOPBACK_HOST] = loopbackHostOrder;
  t[Layer.LOOPBACK_NETWORK] = loopbackNetworkOrder;
  t[Layer.RAW_IP] = rawIp;
  t[Layer.ARP] = arp;
  t[Layer.IPV4] = ipv4;
  t[Layer.IPV6] = ipv6;
  t[Layer.IPV6_EXTENSIONS] = ipv6Extensions;
  t[Layer.TCP] = tcp;
  t[Layer.UDP] = udp;
  t[Layer.ICMP] = icmp;
  t[Layer.ICMPV6] = icmpv6;
  return t;
}

export const LAYERS: readonly LayerFn[] = table();

/** EtherTypes (IEEE registry) and the layer each names. */
export const ETHER_TYPES: readonly (readonly [number, number])[] = [
  [0x0800, Layer.IPV4],
  [0x0806, Layer.ARP],
  [0x86dd, Layer.IPV6],
  [0x8100, Layer.VLAN], // IEEE 802.1Q
  [0x88a8, Layer.VLAN], // IEEE 802.1ad service tag
  [0x9100, Layer.VLAN], // pre-standard stacked tag, still seen on switches
];

/** IP protocol numbers (IANA) with a decoder; others are complete datagrams without transport fields. */
export const IP_PROTOCOLS: readonly (readonly [number, number])[] = [
  [1, Layer.ICMP],
  [6, Layer.TCP],
  [17, Layer.UDP],
  [58, Layer.ICMPV6],
];

/** LINKTYPE_ values (tcpdump.org) and the first layer of their frames. */
export const LINK_TYPES: readonly (readonly [number, number])[] = [
  [LinkType.NULL, Layer.LOOPBACK_HOST],
  [LinkType.ETHERNET, Layer.ETHERNET],
  [LinkType.RAW, Layer.RAW_IP],
  [LinkType.LOOP, Layer.LOOPBACK_NETWORK],
  [LinkType.LINUX_SLL, Layer.LINUX_SLL],
  [LinkType.IPV4, Layer.IPV4],
  [LinkType.IPV6, Layer.IPV6],
  [LinkType.LINUX_SLL2, Layer.LINUX_SLL2],
];

/** Next-layer tables, key -> layer id (0: none); shared by every decoder, never written after load. */
export interface NextLayerTables {
  readonly linkTypes: Uint8Array;
  readonly etherTypes: Uint8Array;
  readonly ipProtocols: Uint8Array;
}

function build(pairs: readonly (readonly [number, number])[], size: number): Uint8Array {
  const t = new Uint8Array(size);
  for (const [k, v] of pairs) t[k] = v;
  return t;
}

export const DEFAULT_TABLES: NextLayerTables = {
  linkTypes: build(LINK_TYPES, 512),
  etherTypes: build(ETHER_TYPES, 65536),
  ipProtocols: build(IP_PROTOCOLS, 256),
};
