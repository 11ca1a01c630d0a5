/**
 * End to end: the sensor in the target namespace runs examples/nft-block.sh
 * for each new scan, and nothing an attacker forges can steer it.
 *
 * - NULL segments forged (scapy, in the scanner namespace) from another
 *   lab address, from 127.0.0.1 and from ::1 are each detected, yet none
 *   is blocked: the first source never proved it is not spoofed, the
 *   other two are loopback. The sensor says why (hook_withheld, counted on
 *   /metrics), and its own /metrics still answers.
 * - The script refuses the same on its own (defence in depth), and its
 *   drop rules never drop loopback or this host's addresses, whatever the
 *   block sets hold.
 * - A real nmap -sS from the scanner namespace is verified (its kernel
 *   resets the target's SYN-ACKs) and blocked: its later connections to an
 *   open port are dropped by the target's firewall, while another host of
 *   its network still gets in.
 *
 * Everything (namespaces, nftables table) lives in the lab this file
 * creates; the host's own ruleset is never touched.
 *
 * Needs root and: iproute2 nmap nftables socat python3 python3-scapy curl.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, type LogLine, SCAN_IF, SCAN4, SCAN4_B, type Sensor, TGT4, TGT6, TGT_MAC, waitUntil } from './lab.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HOOK = path.join(ROOT, 'examples/nft-block.sh');
/** Debian's python3-scapy is installed for the system Python. */
const PYTHON = '/usr/bin/python3';
/** A lab address no namespace holds: a blind spoofer's choice. */
const FORGED4 = '198.18.1.66';

let lab: Lab;
let sensor: Sensor;

function requireTools(): void {
  if (process.getuid?.() !== 0) throw new Error('response e2e: must run as root (network namespaces, nftables)');
  const missing = ['nft', 'nmap', 'socat', 'curl', 'ip'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  if (spawnSync(PYTHON, ['-c', 'import scapy.all']).status !== 0) missing.push('python3-scapy');
  if (missing.length > 0) throw new Error(`response e2e: missing ${missing.join(', ')} (apt-get install -y nftables nmap socat curl iproute2 python3-scapy)`);
  if (!fs.existsSync(path.join(ROOT, 'dist/cli/main.js'))) throw new Error('response e2e: run npm run build first');
}

async function nft(...args: string[]): Promise<string> {
  const r = await lab.exec(lab.tgtNs, 'nft', args);
  expect(r.code, `nft ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** The addresses the block sets hold (none when the table was never created). */
async function blocked(): Promise<string[]> {
  const out: string[] = [];
  for (const set of ['block4', 'block6']) {
    const r = await lab.exec(lab.tgtNs, 'nft', ['list', 'set', 'inet', 'scanwatch', set]);
    if (r.code !== 0) continue;
    const m = /elements = \{([^}]*)\}/.exec(r.stdout);
    if (m) out.push(...m[1]!.split(',').map((e) => e.trim().split(/\s+/)[0]!));
  }
  return out;
}

/** Runs the hook by hand in the target namespace with an event on stdin; returns its stderr. */
async function hook(args: string[], event: Record<string, unknown>): Promise<string> {
  const script = path.join(lab.tmp, 'event.json');
  fs.writeFileSync(script, JSON.stringify(event) + '\n');
  const r = await lab.exec(lab.tgtNs, 'sh', ['-c', `${HOOK} ${args.join(' ')} < ${script}`]);
  expect(r.code, r.stderr).toBe(0);
  return r.stderr;
}

/** An event as the sensor hands it over: these four fields first. */
const event = (src: string, verified: boolean, direction = 'inbound') => ({ event: 'scan_started', src, source_verified: verified, direction, type: 'tcp-syn' });

/**
 * Sends NULL segments (no TCP flags) from each forged source to ports 1..3
 * of the target (three ports: a NULL scan's shape, the least that is one), as raw frames on the scanner's veth (scapy's sendp: no
 * routing, so 127.0.0.1 and ::1 go out as they are).
 */
async function forgeNullSegments(sources: string[]): Promise<void> {
  const script = path.join(lab.tmp, 'forge-null.py');
  fs.writeFileSync(
    script,
    [
      'import sys',
      'from scapy.all import Ether, IP, IPv6, TCP, sendp',
      'iface, mac, dst4, dst6 = sys.argv[1:5]',
      'frames = []',
      'for src in sys.argv[5:]:',
      '    for port in (1, 2, 3):',
      "        ip = IPv6(src=src, dst=dst6) if ':' in src else IP(src=src, dst=dst4)",
      '        frames.append(Ether(dst=mac) / ip / TCP(sport=40000 + port, dport=port, flags=0))',
      'sendp(frames, iface=iface, verbose=False)',
      '',
    ].join('\n'),
  );
  const r = await lab.exec(lab.scanNs, PYTHON, [script, SCAN_IF, TGT_MAC, TGT4, TGT6, ...sources], { timeoutMs: 60_000 });
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

  it('forged NULL segments from another address, 127.0.0.1 and ::1 are detected but block nothing', async () => {
    // The target alone is the home net: scanners are outside (inbound), so they may be blocked.
    sensor = lab.startSensor(['--home-net', `${TGT4}/32`, '--on-detection', `${HOOK} --timeout 10m`, '--hook-timeout', '20']);
    await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 30_000);
    await forgeNullSegments([FORGED4, '127.0.0.1', '::1']);
    const lines: LogLine[] = [];
    for (const src of [FORGED4, '127.0.0.1', '::1']) {
      const started = await sensor.waitForLine(`tcp-null scan_started from ${src}`, 'scan_started', (l) => l.src === src && l.type === 'tcp-null', 20_000);
      // No exchange with the target: nothing proves these sources real.
      expect(started.source_verified, `${src}: ${JSON.stringify(started)}`).toBe(false);
      lines.push(started);
    }
    // Each is withheld, with its reason, in one line.
    const withheld = async (src: string, reason: string) =>
      sensor.waitForLine(`hook_withheld for ${src}`, 'hook_withheld', (l) => l.src === src && l.reason === reason, 10_000);
    await withheld(FORGED4, 'unverified');
    await withheld('127.0.0.1', 'loopback');
    await withheld('::1', 'loopback');
    expect(await sensor.metric('scanwatch_hook_withheld_total', { reason: 'unverified' })).toBe(1);
    expect(await sensor.metric('scanwatch_hook_withheld_total', { reason: 'loopback' })).toBe(2);
    // No hook ran, no block exists, and the sensor's own /metrics (on loopback) still answers.
    expect(await sensor.metric('scanwatch_hook_events_total', { hook: 'command' })).toBe(0);
    expect(await blocked()).toEqual([]);
    expect((await lab.httpGet(lab.tgtNs, `http://${sensor.listen}/metrics`)).status).toBe(200);
    expect((await lab.httpGet(lab.scanNs, `http://${TGT4}/`)).status).toBe(200);
  }, 90_000);

  it('the script refuses the same by itself, and its drop rules spare loopback and own addresses whatever the sets hold', async () => {
    const cases: [string, boolean, RegExp][] = [
      [FORGED4, false, /source not verified/],
      ['127.0.0.1', true, /loopback address/],
      ['::1', true, /loopback address/],
      ['::ffff:127.0.0.1', true, /ipv4-mapped address/],
      [TGT4, true, /an address of this host \(local\)/],
      [TGT6, true, /an address of this host \(local\)/],
      ['198.18.0.255', true, /an address of this host \(broadcast\)/],
    ];
    for (const [src, verified, why] of cases) expect(await hook(['--timeout', '10m'], event(src, verified))).toMatch(why);
    expect(await blocked()).toEqual([]);
    // A verified outsider is blocked, which creates the table.
    expect(await hook(['--timeout', '10m'], event('198.18.1.99', true))).toMatch(/blocked 198\.18\.1\.99 for 10m/);
    expect(await blocked()).toEqual(['198.18.1.99']);
    // Put loopback and the host's own addresses into the block sets by hand: the drop rules still spare them.
    await nft('add', 'element', 'inet', 'scanwatch', 'block4', `{ 127.0.0.1 timeout 1m, ${TGT4} timeout 1m }`);
    await nft('add', 'element', 'inet', 'scanwatch', 'block6', '{ ::1 timeout 1m }');
    expect((await lab.httpGet(lab.tgtNs, `http://${sensor.listen}/metrics`)).status).toBe(200);
    expect((await lab.httpGet(lab.tgtNs, 'http://[::1]/')).status).toBe(200);
    expect((await lab.httpGet(lab.tgtNs, `http://${TGT4}/`)).status).toBe(200);
    await nft('delete', 'element', 'inet', 'scanwatch', 'block4', `{ 127.0.0.1, ${TGT4} }`);
    await nft('delete', 'element', 'inet', 'scanwatch', 'block6', '{ ::1 }');
  }, 60_000);

  it('behind a flood of 150 forged sources, a real nmap -sS is verified (its kernel resets the SYN-ACKs) and blocked; its later probes are dropped', async () => {
    // More forged scans than the hook queue holds (100): none may take the real scanner's place.
    const flood = Array.from({ length: 150 }, (_, i) => `198.18.2.${i + 1}`);
    await forgeNullSegments(flood);
    await waitUntil('the flood to be withheld', async () => ((await sensor.metric('scanwatch_hook_withheld_total', { reason: 'unverified' })) ?? 0) >= 151, {
      timeoutMs: 20_000,
      intervalMs: 250,
    });
    // Logged once per source at most, and no more than the per-second budget allows.
    expect(sensor.events('hook_withheld', (l) => String(l.src).startsWith('198.18.2.')).length).toBeLessThan(150);
    const scan = await lab.exec(lab.scanNs, 'nmap', ['-n', '-Pn', '-sS', '-p', '1-200', TGT4], { timeoutMs: 90_000 });
    expect(scan.code, scan.stderr).toBe(0);
    const started = await sensor.waitForLine('scan_started from the scanner', 'scan_started', (l) => l.src === SCAN4, 20_000);
    expect(started.direction).toBe('inbound');
    // Verified when detected, or handed over by a later look once verified.
    await waitUntil(
      'the hook to succeed',
      async () => ((await sensor.metric('scanwatch_hook_events_total', { hook: 'command', result: 'succeeded' })) ?? 0) >= 1,
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    expect(started.source_verified === true || ((await sensor.metric('scanwatch_hook_verified_later_total')) ?? 0) >= 1).toBe(true);
    expect(await sensor.metric('scanwatch_hook_events_total', { hook: 'command', result: 'failed' })).toBe(0);
    // The scanner is blocked; no forged source is, and no hook ran for one.
    expect((await blocked()).sort()).toEqual(['198.18.1.99', SCAN4].sort());
    expect(await sensor.metric('scanwatch_hook_events_total', { hook: 'command', result: 'succeeded' })).toBe(1);
    // Later probes from the scanner are dropped: a connect to the open port 80 now times out...
    expect((await lab.httpGet(lab.scanNs, `http://${TGT4}/`)).status).toBe(0);
    // ...while another host of the scanner's network still gets in.
    const other = await lab.exec(lab.scanNs, 'curl', ['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', '--interface', SCAN4_B, `http://${TGT4}/`]);
    expect(other.stdout).toBe('200');
    // ...and the target's drop rule counted them.
    const chain = await nft('list', 'chain', 'inet', 'scanwatch', 'input');
    const dropped = /ip saddr @block4 .*counter packets (\d+)/.exec(chain);
    expect(dropped, chain).not.toBeNull();
    expect(Number(dropped![1])).toBeGreaterThan(0);
  }, 120_000);

  it('refuses home-net and allow-listed sources unless told to block the home net', async () => {
    const ev = event(SCAN4_B, true, 'internal');
    await hook(['--timeout', '10m'], ev);
    expect(await nft('list', 'set', 'inet', 'scanwatch', 'block4')).not.toContain(SCAN4_B);
    await hook(['--timeout', '10m', '--allow', `${SCAN4_B}/32`, '--block-home-net'], ev);
    expect(await nft('list', 'set', 'inet', 'scanwatch', 'block4')).not.toContain(SCAN4_B);
    await nft('flush', 'set', 'inet', 'scanwatch', 'allow4');
    await hook(['--timeout', '10m', '--block-home-net'], ev);
    expect(await nft('list', 'set', 'inet', 'scanwatch', 'block4')).toContain(SCAN4_B);
  }, 60_000);

  it('stops cleanly: sensor_stopped carries the withheld counts', async () => {
    await sensor.proc.stop(5000);
    const stopped = await waitUntil('sensor_stopped', () => sensor.events('sensor_stopped')[0], { timeoutMs: 5000 });
    const withheld = stopped.hook_withheld as Record<string, number>;
    // The forged ones, and nmap's scan if it was detected before its first reset.
    expect(withheld.unverified).toBeGreaterThanOrEqual(151);
    expect(withheld.loopback).toBe(2);
    expect(stopped.hook_command).toMatchObject({ failed: 0, timedOut: 0, killedAtStop: 0 });
  }, 30_000);
});
