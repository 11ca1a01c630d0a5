import { mix32 } from './distinct.js';

/**
 * Hashing shared by the bounded tables: the keyed hash of a source key and
 * the set count of a set-associative table.
 */

/**
 * The hash of a source key (engine/keys.ts: the signed low 32 bits are the
 * IPv4 address or IPv6 hash, and key - lo, an exact multiple of 2^32, holds
 * the family and tenant) under a table's key `seed`; `seedMix` is
 * mix32(seed), computed once by the table. An IPv4 source without tenant
 * (hi = 0, nearly every key) costs one mix.
 */
export function sourceKeyHash(key: number, seed: number, seedMix: number): number {
  const lo = key | 0;
  const hi = (key - lo) * 2 ** -32;
  return mix32(lo ^ (hi === 0 ? seedMix : mix32(hi ^ seed)));
}

/** Sets of `ways` slots for at least `capacity` slots: a power of two, so a hash masks to a set. */
export function setCount(capacity: number, ways: number): number {
  let sets = 1;
  while (sets * ways < capacity) sets *= 2;
  return sets;
}
