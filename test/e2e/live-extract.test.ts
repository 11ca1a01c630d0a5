/**
 * live --extract on the real capture path: fixtures replayed with
 * tcpreplay onto a bare lab link (test/e2e/lab.ts), `scanwatch live
 * --extract DIR` capturing on the other end. Each scan_ended line names its
 * file, and the file holds the packets `analyze --extract` writes for the
 * same capture (the kernel stamps replayed frames anew, so times are not
 * compared: tcpdump -t). The fixtures are the cases the report once
 * re-classified wrongly: kernel-option SYNs, two tenants with the same
 * inner addresses, a 64-source distributed scan.
 *
 * Needs root, iproute2, tcpreplay and tcpdump (scripts/test.sh installs them).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, SCAN_IF, waitUntil } from './lab.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = path.join(ROOT, 'dist/cli/main.js');
const SEED = ['--hash-seed', '20261207'];

/** tcpdump's decode of the frames, without times. */
function frames(file: string): string[] {
  const r = spawnSync('tcpdump', ['-nn', '-t', '-r', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n').filter((l) => l !== '');
}

/** Records in a classic pcap file (tcpdump prints a tunnelled frame on two lines). */
function pcapCount(file: string): number {
  const buf = fs.readFileSync(file);
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  let n = 0;
  for (let o = 24; o + 16 <= buf.length; o += 16 + (le ? buf.readUInt32LE(o + 8) : buf.readUInt32BE(o + 8))) n++;
  return n;
}

let lab: Lab;

describe('live --extract, replayed onto a lab link', () => {
  beforeAll(async () => {
    if (process.getuid?.() !== 0) throw new Error('live extract e2e: must run as root (network namespaces, raw capture)');
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build`);
    lab = await Lab.create({ root: ROOT, prefix: 'swlx', bare: true });
  }, 120_000);

  afterAll(async () => {
    await lab.destroy();
    expect(lab.remainingNamespaces()).toEqual([]);
  });

  for (const name of ['recon/syn-options', 'recon/tenants-separate', 'recon/distributed']) {
    it(`${name}: each scan's file holds what analyze --extract writes`, async () => {
      const pcap = path.join(ROOT, 'test/pcaps', `${name}.pcap`);
      const offline = path.join(lab.tmp, `${path.basename(name)}-offline`);
      const live = path.join(lab.tmp, `${path.basename(name)}-live`);
      const a = spawnSync(process.execPath, [MAIN, 'analyze', pcap, ...SEED, '--extract', offline, '--format', 'json'], { encoding: 'utf8' });
      expect(a.status, a.stderr).toBe(0);
      const want = (JSON.parse(a.stdout) as { detections: { id: number }[] }).detections.length;
      expect(want).toBeGreaterThan(0);

      const sensor = lab.startSensor([...SEED, '--extract', live], { name: `extract-${path.basename(name)}` });
      try {
        await sensor.waitForLine('sensor_started', 'sensor_started', () => true, 20_000);
        const r = await lab.exec(lab.scanNs, 'tcpreplay', ['-i', SCAN_IF, pcap], { timeoutMs: 120_000 });
        expect(r.code, r.stderr).toBe(0);
        const count = pcapCount(pcap);
        await waitUntil(`the sensor to count ${count} packets`, async () => ((await sensor.metric('scanwatch_packets_total')) ?? 0) >= count, { timeoutMs: 20_000, intervalMs: 100 });
        sensor.proc.kill('SIGTERM');
        const { code, signal } = await sensor.proc.exited;
        expect({ code, signal }, sensor.stderr).toEqual({ code: 0, signal: null });
      } finally {
        await sensor.proc.stop(2000);
      }
      const ended = sensor.lines.filter((l) => l.event === 'scan_ended' && l.merged_into === undefined);
      expect(ended).toHaveLength(want);
      const stopped = sensor.lines.find((l) => l.event === 'sensor_stopped') as { extract?: { files_written: number } } | undefined;
      expect(stopped?.extract?.files_written).toBe(want);
      // Scan ids differ between the runs; the scans are matched by their packets' contents.
      const offlineFiles = fs.readdirSync(offline).map((f) => frames(path.join(offline, f)).join('\n')).sort();
      const liveFiles = ended.map((l) => {
        const line = l as { extract_file: string | null; extract_packets_aged_out: number };
        expect(line.extract_packets_aged_out).toBe(0);
        expect(line.extract_file).not.toBeNull();
        return frames(path.join(live, line.extract_file!)).join('\n');
      });
      expect(liveFiles.sort()).toEqual(offlineFiles);
    }, 180_000);
  }
});
