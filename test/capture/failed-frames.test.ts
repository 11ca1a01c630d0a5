/**
 * A frame the rules throw on costs that frame, not the live sensor: it is
 * skipped and counted, the next frames are analysed, and the error is told
 * at most once a minute (a crafted frame repeated at line rate must not
 * turn the log into the attacker's amplifier).
 */
import { describe, expect, it } from 'vitest';
import { TruncationCounter } from '../../src/capture/live-capture.js';
import type { PacketSink } from '../../src/capture/types.js';
import { RateLimitedTeller } from '../../src/cli/rate-limited-teller.js';

describe('frames the rules throw on', () => {
  it('are skipped and counted; the frames after them still reach the rules', () => {
    const seen: number[] = [];
    const rules: PacketSink = {
      onPacket(_l, data) {
        if (data[0] === 0xee) throw new Error('a bug this frame triggers');
        seen.push(data[0]!);
      },
    };
    const errors: unknown[] = [];
    const sink = new TruncationCounter(rules, (err) => errors.push(err));
    for (const b of [1, 0xee, 2, 0xee, 3]) sink.onPacket(1, Buffer.from([b]), 0, 1, 1, 0, 0);
    expect(seen).toEqual([1, 2, 3]);
    expect(sink.failed).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['a bug this frame triggers', 'a bug this frame triggers']);
  });

  it('are told at most once an interval, with how many were not told since', () => {
    let now = 0;
    const told: [string, number][] = [];
    const teller = new RateLimitedTeller(60_000, (m, n) => told.push([m, n]), () => now);
    for (let i = 0; i < 1000; i++) teller.tell(new Error('boom'));
    now = 61_000;
    teller.tell(new Error('boom again'));
    expect(told).toEqual([
      ['boom', 0],
      ['boom again', 999],
    ]);
  });
});
