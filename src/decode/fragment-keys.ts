/**
 * The keys of the datagrams being reassembled and a hash index from key to
 * datagram slot. Keys are Linux's (net/ipv4/ip_fragment.c ip_find: source,
 * destination, identification, protocol; net/ipv6/reassembly.c fq_find:
 * source, destination, identification), plus the tenant that keeps apart
 * virtual networks whose addresses overlap.
 *
 * Open addressing with linear probing in typed arrays, deletion by moving
 * the following entries back (Knuth, TAOCP vol. 3, algorithm R): nothing is
 * allocated per fragment and no tombstones build up under a flood. The hash
 * is keyed by a random seed, so that a spoofer cannot line fragments up in
 * one probe run; the seed changes no result (matches are exact), only speed.
 */
import { randomInt } from 'node:crypto';

const EMPTY = -1;
const TENANT_SPAN = 2 ** 32;

/** MurmurHash3's 32-bit finaliser (Appleby, public domain; written here). */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Folds a tenant (encapsulation.ts: kind * 2^32 + id) into hash `h`; no tenant costs nothing. */
export function mixTenant(h: number, tenant: number): number {
  return tenant === 0 ? h : fmix(h ^ (tenant % TENANT_SPAN) ^ Math.imul((tenant / TENANT_SPAN) | 0, 0x9e3779b1));
}

export class FragmentKeys {
  readonly v6: Uint8Array;
  readonly src: Int32Array;
  readonly dst: Int32Array;
  readonly ident: Float64Array;
  readonly proto: Int16Array;
  readonly tenant: Float64Array;
  /** IPv6 source and destination, 32 bytes a slot (src and dst above are their hashes). */
  readonly addresses: Buffer;
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly seed: number;

  constructor(slots: number, seed: number = randomInt(0, 2 ** 32)) {
    this.v6 = new Uint8Array(slots);
    this.src = new Int32Array(slots);
    this.dst = new Int32Array(slots);
    this.ident = new Float64Array(slots);
    this.proto = new Int16Array(slots);
    this.tenant = new Float64Array(slots);
    this.addresses = Buffer.alloc(slots * 32);
    let n = 16;
    while (n < slots * 2) n *= 2;
    this.table = new Int32Array(n).fill(EMPTY);
    this.mask = n - 1;
    this.seed = seed | 0;
  }

  get bytes(): number {
    return this.v6.length * (1 + 4 + 4 + 8 + 2 + 8 + 32) + this.table.length * 4;
  }

  private hash(v6: boolean, src: number, dst: number, id: number, proto: number, tenant: number): number {
    let h = fmix(src ^ this.seed);
    h = fmix(h ^ dst);
    h = fmix(h ^ (id | 0) ^ (v6 ? 0x40000000 : proto << 16));
    return mixTenant(h, tenant) & this.mask;
  }

  /** The slot holding this key, or -1. For IPv6, `proto` is ignored and the addresses at addr[addrOff] are compared. */
  find(v6: boolean, src: number, dst: number, addr: Buffer, addrOff: number, id: number, proto: number, tenant: number): number {
    const want6 = v6 ? 1 : 0;
    for (let i = this.hash(v6, src, dst, id, proto, tenant); ; i = (i + 1) & this.mask) {
      const s = this.table[i]!;
      if (s === EMPTY) return EMPTY;
      if (this.ident[s] !== id || this.src[s] !== src || this.dst[s] !== dst || this.v6[s] !== want6 || this.tenant[s] !== tenant) continue;
      if (!v6) {
        if (this.proto[s] === proto) return s;
        continue;
      }
      if (this.addresses.compare(addr, addrOff, addrOff + 32, s * 32, s * 32 + 32) === 0) return s;
    }
  }

  /** Records the key of slot `s` and indexes it; the key must not be present already. */
  insert(s: number, v6: boolean, src: number, dst: number, addr: Buffer, addrOff: number, id: number, proto: number, tenant: number): void {
    this.v6[s] = v6 ? 1 : 0;
    this.src[s] = src;
    this.dst[s] = dst;
    this.ident[s] = id;
    this.proto[s] = v6 ? -1 : proto;
    this.tenant[s] = tenant;
    if (v6) addr.copy(this.addresses, s * 32, addrOff, addrOff + 32);
    let i = this.hashOf(s);
    while (this.table[i] !== EMPTY) i = (i + 1) & this.mask;
    this.table[i] = s;
  }

  /** Removes slot `s` from the index. */
  remove(s: number): void {
    let i = this.hashOf(s);
    while (this.table[i] !== s) {
      if (this.table[i] === EMPTY) return;
      i = (i + 1) & this.mask;
    }
    // Algorithm R: move back every later entry of the run that the hole would cut off from its home.
    let hole = i;
    for (let j = (i + 1) & this.mask; this.table[j] !== EMPTY; j = (j + 1) & this.mask) {
      const home = this.hashOf(this.table[j]!);
      const between = hole <= j ? hole < home && home <= j : hole < home || home <= j;
      if (between) continue;
      this.table[hole] = this.table[j]!;
      hole = j;
    }
    this.table[hole] = EMPTY;
  }

  private hashOf(s: number): number {
    return this.hash(this.v6[s] === 1, this.src[s]!, this.dst[s]!, this.ident[s]!, this.proto[s]!, this.tenant[s]!);
  }
}
