import { encapsulationCounts } from '../decode/encapsulation.js';
import { decodeErrorCounts } from '../decode/errors.js';
import { FRAGMENT_STAT_NAMES } from '../decode/reassembly.js';
import type { Engine } from '../engine/engine.js';
import type { Detection } from '../rules/detection.js';
import { type Confidence, confidenceOf } from '../rules/evidence.js';
import { directionOf, type SitePolicy, severityOf } from '../rules/policy.js';
import { TECHNIQUE_NAMES } from '../rules/techniques.js';
import { attackOf, type AttackTechnique } from './attack.js';

export interface FileSummary {
  path: string;
  format: string;
  packets: number;
  bytes: number;
  truncated: boolean;
  warning: string | null;
  /** Earliest and latest packet time in this file (not its first and last record). */
  first_packet: string | null;
  last_packet: string | null;
  /** Scans reported from this file (with --merge: whose first probe lies in it). */
  detection_count: number;
}

/** A detection as every output format carries it (snake_case: it is a wire format). */
export interface DetectionReport {
  id: number;
  /**
   * The capture file the scan was found in (with --merge: the one holding
   * its first probe); absent in the live sensor's logs.
   */
  file?: string | null;
  src: string;
  /** Every source of the scan, sorted ([src] for an ordinary scan; all of a distributed or decoy scan's). */
  sources: string[];
  /** The VLAN or encapsulation separating the source's address space ("vlan:20", "vni:5001"), or null. */
  tenant: string | null;
  type: string;
  /** Types the scan was reported as before better evidence renamed it, oldest first (absent when never renamed). */
  relabelled_from?: string[];
  pattern: string;
  targets: number;
  ports: number;
  probes: number;
  first_seen: string;
  last_seen: string;
  duration_s: number;
  rate_pps: number;
  tool: string | null;
  /** MITRE ATT&CK technique (README, "ATT&CK"). */
  attack: AttackTechnique;
  open_ports: number[];
  open_services: string[];
  open_service_count: number;
  /** Ports a FIN, NULL, XMAS or Maimon scan drew no answer from: open|filtered, as nmap says (sorted, at most 256). */
  open_filtered_ports: number[];
  open_filtered_count: number;
  live_hosts: string[];
  live_host_count: number;
  targets_sample: string[];
  detected_after_probes: number;
  detected_at: string;
  reason: string;
  /** What the detection rests on (rules/evidence.ts): low (one probe), medium (counts), high (verified, answered, overwhelming, or a pattern rule). */
  confidence: Confidence;
  /** Seen from --home-net: inbound, outbound, internal or external (absent without a policy). */
  direction?: string;
  /** Direction weighed with confidence (rules/policy.ts severityOf). */
  severity?: string;
  answered: number;
  rejected: number;
  unanswered: number;
  handshakes_completed: number;
  half_open: number;
  /** The source completed an exchange a blind spoofer cannot (DetectionFigures.sourceVerified). */
  source_verified: boolean;
  counts_exact: boolean;
}

export interface Report {
  scanwatch_version: string;
  /** True when reading was interrupted (SIGINT): the report covers what was read. */
  partial: boolean;
  /** True with --merge: all files were one stream; else each file was its own capture. */
  merged: boolean;
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
    /** Tenant indices taken back from idle tenants; packets of tenants that found none (reported as tenant "overflow"). */
    tenants_reclaimed: number;
    tenant_overflow_packets: number;
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
    tenant_capacity: number;
    tenants_tracked: number;
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
  /** Input warnings (damaged files, time running backwards, overlapping files). */
  warnings: string[];
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

export function detectionReport(d: Detection, policy?: SitePolicy, file?: string | null): DetectionReport {
  const g = d.group();
  const f = g.figures;
  const direction = policy === undefined ? undefined : directionOf(policy.homeNet, g.src, f.targetSamples[0]);
  const duration = Math.max(0, f.lastSeen - f.firstSeen);
  const pattern = d.pattern(f);
  const confidence = confidenceOf(d.technique, d.reason, f);
  return {
    id: d.id,
    ...(file === undefined ? {} : { file }),
    src: g.src,
    sources: g.sources,
    tenant: d.tenant,
    type: d.type,
    ...(d.relabelledFrom.length === 0 ? {} : { relabelled_from: d.relabelledFrom.map((t) => TECHNIQUE_NAMES[t]!) }),
    pattern,
    targets: f.targets,
    ports: f.ports,
    probes: f.probes,
    first_seen: isoTime(f.firstSeen),
    last_seen: isoTime(f.lastSeen),
    duration_s: round3(duration),
    rate_pps: duration > 0 ? round3(f.probes / duration) : f.probes,
    tool: f.tool,
    attack: attackOf({ type: d.type, pattern, tool: f.tool, direction }),
    open_ports: f.openPorts,
    open_services: f.openServices,
    open_service_count: f.openServiceCount,
    open_filtered_ports: f.openFilteredPorts,
    open_filtered_count: f.openFilteredCount,
    live_hosts: f.liveHosts,
    live_host_count: f.liveHostCount,
    targets_sample: f.targetSamples,
    detected_after_probes: d.detectedAfterProbes,
    detected_at: isoTime(d.detectedAt),
    reason: d.reason,
    confidence,
    ...(direction === undefined ? {} : { direction, severity: severityOf(direction, d.reason, confidence) }),
    answered: f.answered,
    rejected: f.rejected,
    unanswered: f.silent,
    handshakes_completed: f.handshakes,
    half_open: f.halfOpen,
    source_verified: f.sourceVerified,
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

/** Fragment counters add up across runs; pending and capacity are per engine, so the largest is kept. */
function addFragments(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = k === 'pending' || k === 'capacity' ? Math.max(into[k] ?? 0, v) : (into[k] ?? 0) + v;
}

/** One capture's detection run: the engine after it read its file(s). */
export interface EngineRun {
  engine: Engine;
  /** The files this engine read: one, or all of them with --merge. */
  files: FileSummary[];
  /** Per file, earliest and latest packet time (seconds), to place merged detections. */
  ranges: { min: number; max: number }[];
}

function fileOf(run: EngineRun, firstSeen: number): string | null {
  if (run.files.length === 1) return run.files[0]!.path;
  // The file holding the scan's first probe (ranges are true min/max per file).
  for (let i = 0; i < run.files.length; i++) {
    const r = run.ranges[i]!;
    if (firstSeen >= r.min - 0.001 && firstSeen <= r.max + 0.001) return run.files[i]!.path;
  }
  return null;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * What a report takes from one engine run, as plain data: it can be made
 * in a worker thread and posted to the thread that builds the report.
 * `detections` carry the run's own ids (ReportBuilder shifts them).
 */
export interface RunSummary {
  files: FileSummary[];
  ranges: { min: number; max: number }[];
  packetCount: number;
  bytes: number;
  decodeErrors: Record<string, number>;
  probes: Record<string, number>;
  otherProtocols: number;
  evictions: Record<string, number>;
  encapsulation: Record<string, number>;
  fragments: Record<string, number>;
  state: NonNullable<Report['state']>;
  detectionsDropped: number;
  coverage: Record<string, number>;
  allowListed: number;
  detections: DetectionReport[];
  maxId: number;
  /**
   * Per detection (same order), the packets the engine kept for it as
   * ordinal * 4 + role (state/packet-index.ts), decoy copies' included, in
   * input order; empty unless asked for (--extract, html).
   */
  packets: number[][];
}

/**
 * Where each detection's packets are: the runs in the order they were read
 * (one file each, or all files merged in timestamp order: a run's packet
 * ordinals count from 0 over what it read, in that order), and by report
 * id the run and its entries (ordinal * 4 + role).
 */
export interface PacketPlan {
  runs: { files: string[] }[];
  detections: Map<number, { run: number; entries: number[] }>;
}

/** A detection's packets and its decoy copies', as ordinal * 4 + role, in input order, each packet once. */
export function packetEntries(d: Detection): number[] {
  const all: number[] = [];
  for (const x of [d, ...(d.members ?? [])]) {
    const index = x.packets;
    if (index === null) continue;
    const { ordinals, roles } = index.sorted();
    for (let i = 0; i < ordinals.length; i++) all.push(ordinals[i]! * 4 + roles[i]!);
  }
  all.sort((a, b) => a - b);
  const out: number[] = [];
  for (const e of all) if (out.length === 0 || Math.floor(out[out.length - 1]! / 4) !== Math.floor(e / 4)) out.push(e);
  return out;
}

export function summarizeRun(run: EngineRun, policy?: SitePolicy, withPackets = false): RunSummary {
  const { engine } = run;
  const probes: Record<string, number> = {};
  TECHNIQUE_NAMES.forEach((n, i) => {
    if (engine.probes[i]! > 0) probes[n] = engine.probes[i]!;
  });
  const s = engine.sources.stats();
  const recon = engine.recon;
  const c = engine.coverage();
  let maxId = 0;
  const detections: DetectionReport[] = [];
  const packets: number[][] = [];
  for (const d of engine.detections) {
    const f = d.figures();
    detections.push(detectionReport(d, policy, fileOf(run, f.firstSeen)));
    packets.push(withPackets ? packetEntries(d) : []);
    maxId = Math.max(maxId, d.id);
  }
  return {
    packets,
    files: run.files,
    ranges: run.ranges,
    packetCount: engine.packets,
    bytes: engine.bytes,
    decodeErrors: decodeErrorCounts(engine.decoder.errors),
    probes,
    otherProtocols: engine.decoder.otherProtocol,
    evictions: {
      probation: engine.probation.overwritten,
      sources: s.evicted,
      flows: engine.flows.evicted,
      flows_expired: engine.flows.expired,
      sketch_allocations_refused: engine.budget.refused,
      long_horizon: recon.longHorizon.evicted,
      long_horizon_expired: recon.longHorizon.expired,
      long_horizon_refused: recon.longHorizon.refused,
      targets: recon.targets.evicted,
      target_members: recon.targets.membersEvicted,
      target_members_refused: recon.targets.membersRefused,
      tenants_reclaimed: engine.tenants.reclaimed,
      tenant_overflow_packets: engine.tenants.overflow,
    },
    encapsulation: encapsulationCounts(engine.decoder.encapsulations),
    fragments: fragmentReport(engine),
    state: {
      probation_capacity: engine.probation.capacity,
      probation_entries: engine.probation.size,
      source_capacity: s.capacity,
      sources_tracked: s.entries,
      flow_capacity: engine.flows.capacity,
      flows_tracked: engine.flows.size,
      sketch_budget_bytes: engine.budget.limitBytes,
      sketch_bytes_used: engine.budget.used,
      long_horizon_capacity: recon.longHorizon.capacity,
      long_horizon_entries: recon.longHorizon.size,
      long_horizon_bytes: recon.longHorizon.bytes,
      target_capacity: recon.targets.capacity,
      targets_tracked: recon.targets.size,
      target_bytes: recon.targets.bytes,
      tenant_capacity: engine.tenants.capacity - 2,
      tenants_tracked: engine.tenants.size,
    },
    detectionsDropped: engine.detectionsDropped,
    coverage: {
      probing_sources_estimate: c.probingSources,
      sources_promoted: c.promoted,
      sources_evicted_undetected: c.evictedUndetected,
      probation_overwritten: engine.probation.overwritten,
    },
    allowListed: engine.allowListed,
    detections,
    maxId,
  };
}

/**
 * Builds one report from one or more engine runs (each file its own
 * capture, or one merged run). Counters add up across runs; `state` gives
 * each engine's capacities and the largest occupancy any run reached.
 * Detection ids stay unique: each run's ids are shifted past the previous
 * run's largest. A run is summarised as soon as it is added, so its engine
 * can be dropped before the next file is read.
 */
export class ReportBuilder {
  private readonly detections: DetectionReport[] = [];
  private readonly files: FileSummary[] = [];
  private readonly decodeErrors: Record<string, number> = {};
  private readonly probes: Record<string, number> = {};
  private packets = 0;
  private bytes = 0;
  private first = Infinity;
  private last = -Infinity;
  private otherProtocols = 0;
  private readonly evictions = {
    probation: 0,
    sources: 0,
    flows: 0,
    flows_expired: 0,
    sketch_allocations_refused: 0,
    long_horizon: 0,
    long_horizon_expired: 0,
    long_horizon_refused: 0,
    targets: 0,
    target_members: 0,
    target_members_refused: 0,
    tenants_reclaimed: 0,
    tenant_overflow_packets: 0,
  };
  private readonly encapsulation: Record<string, number> = {};
  private readonly fragments: Record<string, number> = {};
  private state: Report['state'] | null = null;
  private detectionsDropped = 0;
  private readonly coverage = { probing_sources_estimate: 0, sources_promoted: 0, sources_evicted_undetected: 0, probation_overwritten: 0 };
  private allowListed = 0;
  private idOffset = 0;
  readonly warnings: string[] = [];

  constructor(
    private readonly version: string,
    private readonly policy: SitePolicy | undefined,
    private readonly merged: boolean,
  ) {}

  addRun(run: EngineRun, withPackets = false): void {
    this.addSummary(summarizeRun(run, this.policy, withPackets));
  }

  /** What each run read and, by report id, the packets the engine kept for each detection (see RunSummary.packets). */
  readonly plan: PacketPlan = { runs: [], detections: new Map() };

  /** Adds a run already summarised (by this process or by a worker thread: cli/analyze-pool.ts). */
  addSummary(run: RunSummary): void {
    this.files.push(...run.files);
    this.packets += run.packetCount;
    this.bytes += run.bytes;
    for (const r of run.ranges) {
      if (r.min < this.first) this.first = r.min;
      if (r.max > this.last) this.last = r.max;
    }
    addCounts(this.decodeErrors, run.decodeErrors);
    addCounts(this.probes, run.probes);
    this.otherProtocols += run.otherProtocols;
    addCounts(this.evictions, run.evictions);
    addCounts(this.encapsulation, run.encapsulation);
    addFragments(this.fragments, run.fragments);
    const st = run.state;
    if (this.state === null) this.state = { ...st };
    else for (const k of Object.keys(st) as (keyof typeof st)[]) this.state[k] = Math.max(this.state[k], st[k]);
    this.detectionsDropped += run.detectionsDropped;
    // Per-file runs are separate captures: their distinct-source estimates add up.
    addCounts(this.coverage, run.coverage);
    this.allowListed += run.allowListed;
    const runIndex = this.plan.runs.length;
    this.plan.runs.push({ files: run.files.map((f) => f.path) });
    for (let i = 0; i < run.detections.length; i++) {
      const d = run.detections[i]!;
      const r = { ...d, id: d.id + this.idOffset };
      this.plan.detections.set(r.id, { run: runIndex, entries: run.packets[i] ?? [] });
      this.detections.push(r);
      const summary = run.files.find((x) => x.path === r.file);
      if (summary !== undefined) summary.detection_count++;
    }
    this.idOffset += run.maxId;
  }

  build(partial: boolean): Report {
    const detections = this.detections
      .slice()
      .sort((a, b) => (a.first_seen < b.first_seen ? -1 : a.first_seen > b.first_seen ? 1 : a.id - b.id));
    const known = this.first <= this.last;
    return {
      scanwatch_version: this.version,
      partial,
      merged: this.merged,
      files: this.files,
      packets: this.packets,
      bytes: this.bytes,
      first_packet: known ? isoTime(this.first) : null,
      last_packet: known ? isoTime(this.last) : null,
      decode_errors: this.decodeErrors,
      decode_errors_total: Object.values(this.decodeErrors).reduce((a, b) => a + b, 0),
      other_protocols: this.otherProtocols,
      encapsulation: this.encapsulation,
      fragments: this.fragments,
      evictions: this.evictions,
      state: this.state ?? emptyState(),
      probes: this.probes,
      detections_dropped: this.detectionsDropped,
      coverage: { ...this.coverage, sources_reported: new Set(detections.map((d) => d.src)).size },
      allow_listed_probes: this.allowListed,
      warnings: this.warnings,
      detections,
    };
  }
}

function emptyState(): Report['state'] {
  return {
    probation_capacity: 0,
    probation_entries: 0,
    source_capacity: 0,
    sources_tracked: 0,
    flow_capacity: 0,
    flows_tracked: 0,
    sketch_budget_bytes: 0,
    sketch_bytes_used: 0,
    long_horizon_capacity: 0,
    long_horizon_entries: 0,
    long_horizon_bytes: 0,
    target_capacity: 0,
    targets_tracked: 0,
    target_bytes: 0,
    tenant_capacity: 0,
    tenants_tracked: 0,
  };
}

/**
 * The report of one engine run, without per-file time ranges: for callers
 * that drive an Engine themselves (the in-process fuzzer, tests). The time
 * range is the engine's first packet to its clock.
 */
export function buildReport(engine: Engine, files: FileSummary[], version: string, policy?: SitePolicy): Report {
  const builder = new ReportBuilder(version, policy, false);
  const range = engine.hasPacketTime ? { min: engine.firstPacketTime, max: engine.now } : { min: Infinity, max: -Infinity };
  builder.addRun({ engine, files, ranges: files.length === 0 ? [range] : files.map(() => range) });
  return builder.build(false);
}
