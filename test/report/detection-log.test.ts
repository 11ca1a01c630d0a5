import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/index.js';
import { Engine } from '../../src/engine/engine.js';
import { DetectionLog } from '../../src/report/detection-log.js';
import { sitePolicy } from '../../src/rules/policy.js';

function memoryLogger(): { log: ReturnType<typeof pino>; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

describe('detection log lines', () => {
  it('logs start, bounded progress and end, with direction and severity', async () => {
    const { log, lines } = memoryLogger();
    const dlog = new DetectionLog(log, sitePolicy(['198.18.0.0/15']));
    const engine = new Engine();
    engine.onDetection = (event, d) => (event === 'start' ? dlog.started(d, engine.now) : dlog.ended(d));
    readCaptureFile('test/pcaps/nmap-syn.pcap', engine);
    const d = engine.detections[0]!;
    // Progress: the scan grew after its start line; one line per interval at most.
    const t0 = d.reportedAt;
    dlog.progress(engine.active, t0 + 10, 60);
    dlog.progress(engine.active, t0 + 61, 60);
    dlog.progress(engine.active, t0 + 62, 60);
    engine.finish();
    await new Promise((r) => setImmediate(r));
    const events = lines.map((l) => l.event);
    expect(events).toEqual(['scan_started', 'scan_progress', 'scan_ended']);
    const start = lines[0]!;
    // Found after six refusals: a scan by its counts, not yet critical however it points.
    expect(start).toMatchObject({ src: '198.18.0.1', type: 'tcp-syn', pattern: 'vertical', direction: 'internal', confidence: 'medium', severity: 'high', tool: 'nmap' });
    expect(start.level).toBe(40);
    // By its end it was answered and reset SYN-ACKs (verified): critical.
    expect(lines[2]).toMatchObject({ ports: 1000, open_ports: [22, 80, 443], confidence: 'high', severity: 'critical' });
    for (const k of ['src', 'type', 'pattern', 'targets', 'ports', 'probes', 'first_seen', 'last_seen', 'tool', 'open_ports', 'detected_after_probes']) {
      expect(lines[2]).toHaveProperty(k);
    }
  });

  it('logs nothing for a scan that did not grow', async () => {
    const { log, lines } = memoryLogger();
    const dlog = new DetectionLog(log, sitePolicy(undefined));
    const engine = new Engine();
    engine.onDetection = (event, d) => {
      if (event === 'start') dlog.started(d, engine.now);
    };
    readCaptureFile('test/pcaps/nmap-syn.pcap', engine);
    const d = engine.detections[0]!;
    d.reportedProbes = d.probes;
    dlog.progress(engine.active, d.reportedAt + 3600, 60);
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.event)).toEqual(['scan_started']);
  });
});
