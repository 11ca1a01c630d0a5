import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/state/key-index.js';

describe('KeyIndex (open addressing, backward-shift deletion)', () => {
  it('agrees with a Map through a long random mix of sets and deletes', () => {
    const idx = new KeyIndex(2000);
    const ref = new Map<number, number>();
    let seed = 12345;
    const rand = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) | 0;
      return seed >>> 0;
    };
    // Signed IPv4 keys and IPv6-style keys (2^32 + signed hash), few distinct so collisions are common.
    for (let i = 0; i < 200_000; i++) {
      const k = rand() % 2 === 0 ? (rand() % 3000) - 1500 : 2 ** 32 + ((rand() % 3000) - 1500);
      const op = rand() % 3;
      if (op === 0 && ref.size < 2000) {
        idx.set(k, i);
        ref.set(k, i);
      } else if (op === 1) {
        expect(idx.delete(k)).toBe(ref.delete(k));
      } else {
        expect(idx.get(k)).toBe(ref.get(k) ?? -1);
      }
      expect(idx.size).toBe(ref.size);
    }
    for (const [k, v] of ref) expect(idx.get(k)).toBe(v);
  });
});
