import { decodeErrorCounts } from '../decode/errors.js';
import type { Engine } from '../engine/engine.js';
import type { Detection } from '../rules/detection.js';
import { directionOf, type SitePolicy, severityOf } from '../rules/policy.js';
import { TECHNIQUE_NAMES } from '../rules/techniques.js';

export interface FileSummary {
  path: string;
  format: string;
  packets: number;
  bytes: number;
  truncated: boolean;
  warning: string | null;
}

/** A detection as every output format carries it (snake_case: it is a wire format). */
export interface DetectionReport {
  id: number;
  src: string;
  type: string;
  pattern: string;
  targets: number;
  ports: number;
  probes: number;
  first_seen: string;
  last_seen: string;
  duration_s: number;
  rate_pps: number;
  tool: string | null;
  open_ports: number[];
  open_services: string[];
  open_service_count: number;
  live_hosts: string[];
  live_host_count: number;
  targets_sample: string[];
  detected_after_probes: number;
  detected_at: string;
  reason: string;
  /** Seen from --home-net: inbound, outbound, internal or external (absent without a policy). */
  direction?: string;
  severity?: string;
  answered: number;
  rejected: number;
  unanswered: number;
  handshakes_completed: number;
  half_open: number;
  counts_exact: boolean;
}

export interface Report {
  scanwatch_version: string;
  files: FileSummary[];
  packets: number;
  bytes: number;
  first_packet: string | null;
  last_packet: string | null;
  decode_errors: Record<string, number>;
  decode_errors_total: number;
  other_protocols: number;
  evictions: { probation: number; sources: number; flows: number; flows_expired: number; sketch_allocations_refused: number };
  state: {
    probation_capacity: number;
    probation_entries: number;
    source_capacity: number;
    sources_tracked: number;
    flow_capacity: number;
    flows_tracked: number;
    sketch_budget_bytes: number;
    sketch_bytes_used: number;
  };
  probes: Record<string, number>;
  detections_dropped: number;
  /** What the bounded state could not follow (see Engine.coverage). */
  coverage: {
    /** Distinct sources that sent a probe (HyperLogLog estimate, 1.6% standard error). */
    probing_sources_estimate: number;
    /** Sources with two distinct probes (or a refusal): followed in a full record. */
    sources_promoted: number;
    /** Distinct sources with a detection in this report. */
    sources_reported: number;
    /** Full records evicted before any detection: followed, then forgotten. */
    sources_evicted_undetected: number;
    /** One-probe sources overwritten in probation before their second probe. */
    probation_overwritten: number;
  };
  /** Probe packets not counted because of --allow-scanner / --allow-target. */
  allow_listed_probes: number;
  detections: DetectionReport[];
}

/** Date's range (ECMA-262 21.4.1.1), in ms. */
const MAX_DATE_MS = 8.64e15;

/**
 * ISO 8601 text of a packet time. The capture reader never delivers a time
 * outside Date's range; this clamps anyway so that no report is lost to a
 * RangeError from a time computed from one (a time plus a window).
 */
export function isoTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  return new Date(ms > MAX_DATE_MS ? MAX_DATE_MS : ms < -MAX_DATE_MS || ms !== ms ? -MAX_DATE_MS : ms).toISOString();
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function detectionReport(d: Detection, policy?: SitePolicy): DetectionReport {
  const f = d.figures();
  const direction = policy === undefined ? undefined : directionOf(policy.homeNet, d.src, f.targetSamples[0]);
  const duration = Math.max(0, f.lastSeen - f.firstSeen);
  return {
    id: d.id,
    src: d.src,
    type: d.type,
    pattern: d.pattern(f),
    targets: f.targets,
    ports: f.ports,
    probes: f.probes,
    first_seen: isoTime(f.firstSeen),
    last_seen: isoTime(f.lastSeen),
    duration_s: round3(duration),
    rate_pps: duration > 0 ? round3(f.probes / duration) : f.probes,
    tool: f.tool,
    open_ports: f.openPorts,
    open_services: f.openServices,
    open_service_count: f.openServiceCount,
    live_hosts: f.liveHosts,
    live_host_count: f.liveHostCount,
    targets_sample: f.targetSamples,
    detected_after_probes: d.detectedAfterProbes,
    detected_at: isoTime(d.detectedAt),
    reason: d.reason,
    ...(direction === undefined ? {} : { direction, severity: severityOf(direction) }),
    answered: f.answered,
    rejected: f.rejected,
    unanswered: f.silent,
    handshakes_completed: f.handshakes,
    half_open: f.halfOpen,
    counts_exact: f.countsExact,
  };
}

function coverageOf(engine: Engine, detections: DetectionReport[]): Report['coverage'] {
  const c = engine.coverage();
  return {
    probing_sources_estimate: c.probingSources,
    sources_promoted: c.promoted,
    sources_reported: new Set(detections.map((d) => d.src)).size,
    sources_evicted_undetected: c.evictedUndetected,
    probation_overwritten: engine.probation.overwritten,
  };
}

export function buildReport(engine: Engine, files: FileSummary[], version: string, policy?: SitePolicy): Report {
  const errors = decodeErrorCounts(engine.decoder.errors);
  const probes: Record<string, number> = {};
  TECHNIQUE_NAMES.forEach((n, i) => {
    if (engine.probes[i]! > 0) probes[n] = engine.probes[i]!;
  });
  const detections = engine.detections
    .map((d) => detectionReport(d, policy))
    .sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.id - b.id));
  const s = engine.sources.stats();
  return {
    scanwatch_version: version,
    files,
    packets: engine.packets,
    bytes: engine.bytes,
    first_packet: engine.hasPacketTime ? isoTime(engine.firstPacketTime) : null,
    last_packet: engine.hasPacketTime ? isoTime(engine.now) : null,
    decode_errors: errors,
    decode_errors_total: Object.values(errors).reduce((a, b) => a + b, 0),
    other_protocols: engine.decoder.otherProtocol,
    evictions: {
      probation: engine.probation.overwritten,
      sources: s.evicted,
      flows: engine.flows.evicted,
      flows_expired: engine.flows.expired,
      sketch_allocations_refused: engine.budget.refused,
    },
    state: {
      probation_capacity: engine.probation.capacity,
      probation_entries: engine.probation.size,
      source_capacity: s.capacity,
      sources_tracked: s.entries,
      flow_capacity: engine.flows.capacity,
      flows_tracked: engine.flows.size,
      sketch_budget_bytes: engine.budget.limitBytes,
      sketch_bytes_used: engine.budget.used,
    },
    probes,
    detections_dropped: engine.detectionsDropped,
    coverage: coverageOf(engine, detections),
    allow_listed_probes: engine.allowListed,
    detections,
  };
}
