/** Scanning tools a probe's packet template can name (see fingerprint.ts). */
export const Tool = { NONE: 0, NMAP: 1, MASSCAN: 2, ZMAP: 3, HPING3: 4 } as const;
export const TOOL_NAMES = [null, 'nmap', 'masscan', 'zmap', 'hping3'] as const;
export const TOOL_COUNT = 5;

/**
 * The tool that built at least half of a scan's probes (by the fingerprints
 * its probes carry), or Tool.NONE.
 */
export function majorityTool(votes: ArrayLike<number>, probes: number): number {
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
