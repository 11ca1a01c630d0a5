/** Scanning tools a probe's packet template can name (see fingerprint.ts). */
export const Tool = { NONE: 0, NMAP: 1, MASSCAN: 2, ZMAP: 3, HPING3: 4 } as const;
export const TOOL_NAMES = [null, 'nmap', 'masscan', 'zmap', 'hping3'] as const;
export const TOOL_COUNT = 5;

/**
 * Probes that must carry a tool's fingerprint before the tool is named: one
 * packet's window or IP ID is a coincidence as often as a signature (a
 * damaged segment with window 1024 is not nmap), several consistent ones are not.
 */
export const MIN_TOOL_VOTES = 3;

/**
 * The tool that built at least half of a scan's probes, and at least
 * MIN_TOOL_VOTES of them (by the fingerprints its probes carry), or Tool.NONE.
 */
export function majorityTool(votes: ArrayLike<number>, probes: number): number {
  const best = leadingTool(votes, probes);
  return best !== Tool.NONE && votes[best]! >= MIN_TOOL_VOTES ? best : Tool.NONE;
}

/**
 * The tool that built at least half of the probes, however few: a vote to
 * add up elsewhere (the long-horizon tier sums one per probe and names the
 * tool from its total), not a name to report.
 */
export function leadingTool(votes: ArrayLike<number>, probes: number): number {
  let best = 0;
  let bestVotes = 0;
  for (let t = 1; t < votes.length; t++) {
    if (votes[t]! > bestVotes) {
      best = t;
      bestVotes = votes[t]!;
    }
  }
  return bestVotes * 2 >= probes && bestVotes > 0 ? best : Tool.NONE;
}
