/**
 * What a FIN, NULL or XMAS scan learned, as nmap reads it: a closed port
 * answers RST (RFC 9293 3.10.7.1), counted as rejected; an open or filtered
 * one stays silent, listed as open|filtered.
 */
import { describe, expect, it } from 'vitest';
import { rawScan, run } from './traffic.js';

describe('answers of FIN, NULL and XMAS scans', () => {
  for (const [flags, type] of [
    ['F', 'tcp-fin'],
    ['', 'tcp-null'],
    ['FPU', 'tcp-xmas'],
  ] as const) {
    it(`${type} of 100 ports with 22, 80 and 443 open: 97 rejected, open|filtered 22 80 443`, () => {
      const ports = [...Array.from({ length: 97 }, (_, i) => 1000 + i), 22, 80, 443];
      const { detections } = run(rawScan({ src: '198.18.0.1', dsts: ['198.18.0.2'], ports, flags, open: new Set(['22', '80', '443']), seed: 3 }));
      expect(detections).toHaveLength(1);
      const d = detections[0]!;
      expect([d.type, d.rejected, d.answered]).toEqual([type, 97, 0]);
      expect(d.open_filtered_ports).toEqual([22, 80, 443]);
      expect(d.open_filtered_count).toBe(3);
      expect(d.open_ports).toEqual([]);
    });
  }
});

describe('detected_at', () => {
  it('a scan found from its probes\' silence at the end of the capture is dated no later than the last packet', () => {
    // Seven SYNs to a host that never answers: the sequential test decides
    // only when the probes time out, ten seconds after the capture's end.
    const frames = rawScan({ src: '198.18.0.1', dsts: ['198.18.0.2'], ports: [1, 2, 3, 4, 5, 6, 7], flags: 'S', answering: new Set(), seed: 4 });
    const { detections, engine } = run(frames);
    expect(detections.map((d) => d.reason)).toEqual(['trw']);
    expect(Date.parse(detections[0]!.detected_at) / 1000).toBeLessThanOrEqual(engine.now + 0.001);
    expect(detections[0]!.detected_at <= detections[0]!.last_seen).toBe(true);
  });
});
