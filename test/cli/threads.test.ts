/**
 * analyze --threads: files read as separate captures are analysed on worker
 * threads, each file whole by one thread. The report must be the one a
 * single thread writes, byte for byte (with the tables' hash key fixed by
 * --hash-seed: otherwise each capture draws its own, and which entries share
 * a set, so what is evicted under pressure, differs from run to run).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { corpusDir, corpusPresent } from '../corpus-dir.js';
import { cli, ensureBuilt, fixture, main, pcapSplit, repo } from './run-cli.js';

const fixtures = fs
  .readdirSync(path.join(repo, 'test/pcaps'))
  .filter((f) => /\.pcap(ng)?$/.test(f))
  .sort()
  .map((f) => fixture(f));
let corpus: string[] = [];
let tmp = '';

interface Rep {
  partial: boolean;
  packets: number;
  files: { path: string; packets: number }[];
  detections: { id: number; file: string; src: string; type: string }[];
}

beforeAll(() => {
  ensureBuilt();
  // The real captures join the fixtures where the corpus is present (test/corpus-dir.ts).
  corpus = !corpusPresent
    ? []
    : fs
        .readdirSync(corpusDir)
        .filter((f) => /\.pcap(ng)?$/.test(f))
        .sort()
        .map((f) => path.join(corpusDir, f));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-threads-'));
});

describe('analyze --threads', () => {
  it('every fixture and every real capture: --threads 3 writes the report --threads 1 writes', async () => {
    // And a damaged one: a capture cut inside a record (warned about, exit 3 either way).
    const cut = path.join(tmp, 'cut.pcap');
    const whole = fs.readFileSync(fixture('nmap-syn.pcap'));
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2) + 7));
    const files = [...fixtures, cut, ...corpus];
    expect(fixtures.length).toBeGreaterThan(15);
    if (corpusPresent) expect(corpus.length).toBeGreaterThan(15);
    const one = await cli(['analyze', ...files, '--format', 'json', '--threads', '1', '--hash-seed', '7']);
    const three = await cli(['analyze', ...files, '--format', 'json', '--threads', '3', '--hash-seed', '7']);
    expect(one.code, one.stderr).toBe(3);
    expect(one.stderr).toContain('cut.pcap');
    expect(three.code, three.stderr).toBe(3);
    const rep = JSON.parse(one.stdout) as Rep;
    expect(rep.files.map((f) => f.path)).toEqual(files);
    expect(rep.detections.length).toBeGreaterThan(corpusPresent ? 30 : 15);
    // Ids are shifted file by file in the files' order, whichever thread finished first: a file's ids lie above every earlier file's.
    const maxIdOf = (i: number): number => Math.max(0, ...rep.detections.filter((d) => d.file === files[i]).map((d) => d.id));
    const minIdOf = (i: number): number => Math.min(Infinity, ...rep.detections.filter((d) => d.file === files[i]).map((d) => d.id));
    for (let i = 1; i < files.length; i++) expect(minIdOf(i)).toBeGreaterThan(Math.max(...files.slice(0, i).map((_, k) => maxIdOf(k))));
    expect(three.stdout).toBe(one.stdout);
    expect(three.stderr).toBe(one.stderr);
  }, 180_000);

  it('table and ndjson output are the same too', async () => {
    const files = corpusPresent ? corpus.slice(0, 8) : fixtures.slice(0, 8);
    for (const format of ['table', 'ndjson']) {
      const one = await cli(['analyze', ...files, '--format', format, '--threads', '1', '--hash-seed', '3']);
      const two = await cli(['analyze', ...files, '--format', format, '--threads', '2', '--hash-seed', '3']);
      expect(one.code).toBe(0);
      expect(two.stdout).toBe(one.stdout);
    }
  }, 120_000);

  it('--hash-seed makes a run repeatable: the same file twice gives the same report', async () => {
    // This capture's figures depend on when the idle sweep reaches each flow, which follows from the key.
    const file = corpusPresent ? path.join(corpusDir, 'ef-nmap-connect-scan.pcap') : fixture('nmap-syn-horizontal.pcap');
    const a = await cli(['analyze', file, '--format', 'json', '--hash-seed', '12345']);
    const b = await cli(['analyze', file, '--format', 'json', '--hash-seed', '12345']);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
  });

  it('a file that is not a capture fails the run with the error one thread gives', async () => {
    const bad = path.join(tmp, 'notes.txt');
    fs.writeFileSync(bad, 'these are not packets\n'.repeat(10));
    const files = [fixture('nmap-syn.pcap'), bad, fixture('nmap-syn.pcap')];
    const one = await cli(['analyze', ...files, '--threads', '1']);
    const two = await cli(['analyze', ...files, '--threads', '2']);
    expect(one.code).not.toBe(0);
    expect(one.stderr.trim().split('\n')).toHaveLength(1);
    expect(one.stderr).toContain('notes.txt');
    expect(two.code).toBe(one.code);
    expect(two.stderr).toBe(one.stderr);
    expect(two.stdout).toBe('');
  });

  it('--merge and standard input are read by one thread whatever --threads says', async () => {
    const files = [fixture('nmap-syn.pcap'), fixture('nmap-udp.pcap')];
    const one = await cli(['analyze', ...files, '--merge', '--format', 'json', '--threads', '1', '--hash-seed', '1']);
    const four = await cli(['analyze', ...files, '--merge', '--format', 'json', '--threads', '4', '--hash-seed', '1']);
    expect(one.code).toBe(0);
    expect(four.stdout).toBe(one.stdout);
    const stdin = await cli(['analyze', '-', fixture('nmap-udp.pcap'), '--format', 'json', '--threads', '2', '--hash-seed', '1'], fixture('nmap-syn.pcap'));
    expect(stdin.code, stdin.stderr).toBe(0);
    expect((JSON.parse(stdin.stdout) as Rep).files.map((f) => f.path)).toEqual(['-', fixture('nmap-udp.pcap')]);
  });

  it('rejects --threads 0 and --hash-seed out of range with a usage error', async () => {
    for (const bad of [
      ['--threads', '0'],
      ['--threads', '1.5'],
      ['--threads', '65'],
      ['--hash-seed', '-1'],
      ['--hash-seed', '4294967296'],
    ]) {
      const r = await cli(['analyze', fixture('nmap-syn.pcap'), ...bad]);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain(bad[0]!);
    }
  });

  it('SIGINT stops every thread: a partial report of what was read, exit 130', async () => {
    // Two copies of a 2 M-packet capture: several seconds of work for two threads.
    const { header, records } = pcapSplit(fixture('nmap-syn.pcap'));
    const copies = 1000;
    const big = path.join(tmp, 'big.pcap');
    const fd = fs.openSync(big, 'w');
    fs.writeSync(fd, header);
    for (let c = 0; c < copies; c++) {
      const chunk = Buffer.concat(records);
      for (let o = 0; o < chunk.length; ) {
        chunk.writeUInt32LE(chunk.readUInt32LE(o) + 60 * c, o);
        o += 16 + chunk.readUInt32LE(o + 8);
      }
      fs.writeSync(fd, chunk);
    }
    fs.closeSync(fd);
    const total = 2 * copies * records.length;
    const child = spawn(process.execPath, [main, 'analyze', big, big, '--format', 'json', '--threads', '2'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Signal once the threads are well into the files: 30 MB of the 2 x 112 MB read (the process's rchar).
    const readBytes = (): number => Number(/^rchar: (\d+)/m.exec(fs.readFileSync(`/proc/${child.pid}/io`, 'utf8'))?.[1] ?? 0);
    const t0 = Date.now();
    while (readBytes() < 30e6 && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 5));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(130);
    const rep = JSON.parse(stdout) as Rep;
    expect(rep.partial).toBe(true);
    expect(rep.packets).toBeGreaterThan(0);
    expect(rep.packets).toBeLessThan(total);
    expect(rep.files.length).toBe(2);
    // The warning quotes the packets the report covers (the threads' final counts).
    expect(stderr).toContain(`interrupted: the report covers the ${rep.packets} packets read so far`);
  }, 120_000);
});
