import type { Packet } from '../decode/packet.js';
import type { EndedFlows } from '../state/ended-flows.js';
import { FlowMeta, type FlowTable } from '../state/flow-table.js';
import { flowSourceKey, V6 } from './keys.js';
import { type FlowSlot, type HostKey, NO_FLOW, type Port, type SourceKey, type TenantIndex } from '../units.js';

/**
 * What a classifier saw, as the tracker consumes it. Each kind is one fact
 * about a probe or its outcome; the tracker (tracker.ts) counts it, the
 * verdict judges it, and nothing else reaches the source tables.
 */
export const Observe = {
  /** A probe packet from `source` to `target`:`port`. */
  PROBE: 1,
  /** The target answered the probe of flow `flow` positively (SYN-ACK, a UDP or echo reply, INIT ACK). */
  ANSWER: 2,
  /** The target (or a router for it) refused the probe: RST, ABORT, ICMP unreachable. */
  REJECT: 3,
  /** After an answer, the initiator completed the handshake, acknowledging the target's ISN. */
  HANDSHAKE: 4,
  /** After an answer, the initiator reset it with the sequence number its stack would use (half-open). */
  HALF_OPEN: 5,
  /** After an answer, the initiator sent payload: a client's request (Zeek orig_bytes > 0). */
  CONTACT_DATA: 6,
  /** The initiator ended an answered contact, or it expired, without payload: a scanner's (orig_bytes = 0). */
  CONTACT_END: 7,
  /** A probe's flow expired with no answer at all. */
  SILENCE: 8,
  /** A lone ACK, FIN/ACK or unsolicited SYN-ACK shown to be a probe: refused (`rejected`), or left unanswered. */
  CANDIDATE: 9,
  /** An IPv6 neighbour advertisement to `source`, which solicited it: `packet`'s target is alive. */
  NEIGHBOUR_ADVERT: 10,
  /** An ARP reply to `source`, which asked: `target` is alive. */
  ARP_REPLY: 11,
} as const;

/**
 * One observation, preallocated and refilled: a classifier fills the
 * fields its kind uses and hands it to the tracker, which reads it before
 * the next one is made. Times are integers (whole seconds and
 * nanoseconds), so no double is boxed on the way; the packet's ordinal
 * lets a detection name the packets it rests on.
 */
export class Observation {
  kind = 0;
  /** The prober. */
  source = 0 as SourceKey;
  /** The probed host, and port (an IP protocol number for a protocol scan; 0 for sweeps). */
  target = 0 as HostKey;
  port = 0 as Port;
  /** The technique (rules/techniques.ts) and the scanning tool its fingerprint named (rules/tools.ts). */
  technique = 0;
  tool = 0;
  /** The probe's flow, or NO_FLOW / HELD_FLOW (units.ts). */
  flow = NO_FLOW;
  /** Flow observations: the flow's flags (state/flow-table.ts Flow) when it was observed. */
  flowFlags = 0;
  /** Flow observations: the initiator's first datagram carried payload (UDP). */
  initiatorData = false;
  /** Flow observations: the initiator had a full record when the flow began. */
  ownerTracked = false;
  /** CANDIDATE: refused rather than left unanswered. */
  rejected = false;
  /** Address family and IP protocol of the probe. */
  v6 = false;
  proto = 0;
  /**
   * The packet observed, when it carries the addresses (an IPv6 source's
   * bytes, the text of a target): for a PROBE the probe; for an answer or
   * refusal the reply when it was sent to the prober. Null for expiries
   * and for an ICMP error a router sent.
   */
  packet: Packet | null = null;
  /** The time of the observation: the packet's, or when an expired flow timed out. */
  sec = 0;
  nsec = 0;
  /** Flow observations: when the flow's probe was sent (a candidate is counted at its probe's time). */
  probeSec = 0;
  probeNsec = 0;
  /** The observed packet's number in the input (the engine's count before it, from 0); -1 for an expiry. */
  ordinal = -1;
  /** Flow observations: the number of the flow's first packet, when the flow kept it (lone candidate segments); else -1. */
  probeOrdinal = -1;
  /** Per packet, set by the engine before classification: the packet's tenant and its bits in a flow kind. */
  tenant = 0 as TenantIndex;
  tenantBits = 0;

  /** Seconds, for the state tables (a double kept inside the caller). */
  time(): number {
    return this.sec + this.nsec * 1e-9;
  }
  probeTime(): number {
    return this.probeSec + this.probeNsec * 1e-9;
  }
}

/** Where observations go (the tracker). */
export interface ObservationSink {
  observe(o: Observation): void;
}

/**
 * Fills the flow fields of `o` from flow `slot`: the prober (the flow's
 * initiator), the target and port, the technique and tool of its probe.
 */
export function fillFromFlow(o: Observation, flows: FlowTable, slot: FlowSlot): void {
  fillFlowFields(o, flows.initiator(slot), flows.responder(slot), flows.ports(slot), flows.kind(slot), flows.meta(slot));
  o.flow = slot;
  o.probeOrdinal = flows.firstOrdinal(slot);
  flows.splitTime(flows.firstSeenMs(slot));
  o.probeSec = flows.splitSec;
  o.probeNsec = flows.splitNsec;
}

/** The same from a flow that has left the table (it has no slot any more). */
export function fillFromEnded(o: Observation, ended: EndedFlows, i: number, flows: FlowTable): void {
  fillFlowFields(o, ended.initiator(i), ended.responder(i), ended.ports(i), ended.kind(i), ended.meta(i));
  o.flow = NO_FLOW;
  o.probeOrdinal = ended.firstOrdinal(i);
  flows.splitTime(ended.firstSeenMs(i));
  o.probeSec = flows.splitSec;
  o.probeNsec = flows.splitNsec;
  flows.splitTime(ended.endedMs(i));
  o.sec = flows.splitSec;
  o.nsec = flows.splitNsec;
  o.ordinal = -1;
  o.packet = null;
}

function fillFlowFields(o: Observation, initiator: number, responder: number, ports: number, kind: number, meta: number): void {
  const proto = kind & 0xff;
  o.source = flowSourceKey(initiator, kind);
  o.target = responder as HostKey;
  o.v6 = (kind & V6) !== 0;
  o.proto = proto;
  o.port = flowPort(ports, proto);
  o.technique = FlowMeta.technique(meta);
  o.tool = FlowMeta.tool(meta);
  o.flowFlags = FlowMeta.flags(meta);
  o.initiatorData = FlowMeta.initiatorData(meta);
  o.ownerTracked = FlowMeta.ownerTracked(meta);
}

/**
 * The probed port of a flow: the responder's port of a TCP, UDP or SCTP
 * flow; for a protocol scan's flow (keyed by its protocol, no ports) the
 * protocol number; 0 for ICMP, whose flow key is the echo id and sequence.
 */
export function flowPort(ports: number, proto: number): Port {
  if (proto === 6 || proto === 17 || proto === 132) return (ports & 0xffff) as Port;
  if (proto === 1 || proto === 58) return 0 as Port;
  return proto as Port;
}
