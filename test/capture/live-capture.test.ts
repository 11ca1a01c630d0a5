import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_SNAPLEN, explainOpenError, MAX_SNAPLEN, parseSize } from '../../src/capture/live-capture.js';
import { explainCaptureLoss } from '../../src/cli/live.js';

describe('live capture helpers', () => {
  it('parses buffer sizes in bytes and binary units', () => {
    expect(parseSize('268435456')).toBe(268435456);
    expect(parseSize('256MiB')).toBe(256 * 1024 * 1024);
    expect(parseSize('256M')).toBe(256 * 1024 * 1024);
    expect(parseSize('1GiB')).toBe(1024 ** 3);
    expect(parseSize('64k')).toBe(65536);
    expect(() => parseSize('lots')).toThrow(/not a size/);
  });

  it("turns libpcap's errors into advice", () => {
    const perm = explainOpenError('eth1', "eth1: You don't have permission to capture on that device (socket: Operation not permitted)");
    expect(perm).toMatch(/no permission to capture on eth1/);
    expect(perm).toMatch(/CAP_NET_RAW/);
    // Never advice that hands raw sockets to every Node program on the host.
    expect(perm).not.toMatch(/sudo setcap/);
    expect(perm).not.toMatch(/\n/);
    expect(explainOpenError('eth9', 'pcap_activate: eth9: No such device exists (SIOCGIFHWADDR: No such device)')).toBe('no such interface: eth9');
    expect(explainOpenError('eth1', 'filter: syntax error in filter expression')).toBe('bad --filter for eth1: syntax error in filter expression');
    expect(explainOpenError('dn0', "pcap_activate: dn0: That device is not up")).toMatch(/^interface dn0 is down/);
  });

  it('the default snapshot length is within what libpcap accepts and keeps any frame that can carry an IP fragment whole', () => {
    // an IP datagram of 65,535 bytes behind Ethernet and two VLAN tags
    expect(DEFAULT_SNAPLEN).toBeGreaterThanOrEqual(65535 + 22);
    expect(DEFAULT_SNAPLEN).toBeLessThanOrEqual(MAX_SNAPLEN);
  });

  it('says whether a lost interface went down or was removed, from sysfs', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-sysfs-'));
    try {
      fs.mkdirSync(path.join(root, 'eth1'));
      fs.writeFileSync(path.join(root, 'eth1', 'flags'), '0x1002\n'); // IFF_UP clear
      fs.mkdirSync(path.join(root, 'eth2'));
      fs.writeFileSync(path.join(root, 'eth2', 'flags'), '0x1003\n'); // up
      expect(explainCaptureLoss('eth1', 'Network is down', root)).toBe('interface eth1 went down (Network is down)');
      expect(explainCaptureLoss('eth9', 'Network is down', root)).toBe('interface eth9 was removed (Network is down)');
      expect(explainCaptureLoss('eth2', 'Network is down', root)).toBe('interface eth2 went down or was removed (Network is down)');
      expect(explainCaptureLoss('eth2', 'something else', root)).toBe('something else');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('a --snaplen or --buffer-size out of range is a one-line usage error (exit 2), before any capture starts', () => {
    const main = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
    for (const [args, msg] of [
      [['--snaplen', '10'], /--snaplen must be a whole number of bytes from 96 to 262144/],
      [['--snaplen', '1e6'], /--snaplen must be/],
      [['--buffer-size', '64KiB'], /--buffer-size must be from 1MiB to 2047MiB/],
    ] as const) {
      const r = spawnSync(process.execPath, [main, 'live', '--interface', 'lo', '--listen', '127.0.0.1:0', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(msg);
    }
  });
});
