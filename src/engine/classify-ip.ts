import { L3, type Packet } from '../decode/packet.js';
import { Technique, Tool } from '../rules/techniques.js';
import { Flow } from '../state/flow-table.js';
import type { FlowSlot, HostKey, Port } from '../units.js';
import { Classifier } from './classifier.js';
import { V6 } from './keys.js';

/**
 * nmap -sO sends every IP protocol number a datagram with no payload, or
 * a bare header for the few it knows (IGMP's 8 bytes), and reads ICMP
 * protocol unreachable. A whole datagram of a protocol we do not decode
 * (or one stating an empty payload) with at most this much payload is such
 * a probe; real ESP, GRE or OSPF traffic carries more.
 */
const MAX_PROBE_PAYLOAD = 8;

/** IP protocol scan classification: the "port" is the protocol number. */
export class IpProtocolClassifier extends Classifier {
  /** `p` is a complete datagram without a decoded transport header. */
  classify(p: Packet): void {
    if (p.dstMulticast || p.l4Len > MAX_PROBE_PAYLOAD) return;
    const o = this.o;
    // Keyed as the protocol-unreachable quote finds it: no ports, kind = protocol.
    const kind = (p.l3 === L3.IPV6 ? p.proto | V6 : p.proto) | o.tenantBits;
    const slot = this.flows.findOrInsert(p.src, p.dst, 0, kind, Flow.PROBE, Technique.IP_PROTOCOL, o.sec, o.nsec) as FlowSlot;
    if (!this.flows.inserted) this.flows.touch(slot, o.sec, o.nsec, true);
    this.probe(p, Technique.IP_PROTOCOL, p.proto as Port, Tool.NONE, slot, p.dst as HostKey);
  }
}
