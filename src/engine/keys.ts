import { L3, type Packet } from '../decode/packet.js';

/** Flow-kind bit for IPv6 (flow kinds are the IP protocol number, plus this for IPv6). */
export const V6 = 0x100;

/**
 * IPv6 source keys are 2^32 plus the address's signed 32-bit hash, so they
 * lie in [2^31, 3 * 2^31): above every IPv4 key (a signed 32-bit integer).
 */
export const IPV6_KEY_BASE = 2 ** 32;
export const isV6Key = (key: number): boolean => key >= 2 ** 31;

/** The source-table key of a packet's source. */
export function sourceKey(p: Packet): number {
  return p.l3 === L3.IPV6 ? IPV6_KEY_BASE + p.src : p.src;
}
