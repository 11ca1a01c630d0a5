/**
 * What is never a scan, though a counter of packets would call it one:
 * discovery services answering a client's group query, NetBIOS
 * announcements to a subnet broadcast, a browser's one-way QUIC handshakes
 * and a resolver's one-way queries, a resolver re-asking ARP for a dead
 * gateway with damaged frames among its retries, and single TCP segments
 * without SYN/ACK/RST that are not a probe's shape. Each case also shows
 * that the rule keeps its bite: the same addresses probing as a scanner
 * does are still reported.
 */
import { describe, expect, it } from 'vitest';
import { arp, tcp, type Timed, udp } from './packets.js';
import { connection, rawScan, run, T0 } from './traffic.js';

const CLIENT = '198.18.0.20';
const responders = (n: number): string[] => Array.from({ length: n }, (_, i) => `198.18.0.${100 + i}`);

/** A DNS-style message: id, flags, one question, `answers` answers, then filler. */
function dnsMessage(response: boolean, answers: number, bytes = 40): Buffer {
  const b = Buffer.alloc(bytes);
  b.writeUInt16BE(0x1234, 0);
  b.writeUInt16BE(response ? 0x8400 : 0x0100, 2);
  b.writeUInt16BE(1, 4);
  b.writeUInt16BE(answers, 6);
  return b;
}

/** A broadcast frame: the Ethernet destination set to ff:ff:ff:ff:ff:ff. */
function broadcast(frame: Buffer): Buffer {
  frame.fill(0xff, 0, 6);
  return frame;
}

const reported = (frames: Timed[]) => run(frames.sort((a, b) => a.t - b.t)).detections.map((d) => `${d.src} ${d.type}`);

describe('UDP answers and one-way client requests', () => {
  it('LLMNR: 20 multicast queries of a client (a new port each), each answered unicast from port 5355 by 3 hosts: no scan of the client', () => {
    // Each responder sends to 20 distinct ports of one host: a UDP scan's shape, if it were not answers.
    const frames: Timed[] = [];
    for (let q = 0; q < 20; q++) {
      const t = T0 + q;
      frames.push({ frame: udp({ src: CLIENT, dst: '224.0.0.252', sport: 50000 + q, dport: 5355, payload: dnsMessage(false, 0) }), t });
      responders(3).forEach((r, i) => frames.push({ frame: udp({ src: r, dst: CLIENT, sport: 5355, dport: 50000 + q, payload: dnsMessage(true, 1) }), t: t + 0.001 * (i + 1) }));
    }
    expect(reported(frames)).toEqual([]);
  });

  it('the same answers without their queries (a capture that missed them) are still answers, by their shape', () => {
    const frames: Timed[] = [];
    for (let q = 0; q < 20; q++) responders(3).forEach((r, i) => frames.push({ frame: udp({ src: r, dst: CLIENT, sport: 5355, dport: 50000 + q, payload: dnsMessage(true, 1) }), t: T0 + q + 0.001 * (i + 1) }));
    expect(reported(frames)).toEqual([]);
  });

  it('mDNS, SSDP, WS-Discovery answers whose query was not captured are still answers, by their shape', () => {
    const frames: Timed[] = [];
    const ssdp = Buffer.from('HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n');
    const wsd = Buffer.from('<?xml version="1.0"?><soap:Envelope/>');
    // One responder answering 20 searches of the client, each from a new port of the client's.
    for (let i = 0; i < 20; i++) {
      frames.push({ frame: udp({ src: '198.18.0.100', dst: CLIENT, sport: 1900, dport: 40000 + i, payload: ssdp }), t: T0 + 1 + i * 0.5 });
      frames.push({ frame: udp({ src: '198.18.0.101', dst: CLIENT, sport: 3702, dport: 41000 + i, payload: wsd }), t: T0 + 2 + i * 0.5 });
      frames.push({ frame: udp({ src: '198.18.0.102', dst: CLIENT, sport: 5353, dport: 42000 + i, payload: dnsMessage(true, 1) }), t: T0 + 3 + i * 0.5 });
    }
    expect(reported(frames)).toEqual([]);
  });

  it('a scanner sending empty datagrams from port 5353 to 30 ports is still a UDP scan: the port alone excuses nothing', () => {
    const frames: Timed[] = Array.from({ length: 30 }, (_, i) => ({ frame: udp({ src: '198.18.0.66', dst: CLIENT, sport: 5353, dport: 2000 + i }), t: T0 + i * 0.01 }));
    expect(reported(frames)).toEqual(['198.18.0.66 udp']);
  });

  it('NetBIOS datagram announcements to the subnet broadcast from 30 hosts: no target, no scan', () => {
    const frames: Timed[] = responders(30).map((r, i) => ({ frame: broadcast(udp({ src: r, dst: '198.18.0.255', sport: 138, dport: 138, payload: Buffer.from([0x11, 0x0a, ...Array(30).fill(0)]) })), t: T0 + i * 0.5 }));
    expect(reported(frames)).toEqual([]);
  });

  it('a browser\'s QUIC Initial packets (1,292 bytes) to udp/443 of 7 servers, captured one-way: no sweep', () => {
    const initial = Buffer.alloc(1292, 0x5a);
    initial[0] = 0xc3; // long header, fixed bit, Initial, 4-byte packet number
    initial.writeUInt32BE(1, 1); // QUIC version 1
    const frames: Timed[] = responders(7).flatMap((r, i) => [0, 1, 2].map((k) => ({ frame: udp({ src: CLIENT, dst: r, sport: 50500 + i, dport: 443, payload: initial }), t: T0 + i * 0.2 + k * 0.3 })));
    expect(reported(frames)).toEqual([]);
  });

  it('a resolver\'s DNS queries to 8 servers, unanswered (one-way capture): no sweep; empty datagrams to the same ports are probes', () => {
    const queries: Timed[] = responders(8).flatMap((r, i) => [0, 1].map((k) => ({ frame: udp({ src: CLIENT, dst: r, sport: 53000 + i, dport: 53, payload: dnsMessage(false, 0) }), t: T0 + i * 0.3 + k })));
    expect(reported(queries)).toEqual([]);
    const empty: Timed[] = responders(30).map((r, i) => ({ frame: udp({ src: CLIENT, dst: r, sport: 53000, dport: 53 }), t: T0 + i * 0.01 }));
    expect(reported(empty)).toEqual([`${CLIENT} udp`]);
  });
});

describe('ARP', () => {
  it('a host re-asking for its dead gateway every 4 s for an hour, some frames damaged: no ARP sweep', () => {
    const frames: Timed[] = [];
    for (let i = 0; i < 900; i++) {
      const f = arp({ op: 1, senderIp: CLIENT, targetIp: '198.18.0.1' });
      // One frame in 20 damaged: a hardware address length of 4 shifts the
      // addresses, as a flipped bit would, and spells another target.
      if (i % 20 === 7) f[14 + 4] = 4;
      frames.push({ frame: f, t: T0 + i * 4 });
    }
    // The same damage in the fields Linux checks less: a target address flipped in one frame in 20.
    for (let i = 0; i < 900; i++) {
      if (i % 20 !== 9) continue;
      frames.push({ frame: arp({ op: 1, senderIp: CLIENT, targetIp: `198.18.${i % 250}.${(i * 7) % 250}` }), t: T0 + i * 4 + 1 });
    }
    expect(reported(frames)).toEqual([]);
  });

  it('nmap -PR of 40 addresses (each asked twice at most) is still an ARP sweep', () => {
    const frames: Timed[] = [];
    for (let i = 0; i < 40; i++) for (let k = 0; k < 2; k++) frames.push({ frame: arp({ op: 1, senderIp: '198.18.0.66', targetIp: `198.18.1.${i}` }), t: T0 + k + i * 0.01 });
    expect(reported(frames)).toEqual(['198.18.0.66 arp-sweep']);
  });
});

describe('single TCP segments without SYN, ACK or RST', () => {
  const TARGET = '198.18.0.2';

  it('PSH data segments inside an established connection, from 5 clients: not NULL probes', () => {
    const frames: Timed[] = [];
    for (let c = 0; c < 5; c++) {
      const src = `198.18.0.${30 + c}`;
      frames.push(...connection({ client: src, server: TARGET, sport: 45000, dport: 80, t: T0 + c, outcome: 'open', after: 'data' }));
      // Then segments that lost their ACK bit (a middlebox, a bug), on the same connection, to three ports' worth of retries.
      for (let k = 0; k < 3; k++) frames.push({ frame: tcp({ src, dst: TARGET, sport: 45000, dport: 80, flags: 'P', seq: 5000 + k, payload: 100 }), t: T0 + c + 0.5 + k * 0.01 });
    }
    expect(reported(frames)).toEqual([]);
  });

  it('flagless segments carrying payload to 10 ports: odd, not probes', () => {
    const frames: Timed[] = Array.from({ length: 10 }, (_, i) => ({ frame: tcp({ src: '198.18.0.40', dst: TARGET, sport: 40000 + i, dport: 1000 + i, flags: '', seq: 1, payload: 64 }), t: T0 + i * 0.01 }));
    expect(reported(frames)).toEqual([]);
  });

  it('NULL, FIN and XMAS segments to a multicast group or a subnet broadcast: never probes', () => {
    const frames: Timed[] = [];
    ['', 'F', 'FPU'].forEach((flags, f) => {
      for (let i = 0; i < 10; i++) {
        frames.push({ frame: tcp({ src: '198.18.0.41', dst: '224.0.0.9', sport: 40000 + i, dport: 1000 + i, flags, seq: 1 }), t: T0 + f + i * 0.01 });
        frames.push({ frame: broadcast(tcp({ src: '198.18.0.42', dst: '198.18.0.255', sport: 40000 + i, dport: 1000 + i, flags, seq: 1 })), t: T0 + f + i * 0.01 });
      }
    });
    expect(reported(frames)).toEqual([]);
  });

  it('a NULL scan\'s shape, payload-free to three ports of a unicast host, is one', () => {
    expect(reported(rawScan({ src: '198.18.0.43', dsts: [TARGET], ports: [1, 2, 3], flags: '' }))).toEqual(['198.18.0.43 tcp-null']);
  });
});

