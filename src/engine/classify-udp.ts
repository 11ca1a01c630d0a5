import { L3, type Packet, Proto } from '../decode/packet.js';
import { udpTool } from '../rules/fingerprint.js';
import { Technique } from '../rules/techniques.js';
import { Flow } from '../state/flow-table.js';
import type { FlowSlot, HostKey, Port } from '../units.js';
import { Classifier } from './classifier.js';
import { V6 } from './keys.js';
import { isClientRequest, isDiscoveryAnswer } from './udp-payloads.js';

/**
 * The responder of a remembered group or broadcast query (255.255.255.255,
 * which no flow to a real host has: datagrams to it are never flows).
 */
const ANY_RESPONDER = -1;

/** UDP classification: a datagram to a port is a probe until it is answered; the answer is its outcome. */
export class UdpClassifier extends Classifier {
  classify(p: Packet): void {
    const o = this.o;
    const kind = (p.l3 === L3.IPV6 ? Proto.UDP | V6 : Proto.UDP) | o.tenantBits;
    const fwd = (p.sport << 16) | p.dport;
    const flows = this.flows;
    // Service discovery (mDNS, LLMNR, SSDP, NetBIOS, DHCP) and subnet
    // broadcasts (a unicast-looking address in a broadcast frame): never
    // probes. The query is remembered: its answers come back unicast, from
    // any host, to the asker's port.
    if (p.dstMulticast || p.l2Broadcast) {
      const q = flows.findOrInsert(p.src, ANY_RESPONDER, fwd, kind, Flow.MIDSTREAM, 0, o.sec, o.nsec);
      if (!flows.inserted) flows.touch(q, o.sec, o.nsec, true);
      return;
    }
    let slot = flows.find(p.src, p.dst, fwd, kind) as FlowSlot;
    if (slot >= 0) {
      flows.touch(slot, o.sec, o.nsec, true);
      if (flows.flags(slot) & Flow.PROBE) this.probe(p, Technique.UDP, p.dport as Port, udpTool(p), slot, p.dst as HostKey);
      return;
    }
    slot = flows.find(p.dst, p.src, (p.dport << 16) | p.sport, kind) as FlowSlot;
    if (slot >= 0) {
      flows.touch(slot, o.sec, o.nsec, false);
      if ((flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) === 0) this.answered(slot, p);
      return;
    }
    // From a well-known port to an ephemeral one: a server's answer whose
    // question we did not see (DNS, NTP, SNMP replies), not a probe.
    if (p.sport < 1024 && p.dport >= 1024) return;
    // An answer to a query the destination sent to a group or broadcast
    // (remembered above), or a discovery responder's answer by its shape.
    if (flows.find(p.dst, ANY_RESPONDER, (p.dport << 16) | p.sport, kind) >= 0 || isDiscoveryAnswer(p)) return;
    // A client's application request sent one-way (QUIC Initial, DNS query):
    // its silence says nothing (the answer may take another path), and a
    // browser's or resolver's requests to a few servers are not a sweep.
    if (isClientRequest(p)) return;
    slot = flows.insert(p.src, p.dst, fwd, kind, Flow.PROBE, Technique.UDP, o.sec, o.nsec) as FlowSlot;
    if (p.payloadLen > 0) flows.markInitiatorData(slot); // a request (DNS, NTP...) or nmap's empty probe
    this.probe(p, Technique.UDP, p.dport as Port, udpTool(p), slot, p.dst as HostKey);
  }
}
