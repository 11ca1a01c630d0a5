/**
 * The live sensor's default snapshot length (src/capture/live-capture.ts)
 * keeps the headers of any fragment train: a scanner can put a long IPv6
 * extension chain, which Linux accepts, in front of the fragment header.
 * At 512 bytes that pushed the fragment header past the cut; at the default
 * the probe is rebuilt, and a cut that does hide it is counted as cut.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_SNAPLEN } from '../../src/capture/live-capture.js';
import { Decoder } from '../../src/decode/decoder.js';
import { DecodeError } from '../../src/decode/errors.js';
import { TcpFlag } from '../../src/decode/packet.js';
import type { Ipv6Ext } from '../engine/packets.js';
import { run, split, syn, v6Frame } from './fragment-frames.js';

// Seven destination options headers of 200 bytes, each one option of type 0x1E (RFC 4727's experiment
// type; its top bits say "skip if unknown", so Linux walks on): 1,400 bytes before the fragment header.
const chain: Ipv6Ext[] = Array.from({ length: 7 }, () => ({ type: 60, body: Buffer.from([0x1e, 196, ...Buffer.alloc(196)]) }));

describe('the default snapshot length keeps a fragment train\'s headers whatever they carry', () => {
  it('a SYN behind 1,400 bytes of extension headers, in 8-byte fragments (frames of 1,476 bytes)', () => {
    const frames = split(Buffer.concat([syn, Buffer.alloc(8)]), 16).map((f) => v6Frame(f, { before: chain }));
    expect(frames[0]!.length).toBe(14 + 40 + 1400 + 8 + 16);
    const d = new Decoder();
    expect(run(d, frames, 0, DEFAULT_SNAPLEN)).toBe(1);
    expect(d.packet.dport).toBe(80);
    expect(d.packet.tcpFlags).toBe(TcpFlag.SYN);
  });

  it('cut at 512 bytes the fragment header is gone: nothing is analysed and every frame is counted as cut', () => {
    const frames = split(Buffer.concat([syn, Buffer.alloc(8)]), 16).map((f) => v6Frame(f, { before: chain }));
    const d = new Decoder();
    for (const f of frames) expect(d.decode(1, f, 0, 512, 0, 0, f.length)).toBe(false);
    expect(d.errors[DecodeError.TRUNCATED_IPV6]).toBe(frames.length);
  });
});
