/**
 * The long-horizon tier on its own: exact ports, the slow-scan test,
 * admission and eviction under a flood of one-failure newcomers, horizon
 * expiry, and the fixed memory bound.
 */
import { describe, it, expect } from 'vitest';
import { ENTRY_BYTES, LongHorizonTable, Outcome, WAYS, defaultLongHorizonConfig } from '../../src/state/long-horizon.js';

const HOST = 0xc6120002 | 0; // 198.18.0.2
const DAY = 86400;

function table(capacity: number): LongHorizonTable {
  return new LongHorizonTable({ ...defaultLongHorizonConfig(), capacity });
}

describe('LongHorizonTable', () => {
  it('counts distinct ports exactly and crosses the slow-scan test once, at the 20th failed port of one host', () => {
    const lh = table(64);
    let crossedAt = -1;
    for (let i = 0; i < 40; i++) {
      const slot = lh.contact(7, 0, HOST, 1000 + i, Outcome.REJECTED, 1, i * 1500);
      expect(slot).toBeGreaterThanOrEqual(0);
      if (lh.crossed) {
        expect(crossedAt).toBe(-1);
        crossedAt = i;
      }
      lh.contact(7, 0, HOST, 1000 + i, Outcome.REJECTED, 1, i * 1500 + 1); // a retry: same pair
    }
    expect(crossedAt).toBe(19);
    const s = lh.summary(lh.find(7, 0));
    expect(s.ports).toBe(40);
    expect(s.pairs).toBe(40);
    expect(s.hosts).toBe(1);
    expect(s.probes).toBe(80);
    expect(s.rejected).toBe(80);
    expect(s.exact).toBe(true);
    expect(s.tool).toBe(1);
  });

  it('keeps open ports and does not report a source whose contacts mostly succeed', () => {
    const lh = table(64);
    for (let i = 0; i < 40; i++) lh.contact(9, 0, HOST, 2000 + i, i % 4 === 0 ? Outcome.REJECTED : Outcome.ANSWERED, 0, i * 1000);
    const s = lh.summary(lh.find(9, 0));
    expect(s.ports).toBe(40);
    expect(s.failedPairs).toBe(10);
    expect(s.openPorts).toEqual([2001, 2002, 2003, 2005, 2006, 2007, 2009, 2010]); // the first OPEN_MAX
    expect(lh.crossed).toBe(false);
  });

  it('does not report failures spread one port per host (a peer-to-peer client)', () => {
    const lh = table(64);
    let crossed = false;
    for (let i = 0; i < 200; i++) {
      lh.contact(11, 0, HOST + i, 6881 + i, Outcome.SILENT, 0, i * 400);
      crossed ||= lh.crossed;
    }
    expect(crossed).toBe(false);
    const s = lh.summary(lh.find(11, 0));
    expect(s.hosts).toBeGreaterThan(150); // estimated past 16 hosts
    expect(s.exact).toBe(false);
  });

  it('a flood of one-failure newcomers churns only unprotected ways: a source with two failures stays, evictions counted', () => {
    const lh = table(WAYS); // one set: every newcomer competes with the scanner
    expect(lh.capacity).toBe(WAYS);
    lh.contact(1, 0, HOST, 1, Outcome.REJECTED, 0, 0);
    lh.contact(1, 0, HOST, 2, Outcome.REJECTED, 0, 1200);
    for (let k = 2; k < 100_002; k++) lh.contact(1000 + k, 0, HOST, 80, Outcome.REJECTED, 0, 1200 + k * 0.01);
    expect(lh.find(1, 0)).toBeGreaterThanOrEqual(0);
    expect(lh.evicted).toBe(100_000 - (WAYS - 1));
    expect(lh.refused).toBe(0);
    expect(lh.size).toBe(WAYS);
  });

  it('refuses a newcomer when every way holds a recently active source of several failures (counted)', () => {
    const lh = table(WAYS);
    for (let k = 0; k < WAYS; k++) {
      lh.contact(k, 0, HOST, 1, Outcome.REJECTED, 0, 10);
      lh.contact(k, 0, HOST, 2, Outcome.REJECTED, 0, 20);
    }
    expect(lh.contact(99, 0, HOST, 1, Outcome.REJECTED, 0, 30)).toBe(-1);
    expect(lh.refused).toBe(1);
    // Idle past idleProtect, a protected entry may be displaced.
    expect(lh.contact(99, 0, HOST, 1, Outcome.REJECTED, 0, 20 + defaultLongHorizonConfig().idleProtect + 1)).toBeGreaterThanOrEqual(0);
    expect(lh.evicted).toBe(1);
  });

  it('an entry quiet for longer than the horizon is replaced and counted as expired; an old entry restarts its counts', () => {
    const lh = table(WAYS);
    for (let k = 0; k < WAYS; k++) {
      lh.contact(k, 0, HOST, 1, Outcome.REJECTED, 0, 0);
      lh.contact(k, 0, HOST, 2, Outcome.REJECTED, 0, 1);
    }
    expect(lh.contact(50, 0, HOST, 1, Outcome.REJECTED, 0, DAY + 10)).toBeGreaterThanOrEqual(0);
    expect(lh.expired).toBe(1);
    const kept = [0, 1, 2, 3].find((k) => lh.find(k, 0) >= 0)!;
    lh.contact(kept, 0, HOST, 3, Outcome.REJECTED, 0, DAY + 20);
    expect(lh.summary(lh.find(kept, 0)).ports).toBe(1); // the horizon passed: counts started again
  });

  it('has a fixed size: capacity x ENTRY_BYTES, about 3 MiB by default', () => {
    const lh = new LongHorizonTable();
    expect(lh.capacity).toBe(8192);
    expect(ENTRY_BYTES).toBeLessThanOrEqual(400);
    expect(lh.bytes).toBe(8192 * ENTRY_BYTES);
  });
});

describe('LongHorizonTable keys', () => {
  it('keeps sources of different tenants and techniques apart, whatever the size of the tenant part of the key', () => {
    const lh = table(64);
    const TENANT_SPAN = 2 ** 33; // engine/keys.ts: a source key is its address key plus tenant * 2^33
    const addr = 0xc6120001 | 0;
    const a = addr + 1 * TENANT_SPAN;
    const b = addr + 900_000 * TENANT_SPAN; // a large tenant index: the key is near 2^53
    lh.contact(a, 0, HOST, 1, Outcome.REJECTED, 0, 0);
    lh.contact(b, 0, HOST, 2, Outcome.REJECTED, 0, 0);
    lh.contact(b, 7, HOST, 3, Outcome.REJECTED, 0, 0);
    expect(lh.size).toBe(3);
    expect(lh.summary(lh.find(a, 0)).ports).toBe(1);
    expect(lh.find(b, 0)).not.toBe(lh.find(b, 7));
    expect(lh.holds(lh.find(b, 7), b, 7)).toBe(true);
    expect(lh.holds(lh.find(b, 7), b, 0)).toBe(false);
  });
});
