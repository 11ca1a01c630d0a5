/**
 * Issue 8 items 3, 4 and 6 through the Engine on synthetic traffic:
 * sweeps of live hosts (sweep-rate), day-long slow scans (long-horizon),
 * and scans made from many sources (distributed scans, nmap decoys), each
 * with the benign traffic that must stay quiet beside it.
 *
 * Addresses: 198.18.0.0/15 (RFC 2544) for the lab, 203.0.113.0/24
 * (RFC 5737) for spoofed and remote sources.
 */
import { describe, it, expect } from 'vitest';
import { defaultConfig } from '../../src/rules/config.js';
import type { DetectionReport } from '../../src/report/report.js';
import {
  ETHERTYPE,
  LINUX_SYN_OPTIONS,
  LINUX_SYNACK_OPTIONS,
  NMAP_SYN_OPTIONS,
  arp,
  echo,
  ether,
  icmpMessage,
  ip4Text,
  ipv4Packet,
  macOf,
  rng,
  tcp,
  udp,
  type Timed,
} from './packets.js';
import { T0, connection, hosts, merge, range, rawScan, run } from './traffic.js';

const SCANNER = '198.18.0.1';
const TARGET = '198.18.0.2';

const summary = (ds: DetectionReport[]): string[] => ds.map((d) => `${d.src} ${d.type} ${d.pattern} ${d.reason}`);

function only(ds: DetectionReport[]): DetectionReport {
  expect(summary(ds)).toHaveLength(1);
  return ds[0]!;
}

/** An ICMP timestamp request (type 13) or reply (14), as nmap -PP sends and hosts answer (RFC 792). */
function timestamp(src: string, dst: string, id: number, reply: boolean): Buffer {
  const l4 = icmpMessage(reply ? 14 : 13, 0, ((id & 0xffff) << 16) | 0, 12);
  return ether(ETHERTYPE.IPV4, ipv4Packet({ src, dst, proto: 1, payload: l4, ttl: 50 }), { src: macOf(src), dst: macOf(dst), pad: true });
}

// ---------------------------------------------------------------------------
// Item 3: sweeps of live hosts

describe('sweep-rate: live-host sweeps', () => {
  const subnet = hosts('198.18.1', 1, 32); // a /27 where every host is up

  it('nmap -sn on-link (ARP ping, every host answers, nothing follows): arp-sweep, reason sweep-rate', () => {
    const frames: Timed[] = [];
    subnet.forEach((h, i) => {
      const t = T0 + i * 0.003; // 32 hosts in 0.1 s
      frames.push({ frame: arp({ op: 1, senderIp: SCANNER, targetIp: h }), t });
      frames.push({ frame: arp({ op: 2, senderIp: h, targetIp: SCANNER }), t: t + 0.0002 });
    });
    const d = only(run(frames).detections);
    expect(d.type).toBe('arp-sweep');
    expect(d.reason).toBe('sweep-rate');
    expect(d.src).toBe(SCANNER);
    expect(d.targets).toBe(32);
    expect(d.live_host_count).toBe(32);
    expect(d.sources).toEqual([SCANNER]);
  });

  it('nmap -sn -PE routed (bare echo requests, every host answers): icmp-sweep, reason sweep-rate, all hosts live', () => {
    const frames: Timed[] = [];
    subnet.forEach((h, i) => {
      const t = T0 + i * 0.003;
      frames.push({ frame: echo({ src: SCANNER, dst: h, id: 1000 + i, seq: 0, ttl: 45 }), t });
      frames.push({ frame: echo({ src: h, dst: SCANNER, id: 1000 + i, seq: 0, reply: true }), t: t + 0.0004 });
    });
    const d = only(run(frames).detections);
    expect(d.type).toBe('icmp-sweep');
    expect(d.reason).toBe('sweep-rate');
    expect(d.live_host_count).toBe(32);
    expect(d.tool).toBe('nmap');
  });

  it('nmap -sn as root, routed (echo + SYN 443 + ACK 80 + timestamp per host, all answered): the icmp-sweep is found with all 32 live hosts', () => {
    const frames: Timed[] = [];
    subnet.forEach((h, i) => {
      const t = T0 + i * 0.003;
      const sport = 50000 + i;
      frames.push({ frame: echo({ src: SCANNER, dst: h, id: 2000 + i, seq: 0, ttl: 45 }), t });
      frames.push({ frame: tcp({ src: SCANNER, dst: h, sport, dport: 443, flags: 'S', seq: 77 + i, window: 1024, options: NMAP_SYN_OPTIONS, ttl: 45 }), t: t + 0.0001 });
      frames.push({ frame: tcp({ src: SCANNER, dst: h, sport, dport: 80, flags: 'A', seq: 0, ack: 99, window: 1024, ttl: 45 }), t: t + 0.0002 });
      frames.push({ frame: timestamp(SCANNER, h, 3000 + i, false), t: t + 0.0003 });
      // Every host is up: echo and timestamp replies, SYN-ACK on 443 (reset by the scanner's kernel), RST to the lone ACK.
      frames.push({ frame: echo({ src: h, dst: SCANNER, id: 2000 + i, seq: 0, reply: true }), t: t + 0.0005 });
      frames.push({ frame: tcp({ src: h, dst: SCANNER, sport: 443, dport: sport, flags: 'SA', seq: 5, ack: 78 + i, window: 64240, options: LINUX_SYNACK_OPTIONS }), t: t + 0.0006 });
      frames.push({ frame: tcp({ src: SCANNER, dst: h, sport, dport: 443, flags: 'R', seq: 78 + i, window: 0 }), t: t + 0.0007 });
      frames.push({ frame: tcp({ src: h, dst: SCANNER, sport: 80, dport: sport, flags: 'R', seq: 99, window: 0 }), t: t + 0.0008 });
      frames.push({ frame: timestamp(h, SCANNER, 3000 + i, true), t: t + 0.0009 });
    });
    const ds = run(frames).detections;
    const sweep = ds.find((d) => d.type === 'icmp-sweep');
    expect(sweep, summary(ds).join('; ')).toBeDefined();
    expect(sweep!.src).toBe(SCANNER);
    expect(sweep!.targets).toBe(32);
    expect(sweep!.live_host_count).toBe(32);
    // The TCP discovery probes are the same sweep's: found too, horizontal, never vertical.
    for (const d of ds) expect(d.pattern).toBe('horizontal');
  });

  it('a raw-SYN ping sweep of hosts whose port 80 is open (every SYN answered): tcp-syn horizontal, found though every contact succeeded', () => {
    // Window 14600 is no scanner's fingerprint. The burst of new hosts
    // (sweep-rate), the host count, or the contacts themselves find it: each
    // SYN-ACK is reset without a byte sent, a probe's signature, so every
    // contact is a failure for the sequential test (trw).
    const frames = rawScan({ src: SCANNER, dsts: subnet, ports: [80], flags: 'S', open: new Set(['80']), gap: 0.003, window: 14600 });
    const d = only(run(frames).detections);
    expect(d.type).toBe('tcp-syn');
    expect(d.pattern).toBe('horizontal');
    expect(['sweep-rate', 'distinct-hosts', 'trw']).toContain(d.reason);
    expect(d.targets).toBe(32);
    expect(d.open_ports).toEqual([80]);
  });

  it('a monitoring system pinging the same 32 hosts every minute (56-byte pings, on-link ARP first) stays quiet', () => {
    const frames: Timed[] = [];
    const MONITOR = '198.18.0.9';
    for (let round = 0; round < 15; round++) {
      subnet.forEach((h, i) => {
        const t = T0 + round * 60 + i * 0.01; // fping's default 10 ms between targets
        if (round === 0) {
          // The kernel resolves each address once, because it holds a datagram for it.
          frames.push({ frame: arp({ op: 1, senderIp: MONITOR, targetIp: h }), t: t - 0.0008 });
          frames.push({ frame: arp({ op: 2, senderIp: h, targetIp: MONITOR }), t: t - 0.0005 });
        }
        frames.push({ frame: echo({ src: MONITOR, dst: h, id: 7, seq: round * 32 + i, payload: 56, ttl: 64 }), t });
        frames.push({ frame: echo({ src: h, dst: MONITOR, id: 7, seq: round * 32 + i, payload: 56, reply: true }), t: t + 0.0004 });
      });
    }
    expect(summary(run(frames).detections)).toEqual([]);
  });

  it('the same bare-echo sweep spread over 30 s (a new host a second) is not a burst: the rate, not the count, decides', () => {
    const frames: Timed[] = [];
    subnet.forEach((h, i) => {
      const t = T0 + i;
      frames.push({ frame: echo({ src: SCANNER, dst: h, id: 1000 + i, seq: 0, payload: 56, ttl: 64 }), t });
      frames.push({ frame: echo({ src: h, dst: SCANNER, id: 1000 + i, seq: 0, reply: true }), t: t + 0.0004 });
    });
    expect(summary(run(frames).detections)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Item 4: slow scans over a day

/** One SYN every 20 to 30 minutes to each port, in a random order; `closed` ports answer RST, the others stay silent. */
function slowScan(src: string, dst: string, ports: number[], closed: boolean, seed = 5): Timed[] {
  const r = rng(seed);
  const out: Timed[] = [];
  let t = T0;
  ports.forEach((port, i) => {
    const sport = 40000 + i;
    out.push({ frame: tcp({ src, dst, sport, dport: port, flags: 'S', seq: 1000 + i, window: 1024, options: NMAP_SYN_OPTIONS, ttl: 50 }), t });
    if (closed) out.push({ frame: tcp({ src: dst, dst: src, sport: port, dport: sport, flags: 'RA', seq: 0, ack: 1001 + i, window: 0 }), t: t + 0.0003 });
    t += 1200 + r() * 600;
  });
  return out;
}

describe('long-horizon: slow scans over a day', () => {
  const ports = range(1, 40).map((i) => 1000 + i * 7);

  it('one SYN every 20-30 minutes to 40 closed ports of one host: tcp-syn vertical, reason long-horizon, 40 ports', () => {
    const frames = slowScan(SCANNER, TARGET, ports, true);
    expect(frames[frames.length - 1]!.t - T0).toBeGreaterThan(12 * 3600); // the scan really takes most of a day
    const { detections, engine } = run(frames);
    const d = only(detections);
    expect(d.type).toBe('tcp-syn');
    expect(d.reason).toBe('long-horizon');
    expect(d.pattern).toBe('vertical');
    expect(d.targets).toBe(1);
    expect(d.ports).toBe(40);
    expect(d.targets_sample).toEqual([TARGET]);
    expect(d.rejected).toBe(40);
    expect(engine.recon.longHorizon.size).toBe(1);
  });

  it('the same scan against filtered ports (no answer at all) is found too', () => {
    const d = only(run(slowScan(SCANNER, TARGET, ports, false)).detections);
    expect(d.reason).toBe('long-horizon');
    expect(d.type).toBe('tcp-syn');
    // The very first probe waits in probation and its silence is not counted (see README).
    expect(d.ports).toBeGreaterThanOrEqual(38);
  });

  it('a flood of spoofed one-probe sources between the probes cannot push the slow scanner out of the tier', () => {
    const config = defaultConfig();
    config.longHorizon = { ...config.longHorizon, capacity: 4 }; // one set: every newcomer competes with the scanner
    const slow = slowScan(SCANNER, TARGET, ports, true);
    const flood: Timed[] = [];
    const r = rng(9);
    // After the scanner's third probe, between consecutive probes: 50 spoofed SYNs, each refused
    // (so each source is promoted and reaches the tier as a newcomer with one failure).
    for (let k = 4; k + 1 < slow.length; k += 2) {
      const t = slow[k]!.t + 1;
      for (let j = 0; j < 50; j++) {
        const src = ip4Text(((203 << 24) | (0 << 16) | (113 << 8)) + ((k * 50 + j) % 250) + 1);
        const spoof = `10.${Math.floor(r() * 250)}.${Math.floor(r() * 250)}.${1 + Math.floor(r() * 250)}`;
        const s = j % 2 === 0 ? src : spoof;
        const dport = 20000 + Math.floor(r() * 1000);
        flood.push({ frame: tcp({ src: s, dst: TARGET, sport: 1024 + j, dport, flags: 'S', seq: j, window: 1024, options: NMAP_SYN_OPTIONS }), t: t + j * 0.01 });
        flood.push({ frame: tcp({ src: TARGET, dst: s, sport: dport, dport: 1024 + j, flags: 'RA', seq: 0, ack: j + 1, window: 0 }), t: t + j * 0.01 + 0.0002 });
      }
    }
    const { detections, engine } = run(merge(slow, flood), config);
    const slowOnes = detections.filter((d) => d.src === SCANNER);
    expect(summary(slowOnes)).toEqual([`${SCANNER} tcp-syn vertical long-horizon`]);
    expect(slowOnes[0]!.ports).toBe(40);
    const lh = engine.recon.longHorizon;
    expect(lh.evicted).toBeGreaterThan(1000); // the flood churned the other ways, every time counted
    expect(lh.size).toBe(4);
  });

  it('a peer-to-peer client failing to reach 90 peers over a day, one every 16 minutes (one port each), stays quiet', () => {
    const out: Timed[] = [];
    const r = rng(11);
    for (let i = 0; i < 90; i++) {
      const t = T0 + i * 950; // past the 900 s window each time: only the long-horizon tier sees them add up
      const peer = `203.0.113.${1 + (i % 250)}`;
      const port = 6881 + Math.floor(r() * 2000);
      out.push(...connection({ client: SCANNER, server: peer, sport: 30000 + i, dport: port, t, outcome: i % 3 === 0 ? 'silent' : 'closed' }));
    }
    expect(summary(run(out).detections)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------
// Item 6: many sources, one scan

describe('many sources, one scan', () => {
  it('64 sources each probing 4 closed ports of one host (256 together): one detection, reason distributed, every source listed', () => {
    const srcs = Array.from({ length: 64 }, (_, i) => `198.19.${Math.floor(i / 32)}.${10 + (i % 32)}`);
    const parts = srcs.map((src, i) =>
      rawScan({ src, dsts: [TARGET], ports: range(1 + i * 4, 4 + i * 4), flags: 'S', t0: T0 + i * 0.05, gap: 0.5, seed: i + 1 }),
    );
    const { detections, engine } = run(merge(...parts));
    const d = only(detections);
    expect(d.reason).toBe('distributed');
    expect(d.type).toBe('tcp-syn');
    expect(d.pattern).toBe('vertical');
    expect(d.targets).toBe(1);
    expect(d.ports).toBe(256);
    expect(d.sources).toEqual([...srcs].sort());
    expect(srcs).toContain(d.src);
    expect(engine.recon.targets.evicted).toBe(0);
  });

  it('the distributed scan of sources that each cross their own threshold is still one scan (64 x 12 ports)', () => {
    const srcs = Array.from({ length: 64 }, (_, i) => `198.19.2.${10 + i}`);
    const parts = srcs.map((src, i) =>
      rawScan({ src, dsts: [TARGET], ports: range(1 + i * 12, 12 + i * 12), flags: 'S', t0: T0 + i * 0.01, gap: 0.2, seed: i + 100 }),
    );
    const d = only(run(merge(...parts)).detections);
    expect(d.reason).toBe('distributed');
    expect(d.ports).toBe(768);
    expect(d.sources).toHaveLength(64);
  });

  it('nmap -D (5 decoys and ME, 1000 ports): one tcp-syn detection, all 6 sources, src the one that reset the SYN-ACKs', () => {
    const decoys = ['198.18.0.101', '198.18.0.102', '198.18.0.103', '198.18.0.104', '198.18.0.105'];
    const order = [decoys[0]!, decoys[1]!, SCANNER, decoys[2]!, decoys[3]!, decoys[4]!];
    const r = rng(4);
    const ports = range(1, 1000).sort(() => r() - 0.5);
    const open = new Set([22, 80, 443]);
    const frames: Timed[] = [];
    ports.forEach((port, i) => {
      order.forEach((src, k) => {
        const t = T0 + i * 0.0005 + k * 0.00001;
        const sport = 45000 + k;
        const seq = i * 10 + k;
        frames.push({ frame: tcp({ src, dst: TARGET, sport, dport: port, flags: 'S', seq, window: 1024, options: NMAP_SYN_OPTIONS, ttl: 50 }), t });
        if (open.has(port)) {
          frames.push({ frame: tcp({ src: TARGET, dst: src, sport: port, dport: sport, flags: 'SA', seq: 9, ack: seq + 1, window: 64240, options: LINUX_SYNACK_OPTIONS }), t: t + 0.0001 });
          // Only the real scanner's kernel sees the SYN-ACK and resets it; a spoofed decoy never receives it.
          if (src === SCANNER) frames.push({ frame: tcp({ src, dst: TARGET, sport, dport: port, flags: 'R', seq: seq + 1, window: 0 }), t: t + 0.0002 });
        } else {
          frames.push({ frame: tcp({ src: TARGET, dst: src, sport: port, dport: sport, flags: 'RA', seq: 0, ack: seq + 1, window: 0 }), t: t + 0.0001 });
        }
      });
    });
    const d = only(run(frames).detections);
    expect(d.type).toBe('tcp-syn');
    expect(d.src).toBe(SCANNER);
    expect(d.sources).toEqual([...order].sort());
    expect(d.ports).toBe(1000);
    expect(d.open_ports).toEqual([22, 80, 443]);
    expect(d.half_open).toBe(3);
    expect(d.probes).toBe(6000);
  });

  it('two independent scanners of one host at once stay two detections', () => {
    const a = rawScan({ src: SCANNER, dsts: [TARGET], ports: range(1, 200), flags: 'S', seed: 1 });
    const b = rawScan({ src: '198.18.0.77', dsts: [TARGET], ports: range(1, 200).reverse(), flags: 'S', seed: 2 });
    expect(run(merge(a, b)).detections.map((d) => d.src).sort()).toEqual(['198.18.0.1', '198.18.0.77']);
  });

  it('two scanners of one host in the same port order, the second starting after the first moved on, stay two detections', () => {
    // Same first probe within DECOY_SPAN, but not in lockstep: the second scan
    // starts after the first has probed its second port, which no decoy copy does.
    const a = rawScan({ src: SCANNER, dsts: [TARGET], ports: range(1, 15), flags: 'S', t0: T0, gap: 0.00002, seed: 1 });
    const b = rawScan({ src: '198.18.0.77', dsts: [TARGET], ports: range(1, 15), flags: 'S', t0: T0 + 0.075, gap: 0.00002, seed: 2 });
    expect(run(merge(a, b)).detections.map((d) => d.src).sort()).toEqual(['198.18.0.1', '198.18.0.77']);
  });

  it('64 media clients each sending to 4 high ports of one relay, all answered (RTP/RTCP), stay quiet', () => {
    const out: Timed[] = [];
    const RELAY = '198.18.5.5';
    for (let i = 0; i < 64; i++) {
      const client = `198.18.6.${10 + i}`;
      for (let k = 0; k < 4; k++) {
        const port = 20000 + i * 8 + k * 2;
        const t = T0 + i * 0.2 + k * 0.01;
        out.push({ frame: udp({ src: client, dst: RELAY, sport: 30000 + k, dport: port, payload: 172 }), t });
        out.push({ frame: udp({ src: RELAY, dst: client, sport: port, dport: 30000 + k, payload: 172 }), t: t + 0.002 });
      }
    }
    expect(summary(run(out).detections)).toEqual([]);
  });

  it('a spoofed one-packet flood to many ports of one host never reaches the target table', () => {
    const out: Timed[] = [];
    for (let i = 0; i < 5000; i++) {
      const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      out.push({ frame: tcp({ src, dst: TARGET, sport: 1024 + (i % 60000), dport: 1 + (i % 60000), flags: 'S', seq: i, window: 1024, options: NMAP_SYN_OPTIONS }), t: T0 + i * 0.0001 });
    }
    const { engine } = run(out);
    expect(engine.recon.targets.size).toBe(0);
    expect(engine.recon.longHorizon.size).toBe(0);
  });

  it('many web clients connecting to one server (two ports each, answered) stay quiet', () => {
    const out: Timed[] = [];
    for (let i = 0; i < 200; i++) {
      const client = `203.0.113.${1 + (i % 250)}`;
      for (const port of [80, 443]) {
        out.push(...connection({ client, server: TARGET, sport: 30000 + i * 2 + (port === 443 ? 1 : 0), dport: port, t: T0 + i * 0.05, outcome: 'open', after: 'data' }));
      }
    }
    expect(summary(run(out).detections)).toEqual([]);
  });
});

// keep the kernel option set referenced (used by connection() defaults in other suites)
void LINUX_SYN_OPTIONS;
