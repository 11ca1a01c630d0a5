/**
 * One declaration per option (src/cli/options.ts): no option is declared
 * twice or anywhere else, and each one reaches yargs, --help, the man page
 * and the checks of SCANWATCH_* and the config file.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configFileRows } from '../../src/cli/config-doc.js';
import { envName, OPTIONS, optionsOf, type Command, type OptionSpec } from '../../src/cli/options.js';
import { checkEnvironment, SettingsError } from '../../src/cli/settings.js';
import { yargsOptions } from '../../src/cli/yargs-options.js';
import { TECHNIQUE_NAMES } from '../../src/rules/techniques.js';
import { cli, ensureManPage, main, repo } from './run-cli.js';

const MAN = path.join(repo, 'dist/scanwatch.1');
const COMMANDS: Command[] = ['analyze', 'live'];
const all = OPTIONS as readonly OptionSpec[];

beforeAll(() => ensureManPage(MAN), 180_000);

describe('the option table', () => {
  it('declares each name and each alias once', () => {
    const names = all.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
    const aliases = all.flatMap((o) => (o.alias === undefined ? [] : [o.alias]));
    expect(new Set(aliases).size).toBe(aliases.length);
    for (const a of aliases) expect(names).not.toContain(a);
  });

  it('is the only place a yargs option is declared', () => {
    const dir = path.join(repo, 'src/cli');
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      // yargs-options.ts hands the table's entries to yargs; main.ts loops over them.
      const declared = text.match(/\.option\(\s*['"][a-z-]+['"]/g) ?? [];
      expect(declared, f).toEqual([]);
    }
  });

  it('gives each command the options that name it, every one but the file-only ones to yargs', () => {
    for (const c of COMMANDS) {
      const yargsNames = yargsOptions(c).map(([n]) => n);
      expect(new Set(yargsNames).size).toBe(yargsNames.length);
      expect(yargsNames).toEqual(optionsOf(c).filter((o) => !o.fileOnly).map((o) => o.name));
    }
  });

  it('the environment of live knows every option of live but the file-only ones', () => {
    const env = Object.fromEntries(optionsOf('live').filter((o) => !o.fileOnly).map((o) => [envName(o.name), 'x']));
    expect(() => checkEnvironment(env)).not.toThrow();
    expect(() => checkEnvironment({ SCANWATCH_THRESHOLDS: '{}' })).toThrow(SettingsError);
  });
});

describe('--help and the man page', () => {
  for (const c of COMMANDS) {
    it(`scanwatch ${c} --help lists every option of ${c} once, with its description`, async () => {
      const r = await cli([c, '--help']);
      expect(r.code).toBe(0);
      for (const [name, o] of yargsOptions(c)) {
        const lines = r.stdout.split('\n').filter((l) => new RegExp(`^\\s+(-\\w, )?--${name}\\s`).test(l));
        expect(lines, name).toHaveLength(1);
        expect(lines[0]).toContain(String(o.describe));
      }
    });
  }

  it('the man page has every option, every config-file key and every technique of "thresholds"', () => {
    const r = spawnSync('man', ['-l', MAN], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '250', MANPAGER: 'cat', PAGER: 'cat' } });
    expect(r.status, r.stderr).toBe(0);
    const page = r.stdout.replace(/.\x08/g, '');
    expect(page).toMatch(/^CONFIGURATION FILE$/m);
    for (const c of COMMANDS) for (const [name] of yargsOptions(c)) expect(page).toMatch(new RegExp(`--${name}\\s`));
    const rows = configFileRows();
    expect(rows.map(([k]) => k)).toEqual(all.filter((o) => o.name !== 'config').map((o) => o.name));
    for (const [key] of rows) expect(page).toMatch(new RegExp(`^\\s+${key}(\\s|$)`, 'm'));
    for (const t of TECHNIQUE_NAMES) expect(page).toMatch(new RegExp(`^\\s+${t}\\s`, 'm'));
    for (const o of optionsOf('live')) {
      const row = rows.find(([k]) => k === o.name)?.[1];
      if (row !== undefined) expect(row).toContain(o.reload ? 'SIGHUP applies it' : 'restart');
    }
  });
});

describe('live: settings checked from the table are usage errors, one line, exit 2', () => {
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['no interface anywhere', [], {}, /--interface: required/],
    ['a sensitivity that is no level, from SCANWATCH_SENSITIVITY', ['--interface', 'lo'], { SCANWATCH_SENSITIVITY: 'extreme' }, /sensitivity/],
    // A bad address is a bad value, as it is for analyze (help-text.ts: exit 2, "bad value"), so systemd does not retry it.
    ['a --home-net that is no network', ['--interface', 'lo', '--home-net', 'nonsense'], {}, /not an address or network: "nonsense"/],
    ['a --dark-net that is no network', ['--interface', 'lo', '--dark-net', 'nonsense'], {}, /not an address or network: "nonsense"/],
  ];
  for (const [what, args, env, message] of cases) {
    it(what, async () => {
      const r = await cli(['live', '--listen', '127.0.0.1:1', ...args], undefined, env);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^scanwatch: error: /);
      expect(lines[0]).toMatch(message);
    });
  }
});
