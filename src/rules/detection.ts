import { formatIpv4 } from '../decode/address.js';
import type { DetectionLink, TechniqueState } from '../state/technique-state.js';
import { isSweep, type Pattern, TECHNIQUE_NAMES, type TechniqueName } from './techniques.js';
import { TOOL_NAMES } from './tools.js';

/** The pattern of a scan from its distinct counts. */
export function patternOf(technique: number, hosts: number, ports: number, pairs: number): Pattern {
  if (isSweep(technique)) return 'horizontal';
  if (hosts <= 1) return 'vertical';
  // Few ports, or about one port per host: one service looked for on many hosts.
  if (ports <= 5 || pairs / hosts <= 2) return 'horizontal';
  return 'block';
}

/** What made a detection fire. */
export type DetectionReason = 'distinct-ports' | 'distinct-hosts' | 'trw' | 'confirmed-scanner';

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
  liveHosts: string[];
  liveHostCount: number;
  targetSamples: string[];
  answered: number;
  rejected: number;
  silent: number;
  handshakes: number;
  halfOpen: number;
}

function toolOf(state: TechniqueState): string | null {
  let best = 0;
  let bestVotes = 0;
  for (let t = 1; t < state.toolVotes.length; t++) {
    if (state.toolVotes[t]! > bestVotes) {
      best = t;
      bestVotes = state.toolVotes[t]!;
    }
  }
  // A tool is named when at least half of the probes carry its fingerprint.
  return bestVotes * 2 >= state.probes && bestVotes > 0 ? TOOL_NAMES[best]! : null;
}

export function figuresOf(s: TechniqueState): DetectionFigures {
  return {
    probes: s.probes,
    targets: s.hosts.count,
    ports: isSweep(s.technique) ? 0 : s.ports.count,
    pairs: s.pairCount,
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    countsExact: s.hosts.exactCounting && !s.ports.saturated,
    tool: toolOf(s),
    openPorts: s.openPorts === null ? [] : [...s.openPorts].sort((a, b) => a - b),
    openServices: [...s.openServices],
    openServiceCount: s.openServiceCount,
    liveHosts: [...s.liveHosts],
    liveHostCount: s.liveHostCount,
    targetSamples: [...Array.from(s.sampleV4.subarray(0, s.sampleV4Count), formatIpv4), ...s.sampleV6],
    answered: s.answered,
    rejected: s.rejected,
    silent: s.silent,
    handshakes: s.handshakes,
    halfOpen: s.halfOpen,
  };
}

/**
 * One scan: a source using one technique. While the source is tracked the
 * detection reads its live state; when the source's window closes or its
 * record is evicted, the figures are frozen in `final`.
 */
export class Detection implements DetectionLink {
  live: TechniqueState<Detection> | null;
  final: DetectionFigures | null = null;
  readonly type: TechniqueName;
  ended = false;
  /** Probes at the last progress report (live mode reports growth at bounded intervals). */
  reportedProbes = 0;
  reportedAt = 0;

  constructor(
    readonly id: number,
    readonly src: string,
    readonly technique: number,
    state: TechniqueState<Detection>,
    readonly detectedAt: number,
    readonly detectedAfterProbes: number,
    readonly reason: DetectionReason,
  ) {
    this.live = state;
    this.type = TECHNIQUE_NAMES[technique]!;
  }

  figures(): DetectionFigures {
    if (this.live !== null) return figuresOf(this.live);
    return this.final!;
  }

  get lastSeen(): number {
    return this.live !== null ? this.live.lastSeen : this.final!.lastSeen;
  }

  get probes(): number {
    return this.live !== null ? this.live.probes : this.final!.probes;
  }

  /** Freezes the figures: the technique state is about to be reset or reused. */
  detach(): void {
    if (this.live === null) return;
    this.final = figuresOf(this.live);
    this.live.detection = null;
    this.live = null;
  }

  pattern(f: DetectionFigures = this.figures()): Pattern {
    return patternOf(this.technique, f.targets, f.ports, f.pairs);
  }
}
