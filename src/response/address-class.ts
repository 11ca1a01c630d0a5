/**
 * Which scan sources an automated response must never act on, whatever the
 * event says: addresses a packet can carry as its source but that no
 * remote scanner can own. Blocking them hurts only this host: 127.0.0.1 in
 * an nftables drop set cuts the sensor's own /metrics, the host's own
 * address cuts its services from itself, a multicast or broadcast entry is
 * never a real peer (RFC 1122 3.2.1.3: a source address must not be a
 * broadcast or multicast address).
 */
import { networkInterfaces } from 'node:os';
import { addressBytes, CidrSet } from '../rules/cidr.js';

/** Why a detection's source was not handed to the response hooks. */
export type AddressRefusal = 'not_an_address' | 'loopback' | 'link_local' | 'multicast' | 'broadcast' | 'unspecified' | 'ipv4_mapped' | 'own_address' | 'home_net';

/**
 * Fixed address classes (RFC 6890's special-purpose registries):
 * - loopback: 127.0.0.0/8 (RFC 1122 3.2.1.3 (g)), ::1 (RFC 4291 2.5.3);
 * - link-local: 169.254.0.0/16 (RFC 3927), fe80::/10 (RFC 4291 2.5.6);
 * - multicast: 224.0.0.0/4 (RFC 5771), ff00::/8 (RFC 4291 2.7);
 * - broadcast: 255.255.255.255 (RFC 919);
 * - unspecified: 0.0.0.0/8 ("this network", a source only while a host
 *   learns its address, RFC 1122 3.2.1.3 (a)), :: (RFC 4291 2.5.2);
 * - IPv4-mapped ::ffff:0:0/96: never the source of a real IPv6 packet
 *   (RFC 4291 2.5.5.2; Linux's ip6_rcv_core drops such packets), so only
 *   a forged packet carries one.
 */
const FIXED: readonly (readonly [AddressRefusal, readonly string[]])[] = [
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['link_local', ['169.254.0.0/16', 'fe80::/10']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['broadcast', ['255.255.255.255/32']],
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['ipv4_mapped', ['::ffff:0:0/96']],
];
const FIXED_SETS = FIXED.map(([reason, nets]) => [reason, new CidrSet(nets)] as const);

/** The fixed classes as CIDR text, for anything that must apply the same list (tests, docs). */
export const NEVER_ACT_ON: ReadonlyMap<AddressRefusal, readonly string[]> = new Map(FIXED);

/** A host's addresses, with the directed broadcast address of each IPv4 subnet it sits on. */
export interface HostAddresses {
  own: string[];
  broadcast: string[];
}

/** The last address of an IPv4 subnet (RFC 919/922 directed broadcast); null for /31 and /32, which have none (RFC 3021). */
function directedBroadcast(address: string, prefix: number): string | null {
  const b = addressBytes(address);
  if (b === null || b.length !== 4 || prefix >= 31) return null;
  const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  const host = prefix === 0 ? 0xffffffff : (2 ** (32 - prefix) - 1) >>> 0;
  const bc = (n | host) >>> 0;
  return `${bc >>> 24}.${(bc >>> 16) & 255}.${(bc >>> 8) & 255}.${bc & 255}`;
}

/** This host's addresses now (os.networkInterfaces: every interface, up or not). */
export function hostAddresses(interfaces = networkInterfaces()): HostAddresses {
  const own: string[] = [];
  const broadcast: string[] = [];
  for (const list of Object.values(interfaces)) {
    for (const a of list ?? []) {
      // A link-local IPv6 address carries its zone ("fe80::1%eth0"); the class above covers it anyway.
      own.push(a.address.replace(/%.*$/, ''));
      const prefix = a.cidr === null ? NaN : Number(a.cidr.split('/')[1]);
      if (a.family === 'IPv4' && Number.isInteger(prefix)) {
        const bc = directedBroadcast(a.address, prefix);
        if (bc !== null) broadcast.push(bc);
      }
    }
  }
  return { own, broadcast };
}

export interface AddressGuardOptions {
  /** The sensor's --home-net. */
  homeNet: CidrSet;
  /** Act on home-net sources too (--hook-home-net). */
  actOnHomeNet: boolean;
  host?: HostAddresses;
}

/**
 * Says whether the hooks may act on a source address, and if not, why.
 * Run once per detection (never per packet). The host's own addresses are
 * read at start and again on refresh() (SIGHUP, and periodically by the
 * sensor), so an address added by DHCP later is covered too.
 */
export class AddressGuard {
  private homeNet: CidrSet;
  private own: CidrSet;
  private broadcast: CidrSet;

  constructor(private readonly opts: AddressGuardOptions) {
    this.homeNet = opts.homeNet;
    const host = opts.host ?? hostAddresses();
    this.own = new CidrSet(host.own);
    this.broadcast = new CidrSet(host.broadcast);
  }

  setHomeNet(homeNet: CidrSet): void {
    this.homeNet = homeNet;
  }

  refresh(host: HostAddresses = hostAddresses()): void {
    this.own = new CidrSet(host.own);
    this.broadcast = new CidrSet(host.broadcast);
  }

  /** Null when the source may be acted on; otherwise the class that forbids it. */
  refusal(src: unknown): AddressRefusal | null {
    if (typeof src !== 'string' || addressBytes(src) === null) return 'not_an_address';
    for (const [reason, set] of FIXED_SETS) if (set.hasText(src)) return reason;
    if (this.broadcast.hasText(src)) return 'broadcast';
    if (this.own.hasText(src)) return 'own_address';
    if (!this.opts.actOnHomeNet && this.homeNet.hasText(src)) return 'home_net';
    return null;
  }
}

/**
 * The unit a source's share of a hook queue is counted in: an IPv4
 * address, or an IPv6 /64 (one subnet, RFC 4291 2.5.4: whoever holds one
 * address of it usually holds all 2^64, so counting single IPv6 addresses
 * would let one party take every slot).
 */
export function sourceShareKey(src: unknown): string {
  if (typeof src !== 'string') return '';
  const b = addressBytes(src);
  if (b === null) return src;
  if (b.length === 4) return src;
  return Buffer.from(b.subarray(0, 8)).toString('hex') + '/64';
}
