/**
 * The response options --hook-unverified and --hook-home-net: off unless
 * asked, from flags, SCANWATCH_* and the config file alike, and a value
 * that is neither true nor false is a one-line usage error (exit 2), never
 * silently read as off.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLiveSettings } from '../../src/cli/config-schema.js';
import { cli, ensureBuilt } from '../cli/run-cli.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-hook-options-'));

describe('--hook-unverified, --hook-home-net', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('are off by default and on when given', () => {
    expect(parseLiveSettings({ interface: 'eth0' })).toMatchObject({ 'hook-unverified': false, 'hook-home-net': false });
    expect(parseLiveSettings({ interface: 'eth0', 'hook-unverified': true, 'hook-home-net': true })).toMatchObject({ 'hook-unverified': true, 'hook-home-net': true });
  });

  const config = path.join(dir, 'yes.json');
  fs.writeFileSync(config, JSON.stringify({ 'hook-unverified': 'yes' }));
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['a word other than true/false in SCANWATCH_HOOK_HOME_NET', [], { SCANWATCH_HOOK_HOME_NET: 'yes' }, /SCANWATCH_HOOK_HOME_NET: must be true or false, not "yes"/],
    ['a word other than true/false after --hook-unverified=', ['--hook-unverified=on'], {}, /--hook-unverified: must be true or false, not "on"/],
    ['a string in the config file', ['--config', config], {}, /"hook-unverified": .*expected boolean/],
  ];
  for (const [what, args, env, message] of cases) {
    it(`${what} is one line, exit 2`, async () => {
      const r = await cli(['live', '--interface', 'lo', ...args], undefined, env);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^scanwatch: error: /);
      expect(lines[0]).toMatch(message);
    });
  }
});
