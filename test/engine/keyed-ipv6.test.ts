/**
 * The IPv6 address hash is keyed with the engine's random table key. With
 * the fixed seed it had before (0x2f0f3a5b), anyone can compute two
 * addresses with the same hash offline (a birthday search of about 2^16
 * addresses, done here in a fraction of a second): the attacker then scans
 * from one, and the scan lands in the record of the other, a victim that
 * had spoken first, and is reported under the victim's address. Keyed, the
 * same two addresses are two sources.
 */
import { describe, expect, it } from 'vitest';
import { formatIpv6Key, hashIpv6 } from '../../src/decode/address.js';
import { defaultConfig } from '../../src/rules/config.js';
import { ip6 } from './packets.js';
import { connectScan, merge, rawScan, run, T0 } from './traffic.js';

/** The seed the hash had when it was not keyed. */
const OLD_FIXED_SEED = 0x2f0f3a5b;

/**
 * Two distinct addresses of 2001:db8:66::/48 with the same hash under `key`
 * (a birthday search). They differ in two 32-bit words: within one word
 * every step of the hash is a bijection, so there is nothing to find.
 */
function collision(key: number): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const a = `2001:db8:66:${(i & 0xffff).toString(16)}::${(i >>> 16).toString(16)}`;
    const h = hashIpv6(ip6(a), 0, key);
    const other = seen.get(h);
    // As reports write them (RFC 5952).
    if (other !== undefined) return [formatIpv6Key(ip6(other).toString('hex')), formatIpv6Key(ip6(a).toString('hex'))];
    seen.set(h, a);
  }
}

describe('keyed IPv6 hash', () => {
  const [victim, attacker] = collision(OLD_FIXED_SEED);
  const TARGET = '2001:db8::2';

  /** The victim talks first (two ordinary connections: a full record), then the attacker scans 200 closed ports. */
  function frames() {
    return merge(
      connectScan({ src: victim, dst: TARGET, ports: [80, 443], open: new Set([80, 443]), t0: T0 }),
      rawScan({ src: attacker, dsts: [TARGET], ports: Array.from({ length: 200 }, (_, i) => 1000 + i), flags: 'S', t0: T0 + 1, seed: 4 }),
    );
  }

  it('the old fixed seed has computable collisions (found in this test)', () => {
    expect(victim).not.toBe(attacker);
    expect(hashIpv6(ip6(victim), 0, OLD_FIXED_SEED)).toBe(hashIpv6(ip6(attacker), 0, OLD_FIXED_SEED));
  });

  it('with the old fixed seed, the collision blames the victim for the scan (what the key prevents)', () => {
    const config = defaultConfig();
    config.hashSeed = OLD_FIXED_SEED;
    const srcs = run(frames(), config).detections.map((d) => d.src);
    expect(srcs).toContain(victim);
    expect(srcs).not.toContain(attacker);
  });

  it('with the engine key, the same addresses are two sources: the scan is the attacker\'s, the victim is not reported', () => {
    for (const seed of [1, 0x9e3779b9, 20261207]) {
      const config = defaultConfig();
      config.hashSeed = seed;
      expect(hashIpv6(ip6(victim), 0, seed)).not.toBe(hashIpv6(ip6(attacker), 0, seed));
      const srcs = run(frames(), config).detections.map((d) => d.src);
      expect(srcs).toEqual([attacker]);
    }
  });

  it('an engine draws its key at random when none is set', () => {
    const { engine: a } = run([]);
    const { engine: b } = run([]);
    expect(a.hashSeed).not.toBe(b.hashSeed);
    expect(a.decoder.ipv6HashKey).toBe(a.hashSeed);
  });
});
