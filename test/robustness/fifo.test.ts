/**
 * Issue 12, item 2: inputs are opened once. A FIFO with a writer, a process
 * substitution (/dev/fd/N) and standard input are read to the end as
 * streams. Fixture: test/pcaps/nmap-syn.pcap (nmap -sS -p 1-1000
 * 198.18.0.2 from 198.18.0.1).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ensureBuilt, fixture, main, repo } from './cli-helper.js';

const SYN = fixture('nmap-syn.pcap');
const UDP = fixture('nmap-udp.pcap');
let tmp = '';

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-fifo-'));
}, 180_000);

function synReported(stdout: string, packets: number): void {
  const j = JSON.parse(stdout);
  expect(j.packets).toBe(packets);
  const d = j.detections.find((x: { src: string; type: string }) => x.src === '198.18.0.1' && x.type === 'tcp-syn');
  expect(d.ports).toBe(1000);
}

const synPackets = (): number => JSON.parse(spawnSync(process.execPath, [main, 'analyze', SYN, '--format', 'json'], { encoding: 'utf8' }).stdout).packets;

describe('inputs that can be read only once', () => {
  it('a FIFO with a writer: read to the end, the writer is not killed by SIGPIPE', async () => {
    const fifo = path.join(tmp, 'capture.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // The writer writes the capture in small pieces, as tcpdump -w - would.
    const writer = spawn('sh', ['-c', `dd if="${SYN}" bs=4096 2>/dev/null > "${fifo}"`]);
    const writerDone = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => writer.on('close', (code, signal) => resolve({ code, signal })));
    const r = await cli(['analyze', fifo, '--format', 'json'], { timeoutMs: 20_000 });
    const w = await writerDone;
    expect(w.signal).toBeNull();
    expect(w.code).toBe(0);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(0);
    synReported(r.stdout, synPackets());
  }, 30_000);

  it('two FIFOs, each with its writer, as one stream of packets', async () => {
    const a = path.join(tmp, 'a.fifo');
    const b = path.join(tmp, 'b.fifo');
    expect(spawnSync('mkfifo', [a, b]).status).toBe(0);
    const wa = spawn('sh', ['-c', `cat "${SYN}" > "${a}"`]);
    const wb = spawn('sh', ['-c', `cat "${UDP}" > "${b}"`]);
    const r = await cli(['analyze', a, b, '--format', 'json'], { timeoutMs: 20_000 });
    await Promise.all([wa, wb].map((w) => new Promise((res) => (w.exitCode !== null ? res(null) : w.on('close', res)))));
    expect(wa.exitCode).toBe(0);
    expect(wb.exitCode).toBe(0);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.files.map((f: { path: string }) => f.path)).toEqual([a, b]);
    expect(j.detections.some((d: { type: string }) => d.type === 'tcp-syn')).toBe(true);
    expect(j.detections.some((d: { type: string }) => d.type === 'udp')).toBe(true);
  }, 30_000);

  it('process substitution (/dev/fd/N) and -', async () => {
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${main}" analyze <(cat "${SYN}") --format json`], { cwd: repo, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(0);
    synReported(r.stdout, synPackets());
    const s = await cli(['analyze', '-', '--format', 'json'], { stdin: fs.readFileSync(SYN) });
    expect(s.code).toBe(0);
    synReported(s.stdout, synPackets());
  }, 30_000);

  it('a FIFO whose writer sends something that is not a capture: exit 1, one line, no hang', async () => {
    const fifo = path.join(tmp, 'text.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `echo "hello world, not a capture" > "${fifo}"`]);
    const r = await cli(['analyze', fifo], { timeoutMs: 20_000 });
    await new Promise((res) => (writer.exitCode !== null ? res(null) : writer.on('close', res)));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a pcap or pcapng capture/);
  }, 30_000);
});
