/**
 * --help (examples, exit codes, environment; no line broken inside a word
 * when piped), shell completion, and the man page built from the same text.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cli, ensureManPage, main, repo } from './run-cli.js';
import { ENVIRONMENT, EXAMPLES, EXIT_CODES } from '../../src/cli/help-text.js';

const MAN = path.join(repo, 'dist/scanwatch.1');

beforeAll(() => ensureManPage(MAN), 180_000);

describe('--help', () => {
  it('has examples, exit codes and environment variables, exit 0', async () => {
    const r = await cli(['--help']);
    expect(r.code).toBe(0);
    for (const [cmd] of EXAMPLES) expect(r.stdout).toContain(cmd);
    for (const [code, what] of EXIT_CODES) expect(r.stdout).toMatch(new RegExp(`^\\s+${code}\\s+${what.slice(0, 20).replace(/[()]/g, '\\$&')}`, 'm'));
    for (const [name] of ENVIRONMENT) expect(r.stdout).toContain(name);
  });

  it('piped, lines are never wrapped (no word broken), even with a narrow COLUMNS', async () => {
    const r = await cli(['analyze', '--help'], undefined, { COLUMNS: '40' });
    expect(r.code).toBe(0);
    // Each option's description is whole on the option's own line.
    for (const text of [
      'networks you defend (CIDR list); each scan is then inbound, outbound, internal or external',
      "write each scan's probes and answers to DIR/<id>-<src>-<type>.pcap",
      'read all files as one stream in timestamp order (rotated captures of one link)',
    ]) {
      expect(r.stdout.split('\n').some((l) => l.includes(text))).toBe(true);
    }
    for (const [cmd, what] of EXAMPLES) expect(r.stdout.split('\n').some((l) => l.includes(cmd) && l.includes(what))).toBe(true);
  });
});

describe('shell completion', () => {
  it('`scanwatch completion` prints a bash completion script', async () => {
    const r = await cli(['completion']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/complete -o .*scanwatch/);
    expect(r.stdout).toContain('--get-yargs-completions');
  });

  it('the script’s callback completes commands and options', async () => {
    const cmds = await cli(['--get-yargs-completions', '']);
    expect(cmds.stdout.split('\n')).toEqual(expect.arrayContaining(['analyze', 'live', 'completion']));
    const opts = await cli(['--get-yargs-completions', 'analyze', '--']);
    expect(opts.stdout.split('\n')).toEqual(expect.arrayContaining(['--format', '--merge', '--extract', '--home-net', '--quiet']));
  });
});

describe('man page (dist/scanwatch.1, written by npm run build)', () => {
  it('renders with man -l: NAME, SYNOPSIS, every option of --help, EXIT STATUS, ENVIRONMENT, EXAMPLES', async () => {
    const r = spawnSync('man', ['-l', MAN], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MANPAGER: 'cat', PAGER: 'cat' } });
    expect(r.status, r.stderr).toBe(0);
    const page = r.stdout.replace(/.\x08/g, '');
    for (const h of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'EXIT STATUS', 'ENVIRONMENT', 'EXAMPLES']) expect(page).toMatch(new RegExp(`^${h}$`, 'm'));
    // The options come from the same help text: each option line of analyze --help is in the page.
    const help = await cli(['analyze', '--help']);
    const optionLines = help.stdout.split('\n').filter((l) => /^\s+(-\w, )?--[a-z-]+\s/.test(l));
    expect(optionLines.length).toBeGreaterThanOrEqual(9);
    for (const l of optionLines) expect(page).toContain(l.trim());
    for (const [code, what] of EXIT_CODES) expect(page).toMatch(new RegExp(`^\\s+${code}\\s+${what.split(' ')[0]}`, 'm'));
    for (const [cmd] of EXAMPLES) expect(page).toContain(cmd);
  });

  it('is valid roff: groff reports no warnings', () => {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', MAN], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
