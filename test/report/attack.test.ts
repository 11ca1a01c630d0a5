/**
 * The ATT&CK mapping (README "ATT&CK"): technique by where the scanner
 * sits (home net or not), what it probes (hosts or services) and the tool.
 */
import { describe, it, expect } from 'vitest';
import { attackOf, VULNERABILITY_SCANNERS } from '../../src/report/attack.js';

const id = (type: string, pattern: string, direction?: string, tool: string | null = null): string => attackOf({ type, pattern, tool, direction }).id;

describe('attackOf', () => {
  it('a port scan from inside the home net is Network Service Discovery (T1046)', () => {
    for (const dir of ['internal', 'outbound']) {
      for (const pattern of ['vertical', 'horizontal', 'block']) expect(id('tcp-syn', pattern, dir)).toBe('T1046');
      expect(id('udp', 'vertical', dir)).toBe('T1046');
    }
  });

  it('a sweep from inside is Remote System Discovery (T1018); an ARP sweep always is (ARP stays on the link)', () => {
    expect(id('icmp-sweep', 'horizontal', 'internal')).toBe('T1018');
    expect(id('icmp-sweep', 'horizontal', 'outbound')).toBe('T1018');
    for (const dir of ['internal', 'inbound', 'external', undefined]) expect(id('arp-sweep', 'horizontal', dir)).toBe('T1018');
  });

  it('from outside, many hosts is Scanning IP Blocks (T1595.001); one host port by port is T1046', () => {
    for (const dir of ['inbound', 'external']) {
      expect(id('icmp-sweep', 'horizontal', dir)).toBe('T1595.001');
      expect(id('tcp-syn', 'horizontal', dir)).toBe('T1595.001');
      expect(id('tcp-connect', 'block', dir)).toBe('T1595.001');
      expect(id('tcp-syn', 'vertical', dir)).toBe('T1046');
    }
  });

  it('a vulnerability scanner fingerprint is Vulnerability Scanning (T1595.002) whatever the direction; port scanners are not', () => {
    expect(VULNERABILITY_SCANNERS.size).toBeGreaterThan(0);
    for (const tool of VULNERABILITY_SCANNERS) expect(id('tcp-syn', 'vertical', 'internal', tool)).toBe('T1595.002');
    for (const tool of ['nmap', 'masscan', 'zmap', 'hping3']) expect(id('tcp-syn', 'vertical', 'internal', tool)).toBe('T1046');
  });

  it('names match the ATT&CK technique pages', () => {
    expect(attackOf({ type: 'tcp-syn', pattern: 'vertical', tool: null, direction: 'internal' }).name).toBe('Network Service Discovery');
    expect(attackOf({ type: 'arp-sweep', pattern: 'horizontal', tool: null }).name).toBe('Remote System Discovery');
    expect(attackOf({ type: 'icmp-sweep', pattern: 'horizontal', tool: null, direction: 'inbound' }).name).toBe('Active Scanning: Scanning IP Blocks');
  });
});
