import { randomInt } from 'node:crypto';
import type { PacketSink } from '../capture/types.js';
import { Decoder } from '../decode/decoder.js';
import { DecodeError } from '../decode/errors.js';
import { L3, Proto } from '../decode/packet.js';
import type { CidrSet } from '../rules/cidr.js';
import { type EngineConfig, defaultConfig } from '../rules/config.js';
import type { Detection } from '../rules/detection.js';
import { TECHNIQUE_COUNT } from '../rules/techniques.js';
import { CaptureLossEstimator } from '../state/capture-loss.js';
import { FlowTable } from '../state/flow-table.js';
import { MemoryBudget } from '../state/memory-budget.js';
import { Probation } from '../state/probation.js';
import { SourceTable } from '../state/source-table.js';
import { TenantTable } from '../state/tenants.js';
import type { TenantIndex } from '../units.js';
import { ArpClassifier } from './classify-arp.js';
import { EndedFlowClassifier } from './classify-ended.js';
import { IcmpClassifier } from './classify-icmp.js';
import { IpProtocolClassifier } from './classify-ip.js';
import { SctpClassifier } from './classify-sctp.js';
import { SEGMENT_KINDS, TcpClassifier } from './classify-tcp.js';
import { UdpClassifier } from './classify-udp.js';
import { DetectionBook, type DetectionEvent } from './detection-book.js';
import { TENANT_SHIFT } from './keys.js';
import { Observation } from './observation.js';
import { Recon } from './recon.js';
import { recordText } from './source-text.js';
import { SourceTracker } from './tracker.js';

export { SEGMENT_KINDS } from './classify-tcp.js';
export type { DetectionEvent } from './detection-book.js';

/**
 * Flow slots the clock hand walks per tick: the whole default table
 * (262,144 slots) in 16 s, so an idle flow is judged within 26 s of its
 * last packet whatever the traffic.
 */
const TICK_FLOW_STEPS = 16384;

/** Settings a running engine cannot take: its tables are sized and keyed by them. */
const RESTART_ONLY = ['flowCapacity', 'probationCapacity', 'sourceCapacity', 'sketchBudgetBytes', 'maxDetections', 'hashSeed', 'udpTunnelPorts', 'flowTimeout'] as const;

/** The restart-only settings that differ between two configurations. */
export function restartOnlyChanges(a: EngineConfig, b: EngineConfig): string[] {
  const changed: string[] = RESTART_ONLY.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  if (a.longHorizon.capacity !== b.longHorizon.capacity) changed.push('longHorizon.capacity');
  if (a.distributed.targetCapacity !== b.distributed.targetCapacity) changed.push('distributed.targetCapacity');
  return changed;
}

/** A reconfiguration that needs a restart (see Engine.reconfigure); nothing was applied. */
export class RestartRequired extends Error {
  constructor(readonly settings: string[]) {
    super(`needs a restart to change: ${settings.join(', ')}`);
    this.name = 'RestartRequired';
  }
}

/**
 * The packet path: decode, classify per protocol, track sources, judge,
 * book detections. One instance serves a whole analysis (several files in
 * a row) or a live capture; it runs on packet time only, so a capture
 * analysed in a second yields what the live sensor would have reported
 * while it was recorded. The jobs live in their own modules:
 * classify-*.ts (what a packet is: observations, observation.ts),
 * tracker.ts (where observations go: admission, outcomes, the verdict),
 * detection-book.ts (detections and their events), recon.ts (the tiers
 * beside the per-source window). Each packet runs to the end before
 * anything a table set aside is judged: the flows its inserts ended, then
 * the book's events.
 */
export class Engine implements PacketSink {
  /** The settings in force (see reconfigure). */
  config: EngineConfig;
  readonly decoder: Decoder;
  readonly budget: MemoryBudget;
  readonly probation: Probation;
  readonly sources: SourceTable<Detection>;
  readonly flows: FlowTable;
  /** Zeek-style estimate of packets the capture missed (live capture loss). */
  readonly captureLoss: CaptureLossEstimator;
  readonly book: DetectionBook;
  readonly tracker: SourceTracker;
  /** Tenants (VLAN, VNI...) seen, as small indices for the table keys. */
  readonly tenants: TenantTable;
  /** Sweep-rate, long-horizon and many-source tiers. */
  readonly recon: Recon;
  /** The key of this engine's hash tables (config.hashSeed, or random). */
  readonly hashSeed: number;
  /** Packets given to the engine: the next packet's ordinal (the number detections name packets by). */
  packets = 0;
  bytes = 0;
  /** Latest packet time seen (seconds); the clock for every expiry. */
  now = 0;
  /** Packet time at or after which the next housekeeping tick runs, and when the last one ran (NaN: none yet). */
  private nextTickAt = 0;
  private lastTickAt = NaN;
  /** Time of the first packet; meaningful once hasPacketTime (times before 1970 are times too). */
  firstPacketTime = 0;
  hasPacketTime = false;
  readonly segments = new Float64Array(SEGMENT_KINDS.length);
  /** Probe packets by technique. */
  readonly probes = new Float64Array(TECHNIQUE_COUNT);
  /** Called when a scan is first reported, renamed on better evidence, and over (after the packet or tick that caused it). */
  onDetection: (event: DetectionEvent, detection: Detection) => void = () => {};
  /** The observation the classifiers fill for each packet. */
  private readonly observation = new Observation();
  private readonly tcp: TcpClassifier;
  private readonly udp: UdpClassifier;
  private readonly icmp: IcmpClassifier;
  private readonly arp: ArpClassifier;
  private readonly sctp: SctpClassifier;
  private readonly ipProto: IpProtocolClassifier;
  private readonly endedFlows: EndedFlowClassifier;

  constructor(config: EngineConfig = defaultConfig()) {
    this.config = config;
    this.hashSeed = (config.hashSeed ?? randomInt(0, 2 ** 32)) | 0;
    this.decoder = new Decoder({ udpTunnelPorts: config.udpTunnelPorts, ipv6HashKey: this.hashSeed });
    this.budget = new MemoryBudget(config.sketchBudgetBytes, this.hashSeed);
    this.captureLoss = new CaptureLossEstimator(65536, this.hashSeed);
    this.probation = new Probation(Math.max(1, config.probationCapacity), this.hashSeed);
    this.sources = new SourceTable<Detection>(Math.max(1, config.sourceCapacity), this.budget, this.hashSeed, config.indexPackets === true);
    this.flows = new FlowTable(config.flowCapacity, config.flowTimeout, this.hashSeed);
    this.tenants = new TenantTable(undefined, config.window);
    this.book = new DetectionBook(config.maxDetections, this.tenants, () => this.now);
    const book = this.book;
    this.recon = new Recon(
      {
        sources: this.sources,
        recordText,
        newDetection: (src, tenant, tech, now, probes, reason, provider) => book.openDerived(src, tenant, tech, now, probes, reason, provider),
        absorb: (d, into) => book.absorb(d, into),
      },
      config,
      this.budget,
      this.hashSeed,
    );
    this.tracker = new SourceTracker(config, this.probation, this.sources, this.flows, this.book, this.recon, this.probes, this.hashSeed);
    const o = this.observation;
    const held = this.tracker.admission;
    this.tcp = new TcpClassifier(this.flows, this.tracker, o, held, this.captureLoss, this.segments);
    this.udp = new UdpClassifier(this.flows, this.tracker, o);
    this.icmp = new IcmpClassifier(this.flows, this.tracker, o, held, this.hashSeed);
    this.arp = new ArpClassifier(this.flows, this.tracker, o);
    this.sctp = new SctpClassifier(this.flows, this.tracker, o);
    this.ipProto = new IpProtocolClassifier(this.flows, this.tracker, o);
    this.endedFlows = new EndedFlowClassifier(this.flows, this.tracker);
  }

  /**
   * Takes new settings without losing state (the live sensor's SIGHUP):
   * thresholds, test bounds, windows and timeouts reach every component,
   * or, when a setting only a restart can change differs (table sizes, the
   * hash key, tunnel ports), none does and a RestartRequired names them.
   */
  reconfigure(next: EngineConfig): void {
    const fixed = restartOnlyChanges(this.config, next);
    if (fixed.length > 0) throw new RestartRequired(fixed);
    this.tracker.reconfigure(next);
    this.recon.reconfigure(next);
    this.tenants.reuseAfter = next.window;
    this.config = next;
  }

  /** Detections, in order of detection. The live sensor drops ended ones (see keepEndedDetections). */
  get detections(): Detection[] {
    return this.book.detections;
  }
  /** Detections still open (not ended), for end-of-scan reporting. */
  get active(): Set<Detection> {
    return this.book.active;
  }
  get detectionsDropped(): number {
    return this.book.dropped;
  }
  /**
   * Offline analysis keeps every detection for its report; a sensor that
   * runs for months logs a scan when it ends and then forgets it, so that
   * memory and the --max-detections bound apply to scans in progress.
   */
  get keepEndedDetections(): boolean {
    return this.book.keepEnded;
  }
  set keepEndedDetections(keep: boolean) {
    this.book.keepEnded = keep;
  }
  /**
   * What the bounded tables could and could not follow: distinct probing
   * sources (estimated), sources promoted to full records, and records
   * evicted before any detection: on a busy internet-facing sensor the
   * report must say how much it could not follow.
   */
  coverage(): { probingSources: number; promoted: number; evictedUndetected: number } {
    return { probingSources: this.tracker.probingSources.estimate(), promoted: this.tracker.promoted, evictedUndetected: this.book.evictedUndetected };
  }
  /** Probe packets skipped by the allow-lists. */
  get allowListed(): number {
    return this.tracker.allowListed;
  }
  /** Sources whose probes are not counted (allow-listed scanners); null: none. */
  get ignoreSources(): CidrSet | null {
    return this.tracker.filters.ignoreSources;
  }
  /** Targets whose probes are not counted; null: none. */
  get ignoreTargets(): CidrSet | null {
    return this.tracker.filters.ignoreTargets;
  }

  /**
   * Sets the decoys (--dark-net, --honey-port): one probe to them is a
   * detection. Empty lists cost nothing per packet.
   */
  useDeception(darkNet: CidrSet, honeyPorts: readonly number[]): void {
    const filters = this.tracker.filters;
    filters.darkNet = darkNet.empty ? null : darkNet;
    if (honeyPorts.length === 0) {
      filters.honeyPorts = null;
      return;
    }
    const ports = new Uint8Array(65536);
    for (const port of honeyPorts) ports[port] = 1;
    filters.honeyPorts = ports;
  }

  /**
   * Sets the defended network (--home-net): the internal-reconnaissance
   * tier judges sources and targets inside it (rules/techniques.ts
   * INTERNAL_RECON); empty, the tier is off.
   */
  useHomeNet(homeNet: CidrSet): void {
    this.tracker.filters.homeNet = homeNet.empty ? null : homeNet;
  }

  /** Sets the allow-lists; an empty list costs nothing per packet. */
  useAllowLists(scanners: CidrSet, targets: CidrSet): void {
    this.tracker.filters.ignoreSources = scanners.empty ? null : scanners;
    this.tracker.filters.ignoreTargets = targets.empty ? null : targets;
  }

  /** A frame whose time no Date can hold: a packet that did not decode (capture/types.ts). */
  onBadTimestamp(wireLen: number): void {
    this.packets++;
    this.bytes += wireLen;
    this.decoder.errors[DecodeError.BAD_TIMESTAMP]!++;
  }

  onPacket(linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    const o = this.observation;
    o.ordinal = this.packets++;
    this.bytes += wireLen;
    o.sec = tsSec;
    o.nsec = tsNsec;
    // The clock moves on the (rare) new packet second, or when a packet
    // within the second is later than the clock: no double is made and
    // passed for the others.
    if (tsSec >= this.clockSec || !this.hasPacketTime) this.advanceClock(tsSec, tsNsec);
    if (!this.decoder.decode(linkType, data, offset, capLen, tsSec, tsNsec, wireLen)) return;
    const p = this.decoder.packet;
    const tenant = p.tenant === 0 ? 0 : this.tenants.indexOf(p.tenant, tsSec);
    if (tenant !== o.tenant) {
      o.tenant = tenant as TenantIndex;
      o.tenantBits = tenant << TENANT_SHIFT;
    }
    if (p.l3 === L3.ARP) this.arp.classify(p);
    else if (!p.hasL4) {
      if (p.completeDatagram) this.ipProto.classify(p);
    } else if (p.proto === Proto.TCP) this.tcp.classify(p);
    else if (p.proto === Proto.UDP) this.udp.classify(p);
    else if (p.proto === Proto.ICMP) this.icmp.classifyV4(p);
    else if (p.proto === Proto.ICMPV6) this.icmp.classifyV6(p);
    else if (p.proto === Proto.SCTP) this.sctp.classify(p);
    this.settle();
  }

  /** The whole second of the clock (`now`), to tell cheaply whether a packet may move it. */
  private clockSec = 0;

  /** A packet at or past the clock's second: the clock moves on when it is later, and housekeeping runs once a second. */
  private advanceClock(tsSec: number, tsNsec: number): void {
    const now = tsSec + tsNsec * 1e-9;
    if (!(now > this.now) && this.hasPacketTime) return;
    if (!this.hasPacketTime) {
      this.hasPacketTime = true;
      this.firstPacketTime = now;
      this.nextTickAt = now + 1;
    }
    this.now = now;
    this.clockSec = tsSec;
    // Housekeeping runs on packet time, once a second, in analyze and live
    // alike: flows expire and quiet scans end at the same packet times
    // whichever path the packets took (the live sensor's wall-clock timer
    // only adds ticks while no packet comes).
    if (now >= this.nextTickAt) this.tick(now);
  }

  /** What the packet set aside: the flows its inserts ended are judged, then the book's events are dispatched. */
  private settle(): void {
    if (this.flows.ended.size > 0) this.endedFlows.judgeAll();
    if (this.book.hasEvents) this.dispatchEvents();
  }

  /** The book's events, in order: the recon tiers forget an ended scan as a decoy leader; the listener hears what was announced. */
  private dispatchEvents(): void {
    this.book.drainEvents(this.dispatchEvent);
  }

  private readonly dispatchEvent = (event: DetectionEvent, detection: Detection): void => {
    if (event === 'end') {
      this.recon.ended(detection);
      if (detection.announced) this.onDetection('end', detection);
    } else {
      this.onDetection(event, detection);
    }
  };

  /**
   * Ends detections whose source has been quiet, and expires idle flows:
   * once a second of packet time (onPacket calls it), and from the live
   * sensor's wall-clock timer while no packet comes; `finish` at the end.
   */
  tick(now: number = this.now): void {
    // Within the second the packets last ticked: nothing to do (the live
    // timer adds ticks only while the packets do not).
    if (now < this.nextTickAt) return;
    // One tick's sweep per second elapsed (a sparse capture jumps minutes
    // between packets), so the hand covers the table as it would have had
    // the clock ticked every second.
    const seconds = this.lastTickAt === this.lastTickAt ? Math.max(1, Math.ceil(now - this.lastTickAt)) : 1;
    this.lastTickAt = now;
    this.nextTickAt = Math.floor(now) + 1;
    const sec = Math.floor(now);
    const nsec = Math.min(999_999_999, Math.round((now - sec) * 1e9));
    // The sweep pauses while the flows it ended wait to be judged.
    let steps = Math.min(this.flows.capacity, seconds * TICK_FLOW_STEPS);
    while (steps > 0) {
      steps -= this.flows.sweep(sec, nsec, steps);
      this.endedFlows.judgeAll();
    }
    this.book.expire(now, this.config.scanEndAfter, this.config.window, this.config.longHorizon.horizon);
    this.settle();
  }

  /** End of input: every pending probe is resolved and every scan ends. */
  finish(): void {
    while (!this.flows.drain()) this.endedFlows.judgeAll();
    this.endedFlows.judgeAll();
    this.book.endAll();
    this.settle();
  }
}
