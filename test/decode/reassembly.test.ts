/**
 * IPv4 and IPv6 fragment reassembly (src/decode/reassembly.ts) through the
 * decoder: nmap -f / --mtu 8 shapes in order and out of order, timeouts on
 * packet time (ipfrag_time 30 s), eviction under a flood within the memory
 * cap, and fragments of tunnelled traffic kept apart by tenant. The rules
 * that decide whether the target rebuilds a datagram (overlaps, duplicates,
 * trimming, ipfrag_max_dist, RFC 7112, fragments cut by the capture) are in
 * reassembly-linux.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/types.js';
import { Decoder } from '../../src/decode/decoder.js';
import { hashIpv6 } from '../../src/decode/address.js';
import { DecodeError } from '../../src/decode/errors.js';
import { formatTenant } from '../../src/decode/encapsulation.js';
import { L3, Proto, TcpFlag } from '../../src/decode/packet.js';
import { FragmentStat } from '../../src/decode/reassembly.js';
import { ETHERTYPE, PROTO, ether, ip4, ip6, ipv4Packet, rng, udpDatagram } from '../engine/packets.js';
import { type Frag, expectSyn, feed, run, split, stats, syn, v4Frame, v6Frame } from './fragment-frames.js';
import { vxlan } from './tunnel-frames.js';

const s32 = (text: string): number => ip4(text) | 0;

describe('IPv4 reassembly (RFC 791)', () => {
  it('nmap -f: 8-byte fragments, the flags in the second; one ordinary SYN after the last', () => {
    const d = new Decoder();
    const frags = split(syn, 8).map((f) => v4Frame(f));
    expect(frags.length).toBe(3);
    for (let i = 0; i < frags.length - 1; i++) {
      expect(feed(d, frags[i]!)).toBe(true);
      expect(d.packet.hasL4).toBe(false);
      expect(d.packet.completeDatagram).toBe(false);
      expect(d.packet.l3).toBe(L3.IPV4);
    }
    expect(feed(d, frags[2]!)).toBe(true);
    expectSyn(d);
    expect(d.packet.src).toBe(s32('198.18.0.1'));
    expect(d.packet.dst).toBe(s32('198.18.0.2'));
    expect(d.packet.buf).toBe(d.reassembly.out);
    expect(stats(d)).toEqual({ fragments: 3, reassembled: 1 });
    expect(d.reassembly.pending).toBe(0);
  });

  it('--mtu 16 and out of order (last first, then first, then middle)', () => {
    const d = new Decoder();
    const frags = split(Buffer.concat([syn, Buffer.alloc(20, 0x61)]), 16).map((f) => v4Frame(f));
    expect(frags.length).toBe(3);
    expect(run(d, [frags[2]!, frags[0]!, frags[1]!])).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.payloadLen).toBe(20);
    expect(d.packet.buf.subarray(d.packet.l4Off + 24, d.packet.l4Off + 44).equals(Buffer.alloc(20, 0x61))).toBe(true);
  });

  it('a UDP datagram in fragments reaches UDP, and a bare datagram of another protocol is flagged complete', () => {
    const d = new Decoder();
    const dgram = udpDatagram(5353, 161, 40);
    expect(run(d, split(dgram, 24).map((f) => v4Frame(f, { proto: PROTO.UDP })))).toBe(1);
    expect(d.packet.proto).toBe(Proto.UDP);
    expect(d.packet.dport).toBe(161);
    expect(d.packet.payloadLen).toBe(40);
    const d2 = new Decoder();
    for (const f of split(Buffer.alloc(32, 7), 16).map((x) => v4Frame(x, { proto: 99 }))) feed(d2, f);
    expect(d2.packet.proto).toBe(99);
    expect(d2.packet.hasL4).toBe(false);
    expect(d2.packet.completeDatagram).toBe(true);
  });

  it('fragments of different datagrams interleave (different ids, protocols, sources)', () => {
    const d = new Decoder();
    const a = split(syn, 8).map((f) => v4Frame(f, { id: 1 }));
    const b = split(syn, 8).map((f) => v4Frame(f, { id: 2 }));
    const c = split(syn, 8).map((f) => v4Frame(f, { id: 1, src: '198.18.0.9' }));
    expect(run(d, [a[0]!, b[0]!, c[0]!, a[1]!, b[1]!, c[1]!, c[2]!, b[2]!, a[2]!])).toBe(3);
    expect(stats(d)).toEqual({ fragments: 9, reassembled: 3 });
  });

  it('overlapping fragments discard the datagram, fragments still to come included (as Linux >= 4.19)', () => {
    const d = new Decoder();
    const whole = Buffer.concat([syn, Buffer.alloc(8)]);
    const first = v4Frame({ offset: 0, data: whole.subarray(0, 16), more: true });
    const overlap = v4Frame({ offset: 8, data: whole.subarray(8, 24), more: true }); // bytes 8-15 again
    const last = v4Frame({ offset: 24, data: whole.subarray(24), more: false });
    const fill = v4Frame({ offset: 16, data: whole.subarray(16, 24), more: true });
    expect(run(d, [first, overlap, fill, last])).toBe(0);
    expect(stats(d)).toEqual({ fragments: 4, overlaps: 1 });
    // a new datagram (new id) is reassembled as usual
    expect(run(d, split(syn, 8).map((f) => v4Frame(f, { id: 77 })))).toBe(1);
  });

  it('an exact duplicate fragment is dropped without harm (RFC 8200 section 4.5)', () => {
    const d = new Decoder();
    const f = split(syn, 8).map((x) => v4Frame(x));
    expect(run(d, [f[0]!, f[1]!, f[1]!, f[2]!])).toBe(1);
    expect(stats(d)).toEqual({ fragments: 4, reassembled: 1, duplicates: 1 });
  });

  it('timeouts follow packet time: ipfrag_time 30 s from the first fragment', () => {
    const f = split(syn, 8).map((x) => v4Frame(x));
    let d = new Decoder();
    feed(d, f[0]!, 1000);
    feed(d, f[1]!, 1010);
    feed(d, f[2]!, 1029.9);
    expect(d.packet.hasL4).toBe(true);
    d = new Decoder();
    feed(d, f[0]!, 1000);
    feed(d, f[1]!, 1010);
    feed(d, f[2]!, 1030);
    expect(d.packet.hasL4).toBe(false);
    expect(stats(d)).toEqual({ fragments: 3, timeouts: 1 });
    expect(d.reassembly.pending).toBe(1); // the late fragment started a new datagram
  });

  it('the ping of death is discarded once whole (ip_frag_reasm: header + payload > 65,535), not before', () => {
    const d = new Decoder();
    // Only its last fragment: Linux queues it and waits (nothing is whole yet).
    expect(feed(d, v4Frame({ offset: 65528, data: Buffer.alloc(16), more: false }))).toBe(true);
    expect(d.packet.hasL4).toBe(false);
    expect(stats(d)).toEqual({ fragments: 1 });
    expect(d.reassembly.pending).toBe(1);
    // Every byte up to 65,544: 8 fragments of 8,184 bytes and a last one of 72 (id 7).
    const d2 = new Decoder();
    const frames: Buffer[] = [];
    for (let off = 0; off < 65472; off += 8184) frames.push(v4Frame({ offset: off, data: Buffer.alloc(8184, 1), more: true }, { id: 7 }));
    frames.push(v4Frame({ offset: 65472, data: Buffer.alloc(72, 1), more: false }, { id: 7 }));
    expect(run(d2, frames)).toBe(0);
    expect(stats(d2)).toEqual({ fragments: 9, oversize: 1 });
    expect(d2.reassembly.pending).toBe(0);
  });

  it('two last fragments disagreeing on the length, or data beyond the last, discard the datagram', () => {
    const d = new Decoder();
    const f = split(syn, 8).map((x) => v4Frame(x));
    feed(d, f[2]!); // last: bytes 16-23
    feed(d, v4Frame({ offset: 24, data: Buffer.alloc(8), more: true })); // beyond the end
    feed(d, f[0]!);
    feed(d, f[1]!);
    expect(d.packet.hasL4).toBe(false);
    expect(stats(d).malformed).toBe(1);
  });

  it('a fragment the capture cut inside its own IP header is a decode error, not a fragment', () => {
    const d = new Decoder();
    const f = v4Frame({ offset: 0, data: syn.subarray(0, 16), more: true });
    expect(d.decode(LinkType.ETHERNET, f, 0, 14 + 12)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_IPV4]).toBe(1);
    expect(stats(d)).toEqual({});
  });
});

describe('IPv6 reassembly (RFC 8200 section 4.5, RFC 5722)', () => {
  it('three 8-byte fragments out of order: one SYN, addresses in the reassembly buffer', () => {
    const d = new Decoder();
    const f = split(syn, 8).map((x) => v6Frame(x));
    expect(run(d, [f[1]!, f[2]!, f[0]!])).toBe(1);
    expectSyn(d);
    const p = d.packet;
    expect(p.l3).toBe(L3.IPV6);
    expect(p.src).toBe(hashIpv6(ip6('2001:db8::1'), 0, 0));
    expect(p.buf.subarray(p.src6Off, p.src6Off + 16).equals(ip6('2001:db8::1'))).toBe(true);
    expect(p.buf.subarray(p.dst6Off, p.dst6Off + 16).equals(ip6('2001:db8::2'))).toBe(true);
  });

  it('the next header of the offset-0 fragment is the datagram\'s; an extension header after the fragment header is walked after reassembly', () => {
    // destination options (8 bytes: next header TCP, length 0, PadN) then the SYN, fragmented after the fragment header
    const dstopts = Buffer.from([PROTO.TCP, 0, 1, 4, 0, 0, 0, 0]);
    const payload = Buffer.concat([dstopts, syn]);
    const d = new Decoder();
    const frames = split(payload, 16).map((x, i) => v6Frame(x, { next: i === 0 ? 60 : 17 }));
    expect(run(d, frames)).toBe(1);
    expectSyn(d);
  });

  it('overlaps discard the whole datagram (RFC 5722)', () => {
    const d = new Decoder();
    const whole = Buffer.concat([syn, Buffer.alloc(16)]);
    expect(
      run(d, [
        v6Frame({ offset: 0, data: whole.subarray(0, 24), more: true }),
        v6Frame({ offset: 16, data: whole.subarray(16, 32), more: true }), // bytes 16-23 again
        v6Frame({ offset: 32, data: whole.subarray(32), more: false }),
      ]),
    ).toBe(0);
    // the last fragment started a new datagram, which waits for the rest
    expect(stats(d)).toEqual({ fragments: 3, overlaps: 1 });
    expect(d.reassembly.pending).toBe(1);
  });

  it('IPv6 and IPv4 datagrams with the same id never mix; same id from another source neither', () => {
    const d = new Decoder();
    const a = split(syn, 8).map((x) => v6Frame(x, { id: 5 }));
    const b = split(syn, 8).map((x) => v6Frame(x, { id: 5, src: '2001:db8::99' }));
    const c = split(syn, 8).map((x) => v4Frame(x, { id: 5 }));
    expect(run(d, [a[0]!, b[1]!, c[2]!, b[0]!, c[0]!, a[1]!, c[1]!, a[2]!, b[2]!])).toBe(3);
  });
});

describe('bounds', () => {
  it('a flood of first fragments stays within the memory cap, evicting the oldest; a later probe is still reassembled', () => {
    const d = new Decoder();
    const r = d.reassembly;
    const flood = r.capacity + 904;
    for (let i = 0; i < flood; i++) {
      feed(d, v4Frame({ offset: 0, data: Buffer.alloc(8, i & 255), more: true }, { id: i & 0xffff, src: `198.18.${(i >> 8) & 255}.${i & 255}` }), i * 0.001);
    }
    expect(r.pending).toBe(r.capacity);
    expect(r.stats[FragmentStat.EVICTIONS]).toBe(flood - r.capacity);
    // 4 MiB of pages for the bytes, the rest bookkeeping: under 6 MiB whatever comes.
    expect(r.memoryBytes).toBeLessThan(6 * 1024 * 1024);
    expect(run(d, split(syn, 8).map((f) => v4Frame(f, { id: 0xeeee })), 10)).toBe(1);
    expectSyn(d);
  });

  it('the capacity is configurable and expired datagrams free their slots', () => {
    const d = new Decoder({ reassembly: { slots: 2, timeout: 5 } });
    feed(d, v4Frame({ offset: 0, data: Buffer.alloc(8), more: true }, { id: 1 }), 0);
    feed(d, v4Frame({ offset: 0, data: Buffer.alloc(8), more: true }, { id: 2 }), 1);
    expect(d.reassembly.pending).toBe(2);
    feed(d, v4Frame({ offset: 0, data: Buffer.alloc(8), more: true }, { id: 3 }), 7);
    expect(stats(d)).toEqual({ fragments: 3, timeouts: 2 });
    expect(d.reassembly.pending).toBe(1);
  });

  it('no bound on fragments per datagram below what Linux holds: 8,000 fragments of 8 bytes, and 4,000 runs out of order, reassemble', () => {
    const d = new Decoder();
    const payload = Buffer.concat([syn, Buffer.alloc(64000 - syn.length, 0x62)]);
    const frags = split(payload, 8).map((f) => v4Frame(f, { id: 11 }));
    expect(frags.length).toBe(8000);
    expect(run(d, frags)).toBe(1);
    expect(d.packet.tcpFlags).toBe(TcpFlag.SYN);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.payloadLen).toBe(64000 - 24);
    // even offsets first (a run each, 8-byte gaps between), then the odd ones
    const d2 = new Decoder();
    const order = [...frags.filter((_, i) => i % 2 === 0), ...frags.filter((_, i) => i % 2 === 1)];
    expect(run(d2, order)).toBe(1);
    expect(d2.packet.dport).toBe(80);
    expect(d2.packet.payloadLen).toBe(64000 - 24);
  });

  it('pages run out before slots when datagrams are large: the oldest datagram is evicted, counted', () => {
    const d = new Decoder({ reassembly: { slots: 16, pages: 64 } });
    // 8,000 bytes of a first fragment, a SYN's header and data: 8 pages each
    const big = (id: number): Buffer => v4Frame({ offset: 0, data: Buffer.concat([syn, Buffer.alloc(8000 - syn.length, id)]), more: true }, { id });
    for (let id = 1; id <= 9; id++) feed(d, big(id), id);
    expect(d.reassembly.pending).toBe(8);
    expect(d.reassembly.stats[FragmentStat.EVICTIONS]).toBe(1);
    // the newest datagrams are whole when their last fragment comes
    expect(run(d, [v4Frame({ offset: 8000, data: Buffer.alloc(8, 9), more: false }, { id: 9 })], 10)).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.payloadLen).toBe(8008 - syn.length);
  });
});

describe('random fragments', () => {
  it('10000 seeded random fragments (offsets, lengths, flags, ids, times) never throw and keep every bound', () => {
    const next = rng(1791);
    const d = new Decoder({ reassembly: { slots: 8, pages: 64, timeout: 30 } });
    const r = d.reassembly;
    let t = 0;
    let delivered = 0;
    let fragments = 0;
    for (let i = 0; i < 10000; i++) {
      t += next() * 0.5;
      const len = Math.floor(next() * 5) * 8 + (next() < 0.1 ? Math.floor(next() * 8) : 0);
      const offset = Math.floor(next() * 12) * 8;
      const more = next() < 0.6;
      const v6 = next() < 0.3;
      const id = Math.floor(next() * 6);
      const data = Buffer.alloc(len, i & 255);
      if (offset > 0 || more) fragments++; // offset 0 without MF is a whole datagram (an atomic fragment for IPv6)
      const frame = v6 ? v6Frame({ offset, data, more }, { id }) : v4Frame({ offset, data, more }, { id });
      let ok = false;
      const errorsBefore = d.errors.reduce((a, b) => a + b, 0);
      expect(() => (ok = feed(d, frame, t))).not.toThrow();
      // a rejected frame (a rebuilt datagram whose TCP header is junk) is one counted error
      if (!ok) expect(d.errors.reduce((a, b) => a + b, 0)).toBe(errorsBefore + 1);
      if (d.packet.reassembled) {
        delivered++;
        // a delivered datagram is exactly what its fragments covered: [0, total)
        expect(d.packet.completeDatagram).toBe(true);
        expect(d.packet.buf).toBe(r.out);
      }
      if (r.pending > r.capacity) expect.fail(`pending ${r.pending} > capacity`);
    }
    const s = stats(d);
    expect(s.fragments).toBe(fragments);
    expect(s.reassembled ?? 0).toBe(delivered);
    expect(delivered).toBeGreaterThan(0);
    expect((s.overlaps ?? 0) + (s.duplicates ?? 0) + (s.malformed ?? 0)).toBeGreaterThan(0);
  });
});

describe('fragments inside tunnels', () => {
  it('the outer VXLAN datagram fragmented by the underlay: reassembled, then decapsulated', () => {
    const inner = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.10.1', dst: '198.18.10.2', proto: PROTO.TCP, payload: syn }));
    const outer = vxlan(inner, 5001).subarray(14); // the underlay IPv4 packet
    const udpPart = outer.subarray(20);
    const d = new Decoder();
    const frames = split(udpPart, 32).map((f) =>
      ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.100.1', dst: '198.18.100.2', proto: PROTO.UDP, payload: f.data, id: 9, fragOffset: f.offset / 8, moreFragments: f.more })),
    );
    expect(run(d, frames)).toBe(1);
    expectSyn(d);
    expect(d.packet.src).toBe(s32('198.18.10.1'));
    expect(d.packet.tenant).not.toBe(0);
  });

  it('inner fragments with the same addresses and id in two VNIs are kept apart by tenant', () => {
    const d = new Decoder();
    const parts = split(syn, 8);
    const inVni = (vni: number, f: Frag): Buffer =>
      vxlan(ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.10.1', dst: '198.18.10.2', proto: PROTO.TCP, payload: f.data, id: 4, fragOffset: f.offset / 8, moreFragments: f.more })), vni);
    // the first two fragments in VNI 1, the last in VNI 2: nothing is whole
    expect(run(d, [inVni(1, parts[0]!), inVni(1, parts[1]!), inVni(2, parts[2]!)])).toBe(0);
    expect(run(d, [inVni(2, parts[0]!), inVni(2, parts[1]!)])).toBe(1);
    expect(formatTenant(d.packet.tenant)).toBe('vni:2');
    expect(stats(d)).toEqual({ fragments: 5, reassembled: 1 });
  });
});
