import { formatTenant } from '../decode/encapsulation.js';
import { Detection, type DetectionFigures, type DetectionReason } from '../rules/detection.js';
import type { TenantTable } from '../state/tenants.js';
import type { TechniqueState } from '../state/technique-state.js';
import type { SourceRecord } from '../state/source-table.js';

/** What the book announces: a scan reported, renamed on better evidence (Detection.relabel), or over. */
export type DetectionEvent = 'start' | 'relabel' | 'end';

/**
 * The detection book: every detection from its opening to its end, the
 * bound on how many are kept (--max-detections), and the start/end events
 * the live sensor logs.
 */
export class DetectionBook {
  /** Detections, in order of detection. The live sensor drops ended ones (see keepEnded). */
  detections: Detection[] = [];
  /** Detections still open (not ended), for end-of-scan reporting. */
  readonly active = new Set<Detection>();
  /**
   * Offline analysis keeps every detection for its report; a sensor that
   * runs for months logs a scan when it ends and then forgets it, so that
   * memory and the --max-detections bound apply to scans in progress.
   */
  keepEnded = true;
  dropped = 0;
  private endedSinceCompaction = 0;
  private nextId = 1;
  /**
   * Events not yet dispatched, in order, as kinds and detections side by
   * side (no object per event: a flood of scans makes three each). The
   * engine drains them after each packet and tick (drainEvents). Ends
   * include detections that were never announced (a decoy copy merged at
   * its opening): the recon tiers must forget them too;
   * `Detection.announced` says which were.
   */
  private readonly eventKinds: DetectionEvent[] = [];
  private readonly eventDetections: Detection[] = [];

  constructor(
    private readonly maxDetections: number,
    private readonly tenants: TenantTable,
    /**
     * The latest packet time. A verdict can come from a flow that timed out
     * after the last packet (its silence is known at its last packet plus
     * the timeout, past the end of a capture): a detection is dated no later
     * than the last packet seen.
     */
    private readonly lastPacketTime: () => number = () => Infinity,
  ) {}

  /** A tenant index as reports name it: null for none, "overflow" for tenants that shared the last index. */
  private tenantLabel(index: number): string | null {
    const t = this.tenants.tenantAt(index);
    return t < 0 ? 'overflow' : formatTenant(t);
  }

  /** Whether events wait (see drainEvents). */
  get hasEvents(): boolean {
    return this.eventKinds.length > 0;
  }

  /** Calls `each` with the events since the last call, oldest first (events queued meanwhile included); the book keeps none. */
  drainEvents(each: (event: DetectionEvent, detection: Detection) => void): void {
    const kinds = this.eventKinds;
    const detections = this.eventDetections;
    for (let i = 0; i < kinds.length; i++) each(kinds[i]!, detections[i]!);
    kinds.length = 0;
    detections.length = 0;
  }

  private queue(event: DetectionEvent, d: Detection): void {
    this.eventKinds.push(event);
    this.eventDetections.push(d);
  }

  private announce(d: Detection): void {
    d.announced = true;
    this.queue('start', d);
  }

  /** A scan whose evidence now supports another technique is renamed, and the renaming announced. */
  private relabelIfDue(d: Detection): void {
    const supported = d.supportedTechnique();
    if (supported === d.technique) return;
    d.relabel(supported);
    if (d.announced) this.queue('relabel', d);
  }

  /**
   * Opens a detection on a technique state; null when it is not kept.
   * At the bound (--max-detections) a newcomer takes the place of a weaker
   * detection (see makeRoom), or is dropped: `dropped` counts scans not
   * kept, each once per window, not verdicts. A dropped state is judged
   * again as it grows, so a real scan behind a flood of weak ones gets in
   * once its evidence outweighs theirs. `merged` may fold it into a scan
   * already reported (decoys, distributed scans): it is then not reported
   * on its own and takes no place.
   */
  open(src: string, tenant: number, technique: number, st: TechniqueState<Detection>, now: number, reason: DetectionReason, merged?: (d: Detection) => boolean): Detection | null {
    if (this.detections.length >= this.maxDetections && !this.makeRoom(stateEvidence(st))) {
      if (!st.detectionDropped) {
        st.detectionDropped = true;
        this.dropped++;
      }
      return null;
    }
    const d = new Detection(this.nextId++, src, technique, st, Math.min(now, this.lastPacketTime()), st.probes, reason);
    d.tenant = this.tenantLabel(tenant);
    st.detection = d;
    st.detectedAfterProbes = st.probes;
    if (merged !== undefined && merged(d)) return d;
    this.detections.push(d);
    this.active.add(d);
    this.announce(d);
    return d;
  }

  /**
   * Opens a detection that reads its figures from elsewhere (long-horizon,
   * distributed); null when it is not kept. The provider is in place
   * before the detection is listed or announced: a listener (the live
   * sensor's scan_started line) reads its figures at once.
   */
  openDerived(
    src: string,
    tenant: number,
    technique: number,
    now: number,
    probes: number,
    reason: DetectionReason,
    provider: (d: Detection) => DetectionFigures,
  ): Detection | null {
    const d = new Detection(this.nextId, src, technique, null, Math.min(now, this.lastPacketTime()), probes, reason);
    d.provider = () => provider(d);
    if (this.detections.length >= this.maxDetections && !this.makeRoom(evidence(d))) {
      this.dropped++;
      return null;
    }
    this.nextId++;
    d.tenant = this.tenantLabel(tenant);
    this.detections.push(d);
    this.active.add(d);
    this.announce(d);
    return d;
  }

  /** Detections taken out of the book to make room for stronger ones (each also counted in `dropped`). */
  evicted = 0;
  /** xorshift32 state for sampling the book (see makeRoom); any non-zero start. */
  private rng = 0x2545f491;

  /**
   * At the bound, frees a place for a detection of evidence `score`: among
   * a random sample of the book (Redis's approximated LRU does the same to
   * avoid a sorted index), the detection with the least evidence is taken
   * out if it has less than the newcomer. A flood of one-probe or spoofed
   * scans fills the book with the weakest evidence there is, so any real
   * scan finds one of them in its sample; a book of strong scans keeps
   * them. The evicted detection ends (its last line says `evicted`), is
   * counted as dropped, and its source may come back with more evidence.
   */
  private makeRoom(score: number): boolean {
    const list = this.detections;
    if (list.length === 0) return false;
    let weakest = -1;
    let weakestScore = score;
    for (let k = 0; k < EVICTION_SAMPLES; k++) {
      let x = this.rng;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.rng = x;
      const i = (x >>> 0) % list.length;
      const e = evidence(list[i]!);
      if (e < weakestScore) {
        weakestScore = e;
        weakest = i;
      }
    }
    if (weakest < 0) return false;
    const d = list[weakest]!;
    list.splice(weakest, 1);
    this.evicted++;
    this.dropped++;
    d.evicted = true;
    const st = d.live;
    if (d.ended) return true; // offline: an ended scan leaves the report
    this.relabelIfDue(d);
    d.ended = true;
    this.active.delete(d);
    this.queue('end', d);
    // The state keeps its counts: its source is judged again as it grows.
    d.detach();
    if (st !== null) st.detectionDropped = true;
    return true;
  }

  /** A reported detection turned out to be part of another (a distributed scan): it leaves the report. */
  absorb(d: Detection, into: Detection): void {
    d.absorbedBy = into;
    const i = this.detections.indexOf(d);
    if (i >= 0) this.detections.splice(i, 1);
    this.end(d);
  }

  /** The state's window has passed: its detection (if any) is frozen and ended. */
  close(st: TechniqueState<Detection>): void {
    const d = st.detection;
    if (d === null) return;
    this.relabelIfDue(d);
    d.detach();
    this.end(d);
  }

  end(d: Detection): void {
    if (d.ended) return;
    this.relabelIfDue(d);
    d.ended = true;
    this.active.delete(d);
    // A decoy copy merged at its opening was never announced: its end is for the recon tiers only (see events).
    this.queue('end', d);
    // A scan's end is final, in analyze as in live: its figures are frozen
    // and the source's counts for this technique start from zero, so a
    // later scan by the same source is a new scan with its own counts,
    // never the old one's under a new scan_started.
    const st = d.live;
    d.detach();
    st?.reset();
    if (!this.keepEnded) this.endedSinceCompaction++;
  }

  /** Evicted source records that held no detection: sources forgotten before they were reported. */
  evictedUndetected = 0;

  /** A source record is about to be recycled: freeze its detections. */
  retire(rec: SourceRecord<Detection>): void {
    let detected = false;
    for (const st of rec.techniques) {
      if (st === null) continue;
      // A scan found but not kept (--max-detections) was still detected.
      if (st.detection !== null || st.detectionDropped || st.detectedAfterProbes > 0) detected = true;
      if (st.detection !== null) {
        this.relabelIfDue(st.detection);
        st.detection.detach();
      }
    }
    if (!detected) this.evictedUndetected++;
  }

  /**
   * Ends the detections whose source has gone quiet, and drops ended ones
   * when they are not kept. A scan is over after `quietFor` seconds without
   * a probe, or, for a scan slower than that, four of its mean gaps between
   * probes: nmap -T0 waits five minutes between probes, and its scan must
   * not end (and start again from zero) between each two. The wait is at
   * most the window (`cap`; a long-horizon scan: `horizonCap`), after which
   * the source's counts start again anyway.
   */
  expire(now: number, quietFor: number, cap: number, horizonCap: number): void {
    for (const d of this.active) {
      const quiet = now - d.lastSeen;
      if (quiet > quietFor && quiet > endAfter(d, quietFor, d.reason === 'long-horizon' ? horizonCap : cap)) this.end(d);
      else this.relabelIfDue(d);
    }
    if (this.endedSinceCompaction > 0) {
      this.detections = this.detections.filter((d) => !d.ended);
      this.endedSinceCompaction = 0;
    }
  }

  endAll(): void {
    for (const d of [...this.active]) this.end(d);
  }
}

/** Seconds of quiet after which `d` is over (see DetectionBook.expire). */
function endAfter(d: Detection, quietFor: number, cap: number): number {
  const gaps = d.probes - 1;
  if (gaps < 1) return quietFor;
  const meanGap = (d.lastSeen - d.firstSeen) / gaps;
  return Math.min(cap, Math.max(quietFor, 4 * meanGap));
}

/** Detections sampled when the book is full (see DetectionBook.makeRoom). */
const EVICTION_SAMPLES = 16;

/**
 * Above any count of probes: a source that gave evidence a blind spoofer
 * cannot (source_verified) outranks every unverified one.
 */
const VERIFIED = 2 ** 30;

/** What a detection rests on: distinct (host, port) pairs probed, verified sources first. */
function evidence(d: Detection): number {
  if (d.live !== null) return stateEvidence(d.live);
  const f = d.final ?? d.ownFigures();
  return f.pairs + (f.sourceVerified ? VERIFIED : 0);
}

function stateEvidence(st: TechniqueState<Detection>): number {
  return st.pairCount + (st.halfOpen + st.handshakes > 0 ? VERIFIED : 0);
}
