import type { DetectionReason } from '../rules/detection.js';
import { isSweep, type Threshold, usesTrw } from '../rules/techniques.js';

/** What the verdict depends on besides the state: thresholds and test bounds. */
export interface EvaluationParams {
  readonly thresholds: readonly Threshold[];
  readonly overwhelmingFactor: number;
  readonly confirmedScannerThreshold: number;
  readonly sweepUnansweredFraction: number;
  /** TRW bounds (log-likelihood ratio) and the contacts required before TRW alone decides. */
  readonly trwUpper: number;
  readonly trwLower: number;
  readonly trwMinContacts: number;
}

/** The figures of one source's technique state the verdict reads. */
export interface EvaluationFigures {
  readonly hosts: { readonly count: number };
  readonly ports: { readonly count: number };
  readonly liveHostCount: number;
  readonly pairCount: number;
  readonly trw: number;
}

/**
 * The verdict on one source's use of one technique: the distinct-count
 * test, gated by outcomes, then the sequential test. Pure: it reads its
 * arguments and changes nothing. `confirmed` says the source already has a
 * detection of another technique in its current window.
 */
export function evaluate(params: EvaluationParams, tech: number, st: EvaluationFigures, confirmed: boolean): DetectionReason | null {
  const th = params.thresholds[tech]!;
  const hosts = st.hosts.count;
  const ports = st.ports.count;
  const big = params.overwhelmingFactor;
  if (confirmed) {
    // A source already reported for another technique has shown what it is:
    // its other probing is reported from a few targets on, with no outcome
    // gate (nmap -O and -sV follow a scan with a handful of odd probes).
    const low = params.confirmedScannerThreshold;
    if (ports >= Math.min(low, th.ports || low) || hosts >= Math.min(low, th.hosts)) return 'confirmed-scanner';
  }
  let reason: DetectionReason | null = null;
  if (isSweep(tech)) {
    if (hosts >= th.hosts) {
      const unanswered = hosts - st.liveHostCount;
      if (unanswered >= params.sweepUnansweredFraction * hosts || hosts >= big * th.hosts) reason = 'distinct-hosts';
    }
    return reason;
  }
  if (th.ports > 0 && ports >= th.ports) reason = 'distinct-ports';
  else if (hosts >= th.hosts) reason = 'distinct-hosts';
  if (usesTrw(tech)) {
    // A source whose first contacts mostly succeed is benign by TRW; only
    // overwhelming counts override that.
    if (reason !== null && st.trw <= params.trwLower && ports < big * th.ports && hosts < big * th.hosts) reason = null;
    if (reason === null && st.trw >= params.trwUpper && st.pairCount >= params.trwMinContacts) reason = 'trw';
  }
  return reason;
}
