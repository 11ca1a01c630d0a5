/**
 * The red-team suite: attacks on the sensor itself, run against the live
 * sensor in a network-namespace lab (test/e2e/lab.ts) with the tools an
 * attacker would use: nmap for the real scans, tcpreplay for floods of
 * forged frames written here (one SYN, NULL or QinQ frame per forged
 * source). Each asserts that the sensor survives and still reports the
 * real scanner. Companion suites: the response hooks (response.test.ts),
 * full disks (full-disk.test.ts), hostile /metrics clients
 * (hostile-scrapers.test.ts), every recorded attack replayed
 * (live-replay.test.ts), mutated frames (fuzz-live.test.ts).
 *
 * All traffic stays in 198.18.0.0/15 and 2001:db8::/32 inside the lab's
 * namespaces; forged sources are from 198.19.0.0/16, which the target
 * cannot route back to, so floods go unanswered as spoofed floods do.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashIpv6 } from '../../src/decode/address.js';
import { buildPcap, type PcapRecord } from '../capture/build-capture.js';
import { ip6, tcp } from '../engine/packets.js';
import { Lab, type LogLine, parseTcpreplay, SCAN4, SCAN6, SCAN_IF, type Sensor, sleep, TGT4, TGT6, TGT_IF, waitUntil } from './lab.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const HOME = '198.18.0.0/15';

/** A classic pcap of frames 10 us apart (tcpreplay --pps ignores the times). */
function writeFrames(file: string, frames: Buffer[]): void {
  const t0 = 1_800_000_000;
  const records: PcapRecord[] = frames.map((data, i) => ({ sec: t0 + Math.floor(i / 100_000), frac: (i % 100_000) * 10, data }));
  fs.writeFileSync(file, buildPcap(records));
}

const forged = (i: number): string => `198.19.${(i >> 8) & 255}.${i & 255}`;

/** `sources` forged sources, each sending `each` segments with `flags` to distinct ports of the target. */
function forgedFlood(sources: number, each: number, flags: string): Buffer[] {
  const out: Buffer[] = [];
  for (let s = 0; s < sources; s++) {
    for (let k = 0; k < each; k++) out.push(tcp({ src: forged(s), dst: TGT4, sport: 1024 + ((s * 7 + k) % 60000), dport: 5000 + k, flags, seq: s * 31 + k, window: 1024 }));
  }
  return out;
}

function scans(sensor: Sensor, event: string, from = 0): LogLine[] {
  return sensor.events(event, () => true, from);
}

async function replay(lab: Lab, file: string, pps: number): Promise<number> {
  const r = await lab.exec(lab.scanNs, 'tcpreplay', ['--pps', String(pps), '-i', SCAN_IF, file], { timeoutMs: 300_000 });
  expect(r.code, `tcpreplay: ${r.stderr}`).toBe(0);
  return parseTcpreplay(r.stdout + r.stderr).actual;
}

async function stopped(sensor: Sensor): Promise<LogLine> {
  sensor.proc.kill('SIGTERM');
  const exit = await sensor.proc.exited;
  expect({ code: exit.code, signal: exit.signal }, `sensor exit; stderr: ${sensor.stderr}`).toEqual({ code: 0, signal: null });
  const line = sensor.lines.find((l) => l.event === 'sensor_stopped');
  expect(line, `sensor_stopped; ${sensor.lines.length} lines; events ${JSON.stringify(sensor.lines.reduce<Record<string, number>>((a, l) => ((a[String(l.event)] = (a[String(l.event)] ?? 0) + 1), a), {}))}; non-JSON ${JSON.stringify(sensor.nonJson.slice(0, 3))}; stderr ${sensor.stderr}`).toBeDefined();
  return line!;
}

let lab: Lab;
let port = 9760;

describe('red team: attacks on the live sensor', () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('red-team e2e: must run as root (network namespaces, raw capture)');
    for (const cmd of ['ip', 'tcpreplay', 'nmap', 'curl']) {
      if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`red-team e2e: ${cmd} is missing (scripts/test.sh installs it)`);
    }
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
    lab = await Lab.create({ root: ROOT, prefix: 'swred' });
  }, 120_000);

  afterAll(async () => {
    await lab?.destroy();
    if (lab) expect(lab.remainingNamespaces()).toEqual([]);
  });

  function sensorWith(args: string[], name: string): Sensor {
    const listen = `127.0.0.1:${port++}`;
    return lab.startSensor(['--listen', listen, '--home-net', HOME, ...args], { listen, name });
  }

  it('20,000 one-packet forged NULL probes take no detection; the real nmap -sN and -sS after them are reported (--max-detections 100)', async () => {
    const flood = path.join(lab.tmp, 'null-1.pcap');
    writeFrames(flood, forgedFlood(20_000, 1, ''));
    const sensor = sensorWith(['--max-detections', '100'], 'sensor-null1');
    await sensor.waitForLine('sensor_started', 'sensor_started');
    expect(await replay(lab, flood, 20_000)).toBe(20_000);
    for (const how of ['-sN', '-sS']) {
      const r = await lab.exec(lab.scanNs, 'nmap', ['-n', '-Pn', how, '-p', '1-200', TGT4], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    await sensor.waitForLine('the nmap SYN scan', 'scan_started', (l) => l.src === SCAN4 && l.type === 'tcp-syn', 30_000);
    const started = scans(sensor, 'scan_started');
    expect(started.filter((l) => String(l.src).startsWith('198.19.'))).toEqual([]);
    expect(started.map((l) => `${l.src} ${l.type}`).sort()).toEqual([`${SCAN4} tcp-null`, `${SCAN4} tcp-syn`]);
    const stop = await stopped(sensor);
    expect(stop.detections_dropped).toBe(0);
  }, 240_000);

  it('a book full of forged three-probe NULL scans: the real nmap -sS takes a weak one\'s place (--max-detections 50)', async () => {
    const flood = path.join(lab.tmp, 'null-3.pcap');
    writeFrames(flood, forgedFlood(300, 3, ''));
    const sensor = sensorWith(['--max-detections', '50'], 'sensor-null3');
    await sensor.waitForLine('sensor_started', 'sensor_started');
    await replay(lab, flood, 10_000);
    await waitUntil('the book full of forged scans', () => scans(sensor, 'scan_started').length >= 50, { timeoutMs: 20_000 });
    await waitUntil('250 forged scans counted as dropped', async () => ((await sensor.metric('scanwatch_detections_dropped_total')) ?? 0) >= 250, { timeoutMs: 10_000, intervalMs: 300 });
    const r = await lab.exec(lab.scanNs, 'nmap', ['-n', '-Pn', '-sS', '-p', '1-300', TGT4], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const mine = await sensor.waitForLine('the nmap scan', 'scan_started', (l) => l.src === SCAN4, 30_000);
    expect(mine.type).toBe('tcp-syn');
    // The place it took: a forged scan ended as evicted.
    expect(scans(sensor, 'scan_ended').some((l) => l.evicted === true && String(l.src).startsWith('198.19.'))).toBe(true);
    const stop = await stopped(sensor);
    const ended = scans(sensor, 'scan_ended').filter((l) => l.src === SCAN4);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.ports).toBe(300);
    expect(stop.detections_dropped as number).toBeGreaterThanOrEqual(251);
  }, 240_000);

  it('a flood of 100,000 forged SYNs and three-probe NULL scans at 25,000 packets/s: the sensor keeps up (lag, no log line lost, /metrics within 1 s) and reports the nmap scan made during it', async () => {
    const frames = [...forgedFlood(60_000, 1, 'S'), ...forgedFlood(13_334, 3, '')];
    // Interleave the two kinds, as a flood would.
    frames.sort((a, b) => (a.readUInt32BE(26) ^ 0x5bd1e995) - (b.readUInt32BE(26) ^ 0x5bd1e995));
    const flood = path.join(lab.tmp, 'mixed.pcap');
    writeFrames(flood, frames);
    const sensor = sensorWith([], 'sensor-25k');
    await sensor.waitForLine('sensor_started', 'sensor_started');
    await sensor.metrics(); // a first scrape resets the lag gauge
    const replaying = replay(lab, flood, 25_000);
    const scrapeMs: number[] = [];
    let lag = 0;
    const scraper = (async () => {
      for (let i = 0; i < 8; i++) {
        await sleep(400);
        const t0 = Date.now();
        const m = await sensor.metrics();
        scrapeMs.push(Date.now() - t0);
        lag = Math.max(lag, m.find((s) => s.name === 'scanwatch_capture_lag_seconds')?.value ?? 0);
      }
    })();
    await sleep(1000);
    const r = await lab.exec(lab.scanNs, 'nmap', ['-n', '-Pn', '-sS', '-p', '1-500', TGT4], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const sent = await replaying;
    await scraper;
    await sensor.waitForLine('the nmap scan', 'scan_started', (l) => l.src === SCAN4 && l.type === 'tcp-syn', 30_000);
    const final = await sensor.metrics();
    lag = Math.max(lag, final.find((s) => s.name === 'scanwatch_capture_lag_seconds')?.value ?? 0);
    const stop = await stopped(sensor);
    console.log(`[red team 25k pps] sent ${sent}, counted ${String(stop.packets)}, scrapes ${scrapeMs.join(', ')} ms, max lag ${lag.toFixed(3)} s, log lines dropped ${String(stop.log_lines_dropped)}, kernel drops ${String(stop.kernel_drops)}`);
    expect(sent).toBe(frames.length);
    expect(stop.kernel_drops).toBe(0);
    expect(stop.log_lines_dropped).toBe(0);
    expect(lag).toBeLessThan(1);
    for (const ms of scrapeMs) expect(ms).toBeLessThan(1000);
    expect(scans(sensor, 'scan_ended').filter((l) => l.src === SCAN4).map((l) => l.ports)).toEqual([500]);
  }, 300_000);

  it('two floods of 100,000 forged three-probe NULL scans (300,000 frames each): RSS stays under the unit\'s MemoryMax, and the second flood reuses the first\'s memory', async () => {
    const flood = path.join(lab.tmp, 'scans-100k.pcap');
    writeFrames(flood, forgedFlood(100_000, 3, ''));
    const sensor = sensorWith([], 'sensor-mem');
    await sensor.waitForLine('sensor_started', 'sensor_started');
    const rss = async (): Promise<number> => {
      await sleep(1100); // past the render cache
      return (await sensor.metric('process_resident_memory_bytes')) ?? 0;
    };
    const atStart = await rss();
    const peaks: number[] = [];
    const afterQuiet: number[] = [];
    for (let round = 0; round < 2; round++) {
      expect(await replay(lab, flood, 50_000)).toBe(300_000);
      await waitUntil('the flood counted', async () => ((await sensor.metric('scanwatch_scans_active')) ?? 0) >= 99_000, { timeoutMs: 60_000, intervalMs: 500 });
      peaks.push(await rss());
      // The scans end after 60 s of quiet; their memory is freed for the next flood.
      await waitUntil('the forged scans to end', async () => ((await sensor.metric('scanwatch_scans_active')) ?? 1) === 0, { timeoutMs: 120_000, intervalMs: 2000 });
      afterQuiet.push(await rss());
    }
    const stop = await stopped(sensor);
    const mib = (b: number): string => (b / 2 ** 20).toFixed(0);
    console.log(`[red team memory] RSS at start ${mib(atStart)} MiB; flood peaks ${peaks.map(mib).join(', ')} MiB; after the quiet ${afterQuiet.map(mib).join(', ')} MiB; scans summarized ${String(stop.scans_summarized)}`);
    // systemd/scanwatch.service: MemoryMax=640M, ring included.
    for (const p of peaks) expect(p).toBeLessThan(640 * 2 ** 20);
    expect(peaks[1]!).toBeLessThan(peaks[0]! * 1.15);
    expect(stop.log_lines_dropped).toBe(0);
  }, 400_000);

  it('IPv6: nmap -6 from an address whose fixed-seed hash collides with a client\'s is reported under its own address, not the client\'s', async () => {
    // Two addresses of the lab's 2001:db8::/64 with the same hash under the old fixed seed.
    const OLD_FIXED_SEED = 0x2f0f3a5b;
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const a = `2001:db8::${(0x100 + (i & 0xfff)).toString(16)}:0:0:${(0x100 + (i >>> 12)).toString(16)}`;
      const h = hashIpv6(ip6(a), 0, OLD_FIXED_SEED);
      const other = seen.get(h);
      if (other !== undefined) pair = [other, a];
      else seen.set(h, a);
    }
    const [client, scanner] = pair;
    for (const a of pair) {
      const add = await lab.exec(lab.scanNs, 'ip', ['-6', 'addr', 'add', `${a}/64`, 'dev', SCAN_IF, 'nodad']);
      expect(add.code, add.stderr).toBe(0);
    }
    const sensor = sensorWith([], 'sensor-v6');
    await sensor.waitForLine('sensor_started', 'sensor_started');
    // The client speaks first: two ordinary requests to the web server.
    for (let k = 0; k < 2; k++) {
      const c = await lab.exec(lab.scanNs, 'curl', ['-s', '-o', '/dev/null', '--interface', client, `http://[${TGT6}]/`], { timeoutMs: 20_000 });
      expect(c.code, c.stderr).toBe(0);
    }
    const r = await lab.exec(lab.scanNs, 'nmap', ['-6', '-n', '-Pn', '-sS', '-S', scanner, '-e', SCAN_IF, '-p', '1-200', TGT6], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    await sensor.waitForLine('the IPv6 scan', 'scan_started', (l) => l.type === 'tcp-syn', 30_000);
    await stopped(sensor);
    const ended = scans(sensor, 'scan_ended');
    expect(ended.map((l) => l.src)).toEqual([scanner]);
    expect(ended[0]!.ports).toBe(200);
    // And not from the lab's own scanner address either.
    expect(ended.every((l) => l.src !== SCAN6)).toBe(true);
  }, 240_000);

  it('nmap -sS --data-length 1200 --mtu 600 of 1,000 ports: found at the default snaplen and at --snaplen 512', async () => {
    for (const args of [[], ['--snaplen', '512']]) {
      const sensor = sensorWith(args, `sensor-frag${args.length}`);
      await sensor.waitForLine('sensor_started', 'sensor_started');
      const r = await lab.exec(lab.scanNs, 'nmap', ['-n', '-Pn', '-sS', '--data-length', '1200', '--mtu', '600', '-p', '1-1000', TGT4], { timeoutMs: 180_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/997 closed|Not shown: 997/);
      await sensor.waitForLine('the fragmented scan', 'scan_started', (l) => l.src === SCAN4, 30_000);
      await stopped(sensor);
      const ended = scans(sensor, 'scan_ended').filter((l) => l.src === SCAN4);
      expect(ended.map((l) => [l.type, l.ports]), JSON.stringify(args)).toEqual([['tcp-syn', 1000]]);
    }
  }, 400_000);
});

describe('red team: forged tenants on a replay link', () => {
  let bare: Lab;
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('red-team e2e: must run as root');
    bare = await Lab.create({ root: ROOT, prefix: 'swredq', bare: true });
  }, 120_000);
  afterAll(async () => {
    await bare?.destroy();
  });

  it('40,000 forged QinQ tag pairs, then two customers scanning: their scans say tenant "overflow" (not null), overflow counted in /metrics', async () => {
    const frames: Buffer[] = [];
    for (let k = 0; k < 40_000; k++) {
      frames.push(tcp({ src: '198.19.0.9', dst: TGT4, sport: 1234, dport: 80, flags: 'A', window: 512, vlans: [{ tpid: 0x88a8, vid: 100 + (k >> 12) }, { tpid: 0x8100, vid: k & 0xfff }] }));
    }
    for (const inner of [10, 20]) {
      const vlans = [{ tpid: 0x88a8, vid: 7 }, { tpid: 0x8100, vid: inner }];
      for (let p = 1; p <= 30; p++) {
        frames.push(tcp({ src: SCAN4, dst: TGT4, sport: 40000, dport: p + inner * 100, flags: 'S', window: 1024, options: { mss: 1460 }, vlans }));
        frames.push(tcp({ src: TGT4, dst: SCAN4, sport: p + inner * 100, dport: 40000, flags: 'RA', ack: 1, vlans }));
      }
    }
    const file = path.join(bare.tmp, 'qinq.pcap');
    writeFrames(file, frames);
    const listen = '127.0.0.1:9750';
    const sensor = bare.startSensor(['--listen', listen], { listen, name: 'sensor-qinq', iface: TGT_IF });
    await sensor.waitForLine('sensor_started', 'sensor_started');
    expect(await replay(bare, file, 20_000)).toBe(frames.length);
    await waitUntil('every frame counted', async () => ((await sensor.metric('scanwatch_packets_total')) ?? 0) >= frames.length, { timeoutMs: 30_000 });
    expect((await sensor.metric('scanwatch_tenant_overflow_packets_total')) ?? 0).toBeGreaterThan(0);
    await stopped(sensor);
    const ended = scans(sensor, 'scan_ended');
    expect(ended.map((l) => [l.src, l.tenant])).toEqual([[SCAN4, 'overflow']]);
  }, 240_000);
});
