import { formatIpv4 } from '../decode/address.js';
import type { PacketIndex } from '../state/packet-index.js';
import { type DetectionLink, SAMPLE_LIMIT, type TechniqueState } from '../state/technique-state.js';
import { realMember } from './distributed.js';
import { isSweep, type Pattern, TECHNIQUE_NAMES, Technique, type TechniqueName } from './techniques.js';
import { majorityTool, Tool, TOOL_NAMES } from './tools.js';

/**
 * tcp-syn or tcp-connect. A SYN is filed by its packet:
 * a scanner's fingerprint (masscan's IP ID, zmap's 54321, nmap's raw
 * windows) makes it tcp-syn, else the kernel's option set makes it
 * tcp-connect. The name then follows what the source did after SYN-ACKs,
 * when it has shown it: resetting them (half-open: the raw socket had no
 * connection, so the initiator's kernel answered RST) is a SYN scan
 * whatever options the SYNs carried; completing them with an ACK is the
 * kernel's connect(), unless a scanner's fingerprint says its own stack
 * did it (masscan --banners).
 */
export function synOrConnect(technique: number, s: TechniqueState): number {
  if (s.openServiceCount < 2) return technique;
  if (technique === Technique.TCP_CONNECT) return outweighs(s.halfOpen, s.handshakes) ? Technique.TCP_SYN : technique;
  if (technique === Technique.TCP_SYN && outweighs(s.handshakes, s.halfOpen) && majorityTool(s.toolVotes, s.probes) === Tool.NONE) return Technique.TCP_CONNECT;
  return technique;
}

/**
 * Handshake evidence that settles the name: from at least two open
 * services (checked above), at least two contacts, and more than twice the
 * contrary evidence. Repeated probes of one open port (nmap -O's, which
 * carry a full option set and are reset) or a lost ACK must not rename a scan.
 */
function outweighs(evidence: number, contrary: number): boolean {
  return evidence >= 2 && evidence > 2 * contrary;
}

/** The pattern of a scan from its distinct counts. */
export function patternOf(technique: number, hosts: number, ports: number, pairs: number): Pattern {
  if (isSweep(technique)) return 'horizontal';
  if (hosts <= 1) return 'vertical';
  // Few ports, or about one port per host: one service looked for on many hosts.
  if (ports <= 5 || pairs / hosts <= 2) return 'horizontal';
  return 'block';
}

/** What made a detection fire. */
export type DetectionReason =
  | 'distinct-ports'
  | 'distinct-hosts'
  | 'trw'
  | 'confirmed-scanner'
  /** A probe to an address no host uses (--dark-net) or a port nobody legitimate calls (--honey-port). */
  | 'dark-net'
  | 'honey-port'
  | 'long-horizon'
  | 'distributed'
  | 'sweep-rate'
  /** An internal source probing internal hosts (rules/techniques.ts INTERNAL_RECON). */
  | 'internal-recon';

/** Reasons that are deception hits: reported on the first probe, with a high severity. */
export function isLure(reason: string): boolean {
  return reason === 'dark-net' || reason === 'honey-port';
}

/** The figures of a detection at one moment, as reports carry them. */
export interface DetectionFigures {
  probes: number;
  targets: number;
  ports: number;
  pairs: number;
  firstSeen: number;
  lastSeen: number;
  countsExact: boolean;
  tool: string | null;
  openPorts: number[];
  openServices: string[];
  openServiceCount: number;
  /** Ports left silent by a FIN, NULL, XMAS or Maimon scan: open or filtered (sorted sample). */
  openFilteredPorts: number[];
  openFilteredCount: number;
  liveHosts: string[];
  liveHostCount: number;
  targetSamples: string[];
  answered: number;
  rejected: number;
  silent: number;
  handshakes: number;
  halfOpen: number;
  /**
   * The reported source gave evidence a blind spoofer cannot: it completed a
   * handshake acknowledging a target's SYN-ACK, or reset a SYN-ACK with the
   * numbers its stack would use (engine/classify-tcp.ts). Automated
   * responses act only on such sources (README, "Acting on a detection").
   */
  sourceVerified: boolean;
}

function toolOf(state: TechniqueState): string | null {
  return TOOL_NAMES[majorityTool(state.toolVotes, state.probes)] ?? null;
}

export function figuresOf(s: TechniqueState): DetectionFigures {
  return {
    probes: s.probes,
    targets: s.hosts.count,
    ports: isSweep(s.technique) ? 0 : s.ports.count,
    pairs: s.pairCount,
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    countsExact: s.hosts.exactCounting && !s.ports.saturated && !s.findingsBounded,
    tool: toolOf(s),
    openPorts: s.openPorts === null ? [] : [...s.openPorts].sort((a, b) => a - b),
    openServices: [...s.openServices],
    openServiceCount: s.openServiceCount,
    openFilteredPorts: s.openFiltered === null ? [] : [...s.openFiltered].sort((a, b) => a - b).slice(0, SAMPLE_LIMIT),
    openFilteredCount: s.openFilteredCount,
    liveHosts: [...s.liveHosts],
    liveHostCount: s.liveHostCount,
    targetSamples: [...Array.from(s.sampleV4.subarray(0, s.sampleV4Count), formatIpv4), ...s.sampleV6],
    answered: s.answered,
    rejected: s.rejected,
    silent: s.silent,
    handshakes: s.handshakes,
    halfOpen: s.halfOpen,
    sourceVerified: s.handshakes + s.halfOpen > 0,
  };
}

/** A detection never renamed shares this empty list (most are never renamed). */
const NO_RELABELS: readonly number[] = Object.freeze([]);

/**
 * One scan: a source using one technique. While the source is tracked the
 * detection reads its live state; when the source's window closes or its
 * record is evicted, the figures are frozen in `final`.
 */
export class Detection implements DetectionLink {
  live: TechniqueState<Detection> | null;
  final: DetectionFigures | null = null;
  /** The encapsulation or VLAN separating this source's address space ("vni:5001"), or null. */
  tenant: string | null = null;
  /**
   * Every source of a distributed scan (set by engine/recon.ts as its
   * figures are read); null for an ordinary scan (just `src`) and for a
   * decoy group, whose sources are its `members` (see group()).
   */
  sources: string[] | null = null;
  /**
   * The technique reported: fixed when the scan is first reported, from
   * what its probes and the source's handshakes showed by then (see
   * synOrConnect). Later, better-supported evidence changes it only by
   * `relabel`, which the book announces as an event of its own.
   */
  technique: number;
  /** Techniques this scan was reported as before, oldest first (see relabel). */
  relabelledFrom: readonly number[] = NO_RELABELS;
  /** Whether its start was announced (so its end is). */
  announced = false;
  /** The packets it rests on, once its state was handed on (detach); while live, the state's. */
  private keptPackets: PacketIndex | null = null;
  /** Figures read from another table (long-horizon and distributed detections) while it holds them. */
  provider: (() => DetectionFigures) | null = null;
  /** Decoy copies merged into this detection (nmap -D); null when there are none. */
  members: Detection[] | null = null;
  /** The detection this one was merged into; it is then not reported on its own. */
  absorbedBy: Detection | null = null;
  /** Key of this detection in the engine's decoy index, when it leads one. */
  decoyKey: string | null = null;
  ended = false;
  /** Taken out of the book at --max-detections to make room for a detection with more evidence. */
  evicted = false;
  /** Probes at the last progress report (live mode reports growth at bounded intervals). */
  reportedProbes = 0;
  reportedAt = 0;

  constructor(
    readonly id: number,
    /** Mutable for a distributed scan, whose real source is judged as its figures grow. */
    public src: string,
    /** The technique whose state this detection reads (tcp-syn and tcp-connect may trade names: see synOrConnect). */
    readonly stateTechnique: number,
    /** Null for a detection whose figures come from a provider (long-horizon, distributed). */
    state: TechniqueState<Detection> | null,
    readonly detectedAt: number,
    readonly detectedAfterProbes: number,
    readonly reason: DetectionReason,
  ) {
    this.live = state;
    this.technique = state === null ? stateTechnique : synOrConnect(stateTechnique, state);
  }

  /** The technique the evidence now supports (differs from `technique` when a relabel is due). */
  supportedTechnique(): number {
    return this.live === null ? this.technique : synOrConnect(this.stateTechnique, this.live);
  }

  /** Reports the scan as `technique` from now on; the old name is kept in relabelledFrom. */
  relabel(technique: number): void {
    this.relabelledFrom = [...this.relabelledFrom, this.technique];
    this.technique = technique;
  }

  /** The packets this detection rests on (its own; a decoy group's members are read by the report). */
  get packets(): PacketIndex | null {
    return this.live !== null ? this.live.packets : this.keptPackets;
  }

  /** A derived detection's own index (long-horizon, distributed), which its sources' states feed (TechniqueState.also). */
  adoptPackets(index: PacketIndex): void {
    this.keptPackets = index;
  }

  get type(): TechniqueName {
    return TECHNIQUE_NAMES[this.technique]!;
  }

  /** This detection's own figures (without merged decoys). */
  ownFigures(): DetectionFigures {
    if (this.live !== null) return figuresOf(this.live);
    if (this.provider !== null) return this.provider();
    return this.final!;
  }

  /** The scan's figures: its own, or for merged decoys the real source's with every copy's probes and times. */
  figures(): DetectionFigures {
    return this.members === null ? this.ownFigures() : this.group().figures;
  }

  /** Source judged real and the sorted list of every source of the scan. */
  group(): { src: string; sources: string[]; figures: DetectionFigures } {
    if (this.members === null) {
      const figures = this.ownFigures(); // first: a distributed scan's provider sets src and sources
      return { src: this.src, sources: this.sources ?? [this.src], figures };
    }
    const all = [this as Detection, ...this.members];
    const figs = all.map((d) => d.ownFigures());
    const real = realMember(all.map((d, i) => ({ src: d.src, probes: figs[i]!.probes, answers: figs[i]!.answered, answeredItself: figs[i]!.halfOpen + figs[i]!.handshakes })));
    const f = { ...figs[real]! };
    f.probes = figs.reduce((n, x) => n + x.probes, 0);
    f.firstSeen = Math.min(...figs.map((x) => x.firstSeen));
    f.lastSeen = Math.max(...figs.map((x) => x.lastSeen));
    return { src: all[real]!.src, sources: [...new Set(all.map((d) => d.src))].sort(), figures: f };
  }

  get lastSeen(): number {
    if (this.live !== null) return this.live.lastSeen;
    return this.final !== null ? this.final.lastSeen : this.ownFigures().lastSeen;
  }

  get firstSeen(): number {
    if (this.live !== null) return this.live.firstSeen;
    return this.final !== null ? this.final.firstSeen : this.ownFigures().firstSeen;
  }

  get probes(): number {
    if (this.live !== null) return this.live.probes;
    return this.final !== null ? this.final.probes : this.ownFigures().probes;
  }

  /** Freezes the figures: the technique state (or the table behind the provider) is about to be reset or reused. */
  detach(): void {
    if (this.provider !== null && this.live === null) {
      this.final = this.provider();
      this.provider = null;
      if (this.keptPackets !== null) this.keptPackets.frozen = true;
      return;
    }
    if (this.live === null) return;
    this.final = figuresOf(this.live);
    this.keptPackets = this.live.takePackets();
    this.live.detection = null;
    this.live = null;
  }

  pattern(f: DetectionFigures = this.figures()): Pattern {
    return patternOf(this.stateTechnique, f.targets, f.ports, f.pairs);
  }
}
