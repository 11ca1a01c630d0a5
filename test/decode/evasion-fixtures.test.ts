/**
 * The evasion fixtures in test/pcaps/adversary (evasion-*.pcap with their
 * expected.json, recorded by scripts/record-evasion-fixtures.sh against a
 * real Linux target; see its README), run through the built CLI as a user
 * would:
 *
 *   node dist/cli/main.js analyze evasion-NAME.pcap --format json
 *
 * Every file is a scan the target answered although it was fragmented,
 * overlapped, trimmed, cut by the capture or padded with extension headers;
 * each expected detection must be reported exactly once (same src and type)
 * with its pattern, tool when not null, targets and ports within 2% and its
 * open ports, and nothing else may be reported. The expected detections come
 * from the commands that made the traffic and the target's answers, never
 * from scanwatch's output. dist/ is rebuilt first when a source is newer.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, main, repo } from '../cli/run-cli.js';

const dir = path.join(repo, 'test/pcaps/adversary');

/** The evasions the recording script makes; a missing one fails instead of shrinking the suite. */
const REQUIRED = [
  'evasion-nmap-mtu600',
  'evasion-nmap-mtu600-snap512',
  'evasion-overlap-new-queue',
  'evasion-trim12',
  'evasion-maxdist-restart',
  'evasion-ipv6-dstopts9',
  'evasion-ipv6-dstopts9-frag',
];

interface Expected {
  src: string;
  type: string;
  pattern: string;
  tool: string | null;
  targets: number;
  ports: number;
  open_ports: number[];
}

interface Reported extends Expected {
  file: string;
}

const names = fs.existsSync(dir)
  ? fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('evasion-') && f.endsWith('.expected.json'))
      .map((f) => f.slice(0, -'.expected.json'.length))
      .sort()
  : [];

beforeAll(() => ensureBuilt(), 300_000);

function analyse(pcap: string): Reported[] {
  const args = [main, 'analyze', pcap, '--format', 'json'];
  const r = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, SCANWATCH_DEBUG: '' } });
  expect(r.status, `analyze ${pcap}: ${r.stderr}`).toBe(0);
  return (JSON.parse(r.stdout) as { detections: Reported[] }).detections;
}

function within(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs expected ${expected} (2%)`).toBeLessThanOrEqual(0.02 * expected);
}

describe('test/pcaps/adversary evasion fixtures', () => {
  it('every evasion the recording script makes is there, with its capture', () => {
    expect(names).toEqual(expect.arrayContaining(REQUIRED));
    for (const n of names) expect(fs.existsSync(path.join(dir, `${n}.pcap`)), n).toBe(true);
  });

  for (const name of names) {
    it(`${name}: the scan the target answered is reported, and nothing else`, () => {
      const spec = JSON.parse(fs.readFileSync(path.join(dir, `${name}.expected.json`), 'utf8')) as { name: string; detections: Expected[] };
      expect(spec.name).toBe(name);
      expect(spec.detections.length).toBeGreaterThan(0);
      const reported = analyse(path.join(dir, `${name}.pcap`));
      const listed = JSON.stringify(reported.map((d) => [d.src, d.type, d.pattern, d.ports]));
      for (const x of spec.detections) {
        const found = reported.filter((d) => d.src === x.src && d.type === x.type);
        expect(found, `exactly one ${x.type} from ${x.src}; got ${listed}`).toHaveLength(1);
        const d = found[0]!;
        expect(d.pattern, 'pattern').toBe(x.pattern);
        if (x.tool !== null) expect(d.tool, 'tool').toBe(x.tool);
        within(d.targets, x.targets, 'targets');
        within(d.ports, x.ports, 'ports');
        expect(d.open_ports, 'open_ports').toEqual([...x.open_ports].sort((a, b) => a - b));
      }
      const extra = reported.filter((d) => !spec.detections.some((x) => x.src === d.src && x.type === d.type));
      expect(extra.map((d) => `${d.src} ${d.type} ${d.pattern}`)).toEqual([]);
    }, 120_000);
  }
});
