/**
 * Issue 8 item 10: busy benign hosts stay quiet. A scanner's contacts carry
 * no payload from it (Zeek orig_bytes = 0); a client's do. These used to be
 * reported by "4x the threshold even when TRW says benign", by TRW runs of
 * dead peers, or by the confirmed-scanner rule.
 */
import { describe, expect, it } from 'vitest';
import { rng, type Timed, udp } from './packets.js';
import { T0, connection, hosts, merge, range, rawScan, run } from './traffic.js';

const CLIENT = '198.18.0.10';

describe('busy benign hosts stay quiet (issue 8 item 10)', () => {
  it('a NAT gateway making 400 completed HTTPS/HTTP connections to 200 hosts', () => {
    const servers = [...hosts('203.0.113', 1, 200)];
    const parts = range(0, 399).map((i) =>
      connection({ client: CLIENT, server: servers[i % 200]!, sport: 20000 + i, dport: i % 5 === 0 ? 80 : 443, t: T0 + i * 0.05, outcome: 'open', rtt: 0.02 }),
    );
    const { detections, engine } = run(merge(...parts));
    expect(engine.segments[0]).toBe(400);
    expect(detections).toEqual([]);
  });

  it('a DNS resolver querying 300 authoritative servers that answer', () => {
    const r = rng(7);
    const servers = [...hosts('203.0.113', 1, 250), ...hosts('198.19.1', 1, 50)];
    const frames: Timed[] = [];
    servers.forEach((server, i) => {
      const sport = 1024 + Math.floor(r() * 64000);
      const t = T0 + i * 0.02;
      frames.push({ frame: udp({ src: CLIENT, dst: server, sport, dport: 53, payload: 40 }), t });
      frames.push({ frame: udp({ src: server, dst: CLIENT, sport: 53, dport: sport, payload: 180 }), t: t + 0.015 });
    });
    expect(run(frames).detections).toEqual([]);
  });

  it('a BitTorrent client contacting 200 peers: half complete the handshake with data, the rest never answer or refuse', () => {
    const r = rng(6881);
    const peers = [...hosts('203.0.113', 1, 200)];
    const parts = peers.map((peer, i) => {
      const x = r();
      const outcome = x < 0.5 ? 'open' : x < 0.85 ? 'silent' : 'closed';
      return connection({ client: CLIENT, server: peer, sport: 30000 + i, dport: 6881 + Math.floor(r() * 100), t: T0 + i * 0.1, outcome, requestBytes: 68, responseBytes: 68 });
    });
    expect(run(merge(...parts)).detections).toEqual([]);
  });

  it('a Gnutella peer with UDP pings to 150 peers, 40% unanswered', () => {
    const r = rng(6346);
    const frames: Timed[] = [];
    hosts('203.0.113', 1, 150).forEach((peer, i) => {
      const t = T0 + i * 0.1;
      const dport = 6346 + Math.floor(r() * 50);
      frames.push({ frame: udp({ src: CLIENT, dst: peer, sport: 6346, dport, payload: 23 }), t });
      if (r() >= 0.4) frames.push({ frame: udp({ src: peer, dst: CLIENT, sport: dport, dport: 6346, payload: 60 }), t: t + 0.05 });
    });
    expect(run(frames).detections).toEqual([]);
  });

  it('a host reported for a SYN scan that then browses 10 web sites is not reported again', () => {
    const scan = rawScan({ src: CLIENT, dsts: ['198.18.0.2'], ports: range(1, 100), flags: 'S', open: new Set(['22', '80']) });
    const sites = hosts('203.0.113', 20, 10);
    const browsing = sites.flatMap((server, i) =>
      [0, 1].map((k) => connection({ client: CLIENT, server, sport: 50000 + i * 2 + k, dport: 443, t: T0 + 30 + i * 0.5 + k * 0.1, outcome: 'open', rtt: 0.02 })),
    );
    const { detections } = run(merge(scan, ...browsing));
    expect(detections.map((d) => d.type)).toEqual(['tcp-syn']);
  });

  // The rule that replaces the old override must still find what it was for.
  it('still found: a connect() scan of 60 hosts on 443, all open, each connection reset at once (empty contacts)', () => {
    const parts = hosts('198.18.3', 1, 60).map((server, i) =>
      connection({ client: CLIENT, server, sport: 40000 + i, dport: 443, t: T0 + i * 0.01, outcome: 'open', after: 'rst' }),
    );
    const ds = run(merge(...parts)).detections;
    expect(ds.map((d) => [d.type, d.pattern])).toEqual([['tcp-connect', 'horizontal']]);
    expect(ds[0]!.targets).toBeGreaterThanOrEqual(25);
  });

  it('still found: a worm sending its payload to every host that answers, 95% of 400 addresses dead', () => {
    const r = rng(445);
    const parts = range(0, 399).map((i) => {
      const server = `198.19.${i >> 7}.${(i & 127) + 1}`;
      return connection({ client: CLIENT, server, sport: 30000 + i, dport: 445, t: T0 + i * 0.01, outcome: r() < 0.05 ? 'open' : 'silent', requestBytes: 300 });
    });
    const ds = run(merge(...parts)).detections;
    expect(ds.map((d) => d.type)).toEqual(['tcp-connect']);
  });
});
