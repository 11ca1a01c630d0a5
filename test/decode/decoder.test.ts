/**
 * The decoder on every link type and layer it claims to handle, then on
 * damaged input: every truncation of valid frames, and seeded random and
 * mutated frames. Frames come from test/engine/packets.ts and were checked
 * against tshark while writing this test.
 */
import { describe, it, expect } from 'vitest';
import { Decoder } from '../../src/decode/decoder.js';
import { DecodeError, DECODE_ERROR_NAMES } from '../../src/decode/errors.js';
import { L3, Proto, TcpFlag, TcpOpt } from '../../src/decode/packet.js';
import { hashIpv6 } from '../../src/decode/address.js';
import { LinkType } from '../../src/capture/types.js';
import { frame as randomFrame } from '../capture/build-capture.js';
import {
  ETHERTYPE,
  PROTO,
  arp,
  echo,
  ether,
  fragmentHeaderBody,
  icmpMessage,
  ip4,
  ip6,
  ipv4Packet,
  ipv6Packet,
  l3Of,
  LINUX_SYN_OPTIONS,
  neighbourSolicitation,
  nullLoop,
  rng,
  sll,
  sll2,
  tcp,
  tcpSegment,
  udp,
  udpDatagram,
  unreachable,
} from '../engine/packets.js';

/** IPv4 as the decoder stores it: a signed 32-bit integer. */
const s32 = (text: string): number => ip4(text) | 0;
const h6 = (text: string): number => hashIpv6(ip6(text), 0, 0);

function errorTotal(d: Decoder): number {
  let n = d.otherProtocol;
  for (const v of d.errors) n += v;
  return n;
}

function decodeOne(linkType: number, buf: Buffer): { d: Decoder; ok: boolean } {
  const d = new Decoder();
  const ok = d.decode(linkType, buf, 0, buf.length);
  return { d, ok };
}

// A plain TCP SYN used in several link-layer tests.
const synL4 = tcpSegment({ sport: 40000, dport: 443, flags: 'S', seq: 0x01020304, window: 1024, options: { mss: 1460 } });
const synV4 = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.TCP, payload: synL4, id: 0xbeef, ttl: 51 });
const synV6 = ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: PROTO.TCP, payload: synL4, hopLimit: 60 });

function expectSynV4(d: Decoder): void {
  const p = d.packet;
  expect(p.l3).toBe(L3.IPV4);
  expect(p.src).toBe(s32('198.18.0.1'));
  expect(p.dst).toBe(s32('198.18.0.2'));
  expect(p.ipId).toBe(0xbeef);
  expect(p.ttl).toBe(51);
  expect(p.proto).toBe(Proto.TCP);
  expect(p.hasL4).toBe(true);
  expect(p.sport).toBe(40000);
  expect(p.dport).toBe(443);
  expect(p.tcpFlags).toBe(TcpFlag.SYN);
  expect(p.tcpWindow).toBe(1024);
  expect(p.tcpSeq).toBe(0x01020304);
  expect(p.tcpMss).toBe(1460);
  expect(p.payloadLen).toBe(0);
}

function expectSynV6(d: Decoder): void {
  const p = d.packet;
  expect(p.l3).toBe(L3.IPV6);
  expect(p.src).toBe(h6('2001:db8::1'));
  expect(p.dst).toBe(h6('2001:db8::2'));
  expect(p.buf.subarray(p.src6Off, p.src6Off + 16).equals(ip6('2001:db8::1'))).toBe(true);
  expect(p.buf.subarray(p.dst6Off, p.dst6Off + 16).equals(ip6('2001:db8::2'))).toBe(true);
  expect(p.ttl).toBe(60);
  expect(p.proto).toBe(Proto.TCP);
  expect(p.hasL4).toBe(true);
  expect(p.sport).toBe(40000);
  expect(p.dport).toBe(443);
  expect(p.tcpFlags).toBe(TcpFlag.SYN);
  expect(p.dstMulticast).toBe(false);
}

describe('link layers', () => {
  it('Ethernet II carrying IPv4/TCP', () => {
    const { d, ok } = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV4, synV4));
    expect(ok).toBe(true);
    expectSynV4(d);
    expect(d.packet.vlan).toBe(-1);
    expect(d.packet.l2Broadcast).toBe(false);
    expect(errorTotal(d)).toBe(0);
  });

  it('Ethernet padding beyond the IPv4 total length is not payload', () => {
    const f = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.UDP, payload: udpDatagram(1234, 53, 4) }), { pad: true });
    expect(f.length).toBe(60);
    const { d, ok } = decodeOne(LinkType.ETHERNET, f);
    expect(ok).toBe(true);
    expect(d.packet.proto).toBe(Proto.UDP);
    expect(d.packet.l4Len).toBe(12);
    expect(d.packet.payloadLen).toBe(4);
  });

  it('802.1Q tag', () => {
    const { d, ok } = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV4, synV4, { vlans: [{ tpid: ETHERTYPE.VLAN, vid: 943 }] }));
    expect(ok).toBe(true);
    expectSynV4(d);
    expect(d.packet.vlan).toBe(943);
  });

  it('stacked 802.1ad + 802.1Q tags (QinQ): innermost VLAN id', () => {
    const f = ether(ETHERTYPE.IPV6, synV6, {
      vlans: [
        { tpid: ETHERTYPE.QINQ, vid: 100 },
        { tpid: ETHERTYPE.VLAN, vid: 200 },
      ],
    });
    const { d, ok } = decodeOne(LinkType.ETHERNET, f);
    expect(ok).toBe(true);
    expectSynV6(d);
    expect(d.packet.vlan).toBe(200);
  });

  it('an unknown EtherType (LLDP) is counted as another protocol, not an error', () => {
    const { d, ok } = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.LLDP, Buffer.alloc(40, 1)));
    expect(ok).toBe(false);
    expect(d.otherProtocol).toBe(1);
    expect(d.errors.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('Linux cooked capture v1 (SLL), IPv4 and IPv6, broadcast packet type', () => {
    let r = decodeOne(LinkType.LINUX_SLL, sll(ETHERTYPE.IPV4, synV4));
    expect(r.ok).toBe(true);
    expectSynV4(r.d);
    expect(r.d.packet.l2Broadcast).toBe(false);
    r = decodeOne(LinkType.LINUX_SLL, sll(ETHERTYPE.IPV6, synV6));
    expect(r.ok).toBe(true);
    expectSynV6(r.d);
    const who = l3Of(arp({ op: 1, senderIp: '198.18.0.1', targetIp: '198.18.0.9' }));
    r = decodeOne(LinkType.LINUX_SLL, sll(ETHERTYPE.ARP, who.subarray(0, 28), 1));
    expect(r.ok).toBe(true);
    expect(r.d.packet.l3).toBe(L3.ARP);
    expect(r.d.packet.l2Broadcast).toBe(true);
  });

  it('Linux cooked capture v2 (SLL2), IPv4 and IPv6, broadcast packet type', () => {
    let r = decodeOne(LinkType.LINUX_SLL2, sll2(ETHERTYPE.IPV4, synV4));
    expect(r.ok).toBe(true);
    expectSynV4(r.d);
    r = decodeOne(LinkType.LINUX_SLL2, sll2(ETHERTYPE.IPV6, synV6));
    expect(r.ok).toBe(true);
    expectSynV6(r.d);
    const who = l3Of(arp({ op: 1, senderIp: '198.18.0.1', targetIp: '198.18.0.9' }));
    r = decodeOne(LinkType.LINUX_SLL2, sll2(ETHERTYPE.ARP, who.subarray(0, 28), 1));
    expect(r.ok).toBe(true);
    expect(r.d.packet.l3).toBe(L3.ARP);
    expect(r.d.packet.l2Broadcast).toBe(true);
  });

  it('raw IP (LINKTYPE_RAW 101): version from the first nibble', () => {
    let r = decodeOne(LinkType.RAW, synV4);
    expect(r.ok).toBe(true);
    expectSynV4(r.d);
    r = decodeOne(LinkType.RAW, synV6);
    expect(r.ok).toBe(true);
    expectSynV6(r.d);
    const bad = Buffer.from(synV4);
    bad[0] = 0x55;
    r = decodeOne(LinkType.RAW, bad);
    expect(r.ok).toBe(false);
    expect(r.d.errors[DecodeError.BAD_IP_VERSION]).toBe(1);
  });

  it('LINKTYPE_IPV4 (228) and LINKTYPE_IPV6 (229)', () => {
    let r = decodeOne(LinkType.IPV4, synV4);
    expect(r.ok).toBe(true);
    expectSynV4(r.d);
    r = decodeOne(LinkType.IPV6, synV6);
    expect(r.ok).toBe(true);
    expectSynV6(r.d);
    // The wrong version for the link type is an error, not a guess.
    r = decodeOne(LinkType.IPV4, synV6);
    expect(r.ok).toBe(false);
    expect(errorTotal(r.d)).toBe(1);
    r = decodeOne(LinkType.IPV6, Buffer.concat([synV4, Buffer.alloc(20)]));
    expect(r.ok).toBe(false);
    expect(r.d.errors[DecodeError.BAD_IP_VERSION]).toBe(1);
  });

  for (const littleEndian of [true, false]) {
    it(`BSD NULL loopback, ${littleEndian ? 'little' : 'big'}-endian address family`, () => {
      let r = decodeOne(LinkType.NULL, nullLoop(2, synV4, littleEndian));
      expect(r.ok).toBe(true);
      expectSynV4(r.d);
      for (const af6 of [10, 24, 28, 30]) {
        r = decodeOne(LinkType.NULL, nullLoop(af6, synV6, littleEndian));
        expect(r.ok, `AF_INET6 = ${af6}`).toBe(true);
        expectSynV6(r.d);
      }
      r = decodeOne(LinkType.NULL, nullLoop(7, synV4, littleEndian)); // not an IP family
      expect(r.ok).toBe(false);
      expect(errorTotal(r.d)).toBe(1);
    });
  }

  it('OpenBSD loopback (LINKTYPE_LOOP 108): network byte order', () => {
    const r = decodeOne(LinkType.LOOP, nullLoop(2, synV4, false));
    expect(r.ok).toBe(true);
    expectSynV4(r.d);
  });

  it('an unsupported link type is counted', () => {
    const r = decodeOne(147, synV4);
    expect(r.ok).toBe(false);
    expect(r.d.errors[DecodeError.UNSUPPORTED_LINKTYPE]).toBe(1);
  });

  it('decodes at a non-zero offset inside a larger buffer and ignores bytes after capLen', () => {
    const f = ether(ETHERTYPE.IPV4, synV4);
    const big = Buffer.concat([Buffer.alloc(37, 0xaa), f, Buffer.alloc(50, 0xff)]);
    const d = new Decoder();
    expect(d.decode(LinkType.ETHERNET, big, 37, f.length)).toBe(true);
    expectSynV4(d);
  });
});

describe('network layer', () => {
  it('IPv4 with options: the transport header follows IHL', () => {
    const opts = Buffer.from([0x07, 0x0b, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0x01]); // record route (11 bytes) + NOP
    const pkt = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.TCP, payload: synL4, options: opts, id: 0xbeef, ttl: 51 });
    expect(pkt[0]! & 15).toBe(8);
    const { d, ok } = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV4, pkt));
    expect(ok).toBe(true);
    expectSynV4(d);
    expect(d.packet.l4Off).toBe(14 + 32);
  });

  it('a non-first IPv4 fragment has no transport header (no ports)', () => {
    const pkt = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.UDP, payload: Buffer.alloc(64, 0x41), fragOffset: 185 });
    const { d, ok } = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV4, pkt));
    expect(ok).toBe(true);
    expect(d.packet.l3).toBe(L3.IPV4);
    expect(d.packet.proto).toBe(Proto.UDP);
    expect(d.packet.hasL4).toBe(false);
    expect(errorTotal(d)).toBe(0);
  });

  it('a first IPv4 fragment (MF set, offset 0) waits for the rest: its transport header is read after reassembly', () => {
    const datagram = udpDatagram(5000, 161, 100);
    const first = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.UDP, payload: datagram.subarray(0, 64), moreFragments: true });
    const last = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.UDP, payload: datagram.subarray(64), fragOffset: 8 });
    const d = new Decoder();
    expect(d.decode(LinkType.ETHERNET, ether(ETHERTYPE.IPV4, first), 0, first.length + 14)).toBe(true);
    expect(d.packet.hasL4).toBe(false);
    expect(d.packet.completeDatagram).toBe(false);
    expect(d.decode(LinkType.ETHERNET, ether(ETHERTYPE.IPV4, last), 0, last.length + 14)).toBe(true);
    expect(d.packet.hasL4).toBe(true);
    expect(d.packet.completeDatagram).toBe(true);
    expect(d.packet.dport).toBe(161);
    expect(d.packet.payloadLen).toBe(100);
  });

  it('IPv4 with IHL < 5 or total length below the header is a bad header', () => {
    const bad = Buffer.from(synV4);
    bad[0] = 0x44;
    let r = decodeOne(LinkType.IPV4, bad);
    expect(r.ok).toBe(false);
    expect(r.d.errors[DecodeError.BAD_IPV4_HEADER]).toBe(1);
    const bad2 = Buffer.from(synV4);
    bad2.writeUInt16BE(12, 2);
    r = decodeOne(LinkType.IPV4, bad2);
    expect(r.ok).toBe(false);
    expect(r.d.errors[DecodeError.BAD_IPV4_HEADER]).toBe(1);
  });

  it('IPv4 multicast and limited broadcast destinations are flagged', () => {
    for (const [dst, multicast] of [
      ['224.0.0.251', true],
      ['239.255.255.250', true],
      ['255.255.255.255', true],
      ['198.18.255.255', false], // a directed broadcast cannot be told from the address alone
      ['203.0.113.7', false],
    ] as const) {
      const { d } = decodeOne(LinkType.ETHERNET, udp({ src: '198.18.0.1', dst, sport: 5353, dport: 5353 }));
      expect(d.packet.dstMulticast, dst).toBe(multicast);
    }
  });

  it('IPv6 with hop-by-hop and an atomic fragment header (offset 0, M clear; RFC 6946) reaches TCP', () => {
    const pkt = ipv6Packet({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      next: PROTO.TCP,
      payload: synL4,
      hopLimit: 60,
      ext: [{ type: PROTO.HOPOPT }, { type: PROTO.FRAG, body: fragmentHeaderBody(0, false, 0x63) }],
    });
    const { d, ok } = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV6, pkt));
    expect(ok).toBe(true);
    expectSynV6(d);
    expect(d.reassembly.stats[0]).toBe(0); // not handed to reassembly
    expect(d.packet.l4Off).toBe(14 + 40 + 8 + 8);
  });

  it('an IPv6 non-first fragment has no transport header', () => {
    const pkt = ipv6Packet({
      src: '2001:db8::1',
      dst: '2001:db8::2',
      next: PROTO.UDP,
      payload: Buffer.alloc(48, 0x42),
      ext: [{ type: PROTO.HOPOPT }, { type: PROTO.FRAG, body: fragmentHeaderBody(100, false, 0x63) }],
    });
    const { d, ok } = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV6, pkt));
    expect(ok).toBe(true);
    expect(d.packet.l3).toBe(L3.IPV6);
    expect(d.packet.hasL4).toBe(false);
    expect(d.packet.proto).toBe(Proto.UDP);
  });

  it('IPv6 destination options + routing headers, and an extension running past the payload', () => {
    const pkt = ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: PROTO.UDP, payload: udpDatagram(1000, 53, 10), ext: [{ type: 60 }, { type: 43, body: Buffer.from([0, 0, 0, 0, 0, 0]) }] });
    let r = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV6, pkt));
    expect(r.ok).toBe(true);
    expect(r.d.packet.proto).toBe(Proto.UDP);
    expect(r.d.packet.dport).toBe(53);
    // A hop-by-hop header whose length field points beyond the packet.
    const bad = Buffer.from(pkt);
    bad[40 + 1] = 200;
    r = decodeOne(LinkType.ETHERNET, ether(ETHERTYPE.IPV6, bad));
    expect(r.ok).toBe(false);
    expect(r.d.errors[DecodeError.BAD_IPV6_EXTENSION]).toBe(1);
  });

  it('IPv6 multicast destination is flagged', () => {
    const { d } = decodeOne(LinkType.ETHERNET, udp({ src: '2001:db8::1', dst: 'ff02::fb', sport: 5353, dport: 5353 }));
    expect(d.packet.dstMulticast).toBe(true);
  });
});

describe('transport layer', () => {
  it('TCP options: MSS, SACK-permitted, timestamps, window scale', () => {
    const { d, ok } = decodeOne(LinkType.ETHERNET, tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 50000, dport: 22, flags: 'S', options: LINUX_SYN_OPTIONS, window: 64240 }));
    expect(ok).toBe(true);
    const p = d.packet;
    expect(p.tcpOptionMask).toBe(TcpOpt.MSS | TcpOpt.SACK_PERM | TcpOpt.TIMESTAMP | TcpOpt.WSCALE);
    expect(p.tcpOptionCount).toBe(4);
    expect(p.tcpMss).toBe(1460);
    expect(p.tcpWindow).toBe(64240);
    expect(p.payloadLen).toBe(0);
  });

  it('TCP options: a lone MSS, no options, and an unknown kind', () => {
    let r = decodeOne(LinkType.ETHERNET, tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2, flags: 'S', options: { mss: 1460 } }));
    expect(r.d.packet.tcpOptionMask).toBe(TcpOpt.MSS);
    expect(r.d.packet.tcpOptionCount).toBe(1);
    r = decodeOne(LinkType.ETHERNET, tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2, flags: 'S' }));
    expect(r.d.packet.tcpOptionMask).toBe(0);
    expect(r.d.packet.tcpOptionCount).toBe(0);
    expect(r.d.packet.tcpMss).toBe(-1);
    r = decodeOne(LinkType.ETHERNET, tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2, flags: 'S', options: Buffer.from([30, 4, 0, 0]) }));
    expect(r.d.packet.tcpOptionMask).toBe(TcpOpt.OTHER);
  });

  it('TCP options: a malformed list ends the walk without error', () => {
    // MSS, then an option whose length runs past the header, then (unreached) SACK_PERM.
    const opts = Buffer.from([2, 4, 5, 0xb4, 8, 30, 4, 2]);
    const { d, ok } = decodeOne(LinkType.ETHERNET, tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2, flags: 'S', options: opts }));
    expect(ok).toBe(true);
    expect(d.packet.tcpOptionMask).toBe(TcpOpt.MSS);
    expect(d.packet.tcpMss).toBe(1460);
    // Length 0 and 1 are invalid (would loop forever if honoured).
    for (const len of [0, 1]) {
      const r = decodeOne(LinkType.ETHERNET, tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2, flags: 'S', options: Buffer.from([3, len, 1, 1]) }));
      expect(r.ok).toBe(true);
      expect(r.d.packet.tcpOptionCount).toBe(0);
    }
  });

  it('TCP data offset below 5 is an error; TCP flags and payload length are read', () => {
    const bad = Buffer.from(synV4);
    bad[20 + 12] = 0x40;
    let r = decodeOne(LinkType.IPV4, bad);
    expect(r.ok).toBe(false);
    expect(r.d.errors[DecodeError.BAD_TCP_OFFSET]).toBe(1);
    r = decodeOne(LinkType.ETHERNET, tcp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 1, dport: 2, flags: 'FPU', payload: 5 }));
    expect(r.ok).toBe(true);
    expect(r.d.packet.tcpFlags).toBe(TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG);
    expect(r.d.packet.payloadLen).toBe(5);
  });

  it('UDP ports and payload length', () => {
    const { d, ok } = decodeOne(LinkType.ETHERNET, udp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 33277, dport: 161, payload: 40 }));
    expect(ok).toBe(true);
    expect(d.packet.proto).toBe(Proto.UDP);
    expect(d.packet.sport).toBe(33277);
    expect(d.packet.dport).toBe(161);
    expect(d.packet.payloadLen).toBe(40);
  });

  it('ICMP echo request: identifier and sequence', () => {
    const { d, ok } = decodeOne(LinkType.ETHERNET, echo({ src: '198.18.0.1', dst: '198.18.1.5', id: 0xabcd, seq: 7 }));
    expect(ok).toBe(true);
    expect(d.packet.proto).toBe(Proto.ICMP);
    expect(d.packet.icmpType).toBe(8);
    expect(d.packet.icmpId).toBe(0xabcd);
    expect(d.packet.icmpSeq).toBe(7);
    expect(d.packet.quotedValid).toBe(false);
  });

  it('ICMP destination unreachable quoting a UDP probe', () => {
    const probe = udp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 33277, dport: 200 });
    const f = unreachable({ src: '198.18.0.2', dst: '198.18.0.1', code: 3, original: l3Of(probe) });
    const { d, ok } = decodeOne(LinkType.ETHERNET, f);
    expect(ok).toBe(true);
    const p = d.packet;
    expect(p.icmpType).toBe(3);
    expect(p.icmpCode).toBe(3);
    expect(p.src).toBe(s32('198.18.0.2'));
    expect(p.quotedValid).toBe(true);
    expect(p.quotedProto).toBe(Proto.UDP);
    expect(p.quotedSrc).toBe(s32('198.18.0.1'));
    expect(p.quotedDst).toBe(s32('198.18.0.2'));
    expect(p.quotedSport).toBe(33277);
    expect(p.quotedDport).toBe(200);
  });

  it('ICMP time exceeded quoting an IPv4 header with options', () => {
    const orig = ipv4Packet({ src: '198.18.0.1', dst: '203.0.113.9', proto: PROTO.TCP, payload: tcpSegment({ sport: 1111, dport: 2222, flags: 'S' }), options: Buffer.from([1, 1, 1, 1]) });
    const body = orig.subarray(0, 24 + 8);
    const f = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.254', dst: '198.18.0.1', proto: PROTO.ICMP, payload: icmpMessage(11, 0, 0, body) }));
    const { d } = decodeOne(LinkType.ETHERNET, f);
    expect(d.packet.quotedValid).toBe(true);
    expect(d.packet.quotedProto).toBe(Proto.TCP);
    expect(d.packet.quotedSport).toBe(1111);
    expect(d.packet.quotedDport).toBe(2222);
  });

  it('ICMPv6 destination unreachable quoting a UDP probe', () => {
    const probe = udp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 40000, dport: 161, payload: 8 });
    const f = unreachable({ src: '2001:db8::2', dst: '2001:db8::1', code: 4, original: l3Of(probe) });
    const { d, ok } = decodeOne(LinkType.ETHERNET, f);
    expect(ok).toBe(true);
    const p = d.packet;
    expect(p.proto).toBe(Proto.ICMPV6);
    expect(p.icmpType).toBe(1);
    expect(p.icmpCode).toBe(4);
    expect(p.quotedValid).toBe(true);
    expect(p.quotedProto).toBe(Proto.UDP);
    expect(p.quotedSrc).toBe(h6('2001:db8::1'));
    expect(p.quotedDst).toBe(h6('2001:db8::2'));
    expect(p.quotedSport).toBe(40000);
    expect(p.quotedDport).toBe(161);
  });

  it('ICMPv6 neighbour solicitation: target address and solicited-node destination', () => {
    const f = neighbourSolicitation('2001:db8::1', '2001:db8::abcd:1234');
    const { d, ok } = decodeOne(LinkType.ETHERNET, f);
    expect(ok).toBe(true);
    const p = d.packet;
    expect(p.icmpType).toBe(135);
    expect(p.dstMulticast).toBe(true);
    expect(p.ndTargetOff).toBeGreaterThan(0);
    expect(p.buf.subarray(p.ndTargetOff, p.ndTargetOff + 16).equals(ip6('2001:db8::abcd:1234'))).toBe(true);
  });

  it('ARP who-has (broadcast) and is-at', () => {
    let r = decodeOne(LinkType.ETHERNET, arp({ op: 1, senderIp: '198.18.0.1', targetIp: '198.18.1.77' }));
    expect(r.ok).toBe(true);
    expect(r.d.packet.l3).toBe(L3.ARP);
    expect(r.d.packet.arpOp).toBe(1);
    expect(r.d.packet.arpSpa).toBe(s32('198.18.0.1'));
    expect(r.d.packet.arpTpa).toBe(s32('198.18.1.77'));
    expect(r.d.packet.l2Broadcast).toBe(true);
    r = decodeOne(LinkType.ETHERNET, arp({ op: 2, senderIp: '198.18.1.77', targetIp: '198.18.0.1' }));
    expect(r.ok).toBe(true);
    expect(r.d.packet.arpOp).toBe(2);
    expect(r.d.packet.arpSpa).toBe(s32('198.18.1.77'));
    expect(r.d.packet.l2Broadcast).toBe(false);
  });

  it('ARP for a non-IPv4 protocol is another protocol', () => {
    const f = arp({ op: 1, senderIp: '198.18.0.1', targetIp: '198.18.1.77' });
    f.writeUInt16BE(0x86dd, 14 + 2);
    const r = decodeOne(LinkType.ETHERNET, f);
    expect(r.ok).toBe(false);
    expect(r.d.otherProtocol).toBe(1);
  });

  it('an IPv4 protocol other than TCP/UDP/ICMP decodes without transport', () => {
    const f = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: 47, payload: Buffer.alloc(24) })); // GRE
    const r = decodeOne(LinkType.ETHERNET, f);
    expect(r.ok).toBe(true);
    expect(r.d.packet.hasL4).toBe(false);
    expect(r.d.packet.proto).toBe(47);
  });
});

// ---------------------------------------------------------------------------
// Malformed input

/** Valid frames of every shape above, with their link types. */
function corpus(): { name: string; linkType: number; frame: Buffer }[] {
  const probeUdp4 = udp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 33277, dport: 200, payload: 3 });
  const probeUdp6 = udp({ src: '2001:db8::1', dst: '2001:db8::2', sport: 40000, dport: 161, payload: 8 });
  const E = LinkType.ETHERNET;
  return [
    { name: 'eth ipv4 tcp syn', linkType: E, frame: ether(ETHERTYPE.IPV4, synV4) },
    { name: 'eth ipv4 tcp linux options', linkType: E, frame: tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2, flags: 'S', options: LINUX_SYN_OPTIONS }) },
    { name: 'eth ipv4 tcp data', linkType: E, frame: tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 2, flags: 'PA', payload: 30 }) },
    { name: 'eth vlan ipv4', linkType: E, frame: ether(ETHERTYPE.IPV4, synV4, { vlans: [{ tpid: ETHERTYPE.VLAN, vid: 5 }] }) },
    { name: 'eth qinq ipv6', linkType: E, frame: ether(ETHERTYPE.IPV6, synV6, { vlans: [{ tpid: ETHERTYPE.QINQ, vid: 5 }, { tpid: ETHERTYPE.VLAN, vid: 6 }] }) },
    { name: 'eth ipv4 options', linkType: E, frame: ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.TCP, payload: synL4, options: Buffer.alloc(12, 1) })) },
    { name: 'eth ipv4 fragment', linkType: E, frame: ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.UDP, payload: Buffer.alloc(40), fragOffset: 3 })) },
    { name: 'eth ipv6 hbh+frag tcp', linkType: E, frame: ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: PROTO.TCP, payload: synL4, ext: [{ type: PROTO.HOPOPT }, { type: PROTO.FRAG }] })) },
    { name: 'eth udp', linkType: E, frame: probeUdp4 },
    { name: 'eth icmp echo', linkType: E, frame: echo({ src: '198.18.0.1', dst: '198.18.1.1', id: 1, seq: 2, payload: 16 }) },
    { name: 'eth icmp unreach', linkType: E, frame: unreachable({ src: '198.18.0.2', dst: '198.18.0.1', code: 3, original: l3Of(probeUdp4) }) },
    { name: 'eth icmp6 unreach', linkType: E, frame: unreachable({ src: '2001:db8::2', dst: '2001:db8::1', code: 4, original: l3Of(probeUdp6) }) },
    { name: 'eth icmp6 echo', linkType: E, frame: echo({ src: '2001:db8::1', dst: '2001:db8::2', id: 1, seq: 2 }) },
    { name: 'eth ns', linkType: E, frame: neighbourSolicitation('2001:db8::1', '2001:db8::99') },
    { name: 'eth arp', linkType: E, frame: arp({ op: 1, senderIp: '198.18.0.1', targetIp: '198.18.0.3' }).subarray(0, 42) },
    { name: 'sll ipv4', linkType: LinkType.LINUX_SLL, frame: sll(ETHERTYPE.IPV4, synV4) },
    { name: 'sll2 ipv6', linkType: LinkType.LINUX_SLL2, frame: sll2(ETHERTYPE.IPV6, synV6) },
    { name: 'raw ipv4', linkType: LinkType.RAW, frame: synV4 },
    { name: 'raw ipv6', linkType: LinkType.RAW, frame: synV6 },
    { name: 'ipv4 (228)', linkType: LinkType.IPV4, frame: synV4 },
    { name: 'ipv6 (229)', linkType: LinkType.IPV6, frame: synV6 },
    { name: 'null le', linkType: LinkType.NULL, frame: nullLoop(2, synV4, true) },
    { name: 'null be ipv6', linkType: LinkType.NULL, frame: nullLoop(30, synV6, false) },
  ];
}

/** What a decode produced, for comparing two decodes of the same bytes. */
function snapshot(d: Decoder, ok: boolean): Record<string, unknown> {
  const p = d.packet;
  const s: Record<string, unknown> = { ok, errors: Array.from(d.errors), other: d.otherProtocol };
  if (!ok) return s;
  Object.assign(s, { l3: p.l3, hasL4: p.hasL4, proto: p.proto, l2Broadcast: p.l2Broadcast, vlan: p.vlan });
  if (p.l3 === L3.ARP) return Object.assign(s, { op: p.arpOp, spa: p.arpSpa, tpa: p.arpTpa });
  Object.assign(s, { src: p.src, dst: p.dst, dstMulticast: p.dstMulticast, l4Len: p.l4Len });
  if (!p.hasL4) return s;
  if (p.proto === Proto.TCP) Object.assign(s, { sport: p.sport, dport: p.dport, flags: p.tcpFlags, win: p.tcpWindow, optMask: p.tcpOptionMask, optCount: p.tcpOptionCount, mss: p.tcpMss, payloadLen: p.payloadLen });
  if (p.proto === Proto.UDP) Object.assign(s, { sport: p.sport, dport: p.dport, payloadLen: p.payloadLen });
  if (p.proto === Proto.ICMP || p.proto === Proto.ICMPV6) {
    Object.assign(s, { type: p.icmpType, code: p.icmpCode, id: p.icmpId, seq: p.icmpSeq, quotedValid: p.quotedValid });
    if (p.quotedValid) Object.assign(s, { qp: p.quotedProto, qs: p.quotedSrc, qd: p.quotedDst, qsp: p.quotedSport, qdp: p.quotedDport });
    if (p.proto === Proto.ICMPV6 && p.icmpType === 135) s.nd = p.ndTargetOff >= 0 ? p.buf.toString('hex', p.ndTargetOff, p.ndTargetOff + 16) : null;
  }
  return s;
}

describe('malformed input', () => {
  const frames = corpus();

  it('every frame of the corpus decodes cleanly whole', () => {
    for (const f of frames) {
      const { d, ok } = decodeOne(f.linkType, f.frame);
      expect(ok, f.name).toBe(true);
      expect(errorTotal(d), f.name).toBe(0);
    }
  });

  it('every truncation 0..len-1 never throws and either decodes or counts exactly one error', () => {
    let decoded = 0;
    let counted = 0;
    for (const f of frames) {
      for (let len = 0; len < f.frame.length; len++) {
        const d = new Decoder();
        // An exact-length copy: any read past capLen would throw or see undefined.
        const exact = Buffer.from(f.frame.subarray(0, len));
        let ok = false;
        expect(() => {
          ok = d.decode(f.linkType, exact, 0, len);
        }, `${f.name} cut at ${len}`).not.toThrow();
        const errs = errorTotal(d);
        if (ok) {
          decoded++;
          expect(errs, `${f.name} cut at ${len}: decoded but also counted an error`).toBe(0);
        } else {
          counted++;
          expect(errs, `${f.name} cut at ${len}: rejected without a counted reason`).toBe(1);
        }
      }
    }
    expect(decoded).toBeGreaterThan(0);
    expect(counted).toBeGreaterThan(0);
  });

  it('a truncated frame decodes the same whatever bytes follow capLen (nothing past capLen is read)', () => {
    for (const f of frames) {
      for (let len = 0; len < f.frame.length; len++) {
        const exact = Buffer.from(f.frame.subarray(0, len));
        const a = new Decoder();
        const sa = snapshot(a, a.decode(f.linkType, exact, 0, len));
        const b = new Decoder();
        const sb = snapshot(b, b.decode(f.linkType, f.frame, 0, len)); // the real continuation follows
        const c = new Decoder();
        const junk = Buffer.concat([Buffer.alloc(5, 0x99), exact, Buffer.alloc(2000, 0xff)]);
        const sc = snapshot(c, c.decode(f.linkType, junk, 5, len));
        expect(sb, `${f.name} cut at ${len} (original bytes after capLen)`).toEqual(sa);
        expect(sc, `${f.name} cut at ${len} (0xff after capLen, offset 5)`).toEqual(sa);
      }
    }
  });

  it('a truncated Ethernet IPv4 header counts truncated_ipv4; a cut TCP header counts truncated_tcp', () => {
    const f = ether(ETHERTYPE.IPV4, synV4);
    let d = new Decoder();
    expect(d.decode(LinkType.ETHERNET, f, 0, 14 + 19)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_IPV4]).toBe(1);
    d = new Decoder();
    expect(d.decode(LinkType.ETHERNET, f, 0, 14 + 20 + 10)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_TCP]).toBe(1);
    d = new Decoder();
    expect(d.decode(LinkType.ETHERNET, f, 0, 13)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_LINK]).toBe(1);
    expect(DECODE_ERROR_NAMES[DecodeError.TRUNCATED_TCP]).toBe('truncated_tcp');
  });

  const linkTypes = [LinkType.ETHERNET, LinkType.LINUX_SLL, LinkType.LINUX_SLL2, LinkType.RAW, LinkType.IPV4, LinkType.IPV6, LinkType.NULL, LinkType.LOOP, 147];

  it('4000 seeded random frames on every link type never throw; rejects are counted', () => {
    const next = rng(20240601);
    let decoded = 0;
    for (let i = 0; i < 4000; i++) {
      const len = Math.floor(next() * 200);
      const bytes = randomFrame(len, i + 1);
      // Make some of them look like IP so that the deeper layers are reached.
      if (len > 0 && i % 3 === 0) bytes[0] = i % 2 === 0 ? 0x45 : 0x60;
      for (const lt of linkTypes) {
        const d = new Decoder();
        let ok = false;
        expect(() => {
          ok = d.decode(lt, Buffer.from(bytes), 0, len);
        }, `seed ${i + 1} len ${len} linktype ${lt}`).not.toThrow();
        if (ok) decoded++;
        else expect(errorTotal(d), `seed ${i + 1} linktype ${lt}`).toBe(1);
      }
    }
    expect(decoded).toBeGreaterThan(0);
  });

  it('3000 seeded mutations of valid frames (byte flips, length fields) never throw', () => {
    const next = rng(7);
    for (let i = 0; i < 3000; i++) {
      const f = frames[i % frames.length]!;
      const m = Buffer.from(f.frame);
      const flips = 1 + Math.floor(next() * 4);
      for (let k = 0; k < flips; k++) m[Math.floor(next() * m.length)] = Math.floor(next() * 256);
      const len = next() < 0.3 ? Math.floor(next() * m.length) : m.length;
      const d = new Decoder();
      let ok = false;
      expect(() => {
        ok = d.decode(f.linkType, Buffer.from(m.subarray(0, len)), 0, len);
      }, `${f.name} mutation ${i}`).not.toThrow();
      expect(errorTotal(d), `${f.name} mutation ${i}`).toBe(ok ? 0 : 1);
    }
  });

  it('one decoder survives a long mixed stream (state from one frame does not leak into the next)', () => {
    const d = new Decoder();
    const next = rng(99);
    const reference = frames.map((f) => {
      const r = new Decoder();
      return snapshot(r, r.decode(f.linkType, f.frame, 0, f.frame.length));
    });
    for (let i = 0; i < 2000; i++) {
      if (next() < 0.5) {
        const bytes = randomFrame(Math.floor(next() * 120), i + 5000);
        d.decode(linkTypes[i % linkTypes.length]!, bytes, 0, bytes.length);
      } else {
        const k = Math.floor(next() * frames.length);
        const f = frames[k]!;
        const ok = d.decode(f.linkType, f.frame, 0, f.frame.length);
        const snap = snapshot(d, ok);
        delete snap.errors;
        delete snap.other;
        const ref = { ...reference[k]! };
        delete ref.errors;
        delete ref.other;
        expect(snap, `${f.name} after ${i} frames`).toEqual(ref);
      }
    }
  });
});
