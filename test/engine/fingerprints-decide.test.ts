/**
 * Issue 8 item 7: tool fingerprints decide. Probes only a scanner builds are
 * probes whatever their outcome; masscan --banners (its own TCP stack
 * completes handshakes) is a masscan tcp-syn scan; a raw-socket SYN scan
 * with a kernel-like option set is tcp-syn, because its initiator resets
 * the SYN-ACK (half-open); only the kernel's connect() makes tcp-connect.
 */
import { describe, expect, it } from 'vitest';
import type { DetectionReport } from '../../src/report/report.js';
import { LINUX_SYN_OPTIONS, LINUX_SYNACK_OPTIONS, ip4, tcp, type Timed } from './packets.js';
import { T0, connectScan, hosts, range, rawScan, run } from './traffic.js';

const SCANNER = '198.18.0.1';
const TARGET = '198.18.0.2';

function only(ds: DetectionReport[]): DetectionReport {
  expect(ds.map((d) => `${d.src} ${d.type} ${d.pattern}`)).toHaveLength(1);
  return ds[0]!;
}

/**
 * masscan --banners: SYN with masscan's IP ID (dst ^ dport ^ seq), and on
 * a SYN-ACK masscan's own stack ACKs, sends its banner probe and closes;
 * closed ports RST. `open` of the ports answer.
 */
function masscanBanners(dst: string, ports: number[], open: Set<number>): Timed[] {
  const out: Timed[] = [];
  ports.forEach((dport, i) => {
    const t = T0 + i * 0.002;
    const seq = (0x10000000 + dport * 7919) >>> 0;
    const ipId = (ip4(dst) ^ dport ^ seq) & 0xffff;
    const c = { src: SCANNER, dst, sport: 61000, dport };
    const s = { src: dst, dst: SCANNER, sport: dport, dport: 61000 };
    out.push({ frame: tcp({ ...c, flags: 'S', seq, window: 1024, options: Buffer.alloc(0), ipId, ttl: 255 }), t });
    if (!open.has(dport)) {
      out.push({ frame: tcp({ ...s, flags: 'RA', seq: 0, ack: seq + 1, window: 0 }), t: t + 0.0003 });
      return;
    }
    const sseq = 0x20000000 + dport;
    out.push({ frame: tcp({ ...s, flags: 'SA', seq: sseq, ack: seq + 1, window: 65160, options: LINUX_SYNACK_OPTIONS }), t: t + 0.0003 });
    out.push({ frame: tcp({ ...c, flags: 'A', seq: seq + 1, ack: sseq + 1, window: 1024, ipId: (ipId + 1) & 0xffff }), t: t + 0.0004 });
    out.push({ frame: tcp({ ...c, flags: 'PA', seq: seq + 1, ack: sseq + 1, window: 1024, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') }), t: t + 0.0005 });
    out.push({ frame: tcp({ ...s, flags: 'PA', seq: sseq + 1, ack: seq + 19, window: 509, payload: 200 }), t: t + 0.0008 });
    out.push({ frame: tcp({ ...c, flags: 'RA', seq: seq + 19, ack: sseq + 201, window: 0 }), t: t + 0.0009 });
  });
  return out;
}

describe('tool fingerprints decide (issue 8 item 7)', () => {
  it('masscan --banners over 30 ports, every one open and answered: a masscan tcp-syn scan, not exonerated by its successes', () => {
    const open = new Set(range(1, 30));
    const d = only(run(masscanBanners(TARGET, range(1, 30), open)).detections);
    expect(d.type).toBe('tcp-syn');
    expect(d.tool).toBe('masscan');
    expect(d.ports).toBe(30);
    expect(d.open_ports).toEqual([...open]);
    // the first contact is made while the source is in probation, where handshakes are not counted
    expect(d.handshakes_completed).toBeGreaterThanOrEqual(29);
  });

  it('zmap over 35 hosts on 443, every one open: probes whatever their outcome (tcp-syn, zmap)', () => {
    const dsts = hosts('198.18.2', 1, 35);
    const frames = rawScan({ src: SCANNER, dsts, ports: [443], flags: 'S', window: 65535, options: Buffer.alloc(0), ipId: () => 54321, open: new Set(['443']) });
    const d = only(run(frames).detections);
    expect(d.type).toBe('tcp-syn');
    expect(d.tool).toBe('zmap');
    expect(d.targets).toBe(35);
    expect(d.answered).toBeGreaterThanOrEqual(34);
  });

  it('nmap raw SYNs (window 1024, lone MSS) to 12 ports, all open: tcp-syn nmap whatever the outcome', () => {
    const frames = rawScan({ src: SCANNER, dsts: [TARGET], ports: range(1, 12), flags: 'S', window: 1024, open: new Set(range(1, 12).map(String)) });
    const d = only(run(frames).detections);
    expect([d.type, d.tool, d.ports]).toEqual(['tcp-syn', 'nmap', 12]);
  });

  it('a raw SYN scan with a kernel-like option set (SACK, timestamps, window scale) whose SYN-ACKs the initiator resets is tcp-syn', () => {
    const frames = rawScan({
      src: SCANNER,
      dsts: [TARGET],
      ports: range(1, 100),
      flags: 'S',
      window: 64240,
      options: LINUX_SYN_OPTIONS,
      open: new Set(['22', '25', '80', '99']),
    });
    const d = only(run(frames).detections);
    expect(d.type).toBe('tcp-syn');
    expect(d.tool).toBeNull();
    expect(d.half_open).toBe(4);
    expect(d.open_ports).toEqual([22, 25, 80, 99]);
  });

  it('the same option set through the kernel (handshakes completed) stays tcp-connect', () => {
    const d = only(run(connectScan({ src: SCANNER, dst: TARGET, ports: range(1, 100), open: new Set([22, 25, 80, 99]) })).detections);
    expect(d.type).toBe('tcp-connect');
    expect(d.handshakes_completed).toBe(4);
  });

  it('half-open contacts with one open service are not enough to rename a connect() scan (nmap -O probes one port)', () => {
    const frames = rawScan({ src: SCANNER, dsts: [TARGET], ports: range(1, 100), flags: 'S', window: 64240, options: LINUX_SYN_OPTIONS, open: new Set(['80']) });
    expect(only(run(frames).detections).type).toBe('tcp-connect');
  });

  it('with no SYN-ACK to go by, the option set is the fallback: a kernel-like SYN to closed ports is tcp-connect', () => {
    const frames = rawScan({ src: SCANNER, dsts: [TARGET], ports: range(1, 100), flags: 'S', window: 64240, options: LINUX_SYN_OPTIONS });
    expect(only(run(frames).detections).type).toBe('tcp-connect');
  });
});
