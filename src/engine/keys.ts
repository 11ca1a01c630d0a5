import { L3, type Packet } from '../decode/packet.js';
import type { SourceKey } from '../units.js';

/** Flow-kind bit for IPv6 (flow kinds are the IP protocol number, plus this for IPv6). */
export const V6 = 0x100;

/**
 * IPv6 source keys are 2^32 plus the address's signed 32-bit hash, so they
 * lie in [2^31, 3 * 2^31): above every IPv4 key (a signed 32-bit integer).
 */
export const IPV6_KEY_BASE = 2 ** 32;
export const isV6Key = (key: number): boolean => addressKey(key) >= 2 ** 31;

/**
 * Tenants (state/tenants.ts indices) separate overlapping address spaces:
 * a source key is its address key plus tenant * 2^33 (address keys span
 * [-2^31, 3 * 2^31), 2^33 values), exact in a double for 2^20 tenants
 * (state/tenants.ts hands out 2^15);
 * a flow kind carries the tenant above its protocol and IPv6 bits.
 */
const TENANT_SPAN = 2 ** 33;
export const TENANT_SHIFT = 9;

/** The source-table key of a packet's source in tenant `tenant` (an index). */
export function sourceKey(p: Packet, tenant: number): SourceKey {
  return addressSourceKey(p.src, p.l3 === L3.IPV6, tenant);
}

/** The source key of a packet's destination (the prober, when the packet answers it). */
export function destinationKey(p: Packet, tenant: number): SourceKey {
  return addressSourceKey(p.dst, p.l3 === L3.IPV6, tenant);
}

/** The source key of an IPv4 address, or of an IPv6 address's hash (`v6`), in tenant `tenant`. */
export function addressSourceKey(address: number, v6: boolean, tenant: number): SourceKey {
  return ((v6 ? IPV6_KEY_BASE + address : address) + tenant * TENANT_SPAN) as SourceKey;
}

/** The source key of a flow's initiator address `a`, from the flow's kind. */
export function flowSourceKey(a: number, kind: number): SourceKey {
  return addressSourceKey(a, (kind & V6) !== 0, kind >>> TENANT_SHIFT);
}

/** The flow kind of protocol `proto` for a source key's family and tenant. */
export function flowKindOf(key: SourceKey, proto: number): number {
  return (isV6Key(key) ? proto | V6 : proto) | (keyTenant(key) << TENANT_SHIFT);
}

/** The flow-table address of a source key: the IPv4 address, or the IPv6 address hash. */
export function flowAddress(key: SourceKey): number {
  const a = addressKey(key);
  return isV6Key(key) ? a - IPV6_KEY_BASE : a;
}

/**
 * The target table's key of a host probed with a technique (`family`: the
 * technique id * 2, plus 1 for IPv6) in a tenant: exact in a double for
 * the first 2^15 tenants; beyond, tenants share correlation entries.
 */
export function targetKey(host: number, family: number, tenant: number): number {
  return ((tenant & 0x7fff) * 2 ** 32 + (host >>> 0)) * 64 + family;
}

/** The tenant index of a source key. */
export function keyTenant(key: number): number {
  return Math.floor((key + 2 ** 31) / TENANT_SPAN);
}

/** The address part of a source key (what isV6Key and formatIpv4 read). */
export function addressKey(key: number): number {
  return key - keyTenant(key) * TENANT_SPAN;
}
