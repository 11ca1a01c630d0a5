import type { Packet } from '../decode/packet.js';
import { Technique, Tool } from '../rules/techniques.js';
import { type HostKey, NO_FLOW, type Port } from '../units.js';
import { Classifier } from './classifier.js';
import { addressSourceKey } from './keys.js';
import { Observe } from './observation.js';

/** ARP classification: broadcast who-has requests are sweep probes, replies show live hosts. */
export class ArpClassifier extends Classifier {
  classify(p: Packet): void {
    if (p.arpOp === 1) {
      // Only broadcast who-has counts: unicast requests refresh a cache entry
      // (RFC 1122 2.3.2.1). Announcements (sender = target) and probes from
      // 0.0.0.0 (RFC 5227) are not questions about other hosts.
      if (!p.l2Broadcast || p.arpSpa === 0 || p.arpSpa === p.arpTpa) return;
      p.src = p.arpSpa;
      p.dst = p.arpTpa;
      this.probe(p, Technique.ARP_SWEEP, 0 as Port, Tool.NONE, NO_FLOW, p.arpTpa as HostKey);
    } else if (p.arpOp === 2) {
      // A reply to the asker (its target protocol address): the sender is alive.
      const o = this.o;
      o.kind = Observe.ARP_REPLY;
      o.source = addressSourceKey(p.arpTpa, false, o.tenant);
      o.target = p.arpSpa as HostKey;
      o.technique = Technique.ARP_SWEEP;
      o.packet = p;
      this.sink.observe(o);
    }
  }
}
