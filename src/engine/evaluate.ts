import type { DetectionReason } from '../rules/detection.js';
import { isSweep, Technique, type Threshold, usesTrw } from '../rules/techniques.js';
import { majorityTool, Tool } from '../rules/tools.js';

/** Requests per distinct address beyond which an ARP "sweep" is a resolver retrying. */
const ARP_REPEATS_MAX = 4;

/** What the verdict depends on besides the state: thresholds and test bounds. */
export interface EvaluationParams {
  readonly thresholds: readonly Threshold[];
  readonly overwhelmingFactor: number;
  readonly clientFailureFraction: number;
  readonly confirmedScannerThreshold: number;
  readonly sweepUnansweredFraction: number;
  /** TRW bounds (log-likelihood ratio) and the contacts required before TRW alone decides. */
  readonly trwUpper: number;
  readonly trwLower: number;
  readonly trwMinContacts: number;
}

/** The figures of one source's technique state the verdict reads. */
export interface EvaluationFigures {
  readonly probes: number;
  readonly hosts: { readonly count: number };
  readonly ports: { readonly count: number };
  readonly liveHostCount: number;
  readonly pairCount: number;
  readonly trw: number;
  readonly firstContactsAnswered: number;
  readonly firstContactsFailed: number;
  readonly toolVotes: ArrayLike<number>;
  readonly answered: number;
  readonly rejected: number;
  readonly silent: number;
  readonly dataContacts: number;
  readonly emptyContacts: number;
}

/**
 * A client, not a scanner: its successful contacts carry its own payload
 * (a request, a handshake, a query). Scanners' contacts are empty (Zeek's
 * orig_bytes = 0): they learn what they need from the SYN-ACK or the reply.
 */
export function isClient(st: EvaluationFigures): boolean {
  return st.dataContacts > 0 && st.dataContacts >= st.emptyContacts;
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
  const trw = usesTrw(tech);
  // Probes only a scanner builds (masscan's IP ID, zmap's, nmap's raw
  // windows) are probes whatever their outcome: no outcome test exonerates them.
  const fingerprinted = trw && majorityTool(st.toolVotes, st.probes) !== Tool.NONE;
  // For connect() and UDP, a source whose contacts carry its data is a
  // client; it is judged by its failures alone (see clientFailureFraction).
  // Its first contacts are weighed, not its packets: a resolver asked forty
  // times is one contact, as in the sequential test.
  if (trw && !fingerprinted && isClient(st)) {
    const failed = st.firstContactsFailed;
    if (failed < params.clientFailureFraction * (failed + st.firstContactsAnswered)) return null;
  }
  // Probes that repeat one target (an idle scan's) count by packets.
  if (th.probes !== undefined && st.probes < th.probes) return null;
  if (confirmed) {
    // A source already reported for another technique has shown what it is:
    // its other probing is reported from a few targets on, with no outcome
    // gate (nmap -O and -sV follow a scan with a handful of odd probes).
    // connect() and UDP contacts must show a failure or an empty success
    // first: a scanner that then browses the web is a client again.
    const low = th.confirmed ?? params.confirmedScannerThreshold;
    const probing = !trw || fingerprinted || st.rejected + st.silent + st.emptyContacts > 0;
    if (probing && (ports >= Math.min(low, th.ports || low) || hosts >= Math.min(low, th.hosts || low))) return 'confirmed-scanner';
  }
  let reason: DetectionReason | null = null;
  if (isSweep(tech)) {
    // A resolver re-asking for the same few addresses (a dead gateway every
    // few seconds for hours) is not a sweep, whatever stray addresses its
    // retries pick up: a sweep asks about mostly new addresses (nmap asks
    // each at most twice).
    if (tech === Technique.ARP_SWEEP && hosts * ARP_REPEATS_MAX < st.probes) return null;
    if (hosts >= th.hosts) {
      const unanswered = hosts - st.liveHostCount;
      if (unanswered >= params.sweepUnansweredFraction * hosts || hosts >= big * th.hosts) reason = 'distinct-hosts';
    }
    return reason;
  }
  if (th.ports > 0 && ports >= th.ports) reason = 'distinct-ports';
  else if (th.hosts > 0 && hosts >= th.hosts) reason = 'distinct-hosts';
  if (trw && !fingerprinted) {
    // A source whose first contacts mostly succeed is benign by TRW, unless
    // its successful contacts are empty (a connect scan of open services).
    if (reason !== null && st.trw <= params.trwLower && st.emptyContacts <= st.dataContacts) reason = null;
    if (reason === null && st.trw >= params.trwUpper && st.pairCount >= params.trwMinContacts && !isClient(st)) reason = 'trw';
  } else if (trw && reason === null && st.trw >= params.trwUpper && st.pairCount >= params.trwMinContacts) {
    reason = 'trw';
  }
  return reason;
}
