import { TOOL_COUNT } from '../rules/tools.js';
import type { SweepRateState } from './sweep-rate-state.js';
import type { InternalReconState } from './internal-recon.js';
import type { HostKey, Port } from '../units.js';
import { ChargedSet } from './charged-set.js';
import { HostSet, PairFilter, PortSet } from './distinct.js';
import type { MemoryBudget } from './memory-budget.js';
import { PacketIndex } from './packet-index.js';

/** How many target addresses, open services and live hosts a report names (the counts are not capped). */
export const SAMPLE_LIMIT = 256;
/** How many target addresses a report names. */
export const TARGET_SAMPLE_LIMIT = 16;
/** Distinct open services, live hosts and open|filtered ports one state remembers (each charged to the budget). */
const SET_LIMIT = 65536;

/**
 * What a technique state knows of the detection that reads it: the state
 * depends on no report type (rules/detection.ts implements this), so the
 * dependency runs one way, from the rules to the state.
 */
export interface DetectionLink {
  /** Freezes the detection's figures: the state is about to be reset or reused. */
  detach(): void;
}

/**
 * What one source has done with one technique in the current window:
 * probe count, distinct hosts and ports, outcomes, and the sequential
 * (TRW) score. Pooled with its source record and reset on reuse.
 */
export class TechniqueState<D extends DetectionLink = DetectionLink> {
  probes = 0;
  firstSeen = 0;
  lastSeen = 0;
  readonly hosts: HostSet;
  readonly ports: PortSet;
  readonly pairs: PairFilter;
  private firstHost = 0 as HostKey;
  private firstPort = 0 as Port;
  /** Replies that show a live service or host: SYN-ACK, UDP reply, echo reply, ARP reply. */
  answered = 0;
  /** Negative replies: RST, ICMP unreachable. */
  rejected = 0;
  /** Probes that timed out without any reply. */
  silent = 0;
  /** Handshakes the source completed after a SYN-ACK (connect() evidence). */
  handshakes = 0;
  /** SYN-ACKs the source answered with a RST (half-open evidence). */
  halfOpen = 0;
  /**
   * Successful contacts in which the source sent payload (a client's
   * request) and those it ended without sending any: Zeek's orig_bytes > 0
   * and orig_bytes = 0. A scanner's contacts are empty; a client's are not.
   */
  dataContacts = 0;
  emptyContacts = 0;
  /** TRW log-likelihood ratio of "scanner" over "benign" (Jung et al. 2004). */
  trw = 0;
  /**
   * First contacts (distinct host, port) by outcome: what the TRW steps on.
   * A client's repeated requests to one server are one contact here.
   */
  firstContactsAnswered = 0;
  firstContactsFailed = 0;
  readonly toolVotes = new Uint32Array(TOOL_COUNT);
  /** Distinct (host, port) pairs that answered open, as text "host:port"; first SAMPLE_LIMIT kept. */
  openServices: string[] = [];
  openPorts: ChargedSet<number> | null = null;
  private openServiceKeys: ChargedSet<string> | null = null;
  openServiceCount = 0;
  /**
   * Ports a FIN, NULL, XMAS or Maimon probe drew no answer from: open or
   * filtered, as nmap reports them (a closed port answers RST, RFC 9293
   * 3.10.7.1); all counted, a sorted sample reported.
   */
  openFiltered: ChargedSet<number> | null = null;
  openFilteredCount = 0;
  /** Hosts seen alive by a sweep (echo or ARP reply); first SAMPLE_LIMIT kept. */
  liveHosts: string[] = [];
  liveHostCount = 0;
  private liveHostKeys: ChargedSet<number> | null = null;
  /** The packets this state's probes and their answers came in (the detection's extract); null when nothing reads them (EngineConfig.indexPackets). */
  packets: PacketIndex | null;
  /**
   * A grouped scan's index this state's packets also go to (a member of a
   * distributed scan, a source whose slow scan the long-horizon tier
   * reported); null when none. Kept across reset: the group outlives the
   * member's own scans, and its index stops taking packets when it ends.
   */
  also: PacketIndex | null = null;
  /** The first few IPv4 targets, kept as numbers so a one-packet source costs no string. */
  readonly sampleV4 = new Int32Array(TARGET_SAMPLE_LIMIT);
  sampleV4Count = 0;
  /** The first few IPv6 targets as text (IPv6 sources are rare enough to afford it). */
  sampleV6: string[] = [];
  detection: D | null = null;
  detectedAfterProbes = 0;
  /** New-host rate and probe shapes for the sweep-rate test (rules/sweep-rate.ts); made on first use, pooled. */
  sweepRate: SweepRateState | null = null;
  /** Failed probes of internal hosts by an internal source (internal-recon.ts); made on first use, pooled. */
  internal: InternalReconState | null = null;
  /**
   * The verdict found a scan in this window but it was not kept (the
   * detection bound was reached, or it was evicted for a stronger one): it
   * was counted once as dropped, and is judged again as it grows.
   */
  detectionDropped = false;

  constructor(
    readonly technique: number,
    private readonly budget: MemoryBudget,
    indexPackets = false,
  ) {
    this.hosts = new HostSet(budget);
    this.ports = new PortSet(budget);
    this.pairs = new PairFilter(budget);
    this.packets = indexPackets ? new PacketIndex(budget) : null;
  }

  /** Whether a set of what the scan found (open services, live hosts, open|filtered ports) stopped growing at its bound: its counts are lower bounds. */
  get findingsBounded(): boolean {
    return (this.openServiceKeys?.full ?? false) || (this.liveHostKeys?.full ?? false) || (this.openFiltered?.full ?? false) || (this.openPorts?.full ?? false);
  }

  /** Records a packet of this state's scan (PacketRole), for its own detection and any group it is part of. */
  keep(ordinal: number, role: number): void {
    if (this.packets === null) return;
    this.packets.add(ordinal, role);
    if (this.also !== null) this.also.add(ordinal, role);
  }

  /** Hands the packet index to a detection that keeps it (the state starts a new one). */
  takePackets(): PacketIndex | null {
    const taken = this.packets;
    if (taken !== null) this.packets = new PacketIndex(this.budget);
    return taken;
  }

  /**
   * Records one probe packet. Returns a bit set: 1 = new host, 2 = new
   * port, 4 = new (host, port) pair, i.e. a first contact.
   */
  addProbe(host: HostKey, port: Port, now: number): number {
    if (this.probes === 0) {
      this.firstSeen = now;
      this.firstHost = host;
      this.firstPort = port;
    }
    this.probes++;
    this.lastSeen = now;
    let result = 0;
    if (this.hosts.add(host)) result |= 1;
    if (this.ports.add(port)) result |= 2;
    if (this.probes === 1) return result | 4;
    if (!this.pairs.started && (result !== 0 || host !== this.firstHost || port !== this.firstPort)) {
      // The filter starts at the second distinct pair, seeded with the first.
      this.pairs.add(this.firstHost, this.firstPort);
    }
    if (this.pairs.started || result !== 0) {
      if (this.pairs.add(host, port)) result |= 4;
    }
    if (result & 4 && this.secondContactAt === Infinity) this.secondContactAt = now;
    return result;
  }

  /** When the second distinct (host, port) was first probed in this window (Infinity: not yet). */
  secondContactAt = Infinity;

  /** The first probe's host and port in this window. */
  get firstContactHost(): HostKey {
    return this.firstHost;
  }
  get firstContactPort(): Port {
    return this.firstPort;
  }

  /** Distinct (host, port) pairs probed. */
  get pairCount(): number {
    return this.probes === 0 ? 0 : Math.max(1, this.pairs.count);
  }

  /** Records a service that answered open; returns true when it is new. `hostText` is the address as text. */
  addOpenService(port: number, hostText: string): boolean {
    if (this.openPorts === null || this.openServiceKeys === null) {
      this.openPorts = new ChargedSet(this.budget, SET_LIMIT, false);
      this.openServiceKeys = new ChargedSet(this.budget, SET_LIMIT, true);
    }
    this.openPorts.add(port);
    const key = hostText.includes(':') ? `[${hostText}]:${port}` : `${hostText}:${port}`;
    if (!this.openServiceKeys.add(key)) return false;
    this.openServiceCount++;
    if (this.openServices.length < SAMPLE_LIMIT) this.openServices.push(key);
    return true;
  }

  /** A port that stayed silent to a FIN, NULL, XMAS or Maimon probe. */
  addOpenFiltered(port: number): void {
    if (this.openFiltered === null) this.openFiltered = new ChargedSet(this.budget, SET_LIMIT, false);
    if (this.openFiltered.add(port)) this.openFilteredCount++;
  }

  /** Returns true when the host had not been seen alive before. */
  addLiveHost(hostKey: number, text: () => string): boolean {
    if (this.liveHostKeys === null) this.liveHostKeys = new ChargedSet(this.budget, SET_LIMIT, false);
    if (!this.liveHostKeys.add(hostKey)) return false;
    this.liveHostCount++;
    if (this.liveHosts.length < SAMPLE_LIMIT) this.liveHosts.push(text());
    return true;
  }

  /** Keeps a new target's address for the report, while there is room. */
  sampleTarget(host: HostKey, v6Text: (() => string) | null): void {
    if (v6Text !== null) {
      if (this.sampleV6.length + this.sampleV4Count < TARGET_SAMPLE_LIMIT) this.sampleV6.push(v6Text());
    } else if (this.sampleV4Count + this.sampleV6.length < TARGET_SAMPLE_LIMIT) {
      this.sampleV4[this.sampleV4Count++] = host;
    }
  }

  reset(): void {
    this.probes = 0;
    this.firstSeen = 0;
    this.lastSeen = 0;
    this.hosts.reset();
    this.ports.reset();
    this.pairs.reset();
    this.answered = 0;
    this.rejected = 0;
    this.silent = 0;
    this.handshakes = 0;
    this.halfOpen = 0;
    this.dataContacts = 0;
    this.emptyContacts = 0;
    this.trw = 0;
    this.firstContactsAnswered = 0;
    this.firstContactsFailed = 0;
    this.toolVotes.fill(0);
    if (this.openPorts !== null) {
      this.openServices = [];
      this.openPorts.release();
      this.openServiceKeys!.release();
      this.openPorts = null;
      this.openServiceKeys = null;
    }
    this.openServiceCount = 0;
    if (this.liveHostKeys !== null) {
      this.liveHosts = [];
      this.liveHostKeys.release();
      this.liveHostKeys = null;
    }
    this.liveHostCount = 0;
    if (this.openFiltered !== null) {
      this.openFiltered.release();
      this.openFiltered = null;
    }
    this.openFilteredCount = 0;
    this.packets?.reset();
    this.sampleV4Count = 0;
    if (this.sampleV6.length > 0) this.sampleV6 = [];
    this.detection = null;
    this.detectedAfterProbes = 0;
    this.secondContactAt = Infinity;
    if (this.sweepRate !== null) this.sweepRate.reset();
    if (this.internal !== null) this.internal.reset();
    this.detectionDropped = false;
  }
}
