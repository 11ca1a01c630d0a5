import { L3, type Packet, Proto, TcpFlag } from '../decode/packet.js';
import { isKernelSyn, tcpTool } from '../rules/fingerprint.js';
import { TCP_PROBE_BY_FLAGS, Technique, Tool } from '../rules/techniques.js';
import type { CaptureLossEstimator } from '../state/capture-loss.js';
import { Flow, type FlowTable } from '../state/flow-table.js';
import { type FlowSlot, HELD_FLOW, type HostKey, type Port } from '../units.js';
import { Classifier, type HeldFlows } from './classifier.js';
import { V6 } from './keys.js';
import { type Observation, type ObservationSink, Observe } from './observation.js';

const TCP_FLAGS = 0x3f; // FIN..URG; ECE and CWR (RFC 3168) do not change what a segment is

/** Segment counters by flag pattern, in this order. */
export const SEGMENT_KINDS = ['syn', 'synack', 'rst', 'fin', 'null', 'xmas', 'ack', 'finack', 'other'] as const;
const Seg = { SYN: 0, SYNACK: 1, RST: 2, FIN: 3, NULL: 4, XMAS: 5, ACK: 6, FINACK: 7, OTHER: 8 } as const;

/**
 * TCP classification: which segments are probes (SYN, FIN, NULL, XMAS, and
 * lone ACK/FIN-ACK once unanswered or refused), which are their outcomes
 * (SYN-ACK, RST), and what the initiator did after a SYN-ACK (completed the
 * handshake or reset it).
 */
export class TcpClassifier extends Classifier {
  constructor(
    flows: FlowTable,
    sink: ObservationSink,
    o: Observation,
    private readonly held: HeldFlows,
    private readonly captureLoss: CaptureLossEstimator,
    /** Segment counters by SEGMENT_KINDS. */
    readonly segments: Float64Array,
  ) {
    super(flows, sink, o);
  }

  classify(p: Packet): void {
    const f = p.tcpFlags & TCP_FLAGS;
    // A SYN, unless the registry names its other flags a probe of their own (TCP_PROBE_BY_FLAGS).
    if ((f & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN && TCP_PROBE_BY_FLAGS[f & 0x3f]! < 0) {
      this.segments[Seg.SYN]!++;
      // A scanner's fingerprint decides; else the kernel's option set says
      // connect() (the source's handshake behaviour may still rename it:
      // rules/detection.ts synOrConnect).
      const tool = tcpTool(p);
      const tech = tool === Tool.NONE && isKernelSyn(p) ? Technique.TCP_CONNECT : Technique.TCP_SYN;
      // The flow is looked up only for a tracked source: a first SYN is held in probation (units.ts HELD_FLOW).
      this.probe(p, tech, p.dport as Port, tool, HELD_FLOW, p.dst as HostKey);
      return;
    }
    // Apart from the SYN above, which every flood packet takes, so that V8
    // keeps that path small enough to inline into the engine's loop.
    this.notSyn(p, f);
  }

  /** The flow of `a` → `b` (`ports` as the flow keys them), or a SYN held in probation for it; -1 when neither. */
  private flowOrHeld(a: number, b: number, ports: number, kind: number): FlowSlot {
    const slot = this.flows.find(a, b, ports, kind) as FlowSlot;
    return slot >= 0 ? slot : this.held.heldFlow(a, b, ports, kind, this.o.sec, this.o.nsec);
  }

  /** Every segment but a bare SYN: answers, outcomes, connection traffic and the probes that are not SYNs. */
  private notSyn(p: Packet, f: number): void {
    const o = this.o;
    const kind = (p.l3 === L3.IPV6 ? Proto.TCP | V6 : Proto.TCP) | o.tenantBits;
    const fwd = (p.sport << 16) | p.dport;
    const rev = (p.dport << 16) | p.sport;
    const flows = this.flows;
    if ((f & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      this.segments[Seg.SYNACK]!++;
      const slot = this.flowOrHeld(p.dst, p.src, rev, kind);
      if (slot >= 0) {
        flows.touch(slot, o.sec, o.nsec, false);
        if ((flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) === 0) {
          flows.setAnswer(slot, p.tcpSeq, p.tcpAck);
          this.answered(slot, p);
        }
      } else if (p.sport >= 1024 && !p.dstMulticast && flows.find(p.src, p.dst, fwd, kind) < 0) {
        // A SYN-ACK nobody asked for, from an ephemeral port: how an idle scan
        // (nmap -sI) reads a zombie's IP ID. It is a probe only if the zombie
        // answers RST; a client that missed our view of its SYN ACKs instead
        // (MIDSTREAM). Backscatter from spoofed floods comes from service ports.
        const cand = flows.insert(p.src, p.dst, fwd, kind, Flow.CANDIDATE, Technique.IDLE_SCAN, o.sec, o.nsec);
        flows.setTool(cand, tcpTool(p));
        flows.setFirstOrdinal(cand, o.ordinal);
      }
      return;
    }
    if (f & TcpFlag.RST) {
      this.segments[Seg.RST]!++;
      let slot = this.flowOrHeld(p.dst, p.src, rev, kind);
      if (slot >= 0) {
        flows.touch(slot, o.sec, o.nsec, false);
        const fl = flows.flags(slot);
        if (fl & Flow.CANDIDATE) {
          // A RST to a lone ACK or FIN/ACK: no connection existed (nmap -sA "unfiltered").
          flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.PROBE | Flow.REJECTED);
          this.candidate(slot, p, true);
        } else if ((fl & (Flow.ANSWERED | Flow.REJECTED)) === 0 && fl & Flow.PROBE) {
          this.refused(slot, p);
        }
        return;
      }
      slot = this.flowOrHeld(p.src, p.dst, fwd, kind);
      if (slot >= 0) {
        flows.touch(slot, o.sec, o.nsec, true);
        const fl = flows.flags(slot);
        // Half-open evidence only from a RST that answers the SYN-ACK's numbers: the prober's stack received it.
        if (fl & Flow.ANSWERED && (fl & (Flow.INIT_ACKED | Flow.INIT_RST)) === 0 && flows.resetsAnswer(slot, p.tcpSeq)) {
          flows.setFlags(slot, fl | Flow.INIT_RST);
          this.flowEvent(Observe.HALF_OPEN, slot, p);
        }
        this.contactJudged(slot, p, false);
      }
      return;
    }
    if ((f & TcpFlag.ACK) === 0) {
      // No RST or ACK: FIN, NULL, XMAS and the other flag patterns the
      // registry names (TCP_PROBE_BY_FLAGS), never valid in a connection
      // (RFC 9293 section 3.10.7.4). A probe has the shape of one: no
      // payload (nmap's carry none), to a unicast host, outside any
      // connection seen. A data segment that lost its ACK bit, a damaged
      // one, or one to a broadcast address is an odd segment, not a probe.
      const tech = TCP_PROBE_BY_FLAGS[f & 0x3f]!;
      if (tech < 0 || p.payloadLen > 0 || p.dstMulticast || p.l2Broadcast || reservedDestination(p) || this.inConnection(p, kind, fwd, rev)) {
        this.segments[Seg.OTHER]!++;
        return;
      }
      this.segments[segmentKind(f)]!++;
      // Its flow meets the answer: a RST from a closed port (refused), or
      // silence from an open or filtered one (its flow's end), as nmap reads them.
      const slot = flows.findOrInsert(p.src, p.dst, fwd, kind, Flow.PROBE, tech, o.sec, o.nsec) as FlowSlot;
      if (!flows.inserted) flows.touch(slot, o.sec, o.nsec, true);
      this.probe(p, tech, p.dport as Port, tcpTool(p), slot, p.dst as HostKey);
      return;
    }
    // ACK set, no SYN or RST: connection traffic, a completed handshake, or an ACK/Maimon probe.
    const finAck = (f & TcpFlag.FIN) !== 0;
    // A FIN occupies one sequence number, which its ACK acknowledges (RFC 9293 3.4).
    if (p.payloadLen > 0 || finAck) this.captureLoss.data(p.src, p.dst, fwd, p.tcpSeq, p.payloadLen + (finAck ? 1 : 0));
    this.captureLoss.ack(p.src, p.dst, fwd, p.tcpAck);
    this.segments[finAck ? Seg.FINACK : Seg.ACK]!++;
    let slot = this.flowOrHeld(p.src, p.dst, fwd, kind);
    if (slot >= 0) {
      flows.touch(slot, o.sec, o.nsec, true);
      const fl = flows.flags(slot);
      // A handshake only when the ACK acknowledges the responder's ISN: a blind spoofer cannot.
      if (fl & Flow.ANSWERED && (fl & (Flow.INIT_ACKED | Flow.INIT_RST)) === 0 && flows.acknowledgesAnswer(slot, p.tcpAck)) {
        flows.setFlags(slot, fl | Flow.INIT_ACKED);
        this.flowEvent(Observe.HANDSHAKE, slot, p);
      } else if (fl & Flow.CANDIDATE) {
        // A second segment from the same side: a conversation, not a lone probe.
        flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.MIDSTREAM);
      }
      if (p.payloadLen > 0) this.contactJudged(slot, p, true);
      else if (finAck) this.contactJudged(slot, p, false);
      return;
    }
    slot = flows.find(p.dst, p.src, rev, kind) as FlowSlot;
    if (slot >= 0) {
      flows.touch(slot, o.sec, o.nsec, false);
      const fl = flows.flags(slot);
      // The other side answered with more than a RST: the connection was real.
      if (fl & Flow.CANDIDATE) flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.MIDSTREAM);
      return;
    }
    if (p.payloadLen === 0 && (f === TcpFlag.ACK || f === (TcpFlag.ACK | TcpFlag.FIN)) && !p.dstMulticast) {
      // A lone ACK (nmap -sA) or FIN/ACK (nmap -sM, Maimon 1996) with no known
      // connection. It becomes a probe only if the answer shows there was none.
      slot = flows.insert(p.src, p.dst, fwd, kind, Flow.CANDIDATE, finAck ? Technique.TCP_MAIMON : Technique.TCP_ACK, o.sec, o.nsec) as FlowSlot;
      flows.setTool(slot, tcpTool(p));
      flows.setFirstOrdinal(slot, o.ordinal);
    } else {
      flows.insert(p.src, p.dst, fwd, kind, Flow.MIDSTREAM, 0, o.sec, o.nsec);
    }
  }

  /**
   * Whether the segment belongs to a connection the flow table knows: one
   * seen mid-stream, one whose handshake completed, or one answered and not
   * reset. A probe's own earlier flow (refused, or a half-open SYN) is not one.
   */
  private inConnection(p: Packet, kind: number, fwd: number, rev: number): boolean {
    const flows = this.flows;
    let slot = flows.find(p.src, p.dst, fwd, kind);
    if (slot < 0) slot = flows.find(p.dst, p.src, rev, kind);
    if (slot < 0) return false;
    const fl = flows.flags(slot);
    return (fl & (Flow.MIDSTREAM | Flow.INIT_ACKED)) !== 0 || (fl & (Flow.ANSWERED | Flow.INIT_RST)) === Flow.ANSWERED;
  }

}

/** The segment counter of a probe-shaped segment without ACK or RST (a per-shape metric, apart from the techniques). */
function segmentKind(f: number): number {
  if (f === 0) return Seg.NULL;
  if ((f & (TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG | TcpFlag.SYN)) === (TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG)) return Seg.XMAS;
  if ((f & (TcpFlag.FIN | TcpFlag.SYN)) === TcpFlag.FIN) return Seg.FIN;
  return Seg.OTHER;
}

/**
 * Destinations no scan targets: IPv4 0.0.0.0/8 ("this network"), 127/8
 * (loopback, never on a wire) and 240/4 (reserved; RFC 6890); IPv6 :: and
 * ::1 (RFC 4291). Multicast and broadcast are flagged by the decoder.
 */
export function reservedDestination(p: Packet): boolean {
  if (p.l3 === L3.IPV6) {
    const b = p.buf;
    const o = p.dst6Off;
    if (o < 0) return false;
    for (let i = 0; i < 15; i++) if (b[o + i] !== 0) return false;
    return b[o + 15]! <= 1;
  }
  const top = p.dst >>> 24;
  return top === 0 || top === 127 || top >= 240;
}
