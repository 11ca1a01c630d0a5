/**
 * The issue-8 reconnaissance fixtures in test/pcaps/recon (NAME.pcap +
 * NAME.expected.json, recorded by scripts/record-recon-fixtures.sh), the
 * internal-network ones in test/pcaps/internal (scripts/record-internal-fixtures.sh)
 * and the non-evasion adversary ones, run through the built CLI exactly as a
 * user would:
 *
 *   node dist/cli/main.js analyze NAME.pcap --format json OPTIONS...
 *
 * where OPTIONS is the fixture's optional top-level "options" array (for
 * example ["--dark-net", "198.18.9.0/24"]). The expected detections come from
 * the commands that made the traffic (see test/pcaps/recon/README.md), never
 * from scanwatch's output. For every expected detection there must be exactly
 * one reported detection with the same src and type, with the same pattern;
 * tool when non-null; targets/ports within 2%; open_ports and live_hosts when
 * given; sources (sorted), tenant and reason when given; rejected,
 * open_filtered_ports (sorted), targets_sample (sorted), severity and
 * direction when given. Nothing else may be reported. Fixtures are globbed,
 * so a new one is picked up by adding it; a missing directory or too few
 * fixtures fails instead of shrinking the suite.
 * dist/ is rebuilt first when it is missing or older than any source file.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { ensureBuilt, main, repo } from '../cli/run-cli.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const reconDir = path.join(repo, 'test/pcaps/recon');

/** Issue 8 asks for a fixture per item; the lab records this many. */
const MIN_FIXTURES = 51;

interface ExpectedDetection {
  src: string;
  type: string;
  pattern: string;
  tool: string | null;
  targets?: number | null;
  ports?: number | null;
  open_ports?: number[] | null;
  live_hosts?: string[] | null;
  sources?: string[];
  tenant?: string | null;
  reason?: string;
  /** Distinct host:port that answered the probes with RST. */
  rejected?: number;
  /** Ports a FIN/NULL/XMAS-style scan left unanswered: nmap's open|filtered. */
  open_filtered_ports?: number[];
  targets_sample?: string[];
  severity?: string;
  direction?: string;
}

interface ExpectedFile {
  name: string;
  options?: string[];
  detections: ExpectedDetection[];
}

interface ReportedDetection {
  src: string;
  type: string;
  pattern: string;
  tool: string | null;
  targets: number;
  ports: number | null;
  open_ports: number[];
  open_services: string[];
  live_hosts: string[];
  sources?: string[];
  tenant?: string | null;
  reason?: string;
  rejected?: number;
  open_filtered_ports?: number[];
  targets_sample?: string[];
  severity?: string;
  direction?: string;
}

interface Report {
  packets: number;
  detections: ReportedDetection[];
}

/**
 * test/pcaps/adversary holds the attacks on the sensor itself; its evasion-*
 * fixtures have their own test (test/decode/evasion-fixtures.test.ts), the
 * rest are checked here like the recon ones. These must be there.
 */
const adversaryDir = path.join(repo, 'test/pcaps/adversary');
const ADVERSARY_REQUIRED = ['spoofed-distributed-syn', 'slow-scan-window1'];

/**
 * test/pcaps/internal: reconnaissance inside --home-net, benign internal
 * use and the traffic that must not look like a scan. These must be there.
 */
const internalDir = path.join(repo, 'test/pcaps/internal');
const INTERNAL_REQUIRED = [
  'internal-connect-admin',
  'internal-syn-admin',
  'internal-connect-3ports',
  'internal-connect-loop',
  'internal-monitor-open-close',
  'benign-internal-clients',
  'udp-discovery-answers',
  'netbios-broadcast',
  'quic-oneway',
  'dns-oneway',
  'arp-retry-resolver',
  'tcp-odd-segments',
  'nmap-fin-openfiltered',
  'nmap-null-openfiltered',
  'nmap-xmas-openfiltered',
  'nmap-synfin-openfiltered',
  'nmap-syn-ipv6-targets',
];

function fixturesIn(dir: string, keep: (name: string) => boolean): { name: string; json: string; pcap: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.expected.json'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.expected.json'.length);
      return { name, json: path.join(dir, f), pcap: path.join(dir, `${name}.pcap`) };
    })
    .filter((f) => keep(f.name));
}

const reconFixtures = fixturesIn(reconDir, () => true);
const adversaryFixtures = fixturesIn(adversaryDir, (name) => !name.startsWith('evasion-'));
const internalFixtures = fixturesIn(internalDir, () => true);
const fixtures = [...reconFixtures, ...adversaryFixtures, ...internalFixtures];

// npm run build when a source is newer: the same build (tsc, then the bundled entry points) users run.
beforeAll(() => ensureBuilt(), 300_000);

/** Runs the CLI on one fixture; a non-zero exit or unparsable output fails the test. */
function analyse(pcap: string, options: string[]): Report {
  const args = [main, 'analyze', pcap, '--format', 'json', ...options];
  const r = spawnSync(process.execPath, args, { cwd: repo, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: { ...process.env, SCANWATCH_DEBUG: '' } });
  const shown = `node ${args.slice(1).join(' ')}`;
  expect(r.error, `${shown} ran`).toBeUndefined();
  expect(r.status, `${shown} exit status; stderr: ${r.stderr}`).toBe(0);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`${shown} did not print JSON: ${r.stdout.slice(0, 300)}`);
  }
  expect(Array.isArray(report.detections), `${shown} has a detections array`).toBe(true);
  return report;
}

function within(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs expected ${expected} (2%)`).toBeLessThanOrEqual(0.02 * expected);
}

const sortAddrs = (a: readonly string[]): string[] => [...a].sort();

describe('test/pcaps/recon, test/pcaps/adversary and test/pcaps/internal fixtures', () => {
  it(`there are at least ${MIN_FIXTURES} recon fixtures, the adversary and the internal ones, each with its capture`, () => {
    expect(fs.existsSync(reconDir), `${reconDir} exists`).toBe(true);
    expect(reconFixtures.length).toBeGreaterThanOrEqual(MIN_FIXTURES);
    expect(adversaryFixtures.map((f) => f.name)).toEqual(expect.arrayContaining(ADVERSARY_REQUIRED));
    expect(fs.existsSync(internalDir), `${internalDir} exists`).toBe(true);
    expect(internalFixtures.map((f) => f.name)).toEqual(expect.arrayContaining(INTERNAL_REQUIRED));
    for (const f of fixtures) expect(fs.existsSync(f.pcap), f.pcap).toBe(true);
  });

  for (const f of fixtures) {
    describe(f.name, () => {
      const spec = JSON.parse(fs.readFileSync(f.json, 'utf8')) as ExpectedFile;
      const options = spec.options ?? [];
      // Analysed once, lazily, by the first test that needs it.
      let cached: Report | null = null;
      const report = (): Report => (cached ??= analyse(f.pcap, options));
      const detections = (): ReportedDetection[] => report().detections;
      const listed = (): string => JSON.stringify(detections().map((d) => [d.src, d.type, d.pattern]));

      it('expected file is well formed', () => {
        expect(spec.name, 'name matches the file name').toBe(f.name);
        expect(Array.isArray(spec.detections), 'detections is an array').toBe(true);
        expect(Array.isArray(options) && options.every((o) => typeof o === 'string'), 'options is an array of strings').toBe(true);
      });

      for (const x of spec.detections) {
        it(`${x.src} ${x.type} ${x.pattern}${x.tenant ? ` (${x.tenant})` : ''}`, () => {
          // With tenants, the same inner src may appear once per tenant.
          const found = detections().filter((d) => d.src === x.src && d.type === x.type && (x.tenant === undefined || (d.tenant ?? null) === x.tenant));
          expect(found.map((d) => `${d.src} ${d.type}`), `exactly one ${x.type} detection from ${x.src}${x.tenant !== undefined ? ` in tenant ${String(x.tenant)}` : ''}; got ${listed()}`).toHaveLength(1);
          const d = found[0]!;
          expect(d.pattern, 'pattern').toBe(x.pattern);
          if (x.tool !== null && x.tool !== undefined) expect(d.tool, 'tool').toBe(x.tool);
          if (x.targets !== null && x.targets !== undefined) within(d.targets, x.targets, 'targets');
          if (x.ports !== null && x.ports !== undefined) within(d.ports ?? 0, x.ports, 'ports');
          if (x.open_ports !== null && x.open_ports !== undefined) expect(d.open_ports, 'open_ports').toEqual([...x.open_ports].sort((a, b) => a - b));
          if (x.live_hosts !== null && x.live_hosts !== undefined) {
            // Sweeps report live hosts; port scans name them in open_services ("host:port").
            const live = d.type.endsWith('-sweep') ? d.live_hosts : [...new Set(d.open_services.map((s) => s.slice(0, s.lastIndexOf(':')).replace(/^\[|\]$/g, '')))];
            expect(sortAddrs(live), 'live hosts').toEqual(sortAddrs(x.live_hosts));
          }
          if (x.sources !== undefined) {
            expect(d.sources, 'sources is reported').toBeDefined();
            expect(sortAddrs(d.sources ?? []), 'sources').toEqual(sortAddrs(x.sources));
          }
          if (x.tenant !== undefined) expect(d.tenant ?? null, 'tenant').toBe(x.tenant);
          if (x.reason !== undefined) expect(d.reason, 'reason').toBe(x.reason);
          if (x.rejected !== undefined) expect(d.rejected, 'rejected (host:port answered RST)').toBe(x.rejected);
          if (x.open_filtered_ports !== undefined) {
            expect(d.open_filtered_ports, 'open_filtered_ports is reported').toBeDefined();
            expect([...(d.open_filtered_ports ?? [])].sort((a, b) => a - b), 'open_filtered_ports').toEqual([...x.open_filtered_ports].sort((a, b) => a - b));
          }
          if (x.targets_sample !== undefined) expect(sortAddrs(d.targets_sample ?? []), 'targets_sample').toEqual(sortAddrs(x.targets_sample));
          if (x.severity !== undefined) expect(d.severity, 'severity').toBe(x.severity);
          if (x.direction !== undefined) expect(d.direction, 'direction').toBe(x.direction);
        });
      }

      it('reports nothing else', () => {
        const extra = detections().filter(
          (d) => !spec.detections.some((x) => x.src === d.src && x.type === d.type && (x.tenant === undefined || (d.tenant ?? null) === x.tenant)),
        );
        expect(extra.map((d) => `${d.src} ${d.type} ${d.pattern} targets=${d.targets} ports=${d.ports}${d.tenant ? ` tenant=${d.tenant}` : ''}`)).toEqual([]);
      });
    });
  }
});
