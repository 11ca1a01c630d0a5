import { formatIpv4 } from '../decode/address.js';
import type { Packet } from '../decode/packet.js';
import { Technique, Tool } from '../rules/techniques.js';
import type { SourceTracker } from './tracker.js';

/** ARP classification: broadcast who-has requests are sweep probes, replies show live hosts. */
export class ArpClassifier {
  constructor(private readonly tracker: SourceTracker) {}

  classify(p: Packet, now: number): void {
    if (p.arpOp === 1) {
      // Only broadcast who-has counts: unicast requests refresh a cache entry
      // (RFC 1122 2.3.2.1). Announcements (sender = target) and probes from
      // 0.0.0.0 (RFC 5227) are not questions about other hosts.
      if (!p.l2Broadcast || p.arpSpa === 0 || p.arpSpa === p.arpTpa) return;
      p.src = p.arpSpa;
      p.dst = p.arpTpa;
      this.tracker.probe(p, now, Technique.ARP_SWEEP, 0, Tool.NONE, -1, p.arpTpa);
    } else if (p.arpOp === 2) {
      const st = this.tracker.peekState(p.arpTpa, Technique.ARP_SWEEP);
      if (st === null) return;
      if (st.addLiveHost(p.arpSpa, () => formatIpv4(p.arpSpa))) st.answered++;
    }
  }
}
