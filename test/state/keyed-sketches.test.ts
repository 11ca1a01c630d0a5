/**
 * The host sketch (beyond 64 exact hosts, a linear-counting bitmap) and
 * the pair filters are keyed with the engine's table key. Unkeyed, a
 * scanner can compute offline which targets hash to the same two bits and
 * scan 500 hosts that are counted as 64 (the exact list, then almost nothing new):
 * the report would understate its reach tenfold. Keyed, the same targets
 * are counted as what they are.
 */
import { describe, expect, it } from 'vitest';
import { mix32 } from '../../src/state/distinct.js';
import { defaultConfig } from '../../src/rules/config.js';
import { ip4Text } from '../engine/packets.js';
import { rawScan, run } from '../engine/traffic.js';

/** Addresses of 10.0.0.0/8 whose unkeyed sketch bit (mix32, 65,536 bits) is one of three: about 768 of them, 500 taken. */
function collidingTargets(): string[] {
  const out: string[] = [];
  for (let a = 10 << 24; a < 11 << 24 && out.length < 500; a++) {
    const bit = mix32(a) & 0xffff;
    if (bit === 0x1234 || bit === 0xbeef || bit === 0x0f0f) out.push(ip4Text(a));
  }
  return out;
}

describe('keyed host sketch', () => {
  const targets = collidingTargets();

  it('the targets collide in the unkeyed sketch (found here, offline)', () => {
    expect(targets).toHaveLength(500);
    expect(new Set(targets.map((t) => mix32(Number(t.split('.').reduce((n, o) => (n << 8) | Number(o), 0))) & 0xffff)).size).toBeLessThanOrEqual(3);
  });

  const scan = () => rawScan({ src: '198.18.0.1', dsts: targets, ports: [445], flags: 'S', seed: 9 });

  it('unkeyed (key 0, as before): a sweep of 500 hosts is counted as 64', () => {
    const config = defaultConfig();
    config.hashSeed = 0;
    const { detections } = run(scan(), config);
    expect(detections.map((d) => [d.type, d.targets])).toEqual([['tcp-syn', 64]]);
  });

  it('keyed with the engine key: the same sweep is counted as about 500', () => {
    for (const seed of [7, 0x9e3779b9]) {
      const config = defaultConfig();
      config.hashSeed = seed;
      const { detections } = run(scan(), config);
      expect(detections).toHaveLength(1);
      // Linear counting over 65,536 bits: about 1% at this count (README).
      expect(Math.abs(detections[0]!.targets - 500)).toBeLessThanOrEqual(25);
    }
  });
});
