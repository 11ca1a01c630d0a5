import { hashIpv6 } from '../decode/address.js';
import { type Packet, Proto } from '../decode/packet.js';
import { icmpTool } from '../rules/fingerprint.js';
import { Technique, Tool } from '../rules/techniques.js';
import { Flow, type FlowTable } from '../state/flow-table.js';
import { V6 } from './keys.js';
import type { SourceTracker } from './tracker.js';

/**
 * ICMP and ICMPv6 classification: echo-style requests are sweep probes,
 * their replies outcomes; errors quoting a probe refuse it; IPv6 neighbour
 * solicitations to solicited-node groups are IPv6's ARP who-has.
 */
export class IcmpClassifier {
  constructor(
    private readonly flows: FlowTable,
    private readonly tracker: SourceTracker,
  ) {}

  classifyV4(p: Packet, now: number): void {
    const t = p.icmpType;
    // Echo (8), timestamp (13), information (15) and address mask (17)
    // requests all ask "are you there?" (RFC 792, RFC 950).
    if (t === 8 || t === 13 || t === 15 || t === 17) {
      if (!p.dstMulticast && !p.l2Broadcast) this.echoRequest(p, now, Proto.ICMP | this.tracker.tenantBits);
    } else if (t === 0 || t === 14 || t === 16 || t === 18) {
      this.echoReply(p, now, Proto.ICMP | this.tracker.tenantBits);
    } else if ((t === 3 || t === 11) && p.quotedValid) {
      this.unreachable(p, now, this.tracker.tenantBits);
    }
  }

  classifyV6(p: Packet, now: number): void {
    const t = p.icmpType;
    if (t === 128) {
      if (!p.dstMulticast) this.echoRequest(p, now, Proto.ICMPV6 | V6 | this.tracker.tenantBits);
    } else if (t === 129) {
      this.echoReply(p, now, Proto.ICMPV6 | V6 | this.tracker.tenantBits);
    } else if (t === 1 && p.quotedValid) {
      this.unreachable(p, now, V6 | this.tracker.tenantBits);
    } else if (t === 135 && p.ndTargetOff >= 0 && p.dstMulticast && !unspecifiedV6Source(p)) {
      // Neighbour solicitation to a solicited-node group: IPv6's ARP who-has
      // (RFC 4861 section 7.2.2). Unicast ones are reachability checks.
      this.tracker.probe(p, now, Technique.ARP_SWEEP, 0, Tool.NONE, -1, hashIpv6(p.buf, p.ndTargetOff, this.tracker.ipv6HashKey));
    } else if (t === 136 && p.ndTargetOff >= 0 && !p.dstMulticast) {
      // A solicited neighbour advertisement (unicast to the asker): IPv6's ARP reply, the target is alive.
      this.tracker.neighbourAdvert(p, now);
    }
  }

  private echoRequest(p: Packet, now: number, kind: number): void {
    const key = (p.icmpId << 16) | p.icmpSeq;
    const slot = this.flows.findOrInsert(p.src, p.dst, key, kind, Flow.PROBE, Technique.ICMP_SWEEP, now);
    if (!this.flows.inserted) this.flows.touch(slot, now, true);
    this.tracker.probe(p, now, Technique.ICMP_SWEEP, 0, icmpTool(p), slot, p.dst);
  }

  private echoReply(p: Packet, now: number, kind: number): void {
    const slot = this.flows.find(p.dst, p.src, (p.icmpId << 16) | p.icmpSeq, kind);
    if (slot < 0 || this.flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) return;
    this.flows.touch(slot, now, false);
    this.tracker.answered(slot, p, now);
  }

  /** An ICMP error quoting one of our probes: the port or host is closed or unreachable. */
  /** `v6` holds the flow-kind bits besides the protocol: IPv6 and tenant. */
  private unreachable(p: Packet, now: number, v6: number): void {
    const flows = this.flows;
    const ports = (p.quotedSport << 16) | p.quotedDport;
    let slot = flows.find(p.quotedSrc, p.quotedDst, ports, p.quotedProto | v6);
    if (slot < 0 && p.quotedProto === Proto.TCP) slot = this.tracker.heldFlow(p.quotedSrc, p.quotedDst, ports, Proto.TCP | v6, now);
    if (slot < 0) return;
    const fl = flows.flags(slot);
    flows.touch(slot, now, false);
    if (fl & Flow.CANDIDATE) {
      if (flows.technique(slot) === Technique.IDLE_SCAN) return; // no zombie there: not an IP ID probe
      // nmap -sA reads an ICMP unreachable as "filtered": still a probe.
      flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.PROBE | Flow.REJECTED);
      this.tracker.confirmCandidate(slot, now, null, true);
      return;
    }
    if ((fl & (Flow.ANSWERED | Flow.REJECTED)) !== 0 || (fl & Flow.PROBE) === 0) return;
    // The ICMP error may come from a router, so the prober is the quoted source, not our destination.
    this.tracker.rejected(slot, p.dst === p.quotedSrc ? p : null, now);
  }
}

function unspecifiedV6Source(p: Packet): boolean {
  for (let i = 0; i < 16; i++) if (p.buf[p.src6Off + i] !== 0) return false;
  return true; // duplicate address detection (RFC 4862)
}
