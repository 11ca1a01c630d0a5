import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it, expect } from 'vitest';
import { DEFAULT_BUFFER_BYTES } from '../../src/capture/live-capture.js';
import { optionsOf } from '../../src/cli/options.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const UNIT = join(ROOT, 'systemd/scanwatch.service');
const ENV_FILE = join(ROOT, 'systemd/scanwatch.env');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

/** The unit's directives in order, comments and continuation-free lines only (the unit uses none). */
function directives(text: string): { section: string; key: string; value: string }[] {
  const out: { section: string; key: string; value: string }[] = [];
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1]!;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not a directive: ${line}`);
    out.push({ section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim() });
  }
  return out;
}

const unitText = readFileSync(UNIT, 'utf8');
const unit = directives(unitText);
const service = unit.filter((d) => d.section === 'Service');
/** Every value of a [Service] key (systemd lets some keys repeat). */
const values = (key: string): string[] => service.filter((d) => d.key === key).map((d) => d.value);
const single = (key: string): string => {
  const v = values(key);
  expect(v, `${key}= set exactly once`).toHaveLength(1);
  return v[0]!;
};

/** Every value of a key in another section ([Unit], [Install]). */
const unitValues = (section: string, key: string): string[] => unit.filter((d) => d.section === section && d.key === key).map((d) => d.value);

/** Seconds from a systemd time span such as 5s, 500ms, 1min or a bare number (seconds). */
function systemdSeconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|min|h)?$/.exec(text);
  if (!m) throw new Error(`not a systemd time span: ${text}`);
  return Number(m[1]) * { ms: 0.001, s: 1, min: 60, h: 3600 }[(m[2] ?? 's') as 'ms' | 's' | 'min' | 'h'];
}

function analyze(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(SYSTEMD_ANALYZE, args, { encoding: 'utf8', timeout: 60_000, cwd: ROOT });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Bytes from a systemd size (K, M, G, T: base 1024). */
function systemdBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec(text);
  if (!m) throw new Error(`not a systemd size: ${text}`);
  return Number(m[1]) * 1024 ** ' KMGT'.indexOf(m[2] || ' ');
}

describe('systemd/scanwatch.service', () => {
  it('scores an overall exposure of at most 3.0 in systemd-analyze security (offline)', () => {
    const r = analyze(['security', '--offline=yes', '--no-pager', UNIT]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const m = /Overall exposure level for scanwatch\.service:\s*(\d+(?:\.\d+)?)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(Number(m![1])).toBeLessThanOrEqual(3.0);
  });

  it('fails only the security checks a packet-capture daemon on Node.js cannot pass', () => {
    const r = analyze(['security', '--offline=yes', '--no-pager', UNIT]);
    const failed = r.stdout
      .split('\n')
      .map((l) => /^✗\s+(\S+)/.exec(l)?.[1])
      .filter((n): n is string => n !== undefined)
      .sort();
    // Each of these is argued in the unit's comments; anything else failing is a regression.
    expect(failed).toEqual(
      [
        'AmbientCapabilities=', // CAP_NET_RAW for AF_PACKET
        'CapabilityBoundingSet=~CAP_NET_(BIND_SERVICE|BROADCAST|RAW)', // the same capability
        'DeviceAllow=', // char-rtc:r, added by ProtectClock=yes; PrivateDevices hides it anyway
        'IPAddressDeny=', // localhost allowed so Prometheus can scrape
        'MemoryDenyWriteExecute=', // V8's JIT
        'PrivateNetwork=', // a sensor must see the host's interfaces
        'PrivateUsers=', // CAP_NET_RAW must count in the host user namespace
        'RestrictAddressFamilies=~AF_(INET|INET6)', // metrics server, interface ioctls
        'RestrictAddressFamilies=~AF_NETLINK', // getifaddrs()
        'RestrictAddressFamilies=~AF_PACKET', // the capture socket
        'RestrictAddressFamilies=~AF_UNIX', // glibc/NSS
        'RootDirectory=/RootImage=', // runs the host's node and libpcap
      ].sort(),
    );
  });

  it('passes systemd-analyze verify with no warning (ExecStart binary present, every key known)', () => {
    // verify checks that ExecStart's binary exists and is executable, and
    // warns (exit 0, text on stderr) about unknown keys and bad values: any
    // output at all is a defect.
    const exec = single('ExecStart').split(/\s+/)[0]!;
    expect(existsSync(exec), `${exec} must exist for verify (see systemd/README.md)`).toBe(true);
    const r = analyze(['verify', '--no-pager', UNIT]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('runs the live sensor from /opt/scanwatch with node, reloads with SIGHUP and reads the env file', () => {
    expect(single('ExecStart')).toBe('/usr/bin/node /opt/scanwatch/dist/cli/main.js live');
    expect(single('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(single('EnvironmentFile')).toBe('/etc/scanwatch/scanwatch.env');
    expect(single('Restart')).toBe('on-failure');
    expect(single('RestartSec')).toMatch(/^\d+s?$/);
  });

  it('runs unprivileged with CAP_NET_RAW as its only capability', () => {
    expect(single('DynamicUser')).toBe('yes');
    expect(values('User')).toEqual([]);
    expect(single('AmbientCapabilities')).toBe('CAP_NET_RAW');
    expect(single('CapabilityBoundingSet')).toBe('CAP_NET_RAW');
    expect(single('NoNewPrivileges')).toBe('yes');
  });

  it('sets the required sandboxing directives', () => {
    expect(single('ProtectSystem')).toBe('strict');
    expect(single('ProtectHome')).toMatch(/^(yes|read-only|tmpfs)$/);
    expect(single('PrivateTmp')).toBe('yes');
    const families = single('RestrictAddressFamilies').split(/\s+/).sort();
    expect(families).toEqual(['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_PACKET', 'AF_UNIX']);
    for (const key of [
      'ProtectKernelTunables',
      'ProtectKernelModules',
      'ProtectKernelLogs',
      'ProtectControlGroups',
      'ProtectClock',
      'ProtectHostname',
      'PrivateDevices',
      'RestrictNamespaces',
      'RestrictRealtime',
      'RestrictSUIDSGID',
      'LockPersonality',
      'RemoveIPC',
    ]) {
      expect(single(key), key).toBe('yes');
    }
    expect(single('ProtectProc')).toBe('invisible');
    expect(single('ProcSubset')).toBe('pid');
    expect(single('DevicePolicy')).toBe('closed');
    expect(single('SystemCallArchitectures')).toBe('native');
    expect(values('SystemCallFilter')).toEqual(['@system-service', '~@privileged @resources']);
    expect(single('SystemCallErrorNumber')).toBe('EPERM');
    expect(single('UMask')).toBe('0077');
    expect(single('KeyringMode')).toBe('private');
    expect(single('IPAddressDeny')).toBe('any');
    expect(single('IPAddressAllow')).toBe('localhost');
  });

  it('never sets PrivateUsers= or MemoryDenyWriteExecute= (they break AF_PACKET and V8)', () => {
    expect(values('PrivateUsers')).toEqual([]);
    expect(values('MemoryDenyWriteExecute')).toEqual([]);
    expect(values('PrivateNetwork')).toEqual([]);
    // Also not hidden anywhere as an active line, whatever the section.
    expect(unit.some((d) => /^(PrivateUsers|MemoryDenyWriteExecute)$/.test(d.key) && d.value === 'yes')).toBe(false);
  });

  it('sizes MemoryMax for the capture ring (the default buffer, TPACKET_V3), Node and the worst-case scan state', () => {
    const max = systemdBytes(single('MemoryMax'));
    // ring = buffer; Node ~64 MB at start; scan state up to ~300 MB (README).
    expect(max).toBeGreaterThanOrEqual(DEFAULT_BUFFER_BYTES + 400 * 1024 * 1024);
    // ... and it is a limit, not a formality.
    expect(max).toBeLessThanOrEqual(DEFAULT_BUFFER_BYTES + 768 * 1024 * 1024);
  });

  it('keeps restarting after the interface goes away (exit 1), never after bad usage (exit 2)', () => {
    expect(single('Restart')).toBe('on-failure');
    // no start limit: an interface that is down for an hour must not leave the unit failed
    expect(unitValues('Unit', 'StartLimitIntervalSec')).toEqual(['0']);
    expect(unitValues('Unit', 'StartLimitBurst')).toEqual([]);
    expect(values('StartLimitIntervalSec')).toEqual([]);
    expect(single('RestartPreventExitStatus').split(/\s+/)).toEqual(['2']);
    expect(systemdSeconds(single('RestartSec'))).toBeGreaterThanOrEqual(1);
  });
});

describe('systemd/scanwatch.env', () => {
  const text = readFileSync(ENV_FILE, 'utf8');
  const lines = text.split('\n');
  const REQUIRED = [
    'SCANWATCH_INTERFACE',
    'SCANWATCH_FILTER',
    'SCANWATCH_LISTEN',
    'SCANWATCH_HOME_NET',
    'SCANWATCH_ALLOW_SCANNER',
    'SCANWATCH_ALLOW_TARGET',
    'SCANWATCH_BUFFER_SIZE',
    'SCANWATCH_SNAPLEN',
    'SCANWATCH_CONFIG',
    'SCANWATCH_LOG_LEVEL',
  ];

  it('documents every setting, each under a comment', () => {
    for (const name of REQUIRED) {
      const i = lines.findIndex((l) => new RegExp(`^#?${name}=`).test(l));
      expect(i, name).toBeGreaterThan(0);
      // The line above is a comment that explains it (prose, not another setting).
      expect(lines[i - 1], name).toMatch(/^# \S/);
    }
  });

  it('is valid EnvironmentFile= syntax: only comments, blank lines and NAME=value', () => {
    for (const l of lines) {
      if (l.trim() === '' || l.startsWith('#')) continue;
      expect(l).toMatch(/^SCANWATCH_[A-Z_]+=("[^"]*"|[^\s"']*)$/);
    }
    // Only the interface is set; everything else shows its default, commented out.
    expect(lines.filter((l) => /^SCANWATCH_/.test(l))).toEqual(['SCANWATCH_INTERFACE=eth0']);
  });

  it('names only settings that `scanwatch live` has (SCANWATCH_FOO_BAR -> --foo-bar)', () => {
    // The options of live, from the table every flag is declared in (src/cli/options.ts).
    const flags = optionsOf('live')
      .filter((o) => !o.fileOnly)
      .map((o) => o.name);
    const names = new Set([...text.matchAll(/^#?(SCANWATCH_[A-Z_]+)=/gm)].map((m) => m[1]!));
    expect(names.size).toBeGreaterThanOrEqual(REQUIRED.length);
    for (const name of names) {
      const flag = name.slice('SCANWATCH_'.length).toLowerCase().replace(/_/g, '-');
      expect(flags, `${name} -> --${flag}`).toContain(flag);
    }
  });
});
