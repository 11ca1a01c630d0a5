import type { PacketSink } from '../capture/types.js';
import { formatIpv4, formatIpv6Key, hashIpv6 } from '../decode/address.js';
import { Decoder } from '../decode/decoder.js';
import { L3, type Packet, Proto, TcpFlag } from '../decode/packet.js';
import type { CidrSet } from '../rules/cidr.js';
import { type EngineConfig, defaultConfig } from '../rules/config.js';
import { Detection, type DetectionReason } from '../rules/detection.js';
import { icmpTool, isKernelSyn, tcpTool, udpTool } from '../rules/fingerprint.js';
import { Technique, Tool } from '../rules/techniques.js';
import { Trw } from '../rules/trw.js';
import { CaptureLossEstimator } from '../state/capture-loss.js';
import { Flow, FlowTable } from '../state/flow-table.js';
import { MemoryBudget } from '../state/memory-budget.js';
import { Probation, ProbationFlag } from '../state/probation.js';
import { type SourceRecord, SourceTable } from '../state/source-table.js';
import type { TechniqueState } from '../state/technique-state.js';

const TCP_FLAGS = 0x3f; // FIN..URG; ECE and CWR (RFC 3168) do not change what a segment is
const V6 = 0x100;
/**
 * IPv6 source keys are 2^32 plus the address's signed 32-bit hash, so they
 * lie in [2^31, 3 * 2^31): above every IPv4 key (a signed 32-bit integer).
 */
const IPV6_KEY_BASE = 2 ** 32;
const isV6Key = (key: number): boolean => key >= 2 ** 31;

/** Segment counters by flag pattern, in this order. */
export const SEGMENT_KINDS = ['syn', 'synack', 'rst', 'fin', 'null', 'xmas', 'ack', 'finack', 'other'] as const;
const Seg = { SYN: 0, SYNACK: 1, RST: 2, FIN: 3, NULL: 4, XMAS: 5, ACK: 6, FINACK: 7, OTHER: 8 } as const;

export type DetectionEvent = 'start' | 'end';

/**
 * The packet path: decode, track, classify. One instance serves a whole
 * analysis (several files in a row) or a live capture; it runs on packet
 * time only, so a capture analysed in a second yields what the live sensor
 * would have reported while it was recorded.
 */
export class Engine implements PacketSink {
  readonly config: EngineConfig;
  readonly decoder: Decoder;
  readonly budget: MemoryBudget;
  readonly probation: Probation;
  readonly sources: SourceTable;
  readonly flows: FlowTable;
  private readonly trw: Trw;
  /** Zeek-style estimate of packets the capture missed (live capture loss). */
  readonly captureLoss = new CaptureLossEstimator(65536);
  /** Detections, in order of detection. The live sensor drops ended ones (see keepEndedDetections). */
  detections: Detection[] = [];
  /**
   * Offline analysis keeps every detection for its report; a sensor that
   * runs for months logs a scan when it ends and then forgets it, so that
   * memory and the --max-detections bound apply to scans in progress.
   */
  keepEndedDetections = true;
  private endedSinceCompaction = 0;
  /** Detections still open (not ended), for end-of-scan reporting. */
  readonly active = new Set<Detection>();
  detectionsDropped = 0;
  packets = 0;
  bytes = 0;
  /** Latest packet time seen (seconds); the clock for every expiry. */
  now = 0;
  firstPacketTime = -1;
  readonly segments = new Float64Array(SEGMENT_KINDS.length);
  /** Probe packets by technique. */
  readonly probes = new Float64Array(10);
  /** Sources whose probes are not counted (allow-listed scanners); null: none. */
  ignoreSources: CidrSet | null = null;
  /** Targets whose probes are not counted; null: none. */
  ignoreTargets: CidrSet | null = null;
  /** Probe packets skipped by the allow-lists. */
  allowListed = 0;
  /** Called when a scan is first detected and when it ends. */
  onDetection: (event: DetectionEvent, detection: Detection) => void = () => {};
  private nextId = 1;
  /** 1 for techniques whose threshold is a single probe (see config.ts). */
  private readonly singlePacket: Uint8Array;

  constructor(config: EngineConfig = defaultConfig()) {
    this.config = config;
    this.decoder = new Decoder({ vxlanPorts: config.vxlanPorts, genevePorts: config.genevePorts });
    this.budget = new MemoryBudget(config.sketchBudgetBytes);
    this.probation = new Probation(Math.max(1, config.probationCapacity));
    this.sources = new SourceTable(Math.max(1, config.sourceCapacity), this.budget);
    this.flows = new FlowTable(config.flowCapacity, config.flowTimeout);
    this.trw = new Trw(config.trw);
    this.singlePacket = Uint8Array.from(config.thresholds, (t) => (t.hosts <= 1 || (t.ports > 0 && t.ports <= 1) ? 1 : 0));
    this.sources.onEvict = (rec) => this.retire(rec);
    this.flows.onEnd = (slot, now) => this.flowEnded(slot, now);
  }

  /** Sets the allow-lists; an empty list costs nothing per packet. */
  useAllowLists(scanners: CidrSet, targets: CidrSet): void {
    this.ignoreSources = scanners.empty ? null : scanners;
    this.ignoreTargets = targets.empty ? null : targets;
  }

  onPacket(linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    this.packets++;
    this.bytes += wireLen;
    const now = tsSec + tsNsec * 1e-9;
    if (now > this.now) this.now = now;
    if (this.firstPacketTime < 0) this.firstPacketTime = now;
    if (!this.decoder.decode(linkType, data, offset, capLen, tsSec, tsNsec)) return;
    const p = this.decoder.packet;
    if (p.l3 === L3.ARP) {
      this.arp(p, now);
      return;
    }
    if (!p.hasL4) return;
    if (p.proto === Proto.TCP) this.tcp(p, now);
    else if (p.proto === Proto.UDP) this.udp(p, now);
    else if (p.proto === Proto.ICMP) this.icmp(p, now);
    else if (p.proto === Proto.ICMPV6) this.icmpv6(p, now);
  }

  // ---------------------------------------------------------------- TCP

  private tcp(p: Packet, now: number): void {
    const f = p.tcpFlags & TCP_FLAGS;
    const kind = p.l3 === L3.IPV6 ? Proto.TCP | V6 : Proto.TCP;
    const fwd = (p.sport << 16) | p.dport;
    const rev = (p.dport << 16) | p.sport;
    const flows = this.flows;

    if ((f & (TcpFlag.SYN | TcpFlag.ACK | TcpFlag.RST)) === TcpFlag.SYN) {
      this.segments[Seg.SYN]!++;
      const tech = isKernelSyn(p) ? Technique.TCP_CONNECT : Technique.TCP_SYN;
      const slot = flows.findOrInsert(p.src, p.dst, fwd, kind, Flow.PROBE, tech, now);
      if (!flows.inserted) flows.touch(slot, now, true);
      this.probe(p, now, tech, p.dport, tcpTool(p), slot, p.dst);
      return;
    }
    if ((f & (TcpFlag.SYN | TcpFlag.ACK)) === (TcpFlag.SYN | TcpFlag.ACK)) {
      this.segments[Seg.SYNACK]!++;
      const slot = flows.find(p.dst, p.src, rev, kind);
      if (slot >= 0) {
        flows.touch(slot, now, false);
        if ((flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) === 0) this.answered(slot, p, now);
      }
      return;
    }
    if (f & TcpFlag.RST) {
      this.segments[Seg.RST]!++;
      let slot = flows.find(p.dst, p.src, rev, kind);
      if (slot >= 0) {
        flows.touch(slot, now, false);
        const fl = flows.flags(slot);
        if (fl & Flow.CANDIDATE) {
          // A RST to a lone ACK or FIN/ACK: no connection existed (nmap -sA "unfiltered").
          flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.PROBE | Flow.REJECTED);
          this.confirmCandidate(slot, now, p, true);
        } else if ((fl & (Flow.ANSWERED | Flow.REJECTED)) === 0 && fl & Flow.PROBE) {
          this.rejected(slot, p, now);
        }
        return;
      }
      slot = flows.find(p.src, p.dst, fwd, kind);
      if (slot >= 0) {
        flows.touch(slot, now, true);
        const fl = flows.flags(slot);
        if (fl & Flow.ANSWERED && (fl & (Flow.INIT_ACKED | Flow.INIT_RST)) === 0) {
          flows.setFlags(slot, fl | Flow.INIT_RST);
          const st = this.flowState(slot, now);
          if (st !== null) st.halfOpen++;
        }
      }
      return;
    }
    if ((f & TcpFlag.ACK) === 0) {
      // No SYN, RST or ACK: FIN, NULL, XMAS and odd combinations. Never valid
      // in a connection (RFC 9293 section 3.10.7.4), so every one is a probe.
      let tech: number;
      if (f === 0) {
        tech = Technique.TCP_NULL;
        this.segments[Seg.NULL]!++;
      } else if ((f & (TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG)) === (TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG)) {
        tech = Technique.TCP_XMAS;
        this.segments[Seg.XMAS]!++;
      } else if (f & TcpFlag.FIN) {
        tech = Technique.TCP_FIN;
        this.segments[Seg.FIN]!++;
      } else {
        tech = Technique.TCP_NULL; // PSH and/or URG alone: a NULL probe with decoration
        this.segments[Seg.OTHER]!++;
      }
      this.probe(p, now, tech, p.dport, tcpTool(p), -1, p.dst);
      return;
    }
    // ACK set, no SYN or RST: connection traffic, a completed handshake, or an ACK/Maimon probe.
    const finAck = (f & TcpFlag.FIN) !== 0;
    // A FIN occupies one sequence number, which its ACK acknowledges (RFC 9293 3.4).
    if (p.payloadLen > 0 || finAck) this.captureLoss.data(p.src, p.dst, fwd, p.tcpSeq, p.payloadLen + (finAck ? 1 : 0));
    this.captureLoss.ack(p.src, p.dst, fwd, p.tcpAck);
    this.segments[finAck ? Seg.FINACK : Seg.ACK]!++;
    let slot = flows.find(p.src, p.dst, fwd, kind);
    if (slot >= 0) {
      flows.touch(slot, now, true);
      const fl = flows.flags(slot);
      if (fl & Flow.ANSWERED && (fl & (Flow.INIT_ACKED | Flow.INIT_RST)) === 0) {
        flows.setFlags(slot, fl | Flow.INIT_ACKED);
        const st = this.flowState(slot, now);
        if (st !== null) st.handshakes++;
      } else if (fl & Flow.CANDIDATE) {
        // A second segment from the same side: a conversation, not a lone probe.
        flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.MIDSTREAM);
      }
      return;
    }
    slot = flows.find(p.dst, p.src, rev, kind);
    if (slot >= 0) {
      flows.touch(slot, now, false);
      const fl = flows.flags(slot);
      // The other side answered with more than a RST: the connection was real.
      if (fl & Flow.CANDIDATE) flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.MIDSTREAM);
      return;
    }
    if (p.payloadLen === 0 && (f === TcpFlag.ACK || f === (TcpFlag.ACK | TcpFlag.FIN)) && !p.dstMulticast) {
      // A lone ACK (nmap -sA) or FIN/ACK (nmap -sM, Maimon 1996) with no known
      // connection. It becomes a probe only if the answer shows there was none.
      slot = flows.insert(p.src, p.dst, fwd, kind, Flow.CANDIDATE, finAck ? Technique.TCP_MAIMON : Technique.TCP_ACK, now);
      flows.setTool(slot, tcpTool(p));
    } else {
      flows.insert(p.src, p.dst, fwd, kind, Flow.MIDSTREAM, 0, now);
    }
  }

  /**
   * Counts a lone ACK/FIN-ACK probe once the target's answer (RST, ICMP
   * unreachable) or silence shows no connection existed. `reply` is the
   * answering packet, if any (its destination is the prober).
   */
  private confirmCandidate(slot: number, now: number, reply: Packet | null, rejected: boolean): void {
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
      const ps = pr.slotOf(key);
      const outcome = rejected ? ProbationFlag.REJECTED : 0;
      if (!pr.holds(ps, key)) {
        pr.put(ps, key, host, port, tech, tool, t);
        pr.addFlags(ps, outcome);
        return;
      }
      if (pr.sameProbe(ps, host, port, tech)) {
        pr.addFlags(ps, outcome);
        return;
      }
      // Without the packet an IPv6 prober's address is unknown: it stays in probation.
      if (v6 && reply === null) return;
      rec = this.promote(ps, key, reply, true);
    }
    const st = this.stateFor(rec, tech, t);
    const added = st.addProbe(host, port, Math.max(t, st.lastSeen));
    if (added & 1) st.sampleTarget(host, reply !== null && v6 ? () => this.srcText(reply) : null);
    if (tool !== Tool.NONE) st.toolVotes[tool]!++;
    if (rejected) st.rejected++;
    else st.silent++;
    if (added !== 0) this.afterProbe(st, tech, now, rec);
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

  // ---------------------------------------------------------------- UDP

  private udp(p: Packet, now: number): void {
    if (p.dstMulticast) return; // service discovery (mDNS, SSDP, NetBIOS, DHCP), not probes
    const kind = p.l3 === L3.IPV6 ? Proto.UDP | V6 : Proto.UDP;
    const fwd = (p.sport << 16) | p.dport;
    const flows = this.flows;
    let slot = flows.find(p.src, p.dst, fwd, kind);
    if (slot >= 0) {
      flows.touch(slot, now, true);
      if (flows.flags(slot) & Flow.PROBE) this.probe(p, now, Technique.UDP, p.dport, udpTool(p), slot, p.dst);
      return;
    }
    slot = flows.find(p.dst, p.src, (p.dport << 16) | p.sport, kind);
    if (slot >= 0) {
      flows.touch(slot, now, false);
      if ((flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) === 0) this.answered(slot, p, now);
      return;
    }
    // From a well-known port to an ephemeral one: a server's answer whose
    // question we did not see (DNS, NTP, SNMP replies), not a probe.
    if (p.sport < 1024 && p.dport >= 1024) return;
    slot = flows.insert(p.src, p.dst, fwd, kind, Flow.PROBE, Technique.UDP, now);
    this.probe(p, now, Technique.UDP, p.dport, udpTool(p), slot, p.dst);
  }

  // ---------------------------------------------------------------- ICMP

  private icmp(p: Packet, now: number): void {
    const t = p.icmpType;
    // Echo (8), timestamp (13), information (15) and address mask (17)
    // requests all ask "are you there?" (RFC 792, RFC 950).
    if (t === 8 || t === 13 || t === 15 || t === 17) {
      if (!p.dstMulticast) this.echoRequest(p, now, Proto.ICMP);
    } else if (t === 0 || t === 14 || t === 16 || t === 18) {
      this.echoReply(p, now, Proto.ICMP);
    } else if ((t === 3 || t === 11) && p.quotedValid) {
      this.unreachable(p, now, 0);
    }
  }

  private icmpv6(p: Packet, now: number): void {
    const t = p.icmpType;
    if (t === 128) {
      if (!p.dstMulticast) this.echoRequest(p, now, Proto.ICMPV6 | V6);
    } else if (t === 129) {
      this.echoReply(p, now, Proto.ICMPV6 | V6);
    } else if (t === 1 && p.quotedValid) {
      this.unreachable(p, now, V6);
    } else if (t === 135 && p.ndTargetOff >= 0 && p.dstMulticast && !this.unspecifiedV6Source(p)) {
      // Neighbour solicitation to a solicited-node group: IPv6's ARP who-has
      // (RFC 4861 section 7.2.2). Unicast ones are reachability checks.
      this.probe(p, now, Technique.ARP_SWEEP, 0, Tool.NONE, -1, hashIpv6(p.buf, p.ndTargetOff));
    }
  }

  private unspecifiedV6Source(p: Packet): boolean {
    for (let i = 0; i < 16; i++) if (p.buf[p.src6Off + i] !== 0) return false;
    return true; // duplicate address detection (RFC 4862)
  }

  private echoRequest(p: Packet, now: number, kind: number): void {
    const key = (p.icmpId << 16) | p.icmpSeq;
    const slot = this.flows.findOrInsert(p.src, p.dst, key, kind, Flow.PROBE, Technique.ICMP_SWEEP, now);
    if (!this.flows.inserted) this.flows.touch(slot, now, true);
    this.probe(p, now, Technique.ICMP_SWEEP, 0, icmpTool(p), slot, p.dst);
  }

  private echoReply(p: Packet, now: number, kind: number): void {
    const slot = this.flows.find(p.dst, p.src, (p.icmpId << 16) | p.icmpSeq, kind);
    if (slot < 0 || this.flows.flags(slot) & (Flow.ANSWERED | Flow.REJECTED)) return;
    this.flows.touch(slot, now, false);
    this.answered(slot, p, now);
  }

  /** An ICMP error quoting one of our probes: the port or host is closed or unreachable. */
  private unreachable(p: Packet, now: number, v6: number): void {
    const flows = this.flows;
    const slot = flows.find(p.quotedSrc, p.quotedDst, (p.quotedSport << 16) | p.quotedDport, p.quotedProto | v6);
    if (slot < 0) return;
    const fl = flows.flags(slot);
    flows.touch(slot, now, false);
    if (fl & Flow.CANDIDATE) {
      // nmap -sA reads an ICMP unreachable as "filtered": still a probe.
      flows.setFlags(slot, (fl & ~Flow.CANDIDATE) | Flow.PROBE | Flow.REJECTED);
      this.confirmCandidate(slot, now, null, true);
      return;
    }
    if ((fl & (Flow.ANSWERED | Flow.REJECTED)) !== 0 || (fl & Flow.PROBE) === 0) return;
    // The ICMP error may come from a router, so the prober is the quoted source, not our destination.
    this.rejected(slot, p.dst === p.quotedSrc ? p : null, now);
  }

  // ---------------------------------------------------------------- ARP

  private arp(p: Packet, now: number): void {
    if (p.arpOp === 1) {
      // Only broadcast who-has counts: unicast requests refresh a cache entry
      // (RFC 1122 2.3.2.1). Announcements (sender = target) and probes from
      // 0.0.0.0 (RFC 5227) are not questions about other hosts.
      if (!p.l2Broadcast || p.arpSpa === 0 || p.arpSpa === p.arpTpa) return;
      p.src = p.arpSpa;
      p.dst = p.arpTpa;
      this.probe(p, now, Technique.ARP_SWEEP, 0, Tool.NONE, -1, p.arpTpa);
    } else if (p.arpOp === 2) {
      const st = this.sources.peek(p.arpTpa)?.activeTechnique(Technique.ARP_SWEEP) ?? null;
      if (st === null) return;
      if (st.addLiveHost(p.arpSpa, () => formatIpv4(p.arpSpa))) st.answered++;
    }
  }

  // ---------------------------------------------------------------- shared

  private sourceKey(p: Packet): number {
    return p.l3 === L3.IPV6 ? IPV6_KEY_BASE + p.src : p.src;
  }

  /** The source key of a flow's initiator (the prober), as sourceKey gives it for its packets. */
  private initiatorKey(slot: number): number {
    const a = this.flows.initiator(slot);
    return this.flows.kind(slot) & V6 ? IPV6_KEY_BASE + a : a;
  }

  /**
   * One probe packet from the packet's source. A source with one distinct
   * probe so far lives in probation; its second distinct probe promotes it
   * to a full record, which then takes every probe.
   */
  private probe(p: Packet, now: number, tech: number, port: number, tool: number, slot: number, host: number): void {
    if (
      (this.ignoreSources !== null && this.ignoreSources.hasPacketAddress(p, true)) ||
      (this.ignoreTargets !== null && this.ignoreTargets.hasPacketAddress(p, false))
    ) {
      this.allowListed++;
      return;
    }
    this.probes[tech]!++;
    const key = this.sourceKey(p);
    let rec = this.sources.get(key, now);
    if (rec === null) {
      const pr = this.probation;
      const ps = pr.slotOf(key);
      if (!pr.holds(ps, key)) {
        pr.put(ps, key, host, port, tech, tool, now);
        if (slot >= 0) this.flows.setFlags(slot, this.flows.flags(slot) | Flow.FIRST_CONTACT);
        // A technique reported from its first packet (NULL, XMAS) cannot wait in probation.
        if (this.singlePacket[tech] === 1) this.evaluateNow(this.promote(ps, key, p, false), tech, now);
        return;
      }
      if (pr.sameProbe(ps, host, port, tech)) {
        pr.addPacket(ps); // a retransmission
        return;
      }
      rec = this.promote(ps, key, p, false);
    }
    if (slot >= 0) this.flows.markOwnerTracked(slot);
    const st = this.stateFor(rec, tech, now);
    const added = st.addProbe(host, port, now);
    if (tool !== Tool.NONE) st.toolVotes[tool]!++;
    if (added & 1) st.sampleTarget(host, p.l3 === L3.IPV6 ? () => this.dstText(p) : null);
    if (added & 4 && slot >= 0) this.flows.setFlags(slot, this.flows.flags(slot) | Flow.FIRST_CONTACT);
    if (added !== 0) this.afterProbe(st, tech, now, rec);
  }

  /**
   * Moves a source from probation to a full record, replaying its first
   * probe. `p` supplies the IPv6 address bytes: the packet's source, or its
   * destination when `fromDst` (a reply to the prober).
   */
  private promote(ps: number, key: number, p: Packet | null, fromDst: boolean): SourceRecord {
    const pr = this.probation;
    const rec = this.sources.add(key, pr.time(ps));
    rec.isV6 = isV6Key(key);
    if (rec.isV6) {
      if (rec.addr6 === null) rec.addr6 = new Uint8Array(16);
      const off = p === null ? -1 : fromDst ? p.dst6Off : p.src6Off;
      if (off >= 0 && p !== null) rec.addr6.set(p.buf.subarray(off, off + 16));
      else rec.addr6.fill(0);
    }
    const tech = pr.technique(ps);
    const st = this.stateFor(rec, tech, pr.time(ps));
    const host = pr.host(ps);
    st.addProbe(host, pr.port(ps), pr.time(ps));
    st.probes += pr.packets(ps) - 1;
    if (pr.tool(ps) !== Tool.NONE) st.toolVotes[pr.tool(ps)]! += pr.packets(ps);
    if (!rec.isV6) st.sampleTarget(host, null);
    const fl = pr.flags(ps);
    if (fl & ProbationFlag.ANSWERED) {
      st.answered++;
      if (!rec.isV6) {
        if (tech === Technique.ICMP_SWEEP) st.addLiveHost(host, () => formatIpv4(host));
        else if (tech !== Technique.ARP_SWEEP) st.addOpenService(pr.port(ps), formatIpv4(host));
      }
      if (this.trwTechnique(tech)) st.trw = this.trw.step(st.trw, true);
    }
    if (fl & ProbationFlag.REJECTED) {
      st.rejected++;
      if (this.trwTechnique(tech)) st.trw = this.trw.step(st.trw, false);
    }
    pr.clear(ps);
    return rec;
  }

  private evaluateNow(rec: SourceRecord, tech: number, now: number): void {
    const st = rec.activeTechnique(tech);
    if (st !== null && st.detection === null) this.evaluate(rec, st, tech, now);
  }

  private trwTechnique(tech: number): boolean {
    return tech === Technique.TCP_SYN || tech === Technique.TCP_CONNECT || tech === Technique.UDP;
  }

  /** The technique state of a source, started afresh when the window has passed. */
  private stateFor(rec: SourceRecord, tech: number, now: number): TechniqueState {
    const st = rec.technique(tech);
    if (st.probes > 0 && now - st.lastSeen > this.config.window) {
      this.closeDetection(st);
      st.reset();
    }
    return st;
  }

  private afterProbe(st: TechniqueState, tech: number, now: number, rec: SourceRecord): void {
    if (st.detection === null) this.evaluate(rec, st, tech, now);
  }

  /** The state of the technique a flow's initiator used, if the initiator has a full record. */
  private flowState(slot: number, now: number): TechniqueState | null {
    const flows = this.flows;
    const key = this.initiatorKey(slot);
    const rec = this.sources.get(key, now);
    if (rec === null) return null;
    return rec.activeTechnique(flows.technique(slot));
  }

  /** A positive answer to a probe: an open port, a live host. `p` is the answer. */
  private answered(slot: number, p: Packet, now: number): void {
    const flows = this.flows;
    flows.setFlags(slot, flows.flags(slot) | Flow.ANSWERED);
    if ((flows.flags(slot) & Flow.PROBE) === 0) return;
    const st = this.flowState(slot, now);
    if (st === null) {
      // A source in probation: its one contact succeeded; remember it for promotion.
      const key = this.initiatorKey(slot);
      const ps = this.probation.slotOf(key);
      if (this.probation.holds(ps, key)) this.probation.addFlags(ps, ProbationFlag.ANSWERED);
      return;
    }
    st.answered++;
    if (st.technique === Technique.ICMP_SWEEP) st.addLiveHost(p.src, () => this.srcText(p));
    else st.addOpenService(p.sport, this.srcText(p));
    this.outcome(slot, st, true, now, null);
  }

  /** A refusal (RST, ICMP unreachable) of a probe. `p` is the refusal when it was sent to the prober. */
  private rejected(slot: number, p: Packet | null, now: number): void {
    const flows = this.flows;
    flows.setFlags(slot, flows.flags(slot) | Flow.REJECTED);
    const v6 = (flows.kind(slot) & V6) !== 0;
    const key = this.initiatorKey(slot);
    const tech = flows.technique(slot);
    // A refusal is evidence the target exists and the source knocked on a
    // closed door: enough to leave probation. Silence is not (every spoofed
    // flood packet ends in silence).
    let rec = this.sources.get(key, now);
    if (rec === null) {
      const ps = this.probation.slotOf(key);
      if (!this.probation.holds(ps, key)) return;
      this.probation.addFlags(ps, ProbationFlag.REJECTED);
      if (v6 && p === null) return;
      this.evaluateNow(this.promote(ps, key, p, true), tech, now); // the promotion replays the refusal, TRW step included
      return;
    }
    const st = rec.activeTechnique(tech);
    if (st === null) return;
    st.rejected++;
    this.outcome(slot, st, false, now, rec);
  }

  /** A first contact's outcome feeds the sequential test. */
  private outcome(slot: number, st: TechniqueState, succeeded: boolean, now: number, rec: SourceRecord | null): void {
    if ((this.flows.flags(slot) & Flow.FIRST_CONTACT) === 0) return;
    if (!this.trwTechnique(st.technique)) return;
    st.trw = this.trw.step(st.trw, succeeded);
    if (st.detection === null && !succeeded) {
      const owner = rec ?? this.sources.peek(this.initiatorKey(slot));
      if (owner !== null) this.evaluate(owner, st, st.technique, now);
    }
  }

  private flowEnded(slot: number, now: number): void {
    const flows = this.flows;
    const fl = flows.flags(slot);
    if (fl & Flow.CANDIDATE) {
      // A lone segment never answered: nmap reads this as "filtered". (A second
      // segment from the initiator would have turned the flow into MIDSTREAM.)
      this.confirmCandidate(slot, now, null, false);
      return;
    }
    if ((fl & Flow.PROBE) === 0 || (fl & (Flow.ANSWERED | Flow.REJECTED)) !== 0) return;
    // Only full records care about silence; a probation source's one silent
    // probe changes nothing. (Checking the flow's mark first spares a flood of
    // one-probe sources a table lookup per expiry; the cost is that the first
    // probe of a source promoted later is not counted as silent.)
    if (!flows.ownerTracked(slot)) return;
    const key = this.initiatorKey(slot);
    const rec = this.sources.peek(key);
    if (rec === null) return;
    const st = rec.activeTechnique(flows.technique(slot));
    if (st === null) return;
    st.silent++;
    this.outcome(slot, st, false, now, rec);
  }

  /** The distinct-count test, gated by outcomes; then the sequential test. */
  private evaluate(rec: SourceRecord, st: TechniqueState, tech: number, now: number): void {
    const th = this.config.thresholds[tech]!;
    const hosts = st.hosts.count;
    const ports = st.ports.count;
    const big = this.config.overwhelmingFactor;
    let reason: DetectionReason | null = null;
    if (this.isConfirmedScanner(rec, tech)) {
      // A source already reported for another technique has shown what it is:
      // its other probing is reported from a few targets on, with no outcome
      // gate (nmap -O and -sV follow a scan with a handful of odd probes).
      const low = this.config.confirmedScannerThreshold;
      if (ports >= Math.min(low, th.ports || low)) reason = 'distinct-ports';
      else if (hosts >= Math.min(low, th.hosts)) reason = 'distinct-hosts';
      if (reason !== null) reason = 'confirmed-scanner';
    }
    if (reason !== null) {
      // fall through to reporting
    } else if (tech === Technique.ICMP_SWEEP || tech === Technique.ARP_SWEEP) {
      if (hosts >= th.hosts) {
        const unanswered = hosts - st.liveHostCount;
        if (unanswered >= this.config.sweepUnansweredFraction * hosts || hosts >= big * th.hosts) reason = 'distinct-hosts';
      }
    } else {
      if (th.ports > 0 && ports >= th.ports) reason = 'distinct-ports';
      else if (hosts >= th.hosts) reason = 'distinct-hosts';
      if (this.trwTechnique(tech)) {
        // A source whose first contacts mostly succeed is benign by TRW; only
        // overwhelming counts override that.
        if (reason !== null && st.trw <= this.trw.lower && ports < big * th.ports && hosts < big * th.hosts) reason = null;
        if (reason === null && st.trw >= this.trw.upper && st.pairCount >= this.config.trw.minContacts) reason = 'trw';
      }
    }
    if (reason === null) return;
    if (this.detections.length >= this.config.maxDetections) {
      this.detectionsDropped++;
      return;
    }
    const d = new Detection(this.nextId++, this.recordText(rec), tech, st, now, st.probes, reason);
    st.detection = d;
    st.detectedAfterProbes = st.probes;
    this.detections.push(d);
    this.active.add(d);
    this.onDetection('start', d);
  }

  /** Whether the source has a detection of another technique in its current window. */
  private isConfirmedScanner(rec: SourceRecord, tech: number): boolean {
    for (let t = 0; t < rec.techniques.length; t++) {
      const other = rec.techniques[t];
      if (t !== tech && other !== null && other !== undefined && other.detection !== null) return true;
    }
    return false;
  }

  private closeDetection(st: TechniqueState): void {
    const d = st.detection;
    if (d === null) return;
    d.detach();
    this.endDetection(d);
  }

  private endDetection(d: Detection): void {
    if (d.ended) return;
    d.ended = true;
    this.active.delete(d);
    this.onDetection('end', d);
    if (!this.keepEndedDetections) {
      d.detach();
      this.endedSinceCompaction++;
    }
  }

  /** A source record is about to be recycled: freeze its detections. */
  private retire(rec: SourceRecord): void {
    for (const st of rec.techniques) if (st !== null && st.detection !== null) st.detection.detach();
  }

  /**
   * Ends detections whose source has been quiet for `scanEndAfter`, and
   * expires idle flows. The live sensor calls this on a timer; offline
   * analysis calls `finish` at the end.
   */
  tick(now: number = this.now, flowSteps = 4096): void {
    this.flows.sweep(now, flowSteps);
    for (const d of this.active) if (now - d.lastSeen > this.config.scanEndAfter) this.endDetection(d);
    if (this.endedSinceCompaction > 0) {
      this.detections = this.detections.filter((d) => !d.ended);
      this.endedSinceCompaction = 0;
    }
  }

  /** End of input: every pending probe is resolved and every scan ends. */
  finish(): void {
    this.flows.drain(this.now + this.config.flowTimeout);
    for (const d of [...this.active]) this.endDetection(d);
  }

  private recordText(rec: SourceRecord): string {
    if (!rec.isV6) return formatIpv4(rec.key);
    return formatIpv6Key(Buffer.from(rec.addr6!).toString('hex'));
  }

  private srcText(p: Packet): string {
    if (p.l3 === L3.IPV6) return formatIpv6Key(p.buf.toString('hex', p.src6Off, p.src6Off + 16));
    return formatIpv4(p.src);
  }

  /** The IPv6 destination (or neighbour-solicitation target) as text. */
  private dstText(p: Packet): string {
    const off = p.ndTargetOff >= 0 && p.proto === Proto.ICMPV6 && p.icmpType === 135 ? p.ndTargetOff : p.dst6Off;
    return formatIpv6Key(p.buf.toString('hex', off, off + 16));
  }
}
