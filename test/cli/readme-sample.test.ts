/**
 * The README's JSON sample cannot drift: it must be what
 * `scanwatch analyze test/pcaps/nmap-syn.pcap --format json` prints, field
 * for field (every key, at every level, with the same JSON type). Values
 * that change with the build or a re-recording are not compared.
 *
 * After changing the report's fields, regenerate the block with
 *   UPDATE_README_SAMPLE=1 npx vitest run test/cli/readme-sample.test.ts
 * (the test still fails on that run, so a CI run never rewrites it silently).
 */
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli, ensureBuilt, repo } from './run-cli.js';

const README = path.join(repo, 'README.md');
const COMMAND = ['analyze', 'test/pcaps/nmap-syn.pcap', '--format', 'json'];
/** The sample is the fenced json block right after this line. */
const MARKER = '<!-- json-sample: scanwatch analyze test/pcaps/nmap-syn.pcap --format json -->';

function sampleBlock(readme: string): { start: number; end: number; text: string } {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no ${MARKER}`);
  const start = readme.indexOf('```json\n', at) + '```json\n'.length;
  const end = readme.indexOf('\n```', start);
  return { start, end, text: readme.slice(start, end) };
}

/** Every path to a value with its JSON type: "detections[].attack.id: string". Arrays by their elements. */
function shape(v: unknown, at = '$', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) {
    out.add(`${at}: array`);
    for (const x of v) shape(x, `${at}[]`, out);
  } else if (v !== null && typeof v === 'object') {
    out.add(`${at}: object`);
    for (const [k, x] of Object.entries(v)) shape(x, `${at}.${k}`, out);
  } else {
    out.add(`${at}: ${v === null ? 'null' : typeof v}`);
  }
  return out;
}

let output = '';

beforeAll(async () => {
  ensureBuilt();
  const r = await cli(COMMAND);
  expect(r.code, r.stderr).toBe(0);
  output = r.stdout.trimEnd();
}, 180_000);

describe('README JSON sample', () => {
  it('has the fields of the real output of the bundled nmap-syn capture, no more, no fewer', () => {
    const readme = fs.readFileSync(README, 'utf8');
    if (process.env.UPDATE_README_SAMPLE === '1') {
      const { start, end } = sampleBlock(readme);
      fs.writeFileSync(README, readme.slice(0, start) + output + readme.slice(end));
      throw new Error('README.md sample rewritten from the output; review it and run the test again');
    }
    const sample = JSON.parse(sampleBlock(readme).text) as unknown;
    const real = JSON.parse(output) as unknown;
    const want = [...shape(real)].sort();
    const have = [...shape(sample)].sort();
    expect(have, 'README sample differs from the output: regenerate it (see the head of this test)').toEqual(want);
  });

  it('the comparison notices a field added, removed or retyped', () => {
    const real = JSON.parse(output) as { detections: Record<string, unknown>[]; [k: string]: unknown };
    const base = [...shape(real)].sort();
    const removed = structuredClone(real);
    delete removed.detections[0]!.attack;
    const added = structuredClone(real);
    added.detections[0]!.field_no_report_has = 1;
    const retyped = structuredClone(real);
    retyped.packets = String(retyped.packets);
    for (const changed of [removed, added, retyped]) expect([...shape(changed)].sort()).not.toEqual(base);
  });

  it('is the nmap-syn capture’s report: same scan, same findings', () => {
    const sample = JSON.parse(sampleBlock(fs.readFileSync(README, 'utf8')).text) as { detections: Record<string, unknown>[] };
    const real = JSON.parse(output) as { detections: Record<string, unknown>[] };
    const keyFacts = (d: Record<string, unknown>): unknown[] => [d.src, d.type, d.pattern, d.targets, d.ports, d.probes, d.tool, d.open_ports, d.attack];
    expect(sample.detections.map(keyFacts)).toEqual(real.detections.map(keyFacts));
  });
});
