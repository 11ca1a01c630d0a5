/**
 * Issue 10 item 5: flags, SCANWATCH_* variables, the --config file and
 * SIGHUP go through one schema (src/cli/config-schema.ts). Bad input is one
 * line naming the key and exit 2; a reload builds the whole configuration
 * first or changes nothing.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkEnvironment, parseLiveSettings, planReload, readConfigFile, SettingsError } from '../../src/cli/config-schema.js';
import { cli, ensureBuilt } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'scanwatch-config-'));
function file(name: string, content: unknown): string {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

describe('the settings schema', () => {
  it('fills defaults and parses sizes and lists', () => {
    const s = parseLiveSettings({ interface: 'eth1', 'buffer-size': '64MiB', 'home-net': ['10.0.0.0/8,192.168.0.0/16'], 'sketch-budget': '256MiB' });
    expect(s['buffer-size']).toBe(64 * 1024 * 1024);
    expect(s['sketch-budget']).toBe(256 * 1024 * 1024);
    expect(s['home-net']).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
    expect(s['flow-capacity']).toBe(262144);
    expect(s['max-detections']).toBe(100000);
    expect(s['log-schema']).toBe('native');
  });

  it('names the key of a wrong type, an out-of-range capacity, an unknown key', () => {
    expect(() => parseLiveSettings({ interface: 'eth1', window: 'soon' })).toThrow(/^--window: .*expected number/);
    expect(() => parseLiveSettings({ interface: 'eth1', 'source-capacity': 10 })).toThrow(/^--source-capacity: /);
    expect(() => parseLiveSettings({ interface: 'eth1', 'log-level': 'verbose' })).toThrow(/^--log-level: /);
    expect(() => parseLiveSettings({ interface: 'eth1', colour: 'blue' })).toThrow(/unknown setting "colour"/);
    const bad = file('bad-type.json', { 'allow-scanner': ['198.18.0.9/32'], 'progress-interval': '60' });
    expect(() => readConfigFile(bad)).toThrow(new RegExp(`^config ${bad}: "progress-interval": .*expected number`));
  });

  it('an unknown SCANWATCH_* variable is an error naming it', () => {
    expect(() => checkEnvironment({ SCANWATCH_INTERFACE: 'eth1', SCANWATCH_WINDOW: '60' })).not.toThrow();
    expect(() => checkEnvironment({ SCANWATCH_HOMENET: '10.0.0.0/8' })).toThrow(/SCANWATCH_HOMENET/);
  });
});

describe('SIGHUP: all or nothing', () => {
  const start = { interface: 'eth1', 'allow-scanner': [] as string[], 'log-level': 'info' };

  it('a file with "log-level": "verbose" fails as a whole, naming the key, before anything is applied', () => {
    const p = file('verbose.json', { 'allow-scanner': ['198.18.0.9/32'], 'home-net': ['198.18.0.0/15'], 'log-level': 'verbose' });
    let err: unknown;
    try {
      planReload(start, p);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    expect((err as Error).message).toMatch(/"log-level": /);
  });

  it('a good file gives the whole new configuration, and says which keys need a restart', () => {
    const p = file('good.json', { 'allow-scanner': ['198.18.0.9/32'], 'log-level': 'debug', window: 300, 'flow-capacity': 1048576 });
    const plan = planReload(start, p);
    expect(plan.settings['allow-scanner']).toEqual(['198.18.0.9/32']);
    expect(plan.settings['log-level']).toBe('debug');
    expect(plan.settings.window).toBe(300);
    expect(plan.restartOnly).toEqual(['flow-capacity']);
  });
});

describe('scanwatch live: bad settings exit 2 with one line', () => {
  beforeAll(() => ensureBuilt());

  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['a wrong type on the command line', ['--window', 'soon'], {}, /--window: /],
    ['a capacity out of range', ['--flow-capacity', '12'], {}, /--flow-capacity: /],
    ['a wrong type in SCANWATCH_*', [], { SCANWATCH_MAX_DETECTIONS: 'many' }, /--max-detections: /],
    ['an unknown key in the config file', ['--config', file('unknown.json', { 'home-nets': ['10.0.0.0/8'] })], {}, /unknown setting "home-nets"/],
    ['a wrong type in the config file', ['--config', file('type.json', { window: '900' })], {}, /"window": .*expected number/],
    ['a config file that is not JSON', ['--config', file('broken.json', '{ window: 900')], {}, /cannot read config/],
  ];
  for (const [what, args, env, message] of cases) {
    it(what, async () => {
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
