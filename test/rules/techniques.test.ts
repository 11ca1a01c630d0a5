import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/rules/config.js';
import { isSweep, silenceMeansOpenFiltered, TCP_PROBE_BY_FLAGS, TECHNIQUE_NAMES, TECHNIQUES, Technique, techniqueByName, usesTrw } from '../../src/rules/techniques.js';
import { TcpFlag } from '../../src/decode/packet.js';

/** Rows of the README's thresholds table: technique names -> [ports, hosts] (– is 0). */
function readmeThresholds(): Map<string, [number, number]> {
  const text = fs.readFileSync('README.md', 'utf8');
  const start = text.indexOf('| technique | ports (vertical) | hosts (horizontal) |');
  expect(start).toBeGreaterThan(0);
  const rows = new Map<string, [number, number]>();
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [names, ports, hosts] = line.split('|').slice(1, 4).map((c) => c.trim());
    const num = (c: string): number => (c === '–' || c === '-' ? 0 : Number(c));
    for (const n of names!.split(',')) rows.set(n.trim(), [num(ports!), num(hosts!)]);
  }
  return rows;
}

describe('technique registry', () => {
  it('ids are the indices, names are unique, and the Technique constants point at their names', () => {
    TECHNIQUES.forEach((t, i) => expect(t.id).toBe(i));
    expect(new Set(TECHNIQUE_NAMES).size).toBe(TECHNIQUES.length);
    expect(TECHNIQUE_NAMES[Technique.TCP_SYN]).toBe('tcp-syn');
    expect(TECHNIQUE_NAMES[Technique.ARP_SWEEP]).toBe('arp-sweep');
    expect(techniqueByName('udp')?.id).toBe(Technique.UDP);
  });

  it('every technique cites why its threshold is what it is', () => {
    for (const t of TECHNIQUES) expect(t.citation.length, t.name).toBeGreaterThan(20);
  });

  it('the default config takes its thresholds from the registry', () => {
    const cfg = defaultConfig();
    expect(cfg.thresholds).toEqual(TECHNIQUES.map((t) => ({ ...t.threshold })));
    // a copy: changing the config does not change the registry
    cfg.thresholds[0]!.ports = 999;
    expect(TECHNIQUES[0]!.threshold.ports).not.toBe(999);
  });

  it('sweeps and TRW techniques are what the registry says', () => {
    expect(TECHNIQUES.filter((t) => isSweep(t.id)).map((t) => t.name)).toEqual(['icmp-sweep', 'arp-sweep']);
    expect(TECHNIQUES.filter((t) => usesTrw(t.id)).map((t) => t.name)).toEqual(['tcp-syn', 'tcp-connect', 'udp', 'sctp-init']);
  });

  it("the README's thresholds table lists every technique with the registry's thresholds", () => {
    const rows = readmeThresholds();
    for (const t of TECHNIQUES) {
      expect(rows.get(t.name), `README row for ${t.name}`).toEqual([t.threshold.ports, t.threshold.hosts]);
    }
    expect([...rows.keys()].sort()).toEqual([...TECHNIQUE_NAMES].sort());
  });

  it('the TCP flag table reads the FIN, NULL and XMAS probes as nmap sends them (-sF, -sN, -sX), and nothing with ACK or RST', () => {
    const { FIN, SYN, RST, PSH, ACK, URG } = TcpFlag;
    expect(TCP_PROBE_BY_FLAGS[FIN]).toBe(Technique.TCP_FIN);
    expect(TCP_PROBE_BY_FLAGS[0]).toBe(Technique.TCP_NULL);
    expect(TCP_PROBE_BY_FLAGS[FIN | PSH | URG]).toBe(Technique.TCP_XMAS);
    // Decorations: PSH or URG alone is a NULL probe; FIN with one of them a FIN probe.
    expect(TCP_PROBE_BY_FLAGS[PSH]).toBe(Technique.TCP_NULL);
    expect(TCP_PROBE_BY_FLAGS[FIN | URG]).toBe(Technique.TCP_FIN);
    for (let f = 0; f < 64; f++) {
      if (f & (ACK | RST)) expect(TCP_PROBE_BY_FLAGS[f], `flags ${f}`).toBe(-1);
    }
    // A bare SYN is the SYN path's, never the table's.
    expect(TCP_PROBE_BY_FLAGS[SYN]).toBe(-1);
  });

  it("silence means open|filtered where an open port drops the probe (nmap's reading), and nowhere else", () => {
    expect(TECHNIQUES.filter((t) => silenceMeansOpenFiltered(t.id)).map((t) => t.name)).toEqual(
      TECHNIQUES.filter((t) => t.silence === 'open|filtered').map((t) => t.name),
    );
    expect(silenceMeansOpenFiltered(Technique.TCP_SYN)).toBe(false);
    expect(silenceMeansOpenFiltered(Technique.TCP_FIN)).toBe(true);
    expect(silenceMeansOpenFiltered(Technique.TCP_MAIMON)).toBe(true);
  });
});
