/**
 * The per-source sets a scan's findings grow (open services, live hosts,
 * open|filtered ports) and the packet index a detection keeps are charged
 * to the memory budget: a flood of scans that each find much cannot grow
 * the sensor past what it was given, and what a bound left out is said.
 */
import { describe, expect, it } from 'vitest';
import { ChargedSet } from '../../src/state/charged-set.js';
import { MemoryBudget } from '../../src/state/memory-budget.js';
import { PACKET_INDEX_CAPACITY, PacketIndex, PacketRole } from '../../src/state/packet-index.js';
import { TechniqueState } from '../../src/state/technique-state.js';

describe('ChargedSet', () => {
  it('charges each new entry, not a repeated one, and gives it all back on release', () => {
    const budget = new MemoryBudget(1 << 20);
    const set = new ChargedSet<number>(budget, 1000, false);
    for (let i = 0; i < 100; i++) set.add(i);
    const perEntry = budget.used / 100;
    expect(perEntry).toBeGreaterThan(0);
    for (let i = 0; i < 100; i++) expect(set.add(i)).toBe(false);
    expect(budget.used).toBe(100 * perEntry);
    set.release();
    expect(budget.used).toBe(0);
  });

  it('stops at its limit and says so (counts built on it are lower bounds)', () => {
    const budget = new MemoryBudget(1 << 20);
    const set = new ChargedSet<number>(budget, 10, false);
    for (let i = 0; i < 50; i++) set.add(i);
    expect(set.size).toBe(10);
    expect(set.full).toBe(true);
    expect(set.has(49)).toBe(false);
  });

  it('stops when the budget refuses, and the budget counts the refusal', () => {
    const budget = new MemoryBudget(1000);
    const set = new ChargedSet<string>(budget, 1 << 16, true);
    let taken = 0;
    for (let i = 0; i < 1000; i++) if (set.add(`198.18.0.${i % 250}:${i}`)) taken++;
    expect(taken).toBeLessThan(1000);
    expect(taken).toBe(set.size);
    expect(set.full).toBe(true);
    expect(budget.used).toBeLessThanOrEqual(1000);
    expect(budget.refused).toBeGreaterThan(0);
  });
});

describe('a technique state charges its findings', () => {
  it('open services and live hosts draw from the budget; reset gives it back; a bound marks the findings', () => {
    const budget = new MemoryBudget(1 << 24);
    const st = new TechniqueState(0, budget);
    const before = budget.used;
    for (let port = 1; port <= 500; port++) st.addOpenService(port, '198.18.0.2');
    for (let host = 1; host <= 500; host++) st.addLiveHost(host, () => `198.18.1.${host}`);
    expect(budget.used - before).toBeGreaterThan(500 * 2 * 16);
    expect(st.findingsBounded).toBe(false);
    st.reset();
    expect(budget.used).toBe(before);

    const tight = new MemoryBudget(budget.used + 2000);
    const small = new TechniqueState(0, tight);
    for (let port = 1; port <= 500; port++) small.addOpenService(port, '198.18.0.2');
    expect(small.findingsBounded).toBe(true);
    expect(tight.used).toBeLessThanOrEqual(tight.limitBytes);
  });
});

describe('PacketIndex', () => {
  it('keeps every packet of a small scan, in input order, once each', () => {
    const index = new PacketIndex(new MemoryBudget(1 << 20));
    for (let i = 0; i < 100; i++) {
      index.add(10 + 2 * i, PacketRole.PROBE);
      index.add(11 + 2 * i, PacketRole.ANSWER);
    }
    index.add(-1, PacketRole.PROBE); // no packet: ignored
    const { ordinals, roles } = index.sorted();
    expect(ordinals.length).toBe(200);
    expect(ordinals[0]).toBe(10);
    expect(ordinals[199]).toBe(209);
    expect(roles.slice(0, 2)).toEqual([PacketRole.PROBE, PacketRole.ANSWER]);
  });

  it('a million packets: bounded, the head whole, the rest sampled over the whole run, counted', () => {
    const budget = new MemoryBudget(1 << 20);
    const index = new PacketIndex(budget);
    for (let i = 0; i < 1_000_000; i++) index.add(i, PacketRole.PROBE);
    const { ordinals } = index.sorted();
    expect(ordinals.length).toBeLessThanOrEqual(PACKET_INDEX_CAPACITY);
    expect(ordinals.slice(0, PACKET_INDEX_CAPACITY / 2)).toEqual([...Array(PACKET_INDEX_CAPACITY / 2).keys()]);
    expect(ordinals[ordinals.length - 1]).toBeGreaterThan(990_000);
    expect(index.seen).toBe(1_000_000);
    expect(index.seen - index.kept).toBeGreaterThan(990_000);
    expect(budget.used).toBeLessThanOrEqual(PACKET_INDEX_CAPACITY * 8);
    index.reset();
    expect(budget.used).toBe(0);
  });

  it('samples within its eight inline entries when the budget refuses to grow it', () => {
    const budget = new MemoryBudget(0);
    const index = new PacketIndex(budget);
    for (let i = 0; i < 10_000; i++) index.add(i, PacketRole.PROBE);
    expect(index.kept).toBeLessThanOrEqual(8);
    expect(index.sorted().ordinals[0]).toBe(0);
    expect(index.seen).toBe(10_000);
    expect(budget.used).toBe(0);
  });
});
