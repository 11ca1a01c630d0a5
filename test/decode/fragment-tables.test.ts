/**
 * The reassembler's tables (src/decode/fragment-keys.ts, fragment-peers.ts,
 * fragment-runs.ts, fragment-store.ts) against plain models: a lookup
 * that lost an entry after a deletion would split one datagram in two, and
 * a run list or page map that leaked would shrink the memory bound.
 */
import { describe, expect, it } from 'vitest';
import { FragmentKeys } from '../../src/decode/fragment-keys.js';
import { FragmentPeers } from '../../src/decode/fragment-peers.js';
import { FragmentRuns, RunInsert } from '../../src/decode/fragment-runs.js';
import { FragmentStore, PAGE_BYTES } from '../../src/decode/fragment-store.js';
import { rng } from '../engine/packets.js';

describe('FragmentKeys', () => {
  it('finds exactly the keys present through 20,000 random inserts and removes (IPv4, IPv6, tenants)', () => {
    const slots = 64;
    const keys = new FragmentKeys(slots, 7);
    const next = rng(42);
    const addr = Buffer.alloc(32);
    const model = new Map<string, number>(); // key -> slot
    const free = Array.from({ length: slots }, (_, i) => i);
    const keyOf = (v6: boolean, src: number, id: number, proto: number, tenant: number): string => `${v6}/${src}/${id}/${v6 ? -1 : proto}/${tenant}`;
    for (let i = 0; i < 20000; i++) {
      // a small key space so that keys repeat and collide
      const v6 = next() < 0.3;
      const src = Math.floor(next() * 8);
      const id = Math.floor(next() * 16);
      const proto = next() < 0.5 ? 6 : 17;
      const tenant = next() < 0.2 ? 2 * 2 ** 32 + 5001 : 0;
      addr.writeUInt32BE(src, 0);
      const k = keyOf(v6, src, id, proto, tenant);
      const found = keys.find(v6, src, 9, addr, 0, id, proto, tenant);
      expect(found).toBe(model.get(k) ?? -1);
      if (found >= 0 && next() < 0.5) {
        keys.remove(found);
        model.delete(k);
        free.push(found);
      } else if (found < 0 && free.length > 0) {
        const s = free.pop()!;
        keys.insert(s, v6, src, 9, addr, 0, id, proto, tenant);
        model.set(k, s);
      }
    }
    expect(model.size).toBeGreaterThan(10);
  });
});

describe('FragmentPeers', () => {
  it('one counter per (source, destination, tenant), shared while referenced, fresh once released', () => {
    const peers = new FragmentPeers(4, 1);
    const a = peers.acquire(1, 2, 0);
    expect(peers.acquire(1, 2, 0)).toBe(a);
    const b = peers.acquire(1, 3, 0);
    expect(b).not.toBe(a);
    expect(peers.acquire(1, 2, 5)).not.toBe(a);
    expect(peers.next(a)).toBe(1);
    expect(peers.next(a)).toBe(2);
    peers.release(a);
    expect(peers.next(a)).toBe(3); // still held once
    peers.release(a);
    const again = peers.acquire(1, 2, 0);
    expect(peers.next(again)).toBe(1);
  });
});

describe('FragmentRuns', () => {
  it('appends in-order fragments to one run, starts runs for the rest, and frees every record', () => {
    const runs = new FragmentRuns(2, 8);
    expect(runs.insert(0, 0, 8)).toBe(RunInsert.OK);
    expect(runs.insert(0, 8, 16)).toBe(RunInsert.OK); // appended: one record
    expect(runs.free).toBe(7);
    expect(runs.insert(0, 32, 40)).toBe(RunInsert.OK);
    expect(runs.insert(0, 24, 32)).toBe(RunInsert.OK); // before the last run: a run of its own
    expect(runs.insert(0, 16, 24)).toBe(RunInsert.OK);
    expect(runs.free).toBe(4);
    expect(runs.insert(0, 0, 16)).toBe(RunInsert.DUPLICATE);
    expect(runs.insert(0, 16, 32)).toBe(RunInsert.OVERLAP); // every byte present, but across two runs
    expect(runs.insert(0, 36, 48)).toBe(RunInsert.OVERLAP);
    expect(runs.firstStart(0)).toBe(0);
    runs.clear(0);
    expect(runs.free).toBe(8);
    expect(runs.hasFragments(0)).toBe(false);
    for (let i = 0; i < 8; i++) expect(runs.insert(1, i * 16, i * 16 + 8)).toBe(RunInsert.OK);
    expect(runs.insert(1, 200, 208)).toBe(RunInsert.NO_ROOM);
    expect(runs.insert(1, 8, 16)).toBe(RunInsert.NO_ROOM); // would need a record too; nothing changed
    runs.clear(1);
    expect(runs.free).toBe(8);
  });
});

describe('FragmentStore', () => {
  it('maps pages on first write, reads back what was written across page edges, and returns them all', () => {
    const store = new FragmentStore(2, 64);
    const data = Buffer.from(Array.from({ length: 3000 }, (_, i) => i & 255));
    expect(store.pagesNeeded(0, 500, 3000)).toBe(4); // bytes 500-3499: pages 0-3
    store.write(0, 500, data, 0, 3000);
    store.write(0, 0, data, 0, 500);
    expect(store.free).toBe(60);
    expect(store.pagesNeeded(0, 0, 3500)).toBe(0);
    const out = Buffer.alloc(3500);
    store.read(0, out, 0, 3500);
    expect(out.subarray(500).equals(data)).toBe(true);
    expect(out.subarray(0, 500).equals(data.subarray(0, 500))).toBe(true);
    // bytes beyond 65,535 are not stored (no header lies there)
    expect(store.pagesNeeded(1, 65536 - PAGE_BYTES, 4 * PAGE_BYTES)).toBe(1);
    store.release(0);
    expect(store.free).toBe(64);
  });
});
