/**
 * live --extract DIR: the frame ring that holds the recent frames, and the
 * files written from it when a scan ends (the engine's packet index), with
 * the directory bounded by count and size, oldest removed first.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/index.js';
import type { PacketSink } from '../../src/capture/types.js';
import { Engine } from '../../src/engine/engine.js';
import { defaultConfig } from '../../src/rules/config.js';
import { FrameRing } from '../../src/report/frame-ring.js';
import { LiveExtract, type ExtractOutcome } from '../../src/report/live-extract.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scanwatch-live-extract-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function tcpdump(file: string, filter: string[] = []): string[] {
  const r = spawnSync('tcpdump', ['-nn', '-tt', '-r', file, ...filter], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trimEnd().split('\n').filter((l) => l !== '');
}

/** The live sensor's wiring (src/cli/live.ts): each frame kept in the ring under the engine's number for it, ended scans written. */
function runLive(file: string, extract: LiveExtract): ExtractOutcome[] {
  // As live --extract configures it (cli/engine-setup.ts): the detections keep their packet indexes.
  const engine = new Engine({ ...defaultConfig(), indexPackets: true });
  engine.keepEndedDetections = false;
  const outcomes: ExtractOutcome[] = [];
  engine.onDetection = (event, d) => {
    if (event === 'end' && d.absorbedBy === null) outcomes.push(extract.scanEnded(d));
  };
  const sink: PacketSink = {
    onPacket(l, data, off, cap, wire, sec, nsec) {
      extract.ring.add(engine.packets, l, data, off, cap, wire, sec, nsec);
      engine.onPacket(l, data, off, cap, wire, sec, nsec);
    },
  };
  readCaptureFile(file, sink);
  engine.finish();
  return outcomes;
}

describe('FrameRing', () => {
  it('holds the newest frames whole, drops the oldest first, and counts what it overwrote', () => {
    const ring = new FrameRing(64 * 1024);
    const frame = Buffer.alloc(1600);
    const sizes: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const size = 60 + ((i * 7919) % 1500);
      sizes.push(size);
      frame.fill(i & 0xff, 0, size);
      ring.add(i, 1, frame, 0, size, size, 1_790_000_000 + i, i);
    }
    const held: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      ring.find(i, (link, data, cap, wire, sec, nsec) => {
        expect([link, cap, wire, sec, nsec]).toEqual([1, sizes[i], sizes[i], 1_790_000_000 + i, i]);
        expect(data.every((b) => b === (i & 0xff))).toBe(true);
        held.push(i);
      });
    }
    expect(held[held.length - 1]).toBe(9_999);
    // The held frames are the newest, without gaps, and they fill most of the ring.
    expect(held).toEqual(Array.from({ length: held.length }, (_, k) => 10_000 - held.length + k));
    expect(held.reduce((n, i) => n + sizes[i]!, 0)).toBeGreaterThan(32 * 1024);
    expect(ring.overwritten).toBe(10_000 - held.length);
    expect(ring.oldestOrdinal).toBe(held[0]);
  });
});

describe('FrameRing under a flood of minimum-size frames', () => {
  it('runs out of index slots before bytes: a shorter history, the same memory, the newest frames whole', () => {
    const ring = new FrameRing(1 << 20);
    const frame = Buffer.alloc(60, 7);
    for (let i = 0; i < 100_000; i++) ring.add(i, 1, frame, 0, 60, 60, 0, 0);
    let held = 0;
    for (let i = 0; i < 100_000; i++) if (ring.find(i, () => {})) held++;
    expect(held).toBe((1 << 20) / 128); // one slot per 128 bytes of ring
    expect(ring.oldestOrdinal).toBe(100_000 - held);
    expect(ring.overwritten).toBe(100_000 - held);
  });
});

describe('LiveExtract', () => {
  it('an ended scan is written from the ring: the same packets analyze --extract takes (recon/syn-options)', () => {
    const dir = path.join(tmp, 'one');
    fs.mkdirSync(dir);
    const extract = new LiveExtract(dir, { maxFiles: 10, maxBytes: 1 << 30, ringBytes: 1 << 20 });
    const src = 'test/pcaps/recon/syn-options.pcap';
    const [r] = runLive(src, extract);
    expect(r!.failure).toBeNull();
    expect(r!.agedOut).toBe(0);
    const file = path.join(dir, r!.file!);
    // Every TCP packet of the fixture is the scan's: 63 SYNs, their 63 answers, the scanner's 4 resets.
    expect(tcpdump(file)).toEqual(tcpdump(src, ['tcp']));
    expect(r!.packets).toBe(130);
  });

  it('keeps at most --extract-max-files files, removing the oldest first (recon/tenants-separate: two scans)', () => {
    const dir = path.join(tmp, 'bounded');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'not-ours.txt'), 'left alone');
    const extract = new LiveExtract(dir, { maxFiles: 1, maxBytes: 1 << 30, ringBytes: 1 << 20 });
    const outcomes = runLive('test/pcaps/recon/tenants-separate.pcap', extract);
    expect(outcomes).toHaveLength(2);
    expect(extract.written).toBe(2);
    expect(extract.removed).toBe(1);
    expect(fs.readdirSync(dir).sort()).toEqual([outcomes[1]!.file!, 'not-ours.txt'].sort());
  });

  it('keeps at most --extract-max-size bytes of files', () => {
    const dir = path.join(tmp, 'sized');
    fs.mkdirSync(dir);
    const extract = new LiveExtract(dir, { maxFiles: 100, maxBytes: 1000, ringBytes: 1 << 20 });
    const [r] = runLive('test/pcaps/recon/syn-options.pcap', extract);
    expect(r!.packets).toBe(130);
    expect(extract.removed).toBe(1); // one scan's file is larger than the bound
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it("a scan's packets older than the ring are counted as aged out, the rest written", () => {
    const dir = path.join(tmp, 'aged');
    fs.mkdirSync(dir);
    const extract = new LiveExtract(dir, { maxFiles: 10, maxBytes: 1 << 30, ringBytes: 4000 });
    const [r] = runLive('test/pcaps/recon/syn-options.pcap', extract);
    expect(r!.agedOut).toBeGreaterThan(0);
    expect(r!.packets).toBeGreaterThan(0);
    expect(r!.packets + r!.agedOut).toBe(130);
    expect(tcpdump(path.join(dir, r!.file!))).toHaveLength(r!.packets);
  });

  it('without a reader of the packets (no --extract, no html) the engine keeps no index at all', () => {
    const engine = new Engine();
    const kept: (object | null)[] = [];
    engine.onDetection = (event, d) => {
      if (event === 'end') kept.push(d.packets);
    };
    readCaptureFile('test/pcaps/recon/syn-options.pcap', engine);
    engine.finish();
    expect(engine.detections).toHaveLength(1);
    expect(engine.detections[0]!.packets).toBeNull();
    expect(kept).toEqual([null]);
  });

  it('writes at most --extract files a second in a burst of ended scans, counting the rest', () => {
    const dir = path.join(tmp, 'rate');
    fs.mkdirSync(dir);
    const extract = new LiveExtract(dir, { maxFiles: 1000, maxBytes: 1 << 30, ringBytes: 1 << 20, filesPerSecond: 1 });
    const engine = new Engine({ ...defaultConfig(), indexPackets: true });
    readCaptureFile('test/pcaps/recon/syn-options.pcap', engine);
    engine.finish();
    const d = engine.detections[0]!;
    const outcomes = [0, 1, 2, 3].map(() => extract.scanEnded(d));
    // A burst of two seconds' worth: two files, then the bound.
    expect(outcomes.map((o) => o.failure === null || o.failure === 'every packet had left the ring')).toEqual([true, true, false, false]);
    expect(outcomes[3]!.failure).toBe('more than 1 files a second');
    expect(extract.skipped).toBe(2);
  });
});
