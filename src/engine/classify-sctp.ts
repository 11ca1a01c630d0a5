import { L3, type Packet, Proto, SctpChunk } from '../decode/packet.js';
import { Technique, Tool } from '../rules/techniques.js';
import { Flow } from '../state/flow-table.js';
import { type FlowSlot, type HostKey, type Port } from '../units.js';
import { Classifier } from './classifier.js';
import { V6 } from './keys.js';

/**
 * SCTP classification by the first chunk (RFC 9260 section 5.1): an INIT
 * opens an association and is a probe until INIT ACK (open) or ABORT
 * (closed) answers it, as a SYN is (nmap -sY); a COOKIE ECHO with no INIT
 * exchange before it is a probe (nmap -sZ: closed ports ABORT, open ones
 * drop it).
 */
export class SctpClassifier extends Classifier {
  classify(p: Packet): void {
    if (p.dstMulticast) return;
    const o = this.o;
    const kind = (p.l3 === L3.IPV6 ? Proto.SCTP | V6 : Proto.SCTP) | o.tenantBits;
    const fwd = (p.sport << 16) | p.dport;
    const flows = this.flows;
    const chunk = p.sctpChunkType;
    if (chunk === SctpChunk.INIT) {
      const slot = flows.findOrInsert(p.src, p.dst, fwd, kind, Flow.PROBE, Technique.SCTP_INIT, o.sec, o.nsec) as FlowSlot;
      if (!flows.inserted) flows.touch(slot, o.sec, o.nsec, true);
      this.probe(p, Technique.SCTP_INIT, p.dport as Port, Tool.NONE, slot, p.dst as HostKey);
    } else if (chunk === SctpChunk.COOKIE_ECHO) {
      let slot = flows.find(p.src, p.dst, fwd, kind) as FlowSlot;
      if (slot >= 0) {
        flows.touch(slot, o.sec, o.nsec, true);
        // The handshake's own COOKIE ECHO follows the INIT ACK we saw.
        if (flows.flags(slot) & Flow.ANSWERED) return;
        if (flows.technique(slot) !== Technique.SCTP_COOKIE_ECHO) slot = -1 as FlowSlot;
      } else {
        slot = flows.insert(p.src, p.dst, fwd, kind, Flow.PROBE, Technique.SCTP_COOKIE_ECHO, o.sec, o.nsec) as FlowSlot;
      }
      this.probe(p, Technique.SCTP_COOKIE_ECHO, p.dport as Port, Tool.NONE, slot, p.dst as HostKey);
    } else if (chunk === SctpChunk.INIT_ACK || chunk === SctpChunk.ABORT) {
      const slot = flows.find(p.dst, p.src, (p.dport << 16) | p.sport, kind) as FlowSlot;
      if (slot < 0) return;
      flows.touch(slot, o.sec, o.nsec, false);
      if ((flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) !== 0) return;
      if (chunk === SctpChunk.INIT_ACK) this.answered(slot, p);
      else this.refused(slot, p);
    }
  }
}
