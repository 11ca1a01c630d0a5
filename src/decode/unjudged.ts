/**
 * Traffic the sensor could not judge, by why: the decode errors and
 * reassembly events after which a packet was not analysed, although the
 * target may have read it. These are what an attacker aims at to hide a
 * scan (headers pushed past the snapshot length, fragment floods, stacks of
 * tunnels), so the sensor exports them as one counter with an alert
 * (scanwatch_unjudged_packets_total, prometheus/alerts.yml).
 *
 * - cut: headers the capture's snapshot length cut away (every truncated_*
 *   decode error, truncated_fragment included);
 * - malformed: headers that do not parse, or that the target's own stack
 *   would drop too (every bad_* error), an unknown link type, a time no
 *   date holds;
 * - over_bound: dropped at a bound of the sensor's own: tunnels nested too
 *   deep, too many layers, datagrams evicted from the reassembler.
 *
 * Fragments Linux itself discards (overlaps, timeouts, the ping of death)
 * are not here: the target did not read them either. They have their own
 * counter (scanwatch_ip_fragments_total).
 */
import { DECODE_ERROR_NAMES } from './errors.js';
import { FragmentStat } from './reassembly.js';

export const UNJUDGED_REASONS: readonly string[] = ['cut', 'malformed', 'over_bound'];

const OVER_BOUND_ERRORS = new Set(['too_many_layers', 'tunnel_too_deep']);

/** For each decode error, the index of its reason in UNJUDGED_REASONS. */
const REASON_OF_ERROR: readonly number[] = DECODE_ERROR_NAMES.map((name) =>
  name.startsWith('truncated_') ? 0 : OVER_BOUND_ERRORS.has(name) ? 2 : 1,
);

/** Unjudged packets by reason (UNJUDGED_REASONS order) from a decoder's error counts and its reassembler's stats. */
export function unjudgedCounts(errors: Float64Array, fragmentStats: Float64Array): number[] {
  const out = [0, 0, 0];
  for (let i = 0; i < REASON_OF_ERROR.length; i++) out[REASON_OF_ERROR[i]!]! += errors[i] ?? 0;
  out[2]! += fragmentStats[FragmentStat.EVICTIONS] ?? 0;
  return out;
}
