/**
 * Thresholds and sensitivity in the config file: they change what analyze
 * reports, bad values are one line naming the key (exit 2), and the
 * numbers the engine gets are the registry's defaults scaled and overridden.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { effectiveThresholds } from '../../src/cli/thresholds.js';
import { TECHNIQUES, Technique } from '../../src/rules/techniques.js';
import { cli, ensureBuilt, fixture } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scanwatch-thresholds-'));
let n = 0;
function config(content: unknown): string {
  const p = join(dir, `c${n++}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** The (src, type) of each detection analyze reports for `pcap` with these arguments. */
async function scans(pcap: string, args: string[]): Promise<string[]> {
  const r = await cli(['analyze', pcap, '--format', 'json', '--hash-seed', '1', ...args]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { detections: { src: string; type: string }[] }).detections.map((d) => `${d.src} ${d.type}`);
}

beforeAll(() => ensureBuilt(), 300_000);

describe('effectiveThresholds', () => {
  const syn = (t: ReturnType<typeof effectiveThresholds>) => t[Technique.TCP_SYN]!;

  it('medium and nothing set: the registry defaults', () => {
    expect(effectiveThresholds('medium', {})).toEqual(TECHNIQUES.map((t) => ({ ...t.threshold })));
  });

  it('low doubles the counts, high halves them; 0 (not applicable) and 1 stay', () => {
    expect(syn(effectiveThresholds('low', {}))).toMatchObject({ ports: 20, hosts: 20 });
    expect(syn(effectiveThresholds('high', {}))).toMatchObject({ ports: 5, hosts: 5 });
    const idle = effectiveThresholds('low', {})[Technique.IDLE_SCAN]!;
    expect(idle).toMatchObject({ ports: 0, hosts: 1, probes: 12 });
  });

  it("a technique's own sensitivity, then its own counts, win", () => {
    const t = effectiveThresholds('high', { 'tcp-syn': { sensitivity: 'low', hosts: 7 }, udp: { enabled: false } });
    expect(syn(t)).toMatchObject({ ports: 20, hosts: 7 });
    expect(t[Technique.UDP]!.enabled).toBe(false);
    expect(t[Technique.TCP_FIN]).toMatchObject({ ports: 3, hosts: 3 });
  });
});

describe('analyze --config: thresholds change what is reported', () => {
  // nmap -sI: 43 unsolicited SYN-ACKs to the zombie (the idle scan's threshold counts them as probes).
  const idle = fixture('recon/nmap-idle.pcap');

  it('the idle scan is reported at its default threshold and at one its 43 probes reach', async () => {
    expect(await scans(idle, [])).toContain('198.18.0.1 idle-scan');
    expect(await scans(idle, ['--config', config({ thresholds: { 'idle-scan': { probes: 43 } } })])).toContain('198.18.0.1 idle-scan');
  });

  it('raised above its probes it is not reported; the other scan in the capture still is', async () => {
    const found = await scans(idle, ['--config', config({ thresholds: { 'idle-scan': { probes: 44 } } })]);
    expect(found).not.toContain('198.18.0.1 idle-scan');
    expect(found).toContain('198.18.0.3 tcp-syn');
  });

  it('a technique turned off is not reported', async () => {
    expect(await scans(fixture('nmap-syn.pcap'), [])).toEqual(['198.18.0.1 tcp-syn']);
    expect(await scans(fixture('nmap-syn.pcap'), ['--config', config({ thresholds: { 'tcp-syn': { enabled: false } } })])).toEqual([]);
  });

  it('--threads workers get the same thresholds', async () => {
    const off = config({ thresholds: { 'tcp-syn': { enabled: false } } });
    expect(await scans(fixture('nmap-syn.pcap'), ['--config', off, '--threads', '2', fixture('nmap-fin.pcap')])).toEqual(['198.18.0.1 tcp-fin']);
  });

  it('a flag wins over the file', async () => {
    const off = config({ thresholds: { 'idle-scan': { probes: 44 } }, 'allow-scanner': ['198.18.0.3/32'] });
    expect(await scans(idle, ['--config', off, '--allow-scanner', '192.0.2.1/32'])).toEqual(['198.18.0.3 tcp-syn']);
  });
});

describe('bad thresholds and sensitivity: one line naming the key, exit 2', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a count below 1', { thresholds: { 'tcp-syn': { ports: 0 } } }, /"thresholds\.tcp-syn\.ports": expected a whole number from 1 to 65535, received 0/],
    ['a count that is not a whole number', { thresholds: { udp: { hosts: 2.5 } } }, /"thresholds\.udp\.hosts": /],
    ['a count as text', { thresholds: { udp: { hosts: '25' } } }, /"thresholds\.udp\.hosts": .*received "25"/],
    ['enabled that is not true or false', { thresholds: { 'tcp-syn': { enabled: 'no' } } }, /"thresholds\.tcp-syn\.enabled": expected boolean, received string/],
    ['an unknown technique', { thresholds: { 'tcp-sin': { ports: 5 } } }, /"thresholds": unknown technique "tcp-sin"/],
    ['an unknown field', { thresholds: { 'tcp-syn': { port: 5 } } }, /"thresholds\.tcp-syn": unknown setting "port"/],
    ['a count the technique has no use for', { thresholds: { 'icmp-sweep': { ports: 5 } } }, /"thresholds\.icmp-sweep\.ports": icmp-sweep has no ports threshold/],
    ['thresholds that are not an object', { thresholds: [] }, /"thresholds": expected an object of techniques, received array/],
    ['a sensitivity that is no level', { sensitivity: 'paranoid' }, /"sensitivity": expected one of low, medium, high, received "paranoid"/],
    ["a technique's sensitivity that is no level", { thresholds: { udp: { sensitivity: 3 } } }, /"thresholds\.udp\.sensitivity": /],
  ];
  for (const [what, content, message] of cases) {
    it(`${what} (analyze)`, async () => {
      const r = await cli(['analyze', fixture('nmap-syn.pcap'), '--config', config(content)]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^scanwatch: error: config .*: /);
      expect(lines[0]).toMatch(message);
    });
  }

  it('live checks the file the same way', async () => {
    const r = await cli(['live', '--interface', 'lo', '--config', config({ thresholds: { 'tcp-syn': { ports: -1 } } })]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/"thresholds\.tcp-syn\.ports": /);
  });

  it('--sensitivity on the command line is checked by yargs: one line, exit 2', async () => {
    const r = await cli(['analyze', fixture('nmap-syn.pcap'), '--sensitivity', 'paranoid']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^scanwatch: error: .*sensitivity/);
  });

  it('"thresholds" is not a flag', async () => {
    const r = await cli(['analyze', fixture('nmap-syn.pcap'), '--thresholds', '{}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^scanwatch: error: Unknown argument/);
  });
});
