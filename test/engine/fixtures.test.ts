/**
 * Every recorded fixture in test/pcaps (NAME.pcap + NAME.expected.json),
 * globbed at test time so that new fixtures are picked up: each expected
 * detection must be found (src, type, pattern; tool when non-null;
 * open_ports and live_hosts when given; targets/ports within 2%), and
 * nothing else may be reported.
 */
import { describe, it, expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCaptureFile } from '../../src/capture/index.js';
import { Engine } from '../../src/engine/engine.js';
import { detectionReport, type DetectionReport } from '../../src/report/report.js';

const pcapDir = fileURLToPath(new URL('../pcaps/', import.meta.url));

interface Expected {
  src: string;
  type: string;
  pattern: string;
  tool: string | null;
  targets?: number | null;
  ports?: number | null;
  open_ports?: number[] | null;
  live_hosts?: string[] | null;
}

const expectations = fs
  .readdirSync(pcapDir)
  .filter((f) => f.endsWith('.expected.json'))
  .sort()
  .map((f) => {
    const name = f.slice(0, -'.expected.json'.length);
    return { name, json: path.join(pcapDir, f), pcap: path.join(pcapDir, `${name}.pcap`) };
  });

function analyse(file: string): DetectionReport[] {
  const engine = new Engine();
  const r = readCaptureFile(file, engine);
  expect(r.warning, `${file} reads cleanly`).toBeNull();
  engine.finish();
  return engine.detections.map((d) => detectionReport(d));
}

function within(actual: number, expected: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs expected ${expected} (2%)`).toBeLessThanOrEqual(0.02 * expected);
}

describe('test/pcaps fixtures', () => {
  it('there are fixtures, each with its capture', () => {
    expect(expectations.length).toBeGreaterThanOrEqual(12);
    for (const e of expectations) expect(fs.existsSync(e.pcap), e.pcap).toBe(true);
  });

  for (const e of expectations) {
    describe(e.name, () => {
      const spec = JSON.parse(fs.readFileSync(e.json, 'utf8')) as { detections: Expected[] };
      // Analysed once, lazily, by the first test that needs it.
      let cached: DetectionReport[] | null = null;
      const detections = (): DetectionReport[] => (cached ??= analyse(e.pcap));

      for (const x of spec.detections) {
        it(`${x.src} ${x.type} ${x.pattern}`, () => {
          const found = detections().filter((d) => d.src === x.src && d.type === x.type);
          expect(found.map((d) => `${d.src} ${d.type}`), `exactly one ${x.type} detection from ${x.src}; got ${JSON.stringify(detections().map((d) => [d.src, d.type]))}`).toHaveLength(1);
          const d = found[0]!;
          expect(d.pattern, 'pattern').toBe(x.pattern);
          if (x.tool !== null && x.tool !== undefined) expect(d.tool, 'tool').toBe(x.tool);
          if (x.targets !== null && x.targets !== undefined) within(d.targets, x.targets, 'targets');
          if (x.ports !== null && x.ports !== undefined) within(d.ports, x.ports, 'ports');
          if (x.open_ports !== null && x.open_ports !== undefined) expect(d.open_ports, 'open_ports').toEqual([...x.open_ports].sort((a, b) => a - b));
          if (x.live_hosts !== null && x.live_hosts !== undefined) {
            // Sweeps report live hosts; port scans name them in open_services ("host:port").
            const live = d.type.endsWith('-sweep') ? d.live_hosts : [...new Set(d.open_services.map((s) => s.slice(0, s.lastIndexOf(':')).replace(/^\[|\]$/g, '')))];
            expect([...live].sort(), 'live hosts').toEqual([...x.live_hosts].sort());
          }
        });
      }

      it('reports nothing else', () => {
        const extra = detections().filter((d) => !spec.detections.some((x) => x.src === d.src && x.type === d.type));
        expect(extra.map((d) => `${d.src} ${d.type} ${d.pattern} targets=${d.targets} ports=${d.ports}`)).toEqual([]);
      });
    });
  }
});
