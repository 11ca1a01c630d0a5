/**
 * --extract DIR: each scan's probes and answers as DIR/<id>-<src>-<type>.pcap,
 * checked with tcpdump (the reader analysts use) against the source capture.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cli, ensureBuilt, fixture, pcapSplit } from './run-cli.js';

let tmp = '';

/** tcpdump's one-line decode of each packet, with full timestamps. */
function tcpdump(file: string, filter: string[] = []): string[] {
  const r = spawnSync('tcpdump', ['-nn', '-tt', '-r', file, ...filter], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n').filter((l) => l !== '');
}

function linkType(file: string): string {
  const r = spawnSync('tcpdump', ['-r', file, '-c', '1'], { encoding: 'utf8' });
  return /link-type (\S+)/.exec(r.stderr)?.[1] ?? '?';
}

interface Det {
  id: number;
  src: string;
  type: string;
  probes: number;
}

beforeAll(() => {
  ensureBuilt();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-extract-'));
  expect(spawnSync('tcpdump', ['--version']).status, 'tcpdump is needed').toBe(0);
}, 180_000);

describe('--extract', () => {
  it('nmap SYN scan: every probe and every answer, nothing else, same timestamps and link type', async () => {
    const src = fixture('nmap-syn.pcap');
    const dir = path.join(tmp, 'syn');
    const r = await cli(['analyze', src, '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const det = (JSON.parse(r.stdout) as { detections: Det[] }).detections;
    expect(det).toHaveLength(1);
    const file = path.join(dir, `${det[0]!.id}-198.18.0.1-tcp-syn.pcap`);
    expect(fs.readdirSync(dir)).toEqual([path.basename(file)]);
    expect(linkType(file)).toBe(linkType(src));
    // The scan's packets in the original, as tcpdump selects them: the SYNs
    // from the scanner, every TCP answer to it, and its RSTs to open ports.
    const expected = tcpdump(src, ['tcp and ((src host 198.18.0.1 and (tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn or tcp[tcpflags] & tcp-rst != 0)) or dst host 198.18.0.1)']);
    const got = tcpdump(file);
    expect(got).toEqual(expected);
    const probes = tcpdump(file, ['src host 198.18.0.1 and tcp[tcpflags] & tcp-syn != 0']);
    expect(probes).toHaveLength(det[0]!.probes);
    expect(tcpdump(file, ['dst host 198.18.0.1 and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)'])).toHaveLength(3); // 22, 80, 443 open
  });

  it('several files: one pcap per detection, named <id>-<src>-<type>.pcap (IPv6 colons as _), each with its own scan', async () => {
    const dir = path.join(tmp, 'multi');
    const files = ['nmap-ping-sweep.pcap', 'nmap-syn-ipv6.pcap', 'nmap-udp.pcap', 'nmap-arp-sweep.pcap'].map(fixture);
    const r = await cli(['analyze', ...files, '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const det = (JSON.parse(r.stdout) as { detections: Det[] }).detections;
    const names = det.map((d) => `${d.id}-${d.src.replace(/:/g, '_')}-${d.type}.pcap`).sort();
    expect(fs.readdirSync(dir).sort()).toEqual(names);
    for (const d of det) {
      const f = path.join(dir, `${d.id}-${d.src.replace(/:/g, '_')}-${d.type}.pcap`);
      const all = tcpdump(f);
      if (d.type === 'icmp-sweep') {
        expect(tcpdump(f, ['icmp[icmptype] == icmp-echo'])).toHaveLength(d.probes);
        expect(tcpdump(f, ['icmp[icmptype] == icmp-echoreply']).length).toBeGreaterThanOrEqual(3);
      } else if (d.type === 'arp-sweep') {
        expect(tcpdump(f, ['arp and arp[6:2] == 1'])).toHaveLength(d.probes);
        expect(tcpdump(f, ['arp and arp[6:2] == 2']).length).toBeGreaterThanOrEqual(1);
      } else if (d.type === 'udp') {
        expect(tcpdump(f, ['udp and src host 198.18.0.1'])).toHaveLength(d.probes);
        expect(tcpdump(f, ['icmp or (udp and dst host 198.18.0.1)']).length).toBeGreaterThan(0);
      } else {
        expect(d.type).toBe('tcp-syn');
        // tcpdump cannot filter TCP flags over IPv6: its decode says which are SYNs ("Flags [S]").
        const syns = tcpdump(f, ['ip6 and src host 2001:db8::1']).filter((l) => l.includes('Flags [S]'));
        expect(syns).toHaveLength(d.probes);
        expect(tcpdump(f, ['ip6 and dst host 2001:db8::1']).length).toBeGreaterThanOrEqual(d.probes);
        expect(all.every((l) => l.includes('2001:db8::1'))).toBe(true);
      }
    }
  });

  it('with --merge, a scan split across two files is extracted whole, in time order', async () => {
    const src = fixture('nmap-syn.pcap');
    const { header, records } = pcapSplit(src);
    const half = Math.floor(records.length / 2);
    const a = path.join(tmp, 'part-a.pcap');
    const b = path.join(tmp, 'part-b.pcap');
    fs.writeFileSync(a, Buffer.concat([header, ...records.slice(0, half)]));
    fs.writeFileSync(b, Buffer.concat([header, ...records.slice(half)]));
    const dir = path.join(tmp, 'merged');
    const r = await cli(['analyze', '--merge', b, a, '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['1-198.18.0.1-tcp-syn.pcap']);
    const whole = path.join(tmp, 'whole');
    await cli(['analyze', src, '--extract', whole]);
    expect(tcpdump(path.join(dir, '1-198.18.0.1-tcp-syn.pcap'))).toEqual(tcpdump(path.join(whole, '1-198.18.0.1-tcp-syn.pcap')));
  });

  it('standard input is spooled, so --extract works on it too', async () => {
    const dir = path.join(tmp, 'stdin');
    const r = await cli(['analyze', '-', '--extract', dir, '--format', 'json'], fixture('nmap-syn.pcap'));
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(dir)).toEqual(['1-198.18.0.1-tcp-syn.pcap']);
    expect(tcpdump(path.join(dir, '1-198.18.0.1-tcp-syn.pcap')).length).toBe(2003);
  });

  it('an unusable directory is a one-line usage error before any work', async () => {
    const blocker = path.join(tmp, 'a-file');
    fs.writeFileSync(blocker, 'x');
    const r = await cli(['analyze', fixture('nmap-syn.pcap'), '--extract', path.join(blocker, 'sub')]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--extract/);
  });

  // The extract is the packets the engine counted for the scan (its packet
  // index), not a second classification: these cases went wrong when the
  // report re-classified packets with rules of its own. Each expected count
  // is tcpdump's selection of the fixture, recorded as its .expected.json says.
  it('a raw SYN scan whose SYNs carry the kernel option set: every SYN, answer and reset (recon/syn-options)', async () => {
    const src = fixture('recon/syn-options.pcap');
    const dir = path.join(tmp, 'syn-options');
    const r = await cli(['analyze', src, '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const det = (JSON.parse(r.stdout) as { detections: Det[] }).detections;
    expect(det.map((d) => d.type)).toEqual(['tcp-syn']);
    const file = path.join(dir, `${det[0]!.id}-198.18.0.1-tcp-syn.pcap`);
    const syn = ['src host 198.18.0.1 and tcp[tcpflags] == tcp-syn'];
    expect(tcpdump(src, syn)).toHaveLength(63);
    expect(tcpdump(file, syn)).toEqual(tcpdump(src, syn));
    expect(tcpdump(file)).toEqual(tcpdump(src, ['tcp']));
  });

  it('VXLAN on UDP 8472 read with --vxlan-port 8472: the scan file holds the tunnelled scan (recon/tunnel-vxlan-8472)', async () => {
    const src = fixture('recon/tunnel-vxlan-8472.pcap');
    const dir = path.join(tmp, 'vxlan-8472');
    const r = await cli(['analyze', src, '--vxlan-port', '8472', '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const det = (JSON.parse(r.stdout) as { detections: Det[] }).detections;
    expect(det).toHaveLength(1);
    const file = path.join(dir, `${det[0]!.id}-198.18.10.1-tcp-syn.pcap`);
    // Every frame is the tunnel's, and each of the 100 probes went out in one (VTEP .1 to .2).
    const frames = tcpdump(file);
    expect(tcpdump(file, ['udp port 8472'])).toEqual(frames);
    expect(tcpdump(file, ['src host 198.18.100.1 and udp dst port 8472']).length).toBeGreaterThanOrEqual(100);
    expect(frames.length).toBeLessThanOrEqual(tcpdump(src, ['udp port 8472']).length);
  });

  it('two tenants with the same inner addresses: each scan file holds its own VNI only (recon/tenants-separate)', async () => {
    const src = fixture('recon/tenants-separate.pcap');
    const dir = path.join(tmp, 'tenants');
    const r = await cli(['analyze', src, '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const det = (JSON.parse(r.stdout) as { detections: (Det & { tenant: string })[] }).detections;
    expect(det.map((d) => d.tenant).sort()).toEqual(['vni:5001', 'vni:5002']);
    // VNI 5001 runs between VTEPs 198.18.100.1/.2, VNI 5002 between .3/.4.
    const vteps: Record<string, string> = { 'vni:5001': 'host 198.18.100.1 or host 198.18.100.2', 'vni:5002': 'host 198.18.100.3 or host 198.18.100.4' };
    for (const d of det) {
      const file = path.join(dir, `${d.id}-198.18.10.1-tcp-syn.pcap`);
      const frames = tcpdump(file);
      expect(frames.length, d.tenant).toBeGreaterThanOrEqual(200);
      expect(tcpdump(file, [vteps[d.tenant]!]), d.tenant).toEqual(frames);
    }
  });

  it('a distributed scan: all 320 probes of its 64 sources (recon/distributed)', async () => {
    const src = fixture('recon/distributed.pcap');
    const dir = path.join(tmp, 'distributed');
    const r = await cli(['analyze', src, '--extract', dir, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const det = (JSON.parse(r.stdout) as { detections: Det[] }).detections;
    expect(det).toHaveLength(1);
    const file = path.join(dir, `${det[0]!.id}-198.18.0.64-tcp-syn.pcap`);
    const probes = ['dst host 198.18.0.2 and tcp[tcpflags] == tcp-syn'];
    expect(tcpdump(src, probes)).toHaveLength(320);
    expect(tcpdump(file, probes)).toEqual(tcpdump(src, probes));
    const sources = new Set(tcpdump(file, probes).map((l) => l.split(' ')[2]!.split('.').slice(0, 4).join('.')));
    expect(sources.size).toBe(64);
  });

  it('files read on worker threads: the packets of each detection are numbered within its own file', async () => {
    const files = ['nmap-syn.pcap', 'recon/syn-options.pcap', 'recon/distributed.pcap'].map(fixture);
    const one = path.join(tmp, 'threads-1');
    const two = path.join(tmp, 'threads-2');
    expect((await cli(['analyze', ...files, '--threads', '1', '--extract', one])).code).toBe(0);
    expect((await cli(['analyze', ...files, '--threads', '2', '--extract', two])).code).toBe(0);
    const names = fs.readdirSync(one).sort();
    expect(names).toHaveLength(3);
    expect(fs.readdirSync(two).sort()).toEqual(names);
    for (const n of names) expect(tcpdump(path.join(two, n)), n).toEqual(tcpdump(path.join(one, n)));
  });
});
