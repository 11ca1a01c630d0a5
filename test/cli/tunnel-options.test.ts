/**
 * The CLI's tunnel options and the report's decode counters, on recorded
 * captures (test/pcaps/recon, see its README): a real Linux VXLAN on UDP
 * 8472 is opened only with --vxlan-port 8472; bad ports are one-line usage
 * errors; the JSON report counts encapsulations and fragments. The build in
 * dist/ is refreshed first when a source file is newer.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, main, repo } from './run-cli.js';
import { Reassembler } from '../../src/decode/reassembly.js';

const recon = (name: string): string => path.join(repo, 'test/pcaps/recon', `${name}.pcap`);

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, SCANWATCH_DEBUG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Report {
  packets: number;
  encapsulation: Record<string, number>;
  fragments: Record<string, number>;
  decode_errors_total: number;
  detections: { src: string; type: string; ports: number }[];
}

function analyze(name: string, extra: string[] = []): Report {
  const r = cli(['analyze', recon(name), '--format', 'json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

// npm run build when a source is newer: the same build (tsc, then the bundled entry points) users run.
beforeAll(() => ensureBuilt(), 300_000);

describe('--vxlan-port / --geneve-port', () => {
  it('a VXLAN on UDP 8472 (ip link add ... dstport 8472) is opened only with --vxlan-port 8472', () => {
    const plain = analyze('tunnel-vxlan-8472');
    expect(plain.encapsulation).toEqual({});
    expect(plain.detections.some((d) => d.src === '198.18.10.1')).toBe(false);
    const opened = analyze('tunnel-vxlan-8472', ['--vxlan-port', '8472']);
    expect(opened.encapsulation).toEqual({ vxlan: opened.packets });
    const scan = opened.detections.find((d) => d.src === '198.18.10.1' && d.type === 'tcp-syn');
    expect(scan?.ports).toBe(100); // nmap -p 1-100
  });

  it('the JSON report counts encapsulations by kind (ERSPAN also under GRE)', () => {
    const r = analyze('tunnel-erspan2');
    expect(r.encapsulation).toEqual({ gre: r.packets, erspan_ii: r.packets });
    expect(r.decode_errors_total).toBe(0);
  });

  for (const [args, message] of [
    [['--vxlan-port', '0'], /--vxlan-port must be a UDP port number/],
    [['--geneve-port', '70000'], /--geneve-port must be a UDP port number/],
    [['--vxlan-port', 'x'], /--vxlan-port must be a UDP port number/],
    [['--vxlan-port', '6081'], /must differ/],
  ] as const) {
    it(`${args.join(' ')} is a one-line usage error (exit 2)`, () => {
      const r = cli(['analyze', recon('tunnel-vxlan'), ...args]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n').length).toBe(1);
    });
  }
});

describe('fragments in the JSON report', () => {
  it('nmap -f -p 1-200: 200 reassembled SYNs reported as one scan of 200 ports; fragment counters', () => {
    const r = analyze('frag-nmap-f');
    expect(r.fragments.reassembled).toBeGreaterThanOrEqual(200);
    expect(r.fragments.overlaps).toBe(0);
    expect(r.fragments.capacity).toBe(new Reassembler().capacity);
    expect(r.fragments.pending).toBe(0);
    const scan = r.detections.find((d) => d.src === '198.18.0.1' && d.type === 'tcp-syn');
    expect(scan?.ports).toBe(200);
  });

  it('overlapping fragments are counted (40 crafted overlapping probes)', () => {
    expect(analyze('frag-overlap').fragments.overlaps).toBe(40);
  });
});
