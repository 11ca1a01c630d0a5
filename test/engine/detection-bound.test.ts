/**
 * The detection bound (--max-detections) cannot be turned into blindness.
 * A flood of spoofed one-packet probes takes no place at all; a flood of
 * weak scans (three NULL probes from each spoofed source, one probe to a
 * honey port) fills the book with the weakest evidence there is, and a real
 * scan arriving behind it takes a weak one's place (counted as evicted and
 * dropped, once). A scan dropped while the book held only stronger ones is
 * judged again as it grows and reported once there is room.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { detectionReport } from '../../src/report/report.js';
import { defaultConfig } from '../../src/rules/config.js';
import { sitePolicy } from '../../src/rules/policy.js';
import { feed, rng, tcp, type Timed } from './packets.js';
import { rawScan, T0 } from './traffic.js';

const TARGET = '198.18.0.2';
const SCANNER = '198.18.0.1';

function engineWith(maxDetections: number): Engine {
  const config = defaultConfig();
  config.maxDetections = maxDetections;
  config.hashSeed = 3;
  return new Engine(config);
}

/** `sources` spoofed addresses (198.19.x.y), each sending `each` NULL segments to distinct closed ports of TARGET. */
function spoofedNulls(sources: number, each: number, t0: number): Timed[] {
  const r = rng(42);
  const out: Timed[] = [];
  for (let s = 0; s < sources; s++) {
    const src = `198.19.${(s >> 8) & 255}.${s & 255}`;
    for (let k = 0; k < each; k++) {
      out.push({ frame: tcp({ src, dst: TARGET, sport: 1024 + Math.floor(r() * 60000), dport: 1000 + k, flags: '', seq: 1, window: 1024 }), t: t0 + (s * each + k) * 0.0001 });
    }
  }
  return out;
}

const reported = (e: Engine): string[] => e.detections.map((d) => `${detectionReport(d).src} ${d.type}`);

describe('--max-detections cannot blind the sensor', () => {
  it('100,000 one-packet spoofed NULL probes: no detection at all; the real nmap -sN after them is reported', () => {
    const e = engineWith(100);
    feed(e, spoofedNulls(100_000, 1, T0));
    expect(e.detections).toHaveLength(0);
    feed(e, rawScan({ src: SCANNER, dsts: [TARGET], ports: Array.from({ length: 200 }, (_, i) => 1 + i), flags: '', t0: T0 + 20, seed: 7 }));
    e.finish();
    expect(reported(e)).toEqual([`${SCANNER} tcp-null`]);
    expect(e.detectionsDropped).toBe(0);
  });

  it('a book full of spoofed three-probe NULL scans: the real scan takes a weak one\'s place', () => {
    const e = engineWith(100);
    feed(e, spoofedNulls(300, 3, T0));
    expect(e.detections).toHaveLength(100);
    const droppedBefore = e.detectionsDropped;
    expect(droppedBefore).toBe(200);
    feed(e, rawScan({ src: SCANNER, dsts: [TARGET], ports: Array.from({ length: 200 }, (_, i) => 1 + i), flags: 'S', open: new Set(['22']), t0: T0 + 5, seed: 7 }));
    e.finish();
    const mine = e.detections.filter((d) => detectionReport(d).src === SCANNER);
    expect(mine).toHaveLength(1);
    expect(detectionReport(mine[0]!).ports).toBe(200);
    expect(e.detections.length).toBeLessThanOrEqual(100);
    // The scanner took one weak scan's place: that one is counted as evicted and dropped.
    expect(e.book.evicted).toBe(1);
    expect(e.detectionsDropped).toBe(droppedBefore + 1);
  });

  it('one-probe honey-port hits fill the book; a real scan still gets in, and the hits are the ones evicted', () => {
    const e = engineWith(50);
    const decoys = sitePolicy(undefined, [], [], [], ['2323']);
    e.useDeception(decoys.darkNet, decoys.honeyPorts);
    const hits: Timed[] = [];
    for (let s = 0; s < 80; s++) hits.push({ frame: tcp({ src: `198.19.1.${s}`, dst: TARGET, sport: 40000, dport: 2323, flags: 'S', seq: 9, window: 1024 }), t: T0 + s * 0.01 });
    feed(e, hits);
    expect(e.detections).toHaveLength(50);
    feed(e, rawScan({ src: SCANNER, dsts: [TARGET], ports: Array.from({ length: 50 }, (_, i) => 3000 + i), flags: 'S', t0: T0 + 5, seed: 8 }));
    e.finish();
    expect(reported(e)).toContain(`${SCANNER} tcp-syn`);
    expect(e.book.evicted).toBe(1);
  });

  it('a scan dropped behind stronger ones is judged again and reported once they end (live: ended scans leave the book)', () => {
    const e = engineWith(2);
    e.keepEndedDetections = false;
    const started: string[] = [];
    e.onDetection = (event, d) => {
      if (event === 'start') started.push(d.src);
    };
    // Two long, strong scans of two other hosts (verified: their kernels reset the SYN-ACKs of open ports).
    const strong = ['198.18.0.10', '198.18.0.11'].flatMap((src, i) =>
      rawScan({ src, dsts: [`198.18.0.${20 + i}`], ports: Array.from({ length: 300 }, (_, k) => 1 + k), flags: 'S', open: new Set(['22', '80']), t0: T0, gap: 0.01, seed: 20 + i }),
    );
    // A third scan, weaker while the two run (unverified: only closed ports), that goes on long after they stop.
    const late = rawScan({ src: SCANNER, dsts: [TARGET], ports: Array.from({ length: 400 }, (_, k) => 5000 + k), flags: 'S', t0: T0 + 1, gap: 0.5, seed: 30 });
    feed(e, [...strong, ...late].sort((a, b) => a.t - b.t));
    e.finish();
    expect(started.slice(0, 2).sort()).toEqual(['198.18.0.10', '198.18.0.11']);
    expect(started).toContain(SCANNER);
    expect(e.detectionsDropped).toBe(1); // dropped once, then reported: counted once
  });
});
