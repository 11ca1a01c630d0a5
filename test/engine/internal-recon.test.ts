/**
 * Internal reconnaissance before lateral movement: a source inside
 * --home-net probing a few administration ports of a few internal hosts,
 * refused or connected to and closed without a byte sent, is reported at
 * once (reason internal-recon, critical), while internal clients whose
 * connections carry requests stay quiet. An accepted connection with no
 * payload from its originator is a probe (the connect-scan signature),
 * never a benign client's success.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { detectionReport, type DetectionReport } from '../../src/report/report.js';
import { defaultConfig } from '../../src/rules/config.js';
import { sitePolicy } from '../../src/rules/policy.js';
import { feed, type Timed } from './packets.js';
import { connection, merge, rawScan, T0 } from './traffic.js';

const HOME = ['198.18.0.0/15'];
const INSIDER = '198.18.0.50';
const hostsFrom = (n: number): string[] => Array.from({ length: n }, (_, i) => `198.18.0.${10 + i}`);

function analyse(frames: Timed[], homeNet = HOME): DetectionReport[] {
  const config = defaultConfig();
  config.hashSeed = 17;
  const engine = new Engine(config);
  const policy = sitePolicy(homeNet);
  engine.useHomeNet(policy.homeNet);
  feed(engine, frames.sort((a, b) => a.t - b.t));
  engine.finish();
  return engine.detections.map((d) => detectionReport(d, policy));
}

/** nmap -sT: one connect() per (host, port); accepted ones are closed at once with RST, nothing sent. */
function connectProbes(src: string, targets: { host: string; port: number; open: boolean }[], t0 = T0, gap = 0.01): Timed[] {
  return targets.flatMap((x, i) =>
    connection({ client: src, server: x.host, sport: 41000 + i, dport: x.port, t: t0 + i * gap, outcome: x.open ? 'open' : 'closed', after: 'rst' }),
  );
}

describe('internal reconnaissance', () => {
  it('nmap -sT -p 445,3389 of 8 internal hosts, 4 accepting both (handshake, nothing sent, closed) and 4 refusing: one critical internal-recon detection', () => {
    const hosts = hostsFrom(8);
    const frames = connectProbes(INSIDER, hosts.flatMap((host, i) => [445, 3389].map((port) => ({ host, port, open: i < 4 }))));
    const ds = analyse(frames);
    expect(ds.map((d) => [d.src, d.type, d.reason, d.direction, d.severity])).toEqual([[INSIDER, 'tcp-connect', 'internal-recon', 'internal', 'critical']]);
    expect(ds[0]!.targets).toBe(8);
    expect(ds[0]!.ports).toBe(2);
  });

  it('nmap -sS of 4 admin ports of one internal host, all refused: internal-recon', () => {
    const frames = rawScan({ src: INSIDER, dsts: ['198.18.0.10'], ports: [22, 445, 3389, 5985], flags: 'S' });
    expect(analyse(frames).map((d) => [d.type, d.reason])).toEqual([['tcp-syn', 'internal-recon']]);
  });

  it('nmap -sT of 3 ports of one internal host, all refused: internal-recon', () => {
    const frames = connectProbes(INSIDER, [8080, 8443, 9000].map((port) => ({ host: '198.18.0.10', port, open: false })));
    expect(analyse(frames).map((d) => [d.type, d.reason, d.ports])).toEqual([['tcp-connect', 'internal-recon', 3]]);
  });

  it('a connect() to 445 of 10 internal hosts, 4 s apart, closed at once (5 accept, 5 refuse): internal-recon', () => {
    const frames = connectProbes(INSIDER, hostsFrom(10).map((host, i) => ({ host, port: 445, open: i % 2 === 0 })), T0, 4);
    const ds = analyse(frames);
    expect(ds.map((d) => [d.type, d.reason])).toEqual([['tcp-connect', 'internal-recon']]);
    // Found at the third host, not the tenth.
    expect(ds[0]!.detected_after_probes).toBeLessThanOrEqual(3);
  });

  it('the same probes from outside the home network are not judged by this tier', () => {
    const hosts = hostsFrom(3);
    const frames = connectProbes('203.0.113.9', hosts.map((host) => ({ host, port: 445, open: false })));
    expect(analyse(frames)).toEqual([]);
  });

  it('without a home network (empty --home-net) the tier is off', () => {
    const frames = connectProbes(INSIDER, [8080, 8443, 9000].map((port) => ({ host: '198.18.0.10', port, open: false })));
    expect(analyse(frames, [])).toEqual([]);
  });
});

describe('internal use stays quiet', () => {
  it('clients whose connections carry requests: SMB to 445 of 5 hosts, SSH, a web client on three ports of one server', () => {
    const frames = merge(
      ...hostsFrom(5).map((host, i) => connection({ client: INSIDER, server: host, sport: 42000 + i, dport: 445, t: T0 + i, outcome: 'open', after: 'data' })),
      connection({ client: INSIDER, server: '198.18.0.30', sport: 43000, dport: 22, t: T0 + 10, outcome: 'open', after: 'data' }),
      ...[80, 8080, 8443].map((port, i) => connection({ client: INSIDER, server: '198.18.0.31', sport: 44000 + i, dport: port, t: T0 + 20 + i, outcome: 'open', after: 'data' })),
    );
    expect(analyse(frames)).toEqual([]);
  });

  it('zero-payload success is a probe: the same three web ports opened and closed without a request are reconnaissance', () => {
    const frames = connectProbes(INSIDER, [80, 8080, 8443].map((port) => ({ host: '198.18.0.31', port, open: true })));
    const ds = analyse(frames);
    expect(ds.map((d) => [d.type, d.reason, d.answered])).toEqual([['tcp-connect', 'internal-recon', 3]]);
  });
});
