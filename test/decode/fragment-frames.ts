/**
 * Builders shared by the reassembly tests: a SYN split into IPv4 or IPv6
 * fragments as nmap -f / --mtu split it, fed to a decoder on packet time.
 */
import { expect } from 'vitest';
import { LinkType } from '../../src/capture/types.js';
import type { Decoder } from '../../src/decode/decoder.js';
import { Proto, TcpFlag } from '../../src/decode/packet.js';
import { FRAGMENT_STAT_NAMES } from '../../src/decode/reassembly.js';
import { ETHERTYPE, PROTO, ether, fragmentHeaderBody, ipv4Packet, ipv6Packet, tcpSegment, type Ipv6Ext } from '../engine/packets.js';

// The SYN nmap sends: 24 bytes of TCP header (MSS option), nothing after.
export const syn = tcpSegment({ sport: 61234, dport: 80, flags: 'S', seq: 0x11223344, window: 1024, options: { mss: 1460 } });

export interface Frag {
  offset: number; // bytes
  data: Buffer;
  more: boolean;
}

/** Splits `payload` into pieces of `size` bytes (a multiple of 8), as nmap -f (8) and --mtu N do. */
export function split(payload: Buffer, size: number): Frag[] {
  const out: Frag[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const end = Math.min(payload.length, off + size);
    out.push({ offset: off, data: payload.subarray(off, end), more: end < payload.length });
  }
  return out;
}

export interface V4Opts {
  id?: number;
  proto?: number;
  src?: string;
  dst?: string;
}

export function v4Frame(f: Frag, o: V4Opts = {}): Buffer {
  if (f.offset % 8 !== 0) throw new Error('offset must be a multiple of 8');
  return ether(
    ETHERTYPE.IPV4,
    ipv4Packet({ src: o.src ?? '198.18.0.1', dst: o.dst ?? '198.18.0.2', proto: o.proto ?? PROTO.TCP, payload: f.data, id: o.id ?? 0x5151, fragOffset: f.offset / 8, moreFragments: f.more }),
  );
}

export interface V6Opts {
  id?: number;
  next?: number;
  src?: string;
  /** Extension headers before the fragment header (the unfragmentable part). */
  before?: Ipv6Ext[];
}

export function v6Frame(f: Frag, o: V6Opts = {}): Buffer {
  const frag = { type: PROTO.FRAG, body: fragmentHeaderBody(f.offset / 8, f.more, o.id ?? 0xabcdef01) };
  return ether(ETHERTYPE.IPV6, ipv6Packet({ src: o.src ?? '2001:db8::1', dst: '2001:db8::2', next: o.next ?? PROTO.TCP, payload: f.data, ext: [...(o.before ?? []), frag] }));
}

/** Decodes one frame at packet time `now` (seconds), split as capture files give it, cut at `snaplen` bytes (wire length known). */
export function feed(d: Decoder, frame: Buffer, now = 0, snaplen = Infinity): boolean {
  const sec = Math.floor(now);
  const cap = Math.min(frame.length, snaplen);
  return d.decode(LinkType.ETHERNET, frame, 0, cap, sec, Math.round((now - sec) * 1e9), frame.length);
}

/** Non-zero fragment counters by name. */
export function stats(d: Decoder): Record<string, number> {
  const out: Record<string, number> = {};
  FRAGMENT_STAT_NAMES.forEach((n, i) => {
    if (d.reassembly.stats[i]! > 0) out[n] = d.reassembly.stats[i]!;
  });
  return out;
}

export function expectSyn(d: Decoder): void {
  const p = d.packet;
  expect(p.hasL4).toBe(true);
  expect(p.completeDatagram).toBe(true);
  expect(p.reassembled).toBe(true);
  expect(p.proto).toBe(Proto.TCP);
  expect(p.sport).toBe(61234);
  expect(p.dport).toBe(80);
  expect(p.tcpFlags).toBe(TcpFlag.SYN);
  expect(p.tcpSeq).toBe(0x11223344);
  expect(p.tcpWindow).toBe(1024);
  expect(p.tcpMss).toBe(1460);
  expect(p.payloadLen).toBe(0);
}

/** Feeds fragments in the given order (each must decode); returns how many frames handed over a transport header. */
export function run(d: Decoder, frames: Buffer[], now = 0, snaplen = Infinity): number {
  let whole = 0;
  for (const f of frames) {
    expect(feed(d, f, now, snaplen)).toBe(true);
    if (d.packet.hasL4) whole++;
  }
  return whole;
}
