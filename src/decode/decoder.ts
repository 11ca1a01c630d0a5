import { ENCAPSULATION_NAMES } from './encapsulation.js';
import { DecodeError, DECODE_ERROR_NAMES } from './errors.js';
import { ACCEPT, type LayerFn } from './layer.js';
import { ipv4, ipv6, ipv6Extensions } from './layers/ip.js';
import { arp, ethernet, vlan } from './layers/link.js';
import { icmp, icmpv6, tcp, udp } from './layers/transport.js';
import { DEFAULT_TABLES, defaultTunnelPorts, LAYERS, udpPortTable, type UdpTunnelPorts } from './layer-table.js';
import { L3, Packet } from './packet.js';
import { Reassembler, type ReassemblyOptions } from './reassembly.js';

/** Layers one frame may stack before we call it malformed (a loop guard; real frames use under ten). */
export const MAX_LAYERS = 24;

export interface DecoderOptions {
  /** UDP destination ports of the tunnels, by name (layer-table.ts UDP_TUNNELS; --vxlan-port, --geneve-port); default their IANA ports. */
  udpTunnelPorts?: UdpTunnelPorts;
  reassembly?: ReassemblyOptions;
  /** Key of the IPv6 address hash (address.ts hashIpv6): the engine's random table key. */
  ipv6HashKey?: number;
}

/**
 * Decodes frames into the reused `packet`, defensively: every length is
 * checked against what was captured, and a frame that does not parse is
 * counted under a reason and dropped. Nothing here throws or allocates.
 *
 * The decoder is a table of layers (layer-table.ts): each layer decodes its
 * header and names the next layer by looking its payload's key up in one of
 * the tables below (EtherType, IP protocol, UDP port, tunnel protocol type),
 * so the dispatch is data, not code. Tunnels are opened and the inner packet
 * analysed (layers/tunnel.ts); fragments are reassembled (reassembly.ts).
 */
export class Decoder {
  readonly packet = new Packet();
  /** Frames that failed to decode, indexed by DecodeError. */
  readonly errors = new Float64Array(DECODE_ERROR_NAMES.length);
  /** Frames that decoded but carry a protocol we do not analyse (LLDP, STP, IPX...). */
  otherProtocol = 0;
  /** Frames by encapsulation opened (ENCAPSULATION_NAMES), once per layer of it. */
  readonly encapsulations = new Float64Array(ENCAPSULATION_NAMES.length);
  readonly reassembly: Reassembler;

  // Next-layer tables: key -> layer id (0: none), see layer-table.ts.
  readonly linkTypes: Uint8Array = DEFAULT_TABLES.linkTypes;
  readonly etherTypes: Uint8Array = DEFAULT_TABLES.etherTypes;
  readonly ipProtocols: Uint8Array = DEFAULT_TABLES.ipProtocols;
  readonly tunnelTypes: Uint8Array = DEFAULT_TABLES.tunnelTypes;
  readonly udpPorts: Uint8Array;

  // Per-frame cursor and state, written by the layers.
  /** Where the next layer's header starts, and where the current payload ends. */
  pos = 0;
  end = 0;
  /**
   * The frame's time, whole seconds and nanoseconds: the clock of fragment
   * timeouts. Kept as two small integers so that no double is boxed per frame;
   * `now` combines them for the (rare) fragment.
   */
  tsSec = 0;
  tsNsec = 0;
  /** Next-header value carried from the IPv6 fixed header into its extension chain. */
  nextHeader = 0;
  /** True when the capture holds less of the current IP datagram than its header states. */
  ipTruncated = false;
  /** Bytes of the current IP datagram its header states beyond what was captured (a snapshot length cut it). */
  missing = 0;
  /**
   * True when the caller said the frame was captured whole (wire length =
   * captured length): an IP datagram then longer than the frame is malformed,
   * not cut by the capture.
   */
  frameWhole = false;
  /** The EtherType that named the current layer (a VLAN tag's TPID). */
  etherType = 0;
  vlanTags = 0;
  /** Tunnels opened in this frame. */
  depth = 0;
  /** True once a tunnel named the network (a VLAN inside it then does not). */
  tunnelTenant = false;
  /** The GRE header had a sequence number (tells ERSPAN type II from type I). */
  greSequence = false;

  private readonly layers: readonly LayerFn[] = LAYERS;

  /** Key of the IPv6 address hash (see DecoderOptions). */
  readonly ipv6HashKey: number;

  constructor(options: DecoderOptions = {}) {
    this.ipv6HashKey = options.ipv6HashKey ?? 0;
    const ports = options.udpTunnelPorts ?? {};
    this.udpPorts = defaultTunnelPorts(ports) ? DEFAULT_TABLES.udpPorts : udpPortTable(ports);
    this.reassembly = new Reassembler(options.reassembly);
  }

  /**
   * Returns true when `packet` holds an IPv4, IPv6 or ARP packet worth
   * analysing. `tsSec` and `tsNsec` are the frame's time (fragments expire on
   * it); `wireLen` the frame's length on the wire when known (-1: unknown,
   * and a datagram longer than the captured bytes is taken as cut by the
   * capture).
   */
  decode(linkType: number, buf: Buffer, off: number, capLen: number, tsSec = 0, tsNsec = 0, wireLen = -1): boolean {
    const p = this.packet;
    p.buf = buf;
    this.missing = 0;
    this.frameWhole = wireLen >= 0 && wireLen <= capLen;
    p.l3 = L3.NONE;
    p.l2Broadcast = false;
    p.vlan = -1;
    p.tenant = 0;
    p.hasL4 = false;
    p.completeDatagram = false;
    p.reassembled = false;
    p.proto = -1;
    p.quotedValid = false;
    p.sctpChunkType = -1;
    this.vlanTags = 0;
    this.depth = 0;
    this.tunnelTenant = false;
    this.tsSec = tsSec;
    this.tsNsec = tsNsec;
    this.pos = off;
    this.end = off + capLen;
    let layer: number;
    if (linkType === 1) {
      // Ethernet, nearly every capture: called directly; Ethernet -> IPv4 ->
      // TCP/UDP then chain by direct calls and the loop below is not entered.
      layer = ethernet(this, buf, off, this.end);
    } else {
      layer = linkType >= 0 && linkType < this.linkTypes.length ? this.linkTypes[linkType]! : 0;
      if (layer === 0) {
        this.errors[DecodeError.UNSUPPORTED_LINKTYPE]!++;
        return false;
      }
    }
    for (let n = 0; layer > 0; n++) {
      if (n === MAX_LAYERS) {
        this.errors[DecodeError.TOO_MANY_LAYERS]!++;
        return false;
      }
      // p.buf, not buf: a reassembled datagram continues in the reassembly buffer.
      layer = this.dispatch(layer, p.buf, this.pos, this.end);
    }
    return layer === ACCEPT;
  }

  /**
   * Calls the layer `id`. The layers of nearly every frame get a direct call
   * each (a monomorphic call site V8 can inline), as gopacket's generated
   * LayersDecoder switches over layer types instead of calling through its
   * DecodingLayerContainer; every other layer, tunnels included, is called
   * through the table. Both paths run the same function: the switch is only
   * a shortcut, and a layer added to the table needs nothing here.
   */
  private dispatch(id: number, buf: Buffer, off: number, end: number): number {
    // Literal cases (checked against Layer by a test) compile to a jump table;
    // property loads from Layer would be compared one by one.
    switch (id) {
      case 1: // Layer.ETHERNET
        return ethernet(this, buf, off, end);
      case 2: // Layer.VLAN
        return vlan(this, buf, off, end);
      case 9: // Layer.IPV4
        return ipv4(this, buf, off, end);
      case 10: // Layer.IPV6
        return ipv6(this, buf, off, end);
      case 11: // Layer.IPV6_EXTENSIONS
        return ipv6Extensions(this, buf, off, end);
      case 12: // Layer.TCP
        return tcp(this, buf, off, end);
      case 13: // Layer.UDP
        return udp(this, buf, off, end);
      case 14: // Layer.ICMP
        return icmp(this, buf, off, end);
      case 15: // Layer.ICMPV6
        return icmpv6(this, buf, off, end);
      case 8: // Layer.ARP
        return arp(this, buf, off, end);
      default:
        return this.layers[id]!(this, buf, off, end);
    }
  }

  /** The frame's time in seconds. */
  get now(): number {
    return this.tsSec + this.tsNsec * 1e-9;
  }

  /** Counts a frame that could not be decoded; returns REJECT for the layer to pass on. */
  fail(reason: number): -1 {
    this.errors[reason]!++;
    return -1;
  }
}
