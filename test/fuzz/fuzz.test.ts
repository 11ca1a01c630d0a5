/**
 * The fuzzing harness in the test suite. A fixed seed,
 * 3,000 mutated captures from test/pcaps in-process (reader, engine,
 * report in every format), 200 of them also through the built CLI (10 s
 * limit each), and every saved crasher in test/fuzz/crashers. Any number
 * more: `npm run fuzz -- --cases N --seed S` (test/fuzz/README.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureParser } from '../../src/capture/capture-parser.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/report/report.js';
import { renderTable } from '../../src/report/table.js';
import { defaultConfig } from '../../src/rules/config.js';
import { ensureBuilt } from '../robustness/cli-helper.js';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { loadFixtures, makeCase, ROOT } from './mutator.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { runCli, runInProcess } from './harness.mjs';

const mods = { CaptureParser, Engine, buildReport, renderTable, defaultConfig };
const SEED = 20261130;
const CASES = 3000;
const CLI_EVERY = 15;

interface Outcome {
  ok: boolean;
  exit: number | null;
  ms: number;
  error?: string;
}

const fixtures = loadFixtures();
const crasherDir = path.join(ROOT as string, 'test/fuzz/crashers');
let tmp = '';

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-fuzz-test-'));
}, 180_000);

afterAll(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

describe('mutation fuzzing', () => {
  it(`${CASES} mutated captures in-process: no exception, valid report in every format`, () => {
    const exits: Record<number, number> = {};
    const failures: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(fixtures, SEED, i);
      const r = runInProcess(mods, c.bytes, { small: i % 10 !== 0 }) as Outcome;
      if (!r.ok) failures.push(`case ${i} (${c.name}: ${c.steps.join(' ')}): ${r.error}`);
      exits[r.exit ?? -1] = (exits[r.exit ?? -1] ?? 0) + 1;
    }
    expect(failures).toEqual([]);
    // The mutations reach every outcome: clean, rejected, damaged.
    expect(exits[0]).toBeGreaterThan(CASES / 20);
    expect(exits[1]).toBeGreaterThan(CASES / 100);
    expect(exits[3]).toBeGreaterThan(CASES / 5);
  }, 1_200_000);

  it(`${CASES / CLI_EVERY} of them through the CLI: exit 0, 1 or 3, valid output, under 10 s`, async () => {
    const failures: string[] = [];
    const exits = new Set<number | null>();
    const queue: number[] = [];
    for (let i = 0; i < CASES; i += CLI_EVERY) queue.push(i);
    const worker = async (): Promise<void> => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const c = makeCase(fixtures, SEED, i);
        const file = path.join(tmp, `case${i}`);
        fs.writeFileSync(file, c.bytes);
        const format = ['json', 'ndjson', 'table'][(i / CLI_EVERY) % 3]!;
        const r = (await runCli(file, format)) as Outcome;
        exits.add(r.exit);
        if (!r.ok) failures.push(`case ${i} --format ${format} (${c.name}: ${c.steps.join(' ')}): ${r.error}`);
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures).toEqual([]);
    expect([...exits].sort()).toEqual([0, 1, 3]);
  }, 1_200_000);

  it('every saved crasher is handled (in-process and through the CLI)', async () => {
    const files = fs.readdirSync(crasherDir).filter((f) => /\.pcap(ng)?$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files) {
      const file = path.join(crasherDir, f);
      const info = JSON.parse(fs.readFileSync(file.replace(/\.pcap(ng)?$/, '.json'), 'utf8'));
      expect(info.error, f).toBeTruthy();
      const inproc = runInProcess(mods, fs.readFileSync(file)) as Outcome;
      expect(inproc.error ?? 'ok', f).toBe('ok');
      const r = (await runCli(file, 'json')) as Outcome;
      expect(r.error ?? 'ok', f).toBe('ok');
      expect([0, 1, 3]).toContain(r.exit);
    }
  }, 300_000);
});
