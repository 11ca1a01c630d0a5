/** The scan techniques scanwatch reports, in the names used by every output. */
export const Technique = {
  TCP_SYN: 0,
  TCP_CONNECT: 1,
  TCP_FIN: 2,
  TCP_NULL: 3,
  TCP_XMAS: 4,
  TCP_ACK: 5,
  TCP_MAIMON: 6,
  UDP: 7,
  ICMP_SWEEP: 8,
  ARP_SWEEP: 9,
} as const;

export const TECHNIQUE_COUNT = 10;

export const TECHNIQUE_NAMES = [
  'tcp-syn',
  'tcp-connect',
  'tcp-fin',
  'tcp-null',
  'tcp-xmas',
  'tcp-ack',
  'tcp-maimon',
  'udp',
  'icmp-sweep',
  'arp-sweep',
] as const;

export type TechniqueName = (typeof TECHNIQUE_NAMES)[number];

export type Pattern = 'vertical' | 'horizontal' | 'block';

/** Sweeps have no ports: their pattern is horizontal by nature. */
export function isSweep(technique: number): boolean {
  return technique === Technique.ICMP_SWEEP || technique === Technique.ARP_SWEEP;
}

export const Tool = { NONE: 0, NMAP: 1, MASSCAN: 2, ZMAP: 3, HPING3: 4 } as const;
export const TOOL_NAMES = [null, 'nmap', 'masscan', 'zmap', 'hping3'] as const;
export const TOOL_COUNT = 5;
