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
import { icmp, icmpv6, sctp, tcp, udp } from './layers/transport.js';
import { erspanII, erspanIII, geneve, gre, mpls, vxlan } from './layers/tunnel.js';

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
  t[Layer.SCTP] = sctp;
  t[Layer.MPLS] = mpls;
  t[Layer.GRE] = gre;
  t[Layer.ERSPAN_II] = erspanII;
  t[Layer.ERSPAN_III] = erspanIII;
  t[Layer.VXLAN] = vxlan;
  t[Layer.GENEVE] = geneve;
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
  [0x8847, Layer.MPLS], // MPLS unicast (RFC 3032)
  [0x8848, Layer.MPLS], // MPLS multicast (RFC 5332)
];

/** Protocol types of GRE and Geneve payloads: EtherTypes, plus those only tunnels carry. */
export const TUNNEL_TYPES: readonly (readonly [number, number])[] = [
  [0x0800, Layer.IPV4],
  [0x86dd, Layer.IPV6],
  [0x6558, Layer.ETHERNET], // transparent Ethernet bridging (gretap, Geneve's usual payload)
  [0x8847, Layer.MPLS],
  [0x8848, Layer.MPLS],
  [0x88be, Layer.ERSPAN_II], // ERSPAN type II, or type I without the GRE sequence number
  [0x22eb, Layer.ERSPAN_III],
];

/**
 * The tunnels announced by a UDP destination port: each its layer and its
 * IANA port. The port can be changed per decoder (`udpTunnelPorts`, by
 * name), and the CLI offers `--<name>-port` for each (src/cli/options.ts):
 * a new UDP tunnel is its layer plus one entry here.
 */
export interface UdpTunnel {
  /** The key of `udpTunnelPorts` and of the `--<name>-port` option. */
  readonly name: string;
  /** How it is written in prose (help, errors). */
  readonly label: string;
  readonly layer: number;
  readonly port: number;
  /** Where the port is assigned. */
  readonly reference: string;
}

export const UDP_TUNNELS = [
  { name: 'vxlan', label: 'VXLAN', layer: Layer.VXLAN, port: 4789, reference: 'RFC 7348 section 5' },
  { name: 'geneve', label: 'Geneve', layer: Layer.GENEVE, port: 6081, reference: 'RFC 8926 section 3.3' },
] as const satisfies readonly UdpTunnel[];

/** UDP ports of the tunnels by name (UDP_TUNNELS); a tunnel left out keeps its IANA port. */
export type UdpTunnelPorts = Readonly<Record<string, readonly number[]>>;

export const VXLAN_PORT = UDP_TUNNELS[0]!.port;
export const GENEVE_PORT = UDP_TUNNELS[1]!.port;

/** IP protocol numbers (IANA) with a decoder; others are complete datagrams without transport fields. */
export const IP_PROTOCOLS: readonly (readonly [number, number])[] = [
  [1, Layer.ICMP],
  [6, Layer.TCP],
  [17, Layer.UDP],
  [47, Layer.GRE],
  [58, Layer.ICMPV6],
  [132, Layer.SCTP],
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
  readonly tunnelTypes: Uint8Array;
  readonly udpPorts: Uint8Array;
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
  tunnelTypes: build(TUNNEL_TYPES, 65536),
  udpPorts: udpPortTable({}),
};

/** UDP destination port -> tunnel layer, each tunnel on its ports in `ports` or its IANA port. */
export function udpPortTable(ports: UdpTunnelPorts): Uint8Array {
  const t = new Uint8Array(65536);
  for (const tunnel of UDP_TUNNELS) for (const port of ports[tunnel.name] ?? [tunnel.port]) t[port] = tunnel.layer;
  return t;
}

/** Whether `ports` leaves every tunnel on its IANA port alone. */
export function defaultTunnelPorts(ports: UdpTunnelPorts): boolean {
  return UDP_TUNNELS.every((t) => {
    const p = ports[t.name];
    return p === undefined || (p.length === 1 && p[0] === t.port);
  });
}
