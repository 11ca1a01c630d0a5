/**
 * Issue 10 item 6: what users install. `npm pack` carries the dashboards,
 * alert rules, unit, examples and what the libpcap binding needs to build;
 * `npm install -g` of the tarball gives a working `scanwatch`; the Debian
 * package (scripts/package-deb.sh, npm run package:deb) installs the
 * command, the unit and the conffile. The .deb is installed with
 * `dpkg --root` into a temporary directory, not into this machine: other
 * work shares it, and a test must not leave /usr/bin/scanwatch behind.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repo } from '../cli/run-cli.js';

const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const tmp = mkdtempSync(join(tmpdir(), 'scanwatch-package-'));
const CAPTURE = join(repo, 'test/pcaps/nmap-syn.pcap');
// What the capture holds, from the command that recorded it (test/pcaps/README.md): nmap -sS of 1000 ports of one host.
const expected = JSON.parse(readFileSync(join(repo, 'test/pcaps/nmap-syn.expected.json'), 'utf8')) as { detections: { src: string; type: string }[] };

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(cmd: string, args: string[], opts: { cwd?: string; timeout?: number } = {}): string {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? repo, encoding: 'utf8', timeout: opts.timeout ?? 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`.slice(0, 2000));
  return r.stdout;
}

function checkAnalyze(bin: string): void {
  expect(run(bin, ['--version']).trim()).toBe(version);
  const report = JSON.parse(run(bin, ['analyze', CAPTURE, '--format', 'json'])) as { detections: { src: string; type: string }[] };
  expect(report.detections.map((d) => [d.src, d.type])).toEqual(expected.detections.map((d) => [d.src, d.type]));
}

describe('npm pack and npm install -g', () => {
  let tarball = '';

  it('the tarball carries prometheus/, grafana/, systemd/, examples/ and the binding sources', () => {
    const out = run('npm', ['pack', '--pack-destination', tmp, '--loglevel=error']);
    tarball = join(tmp, out.trim().split('\n').at(-1)!);
    const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).split('\n');
    for (const f of [
      'package/dist/cli/main.js',
      'package/binding.gyp',
      'package/native/pcap_capture.cc',
      'package/prometheus/alerts.yml',
      'package/prometheus/prometheus.example.yml',
      'package/grafana/scanwatch.json',
      'package/grafana/provisioning/dashboards/scanwatch.yml',
      'package/systemd/scanwatch.service',
      'package/systemd/scanwatch.env',
      'package/examples/nft-block.sh',
    ]) {
      expect(files, f).toContain(f);
    }
    expect(files.some((f) => f.startsWith('package/test/') || f.startsWith('package/node_modules/'))).toBe(false);
  }, 300_000);

  it('npm install -g of the tarball gives a working scanwatch (binding built on install)', () => {
    const prefix = join(tmp, 'prefix');
    run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', tarball], { timeout: 600_000 });
    const bin = join(prefix, 'bin/scanwatch');
    expect(existsSync(bin)).toBe(true);
    expect(existsSync(join(prefix, 'lib/node_modules/scanwatch/build/Release/scanwatch_pcap.node'))).toBe(true);
    checkAnalyze(bin);
  }, 600_000);
});

describe('npm run package:deb', () => {
  it('builds a .deb that installs the command, the unit and the conffile; the installed unit passes systemd-analyze verify', () => {
    const out = join(tmp, 'deb');
    const deb = run('bash', ['scripts/package-deb.sh', out], { timeout: 600_000 }).trim().split('\n').at(-1)!;
    expect(deb).toMatch(/scanwatch_.*\.deb$/);
    expect(run('dpkg-deb', ['-f', deb, 'Package', 'Version', 'Depends'])).toMatch(new RegExp(`Package: scanwatch\\nVersion: ${version.replace(/\./g, '\\.')}\\nDepends: nodejs \\(>= 20\\)`));
    expect(run('dpkg-deb', ['-I', deb, 'conffiles']).trim()).toBe('/etc/scanwatch/scanwatch.env');

    // A private dpkg database under a temporary root.
    const root = join(tmp, 'root');
    mkdirSync(join(root, 'var/lib/dpkg/info'), { recursive: true });
    mkdirSync(join(root, 'var/lib/dpkg/updates'), { recursive: true });
    writeFileSync(join(root, 'var/lib/dpkg/status'), '');
    // nodejs and libpcap are installed on the host, not in the private database.
    run('dpkg', ['--root', root, '--force-depends', '--force-not-root', '--log=/dev/null', '-i', deb]);
    expect(run('dpkg', ['--root', root, '-s', 'scanwatch'])).toMatch(/Status: install ok installed/);

    expect(readlinkSync(join(root, 'usr/bin/scanwatch'))).toBe('../lib/scanwatch/dist/cli/main.js');
    checkAnalyze(join(root, 'usr/bin/scanwatch'));
    expect(readFileSync(join(root, 'etc/scanwatch/scanwatch.env'), 'utf8')).toMatch(/^SCANWATCH_INTERFACE=/m);

    const unit = join(root, 'lib/systemd/system/scanwatch.service');
    const text = readFileSync(unit, 'utf8');
    expect(text).toMatch(/^ExecStart=\/usr\/bin\/node \/usr\/lib\/scanwatch\/dist\/cli\/main\.js live$/m);
    expect(text).toMatch(/^AmbientCapabilities=CAP_NET_RAW$/m);
    const verify = spawnSync('systemd-analyze', ['verify', '--no-pager', unit], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr.split('\n').filter((l) => l.includes('scanwatch.service'))).toEqual([]);
  }, 900_000);
});
