/**
 * The hooks' fair queue: a source gets at most its share, sources are
 * served in turn, and events from unverified sources (forged or not)
 * never keep a verified source's event out.
 */
import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../src/response/fair-queue.js';
import { sourceShareKey } from '../../src/response/address-class.js';

function drain<T>(q: FairQueue<T>): T[] {
  const out: T[] = [];
  for (let item = q.shift(); item !== undefined; item = q.shift()) out.push(item);
  return out;
}

describe('FairQueue', () => {
  it('serves sources round-robin, one event each in turn', () => {
    const q = new FairQueue<string>(10, 3);
    for (const [key, item] of [['a', 'a1'], ['a', 'a2'], ['a', 'a3'], ['b', 'b1'], ['c', 'c1'], ['b', 'b2']]) q.push(key!, item!, true);
    expect(drain(q)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
    expect(q.size).toBe(0);
  });

  it('refuses a source beyond its share, and counts it', () => {
    const q = new FairQueue<number>(100, 2);
    for (let i = 0; i < 50; i++) q.push('flooder', i, true);
    expect(q.size).toBe(2);
    expect(q.drops).toEqual({ sourceShare: 48, queueFull: 0, displaced: 0 });
  });

  it('a flood from 120 forged sources, still arriving, cannot keep one verified scanner out: it goes next', () => {
    const q = new FairQueue<string>(100, 2);
    for (let i = 0; i < 120; i++) q.push(`198.18.${i >> 8}.${i & 255}`, `forged ${i}`, false);
    expect(q.size).toBe(100);
    expect(q.drops.queueFull).toBe(20);
    // Served one at a time while the flood goes on at twice the rate.
    const served: string[] = [];
    for (let t = 0; t < 10; t++) {
      served.push(q.shift()!);
      q.push(`198.19.0.${2 * t}`, 'forged late', false);
      q.push(`198.19.0.${2 * t + 1}`, 'forged late', false);
      if (t === 4) expect(q.push('198.18.200.1', 'the real scanner', true)).toBe(true);
    }
    expect(served[5]).toBe('the real scanner');
    expect(q.drops.displaced).toBe(1);
    expect(q.size).toBe(100);
  });

  it('a verified flood from one IPv6 /64 (many addresses) holds two places; the other scanner is served second', () => {
    const q = new FairQueue<string>(100, 2);
    for (let i = 1; i <= 500; i++) q.push(sourceShareKey(`2001:db8:1:2::${i.toString(16)}`), `flood ${i}`, true);
    expect(q.push(sourceShareKey('2001:db8:9::1'), 'the real scanner', true)).toBe(true);
    expect(drain(q)).toEqual(['flood 1', 'the real scanner', 'flood 2']);
    expect(q.drops.sourceShare).toBe(498);
  });

  it('when full, a source holding two more than the newcomer gives way; equal holders do not', () => {
    const q = new FairQueue<string>(4, 4);
    for (let i = 1; i <= 4; i++) q.push('a', `a${i}`, true);
    expect(q.push('b', 'b1', true)).toBe(true);
    // b holds 1, a holds 3: a's newest gives way again, then they are even.
    expect(q.push('b', 'b2', true)).toBe(true);
    expect(q.push('b', 'b3', true)).toBe(false);
    expect(q.drops).toEqual({ sourceShare: 0, queueFull: 1, displaced: 2 });
    expect(drain(q)).toEqual(['a1', 'b1', 'a2', 'b2']);
  });

  it('an unverified event never displaces a verified one', () => {
    const q = new FairQueue<string>(2, 2);
    q.push('x', 'x1', true);
    q.push('y', 'y1', true);
    expect(q.push('z', 'z1', false)).toBe(false);
    expect(q.drops.queueFull).toBe(1);
    expect(drain(q)).toEqual(['x1', 'y1']);
  });

  it('clear() empties it and says how many waited', () => {
    const q = new FairQueue<string>(10, 2);
    q.push('a', 'a', true);
    q.push('b', 'b', false);
    expect(q.clear()).toBe(2);
    expect(q.shift()).toBeUndefined();
    // Emptied, it takes events again.
    expect(q.push('a', 'again', false)).toBe(true);
    expect(q.shift()).toBe('again');
  });

  it('rejects a limit or share below one', () => {
    expect(() => new FairQueue(0, 1)).toThrow(/at least 1/);
    expect(() => new FairQueue(1, 0)).toThrow(/at least 1/);
  });
});
