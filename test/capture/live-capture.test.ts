import { describe, expect, it } from 'vitest';
import { explainOpenError, parseSize } from '../../src/capture/live-capture.js';

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
    expect(perm).toMatch(/cap_net_raw/);
    expect(perm).not.toMatch(/\n/);
    expect(explainOpenError('eth9', 'eth9: No such device exists (SIOCGIFHWADDR: No such device)')).toBe('no such interface: eth9');
    expect(explainOpenError('eth1', "syntax error in filter expression")).toMatch(/bad --filter/);
  });
});
