/**
 * The exit codes are documented three times (README "Exit codes", the
 * --help epilog, the man page built from it): the README paragraph and
 * the help table name the same codes, and every exit code constant of
 * the program is among them. help-man.test.ts checks that --help and the
 * man page print the table.
 */
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { repo } from './run-cli.js';
import { EXIT_CODES } from '../../src/cli/help-text.js';
import * as errors from '../../src/cli/errors.js';
import { EXIT_INTERRUPTED } from '../../src/cli/analyze.js';
import { EXIT_CAPTURE_LOST } from '../../src/cli/live.js';

/** The codes the README's "Exit codes: 0 done; 1 ...; 130 ..." paragraph lists, in order. */
function readmeCodes(): number[] {
  const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');
  const start = readme.indexOf('\nExit codes: ');
  expect(start, 'README has an "Exit codes:" paragraph').toBeGreaterThan(0);
  const paragraph = readme.slice(start + 1, readme.indexOf('\n\n', start + 1)).replace(/\s+/g, ' ');
  return [...paragraph.matchAll(/(?:^Exit codes:|;) (\d+) /g)].map((m) => Number(m[1]));
}

describe('documented exit codes', () => {
  it('README and --help list the same codes, in the same order', () => {
    const help = EXIT_CODES.map(([code]) => Number(code));
    expect(readmeCodes()).toEqual(help);
    expect(help).toEqual([0, 1, 2, 3, 74, 130]);
  });

  it('every exit code the program uses is documented', () => {
    const documented = new Set(EXIT_CODES.map(([code]) => Number(code)));
    const used = [
      ...Object.entries(errors)
        .filter(([name]) => name.startsWith('EXIT_'))
        .map(([, v]) => v as number),
      EXIT_INTERRUPTED,
      EXIT_CAPTURE_LOST,
    ];
    expect(used).toContain(errors.EXIT_OUTPUT);
    for (const code of used) expect(documented.has(code), `exit code ${code}`).toBe(true);
  });

  it('the output-fault code is its own: distinct from done, input, usage, damaged and interrupted', () => {
    expect([0, errors.EXIT_INPUT_ERROR, errors.EXIT_USAGE, errors.EXIT_INPUT_DAMAGED, EXIT_INTERRUPTED]).not.toContain(errors.EXIT_OUTPUT);
  });
});
