import { CidrSet } from './cidr.js';
import type { Confidence } from './evidence.js';

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

/**
 * A probe to a decoy (--dark-net, --honey-port) is high whatever its
 * direction (critical when internal): nobody legitimate goes there, as a
 * honeypot or a Thinkst canary raises it.
 */
export function severityOf(direction: Direction, reason?: string, confidence: Confidence = 'high'): Severity {
  const s = SEVERITY[direction];
  if ((reason === 'dark-net' || reason === 'honey-port') && (s === 'medium' || s === 'low')) return 'high';
  return capSeverity(s, CONFIDENCE_CAP[confidence]);
}

/**
 * What a detection's evidence allows (rules/evidence.ts): a scan by its
 * counts alone is never critical, one probe never above medium, however it
 * points. The direction says how bad a scan would be; the evidence says how
 * sure we are that it is one.
 */
const CONFIDENCE_CAP: Record<Confidence, Severity> = { high: 'critical', medium: 'high', low: 'medium' };
const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

function capSeverity(s: Severity, cap: Severity): Severity {
  return RANK[s] > RANK[cap] ? cap : s;
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
  /** Addresses no host uses: one probe to them is a detection (--dark-net). */
  darkNet: CidrSet;
  /** Ports nobody legitimate calls: one probe to them is a detection (--honey-port). */
  honeyPorts: number[];
}

/** Port numbers from --honey-port values ("23", "2323,5900"); throws a one-line error on a bad one. */
export function parsePorts(values: string[], option = '--honey-port'): number[] {
  const ports: number[] = [];
  for (const v of values) {
    for (const item of String(v).split(',')) {
      const t = item.trim();
      if (t === '') continue;
      const n = /^\d{1,5}$/.test(t) ? Number(t) : NaN;
      if (!(n >= 0 && n <= 65535)) throw new Error(`${option}: "${t}" is not a port number (0-65535)`);
      ports.push(n);
    }
  }
  return ports;
}

export function sitePolicy(
  homeNet: string[] | undefined,
  allowScanners: string[] = [],
  allowTargets: string[] = [],
  darkNet: string[] = [],
  honeyPorts: string[] = [],
): SitePolicy {
  return {
    homeNet: new CidrSet(homeNet === undefined || homeNet.length === 0 ? DEFAULT_HOME_NET : homeNet),
    allowScanners: new CidrSet(allowScanners),
    allowTargets: new CidrSet(allowTargets),
    darkNet: new CidrSet(darkNet),
    honeyPorts: parsePorts(honeyPorts),
  };
}
