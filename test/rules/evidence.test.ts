/**
 * Severity weighs the evidence with the direction: a scan by its counts
 * alone is never critical, one probe never above medium; verified, answered
 * or overwhelming scans, pattern rules and decoy hits keep the direction's
 * severity.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { detectionReport, type DetectionReport } from '../../src/report/report.js';
import { defaultConfig } from '../../src/rules/config.js';
import { severityOf, sitePolicy } from '../../src/rules/policy.js';
import { feed, tcp, type Timed } from '../engine/packets.js';
import { rawScan, T0 } from '../engine/traffic.js';

const HOME = ['198.18.0.0/15'];
const INSIDE = '198.18.3.3';
const TARGET = '198.18.0.2';

function analyse(frames: Timed[], honeyPorts: string[] = []): DetectionReport[] {
  const config = defaultConfig();
  config.hashSeed = 5;
  const engine = new Engine(config);
  const policy = sitePolicy(HOME, [], [], [], honeyPorts);
  engine.useDeception(policy.darkNet, policy.honeyPorts);
  feed(engine, frames);
  engine.finish();
  return engine.detections.map((d) => detectionReport(d, policy));
}

const nulls = (src: string, ports: number[]): Timed[] => ports.map((dport, i) => ({ frame: tcp({ src, dst: TARGET, sport: 4000 + i, dport, flags: '', seq: 7, window: 1024 }), t: T0 + i * 0.01 }));

describe('confidence and severity', () => {
  it('the table: a medium-confidence scan is at most high, a low one at most medium; high keeps the direction', () => {
    expect(severityOf('internal', 'distinct-ports', 'high')).toBe('critical');
    expect(severityOf('internal', 'distinct-ports', 'medium')).toBe('high');
    expect(severityOf('internal', 'confirmed-scanner', 'low')).toBe('medium');
    expect(severityOf('inbound', 'distinct-ports', 'medium')).toBe('medium');
    expect(severityOf('external', 'distinct-ports', 'low')).toBe('low');
    expect(severityOf('internal', 'honey-port', 'high')).toBe('critical');
  });

  it('three unanswered NULL probes from an internal host (forgeable): medium confidence, high, not critical', () => {
    const ds = analyse(nulls(INSIDE, [1, 2, 3]));
    expect(ds.map((d) => [d.type, d.direction, d.confidence, d.severity])).toEqual([['tcp-null', 'internal', 'medium', 'high']]);
  });

  it('an internal nmap -sS that drew SYN-ACKs and reset them (verified): high confidence, critical', () => {
    const ds = analyse(rawScan({ src: INSIDE, dsts: [TARGET], ports: Array.from({ length: 50 }, (_, i) => 1 + i), flags: 'S', open: new Set(['22']) }));
    expect(ds.map((d) => [d.type, d.source_verified, d.confidence, d.severity])).toEqual([['tcp-syn', true, 'high', 'critical']]);
  });

  it('one NULL probe from a source already reported (nmap -O\'s T2): low confidence, at most medium', () => {
    const scan = rawScan({ src: INSIDE, dsts: [TARGET], ports: Array.from({ length: 50 }, (_, i) => 100 + i), flags: 'S' });
    const ds = analyse([...scan, ...nulls(INSIDE, [22]).map((f) => ({ ...f, t: f.t + 2 }))]);
    const odd = ds.find((d) => d.type === 'tcp-null');
    expect(odd).toMatchObject({ probes: 1, reason: 'confirmed-scanner', confidence: 'low', severity: 'medium' });
  });

  it('a single probe to a honey port from inside: a decoy hit, high confidence, critical', () => {
    const ds = analyse([{ frame: tcp({ src: INSIDE, dst: TARGET, sport: 5555, dport: 2323, flags: 'S', window: 64240 }), t: T0 }], ['2323']);
    expect(ds.map((d) => [d.reason, d.confidence, d.severity])).toEqual([['honey-port', 'high', 'critical']]);
  });
});
