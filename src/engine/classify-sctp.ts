import { L3, type Packet, Proto, SctpChunk } from '../decode/packet.js';
import { Technique, Tool } from '../rules/techniques.js';
import { Flow, type FlowTable } from '../state/flow-table.js';
import { V6 } from './keys.js';
import type { SourceTracker } from './tracker.js';

/**
 * SCTP classification by the first chunk (RFC 9260 section 5.1): an INIT
 * opens an association and is a probe until INIT ACK (open) or ABORT
 * (closed) answers it, as a SYN is (nmap -sY); a COOKIE ECHO with no INIT
 * exchange before it is a probe (nmap -sZ: closed ports ABORT, open ones
 * drop it).
 */
export class SctpClassifier {
  constructor(
    private readonly flows: FlowTable,
    private readonly tracker: SourceTracker,
  ) {}

  classify(p: Packet, now: number): void {
    if (p.dstMulticast) return;
    const kind = (p.l3 === L3.IPV6 ? Proto.SCTP | V6 : Proto.SCTP) | this.tracker.tenantBits;
    const fwd = (p.sport << 16) | p.dport;
    const flows = this.flows;
    const chunk = p.sctpChunkType;
    if (chunk === SctpChunk.INIT) {
      const slot = flows.findOrInsert(p.src, p.dst, fwd, kind, Flow.PROBE, Technique.SCTP_INIT, now);
      if (!flows.inserted) flows.touch(slot, now, true);
      this.tracker.probe(p, now, Technique.SCTP_INIT, p.dport, Tool.NONE, slot, p.dst);
    } else if (chunk === SctpChunk.COOKIE_ECHO) {
      let slot = flows.find(p.src, p.dst, fwd, kind);
      if (slot >= 0) {
        flows.touch(slot, now, true);
        // The handshake's own COOKIE ECHO follows the INIT ACK we saw.
        if (flows.flags(slot) & Flow.ANSWERED) return;
        if (flows.technique(slot) !== Technique.SCTP_COOKIE_ECHO) slot = -1;
      } else {
        slot = flows.insert(p.src, p.dst, fwd, kind, Flow.PROBE, Technique.SCTP_COOKIE_ECHO, now);
      }
      this.tracker.probe(p, now, Technique.SCTP_COOKIE_ECHO, p.dport, Tool.NONE, slot, p.dst);
    } else if (chunk === SctpChunk.INIT_ACK || chunk === SctpChunk.ABORT) {
      const slot = flows.find(p.dst, p.src, (p.dport << 16) | p.sport, kind);
      if (slot < 0) return;
      flows.touch(slot, now, false);
      if ((flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) !== 0) return;
      if (chunk === SctpChunk.INIT_ACK) this.tracker.answered(slot, p, now);
      else this.tracker.rejected(slot, p, now);
    }
  }
}
