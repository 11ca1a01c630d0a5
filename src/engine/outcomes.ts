import { formatIpv4, hashIpv6 } from '../decode/address.js';
import { L3, Proto } from '../decode/packet.js';
import type { Detection } from '../rules/detection.js';
import { silenceMeansOpenFiltered, Technique } from '../rules/techniques.js';
import { Flow } from '../state/flow-table.js';
import { type Probation, ProbationFlag } from '../state/probation.js';
import type { SourceRecord, SourceTable } from '../state/source-table.js';
import type { TechniqueState } from '../state/technique-state.js';
import { PacketRole } from '../state/packet-index.js';
import type { HostKey, Port } from '../units.js';
import type { Admission } from './admission.js';
import type { Observation } from './observation.js';
import type { Recon } from './recon.js';
import { ndTargetText, srcText } from './source-text.js';
import type { Verdict } from './verdict.js';

type Record = SourceRecord<Detection>;
type State = TechniqueState<Detection>;

/**
 * What came of probes: answers, refusals, silence, and what the prober did
 * after an answer. Each is counted on the prober's technique state (or, for
 * a source still in probation, kept as a flag its promotion replays) and
 * may complete the verdict.
 */
export class Outcomes {
  constructor(
    private readonly probation: Probation,
    private readonly sources: SourceTable<Detection>,
    private readonly admission: Admission,
    private readonly verdict: Verdict,
    private readonly recon: Recon,
    /** Key of the IPv6 address hash: the decoder's (neighbour-advertisement targets are hashed with it). */
    private readonly ipv6HashKey: number,
  ) {}

  /**
   * The prober's record (kept in `rec`, null when it has none), marked
   * active, and its state for the observed technique (null when it has
   * none in its window).
   */
  private tracked(o: Observation, now: number): State | null {
    const rec = this.sources.find(o.source);
    this.rec = rec;
    if (rec === null) return null;
    this.sources.touch(rec, now);
    return rec.activeTechnique(o.technique);
  }
  /** The record `tracked` last found. */
  private rec: Record | null = null;

  /** A positive answer to a probe: an open port, a live host. `o.packet` is the answer. */
  answer(o: Observation): void {
    const p = o.packet!;
    const now = o.time();
    const udp = o.proto === Proto.UDP;
    const st = this.tracked(o, now);
    if (st === null) {
      // A source in probation: its one contact succeeded; remember it for promotion.
      const ps = this.probation.find(o.source);
      if (ps < 0) return;
      const payload = !udp ? 0 : o.initiatorData ? ProbationFlag.DATA : ProbationFlag.EMPTY;
      this.probation.addFlags(ps, ProbationFlag.ANSWERED | payload);
      this.probation.keepAnswerOrdinal(ps, o.ordinal);
      // The answer (this packet) is from the target: its address, for the report if the source is promoted.
      if (p.l3 === L3.IPV6) this.probation.keepResponder6(ps, p.buf, p.src6Off);
      return;
    }
    const rec = this.rec!;
    st.answered++;
    st.keep(o.ordinal, PacketRole.ANSWER);
    // A UDP contact is judged on its answer: its one datagram carried a request or nothing.
    if (udp) {
      if (o.initiatorData) st.dataContacts++;
      else st.emptyContacts++;
    }
    if (st.technique === Technique.ICMP_SWEEP) st.addLiveHost(p.src, () => srcText(p));
    else {
      st.addOpenService(p.sport, srcText(p));
      this.recon.success(rec, st.technique, o.target, o.port, now);
    }
    // A TCP contact is judged by what the initiator does next: its request
    // makes it a client's (CONTACT_DATA), its closing without one a
    // probe's (CONTACT_END). The SYN-ACK alone proves nothing either way.
    if (o.proto !== Proto.TCP) this.verdict.contactOutcome(rec, st, firstContact(o), true, now);
  }

  /**
   * The initiator answered a SYN-ACK as only the real prober's stack can:
   * completed the handshake or reset it. A source still in probation keeps
   * it as a flag, replayed when it is promoted.
   */
  answerEvidence(o: Observation, handshake: boolean): void {
    const st = this.tracked(o, o.time());
    if (st !== null) {
      if (handshake) st.handshakes++;
      else st.halfOpen++;
      st.keep(o.ordinal, PacketRole.PROBER);
      return;
    }
    const ps = this.probation.find(o.source);
    if (ps >= 0) this.probation.addFlags(ps, handshake ? ProbationFlag.HANDSHAKE : ProbationFlag.HALF_OPEN);
  }

  /**
   * The initiator sent payload on an answered TCP contact: a client's
   * request (Zeek orig_bytes > 0), a successful contact for the sequential test.
   */
  contactData(o: Observation): void {
    const now = o.time();
    const st = this.tracked(o, now);
    if (st === null) {
      this.markProbation(o, ProbationFlag.DATA);
      return;
    }
    st.dataContacts++;
    this.verdict.contactOutcome(this.rec, st, firstContact(o), true, now);
  }

  /**
   * The initiator ended an answered TCP contact (RST, FIN), or it expired,
   * without sending payload: what a scanner does (Zeek orig_bytes = 0).
   * The connect-scan signature: a probe of the port, a failed contact for
   * the sequential test, never a client's success.
   */
  contactEnded(o: Observation): void {
    const now = o.time();
    const st = this.tracked(o, now);
    if (st === null) {
      this.markProbation(o, ProbationFlag.EMPTY);
      return;
    }
    const rec = this.rec!;
    st.emptyContacts++;
    st.keep(o.ordinal, PacketRole.PROBER);
    this.verdict.internalFailure(rec, st, o.target, o.port, now);
    this.verdict.contactOutcome(rec, st, firstContact(o), false, now);
  }

  /** A contact of a source still in probation was judged: kept as a flag for its promotion. */
  private markProbation(o: Observation, flag: number): void {
    const ps = this.probation.find(o.source);
    if (ps >= 0) this.probation.addFlags(ps, flag);
  }

  /** A refusal (RST, ICMP unreachable) of a probe. `o.packet` is the refusal when it was sent to the prober. */
  reject(o: Observation): void {
    const now = o.time();
    const tech = o.technique;
    const p = o.packet;
    const st = this.tracked(o, now);
    if (st === null) {
      if (this.rec !== null) return; // tracked, but not with this technique now
      // A refusal is evidence the target exists and the source knocked on a
      // closed door: enough to leave probation. Silence is not (every spoofed
      // flood packet ends in silence).
      const ps = this.probation.find(o.source);
      if (ps < 0) return;
      this.probation.addFlags(ps, ProbationFlag.REJECTED);
      this.probation.keepAnswerOrdinal(ps, o.ordinal);
      if (o.v6 && p === null) return;
      const promoted = this.admission.promote(ps, o.source, p, true, now); // the promotion replays the refusal, TRW step included
      this.recon.failure(promoted, tech, o.target, o.port, true, now);
      this.verdict.judgeActive(promoted, tech, now);
      return;
    }
    const rec = this.rec!;
    this.recon.failure(rec, tech, o.target, o.port, true, now);
    st.rejected++;
    st.keep(o.ordinal, PacketRole.ANSWER);
    this.verdict.internalFailure(rec, st, o.target, o.port, now);
    this.verdict.contactOutcome(rec, st, firstContact(o), false, now);
  }

  /** A probe's flow expired unanswered: filtered, or open|filtered where the registry says an open port drops the probe. */
  silence(o: Observation): void {
    const rec = this.sources.find(o.source);
    if (rec === null) return;
    const st = rec.activeTechnique(o.technique);
    if (st === null) return;
    const now = o.time();
    const tech = st.technique;
    this.recon.failure(rec, tech, o.target, o.port, false, now);
    st.silent++;
    if (silenceMeansOpenFiltered(tech)) st.addOpenFiltered(o.port);
    this.verdict.contactOutcome(rec, st, firstContact(o), false, now);
  }

  /** An IPv6 neighbour advertisement to the source that solicited it: the target is alive (as an ARP reply). */
  neighbourAdvert(o: Observation): void {
    const p = o.packet!;
    const host = hashIpv6(p.buf, p.ndTargetOff, this.ipv6HashKey) as HostKey;
    let st = this.sources.find(o.source)?.activeTechnique(Technique.ARP_SWEEP) ?? null;
    if (st === null) {
      // The asker's one question so far was answered: promote it now, while this
      // packet still holds both its address and the live host's (probation keeps hashes).
      const ps = this.probation.find(o.source);
      if (ps < 0 || !this.probation.sameProbe(ps, host, 0 as Port, Technique.ARP_SWEEP)) return;
      this.probation.keepAnswerOrdinal(ps, o.ordinal);
      st = this.admission.promote(ps, o.source, p, true, o.time()).activeTechnique(Technique.ARP_SWEEP);
      if (st === null) return;
    } else {
      st.keep(o.ordinal, PacketRole.ANSWER);
    }
    if (st.addLiveHost(host, () => ndTargetText(p))) st.answered++;
  }

  /** An ARP reply to the source that asked: `o.target` is alive. */
  arpReply(o: Observation): void {
    const st = this.sources.find(o.source)?.activeTechnique(Technique.ARP_SWEEP) ?? null;
    const host = o.target;
    if (st === null) {
      // A source still in probation: its one question was answered.
      const ps = this.probation.find(o.source);
      if (ps >= 0 && this.probation.sameProbe(ps, host, 0 as Port, Technique.ARP_SWEEP)) {
        this.probation.addFlags(ps, ProbationFlag.ANSWERED);
        this.probation.keepAnswerOrdinal(ps, o.ordinal);
      }
      return;
    }
    st.keep(o.ordinal, PacketRole.ANSWER);
    if (st.addLiveHost(host, () => formatIpv4(host))) st.answered++;
  }
}

/** Whether the observed flow's probe was its source's first contact with that host and port. */
function firstContact(o: Observation): boolean {
  return (o.flowFlags & Flow.FIRST_CONTACT) !== 0;
}
