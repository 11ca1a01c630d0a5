import { L3, type Packet, Proto } from '../decode/packet.js';
import { Flow, type FlowTable } from '../state/flow-table.js';
import type { FlowSlot, HostKey, Port } from '../units.js';
import { sourceKey } from './keys.js';
import { fillFromFlow, type Observation, type ObservationSink, Observe } from './observation.js';

/**
 * What every protocol classifier shares: the flow table it keys probes
 * and answers in, and the observation it fills and hands on. A classifier
 * decides what a packet is and keeps its flow's state (answered, refused,
 * judged); what it means for the source is the tracker's.
 */
export abstract class Classifier {
  constructor(
    protected readonly flows: FlowTable,
    protected readonly sink: ObservationSink,
    /** The engine's observation: the packet's time, ordinal and tenant are set before classification. */
    protected readonly o: Observation,
  ) {}

  /** A probe from the packet's source to `target`:`port`, with its flow (or NO_FLOW / HELD_FLOW). */
  protected probe(p: Packet, technique: number, port: Port, tool: number, flow: FlowSlot, target: HostKey): void {
    const o = this.o;
    o.kind = Observe.PROBE;
    o.source = sourceKey(p, o.tenant);
    o.target = target;
    o.port = port;
    o.technique = technique;
    o.tool = tool;
    o.flow = flow;
    o.packet = p;
    o.v6 = p.l3 === L3.IPV6;
    o.proto = p.proto;
    this.sink.observe(o);
  }

  /** An event `kind` (Observe) of probe flow `slot`; `p` the packet that shows it when it carries the prober's addresses, else null. */
  protected flowEvent(kind: number, slot: FlowSlot, p: Packet | null): void {
    const o = this.o;
    fillFromFlow(o, this.flows, slot);
    o.kind = kind;
    o.packet = p;
    this.sink.observe(o);
  }

  /** The responder answered probe flow `slot` positively; `p` is the answer. */
  protected answered(slot: FlowSlot, p: Packet): void {
    const flows = this.flows;
    const fl = flows.flags(slot);
    flows.setFlags(slot, fl | Flow.ANSWERED);
    if ((fl & Flow.PROBE) === 0) return;
    // A UDP contact is judged on its answer: its one datagram carried a request or nothing.
    if ((flows.kind(slot) & 0xff) === Proto.UDP) flows.markContactJudged(slot);
    this.flowEvent(Observe.ANSWER, slot, p);
  }

  /** The responder (or a router) refused probe flow `slot`; `p` is the refusal when it was sent to the prober, else null. */
  protected refused(slot: FlowSlot, p: Packet | null): void {
    this.flows.setFlags(slot, this.flows.flags(slot) | Flow.REJECTED);
    this.flowEvent(Observe.REJECT, slot, p);
  }

  /**
   * What the initiator of an answered probe flow did next, judged once: it
   * sent payload (`data`: a client's request) or ended the contact
   * without any (a scanner's). `p` is the initiator's packet.
   */
  protected contactJudged(slot: FlowSlot, p: Packet, data: boolean): void {
    const flows = this.flows;
    if ((flows.flags(slot) & (Flow.ANSWERED | Flow.PROBE)) !== (Flow.ANSWERED | Flow.PROBE) || flows.contactJudged(slot)) return;
    flows.markContactJudged(slot);
    this.flowEvent(data ? Observe.CONTACT_DATA : Observe.CONTACT_END, slot, p);
  }

  /** A lone segment's flow shown to be a probe: refused by `p` (`rejected`), or left unanswered. */
  protected candidate(slot: FlowSlot, p: Packet | null, rejected: boolean): void {
    this.o.rejected = rejected;
    this.flowEvent(Observe.CANDIDATE, slot, p);
  }
}

/** Where a classifier finds a SYN held in probation instead of the flow table (engine/admission.ts). */
export interface HeldFlows {
  heldFlow(a: number, b: number, ports: number, kind: number, sec: number, nsec: number): FlowSlot;
}
