import { formatIpv4, formatIpv6Key } from '../decode/address.js';
import { L3, type Packet, Proto } from '../decode/packet.js';
import type { Detection } from '../rules/detection.js';
import type { SourceRecord } from '../state/source-table.js';

/**
 * Addresses as reports write them. Made only for what a report names (a
 * detected source, a sampled target, an open service): never per packet.
 */

/** The text of a source's address (its key's address part: formatIpv4 reads the low 32 bits). */
export function recordText(rec: SourceRecord<Detection>): string {
  if (!rec.isV6) return formatIpv4(rec.key);
  return formatIpv6Key(Buffer.from(rec.addr6!).toString('hex'));
}

/** A packet's source address as text. */
export function srcText(p: Packet): string {
  if (p.l3 === L3.IPV6) return formatIpv6Key(p.buf.toString('hex', p.src6Off, p.src6Off + 16));
  return formatIpv4(p.src);
}

/** A packet's IPv6 destination (or neighbour-solicitation target) as text. */
export function dstText(p: Packet): string {
  const off = p.ndTargetOff >= 0 && p.proto === Proto.ICMPV6 && p.icmpType === 135 ? p.ndTargetOff : p.dst6Off;
  return formatIpv6Key(p.buf.toString('hex', off, off + 16));
}

/** The IPv6 neighbour target a solicitation or advertisement names, as text. */
export function ndTargetText(p: Packet): string {
  return formatIpv6Key(p.buf.toString('hex', p.ndTargetOff, p.ndTargetOff + 16));
}
