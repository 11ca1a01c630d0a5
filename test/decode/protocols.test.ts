/**
 * What nmap's SCTP and IP protocol scans put on the wire, and the answers
 * that tell their outcome: SCTP INIT (-sY) and COOKIE ECHO (-sZ) with their
 * INIT ACK / ABORT answers (RFC 9260), bare datagrams of any protocol (-sO)
 * and the ICMP protocol unreachable (RFC 792, type 3 code 2) / ICMPv6
 * parameter problem (RFC 4443, type 4 code 1) quoting them.
 */
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/types.js';
import { Decoder } from '../../src/decode/decoder.js';
import { hashIpv6 } from '../../src/decode/address.js';
import { DecodeError } from '../../src/decode/errors.js';
import { Proto, SctpChunk } from '../../src/decode/packet.js';
import { ETHERTYPE, PROTO, ether, icmpMessage, ip4, ip6, ipv4Packet, ipv6Packet } from '../engine/packets.js';

const s32 = (text: string): number => ip4(text) | 0;

/** SCTP common header + one chunk (type, flags, length, value). */
function sctpPacket(sport: number, dport: number, vtag: number, chunkType?: number, value: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(sport, 0);
  h.writeUInt16BE(dport, 2);
  h.writeUInt32BE(vtag >>> 0, 4);
  if (chunkType === undefined) return h;
  const c = Buffer.alloc(4 + value.length);
  c[0] = chunkType;
  c.writeUInt16BE(4 + value.length, 2);
  value.copy(c, 4);
  return Buffer.concat([h, c]);
}

// INIT's fixed part (RFC 9260 section 3.3.2): initiate tag, a_rwnd, streams, initial TSN.
const initValue = Buffer.from('aabbccdd000080000a00080012345678', 'hex');

function decode4(proto: number, payload: Buffer, src = '198.18.0.1', dst = '198.18.0.2'): Decoder {
  const d = new Decoder();
  const f = ether(ETHERTYPE.IPV4, ipv4Packet({ src, dst, proto, payload }));
  d.decode(LinkType.ETHERNET, f, 0, f.length);
  return d;
}

describe('SCTP (RFC 9260)', () => {
  it('INIT (nmap -sY): ports, verification tag 0, first chunk INIT, hasL4', () => {
    const d = decode4(132, sctpPacket(40000, 80, 0, SctpChunk.INIT, initValue));
    const p = d.packet;
    expect(p.proto).toBe(Proto.SCTP);
    expect(p.hasL4).toBe(true);
    expect(p.completeDatagram).toBe(true);
    expect(p.sport).toBe(40000);
    expect(p.dport).toBe(80);
    expect(p.sctpVtag).toBe(0);
    expect(p.sctpChunkType).toBe(SctpChunk.INIT);
    expect(p.payloadLen).toBe(20);
  });

  it('COOKIE ECHO (nmap -sZ), INIT ACK and ABORT answers, over IPv4 and IPv6', () => {
    for (const chunk of [SctpChunk.COOKIE_ECHO, SctpChunk.INIT_ACK, SctpChunk.ABORT]) {
      expect(decode4(132, sctpPacket(80, 40000, 0x01020304, chunk, Buffer.alloc(4))).packet.sctpChunkType).toBe(chunk);
      const d = new Decoder();
      const f = ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8::2', dst: '2001:db8::1', next: 132, payload: sctpPacket(80, 40000, 7, chunk) }));
      expect(d.decode(LinkType.ETHERNET, f, 0, f.length)).toBe(true);
      expect(d.packet.sctpChunkType).toBe(chunk);
      expect(d.packet.sctpVtag).toBe(7);
    }
  });

  it('a common header without chunks has chunk type -1; fewer than 12 bytes is truncated_sctp', () => {
    expect(decode4(132, sctpPacket(1, 2, 3)).packet.sctpChunkType).toBe(-1);
    const d = new Decoder();
    const f = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: 132, payload: sctpPacket(1, 2, 3, 1, initValue) }));
    expect(d.decode(LinkType.ETHERNET, f, 0, 14 + 20 + 11)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_SCTP]).toBe(1);
  });

  it('the chunk type does not leak from one packet into the next', () => {
    const d = new Decoder();
    const a = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: 132, payload: sctpPacket(1, 2, 0, SctpChunk.INIT, initValue) }));
    const b = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.UDP, payload: Buffer.from('0001000200080000', 'hex') }));
    d.decode(LinkType.ETHERNET, a, 0, a.length);
    d.decode(LinkType.ETHERNET, b, 0, b.length);
    expect(d.packet.sctpChunkType).toBe(-1);
  });
});

describe('IP protocol scan (nmap -sO)', () => {
  it('a bare datagram of any protocol is complete, without transport fields', () => {
    for (const proto of [2, 4, 41, 47, 50, 58, 99, 103, 136, 255]) {
      const d = decode4(proto, Buffer.alloc(0));
      const p = d.packet;
      expect(p.proto, `proto ${proto}`).toBe(proto);
      expect(p.completeDatagram, `proto ${proto}`).toBe(true);
      expect(p.hasL4, `proto ${proto}`).toBe(false);
      let errors = 0;
      for (const e of d.errors) errors += e;
      expect(errors, `proto ${proto}`).toBe(0);
    }
  });

  it('IPv6 (nmap -6 -sO): a bare datagram even of an extension header number (0, 43, 44, 51, 60) is complete, not malformed', () => {
    for (const next of [0, 43, 44, 51, 60, 99]) {
      const d = new Decoder();
      const f = ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next, payload: Buffer.alloc(0) }));
      expect(d.decode(LinkType.ETHERNET, f, 0, f.length), `next ${next}`).toBe(true);
      expect(d.packet.proto).toBe(next);
      expect(d.packet.completeDatagram).toBe(true);
      expect(d.packet.hasL4).toBe(false);
    }
    // cut by the capture instead: an extension chain the capture cut, not a bare datagram
    const d = new Decoder();
    const f = ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: 60, payload: Buffer.alloc(8) }));
    expect(d.decode(LinkType.ETHERNET, f, 0, 14 + 40)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_IPV6]).toBe(1);
  });

  it('but a TCP header the capture cut off is still an error, not a bare datagram', () => {
    const d = new Decoder();
    const f = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.TCP, payload: Buffer.alloc(20) }));
    expect(d.decode(LinkType.ETHERNET, f, 0, 14 + 20)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_TCP]).toBe(1);
  });

  it('ICMP protocol unreachable quoting a bare probe: quoted protocol and addresses, ports 0', () => {
    const probe = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: 99, payload: Buffer.alloc(0) });
    const d = decode4(PROTO.ICMP, icmpMessage(3, 2, 0, probe), '198.18.0.2', '198.18.0.1');
    const p = d.packet;
    expect(p.icmpType).toBe(3);
    expect(p.icmpCode).toBe(2);
    expect(p.quotedValid).toBe(true);
    expect(p.quotedProto).toBe(99);
    expect(p.quotedSrc).toBe(s32('198.18.0.1'));
    expect(p.quotedDst).toBe(s32('198.18.0.2'));
    expect(p.quotedSport).toBe(0);
    expect(p.quotedDport).toBe(0);
  });

  it('a quoted SCTP probe carries its ports; a quoted TCP header without them is not matchable', () => {
    const sctpProbe = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: 132, payload: sctpPacket(40000, 80, 0, 1, initValue) });
    let p = decode4(PROTO.ICMP, icmpMessage(3, 3, 0, sctpProbe.subarray(0, 28)), '198.18.0.2', '198.18.0.1').packet;
    expect(p.quotedValid).toBe(true);
    expect(p.quotedProto).toBe(132);
    expect(p.quotedSport).toBe(40000);
    expect(p.quotedDport).toBe(80);
    const tcpProbe = ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.TCP, payload: Buffer.alloc(20) });
    p = decode4(PROTO.ICMP, icmpMessage(3, 3, 0, tcpProbe.subarray(0, 22)), '198.18.0.2', '198.18.0.1').packet;
    expect(p.quotedValid).toBe(false);
  });

  it('ICMPv6 parameter problem, unrecognized next header (type 4 code 1), quoting an IPv6 probe', () => {
    const probe = ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: 99, payload: Buffer.alloc(0) });
    const d = new Decoder();
    const f = ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8::2', dst: '2001:db8::1', next: PROTO.ICMPV6, payload: icmpMessage(4, 1, 6, probe) }));
    expect(d.decode(LinkType.ETHERNET, f, 0, f.length)).toBe(true);
    const p = d.packet;
    expect(p.icmpType).toBe(4);
    expect(p.icmpCode).toBe(1);
    expect(p.quotedValid).toBe(true);
    expect(p.quotedProto).toBe(99);
    expect(p.quotedSrc).toBe(hashIpv6(ip6('2001:db8::1'), 0, 0));
    expect(p.quotedDst).toBe(hashIpv6(ip6('2001:db8::2'), 0, 0));
    expect(p.quotedSport).toBe(0);
  });
});
