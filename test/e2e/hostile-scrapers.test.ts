/**
 * The live sensor's /metrics under hostile clients while a SYN flood
 * (bench/live/make-live-flood.mjs, lab addresses only) is replayed onto
 * the lab veth it captures on:
 *
 *  - 500 slow connections (slowloris) and 200 concurrent scrapers from
 *    inside its namespace, 100,000 packets at 50,000 packets/s: the sensor
 *    counts every frame and a normal scrape is answered;
 *  - 1,000 slow clients that reconnect the moment they are closed (500
 *    from one address, 500 from 20 more) on the scanner side of the veth,
 *    25,000 packets/s: 25 scrapes from Prometheus's own address, each
 *    answered within 1 s;
 *  - the per-client limits as set by SCANWATCH_* and flags are the ones
 *    the listener applies.
 *
 * Needs root, iproute2, tcpreplay, curl (as test/e2e/live.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, metricValue, parseMetrics, parseTcpreplay, SCAN4, SCAN4_B, SCAN_IF, sleep, TGT4, waitUntil } from './lab.js';
import { ATTACKER, loopbackAddresses, type AttackerArgs } from '../metrics/attacker-script.js';
import { RECONNECTING_CLIENTS, SCRAPER, type ReconnectingClientsArgs, type ScraperArgs } from '../metrics/reconnecting-clients.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const FLOOD_GEN = path.join(ROOT, 'bench/live/make-live-flood.mjs');
const PACKETS = 100_000;
const PORT = 9755;

let lab: Lab;

/** The 100,000-frame flood capture, written once into the lab's scratch directory. */
function floodFile(): string {
  const flood = path.join(lab.tmp, 'flood.pcap');
  if (fs.existsSync(flood)) return flood;
  const gen = spawnSync(process.execPath, [FLOOD_GEN, '--packets', String(PACKETS), '--out', flood], { encoding: 'utf8' });
  expect(gen.status, gen.stderr).toBe(0);
  return flood;
}

/** Every frame of the replay counted (past the 1 s render cache each time), or the last count seen. */
async function countedFrames(url: string, sent: number): Promise<number | null> {
  return waitUntil(
    'every frame counted',
    async () => {
      await sleep(1200);
      const v = metricValue(parseMetrics((await lab.httpGet(lab.tgtNs, url)).body), 'scanwatch_packets_total') ?? 0;
      return v >= sent ? v : false;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  ).catch(async () => metricValue(parseMetrics((await lab.httpGet(lab.tgtNs, url)).body), 'scanwatch_packets_total'));
}

describe('live sensor under hostile /metrics clients', () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('hostile-scrapers e2e: must run as root (network namespaces, raw capture)');
    for (const cmd of ['ip', 'tcpreplay', 'curl']) {
      if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) throw new Error(`hostile-scrapers e2e: ${cmd} is missing`);
    }
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: npm run build`);
    lab = await Lab.create({ root: ROOT, prefix: 'swhttp' });
  }, 120_000);

  afterAll(async () => {
    if (!lab) return;
    await lab.destroy();
    expect(lab.remainingNamespaces()).toEqual([]);
  }, 60_000);

  it('counts every frame of a 100,000-packet replay while 500 slowloris and 200 scrapers hit /metrics', async () => {
    const flood = floodFile();
    const listen = `127.0.0.1:${PORT}`;
    const sensor = lab.startSensor(['--filter', 'ether src 02:00:c6:12:ee:01', '--listen', listen, '--home-net', '198.18.0.0/15'], { listen, name: 'sensor-hostile' });
    try {
      await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 30_000);
      // Each client address may hold 8 connections: the slow ones come from
      // 64 loopback addresses (all admitted), the scrapers from 25 more.
      const args: AttackerArgs = { host: '127.0.0.1', port: PORT, slow: 500, scrapers: 200, ms: 12_000, slowFrom: loopbackAddresses(1, 64), scrapeFrom: loopbackAddresses(2, 25) };
      const attacker = lab.bg(lab.tgtNs, 'attacker', process.execPath, ['-e', ATTACKER, JSON.stringify(args)]);
      await sleep(3000); // the slow connections are open and the scrapers running
      const r = await lab.exec(lab.scanNs, 'tcpreplay', ['--pps', '50000', '-i', SCAN_IF, flood], { timeoutMs: 120_000 });
      expect(r.code, `tcpreplay: ${r.stderr}`).toBe(0);
      const sent = parseTcpreplay(r.stdout + r.stderr).actual;
      expect(sent).toBe(PACKETS);
      const url = `http://${listen}/metrics`;
      const t0 = Date.now();
      const m = await lab.httpGet(lab.tgtNs, url);
      const scrapeMs = Date.now() - t0;
      expect(m.status).toBe(200);
      console.log(`[hostile scrapers] a normal scrape (curl in the namespace, process start included) took ${scrapeMs} ms during the attack`);
      await attacker.exited;
      const a = JSON.parse(attacker.stdoutLines.at(-1)!);
      expect(a.slow_opened).toBe(500);
      expect(a.scrapes_ok).toBeGreaterThanOrEqual(200);
      const counted = await countedFrames(url, sent);
      console.log(`[hostile scrapers] sent ${sent}, counted ${counted}; attacker ${JSON.stringify(a)}`);
      expect(counted).toBe(sent);
    } finally {
      await sensor.proc.stop(3000);
    }
  }, 240_000);

  it('1,000 reconnecting slow clients (500 from one address, 500 from 20 more) and a 25,000 packets/s flood: 25 scrapes, each answered within 1 s', async () => {
    const flood = floodFile();
    const port = PORT + 1;
    // The sensor listens on its veth address; the attackers and Prometheus are across the veth.
    const listen = `${TGT4}:${port}`;
    const attackers = Array.from({ length: 20 }, (_, i) => `198.18.0.${10 + i}`);
    for (const address of attackers) {
      const add = await lab.exec(lab.scanNs, 'ip', ['addr', 'add', `${address}/24`, 'dev', SCAN_IF]);
      expect(add.code, add.stderr).toBe(0);
    }
    const sensor = lab.startSensor(['--filter', 'ether src 02:00:c6:12:ee:01', '--listen', listen, '--home-net', '198.18.0.0/15'], { listen, name: 'sensor-reconnect' });
    try {
      await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 30_000);
      const attackMs = 30_000;
      const oneAddress: ReconnectingClientsArgs = { host: TGT4, port, clients: 500, ms: attackMs, from: [SCAN4_B] };
      const manyAddresses: ReconnectingClientsArgs = { host: TGT4, port, clients: 500, ms: attackMs, from: attackers };
      const single = lab.bg(lab.scanNs, 'reconnect-one', process.execPath, ['-e', RECONNECTING_CLIENTS, JSON.stringify(oneAddress)]);
      const spread = lab.bg(lab.scanNs, 'reconnect-many', process.execPath, ['-e', RECONNECTING_CLIENTS, JSON.stringify(manyAddresses)]);
      await sleep(2000); // the reconnect loops are running
      // 500,000 frames at 25,000/s: 20 s of flood, longer than the scrapes take.
      const replayStart = Date.now();
      const replay = lab.exec(lab.scanNs, 'tcpreplay', ['--pps', '25000', '--loop', '5', '-i', SCAN_IF, flood], { timeoutMs: 120_000 });
      await sleep(1000);
      const scrapes: ScraperArgs = { url: `http://${listen}/metrics`, from: SCAN4, count: 25, intervalMs: 300, timeoutMs: 5_000 };
      const scraper = lab.bg(lab.scanNs, 'prometheus-like', process.execPath, ['-e', SCRAPER, JSON.stringify(scrapes)]);
      await scraper.exited;
      const scrapesEndedAt = Date.now();
      const r = await replay;
      expect(r.code, `tcpreplay: ${r.stderr}`).toBe(0);
      const stats = parseTcpreplay(r.stdout + r.stderr);
      await Promise.all([single.exited, spread.exited]);
      const one = JSON.parse(single.stdoutLines.at(-1)!);
      const many = JSON.parse(spread.stdoutLines.at(-1)!);
      const scraped = scraper.stdoutLines.map((l) => JSON.parse(l) as { status: number; ms: number });
      const times = scraped.map((s) => s.ms);
      const url = `http://${listen}/metrics`;
      const samples = parseMetrics((await lab.httpGet(lab.tgtNs, url)).body);
      const refused = (reason: string): number => metricValue(samples, 'scanwatch_http_connections_refused_total', { reason }) ?? 0;
      console.log(
        `[hostile scrapers] 25 scrapes during ${stats.pps} packets/s and 1,000 reconnecting slow clients: ${times.join(', ')} ms (max ${Math.max(...times)}); ` +
          `statuses ${[...new Set(scraped.map((s) => s.status))].join(',')}; refused per_client ${refused('per_client')}, rate ${refused('rate')}, total ${refused('total')}; ` +
          `one address ${JSON.stringify(one)}; 20 addresses ${JSON.stringify(many)}`,
      );
      // Every scrape answered, each within a second, all while the flood ran.
      expect(scraped).toHaveLength(25);
      for (const s of scraped) expect(s.status).toBe(200);
      expect(Math.max(...times)).toBeLessThan(1000);
      expect(scrapesEndedAt - replayStart).toBeLessThan(stats.seconds * 1000);
      expect(stats.actual).toBe(5 * PACKETS);
      expect(stats.pps).toBeGreaterThan(20_000);
      // The attack was real: both groups kept coming back, and were turned away at accept.
      for (const g of [one, many]) expect(g.connects).toBeGreaterThan(1000);
      expect(refused('per_client')).toBeGreaterThan(1000);
      // And the capture kept up: every frame of the flood counted.
      const counted = await countedFrames(url, stats.actual);
      console.log(`[hostile scrapers] sent ${stats.actual}, counted ${counted}`);
      expect(counted).toBe(stats.actual);
    } finally {
      await sensor.proc.stop(3000);
    }
  }, 240_000);

  it('the per-client limits come from the settings (SCANWATCH_METRICS_CLIENT_CONNECTIONS=2, --metrics-client-rate)', async () => {
    const port = PORT + 2;
    const listen = `127.0.0.1:${port}`;
    const sensor = lab.startSensor(['--filter', 'ether src 02:00:c6:12:ee:01', '--listen', listen, '--metrics-client-rate', '1'], {
      listen,
      name: 'sensor-limits',
      env: { SCANWATCH_METRICS_CLIENT_CONNECTIONS: '2' },
    });
    try {
      await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 30_000);
      // Three slow clients from one address for 3 s: two hold their
      // connections (the headers timeout is 5 s), the third is reset
      // again and again.
      const args: ReconnectingClientsArgs = { host: '127.0.0.1', port, clients: 3, ms: 3_000, from: ['127.0.9.1'] };
      const clients = lab.bg(lab.tgtNs, 'three-slow', process.execPath, ['-e', RECONNECTING_CLIENTS, JSON.stringify(args)]);
      await clients.exited;
      const a = JSON.parse(clients.stdoutLines.at(-1)!);
      // Six scrapes in a row from another address: its burst at 1/s is 2.
      const scrapes: ScraperArgs = { url: `http://${listen}/metrics`, from: '127.0.9.2', count: 6, intervalMs: 0, timeoutMs: 5_000 };
      const scraper = lab.bg(lab.tgtNs, 'six-scrapes', process.execPath, ['-e', SCRAPER, JSON.stringify(scrapes)]);
      await scraper.exited;
      const statuses = scraper.stdoutLines.map((l) => (JSON.parse(l) as { status: number }).status);
      await sleep(1200); // past the render cache the scrapes filled
      const samples = await sensor.metrics();
      const refused = (reason: string): number => metricValue(samples, 'scanwatch_http_connections_refused_total', { reason }) ?? 0;
      console.log(`[hostile scrapers] 3 slow clients, 2 allowed: refused per_client ${refused('per_client')}, rate ${refused('rate')}; clients ${JSON.stringify(a)}; 6 scrapes at 1/s: ${statuses.join(',')}`);
      expect(a.held_at_end).toBe(2);
      expect(a.reset + a.connect_errors).toBeGreaterThan(0);
      expect(refused('per_client')).toBe(a.reset + a.connect_errors);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses.filter((x) => x === 0).length).toBeGreaterThanOrEqual(3);
      expect(refused('rate')).toBe(statuses.filter((x) => x === 0).length);
    } finally {
      await sensor.proc.stop(3000);
    }
  }, 120_000);
});
