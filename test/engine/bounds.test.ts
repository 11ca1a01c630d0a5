/**
 * Issue 12, items 4 and 5: the detection bound counts detections (not
 * verdicts), and a report says how much it could not follow. Captures are
 * built by bench/make-scanners.mjs: N sources each sending raw SYNs to 15
 * ports of one target, nobody answering; each source is a tcp-syn scan
 * by construction (threshold: 10 ports).
 */
import { describe, expect, it } from 'vitest';
import { CaptureParser } from '../../src/capture/capture-parser.js';
import { Engine } from '../../src/engine/engine.js';
import { buildReport } from '../../src/report/report.js';
import { renderTable } from '../../src/report/table.js';
import { defaultConfig, type EngineConfig } from '../../src/rules/config.js';
import { DistinctSources } from '../../src/state/distinct-sources.js';
// @ts-expect-error plain JavaScript module shared with the benchmark
import { scannerCapture } from '../../bench/make-scanners.mjs';

function analyse(capture: Buffer, tune: Partial<EngineConfig>): ReturnType<typeof buildReport> {
  const engine = new Engine(Object.assign(defaultConfig(), tune));
  const parser = new CaptureParser(engine);
  parser.push(capture);
  parser.finish();
  engine.finish();
  return buildReport(engine, [], 'test');
}

/**
 * 300 scanners, each of its own target (198.18.64.1-300): scans of one host
 * in the same port order starting within a second are how nmap decoys look
 * (rules/distributed.ts), and would rightly be merged into one detection.
 */
const INDEPENDENT_300 = { scanners: 300, ports: 15, dstBase: 0xc6124000, targets: 300 };

describe('detections kept and dropped', () => {
  it('300 scanners, --max-detections 100: 100 kept, 200 dropped (one per scan, not per verdict)', () => {
    const r = analyse(scannerCapture(INDEPENDENT_300), { maxDetections: 100 });
    expect(r.detections).toHaveLength(100);
    expect(r.detections_dropped).toBe(200);
    expect(r.coverage.sources_reported).toBe(100);
  });

  it('without a bound reached, nothing is dropped and every scanner is reported', () => {
    const r = analyse(scannerCapture(INDEPENDENT_300), {});
    expect(r.detections).toHaveLength(300);
    expect(r.detections_dropped).toBe(0);
    expect(r.detections.every((d) => d.type === 'tcp-syn' && d.ports === 15)).toBe(true);
  });
});

describe('what the bounded state could not follow', () => {
  it('interleaved scanners beyond the tables: the report says how many it saw and forgot', () => {
    // 2,000 sources, each sends its first probe before any sends its second,
    // against 1,024 probation slots and 64 records: a source survives in
    // probation to its second probe only when no other hashed to its slot
    // (about e^-2 of them), and the few promoted crowd out each other.
    const r = analyse(scannerCapture({ scanners: 2000, ports: 15, interleaved: true }), { probationCapacity: 1024, sourceCapacity: 64 });
    const c = r.coverage;
    expect(Math.abs(c.probing_sources_estimate - 2000) / 2000).toBeLessThan(0.05);
    expect(c.probation_overwritten).toBeGreaterThan(1000);
    expect(c.sources_promoted).toBeGreaterThan(0);
    expect(c.sources_evicted_undetected).toBeGreaterThan(0);
    expect(c.sources_reported).toBe(r.detections.length);
    expect(c.sources_reported).toBeLessThan(2000 * 0.9);
    expect(r.probes['tcp-syn']).toBe(30000);
    expect(renderTable(r)).toMatch(/not all followed: about \d+ probing sources seen/);
  });

  it('when everything fits, the table says nothing about it', () => {
    const r = analyse(scannerCapture({ scanners: 50, ports: 15, interleaved: true }), {});
    expect(r.coverage.sources_reported).toBe(50);
    expect(r.coverage.sources_evicted_undetected).toBe(0);
    expect(renderTable(r)).not.toMatch(/not all followed/);
  });
});

describe('DistinctSources (HyperLogLog, 4 KiB)', () => {
  it('estimates within a few standard errors (1.6%)', () => {
    for (const n of [10, 1000, 200_000, 1_000_000]) {
      const h = new DistinctSources();
      for (let i = 0; i < n; i++) h.add((0x64400000 + i) | 0);
      // Duplicates do not count.
      for (let i = 0; i < Math.min(n, 1000); i++) h.add((0x64400000 + i) | 0);
      expect(Math.abs(h.estimate() - n) / n, `n=${n}`).toBeLessThan(n <= 1000 ? 0.02 : 0.05);
    }
  });
});
