/**
 * The pieces of the live fuzzer that need no lab: the wire mutator (cases
 * reproducible, frames never empty, every header kind found), the model of
 * what the veth link does to a frame, the pcap it writes, and the wire
 * cases run in-process like the file cases of fuzz.test.ts. The live runs
 * themselves are test/e2e/fuzz-live.test.ts (root).
 */
import { describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/capture-parser.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/report/report.js';
import { renderTable } from '../../src/report/table.js';
import { defaultConfig } from '../../src/rules/config.js';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { runInProcess } from './harness.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { keepFrames, refusedNumbers } from './live-harness.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { readPcap } from './mutator.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { layersOf } from './wire-layers.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { droppedBeforeCapture, edgeFrames, fateOf, LINK_MTU, refusedBySender } from './wire-link.mjs';
// @ts-expect-error plain JavaScript module shared with `npm run fuzz`
import { framesToPcap, loadWireFixtures, makeWireCase } from './wire-mutator.mjs';

interface Frame {
  data: Buffer;
  gapUs: number;
}
interface WireCase {
  name: string;
  steps: string[];
  frames: Frame[];
}
interface Layer {
  proto: string;
  start: number;
  len: number;
}

const mods = { CaptureParser, Engine, buildReport, renderTable, defaultConfig };
const fixtures = loadWireFixtures() as { name: string; frames: Frame[] }[];
const SEED = 424242;
const stack = (frame: Buffer): string => (layersOf(frame) as Layer[]).map((l) => l.proto).join('>');
const fixture = (name: string): { name: string; frames: Frame[] } => fixtures.find((f) => f.name === `test/pcaps/${name}`)!;

describe('wire mutator', () => {
  it('takes every Ethernet fixture, in test/pcaps and its recon/ and adversary/ directories', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(70);
    expect(fixture('nmap-syn.pcap')).toBeDefined();
    expect(fixture('recon/tunnel-vxlan.pcap')).toBeDefined();
    expect(fixture('adversary/evasion-trim12.pcap')).toBeDefined();
  });

  it('makes case i of seed S from (S, i) alone, and other cases differently', () => {
    const a = makeWireCase(fixtures, SEED, 17) as WireCase;
    const b = makeWireCase(fixtures, SEED, 17) as WireCase;
    const c = makeWireCase(fixtures, SEED, 18) as WireCase;
    expect(b.steps).toEqual(a.steps);
    expect(b.frames.map((f) => f.data.toString('hex'))).toEqual(a.frames.map((f) => f.data.toString('hex')));
    expect(c.frames.map((f) => f.data.toString('hex'))).not.toEqual(a.frames.map((f) => f.data.toString('hex')));
  });

  it('never makes an empty frame (a zero-length record stops tcpreplay), and keeps gaps short', () => {
    let frames = 0;
    let changed = 0;
    for (let i = 0; i < 500; i++) {
      const c = makeWireCase(fixtures, SEED, i) as WireCase;
      const m = /^frames:(\d+)\+(\d+)$/.exec(c.steps[0]!)!;
      const original = fixtures.find((f) => f.name === c.name)!.frames.slice(Number(m[1]), Number(m[1]) + Number(m[2]));
      for (const f of c.frames) {
        expect(f.data.length).toBeGreaterThan(0);
        expect(f.gapUs).toBeLessThanOrEqual(2000);
        frames++;
        if (!original.some((o) => o.data.equals(f.data))) changed++;
      }
    }
    // About half the frames are mutated: enough damage, enough intact traffic to make scans.
    expect(changed / frames).toBeGreaterThan(0.3);
    expect(changed / frames).toBeLessThan(0.8);
  });
});

describe('header walk', () => {
  it('finds the headers of plain, tagged, tunnelled and extension-header frames', () => {
    const stacks = (name: string): Set<string> => new Set(fixture(name).frames.map((f) => stack(f.data)));
    expect(stacks('nmap-syn.pcap')).toContain('ethernet>ipv4>tcp');
    expect(stacks('nmap-udp.pcap')).toContain('ethernet>ipv4>icmp>ipv4>udp');
    expect(stacks('recon/tunnel-vxlan-ipv6.pcap')).toContain('ethernet>ipv6>udp>vxlan>ethernet>ipv4>tcp');
    expect(stacks('recon/tunnel-geneve.pcap')).toContain('ethernet>ipv4>udp>geneve>ethernet>ipv4>tcp');
    expect(stacks('recon/tunnel-erspan3.pcap')).toContain('ethernet>ipv4>gre>erspan3>ethernet>ipv4>tcp');
    expect(stacks('recon/tunnel-mpls.pcap')).toContain('ethernet>mpls>ipv4>tcp');
    expect(stacks('recon/tenants-vlan-overlap.pcap')).toContain('ethernet>vlan>ipv4>tcp');
    expect(stacks('recon/nmap-sctp-init.pcap')).toContain('ethernet>ipv4>sctp>sctp-chunk');
    expect([...stacks('adversary/evasion-ipv6-dstopts9-frag.pcap')].some((s) => s.endsWith('ipv6-ext60>ipv6-frag>tcp'))).toBe(true);
  });

  it('stops where the frame ends, and reports a header longer than the frame as it claims', () => {
    const syn = fixture('nmap-syn.pcap').frames.find((f) => stack(f.data) === 'ethernet>ipv4>tcp')!.data;
    expect(stack(syn.subarray(0, 30))).toBe('ethernet');
    const bigIhl = Buffer.from(syn);
    bigIhl[14] = 0x4f; // IHL 15: a 60-byte IPv4 header
    const ip = (layersOf(bigIhl) as Layer[]).find((l) => l.proto === 'ipv4')!;
    expect(ip.len).toBe(60);
  });
});

describe('link model', () => {
  const frame = (len: number, type = 0x0800): Buffer => {
    const f = Buffer.alloc(len);
    if (len >= 14) f.writeUInt16BE(type, 12);
    return f;
  };

  it('says which frames the sender refuses and which the receiver drops before a capture', () => {
    expect(LINK_MTU).toBe(9000);
    expect(refusedBySender(frame(13))).toBe('runt');
    expect(refusedBySender(frame(14))).toBeNull();
    expect(refusedBySender(frame(9014))).toBeNull();
    expect(refusedBySender(frame(9015))).toBe('oversize');
    expect(refusedBySender(frame(9018, 0x8100))).toBeNull();
    expect(refusedBySender(frame(9019, 0x8100))).toBe('oversize');
    expect(refusedBySender(frame(9015, 0x88a8))).toBe('oversize');
    expect(droppedBeforeCapture(frame(19, 0x8100))).toBe(true);
    expect(droppedBeforeCapture(frame(19, 0x88a8))).toBe(true);
    expect(droppedBeforeCapture(frame(20, 0x8100))).toBe(false);
    expect(droppedBeforeCapture(frame(14, 0x9100))).toBe(false);
    expect(droppedBeforeCapture(frame(14, 0x0800))).toBe(false);
  });

  it('puts a frame on each side of every limit among the edge frames', () => {
    const fates = (edgeFrames() as Frame[]).map((f) => fateOf(f.data));
    for (const fate of ['refused-runt', 'refused-oversize', 'dropped-before-capture', 'captured']) expect(fates).toContain(fate);
  });

  it("reads the frames tcpreplay could not send from its warnings (numbered from 1)", () => {
    const stderr = [
      'Warning in send_packets.c:send_packets() line 489:',
      'Unable to send packet: Error with PF_PACKET send() [1]: Invalid argument (errno = 22)',
      'Warning in send_packets.c:send_packets() line 489:',
      'Unable to send packet: Error with PF_PACKET send() [17]: Message too long (errno = 90)',
    ].join('\n');
    expect(refusedNumbers(stderr)).toEqual([1, 17]);
  });
});

describe('pcap of frames', () => {
  it('holds the frames whole, at their gaps; leaving frames out keeps the others at their times', () => {
    const frames: Frame[] = [
      { data: Buffer.from('aa'.repeat(60), 'hex'), gapUs: 0 },
      { data: Buffer.from('bb'.repeat(20), 'hex'), gapUs: 1500 },
      { data: Buffer.from('cc'.repeat(70), 'hex'), gapUs: 2_000_000 },
    ];
    const read = (fs: Frame[]): { us: bigint; data: Buffer }[] => readPcap(framesToPcap(fs, 1_000_000n)).frames;
    const all = read(frames);
    expect(all.map((f) => f.data.toString('hex'))).toEqual(frames.map((f) => f.data.toString('hex')));
    expect(all.map((f) => Number(f.us))).toEqual([1_000_000, 1_001_500, 3_001_500]);
    const kept = read(keepFrames(frames, (f: Frame) => f.data[0] !== 0xbb) as Frame[]);
    expect(kept.map((f) => Number(f.us))).toEqual([1_000_000, 3_001_500]);
  });
});

describe('wire cases in-process', () => {
  it('400 wire cases: no exception, a valid report in every format', () => {
    const failures: string[] = [];
    let damaged = 0;
    for (let i = 0; i < 400; i++) {
      const c = makeWireCase(fixtures, SEED, i) as WireCase;
      const r = runInProcess(mods, framesToPcap(c.frames), { small: i % 10 !== 0 }) as { ok: boolean; exit: number; error?: string };
      if (!r.ok) failures.push(`case ${i} (${c.name}: ${c.steps.join(' ')}): ${r.error}`);
      if (r.exit !== 0) damaged++;
    }
    expect(failures).toEqual([]);
    // A pcap of whole frames is never a damaged file, however damaged the frames.
    expect(damaged).toBe(0);
  }, 120_000);
});
