/**
 * Issue 8 item 8: deception fires on the first probe. One probe to a
 * --dark-net address or a --honey-port is a detection with its own reason
 * and a high severity; without the options the same probe stays quiet.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { CidrSet } from '../../src/rules/cidr.js';
import { parsePorts, sitePolicy } from '../../src/rules/policy.js';
import { detectionReport } from '../../src/report/report.js';
import { buildPcap } from '../capture/build-capture.js';
import { arp, echo, feed, splitTime, tcp, type Timed, udp } from './packets.js';
import { T0 } from './traffic.js';

const PROBER = '203.0.113.7';

function analyse(frames: Timed[], darkNet: string[], honeyPorts: number[]) {
  const engine = new Engine();
  engine.useDeception(new CidrSet(darkNet), honeyPorts);
  feed(engine, frames);
  engine.finish();
  const policy = sitePolicy(['198.18.0.0/15'], [], [], darkNet, honeyPorts.map(String));
  return engine.detections.map((d) => detectionReport(d, policy));
}

describe('deception: dark-net addresses and honey ports (issue 8 item 8)', () => {
  const oneSyn: Timed[] = [{ frame: tcp({ src: PROBER, dst: '198.18.9.77', sport: 40000, dport: 22, flags: 'S', window: 64240 }), t: T0 }];

  it('one SYN to a dark-net address: a detection, reason dark-net, severity high', () => {
    const ds = analyse(oneSyn, ['198.18.9.0/24'], []);
    expect(ds.map((d) => [d.src, d.type, d.reason, d.direction, d.severity, d.probes])).toEqual([[PROBER, 'tcp-syn', 'dark-net', 'inbound', 'high', 1]]);
    expect(ds[0]!.targets_sample).toEqual(['198.18.9.77']);
  });

  it('one probe names no tool, even with a scanner\'s window: a tool is told by several consistent packets', () => {
    const nmapLike: Timed[] = [{ frame: tcp({ src: PROBER, dst: '198.18.9.77', sport: 40000, dport: 22, flags: 'S', window: 1024, options: { mss: 1460 } }), t: T0 }];
    const ds = analyse(nmapLike, ['198.18.9.0/24'], []);
    expect(ds.map((d) => [d.reason, d.tool])).toEqual([['dark-net', null]]);
  });

  it('the same SYN without --dark-net, or to a used address, is not reported', () => {
    expect(analyse(oneSyn, [], [])).toEqual([]);
    expect(analyse(oneSyn, ['198.18.10.0/24'], [])).toEqual([]);
  });

  it('one UDP datagram to a honey port: reason honey-port; a client of another port stays quiet', () => {
    const frames: Timed[] = [
      { frame: udp({ src: PROBER, dst: '198.18.0.5', sport: 40001, dport: 1900, payload: 20 }), t: T0 },
      { frame: udp({ src: '203.0.113.8', dst: '198.18.0.5', sport: 40002, dport: 53, payload: 20 }), t: T0 + 0.1 },
    ];
    const ds = analyse(frames, [], [23, 1900]);
    expect(ds.map((d) => [d.src, d.type, d.reason, d.severity])).toEqual([[PROBER, 'udp', 'honey-port', 'high']]);
  });

  it('a ping and an ARP who-has for a dark-net address are detections too; an internal prober is critical', () => {
    const frames: Timed[] = [
      { frame: echo({ src: PROBER, dst: '198.18.9.1', id: 1, seq: 1 }), t: T0 },
      { frame: arp({ op: 1, senderIp: '198.18.0.20', targetIp: '198.18.9.2' }), t: T0 + 1 },
    ];
    const ds = analyse(frames, ['198.18.9.0/24'], []);
    expect(ds.map((d) => [d.src, d.type, d.reason, d.severity])).toEqual([
      [PROBER, 'icmp-sweep', 'dark-net', 'high'],
      ['198.18.0.20', 'arp-sweep', 'dark-net', 'critical'],
    ]);
  });

  it('a source that probes a honey port after other ports is reported once, when it does', () => {
    const frames: Timed[] = [22, 80, 23].map((dport, i) => ({ frame: tcp({ src: PROBER, dst: '198.18.0.5', sport: 40000, dport, flags: 'S', window: 1024, options: { mss: 1460 } }), t: T0 + i }));
    const ds = analyse(frames, [], [23]);
    expect(ds.map((d) => [d.reason, d.probes, d.detected_after_probes])).toEqual([['honey-port', 3, 3]]);
  });

  it('bad --honey-port values are one-line errors', () => {
    expect(parsePorts(['23', '2323,5900'])).toEqual([23, 2323, 5900]);
    expect(() => parsePorts(['70000'])).toThrow(/^--honey-port: "70000" is not a port number \(0-65535\)$/);
    expect(() => parsePorts(['telnet'])).toThrow(/not a port number/);
  });

  it('the CLI: analyze --dark-net ... --honey-port ... reports the probes; a bad port exits 2 with one line', () => {
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const main = path.join(repo, 'dist/cli/main.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-decoy-'));
    const file = path.join(dir, 'decoy.pcap');
    const frames: Timed[] = [...oneSyn, { frame: tcp({ src: '203.0.113.9', dst: '198.18.0.5', sport: 40000, dport: 2323, flags: 'S', window: 64240 }), t: T0 + 1 }];
    fs.writeFileSync(file, buildPcap(frames.map(({ frame, t }) => ({ sec: splitTime(t)[0], frac: splitTime(t)[1] / 1000, data: frame }))));
    const r = spawnSync(process.execPath, [main, 'analyze', file, '--format', 'json', '--dark-net', '198.18.9.0/24', '--honey-port', '23,2323'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { detections: { src: string; reason: string; severity: string }[] };
    expect(report.detections.map((d) => [d.src, d.reason, d.severity])).toEqual([
      [PROBER, 'dark-net', 'high'],
      ['203.0.113.9', 'honey-port', 'high'],
    ]);
    const bad = spawnSync(process.execPath, [main, 'analyze', file, '--honey-port', 'ssh'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--honey-port: "ssh" is not a port number/);
    fs.rmSync(dir, { recursive: true });
  });
});
