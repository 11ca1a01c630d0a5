/**
 * The live sensor's log lines carry the ATT&CK technique (they are built
 * from the same detection report as analyze's JSON), and no `file` key.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/index.js';
import { Engine } from '../../src/engine/engine.js';
import { DetectionLog } from '../../src/report/detection-log.js';
import { sitePolicy } from '../../src/rules/policy.js';

function run(homeNet: string[], file: string): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const dlog = new DetectionLog(pino({ level: 'info' }, sink), sitePolicy(homeNet));
  const engine = new Engine();
  engine.onDetection = (event, d) => (event === 'start' ? dlog.started(d, engine.now) : dlog.ended(d));
  readCaptureFile(file, engine);
  engine.finish();
  return lines;
}

describe('live log lines: ATT&CK', () => {
  it('an internal port scan logs T1046 Network Service Discovery on start and end', async () => {
    const lines = run(['198.18.0.0/15'], 'test/pcaps/nmap-syn.pcap');
    await new Promise((r) => setImmediate(r));
    expect(lines.map((l) => l.event)).toEqual(['scan_started', 'scan_ended']);
    for (const l of lines) {
      expect(l.attack).toEqual({ id: 'T1046', name: 'Network Service Discovery' });
      expect('file' in l).toBe(false);
    }
  });

  it('an internal ping sweep logs T1018; the same sweep from outside T1595.001', async () => {
    const inside = run(['198.18.0.0/15'], 'test/pcaps/nmap-ping-sweep.pcap');
    const outside = run(['10.0.0.0/8'], 'test/pcaps/nmap-ping-sweep.pcap');
    await new Promise((r) => setImmediate(r));
    expect(inside[0]!.attack).toEqual({ id: 'T1018', name: 'Remote System Discovery' });
    expect(outside[0]!.attack).toEqual({ id: 'T1595.001', name: 'Active Scanning: Scanning IP Blocks' });
  });
});
