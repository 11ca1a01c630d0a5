/** The per-target correlation table: members, contributors, union of ports, bounds and counted evictions. */
import { describe, it, expect } from 'vitest';
import { MemoryBudget } from '../../src/state/memory-budget.js';
import { MEMBERS, TargetTable, WAYS } from '../../src/state/target-table.js';

const cfg = { capacity: 64, window: 900, memberIdle: 60 };

describe('TargetTable', () => {
  it('tracks which sources probed which ports of a target; a source with two contacts is a contributor', () => {
    const t = new TargetTable(cfg, new MemoryBudget(1 << 20));
    let slot = -1;
    for (let s = 0; s < 10; s++) for (let k = 0; k < 4; k++) slot = t.contact(42, 1000 + s, s * 4 + k, s + k * 0.01);
    expect(t.ports(slot)).toBe(40);
    expect(t.members(slot)).toBe(10);
    expect(t.contributors(slot)).toBe(10);
    expect(t.contacts(slot)).toBe(40);
    expect(t.hasMember(slot, 1003)).toBe(true);
    expect(t.hasMember(slot, 999)).toBe(false);
  });

  it('one-contact members can be displaced from a full list, several-contact members cannot (refusals counted)', () => {
    const t = new TargetTable(cfg, new MemoryBudget(1 << 20));
    for (let s = 0; s < MEMBERS; s++) {
      t.contact(7, s, 1, 0);
      t.contact(7, s, 2, 0);
    }
    const slot = t.contact(7, 5000, 3, 1);
    expect(t.membersRefused).toBe(1);
    expect(t.hasMember(slot, 5000)).toBe(false);
    expect(t.contributors(slot)).toBe(MEMBERS);
    // After memberIdle seconds the quiet members may give way.
    t.contact(7, 5001, 4, 100);
    expect(t.membersEvicted).toBe(1);
    expect(t.hasMember(slot, 5001)).toBe(true);
  });

  it('starts a target afresh after the window and evicts the least recently active target of a full set', () => {
    const t = new TargetTable({ ...cfg, capacity: WAYS }, new MemoryBudget(1 << 20));
    for (let k = 0; k < WAYS; k++) t.contact(k, 1, 1, k);
    expect(t.restartingSlot(3, 10), 'a target within its window keeps its counts').toBe(-1);
    const displaced = t.restartingSlot(100, 10);
    expect(displaced, 'the least recently active target of the set').toBe(t.find(0));
    t.contact(100, 1, 1, 10);
    expect(t.evicted).toBe(1);
    expect(t.find(0)).toBe(-1);
    expect(t.find(100)).toBe(displaced);
    expect(t.restartingSlot(1, 10 + 901), 'a target past its window starts afresh').toBe(t.find(1));
    const s = t.contact(1, 2, 9, 10 + 901);
    expect(t.members(s)).toBe(1);
    expect(t.ports(s)).toBe(1);
  });
});
