/**
 * The address classes no response may act on: fixed special-purpose
 * ranges, the host's own addresses and subnet broadcasts, and the home net.
 */
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { AddressGuard, hostAddresses, sourceShareKey } from '../../src/response/address-class.js';
import { CidrSet } from '../../src/rules/cidr.js';

const noHost = { own: [], broadcast: [] };
const guard = (opts: { homeNet?: string[]; actOnHomeNet?: boolean; host?: { own: string[]; broadcast: string[] } } = {}) =>
  new AddressGuard({ homeNet: new CidrSet(opts.homeNet ?? []), actOnHomeNet: opts.actOnHomeNet ?? false, host: opts.host ?? noHost });

describe('AddressGuard', () => {
  it('refuses each fixed class, at its edges too', () => {
    const g = guard();
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.255.255.254', 'loopback'],
      ['::1', 'loopback'],
      ['169.254.0.1', 'link_local'],
      ['169.254.255.255', 'link_local'],
      ['fe80::1', 'link_local'],
      ['febf:ffff::1', 'link_local'],
      ['224.0.0.1', 'multicast'],
      ['239.255.255.255', 'multicast'],
      ['ff02::1', 'multicast'],
      ['ff0e::1234', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['0.0.0.0', 'unspecified'],
      ['0.1.2.3', 'unspecified'],
      ['::', 'unspecified'],
      ['::ffff:127.0.0.1', 'ipv4_mapped'],
      ['::ffff:198.18.0.1', 'ipv4_mapped'],
      ['', 'not_an_address'],
      ['198.18.0.256', 'not_an_address'],
    ];
    for (const [src, reason] of cases) expect(g.refusal(src), src).toBe(reason);
    expect(g.refusal(undefined)).toBe('not_an_address');
  });

  it('lets an ordinary remote address through, right beside the refused ranges', () => {
    const g = guard();
    for (const src of ['198.18.0.1', '126.255.255.255', '128.0.0.1', '169.253.255.255', '223.255.255.255', '1.0.0.0', '2001:db8::1', 'fec0::1', 'fe7f::1', '::2', '::fffe:1.2.3.4']) {
      expect(g.refusal(src), src).toBeNull();
    }
  });

  it("refuses the host's own addresses and its subnets' broadcast addresses, from the interface list", () => {
    const host = hostAddresses({
      eth0: [
        { address: '198.18.7.2', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '198.18.7.2/24' },
        { address: '2001:db8:7::2', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: '2001:db8:7::2/64', scopeid: 0 },
        { address: 'fe80::1%eth0', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 },
      ],
      p2p: [{ address: '198.18.9.0', netmask: '255.255.255.254', family: 'IPv4', mac: '02:00:00:00:00:02', internal: false, cidr: '198.18.9.0/31' }],
    });
    expect(host.own).toEqual(['198.18.7.2', '2001:db8:7::2', 'fe80::1', '198.18.9.0']);
    // A /31 has no broadcast address (RFC 3021): 198.18.9.1 is the peer.
    expect(host.broadcast).toEqual(['198.18.7.255']);
    const g = guard({ host });
    expect(g.refusal('198.18.7.2')).toBe('own_address');
    expect(g.refusal('2001:db8:7::2')).toBe('own_address');
    expect(g.refusal('198.18.7.255')).toBe('broadcast');
    expect(g.refusal('198.18.7.3')).toBeNull();
    expect(g.refusal('198.18.9.1')).toBeNull();
    // refresh() reads a new list: an address given up is no longer refused.
    g.refresh({ own: ['198.18.8.2'], broadcast: [] });
    expect(g.refusal('198.18.7.2')).toBeNull();
    expect(g.refusal('198.18.8.2')).toBe('own_address');
  });

  it("refuses every address of this machine's interfaces (os.networkInterfaces)", () => {
    const g = new AddressGuard({ homeNet: new CidrSet([]), actOnHomeNet: false });
    const mine = Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address.replace(/%.*$/, '')));
    expect(mine.length).toBeGreaterThan(0);
    for (const a of mine) expect(g.refusal(a), a).not.toBeNull();
  });

  it('refuses the home net unless asked, and follows a new home net', () => {
    expect(guard({ homeNet: ['198.18.0.0/24'] }).refusal('198.18.0.9')).toBe('home_net');
    expect(guard({ homeNet: ['198.18.0.0/24'], actOnHomeNet: true }).refusal('198.18.0.9')).toBeNull();
    // Asking for the home net does not open the fixed classes.
    expect(guard({ homeNet: ['127.0.0.0/8'], actOnHomeNet: true }).refusal('127.0.0.1')).toBe('loopback');
    const g = guard({ homeNet: ['198.18.0.0/24'] });
    g.setHomeNet(new CidrSet(['2001:db8::/32']));
    expect(g.refusal('198.18.0.9')).toBeNull();
    expect(g.refusal('2001:db8::9')).toBe('home_net');
  });
});

describe('sourceShareKey', () => {
  it('is the IPv4 address itself, and the /64 for IPv6 whatever the text form', () => {
    expect(sourceShareKey('198.18.0.1')).toBe('198.18.0.1');
    expect(sourceShareKey('2001:db8:1:2::1')).toBe(sourceShareKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(sourceShareKey('2001:db8:1:2::1')).toBe(sourceShareKey('2001:0db8:0001:0002:0:0:0:5'));
    expect(sourceShareKey('2001:db8:1:2::1')).not.toBe(sourceShareKey('2001:db8:1:3::1'));
  });
});
