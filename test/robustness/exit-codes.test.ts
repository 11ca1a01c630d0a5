/**
 * Issue 12, item 1: live start-up mistakes are usage errors (exit 2, one
 * line), never an internal error. These fail before any capture opens, so
 * they need no privileges.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ensureBuilt } from './cli-helper.js';
import { bufferSizeProblem, interfaceNameProblem } from '../../src/cli/live-options.js';

let tmp = '';
beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-exit-'));
}, 180_000);

function expectUsageError(r: { code: number | null; stderr: string; stdout: string }, text: RegExp): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^scanwatch: error: /);
  expect(lines[0]).not.toMatch(/internal error/);
  expect(lines[0]).toMatch(text);
}

describe('live: usage errors exit 2', () => {
  it('interface names the kernel would refuse (dev_valid_name)', () => {
    expect(interfaceNameProblem('eth0')).toBeNull();
    expect(interfaceNameProblem('any')).toBeNull();
    expect(interfaceNameProblem('veth-abc.10')).toBeNull();
    for (const bad of ['', '.', '..', 'a/b', 'eth 0', 'x'.repeat(16), 'eth0:1']) expect(interfaceNameProblem(bad)).not.toBeNull();
  });

  for (const name of ['', 'a/b', '../../x', 'x'.repeat(300)]) {
    it(`--interface ${JSON.stringify(name.slice(0, 20))}`, async () => {
      expectUsageError(await cli(['live', '--interface', name, '--listen', '127.0.0.1:0']), /--interface/);
    });
  }

  it('SCANWATCH_INTERFACE with a bad name', async () => {
    const r = await cli(['live', '--listen', '127.0.0.1:0'], { spawn: { env: { ...process.env, SCANWATCH_INTERFACE: 'a/b' } } });
    expectUsageError(r, /--interface/);
  });

  for (const body of ['null', '[]', '42', '"eth0"', '{"interface":']) {
    it(`a config file holding ${body}`, async () => {
      const file = path.join(tmp, 'config.json');
      fs.writeFileSync(file, body);
      expectUsageError(await cli(['live', '--interface', 'lo', '--config', file, '--listen', '127.0.0.1:0']), /config/);
    });
  }

  it('--buffer-size beyond what libpcap takes (a C int) or below one frame', async () => {
    expect(bufferSizeProblem(256 * 2 ** 20)).toBeNull();
    expect(bufferSizeProblem(2 ** 31 - 1)).toBeNull();
    expect(bufferSizeProblem(2 ** 31)).not.toBeNull();
    expect(bufferSizeProblem(0)).not.toBeNull();
    for (const size of ['4GiB', '2GiB', '0', '100']) {
      expectUsageError(await cli(['live', '--interface', 'lo', '--buffer-size', size, '--listen', '127.0.0.1:0']), /--buffer-size/);
    }
  });
});

describe('--max-detections', () => {
  it('bounds the detections kept; the rest are counted once each', async () => {
    const syn = (await import('./cli-helper.js')).fixture('nmap-syn.pcap');
    const r = await cli(['analyze', syn, '--max-detections', '0', '--format', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.detections).toEqual([]);
    expect(j.detections_dropped).toBe(1);
  });

  for (const bad of ['-1', '1.5', 'many']) {
    it(`--max-detections ${bad} is a usage error`, async () => {
      const r = await cli(['analyze', 'x.pcap', '--max-detections', bad]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/max-detections/);
    });
  }
});
