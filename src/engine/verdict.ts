import type { EngineConfig } from '../rules/config.js';
import type { Detection, DetectionReason } from '../rules/detection.js';
import { INTERNAL_RECON, isTcpTechnique, usesTrw } from '../rules/techniques.js';
import { Trw } from '../rules/trw.js';
import { InternalReconState } from '../state/internal-recon.js';
import type { SourceRecord } from '../state/source-table.js';
import type { TechniqueState } from '../state/technique-state.js';
import type { DetectionBook } from './detection-book.js';
import { type EvaluationParams, evaluate } from './evaluate.js';
import { keyTenant } from './keys.js';
import type { Recon } from './recon.js';
import { ADMIN_PORT, type SiteFilters } from './site-filters.js';
import { recordText } from './source-text.js';
import type { HostKey, Port } from '../units.js';

type Record = SourceRecord<Detection>;
type State = TechniqueState<Detection>;

/**
 * Where a source's counts become a detection: the verdict (evaluate.ts),
 * the sequential test's steps, the decoys and the internal-reconnaissance
 * tier, each opening a detection in the book. Holds the settings they
 * read, which a reconfiguration replaces whole.
 */
export class Verdict {
  private trw!: Trw;
  private params!: EvaluationParams;
  /** 1 for techniques whose threshold is a single probe (see the registry). */
  singlePacket!: Uint8Array;
  /** 1 for techniques judged on every probe packet, not only on new targets (a probe-count threshold). */
  countsPackets!: Uint8Array;
  /** 1 for techniques the configuration turned off: counted, never reported. */
  private disabled!: Uint8Array;
  /** Seconds of quiet after which a source's counts restart. */
  window = 0;

  constructor(
    config: EngineConfig,
    private readonly book: DetectionBook,
    private readonly recon: Recon,
    private readonly filters: SiteFilters,
  ) {
    this.reconfigure(config);
  }

  /** Takes new thresholds and test bounds (the engine checked them); the counts are kept. */
  reconfigure(config: EngineConfig): void {
    const trw = new Trw(config.trw);
    this.params = {
      thresholds: config.thresholds,
      overwhelmingFactor: config.overwhelmingFactor,
      clientFailureFraction: config.clientFailureFraction,
      confirmedScannerThreshold: config.confirmedScannerThreshold,
      sweepUnansweredFraction: config.sweepUnansweredFraction,
      trwUpper: trw.upper,
      trwLower: trw.lower,
      trwMinContacts: config.trw.minContacts,
    };
    this.trw = trw;
    this.singlePacket = Uint8Array.from(config.thresholds, (t) => ((t.hosts > 0 && t.hosts <= 1) || (t.ports > 0 && t.ports <= 1) ? 1 : 0));
    this.countsPackets = Uint8Array.from(config.thresholds, (t) => (t.probes !== undefined && t.probes > 1 ? 1 : 0));
    this.disabled = Uint8Array.from(config.thresholds, (t) => (t.enabled === false ? 1 : 0));
    this.window = config.window;
  }

  /** Runs the verdict and, when it finds a scan, opens a detection in the book. */
  judge(rec: Record, st: State, tech: number, now: number): void {
    if (this.disabled[tech] === 1) return;
    const reason = evaluate(this.params, tech, st, isConfirmedScanner(rec, tech)) ?? (this.recon.isRateSweep(rec, st, tech) ? 'sweep-rate' : null);
    // A decoy copy or a part of a distributed scan is reported with the scan it belongs to.
    if (reason !== null) this.book.open(recordText(rec), keyTenant(rec.key), tech, st, now, reason, (d) => this.recon.place(d, rec, st, tech) !== null);
  }

  /** The verdict for a source's technique, if it has counts and no detection yet. */
  judgeActive(rec: Record, tech: number, now: number): void {
    const st = rec.activeTechnique(tech);
    if (st !== null && st.detection === null) this.judge(rec, st, tech, now);
  }

  /** A decoy was probed: reported on this first probe. */
  lure(rec: Record, tech: number, now: number, reason: DetectionReason): void {
    const st = rec.activeTechnique(tech);
    if (st !== null && st.detection === null) this.book.open(recordText(rec), keyTenant(rec.key), tech, st, now, reason);
  }

  /**
   * A failed probe (refused, or answered and closed without payload) of a
   * SYN or connect() source: the internal-reconnaissance tier
   * (rules/techniques.ts INTERNAL_RECON). An internal source that so probes
   * three ports of one internal host within five minutes, or administration
   * ports of three internal hosts within the window, is reported at once,
   * reason internal-recon.
   */
  internalFailure(rec: Record, st: State, host: HostKey, port: Port, now: number): void {
    if (!isTcpTechnique(st.technique) || !this.filters.internalPair(rec.key, host)) return;
    const ir = st.internal ?? (st.internal = new InternalReconState());
    const ports = ir.portsOf(host, port, now, INTERNAL_RECON.portsWindowS);
    const adminHosts = ADMIN_PORT[port] === 1 ? ir.adminHostsOf(host, now, this.window) : 0;
    if (st.detection !== null || this.disabled[st.technique] === 1) return;
    if (ports >= INTERNAL_RECON.portsPerHost || adminHosts >= INTERNAL_RECON.adminHosts) {
      this.book.open(recordText(rec), keyTenant(rec.key), st.technique, st, now, 'internal-recon');
    }
  }

  /** One first contact's outcome: the sequential test's step, and the counts the client test weighs. */
  stepTrw(st: State, succeeded: boolean): void {
    st.trw = this.trw.step(st.trw, succeeded);
    if (succeeded) st.firstContactsAnswered++;
    else st.firstContactsFailed++;
  }

  /**
   * A first contact's outcome (`firstContact`: the flow's probe was one)
   * feeds the sequential test; a failure may complete the verdict.
   */
  contactOutcome(rec: Record | null, st: State, firstContact: boolean, succeeded: boolean, now: number): void {
    if (!firstContact || !usesTrw(st.technique)) return;
    this.stepTrw(st, succeeded);
    if (st.detection === null && !succeeded && rec !== null) this.judge(rec, st, st.technique, now);
  }
}

/** Whether the source has a detection of another technique in its current window. */
function isConfirmedScanner(rec: Record, tech: number): boolean {
  for (let t = 0; t < rec.techniques.length; t++) {
    const other = rec.techniques[t];
    if (t !== tech && other !== null && other !== undefined && other.detection !== null) return true;
  }
  return false;
}
