/**
 * Builders for encapsulated frames, written from the specifications (not
 * from scanwatch): VXLAN (RFC 7348 section 5), Geneve (RFC 8926 section
 * 3.4), GRE (RFC 2784 section 2.1, RFC 2890 section 2), ERSPAN types II and
 * III (draft-foschiano-erspan-03 sections 4.1, 4.2), MPLS (RFC 3032 section
 * 2.1) and the pseudowire control word (RFC 4385 section 3). The underlay
 * uses 198.18.100.0/24, the inner traffic 198.18.10.0/24 and 2001:db8:10::/48,
 * so a test can tell at once which addresses it was handed.
 */
import { ETHERTYPE, PROTO, ether, ipv4Packet, udpDatagram } from '../engine/packets.js';

export const UNDERLAY_SRC = '198.18.100.1';
export const UNDERLAY_DST = '198.18.100.2';
export const TYPE = { TEB: 0x6558, MPLS: 0x8847, ERSPAN2: 0x88be, ERSPAN3: 0x22eb } as const;

/** Outer Ethernet + IPv4 from UNDERLAY_SRC to UNDERLAY_DST carrying `payload` as protocol `proto`. */
export function underlay(proto: number, payload: Buffer, o: { id?: number } = {}): Buffer {
  return ether(ETHERTYPE.IPV4, ipv4Packet({ src: UNDERLAY_SRC, dst: UNDERLAY_DST, proto, payload, id: o.id ?? 0x4242 }));
}

export function vxlanHeader(vni: number, flags = 0x08): Buffer {
  const h = Buffer.alloc(8);
  h[0] = flags; // I flag: the VNI is valid
  h.writeUIntBE(vni, 4, 3);
  return h;
}

/** Inner Ethernet frame in VXLAN in UDP (source port from the flow hash, here fixed) in the underlay. */
export function vxlan(inner: Buffer, vni: number, port = 4789): Buffer {
  return underlay(PROTO.UDP, udpDatagram(49152, port, Buffer.concat([vxlanHeader(vni), inner])));
}

export function geneveHeader(vni: number, protocol: number, options: Buffer = Buffer.alloc(0), version = 0): Buffer {
  if (options.length % 4 !== 0) throw new Error('Geneve options are 4-byte words');
  const h = Buffer.alloc(8);
  h[0] = (version << 6) | (options.length / 4);
  h.writeUInt16BE(protocol, 2);
  h.writeUIntBE(vni, 4, 3);
  return Buffer.concat([h, options]);
}

export function geneve(inner: Buffer, vni: number, o: { protocol?: number; options?: Buffer; port?: number } = {}): Buffer {
  const hdr = geneveHeader(vni, o.protocol ?? TYPE.TEB, o.options);
  return underlay(PROTO.UDP, udpDatagram(49152, o.port ?? 6081, Buffer.concat([hdr, inner])));
}

/** One Geneve option TLV (class, type, data in 4-byte words). */
export function geneveOption(optClass: number, type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16BE(optClass, 0);
  h[2] = type;
  h[3] = data.length / 4;
  return Buffer.concat([h, data]);
}

export interface GreOpts {
  checksum?: boolean;
  key?: number;
  sequence?: number;
  version?: number;
  /** Extra flag bits to set (for reserved-bit tests). */
  extraFlags?: number;
}

export function greHeader(protocol: number, o: GreOpts = {}): Buffer {
  let flags = (o.version ?? 0) | (o.extraFlags ?? 0);
  const words: Buffer[] = [];
  if (o.checksum === true) {
    flags |= 0x8000;
    words.push(Buffer.alloc(4)); // checksum (not verified by receivers that do not care) + reserved1
  }
  if (o.key !== undefined) {
    flags |= 0x2000;
    const k = Buffer.alloc(4);
    k.writeUInt32BE(o.key >>> 0);
    words.push(k);
  }
  if (o.sequence !== undefined) {
    flags |= 0x1000;
    const s = Buffer.alloc(4);
    s.writeUInt32BE(o.sequence >>> 0);
    words.push(s);
  }
  const h = Buffer.alloc(4);
  h.writeUInt16BE(flags, 0);
  h.writeUInt16BE(protocol, 2);
  return Buffer.concat([h, ...words]);
}

export function gre(payload: Buffer, protocol: number, o: GreOpts = {}): Buffer {
  return underlay(47, Buffer.concat([greHeader(protocol, o), payload]));
}

/** ERSPAN type II header: version 1, VLAN, COS, encapsulation type, truncated bit, session id, index. */
export function erspan2Header(session: number, o: { version?: number; vlan?: number; index?: number } = {}): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(((o.version ?? 1) << 12) | ((o.vlan ?? 0) & 0xfff), 0);
  h.writeUInt16BE(session & 0x3ff, 2);
  h.writeUInt32BE((o.index ?? 0) & 0xfffff, 4);
  return h;
}

/** ERSPAN type III header: version 2, session id, timestamp, SGT, frame type, hardware id, O bit (+8-byte platform subheader). */
export function erspan3Header(session: number, o: { frameType?: number; platform?: boolean; version?: number; hwId?: number } = {}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE((o.version ?? 2) << 12, 0);
  h.writeUInt16BE(session & 0x3ff, 2);
  h.writeUInt32BE(0x01020304, 4); // timestamp
  h.writeUInt16BE(0, 8); // SGT
  const ft = o.frameType ?? 0;
  const hw = o.hwId ?? 1;
  // byte 10: P(1) FT(5) HwID high 2 bits; byte 11: HwID low 4 bits, D, Gra(2), O
  h[10] = ((ft & 0x1f) << 2) | ((hw >> 4) & 3);
  h[11] = ((hw & 15) << 4) | (o.platform === true ? 1 : 0);
  if (o.platform !== true) return h;
  return Buffer.concat([h, Buffer.from('0800000000000000', 'hex')]); // platform id 1 subheader
}

/** MPLS label stack entries (label, TC 0, bottom-of-stack on the last, TTL 64). */
export function mplsStack(labels: number[]): Buffer {
  const b = Buffer.alloc(4 * labels.length);
  labels.forEach((label, i) => {
    const bottom = i === labels.length - 1 ? 1 : 0;
    b.writeUInt32BE(((label & 0xfffff) << 12) | (bottom << 8) | 64, 4 * i);
  });
  return b;
}

export function mpls(labels: number[], payload: Buffer, etherType = 0x8847): Buffer {
  return ether(etherType, Buffer.concat([mplsStack(labels), payload]));
}

/** RFC 4385 pseudowire control word: first nibble 0. */
export const PW_CONTROL_WORD = Buffer.from('00000001', 'hex');
