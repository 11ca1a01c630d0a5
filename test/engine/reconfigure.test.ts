import { describe, expect, it } from 'vitest';
import { Engine, RestartRequired } from '../../src/engine/engine.js';
import { defaultConfig } from '../../src/rules/config.js';
import { Technique } from '../../src/rules/techniques.js';
import { feed } from './packets.js';
import { T0, hosts, rawScan } from './traffic.js';

/** The defaults with a fixed hash key (a reconfiguration must keep the key). */
const settings = () => ({ ...defaultConfig(), hashSeed: 1 });

/** A raw SYN scan of 30 ports of one host, with every port closed. */
const synScan = (src: string, t0 = T0) => rawScan({ src, dsts: ['198.18.0.10'], ports: Array.from({ length: 30 }, (_, i) => 1000 + i), flags: 'S', t0 });

describe('Engine.reconfigure', () => {
  it('a technique turned off is counted but not reported, and turned on again it is', () => {
    const engine = new Engine(settings());
    const off = settings();
    off.thresholds[Technique.TCP_SYN]!.enabled = false;
    engine.reconfigure(off);
    feed(engine, synScan('198.18.1.1'));
    expect(engine.detections).toHaveLength(0);
    expect(engine.probes[Technique.TCP_SYN]).toBe(30);
    engine.reconfigure(settings());
    feed(engine, synScan('198.18.1.2', T0 + 10));
    engine.finish();
    expect(engine.detections.map((d) => [d.src, d.type])).toEqual([['198.18.1.2', 'tcp-syn']]);
  });

  it('new thresholds reach the verdict', () => {
    const fivePorts = (src: string, t0: number) => rawScan({ src, dsts: ['198.18.0.10'], ports: [21, 22, 23, 25, 80], flags: 'S', t0 });
    const engine = new Engine(settings());
    feed(engine, fivePorts('198.18.1.1', T0));
    expect(engine.detections).toHaveLength(0); // under the default 10 ports, and too few contacts for TRW
    const keen = settings();
    keen.thresholds[Technique.TCP_SYN]!.ports = 3;
    engine.reconfigure(keen);
    feed(engine, fivePorts('198.18.1.2', T0 + 1));
    engine.finish();
    expect(engine.detections.map((d) => [d.src, d.reason])).toEqual([['198.18.1.2', 'distinct-ports']]);
  });

  it('a new window reaches the tenant and target tables', () => {
    const engine = new Engine(settings());
    const next = { ...settings(), window: 120 };
    engine.reconfigure(next);
    expect(engine.tenants.reuseAfter).toBe(120);
    expect(engine.recon.targets.config.window).toBe(120);
    expect(engine.config.window).toBe(120);
  });

  it('a setting only a restart can change is refused, and nothing is applied', () => {
    const engine = new Engine(settings());
    const next = { ...settings(), window: 60, flowCapacity: 1024 };
    expect(() => engine.reconfigure(next)).toThrow(RestartRequired);
    expect(() => engine.reconfigure(next)).toThrow(/flowCapacity/);
    expect(engine.config.window).toBe(900);
    expect(engine.recon.targets.config.window).toBe(900);
    // And the old thresholds still judge.
    feed(engine, rawScan({ src: '198.18.1.1', dsts: hosts('198.18.2', 1, 12), ports: [22], flags: 'S' }));
    engine.finish();
    expect(engine.detections.map((d) => d.type)).toEqual(['tcp-syn']);
  });
});
