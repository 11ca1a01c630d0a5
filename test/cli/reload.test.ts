/**
 * SIGHUP's reload, at unit level: the new configuration reaches every part
 * that holds a setting (the engine's components, the policy lists, the log
 * level, the progress interval), or, on a bad value or a setting only a
 * restart can change, none does.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLiveSettings } from '../../src/cli/config-schema.js';
import { applyPolicy, buildEngine } from '../../src/cli/engine-setup.js';
import { applyReload, liveConfig, type LiveConfig, reloadConfig, type ReloadTargets } from '../../src/cli/reload.js';
import { RestartRequired } from '../../src/engine/engine.js';
import type { SitePolicy } from '../../src/rules/policy.js';
import { Technique } from '../../src/rules/techniques.js';

const dir = mkdtempSync(join(tmpdir(), 'scanwatch-reload-'));
let n = 0;
function file(content: unknown): string {
  const p = join(dir, `r${n++}.json`);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
}

/** A sensor's reloadable parts: a real engine, and the CLI-level settings as plain fields. */
function sensor(given: Record<string, unknown>) {
  const start = liveConfig(parseLiveSettings(given));
  const engine = buildEngine(start.plan.config, start.policy);
  const state = { policy: start.policy as SitePolicy, logLevel: start.settings['log-level'] as string, progress: start.settings['progress-interval'], calls: [] as string[] };
  const targets: ReloadTargets = {
    reconfigure: (c) => {
      state.calls.push('reconfigure');
      engine.reconfigure(c);
    },
    setPolicy: (p) => {
      state.calls.push('policy');
      applyPolicy(engine, p);
      state.policy = p;
    },
    setLogLevel: (l) => {
      state.calls.push('log-level');
      state.logLevel = l;
    },
    setProgressInterval: (s) => {
      state.calls.push('progress-interval');
      state.progress = s;
    },
  };
  return { start, engine, state, targets };
}

const given = { interface: 'eth1', 'hash-seed': 7, 'home-net': ['10.0.0.0/8'] };

describe('reloadConfig', () => {
  it('a good file reaches the engine (window in every table, thresholds), the policy, the log level and the progress interval', () => {
    const { start, engine, state, targets } = sensor(given);
    const path = file({
      window: 120,
      'allow-scanner': ['198.18.0.9/32'],
      'log-level': 'debug',
      'progress-interval': 30,
      sensitivity: 'high',
      thresholds: { udp: { enabled: false } },
    });
    const next = reloadConfig(targets, start, given, path);
    expect(engine.config.window).toBe(120);
    expect(engine.tenants.reuseAfter).toBe(120);
    expect(engine.recon.targets.config.window).toBe(120);
    expect(engine.config.thresholds[Technique.TCP_SYN]).toMatchObject({ ports: 5, hosts: 5 });
    expect(engine.config.thresholds[Technique.UDP]!.enabled).toBe(false);
    expect(engine.ignoreSources?.text).toEqual(['198.18.0.9/32']);
    expect(state.policy.allowScanners.text).toEqual(['198.18.0.9/32']);
    // home-net was given at start and the file does not name it: it stays.
    expect(state.policy.homeNet.text).toEqual(['10.0.0.0/8']);
    expect(state.logLevel).toBe('debug');
    expect(state.progress).toBe(30);
    expect(next.settings.window).toBe(120);
  });

  it("the file's keys win over what was given at start; a key taken out of the file falls back to it", () => {
    const { start, state, targets } = sensor(given);
    const first = reloadConfig(targets, start, given, file({ 'home-net': ['198.18.0.0/15'] }));
    expect(state.policy.homeNet.text).toEqual(['198.18.0.0/15']);
    reloadConfig(targets, first, given, file({}));
    expect(state.policy.homeNet.text).toEqual(['10.0.0.0/8']);
  });

  it('a bad value anywhere in the file changes nothing', () => {
    const { start, engine, state, targets } = sensor(given);
    const before = engine.config;
    const path = file({ window: 60, 'allow-scanner': ['198.18.0.9/32'], thresholds: { 'tcp-syn': { ports: 0 } } });
    expect(() => reloadConfig(targets, start, given, path)).toThrow(/"thresholds\.tcp-syn\.ports"/);
    expect(state.calls).toEqual([]);
    expect(engine.config).toBe(before);
    expect(engine.recon.targets.config.window).toBe(900);
    expect(engine.ignoreSources).toBeNull();
  });

  it('an address that is not one changes nothing', () => {
    const { start, state, targets } = sensor(given);
    expect(() => reloadConfig(targets, start, given, file({ window: 60, 'allow-scanner': ['not-an-address'] }))).toThrow();
    expect(state.calls).toEqual([]);
  });

  it('a changed setting only a restart applies: RestartRequired naming it, and nothing changes', () => {
    const { start, engine, state, targets } = sensor(given);
    const path = file({ window: 60, 'log-level': 'debug', 'flow-capacity': 1 << 20 });
    expect(() => reloadConfig(targets, start, given, path)).toThrow(RestartRequired);
    expect(() => reloadConfig(targets, start, given, path)).toThrow(/flow-capacity/);
    expect(state.calls).toEqual([]);
    expect(engine.config.window).toBe(900);
    expect(state.logLevel).toBe('info');
  });

  it('a restart-only setting written with its running value is no change', () => {
    const { start, engine, targets } = sensor(given);
    reloadConfig(targets, start, given, file({ 'hash-seed': 7, 'flow-capacity': start.settings['flow-capacity'], window: 300 }));
    expect(engine.config.window).toBe(300);
  });
});

describe('applyReload', () => {
  it('when the engine refuses, no other part is touched', () => {
    const { start, state, targets } = sensor(given);
    const next: LiveConfig = liveConfig(parseLiveSettings({ ...given, window: 60, 'log-level': 'warn' }));
    const refusing: ReloadTargets = {
      ...targets,
      reconfigure: () => {
        throw new RestartRequired(['flowCapacity']);
      },
    };
    expect(() => applyReload(refusing, start, next)).toThrow(RestartRequired);
    expect(state.calls).toEqual([]);
    expect(state.logLevel).toBe('info');
  });

  it('otherwise every part gets the new configuration, the engine first', () => {
    const { start, state, targets } = sensor(given);
    applyReload(targets, start, liveConfig(parseLiveSettings({ ...given, window: 60 })));
    expect(state.calls).toEqual(['reconfigure', 'policy', 'log-level', 'progress-interval']);
  });
});
