import { describe, expect, it } from 'vitest';
import { addressBytes, CidrSet } from '../../src/rules/cidr.js';
import { DEFAULT_HOME_NET, directionOf, severityOf, sitePolicy } from '../../src/rules/policy.js';
import { Decoder } from '../../src/decode/decoder.js';

describe('CIDR sets', () => {
  const set = new CidrSet(['198.18.0.0/15', '2001:db8::/32', '203.0.113.7']);

  it('matches IPv4 networks and single addresses, signed or unsigned', () => {
    expect(set.hasText('198.19.255.255')).toBe(true);
    expect(set.hasText('198.20.0.0')).toBe(false);
    expect(set.hasText('203.0.113.7')).toBe(true);
    expect(set.hasText('203.0.113.8')).toBe(false);
    expect(set.hasV4(0xc6120001 | 0)).toBe(true); // 198.18.0.1 as a signed int
  });

  it('matches IPv6 networks, with :: and embedded IPv4 forms', () => {
    expect(set.hasText('2001:db8::1')).toBe(true);
    expect(set.hasText('2001:db8:ffff::1.2.3.4')).toBe(true);
    expect(set.hasText('2001:db9::1')).toBe(false);
    expect(Array.from(addressBytes('::ffff:1.2.3.4')!)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
  });

  it('accepts lists split by spaces or commas (as environment variables give them)', () => {
    const s = new CidrSet(['10.0.0.0/8, 192.168.0.0/16  fc00::/7']);
    expect(s.text).toEqual(['10.0.0.0/8', '192.168.0.0/16', 'fc00::/7']);
    expect(s.hasText('192.168.4.4')).toBe(true);
    expect(s.hasText('fd00::1')).toBe(true);
  });

  it('rejects what is not a network with a one-line message', () => {
    expect(() => new CidrSet(['10.0.0.0/33'])).toThrow(/bad prefix length/);
    expect(() => new CidrSet(['not-an-ip'])).toThrow(/not an address or network/);
  });

  it('matches packet addresses without text', () => {
    const d = new Decoder();
    // IPv4 198.18.0.1 -> 203.0.113.9, TCP SYN
    const frame = Buffer.from('45000028000100004006000' + '0c6120001cb007109' + '04d20050000000000000000050020400' + '00000000', 'hex');
    expect(d.decode(228, frame, 0, frame.length)).toBe(true);
    expect(set.hasPacketAddress(d.packet, true)).toBe(true);
    expect(set.hasPacketAddress(d.packet, false)).toBe(false);
  });
});

describe('direction and severity', () => {
  const home = new CidrSet(['198.18.0.0/15']);
  it('names each direction and ranks internal scanning highest', () => {
    expect(directionOf(home, '198.18.0.1', '198.18.0.2')).toBe('internal');
    expect(directionOf(home, '198.18.0.1', '203.0.113.5')).toBe('outbound');
    expect(directionOf(home, '203.0.113.5', '198.18.0.1')).toBe('inbound');
    expect(directionOf(home, '203.0.113.5', '203.0.113.6')).toBe('external');
    expect(severityOf('internal')).toBe('critical');
    expect(severityOf('outbound')).toBe('high');
    expect(severityOf('inbound')).toBe('medium');
    expect(severityOf('external')).toBe('low');
  });

  it('defaults the home network to private address space', () => {
    const p = sitePolicy(undefined);
    expect(p.homeNet.text).toEqual(DEFAULT_HOME_NET);
    expect(directionOf(p.homeNet, '192.168.1.10', '192.168.1.25')).toBe('internal');
    expect(p.allowScanners.empty).toBe(true);
  });
});

describe('allow-lists in the engine', () => {
  it('skips probes from allow-listed scanners and to allow-listed targets, counting them', async () => {
    const { Engine } = await import('../../src/engine/engine.js');
    const { readCaptureFile } = await import('../../src/capture/index.js');
    for (const file of ['test/pcaps/nmap-syn.pcap', 'test/pcaps/nmap-ack.pcap', 'test/pcaps/nmap-syn-ipv6.pcap']) {
      const bySource = new Engine();
      bySource.useAllowLists(new CidrSet(['198.18.0.1/32', '2001:db8::1/128']), new CidrSet([]));
      readCaptureFile(file, bySource);
      bySource.finish();
      expect(bySource.detections.map((d) => d.src), file).toEqual([]);
      expect(bySource.allowListed, file).toBeGreaterThan(400);

      const byTarget = new Engine();
      byTarget.useAllowLists(new CidrSet([]), new CidrSet(['198.18.0.2', '2001:db8::2']));
      readCaptureFile(file, byTarget);
      byTarget.finish();
      expect(byTarget.detections.length, file).toBe(0);

      const plain = new Engine();
      readCaptureFile(file, plain);
      plain.finish();
      expect(plain.detections.length, file).toBe(1);
      expect(plain.allowListed).toBe(0);
    }
  });
});
