import { techniqueByName } from '../rules/techniques.js';

/**
 * MITRE ATT&CK technique of a detection. The mapping and its reasons are in
 * the README ("ATT&CK"); the technique pages it relies on:
 *   T1046     https://attack.mitre.org/techniques/T1046/      (Discovery)
 *   T1018     https://attack.mitre.org/techniques/T1018/      (Discovery)
 *   T1595.001 https://attack.mitre.org/techniques/T1595/001/  (Reconnaissance)
 *   T1595.002 https://attack.mitre.org/techniques/T1595/002/  (Reconnaissance)
 */


export interface AttackTechnique {
  id: string;
  name: string;
}

export const T1046: AttackTechnique = { id: 'T1046', name: 'Network Service Discovery' };
export const T1018: AttackTechnique = { id: 'T1018', name: 'Remote System Discovery' };
export const T1595_001: AttackTechnique = { id: 'T1595.001', name: 'Active Scanning: Scanning IP Blocks' };
export const T1595_002: AttackTechnique = { id: 'T1595.002', name: 'Active Scanning: Vulnerability Scanning' };

/**
 * Tools whose fingerprint means vulnerability scanning. None of today's
 * fingerprints (nmap, masscan, zmap, hping3) is one: they find hosts and
 * ports, not flaws. A fingerprint added for such a scanner lists it here.
 */
export const VULNERABILITY_SCANNERS: ReadonlySet<string> = new Set(['nessus', 'openvas', 'qualys', 'nuclei', 'nikto']);

/** What the mapping reads from a detection. */
export interface AttackInput {
  type: string;
  pattern: string;
  tool: string | null;
  /** inbound, outbound, internal or external, from the home net. */
  direction?: string;
}

/** True when the scanning source is inside the home net. */
function fromInside(direction: string | undefined): boolean {
  return direction === 'internal' || direction === 'outbound';
}

export function attackOf(d: AttackInput): AttackTechnique {
  if (d.tool !== null && VULNERABILITY_SCANNERS.has(d.tool)) return T1595_002;
  const spec = techniqueByName(d.type);
  // A link-local technique (ARP) reaches only the local link: whoever sweeps with it is already inside.
  if (spec?.linkLocal === true) return T1018;
  const sweep = spec?.sweep === true;
  if (fromInside(d.direction)) return sweep ? T1018 : T1046;
  // From outside: many hosts is reconnaissance of an address block; one
  // host probed port by port is a listing of its services.
  if (sweep || d.pattern !== 'vertical') return T1595_001;
  return T1046;
}
