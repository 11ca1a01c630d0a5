/**
 * Tenants (COMMON.md, issue 8 item 5 wiring): the same addresses in two
 * VLANs or VNIs are two address spaces. Flow, probation and source keys
 * carry the tenant, and each detection names its tenant.
 */
import { describe, expect, it } from 'vitest';
import { tcp, type Timed } from './packets.js';
import { T0, range, run } from './traffic.js';

const SCANNER = '198.18.10.1';
const TARGET = '198.18.10.2';

/** A raw SYN scan of `ports` inside VLAN `vid`; closed ports answer RST/ACK in the same VLAN. */
function vlanScan(vid: number, ports: number[], t0: number): Timed[] {
  const vlans = [{ tpid: 0x8100, vid }];
  return ports.flatMap((dport, i) => [
    { frame: tcp({ src: SCANNER, dst: TARGET, sport: 40000, dport, flags: 'S', window: 1024, options: { mss: 1460 }, vlans }), t: t0 + i * 0.01 },
    { frame: tcp({ src: TARGET, dst: SCANNER, sport: dport, dport: 40000, flags: 'RA', ack: 1, vlans }), t: t0 + i * 0.01 + 0.001 },
  ]);
}

describe('tenants keep overlapping address spaces apart', () => {
  it('5 ports in VLAN 10 and 5 in VLAN 20 from the same addresses: below every threshold, nothing', () => {
    const frames = [...vlanScan(10, range(1, 5), T0), ...vlanScan(20, range(6, 10), T0 + 0.005)].sort((a, b) => a.t - b.t);
    expect(run(frames).detections).toEqual([]);
  });

  it('100 ports in each VLAN: two scans of 100 ports, each naming its tenant, never one of 200', () => {
    const frames = [...vlanScan(10, range(1, 100), T0), ...vlanScan(20, range(101, 200), T0 + 0.005)].sort((a, b) => a.t - b.t);
    const ds = run(frames).detections;
    expect(ds.map((d) => [d.src, d.type, d.ports, d.tenant, d.sources]).sort()).toEqual([
      [SCANNER, 'tcp-syn', 100, 'vlan:10', [SCANNER]],
      [SCANNER, 'tcp-syn', 100, 'vlan:20', [SCANNER]],
    ]);
  });

  it('without a tenant the report says null', () => {
    const frames: Timed[] = range(1, 20).map((dport, i) => ({ frame: tcp({ src: SCANNER, dst: TARGET, sport: 40000, dport, flags: 'S', window: 1024 }), t: T0 + i * 0.01 }));
    expect(run(frames).detections.map((d) => d.tenant)).toEqual([null]);
  });
});

/** A scan of `ports` inside QinQ tags (outer `outer`, inner `inner`); closed ports answer RST/ACK in the same tags. */
function qinqScan(outer: number, inner: number, ports: number[], t0: number): Timed[] {
  const vlans = [
    { tpid: 0x88a8, vid: outer },
    { tpid: 0x8100, vid: inner },
  ];
  return ports.flatMap((dport, i) => [
    { frame: tcp({ src: SCANNER, dst: TARGET, sport: 40000, dport, flags: 'S', window: 1024, options: { mss: 1460 }, vlans }), t: t0 + i * 0.01 },
    { frame: tcp({ src: TARGET, dst: SCANNER, sport: dport, dport: 40000, flags: 'RA', ack: 1, vlans }), t: t0 + i * 0.01 + 0.001 },
  ]);
}

/** One forged frame in each of `n` distinct QinQ tag pairs (a tenant flood). */
function tenantFlood(n: number, t0: number): Timed[] {
  const out: Timed[] = [];
  for (let k = 0; k < n; k++) {
    const vlans = [
      { tpid: 0x88a8, vid: 100 + (k >> 12) },
      { tpid: 0x8100, vid: k & 0xfff },
    ];
    out.push({ frame: tcp({ src: '198.19.0.9', dst: TARGET, sport: 1234, dport: 80, flags: 'A', window: 512, vlans }), t: t0 + k * 0.00001 });
  }
  return out;
}

describe('the tenant table ages and reports its overflow', () => {
  it('40,000 forged QinQ tag pairs fill it: two customers then share the key, and their scan says tenant "overflow", not null', () => {
    const frames = [...tenantFlood(40_000, T0), ...qinqScan(7, 10, range(1, 30), T0 + 2), ...qinqScan(7, 20, range(31, 60), T0 + 2.005)].sort((a, b) => a.t - b.t);
    const { engine, detections } = run(frames);
    expect(engine.tenants.size).toBe(engine.tenants.capacity - 2);
    expect(engine.tenants.overflow).toBeGreaterThan(40_000 - engine.tenants.capacity);
    expect(detections.map((d) => d.tenant)).toEqual(['overflow']);
  });

  it('once the flood has been idle for the window, new tenants take its indices and are kept apart again', () => {
    const later = T0 + 2 + 901;
    const frames = [...tenantFlood(40_000, T0), ...qinqScan(7, 10, range(1, 30), later), ...qinqScan(7, 20, range(31, 60), later + 0.005)].sort((a, b) => a.t - b.t);
    const { engine, detections } = run(frames);
    expect(engine.tenants.reclaimed).toBeGreaterThanOrEqual(2);
    expect(detections.map((d) => [d.tenant, d.ports]).sort()).toEqual([
      ['vlan:7.10', 30],
      ['vlan:7.20', 30],
    ]);
  });
});
