/**
 * Many sources, one scan.
 *
 * Two shapes, told apart by how the sources' port sets overlap on the
 * target (state/target-table.ts keeps which sources probed which ports):
 *
 *  - A distributed scan splits the work: each source probes a few ports
 *    and together they cover hundreds (dnmap-style job splitting; botnet
 *    scans as described by Dainotti et al., "Analysis of a /0 Stealth Scan
 *    from a Botnet", IMC 2012). No source need reach its own threshold, so
 *    the sources are reported together, with reason `distributed`.
 *
 *  - nmap decoys (-D) send every probe once from each decoy address and
 *    once from the real one (nmap book, "Cloak a scan with decoys"), so
 *    each source probes the same ports in the same order at the same
 *    moment and each is detected on its own. Those detections are merged
 *    into one, whose `src` is the source that answered SYN-ACKs itself
 *    (the real scanner's kernel resets them; a spoofed decoy never sees
 *    them) or completed handshakes, else the most active.
 */

export interface DistributedConfig {
  /** Distinct ports of one target, probed by the sources together... */
  ports: number;
  /** ...from at least this many sources with two or more contacts each... */
  sources: number;
  /** ...none of which made more than this share of the contacts (else it is one scanner with company). */
  maxShare: number;
}

export function defaultDistributedConfig(): DistributedConfig {
  return { ports: 100, sources: 8, maxShare: 0.5 };
}

export interface TargetFigures {
  ports: number;
  contributors: number;
  contacts: number;
  /** The largest number of contacts made by one member. */
  maxMemberContacts: number;
  /** Outcomes summed over the members' states: answered (open/alive) against all first contacts. */
  answered: number;
}

/**
 * A distributed scan: many ports of one target, split among several
 * sources, most of them failing (a service many clients reach on random
 * ports, such as RTP relays or passive FTP, is answered).
 */
export function isDistributedScan(f: TargetFigures, cfg: DistributedConfig): boolean {
  if (f.ports < cfg.ports || f.contributors < cfg.sources) return false;
  if (f.maxMemberContacts > cfg.maxShare * f.contacts) return false;
  return f.answered * 2 <= f.contacts;
}

/** Seconds within which decoy copies of the first probe arrive (nmap sends them back to back). */
export const DECOY_SPAN = 1;

/**
 * Whether two detections of one technique are decoy copies of one scan:
 * the same first probe (host and port) within DECOY_SPAN seconds. nmap
 * randomises the port order per scan, so two independent scans of a host
 * starting on the same port within a second are unlikely.
 */
export function decoyKey(technique: number, firstHost: number, firstPort: number): string {
  return `${technique}/${firstHost}/${firstPort}`;
}

export interface MemberFigures {
  src: string;
  probes: number;
  /** Positive answers the target sent to this source (SYN-ACKs, UDP replies). */
  answers: number;
  /** SYN-ACKs the source reset itself plus handshakes it completed: only a source that receives the answers does this. */
  answeredItself: number;
}

/**
 * The member judged real. A member that was sent SYN-ACKs and never
 * reacted to one is shown spoofed (a decoy never receives them; a real
 * stack resets or completes every one). When some members are shown
 * spoofed, the real one is a member that answered SYN-ACKs itself;
 * otherwise (a distributed scan, where every source is real, or a decoy
 * scan of a host with no open port) it is the most active one; among
 * equals, one that answered SYN-ACKs itself, then the lowest address (the
 * same answer whichever member the keyed tables happened to report first).
 */
export function realMember(members: MemberFigures[]): number {
  const spoofed = (m: MemberFigures): boolean => m.answers > 0 && m.answeredItself === 0;
  const someSpoofed = members.some(spoofed);
  const rank = (m: MemberFigures): number => (spoofed(m) ? 0 : someSpoofed && m.answeredItself > 0 ? 2 : 1);
  let best = 0;
  for (let i = 1; i < members.length; i++) {
    const a = members[i]!;
    const b = members[best]!;
    if (rank(a) > rank(b) || (rank(a) === rank(b) && outranks(a, b))) best = i;
  }
  return best;
}

/** Among members of one rank: more probes, then answered SYN-ACKs itself, then the lower address. */
function outranks(a: MemberFigures, b: MemberFigures): boolean {
  if (a.probes !== b.probes) return a.probes > b.probes;
  if ((a.answeredItself > 0) !== (b.answeredItself > 0)) return a.answeredItself > 0;
  return compareAddresses(a.src, b.src) < 0;
}

/** IPv4 before IPv6; IPv4 by value, IPv6 by text (RFC 5952 text of equal length orders by value only roughly, which is enough for a tie-break). */
function compareAddresses(a: string, b: string): number {
  const v4 = (t: string): number | null => {
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(t);
    return m === null ? null : ((Number(m[1]) * 256 + Number(m[2])) * 256 + Number(m[3])) * 256 + Number(m[4]);
  };
  const x = v4(a);
  const y = v4(b);
  if (x !== null && y !== null) return x - y;
  if (x !== null) return -1;
  if (y !== null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
