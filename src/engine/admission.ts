import { formatIpv4, formatIpv6Key } from '../decode/address.js';
import { L3, type Packet, Proto } from '../decode/packet.js';
import type { Detection, DetectionReason } from '../rules/detection.js';
import { isSweep, isTcpTechnique, silenceMeansOpenFiltered, Technique, Tool, usesTrw } from '../rules/techniques.js';
import { DistinctSources } from '../state/distinct-sources.js';
import { PacketRole } from '../state/packet-index.js';
import { Flow, type FlowTable } from '../state/flow-table.js';
import { type Probation, ProbationFlag } from '../state/probation.js';
import type { SourceRecord, SourceTable } from '../state/source-table.js';
import type { TechniqueState } from '../state/technique-state.js';
import { type FlowSlot, HELD_FLOW, type HostKey, nanosOf, type Port, secondsOf, type SourceKey } from '../units.js';
import type { DetectionBook } from './detection-book.js';
import { flowAddress, flowKindOf, flowSourceKey, isV6Key, V6 } from './keys.js';
import type { Observation } from './observation.js';
import type { Recon } from './recon.js';
import type { SiteFilters } from './site-filters.js';
import { dstText, srcText } from './source-text.js';
import type { Verdict } from './verdict.js';

type Record = SourceRecord<Detection>;
type State = TechniqueState<Detection>;

/**
 * Admission: which sources get a full record. A source with one distinct
 * probe lives in probation (nearly every source, and every packet of a
 * spoofed flood, never gets further); its second distinct probe, or a
 * refusal, promotes it to a record in the source table, whose technique
 * states count every later probe. Also the held SYN flows (HELD_FLOW):
 * a first SYN's flow is kept in its probation slot, not in the flow table,
 * until a packet of that flow needs it.
 */
export class Admission {
  /** Every probing source, followed or not (what the report could not follow is measured against it). */
  readonly probingSources = new DistinctSources();
  /** Sources promoted from probation to a full record. */
  promoted = 0;

  constructor(
    private readonly probation: Probation,
    private readonly sources: SourceTable<Detection>,
    private readonly flows: FlowTable,
    private readonly book: DetectionBook,
    private readonly verdict: Verdict,
    private readonly recon: Recon,
    private readonly filters: SiteFilters,
    /** Probe packets by technique. */
    private readonly probes: Float64Array,
  ) {}

  /**
   * A probe packet (`o.packet`, from the prober). A source with one distinct
   * probe so far lives in probation; its second distinct probe promotes it
   * to a full record, which then takes every probe.
   */
  probe(o: Observation): void {
    const p = o.packet!;
    const tech = o.technique;
    if ((this.filters.ignoreSources !== null || this.filters.ignoreTargets !== null) && this.filters.allowListedPacket(p)) {
      // The answers to an allow-listed scanner's SYNs must still meet their flow (else they look unsolicited).
      if (o.flow === HELD_FLOW) this.synFlow(p, o);
      return;
    }
    this.probes[tech]!++;
    const lure = this.filters.hasLures ? this.filters.lureOf(p, tech, o.port) : null;
    const key = o.source;
    const ps = this.probation.find(key);
    const rec = this.sources.find(key);
    this.probingSources.add(key);
    if (rec === null && ps < 0 && lure === null && this.verdict.singlePacket[tech] === 0) {
      // A new source's first probe (every packet of a spoofed flood): probation only.
      this.enterProbation(o, key);
      return;
    }
    this.probeKnown(o, ps, rec, lure);
  }

  /**
   * A source's first probe into probation; returns its slot there. A held
   * SYN keeps its ports in the slot (HELD_FLOW); a probe that has a flow
   * marks it as the source's first contact.
   */
  private enterProbation(o: Observation, key: SourceKey): number {
    const pr = this.probation;
    const ps = pr.claim(key);
    if (o.flow === HELD_FLOW) pr.put(ps, key, o.target, o.port, o.technique, o.tool, o.sec, o.nsec, o.ordinal, o.packet!.sport, ProbationFlag.HOLDS_FLOW);
    else {
      pr.put(ps, key, o.target, o.port, o.technique, o.tool, o.sec, o.nsec, o.ordinal);
      if (o.flow >= 0) this.flows.setFlags(o.flow, this.flows.flags(o.flow) | Flow.FIRST_CONTACT);
    }
    return ps;
  }

  /**
   * The rest of `probe`: a source in probation or followed, or a first probe
   * reported at once (a decoy, a one-probe technique). Apart from the flood
   * path above so that V8 compiles that path small and once: the branches
   * here are met later in a capture, and each first meeting would throw
   * away and recompile the whole of `probe`.
   */
  private probeKnown(o: Observation, ps: number, rec: Record | null, lure: DetectionReason | null): void {
    const pr = this.probation;
    const p = o.packet!;
    const key = o.source;
    const tech = o.technique;
    const now = o.time();
    if (rec === null) {
      if (ps < 0) {
        ps = this.enterProbation(o, key);
        // A technique reported from its first packet (a one-probe threshold, a decoy) cannot wait in probation.
        const promoted = this.promote(ps, key, p, false, now);
        if (lure !== null) this.verdict.lure(promoted, tech, now, lure);
        else this.verdict.judgeActive(promoted, tech, now);
        return;
      }
      if (pr.sameProbe(ps, o.target, o.port, tech) && lure === null) {
        pr.addPacket(ps); // a retransmission
        return;
      }
      rec = this.promote(ps, key, p, false, now);
    } else {
      this.sources.touch(rec, now);
    }
    let slot: FlowSlot = o.flow;
    if (slot === HELD_FLOW) slot = this.synFlow(p, o);
    if (slot >= 0) this.flows.markOwnerTracked(slot);
    const st = this.stateFor(rec, tech, now);
    const added = st.addProbe(o.target, o.port, now);
    if (o.tool !== Tool.NONE) st.toolVotes[o.tool]!++;
    if (added & 1) st.sampleTarget(o.target, p.l3 === L3.IPV6 ? () => dstText(p) : null);
    if (added & 4 && slot >= 0) this.flows.setFlags(slot, this.flows.flags(slot) | Flow.FIRST_CONTACT);
    st.keep(o.ordinal, PacketRole.PROBE);
    const icmp = p.proto === Proto.ICMP || p.proto === Proto.ICMPV6;
    this.recon.afterProbe(rec, st, tech, o.target, o.port, added, p.l3 === L3.IPV6, icmp ? p.icmpType : -1, icmp ? p.l4Len - 8 : 0, now);
    if (st.detection !== null) return;
    if (lure !== null) this.verdict.lure(rec, tech, now, lure);
    else if (added !== 0 || this.verdict.countsPackets[tech] === 1) this.verdict.judge(rec, st, tech, now);
  }

  /**
   * A lone segment shown to be a probe (CANDIDATE): counted once the
   * target's answer (RST, ICMP unreachable) or silence shows no connection
   * existed. `o.packet` is the answering packet, if any (its destination is
   * the prober).
   */
  candidate(o: Observation): void {
    const reply = o.packet;
    const v6 = o.v6;
    const host = o.target;
    const port = o.port;
    const tech = o.technique;
    const now = o.time();
    const t = o.probeTime();
    if (this.filters.allowListedFlow(v6, this.flowInitiator(o), host, reply)) return;
    this.probes[tech]!++;
    const key = o.source;
    let rec = this.sources.find(key);
    if (rec === null) {
      const pr = this.probation;
      let ps = pr.find(key);
      const outcome = o.rejected ? ProbationFlag.REJECTED : 0;
      if (ps < 0) {
        ps = pr.claim(key);
        pr.put(ps, key, host, port, tech, o.tool, o.probeSec, o.probeNsec, o.probeOrdinal);
        pr.addFlags(ps, outcome);
        pr.keepAnswerOrdinal(ps, o.ordinal);
        // A technique judged from one target (an idle scan's zombie) leaves probation at once.
        if (this.verdict.singlePacket[tech] === 1 && !(v6 && reply === null)) this.verdict.judgeActive(this.promote(ps, key, reply, true, now), tech, now);
        return;
      }
      if (pr.sameProbe(ps, host, port, tech)) {
        pr.addFlags(ps, outcome);
        return;
      }
      // Without the packet an IPv6 prober's address is unknown: it stays in probation.
      if (v6 && reply === null) return;
      rec = this.promote(ps, key, reply, true, now);
    } else {
      this.sources.touch(rec, now);
    }
    const st = this.stateFor(rec, tech, t);
    const added = st.addProbe(host, port, Math.max(t, st.lastSeen));
    if (added & 1) st.sampleTarget(host, reply !== null && v6 ? () => srcText(reply) : null);
    if (o.tool !== Tool.NONE) st.toolVotes[o.tool]!++;
    st.keep(o.probeOrdinal, PacketRole.PROBE);
    st.keep(o.ordinal, PacketRole.ANSWER);
    if (o.rejected) st.rejected++;
    else {
      st.silent++;
      // A Maimon probe's silence: open or filtered (a lone ACK's: filtered, not listed; the registry's silence).
      if (silenceMeansOpenFiltered(tech)) st.addOpenFiltered(port);
    }
    this.recon.failure(rec, tech, host, port, o.rejected, now);
    if (st.detection !== null) return;
    const lure = this.filters.hasLures ? this.filters.flowLure(v6, host, port, reply) : null;
    if (lure !== null) this.verdict.lure(rec, tech, now, lure);
    else if (added !== 0 || this.verdict.countsPackets[tech] === 1) this.verdict.judge(rec, st, tech, now);
  }

  /** The flow-table address of an observed flow's initiator (the allow-lists read IPv4 ones). */
  private flowInitiator(o: Observation): number {
    return flowAddress(o.source);
  }

  /**
   * Moves a source from probation to a full record, replaying its first
   * probe. `p` supplies the IPv6 address bytes: the packet's source, or its
   * destination when `fromDst` (a reply to the prober).
   */
  promote(ps: number, key: SourceKey, p: Packet | null, fromDst: boolean, now: number): Record {
    const pr = this.probation;
    this.promoted++;
    // The slot is read whole and freed first: what follows (a record
    // evicted, a flow inserted) may reuse it.
    const tech = pr.technique(ps);
    const host = pr.host(ps);
    const port = pr.port(ps);
    const t = pr.time(ps);
    const packets = pr.packets(ps);
    const tool = pr.tool(ps);
    const fl = pr.flags(ps);
    const probeOrdinal = pr.probeOrdinal(ps);
    const answerOrdinal = pr.answerOrdinal(ps);
    const responder6 = fl & ProbationFlag.RESPONDER6 ? pr.responder6Hex(ps) : null;
    const heldSourcePort = pr.sourcePort(ps);
    pr.clear(ps);
    // A full table recycles its quietest record: its detections are frozen first.
    const victim = this.sources.victim();
    if (victim !== null) this.book.retire(victim);
    const rec = this.sources.add(key, t);
    rec.isV6 = isV6Key(key);
    if (rec.isV6) {
      if (rec.addr6 === null) rec.addr6 = new Uint8Array(16);
      const off = p === null ? -1 : fromDst ? p.dst6Off : p.src6Off;
      if (off >= 0 && p !== null) rec.addr6.set(p.buf.subarray(off, off + 16));
      else rec.addr6.fill(0);
    }
    const st = this.stateFor(rec, tech, t);
    st.addProbe(host, port, t);
    this.recon.afterReplay(st, tech, host, t);
    st.probes += packets - 1;
    if (tool !== Tool.NONE) st.toolVotes[tool]! += packets;
    st.keep(probeOrdinal, PacketRole.PROBE);
    st.keep(answerOrdinal, PacketRole.ANSWER);
    if (!rec.isV6) st.sampleTarget(host, null);
    else if (p !== null) {
      // Probation keeps an IPv6 target as its hash: the text comes from a packet that carries it.
      const v6 = p;
      if (!fromDst && v6.dst === host) st.sampleTarget(host, () => dstText(v6));
      else if (fromDst && v6.src === host) st.sampleTarget(host, () => srcText(v6));
      else if (responder6 !== null) st.sampleTarget(host, () => formatIpv6Key(responder6));
    } else if (responder6 !== null) st.sampleTarget(host, () => formatIpv6Key(responder6));
    if (fl & ProbationFlag.ANSWERED) {
      st.answered++;
      if (!rec.isV6 || responder6 !== null) {
        const name = (): string => (responder6 === null ? formatIpv4(host) : formatIpv6Key(responder6));
        if (tech === Technique.ICMP_SWEEP || tech === Technique.ARP_SWEEP) st.addLiveHost(host, name);
        else st.addOpenService(port, name());
      }
      if (!isSweep(tech)) this.recon.success(rec, tech, host, port, t);
      // A TCP contact counts by what followed its SYN-ACK (see Outcomes.answer):
      // a request, a success; an empty close, a failure; neither yet, it is
      // judged when its flow is (the flow stays, see HOLDS_FLOW below).
      if (usesTrw(tech)) {
        if (!isTcpTechnique(tech)) this.verdict.stepTrw(st, true);
        else if (fl & ProbationFlag.DATA) this.verdict.stepTrw(st, true);
        else if (fl & ProbationFlag.EMPTY) this.verdict.stepTrw(st, false);
      }
    }
    if (fl & ProbationFlag.HALF_OPEN) st.halfOpen++;
    if (fl & ProbationFlag.HANDSHAKE) st.handshakes++;
    if (fl & ProbationFlag.DATA) st.dataContacts++;
    if (fl & ProbationFlag.EMPTY) {
      st.emptyContacts++;
      this.verdict.internalFailure(rec, st, host, port, t);
    }
    if (fl & ProbationFlag.REJECTED) {
      st.rejected++;
      this.verdict.internalFailure(rec, st, host, port, t);
      if (usesTrw(tech)) this.verdict.stepTrw(st, false);
    }
    // Its first SYN's answer may still be on the way: the flow must be there to meet it.
    if (fl & ProbationFlag.HOLDS_FLOW) this.materialize(key, host, port, heldSourcePort, tech, secondsOf(t), nanosOf(t), now);
    return rec;
  }

  /** The technique state of a source, started afresh when the window has passed. */
  stateFor(rec: Record, tech: number, now: number): State {
    const st = rec.technique(tech);
    if (st.probes > 0 && now - st.lastSeen > this.verdict.window) {
      this.book.close(st);
      st.reset();
    }
    return st;
  }

  /** The flow of a tracked source's SYN (see HELD_FLOW): found, or added as a probe. Returns its slot. */
  private synFlow(p: Packet, o: Observation): FlowSlot {
    const kind = (p.l3 === L3.IPV6 ? Proto.TCP | V6 : Proto.TCP) | o.tenantBits;
    const flows = this.flows;
    const slot = flows.findOrInsert(p.src, p.dst, (p.sport << 16) | p.dport, kind, Flow.PROBE, o.technique, o.sec, o.nsec) as FlowSlot;
    if (!flows.inserted) flows.touch(slot, o.sec, o.nsec, true);
    return slot;
  }

  /**
   * A SYN held in probation as the flow initiator `a` → responder `b`
   * (`ports`: initiator's port << 16 | responder's; `kind` a TCP flow
   * kind), put in the flow table now that a packet of it came: an answer,
   * an ICMP error quoting it, or the initiator's next segment. The
   * prober's own port is not compared (a retransmission may use another).
   * Returns the flow's slot, or -1 when no such SYN is held or it is older
   * than a flow lives.
   */
  heldFlow(a: number, b: number, ports: number, kind: number, sec: number, nsec: number): FlowSlot {
    const key = flowSourceKey(a, kind);
    const pr = this.probation;
    const ps = pr.find(key);
    if (ps < 0 || (pr.flags(ps) & ProbationFlag.HOLDS_FLOW) === 0) return -1 as FlowSlot;
    const now = sec + nsec * 1e-9;
    if (pr.host(ps) !== b || pr.port(ps) !== (ports & 0xffff) || now - pr.time(ps) > this.flows.idleTimeout) return -1 as FlowSlot;
    pr.clearFlags(ps, ProbationFlag.HOLDS_FLOW);
    const t = pr.time(ps);
    return this.materialize(key, b as HostKey, (ports & 0xffff) as Port, ports >>> 16, pr.technique(ps), secondsOf(t), nanosOf(t), now);
  }

  /**
   * Puts a held SYN's flow (prober `key` → `host`, ports `sourcePort` →
   * `port`) in the flow table as the SYN would have: a first contact of
   * technique `tech`, begun at `sec`.`nsec`. -1 when it would have expired by `now`.
   */
  private materialize(key: SourceKey, host: HostKey, port: Port, sourcePort: number, tech: number, sec: number, nsec: number, now: number): FlowSlot {
    if (now - (sec + nsec * 1e-9) > this.flows.idleTimeout) return -1 as FlowSlot;
    const flows = this.flows;
    const slot = flows.findOrInsert(flowAddress(key), host, (sourcePort << 16) | port, flowKindOf(key, Proto.TCP), Flow.PROBE, tech, sec, nsec) as FlowSlot;
    flows.setFlags(slot, flows.flags(slot) | Flow.FIRST_CONTACT);
    return slot;
  }
}
