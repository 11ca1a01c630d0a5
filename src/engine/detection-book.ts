import { formatTenant } from '../decode/encapsulation.js';
import { Detection, type DetectionReason } from '../rules/detection.js';
import type { TenantTable } from '../state/tenants.js';
import type { TechniqueState } from '../state/technique-state.js';
import type { SourceRecord } from '../state/source-table.js';

export type DetectionEvent = 'start' | 'end';

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
  /** Called when a scan is first detected and when it ends. */
  onDetection: (event: DetectionEvent, detection: Detection) => void = () => {};

  constructor(
    private readonly maxDetections: number,
    private readonly tenants: TenantTable,
  ) {}

  /** Called when a detection ends (the recon tiers forget it as a decoy leader). */
  onEnded: (d: Detection) => void = () => {};

  /**
   * Opens a detection on a technique state; null when the bound is reached.
   * `dropped` counts detections not kept (each scan once per window), not
   * verdicts: the state is marked and not judged again in its window.
   * `merged` may fold it into a scan already reported (decoys, distributed
   * scans): it is then not reported on its own.
   */
  open(src: string, tenant: number, technique: number, st: TechniqueState<Detection>, now: number, reason: DetectionReason, merged?: (d: Detection) => boolean): Detection | null {
    if (this.detections.length >= this.maxDetections) {
      if (!st.detectionDropped) {
        st.detectionDropped = true;
        this.dropped++;
      }
      return null;
    }
    const d = new Detection(this.nextId++, src, technique, st, now, st.probes, reason);
    d.tenant = formatTenant(this.tenants.tenantAt(tenant));
    st.detection = d;
    st.detectedAfterProbes = st.probes;
    if (merged !== undefined && merged(d)) return d;
    this.detections.push(d);
    this.active.add(d);
    this.onDetection('start', d);
    return d;
  }

  /** Opens a detection that reads its figures from elsewhere (long-horizon, distributed); null when the bound is reached. */
  openDerived(src: string, tenant: number, technique: number, now: number, probes: number, reason: DetectionReason): Detection | null {
    if (this.detections.length >= this.maxDetections) {
      this.dropped++;
      return null;
    }
    const d = new Detection(this.nextId++, src, technique, null, now, probes, reason);
    d.tenant = formatTenant(this.tenants.tenantAt(tenant));
    this.detections.push(d);
    this.active.add(d);
    this.onDetection('start', d);
    return d;
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
    d.detach();
    this.end(d);
  }

  end(d: Detection): void {
    if (d.ended) return;
    d.ended = true;
    this.onEnded(d);
    // A decoy copy merged at its opening was never reported, so it does not end either.
    if (this.active.delete(d) || d.absorbedBy === null) this.onDetection('end', d);
    if (!this.keepEnded) {
      // Live: scan_ended is final. The source's counts for this technique
      // start from zero, so a later scan by the same source is a new scan
      // with its own counts, never the old one's under a new scan_started.
      const st = d.live;
      d.detach();
      st?.reset();
      this.endedSinceCompaction++;
    }
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
      if (st.detection !== null) st.detection.detach();
    }
    if (!detected) this.evictedUndetected++;
  }

  /** Ends detections quiet for `quietFor` seconds; drops ended ones when they are not kept. */
  expire(now: number, quietFor: number): void {
    for (const d of this.active) if (now - d.lastSeen > quietFor) this.end(d);
    if (this.endedSinceCompaction > 0) {
      this.detections = this.detections.filter((d) => !d.ended);
      this.endedSinceCompaction = 0;
    }
  }

  endAll(): void {
    for (const d of [...this.active]) this.end(d);
  }
}
