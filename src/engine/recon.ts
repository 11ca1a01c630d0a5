import { formatIpv4 } from '../decode/address.js';
import type { EngineConfig } from '../rules/config.js';
import { type DetectionFigures, Detection, type DetectionReason } from '../rules/detection.js';
import { DECOY_SPAN, type DistributedConfig, type MemberFigures, decoyKey, isDistributedScan, realMember } from '../rules/distributed.js';
import { SweepRateState, isRateSweep, sweepRateApplies } from '../rules/sweep-rate.js';
import { Technique, isSweep } from '../rules/techniques.js';
import { MIN_TOOL_VOTES, TOOL_COUNT, TOOL_NAMES, leadingTool, majorityTool } from '../rules/tools.js';
import { LongHorizonTable, Outcome } from '../state/long-horizon.js';
import type { MemoryBudget } from '../state/memory-budget.js';
import { PacketIndex } from '../state/packet-index.js';
import type { SourceRecord as AnyRecord, SourceTable } from '../state/source-table.js';
import { SAMPLE_LIMIT, type TechniqueState as AnyState } from '../state/technique-state.js';

type SourceRecord = AnyRecord<Detection>;
type TechniqueState = AnyState<Detection>;
import { TargetTable } from '../state/target-table.js';
import { isV6Key, keyTenant, targetKey } from './keys.js';
import type { HostKey, Port } from '../units.js';

/** What the recon tiers need of the engine. */
export interface ReconHost {
  readonly sources: SourceTable<Detection>;
  recordText(rec: SourceRecord): string;
  /**
   * Creates and registers a detection not tied to one technique state
   * (`tenant`: an index) whose figures `provider` gives; null when
   * --max-detections is reached.
   */
  newDetection(src: string, tenant: number, technique: number, now: number, probes: number, reason: DetectionReason, provider: (d: Detection) => DetectionFigures): Detection | null;
  /** Takes an already reported detection out of the report: it is now part of `into`. */
  absorb(d: Detection, into: Detection): void;
}


/**
 * The detection tiers beside the per-source window: the sweep-rate test,
 * the long-horizon tier, and the per-target correlation of many-source
 * scans (distributed scans and nmap decoys).
 * The engine calls it from a few hooks; everything on the packet path here
 * works on typed arrays and allocates nothing.
 */
export class Recon {
  readonly longHorizon: LongHorizonTable;
  readonly targets: TargetTable;
  private distributed: DistributedConfig;
  /** 1 for techniques the configuration turned off: counted, never reported. */
  private disabled: Uint8Array;
  /** Distributed detections by target slot. */
  private readonly targetDetections: (Detection | null)[];
  /** Leading detection of each first probe (technique, host, port), for merging nmap decoys. */
  private readonly decoys = new Map<string, Detection>();

  constructor(
    private readonly host: ReconHost,
    config: EngineConfig,
    private readonly budget: MemoryBudget,
    seed: number,
  ) {
    this.longHorizon = new LongHorizonTable({ ...config.longHorizon }, seed);
    this.targets = new TargetTable({ capacity: config.distributed.targetCapacity, window: config.window, memberIdle: config.scanEndAfter }, budget, seed);
    this.distributed = config.distributed;
    this.disabled = disabledTechniques(config);
    this.targetDetections = new Array<Detection | null>(this.targets.capacity).fill(null);
  }

  /** A target entry is about to start afresh: the distributed detection reading it is frozen first. */
  private freezeTarget(slot: number): void {
    const d = this.targetDetections[slot];
    if (d !== null && d !== undefined) {
      d.detach();
      this.targetDetections[slot] = null;
    }
  }

  /** Takes new thresholds and windows (the engine checked them); the tables keep their counts. */
  reconfigure(config: EngineConfig): void {
    this.distributed = config.distributed;
    this.disabled = disabledTechniques(config);
    this.targets.config.window = config.window;
    this.targets.config.memberIdle = config.scanEndAfter;
    const lh = this.longHorizon.config;
    lh.horizon = config.longHorizon.horizon;
    lh.idleProtect = config.longHorizon.idleProtect;
    lh.ports = config.longHorizon.ports;
    lh.pairsPerHost = config.longHorizon.pairsPerHost;
  }

  // ------------------------------------------------------------ hooks

  /**
   * A probe from a tracked source has been added to its state. `added` is
   * TechniqueState.addProbe's bit set; `icmpType`/`icmpPayload` describe
   * ICMP requests (-1 otherwise); `v6` the address family.
   */
  afterProbe(rec: SourceRecord, st: TechniqueState, tech: number, host: HostKey, port: Port, added: number, v6: boolean, icmpType: number, icmpPayload: number, now: number): void {
    if (sweepRateApplies(tech)) {
      const sr = st.sweepRate ?? (st.sweepRate = new SweepRateState(tech === Technique.ARP_SWEEP));
      if (added & 1) sr.newHost(host, now);
      if (icmpType >= 0) sr.icmpRequest(icmpType, icmpPayload);
    }
    if (tech !== Technique.ARP_SWEEP) {
      // A datagram to a host the source asked for by ARP: the resolution was for use.
      const arp = rec.techniques[Technique.ARP_SWEEP];
      if (arp !== null && arp !== undefined && arp.sweepRate !== null && arp.probes > 0) arp.sweepRate.markUsed(host);
    }
    if ((added & 4) === 0 || isSweep(tech)) return;
    const pairs = st.pairCount;
    if (pairs < 2) return; // one-probe sources (a spoofed flood) never reach the target table
    if (pairs === 2) this.contact(rec, st, tech, st.firstContactHost, st.firstContactPort, v6, now);
    this.contact(rec, st, tech, host, port, v6, now);
  }

  /** A probation source's first probe, replayed into its new record. */
  afterReplay(st: TechniqueState, tech: number, host: HostKey, time: number): void {
    if (!sweepRateApplies(tech)) return;
    const sr = st.sweepRate ?? (st.sweepRate = new SweepRateState(tech === Technique.ARP_SWEEP));
    sr.newHost(host, time);
  }

  /** The sweep-rate test for a state not yet detected. */
  isRateSweep(rec: SourceRecord, st: TechniqueState, tech: number): boolean {
    if (st.sweepRate === null) return false;
    let tcpDiscovery = false;
    if (tech === Technique.ICMP_SWEEP) {
      const syn = rec.techniques[Technique.TCP_SYN];
      const ack = rec.techniques[Technique.TCP_ACK];
      tcpDiscovery = (syn !== null && syn !== undefined && syn.hosts.count > 1) || (ack !== null && ack !== undefined && ack.hosts.count > 1);
    }
    return isRateSweep(tech, st.sweepRate, tcpDiscovery);
  }

  /** A failed probe (refused, or unanswered at flow expiry) of a tracked source. */
  failure(rec: SourceRecord, tech: number, host: HostKey, port: Port, rejected: boolean, now: number): void {
    this.outcome(rec, tech, host, port, rejected ? Outcome.REJECTED : Outcome.SILENT, now);
  }

  /** An answered probe (open port) of a tracked source. */
  success(rec: SourceRecord, tech: number, host: HostKey, port: Port, now: number): void {
    this.outcome(rec, tech, host, port, Outcome.ANSWERED, now);
  }

  /**
   * A probe's outcome: the long-horizon tier counts it, and reports a slow
   * scan the window did not.
   */
  private outcome(rec: SourceRecord, tech: number, host: HostKey, port: Port, outcome: number, now: number): void {
    if (isSweep(tech)) return;
    const lh = this.longHorizon;
    const key = rec.key;
    const st0 = rec.activeTechnique(tech);
    const slot = lh.contact(key, tech, host, port, outcome, st0 === null ? 0 : leadingTool(st0.toolVotes, st0.probes), now);
    if (slot < 0 || !lh.crossed || this.disabled[tech] === 1) return;
    // The window already found this scan: reported, or counted as dropped at --max-detections.
    if (st0 !== null && (st0.detection !== null || st0.detectionDropped)) return;
    const first = lh.summary(slot);
    const v6 = rec.isV6;
    let cache: DetectionFigures = longHorizonFigures(first, v6);
    const provider = (): DetectionFigures => {
      // Read the table while the entry is this source's and the same horizon; else the last figures.
      if (lh.holds(slot, key, tech)) {
        const s = lh.summary(slot);
        if (s.firstSeen === first.firstSeen) cache = longHorizonFigures(s, v6);
      }
      return cache;
    };
    const d = this.host.newDetection(this.host.recordText(rec), keyTenant(rec.key), tech, now, first.probes, 'long-horizon', provider);
    // Its packets: what the source's current window holds, and what comes
    // next (earlier windows' packets went with their counts).
    if (d !== null && st0 !== null) this.feed(d, st0);
  }

  /** Gives a derived detection an index of its own, fed from now on by `st` (and seeded with what `st` kept). */
  private feed(d: Detection, st: TechniqueState): void {
    if (st.packets === null) return; // nothing reads packet indexes (EngineConfig.indexPackets)
    let index = d.packets;
    if (index === null) {
      index = new PacketIndex(this.budget);
      d.adoptPackets(index);
    }
    if (st.also === index) return;
    index.addAll(st.packets);
    st.also = index;
  }

  /**
   * A new detection from the window tier: merged into a decoy group or a
   * distributed scan it belongs to (returns the detection it joined), or
   * null when it stands alone.
   */
  place(d: Detection, rec: SourceRecord, st: TechniqueState, tech: number): Detection | null {
    if (isSweep(tech)) return null;
    const host = st.firstContactHost;
    // Part of a distributed scan already reported?
    const tslot = this.targets.find(targetKey(host, techniqueFamily(tech, rec.isV6), keyTenant(rec.key)));
    if (tslot >= 0) {
      const group = this.targetDetections[tslot];
      if (group !== null && group !== undefined && !group.evicted && this.targets.hasMember(tslot, rec.key)) {
        d.absorbedBy = group;
        return group;
      }
    }
    // A decoy copy of a scan another source is already reported for?
    const key = `${keyTenant(rec.key)}/${decoyKey(techniqueFamily(tech, rec.isV6), host, st.firstContactPort)}`;
    const leader = this.decoys.get(key);
    if (leader !== undefined && !leader.ended && leader.absorbedBy === null && leader.src !== d.src) {
      const lf = leader.ownFigures();
      // nmap sends each probe from every decoy back to back (nmap's -D), so a
      // copy's first probe comes before the leader moves on to its second
      // target; a scan that starts after the leader's second probe is a scan
      // of its own, however alike (independent scanners of one host).
      const leaderSecond = leader.live?.secondContactAt ?? Infinity;
      if (Math.abs(lf.firstSeen - st.firstSeen) <= DECOY_SPAN && st.firstSeen <= leaderSecond) {
        d.absorbedBy = leader;
        (leader.members ??= []).push(d);
        return leader;
      }
    }
    this.decoys.set(key, d);
    d.decoyKey = key;
    return null;
  }

  /** A detection ended: it no longer leads a decoy group that new copies could join. */
  ended(d: Detection): void {
    if (d.decoyKey !== null && this.decoys.get(d.decoyKey) === d) this.decoys.delete(d.decoyKey);
  }

  // ------------------------------------------------------------ distributed scans

  private contact(rec: SourceRecord, st: TechniqueState, tech: number, host: HostKey, port: Port, v6: boolean, now: number): void {
    const t = this.targets;
    const key = targetKey(host, techniqueFamily(tech, v6), keyTenant(rec.key));
    const restarting = t.restartingSlot(key, now);
    if (restarting >= 0) this.freezeTarget(restarting);
    const slot = t.contact(key, rec.key, port, now);
    if (t.reported(slot)) {
      if (t.newContributor) {
        const group = this.targetDetections[slot];
        if (group !== null && group !== undefined && !group.ended) this.feed(group, st);
        this.join(slot, st, host);
      }
      return;
    }
    const cfg = this.distributed;
    if (this.disabled[tech] === 1) return;
    if (t.ports(slot) < cfg.ports || t.contributors(slot) < cfg.sources) return;
    // Re-examined when a source joins, and every 16 new ports: the member walk is not per packet.
    if (!t.newContributor && !(t.newPort && (t.ports(slot) & 15) === 0) && t.ports(slot) !== cfg.ports) return;
    let maxContacts = 0;
    let answered = 0;
    const n = t.members(slot);
    for (let i = 0; i < n; i++) {
      const c = t.memberContactCount(slot, i);
      if (c > maxContacts) maxContacts = c;
      const mst = this.host.sources.peek(t.memberKey(slot, i))?.activeTechnique(tech) ?? null;
      if (mst !== null) answered += mst.answered;
    }
    const figures = { ports: t.ports(slot), contributors: t.contributors(slot), contacts: t.contacts(slot), maxMemberContacts: maxContacts, answered };
    if (!isDistributedScan(figures, cfg)) return;
    t.markReported(slot);
    const d = this.host.newDetection(this.host.recordText(rec), keyTenant(rec.key), tech, now, t.contacts(slot), 'distributed', (self) =>
      this.distributedFigures(self, slot, tech, host, v6),
    );
    if (d === null) return;
    this.targetDetections[slot] = d;
    // Scans of its sources already reported on their own are now this one;
    // every member's packets are its packets.
    for (let i = 0; i < n; i++) {
      const mrec = this.host.sources.peek(t.memberKey(slot, i));
      const mst = mrec?.activeTechnique(tech) ?? null;
      if (mst === null) continue;
      this.feed(d, mst);
      this.join(slot, mst, host);
    }
  }

  /** A member's own detection of this target becomes part of the distributed one. */
  private join(slot: number, st: TechniqueState, host: number): void {
    const group = this.targetDetections[slot];
    const own = st.detection;
    if (group === null || group === undefined || group.evicted || own === null || own === group || own.absorbedBy !== null) return;
    if (st.firstContactHost !== host) return; // reported for scanning something else first
    this.host.absorb(own, group);
  }

  /** The figures of a distributed scan: the target's counts and the members' outcomes. */
  private distributedFigures(d: Detection, slot: number, tech: number, host: number, v6: boolean): DetectionFigures {
    const t = this.targets;
    const n = t.members(slot);
    const members: MemberFigures[] = [];
    const f: DetectionFigures = {
      probes: t.contacts(slot),
      targets: 1,
      ports: t.ports(slot),
      pairs: t.contacts(slot),
      firstSeen: t.firstSeen(slot),
      lastSeen: t.lastSeen(slot),
      countsExact: t.portsExact(slot),
      tool: null,
      openPorts: [],
      openServices: [],
      openServiceCount: 0,
      openFilteredPorts: [],
      openFilteredCount: 0,
      liveHosts: [],
      liveHostCount: 0,
      targetSamples: v6 ? [] : [formatIpv4(host)],
      answered: 0,
      rejected: 0,
      silent: 0,
      handshakes: 0,
      halfOpen: 0,
      sourceVerified: false,
    };
    const open = new Set<number>();
    const votes = new Uint32Array(TOOL_COUNT);
    let probes = 0;
    for (let i = 0; i < n; i++) {
      const key = t.memberKey(slot, i);
      const rec = this.host.sources.peek(key);
      const text = rec !== null ? this.host.recordText(rec) : isV6Key(key) ? null : formatIpv4(key);
      const st = rec?.activeTechnique(tech) ?? null;
      if (text === null) continue;
      members.push({ src: text, probes: t.memberContactCount(slot, i), answers: st === null ? 0 : st.answered, answeredItself: st === null ? 0 : st.halfOpen + st.handshakes });
      if (st === null) continue;
      for (let t = 0; t < votes.length && t < st.toolVotes.length; t++) votes[t]! += st.toolVotes[t]!;
      probes += st.probes;
      f.answered += st.answered;
      f.rejected += st.rejected;
      f.silent += st.silent;
      f.handshakes += st.handshakes;
      f.halfOpen += st.halfOpen;
      if (st.openPorts !== null) for (const p of st.openPorts) open.add(p);
      for (const s of st.openServices) if (f.openServices.length < SAMPLE_LIMIT && !f.openServices.includes(s)) f.openServices.push(s);
      if (v6 && f.targetSamples.length === 0 && st.sampleV6.length > 0) f.targetSamples.push(st.sampleV6[0]!);
    }
    f.openPorts = [...open].sort((a, b) => a - b);
    // As for one source: a tool is named when at least half of the sources' probes carry its fingerprint.
    f.tool = TOOL_NAMES[majorityTool(votes, probes)] ?? null;
    f.openServiceCount = f.openServices.length;
    if (members.length > 0) {
      const real = members[realMember(members)]!;
      d.src = real.src;
      f.sourceVerified = real.answeredItself > 0;
      d.sources = [...new Set(members.map((m) => m.src))].sort();
    }
    return f;
  }
}

function disabledTechniques(config: EngineConfig): Uint8Array {
  return Uint8Array.from(config.thresholds, (t) => (t.enabled === false ? 1 : 0));
}

/** A technique and an address family as one small number (keys.ts targetKey, decoy keys). */
function techniqueFamily(tech: number, v6: boolean): number {
  return tech * 2 + (v6 ? 1 : 0);
}

function longHorizonFigures(s: ReturnType<LongHorizonTable['summary']>, v6: boolean): DetectionFigures {
  const oneHost = s.hostKeys.length === 1 && !v6 ? formatIpv4(s.hostKeys[0]!) : null;
  return {
    probes: s.probes,
    targets: s.hosts,
    ports: s.ports,
    pairs: s.pairs,
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    countsExact: s.exact,
    // As for every scan: a tool is named when at least half the probes carry its fingerprint.
    tool: s.tool > 0 && s.toolVotes * 2 >= s.probes && s.toolVotes >= MIN_TOOL_VOTES ? (TOOL_NAMES[s.tool] ?? null) : null,
    openPorts: s.openPorts,
    openServices: oneHost === null ? [] : s.openPorts.map((p) => `${oneHost}:${p}`),
    openServiceCount: oneHost === null ? 0 : s.openPorts.length,
    openFilteredPorts: [],
    openFilteredCount: 0,
    liveHosts: [],
    liveHostCount: 0,
    targetSamples: v6 ? [] : s.hostKeys.map(formatIpv4),
    answered: s.answered,
    rejected: s.rejected,
    silent: s.silent,
    handshakes: 0,
    halfOpen: 0,
    // The summary keeps no handshake evidence: a slow scan's source is not verified.
    sourceVerified: false,
  };
}
