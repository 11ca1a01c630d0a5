import { formatIpv4, formatIpv6Key, hashIpv6 } from '../decode/address.js';
import { L3, type Packet, Proto } from '../decode/packet.js';
import type { CidrSet } from '../rules/cidr.js';
import type { EngineConfig } from '../rules/config.js';
import type { Detection, DetectionReason } from '../rules/detection.js';
import { hasTransportPorts, INTERNAL_RECON, isSweep, isTcpTechnique, Technique, Tool, usesTrw } from '../rules/techniques.js';
import { InternalReconState } from '../state/internal-recon.js';
import { Trw } from '../rules/trw.js';
import { DistinctSources } from '../state/distinct-sources.js';
import { Flow, type FlowTable } from '../state/flow-table.js';
import { type Probation, ProbationFlag } from '../state/probation.js';
import type { SourceRecord, SourceTable } from '../state/source-table.js';
import type { TechniqueState } from '../state/technique-state.js';
import type { DetectionBook } from './detection-book.js';
import type { Recon } from './recon.js';
import { type EvaluationParams, evaluate } from './evaluate.js';
import { addressKey, flowSourceKey, IPV6_KEY_BASE, isV6Key, keyTenant, sourceKey, TENANT_SHIFT, V6 } from './keys.js';

type Record = SourceRecord<Detection>;

/**
 * The `slot` a classifier passes to `probe` for a TCP SYN whose flow it has
 * not looked up: a source's first SYN is held in probation, which stands
 * for its flow until an answer comes (heldFlow), so a flood of one-packet
 * sources never touches the flow table; the SYNs of tracked sources get
 * their flow in `probe`.
 */
export const HELD_FLOW = -2;

/** The flow-table address of a source key: the IPv4 address, or the IPv6 address hash. */
function flowAddress(key: number): number {
  const a = addressKey(key);
  return isV6Key(key) ? a - IPV6_KEY_BASE : a;
}
type State = TechniqueState<Detection>;

/**
 * Source tracking and promotion: where the protocol classifiers hand their
 * probes and outcomes. A source with one distinct probe lives in probation;
 * its second distinct probe (or a refusal) promotes it to a full record,
 * whose technique states the verdict (evaluate.ts) reads and whose
 * detections the book keeps.
 */
export class SourceTracker {
  private trw!: Trw;
  private params!: EvaluationParams;
  /** 1 for techniques whose threshold is a single probe (see the registry). */
  private singlePacket!: Uint8Array;
  /** 1 for techniques judged on every probe packet, not only on new targets (a probe-count threshold). */
  private countsPackets!: Uint8Array;
  /** 1 for techniques the configuration turned off: counted, never reported. */
  private disabled!: Uint8Array;
  /** Sources whose probes are not counted (allow-listed scanners); null: none. */
  ignoreSources: CidrSet | null = null;
  /** Targets whose probes are not counted; null: none. */
  ignoreTargets: CidrSet | null = null;
  /** Probe packets skipped by the allow-lists. */
  allowListed = 0;
  /** The current packet's tenant index (state/tenants.ts), and it shifted into flow kinds. */
  tenant = 0;
  tenantBits = 0;
  /** The sweep-rate, long-horizon and many-source tiers (recon.ts); set by the engine. */
  recon!: Recon;
  /** The defended network (--home-net): the internal-reconnaissance tier judges sources and targets inside it; null: none. */
  homeNet: CidrSet | null = null;
  /** Deception (--dark-net): targets no host uses; null: none (nothing is checked per packet). */
  darkNet: CidrSet | null = null;
  /** Deception (--honey-port): 1 for each port nobody legitimate calls; null: none. */
  honeyPorts: Uint8Array | null = null;
  /** Every probing source, followed or not (what the report could not follow is measured against it). */
  readonly probingSources = new DistinctSources();
  /** Sources promoted from probation to a full record. */
  promoted = 0;

  constructor(
    private config: EngineConfig,
    private readonly probation: Probation,
    private readonly sources: SourceTable<Detection>,
    private readonly flows: FlowTable,
    private readonly book: DetectionBook,
    /** Probe packets by technique. */
    private readonly probes: Float64Array,
    /** Key of the IPv6 address hash: the decoder's (neighbour-solicitation targets are hashed here). */
    readonly ipv6HashKey: number,
  ) {
    this.reconfigure(config);
  }

  /** Takes new thresholds and test bounds (the engine checked them); the counts are kept. */
  reconfigure(config: EngineConfig): void {
    const trw = new Trw(config.trw);
    this.params = {
      thresholds: config.thresholds,
      overwhelmingFactor: config.overwhelmingFactor,
      clientFailureFraction: config.clientFailureFraction,
      confirmedScannerThreshold: config.confirmedScannerThreshold,
      sweepUnansweredFraction: config.sweepUnansweredFraction,
      trwUpper: trw.upper,
      trwLower: trw.lower,
      trwMinContacts: config.trw.minContacts,
    };
    this.trw = trw;
    this.singlePacket = Uint8Array.from(config.thresholds, (t) => ((t.hosts > 0 && t.hosts <= 1) || (t.ports > 0 && t.ports <= 1) ? 1 : 0));
    this.countsPackets = Uint8Array.from(config.thresholds, (t) => (t.probes !== undefined && t.probes > 1 ? 1 : 0));
    this.disabled = Uint8Array.from(config.thresholds, (t) => (t.enabled === false ? 1 : 0));
    this.config = config;
  }

  /** The source key of a flow's initiator (the prober), as sourceKey gives it for its packets. */
  initiatorKey(slot: number): number {
    return flowSourceKey(this.flows.initiator(slot), this.flows.kind(slot));
  }

  /** A source's active state for a technique, without touching its recency; null if untracked. */
  peekState(key: number, tech: number): State | null {
    key += this.tenant * 2 ** 33; // see keys.ts
    return this.sources.peek(key)?.activeTechnique(tech) ?? null;
  }

  /**
   * One probe packet from the packet's source. A source with one distinct
   * probe so far lives in probation; its second distinct probe promotes it
   * to a full record, which then takes every probe.
   */
  probe(p: Packet, now: number, tech: number, port: number, tool: number, slot: number, host: number): void {
    if (
      (this.ignoreSources !== null && this.ignoreSources.hasPacketAddress(p, true)) ||
      (this.ignoreTargets !== null && this.ignoreTargets.hasPacketAddress(p, false))
    ) {
      this.allowListed++;
      // The answers to an allow-listed scanner's SYNs must still meet their flow (else they look unsolicited).
      if (slot === HELD_FLOW) this.synFlow(p, tech, now);
      return;
    }
    this.probes[tech]!++;
    const lure = this.darkNet === null && this.honeyPorts === null ? null : this.lureOf(p, tech, port);
    const key = sourceKey(p, this.tenant);
    const pr = this.probation;
    const ps = pr.find(key);
    const rec = this.sources.get(key, now);
    this.probingSources.add(key);
    if (rec === null && ps < 0 && lure === null && this.singlePacket[tech] === 0) {
      // A new source's first probe (every packet of a spoofed flood): probation only.
      this.enterProbation(p, key, host, port, tech, tool, slot, now);
      return;
    }
    this.probeKnown(p, now, tech, port, tool, slot, host, key, ps, rec, lure);
  }

  /**
   * A source's first probe into probation; returns its slot there. A held
   * SYN keeps its ports in the slot (HELD_FLOW); a probe that has a flow
   * marks it as the source's first contact.
   */
  private enterProbation(p: Packet, key: number, host: number, port: number, tech: number, tool: number, slot: number, now: number): number {
    const pr = this.probation;
    const ps = pr.claim(key);
    if (slot === HELD_FLOW) pr.put(ps, key, host, port, tech, tool, now, p.sport, ProbationFlag.HOLDS_FLOW);
    else {
      pr.put(ps, key, host, port, tech, tool, now);
      if (slot >= 0) this.flows.setFlags(slot, this.flows.flags(slot) | Flow.FIRST_CONTACT);
    }
    return ps;
  }

  /**
   * The rest of `probe`: a source in probation or followed, or a first probe
   * reported at once (a decoy, a one-probe technique). Apart from the flood
   * path above so that V8 compiles that path small and once: the branches
   * here are met later in a capture, and each first meeting used to throw
   * away and recompile the whole of `probe` (six times on a 1 M-packet
   * flood, 185 ms of compiler time).
   */
  private probeKnown(
    p: Packet,
    now: number,
    tech: number,
    port: number,
    tool: number,
    slot: number,
    host: number,
    key: number,
    ps: number,
    rec: Record | null,
    lure: DetectionReason | null,
  ): void {
    const pr = this.probation;
    if (rec === null) {
      if (ps < 0) {
        ps = this.enterProbation(p, key, host, port, tech, tool, slot, now);
        // A technique reported from its first packet (NULL, XMAS, a decoy) cannot wait in probation.
        if (lure !== null) this.openLure(this.promote(ps, key, p, false, now), tech, now, lure);
        else this.evaluateNow(this.promote(ps, key, p, false, now), tech, now);
        return;
      }
      if (pr.sameProbe(ps, host, port, tech) && lure === null) {
        pr.addPacket(ps); // a retransmission
        return;
      }
      rec = this.promote(ps, key, p, false, now);
    }
    if (slot === HELD_FLOW) {
      slot = this.synFlow(p, tech, now);
      // The insert may have ended a flow whose outcome promoted another source
      // into a full table; only a one-record table evicts the head (rec) then.
      if (rec.key !== key) return;
    }
    if (slot >= 0) this.flows.markOwnerTracked(slot);
    const st = this.stateFor(rec, tech, now);
    const added = st.addProbe(host, port, now);
    if (tool !== Tool.NONE) st.toolVotes[tool]!++;
    if (added & 1) st.sampleTarget(host, p.l3 === L3.IPV6 ? () => dstText(p) : null);
    if (added & 4 && slot >= 0) this.flows.setFlags(slot, this.flows.flags(slot) | Flow.FIRST_CONTACT);
    const icmp = p.proto === Proto.ICMP || p.proto === Proto.ICMPV6;
    this.recon.afterProbe(rec, st, tech, host, port, added, p.l3 === L3.IPV6, icmp ? p.icmpType : -1, icmp ? p.l4Len - 8 : 0, now);
    if (st.detection !== null) return;
    if (lure !== null) this.openLure(rec, tech, now, lure);
    else if (added !== 0 || this.countsPackets[tech] === 1) this.evaluate(rec, st, tech, now);
  }

  /** Whether a probe went to a decoy: a dark-net address or a honey port. */
  private lureOf(p: Packet, tech: number, port: number): DetectionReason | null {
    const dark = this.darkNet;
    if (dark !== null) {
      // An IPv6 neighbour solicitation asks for its target, not its (multicast) destination.
      const hit = p.l3 === L3.IPV6 && tech === Technique.ARP_SWEEP ? dark.hasV6(p.buf, p.ndTargetOff) : dark.hasPacketAddress(p, false);
      if (hit) return 'dark-net';
    }
    if (this.honeyPorts !== null && hasTransportPorts(tech) && this.honeyPorts[port] === 1) return 'honey-port';
    return null;
  }

  /** lureOf for a lone ACK/FIN-ACK known from its flow (IPv6 needs the target's reply for its address). */
  private candidateLure(v6: boolean, host: number, port: number, reply: Packet | null): DetectionReason | null {
    const dark = this.darkNet;
    if (dark !== null && (v6 ? reply !== null && dark.hasPacketAddress(reply, true) : dark.hasV4(host))) return 'dark-net';
    if (this.honeyPorts !== null && this.honeyPorts[port] === 1) return 'honey-port';
    return null;
  }

  /** A decoy was probed: reported on this first probe. */
  private openLure(rec: Record, tech: number, now: number, reason: DetectionReason): void {
    const st = rec.activeTechnique(tech);
    if (st !== null && st.detection === null) this.book.open(recordText(rec), keyTenant(rec.key), tech, st, now, reason);
  }

  /**
   * Counts a lone ACK/FIN-ACK probe once the target's answer (RST, ICMP
   * unreachable) or silence shows no connection existed. `reply` is the
   * answering packet, if any (its destination is the prober).
   */
  confirmCandidate(slot: number, now: number, reply: Packet | null, rejected: boolean): void {
    const flows = this.flows;
    const v6 = (flows.kind(slot) & V6) !== 0;
    const host = flows.responder(slot);
    const port = flows.ports(slot) & 0xffff;
    const tech = flows.technique(slot);
    const t = flows.firstSeen(slot);
    if (this.allowListedFlow(v6, flows.initiator(slot), host, reply)) {
      this.allowListed++;
      return;
    }
    this.probes[tech]!++;
    const key = this.initiatorKey(slot);
    const tool = flows.tool(slot);
    let rec = this.sources.get(key, now);
    if (rec === null) {
      const pr = this.probation;
      let ps = pr.find(key);
      const outcome = rejected ? ProbationFlag.REJECTED : 0;
      if (ps < 0) {
        ps = pr.claim(key);
        pr.put(ps, key, host, port, tech, tool, t);
        pr.addFlags(ps, outcome);
        // A technique judged from one target (an idle scan's zombie) leaves probation at once.
        if (this.singlePacket[tech] === 1 && !(v6 && reply === null)) this.evaluateNow(this.promote(ps, key, reply, true, now), tech, now);
        return;
      }
      if (pr.sameProbe(ps, host, port, tech)) {
        pr.addFlags(ps, outcome);
        return;
      }
      // Without the packet an IPv6 prober's address is unknown: it stays in probation.
      if (v6 && reply === null) return;
      rec = this.promote(ps, key, reply, true, now);
    }
    const st = this.stateFor(rec, tech, t);
    const added = st.addProbe(host, port, Math.max(t, st.lastSeen));
    if (added & 1) st.sampleTarget(host, reply !== null && v6 ? () => srcText(reply) : null);
    if (tool !== Tool.NONE) st.toolVotes[tool]!++;
    if (rejected) st.rejected++;
    else {
      st.silent++;
      // A Maimon probe's silence: open or filtered (a lone ACK's: filtered, not listed).
      if (tech === Technique.TCP_MAIMON) st.addOpenFiltered(port);
    }
    this.recon.failure(rec, tech, host, port, rejected, now);
    if (st.detection !== null) return;
    const lure = this.darkNet === null && this.honeyPorts === null ? null : this.candidateLure(v6, host, port, reply);
    if (lure !== null) this.openLure(rec, tech, now, lure);
    else if (added !== 0 || this.countsPackets[tech] === 1) this.evaluate(rec, st, tech, now);
  }

  /**
   * The allow-lists for a probe known only from its flow (the prober is the
   * initiator; `reply`, when there is one, was sent to it). IPv6 flows keep
   * only address hashes, so without the reply they cannot be matched.
   */
  private allowListedFlow(v6: boolean, initiator: number, responder: number, reply: Packet | null): boolean {
    const src = this.ignoreSources;
    const dst = this.ignoreTargets;
    if (src === null && dst === null) return false;
    if (!v6) return (src !== null && src.hasV4(initiator)) || (dst !== null && dst.hasV4(responder));
    if (reply === null) return false;
    return (src !== null && src.hasPacketAddress(reply, false)) || (dst !== null && dst.hasPacketAddress(reply, true));
  }

  /**
   * Moves a source from probation to a full record, replaying its first
   * probe. `p` supplies the IPv6 address bytes: the packet's source, or its
   * destination when `fromDst` (a reply to the prober).
   */
  private promote(ps: number, key: number, p: Packet | null, fromDst: boolean, now: number): Record {
    const pr = this.probation;
    this.promoted++;
    // The slot is read whole and freed first: what follows (a record evicted,
    // a flow evicted and its outcome judged) may reuse it.
    const tech = pr.technique(ps);
    const host = pr.host(ps);
    const port = pr.port(ps);
    const t = pr.time(ps);
    const packets = pr.packets(ps);
    const tool = pr.tool(ps);
    const fl = pr.flags(ps);
    const responder6 = fl & ProbationFlag.RESPONDER6 ? pr.responder6Hex(ps) : null;
    const heldSourcePort = pr.sourcePort(ps);
    pr.clear(ps);
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
      if (!isSweep(tech)) {
        this.recon.success(rec, tech, host, port, t);
      }
      // A TCP contact counts by what followed its SYN-ACK (see answered):
      // a request, a success; an empty close, a failure; neither yet, it is
      // judged when its flow is (the flow stays, see HOLDS_FLOW below).
      if (usesTrw(tech)) {
        if (!isTcpTechnique(tech)) this.stepTrw(st, true);
        else if (fl & ProbationFlag.DATA) this.stepTrw(st, true);
        else if (fl & ProbationFlag.EMPTY) this.stepTrw(st, false);
      }
    }
    if (fl & ProbationFlag.HALF_OPEN) st.halfOpen++;
    if (fl & ProbationFlag.HANDSHAKE) st.handshakes++;
    if (fl & ProbationFlag.DATA) st.dataContacts++;
    if (fl & ProbationFlag.EMPTY) {
      st.emptyContacts++;
      this.internalOutcome(rec, st, host, port, t);
    }
    if (fl & ProbationFlag.REJECTED) {
      st.rejected++;
      this.internalOutcome(rec, st, host, port, t);
      if (usesTrw(tech)) this.stepTrw(st, false);
    }
    // Its first SYN's answer may still be on the way: the flow must be there to meet it.
    if (fl & ProbationFlag.HOLDS_FLOW) this.materialize(key, host, port, heldSourcePort, tech, t, now);
    return rec;
  }

  /**
   * The flow of a tracked source's SYN (see HELD_FLOW): found, or added as
   * a probe. Returns its slot.
   */
  private synFlow(p: Packet, tech: number, now: number): number {
    const kind = (p.l3 === L3.IPV6 ? Proto.TCP | V6 : Proto.TCP) | this.tenantBits;
    const flows = this.flows;
    const slot = flows.findOrInsert(p.src, p.dst, (p.sport << 16) | p.dport, kind, Flow.PROBE, tech, now);
    if (!flows.inserted) flows.touch(slot, now, true);
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
  heldFlow(a: number, b: number, ports: number, kind: number, now: number): number {
    const key = flowSourceKey(a, kind);
    const pr = this.probation;
    const ps = pr.find(key);
    if (ps < 0 || (pr.flags(ps) & ProbationFlag.HOLDS_FLOW) === 0) return -1;
    if (pr.host(ps) !== b || pr.port(ps) !== (ports & 0xffff) || now - pr.time(ps) > this.flows.idleTimeout) return -1;
    pr.clearFlags(ps, ProbationFlag.HOLDS_FLOW);
    return this.materialize(key, b, ports & 0xffff, ports >>> 16, pr.technique(ps), pr.time(ps), now);
  }

  /**
   * Puts a held SYN's flow (prober `key` → `host`, ports `sourcePort` →
   * `port`) in the flow table as the SYN would have: a first contact of
   * technique `tech`, begun at `t`. -1 when it would have expired by `now`.
   */
  private materialize(key: number, host: number, port: number, sourcePort: number, tech: number, t: number, now: number): number {
    if (now - t > this.flows.idleTimeout) return -1;
    const kind = (isV6Key(key) ? Proto.TCP | V6 : Proto.TCP) | (keyTenant(key) << TENANT_SHIFT);
    const flows = this.flows;
    const slot = flows.findOrInsert(flowAddress(key), host, (sourcePort << 16) | port, kind, Flow.PROBE, tech, t);
    flows.setFlags(slot, flows.flags(slot) | Flow.FIRST_CONTACT);
    return slot;
  }

  private evaluateNow(rec: Record, tech: number, now: number): void {
    const st = rec.activeTechnique(tech);
    if (st !== null && st.detection === null) this.evaluate(rec, st, tech, now);
  }

  /** The technique state of a source, started afresh when the window has passed. */
  private stateFor(rec: Record, tech: number, now: number): State {
    const st = rec.technique(tech);
    if (st.probes > 0 && now - st.lastSeen > this.config.window) {
      this.book.close(st);
      st.reset();
    }
    return st;
  }

  /** The state of the technique a flow's initiator used, if the initiator has a full record. */
  flowState(slot: number, now: number): State | null {
    const rec = this.sources.get(this.initiatorKey(slot), now);
    if (rec === null) return null;
    return rec.activeTechnique(this.flows.technique(slot));
  }

  /** A positive answer to a probe: an open port, a live host. `p` is the answer. */
  answered(slot: number, p: Packet, now: number): void {
    const flows = this.flows;
    flows.setFlags(slot, flows.flags(slot) | Flow.ANSWERED);
    if ((flows.flags(slot) & Flow.PROBE) === 0) return;
    const st = this.flowState(slot, now);
    // A UDP contact is judged on its answer: its one datagram carried a request or nothing.
    const udp = (flows.kind(slot) & 0xff) === Proto.UDP;
    if (udp) flows.markContactJudged(slot);
    if (st === null) {
      // A source in probation: its one contact succeeded; remember it for promotion.
      const ps = this.probation.find(this.initiatorKey(slot));
      const payload = !udp ? 0 : flows.initiatorData(slot) ? ProbationFlag.DATA : ProbationFlag.EMPTY;
      if (ps >= 0) {
        this.probation.addFlags(ps, ProbationFlag.ANSWERED | payload);
        // The answer (this packet) is from the target: its address, for the report if the source is promoted.
        if (p.l3 === L3.IPV6) this.probation.keepResponder6(ps, p.buf, p.src6Off);
      }
      return;
    }
    st.answered++;
    if (udp) {
      if (flows.initiatorData(slot)) st.dataContacts++;
      else st.emptyContacts++;
    }
    if (st.technique === Technique.ICMP_SWEEP) st.addLiveHost(p.src, () => srcText(p));
    else {
      st.addOpenService(p.sport, srcText(p));
      const rec = this.sources.peek(this.initiatorKey(slot));
      if (rec !== null) this.recon.success(rec, st.technique, flows.responder(slot), p.sport, now);
    }
    // A TCP contact is judged by what the initiator does next: its request
    // makes it a client's (contactData), its closing without one a probe's
    // (contactEnded). The SYN-ACK alone proves nothing either way.
    if ((flows.kind(slot) & 0xff) !== Proto.TCP) this.outcome(slot, st, true, now, null);
  }

  /**
   * The initiator answered a SYN-ACK as only the real prober's stack can:
   * completed the handshake (`handshake`) or reset it. A source still in
   * probation keeps it as a flag, replayed when it is promoted.
   */
  answerEvidence(slot: number, handshake: boolean, now: number): void {
    const st = this.flowState(slot, now);
    if (st !== null) {
      if (handshake) st.handshakes++;
      else st.halfOpen++;
      return;
    }
    const ps = this.probation.find(this.initiatorKey(slot));
    if (ps >= 0) this.probation.addFlags(ps, handshake ? ProbationFlag.HANDSHAKE : ProbationFlag.HALF_OPEN);
  }

  /**
   * The initiator sent payload on an answered TCP contact: a client's
   * request (Zeek orig_bytes > 0), a successful contact for the sequential test.
   */
  contactData(slot: number, now: number): void {
    const flows = this.flows;
    if ((flows.flags(slot) & (Flow.ANSWERED | Flow.PROBE)) !== (Flow.ANSWERED | Flow.PROBE) || flows.contactJudged(slot)) return;
    flows.markContactJudged(slot);
    const st = this.flowState(slot, now);
    if (st === null) {
      this.markProbation(slot, ProbationFlag.DATA);
      return;
    }
    st.dataContacts++;
    this.outcome(slot, st, true, now, null);
  }

  /**
   * The initiator ended an answered TCP contact (RST, FIN), or it expired,
   * without sending payload: what a scanner does (Zeek orig_bytes = 0).
   * The connect-scan signature: a probe of the port, a failed contact for
   * the sequential test, never a client's success.
   */
  contactEnded(slot: number, now: number): void {
    const flows = this.flows;
    if ((flows.flags(slot) & (Flow.ANSWERED | Flow.PROBE)) !== (Flow.ANSWERED | Flow.PROBE) || flows.contactJudged(slot)) return;
    flows.markContactJudged(slot);
    const rec = this.sources.get(this.initiatorKey(slot), now);
    const st = rec?.activeTechnique(flows.technique(slot)) ?? null;
    if (rec === null || st === null) {
      this.markProbation(slot, ProbationFlag.EMPTY);
      return;
    }
    st.emptyContacts++;
    this.internalOutcome(rec, st, flows.responder(slot), this.flowPort(slot), now);
    this.outcome(slot, st, false, now, rec);
  }

  /**
   * A failed probe (refused, or answered and closed without payload) of a
   * SYN or connect() source: the internal-reconnaissance tier
   * (rules/techniques.ts INTERNAL_RECON). An internal source that so probes
   * three ports of one internal host within five minutes, or administration
   * ports of three internal hosts within the window, is reported at once,
   * reason internal-recon.
   */
  private internalOutcome(rec: Record, st: State, host: number, port: number, now: number): void {
    const home = this.homeNet;
    if (home === null || rec.isV6 || !isTcpTechnique(st.technique)) return;
    if (!home.hasV4(addressKey(rec.key)) || !home.hasV4(host)) return;
    const ir = st.internal ?? (st.internal = new InternalReconState());
    const ports = ir.portsOf(host, port, now, INTERNAL_RECON.portsWindowS);
    const adminHosts = ADMIN_PORT[port] === 1 ? ir.adminHostsOf(host, now, this.config.window) : 0;
    if (st.detection !== null || this.disabled[st.technique] === 1) return;
    if (ports >= INTERNAL_RECON.portsPerHost || adminHosts >= INTERNAL_RECON.adminHosts) {
      this.book.open(recordText(rec), keyTenant(rec.key), st.technique, st, now, 'internal-recon');
    }
  }

  /** A contact of a source still in probation was judged: kept as a flag for its promotion. */
  private markProbation(slot: number, flag: number): void {
    const ps = this.probation.find(this.initiatorKey(slot));
    if (ps >= 0) this.probation.addFlags(ps, flag);
  }

  /** A refusal (RST, ICMP unreachable) of a probe. `p` is the refusal when it was sent to the prober. */
  rejected(slot: number, p: Packet | null, now: number): void {
    const flows = this.flows;
    flows.setFlags(slot, flows.flags(slot) | Flow.REJECTED);
    const v6 = (flows.kind(slot) & V6) !== 0;
    const key = this.initiatorKey(slot);
    const tech = flows.technique(slot);
    // A refusal is evidence the target exists and the source knocked on a
    // closed door: enough to leave probation. Silence is not (every spoofed
    // flood packet ends in silence).
    const rec = this.sources.get(key, now);
    if (rec === null) {
      const ps = this.probation.find(key);
      if (ps < 0) return;
      this.probation.addFlags(ps, ProbationFlag.REJECTED);
      if (v6 && p === null) return;
      const promoted = this.promote(ps, key, p, true, now); // the promotion replays the refusal, TRW step included
      this.recon.failure(promoted, tech, flows.responder(slot), this.flowPort(slot), true, now);
      this.evaluateNow(promoted, tech, now);
      return;
    }
    const st = rec.activeTechnique(tech);
    if (st === null) return;
    this.recon.failure(rec, tech, flows.responder(slot), this.flowPort(slot), true, now);
    st.rejected++;
    this.internalOutcome(rec, st, flows.responder(slot), this.flowPort(slot), now);
    this.outcome(slot, st, false, now, rec);
  }

  /** A first contact's outcome feeds the sequential test. */
  private outcome(slot: number, st: State, succeeded: boolean, now: number, rec: Record | null): void {
    if ((this.flows.flags(slot) & Flow.FIRST_CONTACT) === 0) return;
    if (!usesTrw(st.technique)) return;
    this.stepTrw(st, succeeded);
    if (st.detection === null && !succeeded) {
      const owner = rec ?? this.sources.peek(this.initiatorKey(slot));
      if (owner !== null) this.evaluate(owner, st, st.technique, now);
    }
  }

  /** One first contact's outcome: the sequential test's step, and the counts the client test weighs. */
  private stepTrw(st: State, succeeded: boolean): void {
    st.trw = this.trw.step(st.trw, succeeded);
    if (succeeded) st.firstContactsAnswered++;
    else st.firstContactsFailed++;
  }

  /** A flow left the table (expired, evicted, or the capture ended). */
  flowEnded(slot: number, now: number): void {
    const flows = this.flows;
    const fl = flows.flags(slot);
    if (fl & Flow.CANDIDATE) {
      // A lone segment never answered: nmap reads this as "filtered". (A second
      // segment from the initiator would have turned the flow into MIDSTREAM.)
      // An unsolicited SYN-ACK counts only when a RST answers it (idle scan).
      if (flows.technique(slot) !== Technique.IDLE_SCAN) this.confirmCandidate(slot, now, null, false);
      return;
    }
    if ((fl & (Flow.PROBE | Flow.ANSWERED)) === (Flow.PROBE | Flow.ANSWERED) && !flows.contactJudged(slot)) {
      // An answered contact that ends without the initiator's payload is empty.
      this.contactEnded(slot, now);
      return;
    }
    if ((fl & Flow.PROBE) === 0 || (fl & (Flow.ANSWERED | Flow.REJECTED)) !== 0) return;
    // Only full records care about silence; a probation source's one silent
    // probe changes nothing. (Checking the flow's mark first spares a flood of
    // one-probe sources a table lookup per expiry; the cost is that the first
    // probe of a source promoted later is not counted as silent. A FIN, NULL
    // or XMAS probe's silence is looked up anyway: it names an open|filtered
    // port the report lists.)
    const tech = flows.technique(slot);
    const stealth = tech === Technique.TCP_FIN || tech === Technique.TCP_NULL || tech === Technique.TCP_XMAS;
    if (!flows.ownerTracked(slot) && !stealth) return;
    const rec = this.sources.peek(this.initiatorKey(slot));
    if (rec === null) return;
    const st = rec.activeTechnique(tech);
    if (st === null) return;
    this.recon.failure(rec, st.technique, flows.responder(slot), this.flowPort(slot), false, now);
    st.silent++;
    if (stealth) st.addOpenFiltered(this.flowPort(slot));
    this.outcome(slot, st, false, now, rec);
  }

  /** Runs the verdict and, when it finds a scan, opens a detection in the book. */
  private evaluate(rec: Record, st: State, tech: number, now: number): void {
    if (this.disabled[tech] === 1) return;
    const reason = evaluate(this.params, tech, st, isConfirmedScanner(rec, tech)) ?? (this.recon.isRateSweep(rec, st, tech) ? 'sweep-rate' : null);
    // A decoy copy or a part of a distributed scan is reported with the scan it belongs to.
    if (reason !== null) this.book.open(recordText(rec), keyTenant(rec.key), tech, st, now, reason, (d) => this.recon.place(d, rec, st, tech) !== null);
  }

  /** An IPv6 neighbour advertisement to the source that solicited it: the target is alive (as an ARP reply). */
  neighbourAdvert(p: Packet, now: number): void {
    const key = IPV6_KEY_BASE + p.dst + this.tenant * 2 ** 33; // the asker (see keys.ts)
    const host = hashIpv6(p.buf, p.ndTargetOff, this.ipv6HashKey);
    let st = this.sources.peek(key)?.activeTechnique(Technique.ARP_SWEEP) ?? null;
    if (st === null) {
      // The asker's one question so far was answered: promote it now, while this
      // packet still holds both its address and the live host's (probation keeps hashes).
      const ps = this.probation.find(key);
      if (ps < 0 || !this.probation.sameProbe(ps, host, 0, Technique.ARP_SWEEP)) return;
      st = this.promote(ps, key, p, true, now).activeTechnique(Technique.ARP_SWEEP);
      if (st === null) return;
    }
    if (st.addLiveHost(host, () => formatIpv6Key(p.buf.toString('hex', p.ndTargetOff, p.ndTargetOff + 16)))) st.answered++;
  }

  /** An ARP reply to a source still in probation: its one question was answered (the host is alive). */
  probationAnswered(key: number, host: number, tech: number): void {
    key += this.tenant * 2 ** 33; // see keys.ts
    const ps = this.probation.find(key);
    if (ps >= 0 && this.probation.sameProbe(ps, host, 0, tech)) this.probation.addFlags(ps, ProbationFlag.ANSWERED);
  }

  /** A flow's responder port (0 for ICMP, whose flow key is id and sequence). */
  private flowPort(slot: number): number {
    const proto = this.flows.kind(slot) & 0xff;
    return proto === Proto.TCP || proto === Proto.UDP ? this.flows.ports(slot) & 0xffff : 0;
  }
}

/** 1 for each administration port of the internal-reconnaissance tier. */
const ADMIN_PORT = new Uint8Array(65536);
for (const p of INTERNAL_RECON.adminPorts) ADMIN_PORT[p] = 1;

/** Whether the source has a detection of another technique in its current window. */
function isConfirmedScanner(rec: Record, tech: number): boolean {
  for (let t = 0; t < rec.techniques.length; t++) {
    const other = rec.techniques[t];
    if (t !== tech && other !== null && other !== undefined && other.detection !== null) return true;
  }
  return false;
}

/** The text of a source's address (its key's address part: formatIpv4 reads the low 32 bits). */
export function recordText(rec: Record): string {
  if (!rec.isV6) return formatIpv4(rec.key);
  return formatIpv6Key(Buffer.from(rec.addr6!).toString('hex'));
}

export function srcText(p: Packet): string {
  if (p.l3 === L3.IPV6) return formatIpv6Key(p.buf.toString('hex', p.src6Off, p.src6Off + 16));
  return formatIpv4(p.src);
}

/** The IPv6 destination (or neighbour-solicitation target) as text. */
export function dstText(p: Packet): string {
  const off = p.ndTargetOff >= 0 && p.proto === Proto.ICMPV6 && p.icmpType === 135 ? p.ndTargetOff : p.dst6Off;
  return formatIpv6Key(p.buf.toString('hex', off, off + 16));
}
