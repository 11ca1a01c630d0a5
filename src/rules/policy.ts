import { CidrSet } from './cidr.js';

/**
 * Where a scan points, seen from the defended network (`--home-net`):
 * inbound (from outside in), outbound (a home host scanning out, as a
 * compromised host or worm does), internal (home to home: lateral
 * movement), external (neither end is ours).
 */
export type Direction = 'inbound' | 'outbound' | 'internal' | 'external';
export type Severity = 'critical' | 'high' | 'medium' | 'low';

/**
 * Suricata's default HOME_NET (RFC 1918) plus IPv6 unique-local and
 * link-local space: the usual inside of a site when nothing is said.
 */
export const DEFAULT_HOME_NET = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', 'fe80::/10'];

/**
 * Severity by direction: a workstation sweeping its own network is the
 * strongest sign of an intruder moving laterally (critical); a home host
 * scanning outward is likely compromised (high); scans from outside are
 * the Internet's constant background (medium); neither end ours, low.
 */
const SEVERITY: Record<Direction, Severity> = { internal: 'critical', outbound: 'high', inbound: 'medium', external: 'low' };

export function severityOf(direction: Direction): Severity {
  return SEVERITY[direction];
}

export function directionOf(homeNet: CidrSet, src: string, target: string | undefined): Direction {
  const srcHome = homeNet.hasText(src);
  const dstHome = target !== undefined && homeNet.hasText(target);
  if (srcHome) return dstHome ? 'internal' : 'outbound';
  return dstHome ? 'inbound' : 'external';
}

export interface SitePolicy {
  homeNet: CidrSet;
  /** Sources never reported (known vulnerability scanners). */
  allowScanners: CidrSet;
  /** Targets whose probes are not counted (honeypots, hosts scanned on purpose). */
  allowTargets: CidrSet;
}

export function sitePolicy(homeNet: string[] | undefined, allowScanners: string[] = [], allowTargets: string[] = []): SitePolicy {
  return {
    homeNet: new CidrSet(homeNet === undefined || homeNet.length === 0 ? DEFAULT_HOME_NET : homeNet),
    allowScanners: new CidrSet(allowScanners),
    allowTargets: new CidrSet(allowTargets),
  };
}
