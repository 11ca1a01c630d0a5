/**
 * Item 9 of issue 8: the flow, probation and source tables hash with a key
 * drawn per process, so a spoofer cannot compute which slot a scanner's
 * entry occupies and overwrite it (a targeted-collision flood). Each test
 * crafts the flood against a KNOWN key, shows that it erases the scanner
 * under that key (so the test bites), and that under a random key it does
 * not.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { defaultConfig, type EngineConfig } from '../../src/rules/config.js';
import { FlowTable } from '../../src/state/flow-table.js';
import { Probation } from '../../src/state/probation.js';
import { ip4, ip4Text, type Timed, tcp } from '../engine/packets.js';
import { run, T0 } from '../engine/traffic.js';

const KNOWN_KEY = 0x5eed1234;
const SCANNER = '198.18.0.1';
const TARGET = '198.18.0.2';

/** Addresses in 198.18.0.0/15 (after the first 256) for which `collides` holds. */
function craft(collides: (addr: number) => boolean, n: number): number[] {
  const out: number[] = [];
  for (let a = ip4('198.18.1.0'); a <= ip4('198.19.255.255') && out.length < n; a++) if (collides(a | 0)) out.push(a | 0);
  expect(out.length, 'enough colliding addresses in 198.18.0.0/15').toBe(n);
  return out;
}

describe('keyed hashing against a targeted-collision flood', () => {
  it('probation: two spoofed SYNs into the scanner set after each probe keep it out of sight only under the known key', () => {
    const capacity = 4096;
    const known = new Probation(capacity, KNOWN_KEY);
    const scannerSet = known.setOf(ip4(SCANNER) | 0);
    // Probation is 2-way set-associative and overwrites the older probe of a
    // full set: the attacker needs two sources that hash to the scanner's set.
    const spoofed = craft((a) => known.setOf(a) === scannerSet, 2);
    // SYN scan of 100 closed ports; after each probe, before the RST comes
    // back, two spoofed SYNs whose sources hash to the scanner's set.
    const frames: Timed[] = [];
    for (let i = 0; i < 100; i++) {
      const t = T0 + i * 0.01;
      frames.push({ frame: tcp({ src: SCANNER, dst: TARGET, sport: 40000, dport: 1 + i, flags: 'S', window: 1024, options: { mss: 1460 } }), t });
      for (const [k, a] of spoofed.entries()) {
        frames.push({ frame: tcp({ src: ip4Text(a), dst: '198.18.0.3', sport: 1024 + i, dport: 80, flags: 'S', window: 1024 }), t: t + 0.001 * (k + 1) });
      }
      frames.push({ frame: tcp({ src: TARGET, dst: SCANNER, sport: 1 + i, dport: 40000, flags: 'RA', ack: 1 }), t: t + 0.003 });
    }
    const cfg = (hashSeed?: number): EngineConfig => ({ ...defaultConfig(), probationCapacity: capacity, ...(hashSeed === undefined ? {} : { hashSeed }) });

    const underKnownKey = run(frames, cfg(KNOWN_KEY));
    expect(underKnownKey.detections.filter((d) => d.src === SCANNER)).toEqual([]);
    expect(underKnownKey.engine.probation.overwritten).toBeGreaterThanOrEqual(199);

    // A random key (drawn by the engine): the crafted source lands elsewhere.
    // (With probability 1/capacity the draw makes it collide anyway; then draw again.)
    let underRandomKey = run(frames, cfg());
    const inScannerSet = (r: typeof underRandomKey, a: number): boolean => r.engine.probation.setOf(a) === r.engine.probation.setOf(ip4(SCANNER) | 0);
    while (spoofed.every((a) => inScannerSet(underRandomKey, a))) underRandomKey = run(frames, cfg());
    expect(underRandomKey.engine.hashSeed).not.toBe(KNOWN_KEY);
    const found = underRandomKey.detections.filter((d) => d.src === SCANNER);
    expect(found.map((d) => [d.type, d.ports])).toEqual([['tcp-syn', 100]]);
  });

  it('flow table: four spoofed flows into the set of a scanner flow evict it only under the known key', () => {
    const scanner = ip4(SCANNER) | 0;
    const target = ip4(TARGET) | 0;
    const ports = (40000 << 16) | 443;
    const attempt = (key: number): number => {
      const flows = new FlowTable(4096, 10, key);
      flows.insert(scanner, target, ports, 6, 0, 0, T0);
      const knownTable = new FlowTable(4096, 10, KNOWN_KEY);
      const set = knownTable.setOf(scanner, target, ports, 6);
      const crafted = craft((a) => a !== scanner && knownTable.setOf(a, target, ports, 6) === set, 8);
      crafted.forEach((a, i) => flows.insert(a, target, ports, 6, 0, 0, T0 + 0.001 * (i + 1)));
      return flows.find(scanner, target, ports, 6);
    };
    expect(attempt(KNOWN_KEY)).toBe(-1);
    // With a random key each crafted flow lands in a random one of 1024 sets:
    // the scanner's flow is evicted only if four of eight land in its set (about 1e-10).
    const engineKey = new Engine().hashSeed;
    expect(attempt(engineKey)).toBeGreaterThanOrEqual(0);
  });

  it('each engine draws its own key unless the config sets one', () => {
    const keys = new Set(Array.from({ length: 8 }, () => new Engine().hashSeed));
    expect(keys.size).toBeGreaterThan(1);
    expect(new Engine({ ...defaultConfig(), hashSeed: 7 }).hashSeed).toBe(7);
  });
});
