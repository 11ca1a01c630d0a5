import type { Detection, DetectionFigures } from './detection.js';
import { TECHNIQUES } from './techniques.js';

/**
 * How much a detection rests on, apart from where it points:
 *
 *  - high: the source gave evidence a blind spoofer cannot
 *    (source_verified), or the targets answered it (open services, live
 *    hosts), or it probed at least four times its technique's threshold
 *    (the engine's overwhelming factor), or a rule that needs a sustained
 *    pattern found it (a slow scan over hours, a scan split across sources,
 *    an internal host hunting administration ports of its neighbours), or
 *    it touched a decoy nobody legitimate touches;
 *  - low: one distinct probe (a confirmed scanner's odd probe, nmap -O's
 *    NULL): a packet, not a pattern;
 *  - medium: the rest, a scan by its counts alone.
 *
 * Severity weighs it with direction (rules/policy.ts), and the live sensor
 * logs medium and low scans within a budget when a flood of them would
 * drown the log (report/detection-log.ts).
 */
export type Confidence = 'low' | 'medium' | 'high';

/** Times the technique's threshold that makes a scan's counts speak for themselves (EngineConfig.overwhelmingFactor). */
const OVERWHELMING = 4;

/** Reasons that need more than counts in one window: they stand on their own. */
const PATTERN_REASONS = new Set(['long-horizon', 'distributed', 'dark-net', 'honey-port', 'internal-recon']);

export function confidenceOf(technique: number, reason: string, f: DetectionFigures): Confidence {
  if (PATTERN_REASONS.has(reason)) return 'high';
  if (f.sourceVerified || f.openServiceCount > 0 || f.liveHostCount > 0) return 'high';
  const th = TECHNIQUES[technique]?.threshold;
  if (th !== undefined) {
    const ports = th.ports > 0 && f.ports >= OVERWHELMING * th.ports;
    const hosts = th.hosts > 0 && f.targets >= OVERWHELMING * th.hosts;
    if (ports || hosts) return 'high';
  }
  return f.pairs <= 1 ? 'low' : 'medium';
}

/**
 * confidenceOf without building the report's figures: read from the live
 * state when there is one (the live sensor asks for every new scan, so a
 * flood of them must not each cost a report).
 */
export function detectionConfidence(d: Detection): Confidence {
  if (PATTERN_REASONS.has(d.reason)) return 'high';
  const st = d.live;
  if (st === null) return confidenceOf(d.technique, d.reason, d.figures());
  if (st.halfOpen + st.handshakes > 0 || st.openServiceCount > 0 || st.liveHostCount > 0) return 'high';
  const th = TECHNIQUES[d.technique]?.threshold;
  if (th !== undefined && ((th.ports > 0 && st.ports.count >= OVERWHELMING * th.ports) || (th.hosts > 0 && st.hosts.count >= OVERWHELMING * th.hosts))) return 'high';
  return st.pairCount <= 1 ? 'low' : 'medium';
}
