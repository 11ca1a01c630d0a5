import { hashIpv6 } from '../decode/address.js';
import { type Packet, Proto } from '../decode/packet.js';
import { icmpTool } from '../rules/fingerprint.js';
import { Technique, Tool } from '../rules/techniques.js';
import { Flow, type FlowTable } from '../state/flow-table.js';
import { type FlowSlot, type HostKey, NO_FLOW, type Port } from '../units.js';
import { Classifier, type HeldFlows } from './classifier.js';
import { destinationKey, V6 } from './keys.js';
import { type Observation, type ObservationSink, Observe } from './observation.js';

/**
 * ICMP and ICMPv6 classification: echo-style requests are sweep probes,
 * their replies outcomes; errors quoting a probe refuse it; IPv6 neighbour
 * solicitations to solicited-node groups are IPv6's ARP who-has.
 */
export class IcmpClassifier extends Classifier {
  constructor(
    flows: FlowTable,
    sink: ObservationSink,
    o: Observation,
    private readonly held: HeldFlows,
    /** Key of the IPv6 address hash: the decoder's (neighbour-solicitation targets are hashed with it). */
    private readonly ipv6HashKey: number,
  ) {
    super(flows, sink, o);
  }

  classifyV4(p: Packet): void {
    const t = p.icmpType;
    const bits = this.o.tenantBits;
    // Echo (8), timestamp (13), information (15) and address mask (17)
    // requests all ask "are you there?" (RFC 792, RFC 950).
    if (t === 8 || t === 13 || t === 15 || t === 17) {
      if (!p.dstMulticast && !p.l2Broadcast) this.echoRequest(p, Proto.ICMP | bits);
    } else if (t === 0 || t === 14 || t === 16 || t === 18) {
      this.echoReply(p, Proto.ICMP | bits);
    } else if ((t === 3 || t === 11) && p.quotedValid) {
      this.unreachable(p, bits);
    }
  }

  classifyV6(p: Packet): void {
    const t = p.icmpType;
    const bits = this.o.tenantBits;
    if (t === 128) {
      if (!p.dstMulticast) this.echoRequest(p, Proto.ICMPV6 | V6 | bits);
    } else if (t === 129) {
      this.echoReply(p, Proto.ICMPV6 | V6 | bits);
    } else if (t === 1 && p.quotedValid) {
      this.unreachable(p, V6 | bits);
    } else if (t === 135 && p.ndTargetOff >= 0 && p.dstMulticast && !unspecifiedV6Source(p)) {
      // Neighbour solicitation to a solicited-node group: IPv6's ARP who-has
      // (RFC 4861 section 7.2.2). Unicast ones are reachability checks.
      this.probe(p, Technique.ARP_SWEEP, 0 as Port, Tool.NONE, NO_FLOW, hashIpv6(p.buf, p.ndTargetOff, this.ipv6HashKey) as HostKey);
    } else if (t === 136 && p.ndTargetOff >= 0 && !p.dstMulticast) {
      // A solicited neighbour advertisement (unicast to the asker): IPv6's ARP reply, the target is alive.
      const o = this.o;
      o.kind = Observe.NEIGHBOUR_ADVERT;
      o.source = destinationKey(p, o.tenant);
      o.packet = p;
      this.sink.observe(o);
    }
  }

  private echoRequest(p: Packet, kind: number): void {
    const o = this.o;
    const key = (p.icmpId << 16) | p.icmpSeq;
    const slot = this.flows.findOrInsert(p.src, p.dst, key, kind, Flow.PROBE, Technique.ICMP_SWEEP, o.sec, o.nsec) as FlowSlot;
    if (!this.flows.inserted) this.flows.touch(slot, o.sec, o.nsec, true);
    this.probe(p, Technique.ICMP_SWEEP, 0 as Port, icmpTool(p), slot, p.dst as HostKey);
  }

  private echoReply(p: Packet, kind: number): void {
    const slot = this.flows.find(p.dst, p.src, (p.icmpId << 16) | p.icmpSeq, kind) as FlowSlot;
    if (slot < 0 || this.flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) return;
    this.flows.touch(slot, this.o.sec, this.o.nsec, false);
    this.answered(slot, p);
  }

  /** An ICMP error quoting one of our probes: the port or host is closed or unreachable. `bits`: the flow-kind bits besides the protocol (IPv6, tenant). */
  private unreachable(p: Packet, bits: number): void {
    const flows = this.flows;
    const o = this.o;
    const ports = (p.quotedSport << 16) | p.quotedDport;
    let slot = flows.find(p.quotedSrc, p.quotedDst, ports, p.quotedProto | bits) as FlowSlot;
    if (slot < 0 && p.quotedProto === Proto.TCP) slot = this.held.heldFlow(p.quotedSrc, p.quotedDst, ports, Proto.TCP | bits, o.sec, o.nsec);
    if (slot < 0) return;
    const fl = flows.flags(slot);
    flows.touch(slot, o.sec, o.nsec, false);
    // The ICMP error may come from a router, so the prober is the quoted source, not our destination.
    const toProber = p.dst === p.quotedSrc ? p : null;
    if (fl & Flow.CANDIDATE) {
      if (flows.technique(slot) === Technique.IDLE_SCAN) return; // no zombie there: not an IP ID probe
      // nmap -sA reads an ICMP unreachable as "filtered": still a probe.
      flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.PROBE | Flow.REJECTED);
      this.candidate(slot, null, true);
      return;
    }
    if ((fl & (Flow.ANSWERED | Flow.REJECTED)) !== 0 || (fl & Flow.PROBE) === 0) return;
    this.refused(slot, toProber);
  }
}

function unspecifiedV6Source(p: Packet): boolean {
  for (let i = 0; i < 16; i++) if (p.buf[p.src6Off + i] !== 0) return false;
  return true; // duplicate address detection (RFC 4862)
}
