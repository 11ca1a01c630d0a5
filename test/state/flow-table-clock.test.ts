import { describe, expect, it } from 'vitest';
import { Flow, FlowTable } from '../../src/state/flow-table.js';

const DAY = 86400;
const T0 = 1_790_000_000; // seconds since the epoch, 2026
const TWO_POW_31_MS_IN_S = 2 ** 31 / 1000; // 24.8 days

/** Seconds as the table takes them: whole seconds and nanoseconds, both integers. */
const split = (t: number): [number, number] => {
  const sec = Math.floor(t);
  return [sec, Math.round((t - sec) * 1e9)];
};

/** The initiators of the flows the table has ended so far (its queue of flows to judge), emptying it. */
function endedInitiators(table: FlowTable): number[] {
  const out: number[] = [];
  while (table.ended.size > 0) {
    out.push(table.ended.initiator(table.ended.oldest));
    table.ended.shift();
  }
  return out;
}

describe('flow table clock after months of uptime (32-bit milliseconds wrap)', () => {
  it('keeps first-seen exact for flows begun past 2^31 ms and past 2^32 ms after the first packet', () => {
    const table = new FlowTable(1024, 10);
    table.insert(1, 2, (1000 << 16) | 80, 6, Flow.PROBE, 0, ...split(T0)); // starts the clock
    for (const offset of [TWO_POW_31_MS_IN_S + 1.25, 30 * DAY + 0.5, 50 * DAY + 0.125, 200 * DAY + 7.75]) {
      const begin = T0 + offset;
      const slot = table.insert(7, 9, (2000 << 16) | 443, 6, Flow.PROBE, 0, ...split(begin));
      expect(table.firstSeen(slot), `first seen ${offset} s after the first packet`).toBe(begin);
      // later packets move the clock on; the flow's start stays where it was
      table.touch(slot, ...split(begin + 5), true);
      table.sweep(...split(begin + 9), 8);
      expect(table.firstSeen(slot)).toBe(begin);
      endedInitiators(table);
    }
  });

  it('still expires idle flows after the wrap, and keeps active ones', () => {
    const table = new FlowTable(64, 10);
    table.insert(1, 2, 3, 6, Flow.PROBE, 0, ...split(T0));
    const later = T0 + 40 * DAY;
    const idle = table.insert(11, 12, 13, 6, Flow.PROBE, 0, ...split(later));
    const active = table.insert(21, 22, 23, 6, Flow.PROBE, 0, ...split(later));
    table.touch(active, ...split(later + 15), true);
    endedInitiators(table);
    table.sweep(...split(later + 20), table.capacity);
    const ended = endedInitiators(table);
    expect(table.find(11, 12, 13, 6)).toBe(-1); // its slot was freed
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(ended).toContain(11);
    expect(ended).not.toContain(21);
    expect(table.initiator(active)).toBe(21);
    expect(table.firstSeen(active)).toBe(later);
  });
});
