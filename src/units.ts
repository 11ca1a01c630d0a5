/**
 * Branded numbers for the packet path: at run time each is a plain number
 * (a small integer V8 keeps unboxed), but the compiler tells them apart, so
 * a call that passes a host where a port is expected, or a flow slot where
 * a source key is, does not compile. A value gets its brand where it is
 * made (a classifier reading a packet, a table reading its slot).
 */
declare const brand: unique symbol;
type Branded<B extends string> = number & { readonly [brand]: B };

/** A source's table key: its address key plus its tenant's span (keys.ts). */
export type SourceKey = Branded<'SourceKey'>;
/** A target host: an IPv4 address (signed 32-bit) or the keyed hash of an IPv6 address. */
export type HostKey = Branded<'HostKey'>;
/** A probed port (0-65535); an IP protocol number for protocol scans; 0 for sweeps. */
export type Port = Branded<'Port'>;
/** A slot of the flow table, or one of the NO_FLOW / HELD_FLOW markers. */
export type FlowSlot = Branded<'FlowSlot'>;
/** A tenant's small index (state/tenants.ts), 0 for none. */
export type TenantIndex = Branded<'TenantIndex'>;

/** No flow: the probe has none (ARP, a neighbour solicitation) or it was not kept. */
export const NO_FLOW = -1 as FlowSlot;
/**
 * A TCP SYN whose flow has not been looked up: a source's first SYN is
 * held in probation, which stands for its flow until an answer comes, so
 * a flood of one-packet sources never touches the flow table; the SYNs of
 * tracked sources get their flow when admitted (engine/admission.ts).
 */
export const HELD_FLOW = -2 as FlowSlot;

/** The whole seconds of a time in seconds (see nanosOf). */
export function secondsOf(t: number): number {
  return Math.floor(t);
}

/** The nanoseconds past the whole second of a time in seconds, for tables that take time as two integers. */
export function nanosOf(t: number): number {
  return Math.min(999_999_999, Math.round((t - Math.floor(t)) * 1e9));
}
