import { encapsulationCounts } from '../decode/encapsulation.js';
import { decodeErrorCounts } from '../decode/errors.js';
import { FRAGMENT_STAT_NAMES } from '../decode/reassembly.js';
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
  /** Every source of the scan, sorted ([src] for an ordinary scan; all of a distributed or decoy scan's). */
  sources: string[];
  /** The VLAN or encapsulation separating the source's address space ("vlan:20", "vni:5001"), or null. */
  tenant: string | null;
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
  /** Frames by encapsulation opened (vlan, qinq, mpls, gre, erspan_i/ii/iii, vxlan, geneve); non-zero ones only. */
  encapsulation: Record<string, number>;
  /** IPv4/IPv6 fragment reassembly: fragments seen and what became of them, datagrams pending, memory bound. */
  fragments: Record<string, number>;
  evictions: {
    probation: number;
    sources: number;
    flows: number;
    flows_expired: number;
    sketch_allocations_refused: number;
    /** Long-horizon tier: entries displaced, entries past the horizon replaced, newcomers refused. */
    long_horizon: number;
    long_horizon_expired: number;
    long_horizon_refused: number;
    /** Per-target correlation: targets displaced, member sources displaced, member sources refused. */
    targets: number;
    target_members: number;
    target_members_refused: number;
  };
  state: {
    probation_capacity: number;
    probation_entries: number;
    source_capacity: number;
    sources_tracked: number;
    flow_capacity: number;
    flows_tracked: number;
    sketch_budget_bytes: number;
    sketch_bytes_used: number;
    long_horizon_capacity: number;
    long_horizon_entries: number;
    long_horizon_bytes: number;
    target_capacity: number;
    targets_tracked: number;
    target_bytes: number;
  };
  probes: Record<string, number>;
  detections_dropped: number;
  /** Probe packets not counted because of --allow-scanner / --allow-target. */
  allow_listed_probes: number;
  detections: DetectionReport[];
}

export function isoTime(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString();
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export function detectionReport(d: Detection, policy?: SitePolicy): DetectionReport {
  const g = d.group();
  const f = g.figures;
  const direction = policy === undefined ? undefined : directionOf(policy.homeNet, g.src, f.targetSamples[0]);
  const duration = Math.max(0, f.lastSeen - f.firstSeen);
  return {
    id: d.id,
    src: g.src,
    sources: g.sources,
    tenant: d.tenant,
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
    ...(direction === undefined ? {} : { direction, severity: severityOf(direction, d.reason) }),
    answered: f.answered,
    rejected: f.rejected,
    unanswered: f.silent,
    handshakes_completed: f.handshakes,
    half_open: f.halfOpen,
    counts_exact: f.countsExact,
  };
}

function fragmentReport(engine: Engine): Record<string, number> {
  const r = engine.decoder.reassembly;
  const out: Record<string, number> = {};
  FRAGMENT_STAT_NAMES.forEach((n, i) => (out[n] = r.stats[i]!));
  out.pending = r.pending;
  out.capacity = r.capacity;
  return out;
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
    first_packet: engine.firstPacketTime >= 0 ? isoTime(engine.firstPacketTime) : null,
    last_packet: engine.firstPacketTime >= 0 ? isoTime(engine.now) : null,
    decode_errors: errors,
    decode_errors_total: Object.values(errors).reduce((a, b) => a + b, 0),
    other_protocols: engine.decoder.otherProtocol,
    encapsulation: encapsulationCounts(engine.decoder.encapsulations),
    fragments: fragmentReport(engine),
    evictions: {
      probation: engine.probation.overwritten,
      sources: s.evicted,
      flows: engine.flows.evicted,
      flows_expired: engine.flows.expired,
      sketch_allocations_refused: engine.budget.refused,
      long_horizon: engine.recon.longHorizon.evicted,
      long_horizon_expired: engine.recon.longHorizon.expired,
      long_horizon_refused: engine.recon.longHorizon.refused,
      targets: engine.recon.targets.evicted,
      target_members: engine.recon.targets.membersEvicted,
      target_members_refused: engine.recon.targets.membersRefused,
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
      long_horizon_capacity: engine.recon.longHorizon.capacity,
      long_horizon_entries: engine.recon.longHorizon.size,
      long_horizon_bytes: engine.recon.longHorizon.bytes,
      target_capacity: engine.recon.targets.capacity,
      targets_tracked: engine.recon.targets.size,
      target_bytes: engine.recon.targets.bytes,
    },
    probes,
    detections_dropped: engine.detectionsDropped,
    allow_listed_probes: engine.allowListed,
    detections,
  };
}
