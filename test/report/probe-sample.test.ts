/**
 * The per-scan sample behind the HTML plots: bounded, and spread evenly
 * over the whole scan however many probes it had.
 */
import { describe, it, expect } from 'vitest';
import { ProbeSample, SAMPLE_CAPACITY } from '../../src/report/scan-packets.js';

describe('ProbeSample', () => {
  it('keeps every probe while they fit', () => {
    const s = new ProbeSample();
    for (let i = 0; i < SAMPLE_CAPACITY - 1; i++) s.add(i, i % 1000);
    expect(s.t).toHaveLength(SAMPLE_CAPACITY - 1);
    expect(s.v[123]).toBe(123);
    expect(s.seen).toBe(SAMPLE_CAPACITY - 1);
  });

  it('never holds more than its capacity, and stays evenly spread from the first probe to near the last', () => {
    for (const n of [SAMPLE_CAPACITY, 10_000, 123_457, 1_000_000]) {
      const s = new ProbeSample();
      for (let i = 0; i < n; i++) s.add(i, i & 0xffff);
      expect(s.seen).toBe(n);
      expect(s.t.length).toBeLessThan(SAMPLE_CAPACITY);
      expect(s.t.length).toBeGreaterThanOrEqual(SAMPLE_CAPACITY / 4);
      expect(s.t[0]).toBe(0);
      // Evenly spaced by the stride, and the last point within one stride of the end.
      for (let k = 1; k < s.t.length; k++) expect(s.t[k]! - s.t[k - 1]!).toBe(s.stride);
      expect(n - 1 - s.t[s.t.length - 1]!).toBeLessThan(s.stride);
      expect(s.v.length).toBe(s.t.length);
    }
  });
});
