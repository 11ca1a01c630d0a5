/**
 * Reassembly follows the Linux receiver (src/decode/reassembly.ts): each
 * test builds a fragment sequence an attacker can send and checks that the
 * sensor rebuilds what a Linux 6.x target rebuilds and answers, with the
 * kernel function that decides it named in the test. The fixtures in
 * test/pcaps/adversary show the same against a real kernel.
 */
import { describe, expect, it } from 'vitest';
import { Decoder } from '../../src/decode/decoder.js';
import { DecodeError } from '../../src/decode/errors.js';
import { TcpFlag } from '../../src/decode/packet.js';
import { FragmentStat } from '../../src/decode/reassembly.js';
import { ETHERTYPE, PROTO, ether, ipv6Packet, tcpSegment, type Ipv6Ext } from '../engine/packets.js';
import { expectSyn, feed, run, split, stats, syn, v4Frame, v6Frame } from './fragment-frames.js';

/** A segment to the same port with other flags: what a junk first fragment makes the sensor see if it keeps it. */
const rst = tcpSegment({ sport: 61234, dport: 9, flags: 'R', seq: 1, window: 0, options: { mss: 1460 } });

describe('overlaps: the datagram is discarded and its queue is gone (inet_frag_queue_insert, inet_frag_kill)', () => {
  it('IPv4: two overlapping junk fragments, then the clean SYN with the same id: a new datagram, reassembled', () => {
    const d = new Decoder();
    const junk = [v4Frame({ offset: 0, data: rst.subarray(0, 16), more: true }), v4Frame({ offset: 8, data: rst.subarray(8, 24), more: true })];
    expect(run(d, junk)).toBe(0);
    expect(stats(d)).toEqual({ fragments: 2, overlaps: 1 });
    expect(d.reassembly.pending).toBe(0);
    expect(run(d, split(syn, 8).map((f) => v4Frame(f)))).toBe(1);
    expectSyn(d);
  });

  it('IPv4: junk over bytes that arrived in order is a duplicate: dropped, the first bytes kept, as the target keeps them', () => {
    const d = new Decoder();
    const f = split(syn, 8).map((x) => v4Frame(x));
    // [0,8) and [8,16) arrived in order: one run [0,16). The junk [0,16) lies inside it.
    const junk = v4Frame({ offset: 0, data: rst.subarray(0, 16), more: true });
    expect(run(d, [f[0]!, f[1]!, junk, f[2]!])).toBe(1);
    expectSyn(d);
    expect(stats(d)).toEqual({ fragments: 4, duplicates: 1, reassembled: 1 });
  });

  it('a copy of bytes already received that straddles two runs is an overlap, not a duplicate (runs never merge)', () => {
    const whole = Buffer.concat([syn, Buffer.alloc(8)]); // 32 bytes
    const frag = (o: number, n: number, more = true): Buffer => v4Frame({ offset: o, data: whole.subarray(o, o + n), more });
    // Out of order: [0,8), then [16,24) (a run of its own), then [8,16) (inserted between: a third run).
    let d = new Decoder();
    expect(run(d, [frag(0, 8), frag(16, 8), frag(8, 8), frag(0, 16), frag(24, 8, false)])).toBe(0);
    expect(stats(d)).toEqual({ fragments: 5, overlaps: 1 });
    // In order: [0,8) then [8,16) are one run; the same copy of [0,16) is a duplicate and the datagram completes.
    d = new Decoder();
    expect(run(d, [frag(0, 8), frag(8, 8), frag(16, 8), frag(0, 16), frag(24, 8, false)])).toBe(1);
    expect(stats(d)).toEqual({ fragments: 5, duplicates: 1, reassembled: 1 });
    expect(d.packet.dport).toBe(80);
  });

  it('IPv6: overlapping junk, then clean fragments with the same id: reassembled (RFC 5722: the junk datagram is discarded, not the id)', () => {
    const d = new Decoder();
    const rst32 = Buffer.concat([rst, Buffer.alloc(8)]);
    const junk = [v6Frame({ offset: 0, data: rst32.subarray(0, 24), more: true }), v6Frame({ offset: 16, data: rst32.subarray(16, 32), more: true })];
    expect(run(d, junk)).toBe(0);
    expect(stats(d)).toEqual({ fragments: 2, overlaps: 1 });
    const clean = Buffer.concat([syn, Buffer.alloc(8, 0x61)]);
    expect(run(d, [v6Frame({ offset: 0, data: clean.subarray(0, 24), more: true }), v6Frame({ offset: 24, data: clean.subarray(24), more: false })])).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.tcpFlags).toBe(TcpFlag.SYN);
  });

  it('an exact duplicate and a fragment inside a run are dropped; the datagram completes once', () => {
    const d = new Decoder();
    const f = split(Buffer.concat([syn, Buffer.alloc(24)]), 16).map((x) => v4Frame(x));
    const inside = v4Frame({ offset: 8, data: syn.subarray(8, 16), more: true });
    expect(run(d, [f[0]!, f[0]!, inside, f[1]!, f[2]!])).toBe(1);
    expect(stats(d)).toEqual({ fragments: 5, duplicates: 2, reassembled: 1 });
  });
});

describe('lengths (ip_frag_queue, ip6_frag_queue)', () => {
  it('IPv4: a 12-byte non-last fragment is trimmed to 8 (end &= ~7) and the datagram completes', () => {
    const d = new Decoder();
    // bytes 0-11 with MF: Linux keeps 0-7; bytes 8-23 come in the last fragment
    const frames = [v4Frame({ offset: 0, data: syn.subarray(0, 12), more: true }), v4Frame({ offset: 8, data: syn.subarray(8), more: false })];
    expect(run(d, frames)).toBe(1);
    expectSyn(d);
    expect(stats(d)).toEqual({ fragments: 2, trimmed: 1, reassembled: 1 });
  });

  it('IPv4: the trimmed bytes are not kept: what the last fragment carries for them is what the target reads', () => {
    const d = new Decoder();
    const first = Buffer.from(syn.subarray(0, 12));
    first.writeUInt16BE(9, 2); // bytes 8-11 say nothing here: the port is in bytes 2-3, kept
    const junkTail = Buffer.from(first);
    junkTail.writeUInt32BE(0xdeadbeef, 8); // the 4 trimmed bytes (the ack field) differ from the real ones
    expect(run(d, [v4Frame({ offset: 0, data: junkTail, more: true }), v4Frame({ offset: 8, data: syn.subarray(8), more: false })])).toBe(1);
    expect(d.packet.dport).toBe(9);
    expect(d.packet.tcpAck).toBe(syn.readInt32BE(8));
  });

  it('IPv4: a non-last fragment shorter than 8 bytes is trimmed to nothing, which discards the datagram (end == offset)', () => {
    const d = new Decoder();
    const f = split(syn, 8).map((x) => v4Frame(x));
    expect(run(d, [f[0]!, v4Frame({ offset: 8, data: syn.subarray(8, 12), more: true }), f[1]!, f[2]!])).toBe(0);
    expect(stats(d)).toEqual({ fragments: 4, trimmed: 1, malformed: 1 });
    // f[1] and f[2] started a new datagram, which lacks its first fragment
    expect(d.reassembly.pending).toBe(1);
  });

  it('IPv6: a non-last fragment whose length is not a multiple of 8 is refused (Parameter Problem) and the datagram is left as it was', () => {
    const d = new Decoder();
    const whole = Buffer.concat([syn, Buffer.alloc(8, 0x61)]);
    const frames = [
      v6Frame({ offset: 0, data: whole.subarray(0, 24), more: true }),
      v6Frame({ offset: 24, data: Buffer.alloc(12, 0x62), more: true }), // 12 bytes: refused
      v6Frame({ offset: 24, data: whole.subarray(24), more: false }),
    ];
    expect(run(d, frames)).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.tcpFlags).toBe(TcpFlag.SYN);
    expect(d.packet.payloadLen).toBe(8);
    expect(stats(d)).toEqual({ fragments: 3, malformed: 1, reassembled: 1 });
    // IPv4 with the same shape trims instead
    const d4 = new Decoder();
    const v4 = [v4Frame({ offset: 0, data: whole.subarray(0, 24), more: true }), v4Frame({ offset: 24, data: Buffer.alloc(12, 0x62), more: true }), v4Frame({ offset: 24, data: whole.subarray(24), more: false })];
    // [24,32) of the junk is queued; the real last fragment is then a duplicate of it, and Linux
    // only rebuilds a datagram after a fragment is queued: it waits until the queue times out.
    expect(run(d4, v4)).toBe(0);
    expect(stats(d4)).toEqual({ fragments: 3, trimmed: 1, duplicates: 1 });
  });

  it('IPv6: a fragment ending beyond 65,535 is refused and the datagram is left as it was', () => {
    const d = new Decoder();
    const whole = Buffer.concat([syn, Buffer.alloc(8)]);
    expect(run(d, [v6Frame({ offset: 0, data: whole.subarray(0, 24), more: true }), v6Frame({ offset: 65528, data: Buffer.alloc(16), more: false }), v6Frame({ offset: 24, data: whole.subarray(24), more: false })])).toBe(1);
    expect(stats(d)).toEqual({ fragments: 3, oversize: 1, reassembled: 1 });
  });
});

describe('ipfrag_max_dist: a queue that missed more than 64 fragments of its peer restarts (ip_frag_too_far, ip_frag_reinit)', () => {
  /** A junk first fragment (RST to port 9), `between` first fragments of other datagrams from the same source, then the clean SYN with the junk's id. */
  function sequence(between: number): Buffer[] {
    const frames = [v4Frame({ offset: 0, data: rst.subarray(0, 16), more: true }, { id: 500 })];
    for (let i = 0; i < between; i++) frames.push(v4Frame({ offset: 0, data: Buffer.alloc(8), more: true }, { id: 1000 + i }));
    const clean = split(syn, 8).map((f) => v4Frame(f, { id: 500 }));
    return [...frames, ...clean];
  }

  it('64 fragments in between: the clean first fragment restarts the queue and the SYN is reassembled', () => {
    const d = new Decoder();
    expect(run(d, sequence(64))).toBe(1);
    expectSyn(d);
    expect(d.reassembly.stats[FragmentStat.RESTARTED]).toBe(1);
  });

  it('63 in between: no restart, the clean fragments over the junk are duplicates and the junk is what completes, as in Linux', () => {
    const d = new Decoder();
    expect(run(d, sequence(63))).toBe(1);
    expect(d.reassembly.stats[FragmentStat.RESTARTED]).toBe(0);
    expect(d.reassembly.stats[FragmentStat.DUPLICATES]).toBe(2);
    expect(d.packet.dport).toBe(9);
    expect(d.packet.tcpFlags).toBe(TcpFlag.RST);
  });

  it('fragments from other sources, or to other destinations, do not count', () => {
    const d = new Decoder();
    const frames = [v4Frame({ offset: 0, data: syn.subarray(0, 8), more: true }, { id: 500 })];
    for (let i = 0; i < 100; i++) frames.push(v4Frame({ offset: 0, data: Buffer.alloc(8), more: true }, { id: 1000 + i, src: `198.18.1.${i}` }));
    for (let i = 0; i < 100; i++) frames.push(v4Frame({ offset: 0, data: Buffer.alloc(8), more: true }, { id: 2000 + i, dst: `198.18.2.${i}` }));
    frames.push(...split(syn, 8).slice(1).map((f) => v4Frame(f, { id: 500 })));
    expect(run(d, frames)).toBe(1);
    expectSyn(d);
    expect(d.reassembly.stats[FragmentStat.RESTARTED]).toBe(0);
  });

  it('maxDist 0 turns the rule off', () => {
    const d = new Decoder({ reassembly: { maxDist: 0 } });
    run(d, sequence(100));
    expect(d.reassembly.stats[FragmentStat.RESTARTED]).toBe(0);
  });
});

describe('fragments the target never queues do not touch the sensor\'s queue either', () => {
  it('an IPv4 fragment with a wrong header checksum is dropped (ip_rcv_core), so junk with it cannot shadow the clean one', () => {
    const d = new Decoder();
    const junk = v4Frame({ offset: 0, data: rst.subarray(0, 16), more: true });
    junk[14 + 10] ^= 0xff;
    expect(feed(d, junk)).toBe(false);
    expect(d.errors[DecodeError.BAD_IPV4_CHECKSUM]).toBe(1);
    expect(run(d, split(syn, 8).map((f) => v4Frame(f)))).toBe(1);
    expectSyn(d);
  });

  it('a fragment in a frame captured whole but shorter than its IP length is dropped (ip_rcv_core, ipv6_rcv)', () => {
    const d = new Decoder();
    const f = v4Frame({ offset: 0, data: syn.subarray(0, 16), more: true });
    const short = f.subarray(0, f.length - 8);
    expect(d.decode(1, short, 0, short.length, 0, 0, short.length)).toBe(false);
    expect(d.errors[DecodeError.BAD_IP_LENGTH]).toBe(1);
    // the same bytes with the wire length unknown (or longer): cut by the capture, queued by its declared length
    expect(d.decode(1, short, 0, short.length, 0, 0, f.length)).toBe(true);
    expect(d.reassembly.pending).toBe(1);
  });

  it('IPv6: a first fragment without the whole TCP header (RFC 7112) cannot hide the first fragment Linux does queue', () => {
    const d = new Decoder();
    const junk = v6Frame({ offset: 0, data: rst.subarray(0, 8), more: true }); // 8 bytes of TCP: Linux answers Parameter Problem
    const clean = Buffer.concat([syn, Buffer.alloc(8, 0x61)]);
    const frames = [junk, v6Frame({ offset: 0, data: clean.subarray(0, 24), more: true }), v6Frame({ offset: 24, data: clean.subarray(24), more: false })];
    expect(run(d, frames)).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.tcpFlags).toBe(TcpFlag.SYN);
    expect(stats(d)).toEqual({ fragments: 3, header_incomplete: 1, reassembled: 1 });
  });

  it('IPv6: tiny fragments Linux refuses are still reassembled as another stack would, once, and the queue Linux keeps stays', () => {
    const d = new Decoder();
    expect(run(d, split(syn, 8).map((f) => v6Frame(f)))).toBe(1);
    expectSyn(d);
    expect(stats(d)).toEqual({ fragments: 3, header_incomplete: 1, reassembled: 1 });
    // Linux holds [8,24) and waits for a first fragment: a real one completes it (the target answers that one)
    expect(d.reassembly.pending).toBe(1);
    const other = tcpSegment({ sport: 61234, dport: 443, flags: 'S', seq: 0x11223344, window: 1024, options: { mss: 1460 } });
    // a real first fragment must hold the TCP header, so it overlaps [8,24): Linux discards, and so do we
    expect(run(d, [v6Frame({ offset: 0, data: other.subarray(0, 24), more: true })])).toBe(0);
    expect(d.reassembly.stats[FragmentStat.OVERLAPS]).toBe(1);
  });
});

describe('fragments cut by the capture complete by their declared lengths', () => {
  /** nmap -sS --data-length 1200 --mtu 600: 20 bytes of TCP header and 1,200 of data in fragments of 600, 600 and 20 bytes. */
  const bigSyn = tcpSegment({ sport: 61234, dport: 80, flags: 'S', seq: 0x11223344, window: 1024, payload: Buffer.alloc(1200, 0x41) });

  it('IPv4 at a 512-byte snapshot: the SYN is rebuilt with its ports and flags from the first fragment and its declared length', () => {
    const d = new Decoder();
    const frames = split(bigSyn, 600).map((f) => v4Frame(f));
    expect(frames.map((f) => f.length)).toEqual([634, 634, 54]);
    expect(run(d, frames, 0, 512)).toBe(1);
    const p = d.packet;
    expect(p.dport).toBe(80);
    expect(p.tcpFlags).toBe(TcpFlag.SYN);
    expect(p.payloadLen).toBe(1200);
    expect(stats(d)).toEqual({ fragments: 3, reassembled: 1, cut: 1 });
  });

  it('IPv6 at a 512-byte snapshot, out of order', () => {
    const d = new Decoder();
    const frames = split(bigSyn, 600).map((f) => v6Frame(f));
    expect(run(d, [frames[2]!, frames[1]!, frames[0]!], 0, 512)).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.tcpFlags).toBe(TcpFlag.SYN);
    expect(d.packet.payloadLen).toBe(1200);
  });

  it('cut before the first fragment holds its TCP header: truncated_fragment, nothing analysed', () => {
    const d = new Decoder();
    const frames = split(bigSyn, 600).map((f) => v4Frame(f));
    for (const f of frames) feed(d, f, 0, 14 + 20 + 12);
    expect(d.packet.hasL4).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_FRAGMENT]).toBe(1);
    expect(d.reassembly.stats[FragmentStat.REASSEMBLED]).toBe(1);
  });

  it('a datagram whose later fragment was never captured does not complete', () => {
    const d = new Decoder();
    const frames = split(bigSyn, 600).map((f) => v4Frame(f));
    expect(run(d, [frames[0]!, frames[2]!], 0, 512)).toBe(0);
    expect(d.reassembly.pending).toBe(1);
  });
});

describe('IPv6 extension header chains as long as Linux takes them', () => {
  const dstopts = (n: number): Ipv6Ext[] => Array.from({ length: n }, () => ({ type: 60 }));

  it('9 and 200 destination options headers before TCP: the SYN is read', () => {
    for (const n of [9, 200]) {
      const d = new Decoder();
      const f = ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: PROTO.TCP, payload: syn, ext: dstopts(n) }));
      expect(feed(d, f), `${n} headers`).toBe(true);
      expect(d.packet.dport).toBe(80);
      expect(d.packet.tcpFlags).toBe(TcpFlag.SYN);
    }
  });

  it('9 destination options before the fragment header and 9 after it, in 3 fragments', () => {
    const d = new Decoder();
    const after = Buffer.concat(Array.from({ length: 9 }, (_, i) => Buffer.from([i < 8 ? 60 : PROTO.TCP, 0, 1, 4, 0, 0, 0, 0])));
    const payload = Buffer.concat([after, syn]); // 72 + 24 bytes: the first fragment holds the whole chain and the TCP header
    const frames = [
      v6Frame({ offset: 0, data: payload.subarray(0, 96), more: true }, { next: 60, before: dstopts(9) }),
      v6Frame({ offset: 96, data: Buffer.alloc(16), more: false }, { next: 60, before: dstopts(9) }),
    ];
    expect(run(d, frames)).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.payloadLen).toBe(16);
  });

  it('a chain running past the packet is malformed; past what the capture kept, cut', () => {
    const pkt = ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: PROTO.TCP, payload: syn, ext: dstopts(20) });
    const bad = Buffer.from(pkt);
    bad[40 + 19 * 8 + 1] = 50; // the 20th header claims 408 bytes
    let d = new Decoder();
    expect(feed(d, ether(ETHERTYPE.IPV6, bad))).toBe(false);
    expect(d.errors[DecodeError.BAD_IPV6_EXTENSION]).toBe(1);
    d = new Decoder();
    expect(feed(d, ether(ETHERTYPE.IPV6, pkt), 0, 14 + 40 + 100)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_IPV6]).toBe(1);
  });
});
