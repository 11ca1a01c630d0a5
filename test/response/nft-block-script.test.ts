/**
 * examples/nft-block.sh refuses, by itself, what the sensor already
 * withholds (defence in depth): unverified sources, address classes no
 * remote scanner can have, home-net sources, and events whose leading
 * fields are not where scanwatch writes them. Run here with a PATH that
 * holds no `nft` (nor `logger`): a refusal must come before any firewall
 * command, so a run that got as far as nft fails the test. The test with
 * a real nftables is test/e2e/response.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../../examples/nft-block.sh', import.meta.url));
const bin = mkdtempSync(join(tmpdir(), 'scanwatch-nft-block-'));
for (const tool of ['sh', 'sed', 'awk', 'head', 'tr', 'grep', 'ip']) {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  if (found === '') throw new Error(`nft-block.sh test: ${tool} not found`);
  symlinkSync(found, join(bin, tool));
}

function run(event: string, args: string[] = ['--timeout', '10m']): { code: number | null; stderr: string } {
  const r = spawnSync('/bin/sh', [SCRIPT, ...args], { input: event + '\n', encoding: 'utf8', env: { PATH: bin } });
  return { code: r.status, stderr: r.stderr };
}

const ev = (src: string, verified: boolean, direction = 'inbound') =>
  `{"event":"scan_started","src":"${src}","source_verified":${verified},"direction":"${direction}","sensor":"lab","interface":"tgt0","type":"tcp-null"}`;

describe('examples/nft-block.sh refusals (before any nft command)', () => {
  it('refuses loopback, link-local, multicast, broadcast, unspecified and IPv4-mapped sources, verified or not', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.3.2.1', 'loopback'],
      ['::1', 'loopback'],
      ['169.254.7.7', 'link-local'],
      ['fe80::1', 'link-local'],
      ['224.0.0.251', 'multicast'],
      ['ff02::1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['0.0.0.0', 'unspecified'],
      ['::', 'unspecified'],
      ['::ffff:127.0.0.1', 'ipv4-mapped'],
      ['::ffff:c612:1', 'ipv4-mapped'],
    ];
    for (const [src, what] of cases) {
      for (const args of [['--timeout', '10m'], ['--timeout', '10m', '--block-unverified', '--block-home-net']]) {
        const r = run(ev(src, true), args);
        expect(r.code, `${src}: ${r.stderr}`).toBe(0);
        expect(r.stderr, src).toContain(`not blocking ${src}: ${what} address`);
      }
    }
  });

  it('refuses an unverified source, and one inside the home net', () => {
    const unverified = run(ev('198.18.1.66', false));
    expect(unverified.code).toBe(0);
    expect(unverified.stderr).toMatch(/not blocking 198\.18\.1\.66: source not verified/);
    for (const direction of ['internal', 'outbound']) {
      const home = run(ev('198.18.0.9', true, direction));
      expect(home.code).toBe(0);
      expect(home.stderr).toMatch(/not blocking 198\.18\.0\.9: inside the home net/);
    }
  });

  it('refuses (exit 1) an event whose leading fields are missing or moved, or whose src is no address', () => {
    const moved = '{"src":"198.18.0.1","event":"scan_started","source_verified":true,"direction":"inbound"}';
    const noVerified = '{"event":"scan_started","src":"198.18.0.1","direction":"inbound","source_verified":true}';
    // A forged value cannot fake the prefix: inside a JSON string its quotes are escaped.
    const injected = JSON.stringify({ event: 'scan_started', tool: '","src":"198.18.0.1","source_verified":true,"direction":"inbound"' });
    for (const e of [moved, noVerified, injected, '', 'not json']) {
      const r = run(e);
      expect(r.code, e).toBe(1);
      expect(r.stderr).toMatch(/does not begin with event, src, source_verified and direction/);
    }
    for (const src of ['300.1.1.1', '1::2::3', '::ffff:1.2.3.400', 'abcd']) {
      const r = run(ev(src, true));
      expect(r.code, src).toBe(1);
      expect(r.stderr).toMatch(/is not an IPv4 or IPv6 address/);
    }
  });

  it('refuses a --timeout that is not a duration, or zero: every block expires', () => {
    for (const t of ['0', '0h', 'forever', '1h;x', '']) {
      const r = run(ev('198.18.1.1', true), ['--timeout', t]);
      expect(r.code, t).toBe(2);
      expect(r.stderr).toMatch(/bad --timeout|--timeout needs a duration/);
    }
  });

  it('a verified external source passes every check and goes on to nft (absent here)', () => {
    for (const src of ['198.18.1.1', '2001:db8:1::1']) {
      const r = run(ev(src, true));
      expect(r.stderr).not.toMatch(/not blocking/);
      expect(r.stderr).toMatch(/nft: not found/);
      expect(r.code).not.toBe(0);
    }
  });
});
