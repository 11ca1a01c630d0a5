/**
 * Issue 8 item 2: SCTP INIT and COOKIE ECHO scans (nmap -sY, -sZ), the IP
 * protocol scan (nmap -sO) and the idle scan (nmap -sI), on synthetic
 * traffic shaped as RFC 9260 / RFC 792 and the nmap documentation describe
 * them; and the ordinary traffic that must not look like them.
 */
import { describe, expect, it } from 'vitest';
import type { DetectionReport } from '../../src/report/report.js';
import { ETHERTYPE, ether, ipv4Packet, l3Of, macOf, tcp, type Timed, unreachable } from './packets.js';
import { T0, connection, hosts, merge, range, rawScan, run } from './traffic.js';

const SCANNER = '198.18.0.1';
const TARGET = '198.18.0.2';
const ZOMBIE = '198.18.0.3';

/** An Ethernet frame with an IPv4 datagram of any protocol. */
function ipFrame(src: string, dst: string, proto: number, payload: Buffer): Buffer {
  return ether(ETHERTYPE.IPV4, ipv4Packet({ src, dst, proto, payload }), { src: macOf(src), dst: macOf(dst), pad: true });
}

/** SCTP common header (RFC 9260 3.1) and one chunk of `type` with a 16-byte value. */
function sctp(src: string, dst: string, sport: number, dport: number, type: number): Buffer {
  const b = Buffer.alloc(12 + 4 + 16);
  b.writeUInt16BE(sport, 0);
  b.writeUInt16BE(dport, 2);
  b.writeUInt32BE(type === 1 ? 0 : 0x11223344, 4); // an INIT carries verification tag 0
  b[12] = type;
  b.writeUInt16BE(20, 14);
  return ipFrame(src, dst, 132, b);
}

const INIT = 1;
const INIT_ACK = 2;
const ABORT = 6;
const COOKIE_ECHO = 10;

function only(ds: DetectionReport[]): DetectionReport {
  expect(ds.map((d) => `${d.src} ${d.type} ${d.pattern}`)).toHaveLength(1);
  return ds[0]!;
}

describe('new techniques (issue 8 item 2)', () => {
  it('nmap -sY: INITs to 50 SCTP ports, INIT ACK from 3868 and 2905, ABORT from the rest: sctp-init with the open ports', () => {
    const frames: Timed[] = [];
    range(2880, 2929).concat([3868]).forEach((port, i) => {
      const t = T0 + i * 0.002;
      frames.push({ frame: sctp(SCANNER, TARGET, 50000, port, INIT), t });
      const open = port === 3868 || port === 2905;
      frames.push({ frame: sctp(TARGET, SCANNER, port, 50000, open ? INIT_ACK : ABORT), t: t + 0.0003 });
      if (open) frames.push({ frame: sctp(SCANNER, TARGET, 50000, port, ABORT), t: t + 0.0004 });
    });
    const d = only(run(frames).detections);
    expect([d.type, d.pattern, d.ports, d.targets]).toEqual(['sctp-init', 'vertical', 51, 1]);
    expect(d.open_ports).toEqual([2905, 3868]);
  });

  it('nmap -sZ: COOKIE ECHOs to 20 ports with no INIT before them: sctp-cookie-echo', () => {
    const frames: Timed[] = range(1, 20).map((port, i) => ({ frame: sctp(SCANNER, TARGET, 50001, port, COOKIE_ECHO), t: T0 + i * 0.002 }));
    const d = only(run(frames).detections);
    expect([d.type, d.ports]).toEqual(['sctp-cookie-echo', 20]);
  });

  it('ordinary SCTP associations (INIT, INIT ACK, COOKIE ECHO) with 3 Diameter peers are quiet', () => {
    const frames: Timed[] = [];
    hosts('198.18.6', 1, 3).forEach((peer, i) => {
      const t = T0 + i;
      frames.push({ frame: sctp(SCANNER, peer, 40000 + i, 3868, INIT), t });
      frames.push({ frame: sctp(peer, SCANNER, 3868, 40000 + i, INIT_ACK), t: t + 0.001 });
      frames.push({ frame: sctp(SCANNER, peer, 40000 + i, 3868, COOKIE_ECHO), t: t + 0.002 });
      frames.push({ frame: sctp(peer, SCANNER, 3868, 40000 + i, 11), t: t + 0.003 });
    });
    expect(run(frames).detections).toEqual([]);
  });

  it('nmap -sO: an empty datagram for protocols 0-255 but the decoded ones, protocol unreachable back: ip-protocol, ports = protocol numbers', () => {
    const frames: Timed[] = [];
    const sent = range(0, 255).filter((p) => ![1, 6, 17, 58, 132, 4, 41, 47, 0, 43, 44, 60].includes(p));
    sent.forEach((proto, i) => {
      const t = T0 + i * 0.001;
      const probe = ipFrame(SCANNER, TARGET, proto, Buffer.alloc(0));
      frames.push({ frame: probe, t });
      frames.push({ frame: unreachable({ src: TARGET, dst: SCANNER, code: 2, original: l3Of(probe) }), t: t + 0.0002 });
    });
    const d = only(run(frames).detections);
    expect([d.type, d.pattern, d.targets]).toEqual(['ip-protocol', 'vertical', 1]);
    expect(d.ports).toBe(sent.length);
    expect(d.rejected).toBeGreaterThan(sent.length - 3);
  });

  it('an IPsec gateway sending ESP with payload to 40 peers is not an ip-protocol scan', () => {
    const frames: Timed[] = hosts('203.0.113', 1, 40).map((peer, i) => ({ frame: ipFrame(SCANNER, peer, 50, Buffer.alloc(120)), t: T0 + i * 0.01 }));
    expect(run(frames).detections).toEqual([]);
  });

  it('nmap -sI: unsolicited SYN-ACKs to the zombie answered by RST, spoofed SYNs from the zombie: idle-scan by the scanner, tcp-syn by the zombie', () => {
    const frames: Timed[] = [];
    // The scanner reads the zombie's IP ID: SYN-ACK from an ephemeral port, RST back.
    for (let i = 0; i < 30; i++) {
      const t = T0 + i * 0.03;
      frames.push({ frame: tcp({ src: SCANNER, dst: ZOMBIE, sport: 55434 + i, dport: 80, flags: 'SA', seq: 1000 + i, ack: 1, window: 1024, options: { mss: 1460 } }), t });
      frames.push({ frame: tcp({ src: ZOMBIE, dst: SCANNER, sport: 80, dport: 55434 + i, flags: 'R', seq: 1, window: 0 }), t: t + 0.0002 });
    }
    // The spoofed SYNs: the target's answers go to the zombie, which resets SYN-ACKs.
    frames.push(...rawScan({ src: ZOMBIE, dsts: [TARGET], ports: range(1, 100), flags: 'S', open: new Set(['22', '80']), t0: T0 + 0.01, gap: 0.009 }));
    const ds = run(merge(frames)).detections;
    const idle = ds.find((d) => d.type === 'idle-scan');
    expect(idle, JSON.stringify(ds.map((d) => [d.src, d.type]))).toBeDefined();
    expect([idle!.src, idle!.targets, idle!.ports, idle!.targets_sample]).toEqual([SCANNER, 1, 1, [ZOMBIE]]);
    const spoofed = ds.find((d) => d.type === 'tcp-syn');
    expect([spoofed?.src, spoofed?.ports, spoofed?.open_ports]).toEqual([ZOMBIE, 100, [22, 80]]);
    expect(ds).toHaveLength(2);
  });

  it('backscatter (SYN-ACKs from a service port to a spoofed address, which resets them) is not an idle scan', () => {
    const frames: Timed[] = [];
    for (let i = 0; i < 40; i++) {
      const t = T0 + i * 0.05;
      frames.push({ frame: tcp({ src: '203.0.113.80', dst: ZOMBIE, sport: 443, dport: 20000 + i * 13, flags: 'SA', seq: 5000 + i, ack: 1, window: 64240 }), t });
      frames.push({ frame: tcp({ src: ZOMBIE, dst: '203.0.113.80', sport: 20000 + i * 13, dport: 443, flags: 'R', seq: 1, window: 0 }), t: t + 0.0002 });
    }
    expect(run(frames).detections).toEqual([]);
  });

  it('a SYN-ACK whose SYN we missed, then ACKed by the client, is a connection, not an idle probe', () => {
    const parts = range(0, 29).map((i) => connection({ client: TARGET, server: SCANNER, sport: 40000 + i, dport: 8080, t: T0 + i * 0.05, outcome: 'open' }).slice(1));
    expect(run(merge(...parts)).detections).toEqual([]);
  });
});
