import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/rules/config.js';
import { isSweep, TECHNIQUE_NAMES, TECHNIQUES, Technique, techniqueByName, usesTrw } from '../../src/rules/techniques.js';

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
    expect(cfg.thresholds).toEqual(TECHNIQUES.map((t) => ({ ports: t.threshold.ports, hosts: t.threshold.hosts })));
    // a copy: changing the config does not change the registry
    cfg.thresholds[0]!.ports = 999;
    expect(TECHNIQUES[0]!.threshold.ports).not.toBe(999);
  });

  it('sweeps and TRW techniques are what the registry says', () => {
    expect(TECHNIQUES.filter((t) => isSweep(t.id)).map((t) => t.name)).toEqual(['icmp-sweep', 'arp-sweep']);
    expect(TECHNIQUES.filter((t) => usesTrw(t.id)).map((t) => t.name)).toEqual(['tcp-syn', 'tcp-connect', 'udp']);
  });

  it("the README's thresholds table lists every technique with the registry's thresholds", () => {
    const rows = readmeThresholds();
    for (const t of TECHNIQUES) {
      expect(rows.get(t.name), `README row for ${t.name}`).toEqual([t.threshold.ports, t.threshold.hosts]);
    }
    expect([...rows.keys()].sort()).toEqual([...TECHNIQUE_NAMES].sort());
  });
});
