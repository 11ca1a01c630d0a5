import { L3, type Packet } from '../decode/packet.js';

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
export function sourceKey(p: Packet, tenant: number): number {
  return (p.l3 === L3.IPV6 ? IPV6_KEY_BASE + p.src : p.src) + tenant * TENANT_SPAN;
}

/** The source key of a flow's initiator address `a`, from the flow's kind. */
export function flowSourceKey(a: number, kind: number): number {
  return (kind & V6 ? IPV6_KEY_BASE + a : a) + (kind >>> TENANT_SHIFT) * TENANT_SPAN;
}

/** The tenant index of a source key. */
export function keyTenant(key: number): number {
  return Math.floor((key + 2 ** 31) / TENANT_SPAN);
}

/** The address part of a source key (what isV6Key and formatIpv4 read). */
export function addressKey(key: number): number {
  return key - keyTenant(key) * TENANT_SPAN;
}
