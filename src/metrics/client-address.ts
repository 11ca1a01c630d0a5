/**
 * Who a connection to /metrics counts against: the unit one client is
 * assumed to control. An IPv4 address is one client. An IPv6 client
 * controls at least a /64 (SLAAC and privacy addresses hand every host a
 * whole /64, RFC 4291 section 2.5.1), so its limits are per /64: otherwise
 * one host could take every slot by cycling through its own addresses.
 */
import net from 'node:net';

/**
 * The key a remote address is limited under: the IPv4 address itself (an
 * IPv4-mapped IPv6 address, as a dual-stack listener reports IPv4 peers,
 * is its IPv4 address), or the IPv6 /64 as `xxxx:xxxx:xxxx:xxxx::/64`
 * (with the zone, `%eth0`, kept: link-local prefixes of different links
 * are different clients). null for anything that is no IP address.
 */
export function clientKey(address: string | undefined): string | null {
  if (address === undefined) return null;
  if (net.isIPv4(address)) return address;
  const zoneAt = address.indexOf('%');
  const bare = zoneAt < 0 ? address : address.slice(0, zoneAt);
  const zone = zoneAt < 0 ? '' : address.slice(zoneAt);
  if (!net.isIPv6(bare)) return null;
  const groups = ipv6Groups(bare);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64${zone}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail read as two groups). */
function ipv6Groups(address: string): number[] {
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = text.indexOf('::');
  if (gap < 0) return parse(text);
  const left = parse(text.slice(0, gap));
  const right = parse(text.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}
