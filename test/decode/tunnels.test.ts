/**
 * Tunnels: every encapsulation the decoder opens, with the inner packet
 * analysed and its tenant set, the outer packet kept where the bytes are no
 * tunnel (nmap -sO and -sU probes of protocol 47 and port 4789), the nesting
 * cap, and every truncation of every tunnel frame. Frames are built from the
 * specifications in tunnel-frames.ts.
 */
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/types.js';
import { Decoder } from '../../src/decode/decoder.js';
import { Encap, ENCAPSULATION_NAMES, encapsulationCounts, formatTenant, parseTenant, TenantKind, tenantOf } from '../../src/decode/encapsulation.js';
import { DECODE_ERROR_NAMES } from '../../src/decode/errors.js';
import { MAX_TUNNEL_DEPTH } from '../../src/decode/layers/tunnel.js';
import { L3, Proto, TcpFlag } from '../../src/decode/packet.js';
import { hashIpv6 } from '../../src/decode/address.js';
import { ETHERTYPE, PROTO, arp, ether, ip4, ip6, ipv4Packet, ipv6Packet, rng, tcpSegment, udpDatagram } from '../engine/packets.js';
import {
  erspan2Header,
  erspan3Header,
  geneve,
  geneveOption,
  gre,
  greHeader,
  mpls,
  PW_CONTROL_WORD,
  TYPE,
  underlay,
  UNDERLAY_SRC,
  vxlan,
  vxlanHeader,
} from './tunnel-frames.js';

const s32 = (text: string): number => ip4(text) | 0;

// The inner probe: an nmap-like SYN from 198.18.10.1 to port 22 of 198.18.10.2.
const innerSyn = tcpSegment({ sport: 45678, dport: 22, flags: 'S', window: 1024, options: { mss: 1460 } });
const innerIp = ipv4Packet({ src: '198.18.10.1', dst: '198.18.10.2', proto: PROTO.TCP, payload: innerSyn, ttl: 37 });
const innerIp6 = ipv6Packet({ src: '2001:db8:10::1', dst: '2001:db8:10::2', next: PROTO.TCP, payload: innerSyn });
const innerEth = ether(ETHERTYPE.IPV4, innerIp);

function decode(frame: Buffer, d = new Decoder()): { d: Decoder; ok: boolean } {
  const ok = d.decode(LinkType.ETHERNET, frame, 0, frame.length);
  return { d, ok };
}

function errorTotal(d: Decoder): number {
  let n = d.otherProtocol;
  for (const v of d.errors) n += v;
  return n;
}

function errorsByName(d: Decoder): Record<string, number> {
  const out: Record<string, number> = {};
  d.errors.forEach((v, i) => {
    if (v > 0) out[DECODE_ERROR_NAMES[i]!] = v;
  });
  return out;
}

/** The inner SYN, seen as the engine would see it: inner addresses, ports, flags. */
function expectInnerSyn(d: Decoder, tenant: string | null): void {
  const p = d.packet;
  expect(p.l3).toBe(L3.IPV4);
  expect(p.src).toBe(s32('198.18.10.1'));
  expect(p.dst).toBe(s32('198.18.10.2'));
  expect(p.ttl).toBe(37);
  expect(p.proto).toBe(Proto.TCP);
  expect(p.hasL4).toBe(true);
  expect(p.completeDatagram).toBe(true);
  expect(p.sport).toBe(45678);
  expect(p.dport).toBe(22);
  expect(p.tcpFlags).toBe(TcpFlag.SYN);
  expect(p.tcpMss).toBe(1460);
  expect(formatTenant(p.tenant)).toBe(tenant);
  expect(errorTotal(d)).toBe(0);
}

function expectInnerSyn6(d: Decoder): void {
  const p = d.packet;
  expect(p.l3).toBe(L3.IPV6);
  expect(p.src).toBe(hashIpv6(ip6('2001:db8:10::1'), 0, 0));
  expect(p.buf.subarray(p.src6Off, p.src6Off + 16).equals(ip6('2001:db8:10::1'))).toBe(true);
  expect(p.buf.subarray(p.dst6Off, p.dst6Off + 16).equals(ip6('2001:db8:10::2'))).toBe(true);
  expect(p.dport).toBe(22);
  expect(p.tcpFlags).toBe(TcpFlag.SYN);
}

function counts(d: Decoder): Record<string, number> {
  return encapsulationCounts(d.encapsulations);
}

describe('VXLAN (RFC 7348)', () => {
  it('UDP 4789: the inner Ethernet frame is analysed, tenant vni:5001', () => {
    const { d, ok } = decode(vxlan(innerEth, 5001));
    expect(ok).toBe(true);
    expectInnerSyn(d, 'vni:5001');
    expect(counts(d)).toEqual({ vxlan: 1 });
  });

  it('the port is configurable: 8472 (the Linux default) only when asked for', () => {
    const frame = vxlan(innerEth, 5001, 8472);
    const plain = decode(frame);
    expect(plain.ok).toBe(true);
    expect(plain.d.packet.src).toBe(s32(UNDERLAY_SRC)); // an ordinary UDP datagram to port 8472
    expect(plain.d.packet.dport).toBe(8472);
    expect(counts(plain.d)).toEqual({});
    const asked = decode(frame, new Decoder({ udpTunnelPorts: { vxlan: [8472] } }));
    expectInnerSyn(asked.d, 'vni:5001');
    // and 4789 is then an ordinary port
    const other = decode(vxlan(innerEth, 5001, 4789), new Decoder({ udpTunnelPorts: { vxlan: [8472] } }));
    expect(other.d.packet.dport).toBe(4789);
    expect(counts(other.d)).toEqual({});
  });

  it('a UDP probe of port 4789 that is no VXLAN (empty, or I flag clear) stays the analysed packet', () => {
    for (const payload of [Buffer.alloc(0), Buffer.concat([vxlanHeader(7, 0x00), innerEth]), Buffer.from('abc')]) {
      const { d, ok } = decode(underlay(PROTO.UDP, udpDatagram(33000, 4789, payload)));
      expect(ok).toBe(true);
      expect(d.packet.src).toBe(s32(UNDERLAY_SRC));
      expect(d.packet.proto).toBe(Proto.UDP);
      expect(d.packet.dport).toBe(4789);
      expect(d.packet.hasL4).toBe(true);
      expect(d.packet.tenant).toBe(0);
      expect(counts(d)).toEqual({});
    }
  });

  it('an inner ARP request is an ARP packet; an inner LLDP frame is another protocol', () => {
    const who = arp({ op: 1, senderIp: '198.18.10.1', targetIp: '198.18.10.9' });
    let r = decode(vxlan(who, 5001));
    expect(r.ok).toBe(true);
    expect(r.d.packet.l3).toBe(L3.ARP);
    expect(r.d.packet.arpSpa).toBe(s32('198.18.10.1'));
    expect(r.d.packet.l2Broadcast).toBe(true);
    expect(r.d.packet.hasL4).toBe(false);
    r = decode(vxlan(ether(ETHERTYPE.LLDP, Buffer.alloc(30)), 5001));
    expect(r.ok).toBe(false);
    expect(r.d.otherProtocol).toBe(1);
  });

  it('a VLAN tag inside VXLAN does not replace the VNI; the underlay VLAN is no tenant of the inner packet', () => {
    const tagged = ether(ETHERTYPE.IPV4, innerIp, { vlans: [{ tpid: ETHERTYPE.VLAN, vid: 20 }] });
    const outer = vxlan(tagged, 5001);
    // put the underlay on VLAN 300
    const onVlan = Buffer.concat([outer.subarray(0, 12), Buffer.from([0x81, 0x00, 0x01, 0x2c]), outer.subarray(12)]);
    const { d } = decode(onVlan);
    expectInnerSyn(d, 'vni:5001');
    expect(d.packet.vlan).toBe(20);
    expect(counts(d)).toEqual({ vlan: 2, vxlan: 1 });
  });
});

describe('Geneve (RFC 8926)', () => {
  it('UDP 6081 with options skipped by length: the inner frame, tenant geneve:77', () => {
    const opts = geneveOption(0xfff0, 1, Buffer.alloc(8, 0xaa));
    const { d, ok } = decode(geneve(innerEth, 77, { options: opts }));
    expect(ok).toBe(true);
    expectInnerSyn(d, 'geneve:77');
    expect(counts(d)).toEqual({ geneve: 1 });
  });

  it('protocol type IPv4 or IPv6 carries the inner IP packet without Ethernet', () => {
    expectInnerSyn(decode(geneve(innerIp, 9, { protocol: 0x0800 })).d, 'geneve:9');
    expectInnerSyn6(decode(geneve(innerIp6, 9, { protocol: 0x86dd })).d);
  });

  it('the Geneve port is configurable', () => {
    const frame = geneve(innerEth, 77, { port: 7000 });
    expect(decode(frame).d.packet.dport).toBe(7000);
    expectInnerSyn(decode(frame, new Decoder({ udpTunnelPorts: { geneve: [7000] } })).d, 'geneve:77');
  });

  it('a version other than 0 or an unknown protocol type is no Geneve we read: the UDP packet stays', () => {
    for (const frame of [
      underlay(PROTO.UDP, udpDatagram(1, 6081, Buffer.concat([Buffer.from([0x40, 0, 0x65, 0x58, 0, 0, 77, 0]), innerEth]))),
      geneve(innerEth, 77, { protocol: 0x1234 }),
    ]) {
      const { d, ok } = decode(frame);
      expect(ok).toBe(true);
      expect(d.packet.src).toBe(s32(UNDERLAY_SRC));
      expect(d.packet.dport).toBe(6081);
    }
  });

  it('options longer than the packet are a truncated Geneve header', () => {
    const hdr = Buffer.from([0x3f, 0, 0x65, 0x58, 0, 0, 77, 0]); // 63 words of options announced
    const { d, ok } = decode(underlay(PROTO.UDP, udpDatagram(1, 6081, Buffer.concat([hdr, innerEth]))));
    expect(ok).toBe(false);
    expect(errorsByName(d)).toEqual({ truncated_geneve: 1 });
  });
});

describe('GRE (RFC 2784, RFC 2890)', () => {
  it('key 9, protocol IPv4: the inner packet, tenant gre-key:9', () => {
    const { d, ok } = decode(gre(innerIp, 0x0800, { key: 9 }));
    expect(ok).toBe(true);
    expectInnerSyn(d, 'gre-key:9');
    expect(counts(d)).toEqual({ gre: 1 });
  });

  it('checksum, key and sequence number all present', () => {
    expectInnerSyn(decode(gre(innerIp, 0x0800, { checksum: true, key: 0xfffffffe, sequence: 5 })).d, 'gre-key:4294967294');
  });

  it('without a key there is no tenant; IPv6 inside', () => {
    const { d } = decode(gre(innerIp6, 0x86dd));
    expectInnerSyn6(d);
    expect(d.packet.tenant).toBe(0);
  });

  it('0x6558 transparent Ethernet bridging (gretap) carries Ethernet, ARP included', () => {
    expectInnerSyn(decode(gre(innerEth, TYPE.TEB, { key: 9 })).d, 'gre-key:9');
    const r = decode(gre(arp({ op: 1, senderIp: '198.18.10.1', targetIp: '198.18.10.3' }), TYPE.TEB));
    expect(r.d.packet.l3).toBe(L3.ARP);
  });

  it('MPLS inside GRE', () => {
    const { d } = decode(gre(Buffer.concat([Buffer.from('000641ff', 'hex'), innerIp]), TYPE.MPLS)); // label 100, bottom
    expectInnerSyn(d, 'mpls:100');
    expect(counts(d)).toEqual({ gre: 1, mpls: 1 });
  });

  it('an empty GRE datagram (nmap -sO), version 1 (PPTP), reserved bits or an unknown protocol: a protocol-47 datagram', () => {
    for (const payload of [
      Buffer.alloc(0),
      Buffer.from([0x00, 0x00]),
      Buffer.concat([greHeader(0x0800, { version: 1 }), innerIp]),
      Buffer.concat([greHeader(0x0800, { extraFlags: 0x4000 }), innerIp]),
      Buffer.concat([greHeader(0x880b), innerIp]), // PPP
    ]) {
      const { d, ok } = decode(underlay(47, payload));
      expect(ok, payload.toString('hex')).toBe(true);
      const p = d.packet;
      expect(p.src).toBe(s32(UNDERLAY_SRC));
      expect(p.proto).toBe(47);
      expect(p.hasL4).toBe(false);
      expect(p.completeDatagram).toBe(true);
      expect(counts(d)).toEqual({});
      expect(errorTotal(d)).toBe(0);
    }
  });

  it('a GRE header cut short by the capture is truncated_gre', () => {
    const frame = gre(innerIp, 0x0800, { key: 9, sequence: 1 });
    const ipEnd = 14 + 20;
    const { d, ok } = (() => {
      const dd = new Decoder();
      return { d: dd, ok: dd.decode(LinkType.ETHERNET, frame, 0, ipEnd + 6) };
    })();
    expect(ok).toBe(false);
    expect(errorsByName(d)).toEqual({ truncated_gre: 1 });
  });
});

describe('ERSPAN (draft-foschiano-erspan)', () => {
  it('type I: GRE 0x88BE without sequence number, the mirrored frame right after GRE', () => {
    const { d, ok } = decode(gre(innerEth, TYPE.ERSPAN2));
    expect(ok).toBe(true);
    expectInnerSyn(d, null);
    expect(counts(d)).toEqual({ gre: 1, erspan_i: 1 });
  });

  it('type I with a VLAN-tagged mirrored frame: the VLAN is the tenant', () => {
    const tagged = ether(ETHERTYPE.IPV4, innerIp, { vlans: [{ tpid: ETHERTYPE.VLAN, vid: 20 }] });
    expectInnerSyn(decode(gre(tagged, TYPE.ERSPAN2)).d, 'vlan:20');
  });

  it('type II: sequence number, 8-byte header, session 3', () => {
    const { d, ok } = decode(gre(Buffer.concat([erspan2Header(3, { vlan: 20 }), innerEth]), TYPE.ERSPAN2, { sequence: 1 }));
    expect(ok).toBe(true);
    expectInnerSyn(d, 'erspan:3');
    expect(counts(d)).toEqual({ gre: 1, erspan_ii: 1 });
  });

  it('type II with a wrong version is a bad ERSPAN header', () => {
    const { d, ok } = decode(gre(Buffer.concat([erspan2Header(3, { version: 2 }), innerEth]), TYPE.ERSPAN2, { sequence: 1 }));
    expect(ok).toBe(false);
    expect(errorsByName(d)).toEqual({ bad_erspan_header: 1 });
  });

  it('type III: 12-byte header, with and without the 8-byte platform subheader (O bit)', () => {
    for (const platform of [false, true]) {
      const { d, ok } = decode(gre(Buffer.concat([erspan3Header(1023, { platform }), innerEth]), TYPE.ERSPAN3, { sequence: 7 }));
      expect(ok).toBe(true);
      expectInnerSyn(d, 'erspan:1023');
      expect(counts(d)).toEqual({ gre: 1, erspan_iii: 1 });
    }
  });

  it('type III frame type 2 carries an IP packet without Ethernet; other frame types are other protocols', () => {
    expectInnerSyn(decode(gre(Buffer.concat([erspan3Header(4, { frameType: 2 }), innerIp]), TYPE.ERSPAN3, { sequence: 1 })).d, 'erspan:4');
    const r = decode(gre(Buffer.concat([erspan3Header(4, { frameType: 3 }), innerIp]), TYPE.ERSPAN3, { sequence: 1 }));
    expect(r.ok).toBe(false);
    expect(r.d.otherProtocol).toBe(1);
  });
});

describe('MPLS (RFC 3032)', () => {
  it('one label: IPv4 guessed from the first nibble, tenant mpls:100', () => {
    const { d, ok } = decode(mpls([100], innerIp));
    expect(ok).toBe(true);
    expectInnerSyn(d, 'mpls:100');
    expect(counts(d)).toEqual({ mpls: 1 });
  });

  it('a stack of labels: the bottom (service) label is the tenant; 0x8848 multicast too; IPv6', () => {
    expectInnerSyn(decode(mpls([16, 17, 200], innerIp)).d, 'mpls:200');
    expectInnerSyn(decode(mpls([100], innerIp, 0x8848)).d, 'mpls:100');
    expectInnerSyn6(decode(mpls([16, 300], innerIp6)).d);
  });

  it('an Ethernet pseudowire, with the RFC 4385 control word and without', () => {
    expectInnerSyn(decode(mpls([16, 500], Buffer.concat([PW_CONTROL_WORD, innerEth]))).d, 'mpls:500');
    // Without a control word the payload is told by its first nibble: a MAC
    // starting a2: is neither 0 (control word), 4 nor 6 (IP): Ethernet.
    const mac = ether(ETHERTYPE.IPV4, innerIp, { dst: Buffer.from('a20000000002', 'hex') });
    expectInnerSyn(decode(mpls([500], mac)).d, 'mpls:500');
  });

  it('a stack with no bottom-of-stack bit is truncated_mpls', () => {
    const noBottom = Buffer.alloc(36);
    for (let i = 0; i < 9; i++) noBottom.writeUInt32BE((16 << 12) | 64, 4 * i);
    const { d, ok } = decode(ether(0x8847, noBottom));
    expect(ok).toBe(false);
    expect(errorsByName(d)).toEqual({ truncated_mpls: 1 });
  });
});

describe('VLAN tenants and counts', () => {
  it('802.1Q: vlan:20; QinQ: the pair, vlan:100.20; VLAN 0 (priority tag): none', () => {
    let r = decode(ether(ETHERTYPE.IPV4, innerIp, { vlans: [{ tpid: ETHERTYPE.VLAN, vid: 20 }] }));
    expectInnerSyn(r.d, 'vlan:20');
    expect(counts(r.d)).toEqual({ vlan: 1 });
    r = decode(ether(ETHERTYPE.IPV4, innerIp, { vlans: [{ tpid: ETHERTYPE.QINQ, vid: 100 }, { tpid: ETHERTYPE.VLAN, vid: 20 }] }));
    expectInnerSyn(r.d, 'vlan:100.20');
    expect(r.d.packet.vlan).toBe(20);
    expect(counts(r.d)).toEqual({ vlan: 1, qinq: 1 });
    r = decode(ether(ETHERTYPE.IPV4, innerIp, { vlans: [{ tpid: ETHERTYPE.VLAN, vid: 0 }] }));
    expectInnerSyn(r.d, null);
  });

  it('tenant ids: one number per kind and id, formatted and parsed back', () => {
    const cases: [number, number, string][] = [
      [TenantKind.VLAN, 20, 'vlan:20'],
      [TenantKind.VLAN, (100 << 12) | 20, 'vlan:100.20'],
      [TenantKind.VNI, 5001, 'vni:5001'],
      [TenantKind.GENEVE, 77, 'geneve:77'],
      [TenantKind.GRE_KEY, 0xffffffff, 'gre-key:4294967295'],
      [TenantKind.ERSPAN, 3, 'erspan:3'],
      [TenantKind.MPLS, 100, 'mpls:100'],
    ];
    const seen = new Set<number>();
    for (const [kind, id, text] of cases) {
      const t = tenantOf(kind, id);
      expect(Number.isSafeInteger(t)).toBe(true);
      expect(formatTenant(t)).toBe(text);
      expect(parseTenant(text)).toBe(t);
      seen.add(t);
    }
    expect(seen.size).toBe(cases.length);
    // VNI 20 and VLAN 20 are different tenants
    expect(tenantOf(TenantKind.VNI, 20)).not.toBe(tenantOf(TenantKind.VLAN, 20));
    expect(formatTenant(0)).toBe(null);
    expect(parseTenant('vni:x')).toBe(null);
    expect(parseTenant('nope:3')).toBe(null);
  });

  it('every encapsulation has a name', () => {
    expect(ENCAPSULATION_NAMES.length).toBe(Object.keys(Encap).length);
  });
});

describe('IPv6 underlay', () => {
  const underlay6 = (next: number, payload: Buffer): Buffer =>
    ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8:100::1', dst: '2001:db8:100::2', next, payload }));

  it('VXLAN over UDP over IPv6, and ip6gre / ip6erspan (GRE over IPv6)', () => {
    expectInnerSyn(decode(underlay6(PROTO.UDP, udpDatagram(49152, 4789, Buffer.concat([vxlanHeader(5001), innerEth])))).d, 'vni:5001');
    expectInnerSyn(decode(underlay6(47, Buffer.concat([greHeader(0x0800, { key: 9 }), innerIp]))).d, 'gre-key:9');
    const r = decode(underlay6(47, Buffer.concat([greHeader(TYPE.ERSPAN2, { sequence: 1 }), erspan2Header(3), innerEth])));
    expectInnerSyn(r.d, 'erspan:3');
    expect(counts(r.d)).toEqual({ gre: 1, erspan_ii: 1 });
  });
});

describe('nesting', () => {
  /** `depth` VXLAN tunnels around the inner frame. */
  function nested(depth: number): Buffer {
    let f = innerEth;
    for (let i = 0; i < depth; i++) f = vxlan(f, 1000 + i);
    return f;
  }

  it(`${MAX_TUNNEL_DEPTH} nested tunnels are opened; the innermost VNI is the tenant`, () => {
    const { d, ok } = decode(nested(MAX_TUNNEL_DEPTH));
    expect(ok).toBe(true);
    expectInnerSyn(d, 'vni:1000');
    expect(counts(d)).toEqual({ vxlan: MAX_TUNNEL_DEPTH });
  });

  it('one more is counted as tunnel_too_deep and dropped', () => {
    const { d, ok } = decode(nested(MAX_TUNNEL_DEPTH + 1));
    expect(ok).toBe(false);
    expect(errorsByName(d)).toEqual({ tunnel_too_deep: 1 });
  });

  it('GRE in VXLAN in MPLS: every layer counted once', () => {
    const f = mpls([42], l3(vxlan(gre(innerIp, 0x0800, { key: 9 }), 5001)));
    const { d } = decode(f);
    expectInnerSyn(d, 'gre-key:9');
    expect(counts(d)).toEqual({ mpls: 1, vxlan: 1, gre: 1 });
  });
});

/** The IP packet of an untagged Ethernet frame. */
function l3(frame: Buffer): Buffer {
  return frame.subarray(14);
}

/** One frame of every tunnel shape, for the damage tests. */
export function tunnelCorpus(): { name: string; frame: Buffer; decoder?: () => Decoder; aroundUnderlay?: number }[] {
  return [
    { name: 'vxlan', frame: vxlan(innerEth, 5001) },
    { name: 'vxlan 8472', frame: vxlan(innerEth, 5001, 8472), decoder: () => new Decoder({ udpTunnelPorts: { vxlan: [8472] } }) },
    { name: 'geneve opts', frame: geneve(innerEth, 77, { options: geneveOption(0xfff0, 1, Buffer.alloc(4, 1)) }) },
    { name: 'geneve ipv6', frame: geneve(innerIp6, 77, { protocol: 0x86dd }) },
    { name: 'gre key ipv4', frame: gre(innerIp, 0x0800, { key: 9 }) },
    { name: 'gre csum key seq', frame: gre(innerIp, 0x0800, { checksum: true, key: 9, sequence: 3 }) },
    { name: 'gretap', frame: gre(innerEth, TYPE.TEB, { key: 9 }) },
    { name: 'gre mpls', frame: gre(Buffer.concat([Buffer.from('000641ff', 'hex'), innerIp]), TYPE.MPLS) },
    { name: 'erspan I', frame: gre(innerEth, TYPE.ERSPAN2) },
    { name: 'erspan II', frame: gre(Buffer.concat([erspan2Header(3), innerEth]), TYPE.ERSPAN2, { sequence: 1 }) },
    { name: 'erspan III', frame: gre(Buffer.concat([erspan3Header(3), innerEth]), TYPE.ERSPAN3, { sequence: 1 }) },
    { name: 'erspan III platform', frame: gre(Buffer.concat([erspan3Header(3, { platform: true }), innerEth]), TYPE.ERSPAN3, { sequence: 1 }) },
    { name: 'erspan III ip', frame: gre(Buffer.concat([erspan3Header(3, { frameType: 2 }), innerIp]), TYPE.ERSPAN3, { sequence: 1 }) },
    { name: 'mpls ipv4', frame: mpls([16, 100], innerIp) },
    { name: 'mpls ipv6', frame: mpls([100], innerIp6) },
    { name: 'mpls pw cw', frame: mpls([100], Buffer.concat([PW_CONTROL_WORD, innerEth])) },
    { name: 'vxlan in mpls', frame: mpls([42], l3(vxlan(innerEth, 5001))), aroundUnderlay: 1 },
  ];
}

describe('damaged tunnel frames', () => {
  const frames = tunnelCorpus();

  it('each tunnel frame decodes whole to the inner SYN', () => {
    for (const f of frames) {
      const d = f.decoder?.() ?? new Decoder();
      const ok = d.decode(LinkType.ETHERNET, f.frame, 0, f.frame.length);
      expect(ok, f.name).toBe(true);
      expect(d.packet.dport, f.name).toBe(22);
      expect(d.packet.tcpFlags, f.name).toBe(TcpFlag.SYN);
      expect(d.packet.src === s32('198.18.10.1') || d.packet.l3 === L3.IPV6, f.name).toBe(true);
    }
  });

  it('every truncation at every byte never throws, counts at most one error, and never hands over outer addresses as inner', () => {
    for (const f of frames) {
      for (let len = 0; len < f.frame.length; len++) {
        const d = f.decoder?.() ?? new Decoder();
        // bytes after capLen are poison: nothing may read them
        const buf = Buffer.concat([f.frame.subarray(0, len), Buffer.alloc(64, 0xff)]);
        let ok = false;
        expect(() => (ok = d.decode(LinkType.ETHERNET, buf, 0, len)), `${f.name} @${len}`).not.toThrow();
        const tunnels = d.encapsulations.reduce((a, b) => a + b, 0) - d.encapsulations[Encap.VLAN]! - d.encapsulations[Encap.QINQ]!;
        if (!ok) {
          expect(errorTotal(d), `${f.name} @${len}`).toBe(1);
          continue;
        }
        expect(errorTotal(d), `${f.name} @${len}`).toBe(0);
        const p = d.packet;
        if (p.l3 === L3.IPV4 && p.src === s32(UNDERLAY_SRC)) {
          // The underlay packet is the analysed one only when no tunnel inside it was opened.
          expect(tunnels, `${f.name} @${len}`).toBe(f.aroundUnderlay ?? 0);
          if (f.aroundUnderlay === undefined) expect(p.tenant, `${f.name} @${len}`).toBe(0);
        }
        if (tunnels > 0) expect(p.tenant === 0 || formatTenant(p.tenant) !== null).toBe(true);
      }
    }
  });

  it('random bytes after each tunnel header never throw and count at most one error', () => {
    const next = rng(8008);
    const geneveHead = Buffer.from([0x01, 0, 0x65, 0x58, 0, 0, 77, 0, 0xff, 0xf0, 1, 0]);
    const erspanHead = erspan3Header(3, { platform: true });
    let decoded = 0;
    for (let i = 0; i < 1200; i++) {
      const len = Math.floor(next() * 120);
      const junk = Buffer.alloc(len);
      for (let k = 0; k < len; k++) junk[k] = Math.floor(next() * 256);
      if (len > 0 && i % 2 === 0) junk[0] = [0x45, 0x60, 0x00, 0x02][i % 4]!;
      const frames = [
        vxlan(junk, 1),
        underlay(PROTO.UDP, udpDatagram(1, 6081, Buffer.concat([geneveHead, junk]))),
        gre(Buffer.concat([erspanHead, junk]), TYPE.ERSPAN3, { sequence: 1 }),
        gre(junk, 0x0800, { key: 1 }),
        gre(junk, TYPE.TEB),
        mpls([1, 2], junk),
        underlay(47, junk),
      ];
      for (const frame of frames) {
        const d = new Decoder();
        let ok = false;
        expect(() => (ok = d.decode(LinkType.ETHERNET, frame, 0, frame.length))).not.toThrow();
        if (ok) decoded++;
        else expect(errorTotal(d)).toBe(1);
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
