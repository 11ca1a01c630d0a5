/**
 * Issue 12, item 7, end to end: while 500 slow connections (slowloris) and
 * 200 concurrent scrapers hit the live sensor's /metrics from inside its
 * namespace, a 100,000-packet SYN flood (bench/live/make-live-flood.mjs,
 * lab addresses only) is replayed at 50,000 packets/s onto the lab veth:
 * at the default --buffer-size the sensor counts every frame, and a
 * normal scrape is answered.
 *
 * Needs root, iproute2, tcpreplay, curl (as test/e2e/live.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, metricValue, parseMetrics, parseTcpreplay, SCAN_IF, sleep, waitUntil } from './lab.js';
import { ATTACKER } from '../metrics/attacker-script.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const FLOOD_GEN = path.join(ROOT, 'bench/live/make-live-flood.mjs');
const PACKETS = 100_000;
const PORT = 9755;

let lab: Lab;

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
    const flood = path.join(lab.tmp, 'flood.pcap');
    const gen = spawnSync(process.execPath, [FLOOD_GEN, '--packets', String(PACKETS), '--out', flood], { encoding: 'utf8' });
    expect(gen.status, gen.stderr).toBe(0);
    const listen = `127.0.0.1:${PORT}`;
    const sensor = lab.startSensor(['--filter', 'ether src 02:00:c6:12:ee:01', '--listen', listen, '--home-net', '198.18.0.0/15'], { listen, name: 'sensor-hostile' });
    try {
      await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 30_000);
      const attacker = lab.bg(lab.tgtNs, 'attacker', process.execPath, ['-e', ATTACKER, String(PORT), '500', '200', '12000']);
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
      const counted = await waitUntil(
        'every frame counted',
        async () => {
          await sleep(1200); // past the 1 s render cache
          const v = metricValue(parseMetrics((await lab.httpGet(lab.tgtNs, url)).body), 'scanwatch_packets_total') ?? 0;
          return v >= sent ? v : false;
        },
        { timeoutMs: 30_000, intervalMs: 200 },
      ).catch(async () => metricValue(parseMetrics((await lab.httpGet(lab.tgtNs, url)).body), 'scanwatch_packets_total'));
      console.log(`[hostile scrapers] sent ${sent}, counted ${counted}; attacker ${JSON.stringify(a)}`);
      expect(counted).toBe(sent);
    } finally {
      await sensor.proc.stop(3000);
    }
  }, 240_000);
});
