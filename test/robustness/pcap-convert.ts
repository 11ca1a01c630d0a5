/**
 * Turns a classic pcap fixture into pcapng (one interface, chosen
 * if_tsresol / if_tsoffset), optionally with packets whose timestamp no
 * Date can hold spliced in: the shapes an attacker who can inject one frame
 * into a capture would use.
 */
import fs from 'node:fs';
import { PcapngBuilder } from '../capture/build-capture.js';

export interface PcapFrame {
  sec: number;
  usec: number;
  data: Buffer;
}

export function readPcapFrames(file: string): { linkType: number; frames: PcapFrame[] } {
  const b = fs.readFileSync(file);
  const magic = b.readUInt32LE(0);
  if (magic !== 0xa1b2c3d4) throw new Error(`${file}: expected a little-endian microsecond pcap`);
  const linkType = b.readUInt32LE(20) & 0xffff;
  const frames: PcapFrame[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    const cap = b.readUInt32LE(off + 8);
    frames.push({ sec: b.readUInt32LE(off), usec: b.readUInt32LE(off + 4), data: b.subarray(off + 16, off + 16 + cap) });
    off += 16 + cap;
  }
  return { linkType, frames };
}

export interface ConvertOptions {
  /** if_tsoffset in seconds, added to every timestamp. */
  tsoffset?: bigint;
  /** Raw 64-bit tick values of extra frames inserted after frame `at`. */
  inject?: { at: number; ticks: bigint; iface?: number }[];
  /** A second interface with this if_tsresol byte (for injected frames with iface 1). */
  secondResol?: number;
  secondOffset?: bigint;
}

export function pcapToPcapng(file: string, opts: ConvertOptions = {}): Buffer {
  const { linkType, frames } = readPcapFrames(file);
  const b = new PcapngBuilder().section();
  b.idb({ linkType, tsresol: 6, tsoffset: opts.tsoffset });
  if (opts.secondResol !== undefined || opts.secondOffset !== undefined) {
    b.idb({ linkType, tsresol: opts.secondResol, tsoffset: opts.secondOffset });
  }
  frames.forEach((f, i) => {
    b.epb({ ts: BigInt(f.sec) * 1_000_000n + BigInt(f.usec), data: f.data });
    for (const inj of opts.inject ?? []) {
      if (inj.at === i) b.epb({ iface: inj.iface ?? 0, ts: inj.ticks, data: f.data });
    }
  });
  return b.build();
}
