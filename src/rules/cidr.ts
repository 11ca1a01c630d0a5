import { isIPv4, isIPv6 } from 'node:net';
import type { Packet } from '../decode/packet.js';

/** One network, as 16 bytes (IPv4 mapped into the first 4) and a prefix length. */
interface Network {
  v6: boolean;
  bytes: Uint8Array;
  prefix: number;
  /** For IPv4: network and mask as signed 32-bit integers, for the packet fast path. */
  v4net: number;
  v4mask: number;
}

export function addressBytes(text: string): Uint8Array | null {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text)) return null;
  let t = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  const tailV4 = dotted ? Uint8Array.from(dotted[1]!.split('.').map(Number)) : null;
  if (dotted) t = t.slice(0, -dotted[1]!.length) + '0:0';
  const [head, tail] = t.includes('::') ? t.split('::') : [t, null];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...new Array(8 - h.length - tl.length).fill('0'), ...tl];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g || '0', 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 255;
  });
  if (tailV4) out.set(tailV4, 12);
  return out;
}

function parseNetwork(text: string): Network {
  const [addr, len] = text.trim().split('/');
  const bytes = addressBytes(addr ?? '');
  if (bytes === null) throw new Error(`not an address or network: ${JSON.stringify(text)}`);
  const v6 = bytes.length === 16;
  const max = v6 ? 128 : 32;
  const prefix = len === undefined ? max : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) throw new Error(`bad prefix length in ${JSON.stringify(text)}`);
  const v4mask = v6 || prefix === 0 ? 0 : (-1 << (32 - prefix)) | 0;
  const v4net = v6 ? 0 : ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) & v4mask;
  return { v6, bytes, prefix, v4net, v4mask };
}

function matchBytes(n: Network, buf: Uint8Array, off: number): boolean {
  let bits = n.prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((buf[off + i]! & mask) !== (n.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * A set of IPv4 and IPv6 networks ("10.0.0.0/8 2001:db8::/32"), matched
 * against packet addresses without allocation and against address text.
 */
export class CidrSet {
  private readonly v4: Network[];
  private readonly v6: Network[];
  readonly text: string[];

  constructor(networks: Iterable<string>) {
    const all = [...networks].flatMap((s) => s.split(/[\s,]+/)).filter((s) => s !== '');
    const parsed = all.map(parseNetwork);
    this.v4 = parsed.filter((n) => !n.v6);
    this.v6 = parsed.filter((n) => n.v6);
    this.text = all;
  }

  get empty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  /** An IPv4 address as a (signed or unsigned) 32-bit integer. */
  hasV4(addr: number): boolean {
    for (const n of this.v4) if ((addr & n.v4mask) === n.v4net) return true;
    return false;
  }

  hasV6(buf: Uint8Array, off: number): boolean {
    for (const n of this.v6) if (matchBytes(n, buf, off)) return true;
    return false;
  }

  /** Whether the packet's source (or destination) address is in the set. */
  hasPacketAddress(p: Packet, source: boolean): boolean {
    if (p.l3 === 6) return this.hasV6(p.buf, source ? p.src6Off : p.dst6Off);
    return this.hasV4(source ? p.src : p.dst);
  }

  hasText(text: string): boolean {
    const b = addressBytes(text);
    if (b === null) return false;
    if (b.length === 4) return this.hasV4((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!);
    return this.hasV6(b, 0);
  }
}
