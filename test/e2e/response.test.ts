/**
 * End to end (issue 10 item 3): the sensor in the target namespace runs
 * examples/nft-block.sh for each new scan; a real nmap scan from the
 * scanner namespace gets the scanner into the target's nftables block set,
 * and the scanner's later connections to an open port are dropped by the
 * target's firewall. Everything (namespaces, nftables table) lives in the
 * lab this file creates; the host's own ruleset is never touched.
 *
 * Needs root and: iproute2 nmap nftables socat python3 curl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, SCAN4, SCAN4_B, type Sensor, TGT4, waitUntil } from './lab.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOOK = path.join(ROOT, 'examples/nft-block.sh');

let lab: Lab;
let sensor: Sensor;

function requireTools(): void {
  const missing = ['nft', 'nmap', 'socat', 'curl', 'ip'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  if (process.getuid?.() !== 0) throw new Error('response e2e: must run as root (network namespaces, nftables)');
  if (missing.length > 0) throw new Error(`response e2e: missing ${missing.join(', ')} (apt-get install -y nftables nmap socat curl iproute2)`);
  if (!fs.existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('response e2e: run npm run build first');
}

async function nft(...args: string[]): Promise<string> {
  const r = await lab.exec(lab.tgtNs, 'nft', args);
  expect(r.code, `nft ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** Runs the hook by hand in the target namespace with an event on stdin. */
async function hook(args: string[], event: Record<string, unknown>): Promise<void> {
  const r = await lab.exec(lab.tgtNs, 'sh', ['-c', `printf '%s\\n' '${JSON.stringify(event)}' | ${HOOK} ${args.join(' ')}`]);
  expect(r.code, r.stderr).toBe(0);
}

describe('--on-detection examples/nft-block.sh in a namespace lab', () => {
  beforeAll(async () => {
    requireTools();
    lab = await Lab.create({ root: ROOT, prefix: 'swresp' });
  }, 120_000);

  afterAll(async () => {
    if (!lab) return;
    await lab.destroy();
    expect(lab.remainingNamespaces()).toEqual([]);
  }, 60_000);

  it('before any scan, the scanner reaches the web server', async () => {
    expect((await lab.httpGet(lab.scanNs, `http://${TGT4}/`)).status).toBe(200);
  }, 30_000);

  it('an nmap scan makes the hook block the scanner; its later probes are dropped by the target', async () => {
    // The target alone is the home net: the scanner is outside (inbound), so it may be blocked.
    sensor = lab.startSensor(['--home-net', `${TGT4}/32`, '--on-detection', `${HOOK} --timeout 10m`, '--hook-timeout', '20']);
    await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 30_000);
    const scan = await lab.exec(lab.scanNs, 'nmap', ['-n', '-Pn', '-sS', '-p', '1-200', TGT4], { timeoutMs: 90_000 });
    expect(scan.code, scan.stderr).toBe(0);
    const started = await sensor.waitForLine('scan_started from the scanner', 'scan_started', (l) => l.src === SCAN4, 20_000);
    expect(started.direction).toBe('inbound');
    // The hook ran and succeeded (counted on /metrics), and the set holds the scanner.
    await waitUntil('the hook to succeed', async () => ((await sensor.metric('scanwatch_hook_events_total', { hook: 'command', result: 'succeeded' })) ?? 0) >= 1, { timeoutMs: 20_000, intervalMs: 250 });
    expect(await sensor.metric('scanwatch_hook_events_total', { hook: 'command', result: 'failed' })).toBe(0);
    expect(await nft('list', 'set', 'inet', 'scanwatch', 'block4')).toContain(SCAN4);
    // Later probes from the scanner are dropped: a connect to the open port 80 now times out...
    expect((await lab.httpGet(lab.scanNs, `http://${TGT4}/`)).status).toBe(0);
    // ...while another host of the scanner's network still gets in.
    const other = await lab.exec(lab.scanNs, 'curl', ['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', '--interface', SCAN4_B, `http://${TGT4}/`]);
    expect(other.stdout).toBe('200');
    // ...and the target's drop rule counted them.
    const chain = await nft('list', 'chain', 'inet', 'scanwatch', 'input');
    const dropped = /ip saddr @block4 counter packets (\d+)/.exec(chain);
    expect(dropped, chain).not.toBeNull();
    expect(Number(dropped![1])).toBeGreaterThan(0);
  }, 120_000);

  it('refuses home-net and allow-listed sources unless told to block the home net', async () => {
    const ev = { event: 'scan_started', src: SCAN4_B, type: 'tcp-syn', direction: 'internal' };
    await hook(['--timeout', '10m'], ev);
    expect(await nft('list', 'set', 'inet', 'scanwatch', 'block4')).not.toContain(SCAN4_B);
    await hook(['--timeout', '10m', '--allow', `${SCAN4_B}/32`, '--block-home-net'], ev);
    expect(await nft('list', 'set', 'inet', 'scanwatch', 'block4')).not.toContain(SCAN4_B);
    await nft('flush', 'set', 'inet', 'scanwatch', 'allow4');
    await hook(['--timeout', '10m', '--block-home-net'], ev);
    expect(await nft('list', 'set', 'inet', 'scanwatch', 'block4')).toContain(SCAN4_B);
  }, 60_000);
});
