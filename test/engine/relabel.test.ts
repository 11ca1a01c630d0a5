/**
 * A detection's technique is fixed when it is first reported. A raw SYN
 * scan whose SYNs carry the kernel's option set (test/pcaps/recon/
 * syn-options.pcap, recorded by scripts/record-recon-fixtures.sh: scapy
 * sends SYNs with connect()'s options from a raw socket, so the scanner's
 * kernel resets every SYN-ACK) looks like connect() until the SYN-ACKs are
 * answered by resets: it
 * is first reported as tcp-connect, then renamed tcp-syn by a logged
 * relabel event, never silently.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/index.js';
import { Engine } from '../../src/engine/engine.js';
import { DetectionLog } from '../../src/report/detection-log.js';
import { detectionReport } from '../../src/report/report.js';
import { schemaOptions } from '../../src/report/log-schema.js';
import { sitePolicy } from '../../src/rules/policy.js';
import { Technique } from '../../src/rules/techniques.js';

const FIXTURE = 'test/pcaps/recon/syn-options.pcap';

describe('a scan renamed on better evidence', () => {
  it('analyze: reported as tcp-syn, saying it was first tcp-connect', () => {
    const engine = new Engine();
    readCaptureFile(FIXTURE, engine);
    engine.finish();
    expect(engine.detections.length).toBe(1);
    const d = engine.detections[0]!;
    expect(d.technique).toBe(Technique.TCP_SYN);
    expect(d.relabelledFrom).toEqual([Technique.TCP_CONNECT]);
    expect(detectionReport(d).relabelled_from).toEqual(['tcp-connect']);
  });

  it('live: scan_started says tcp-connect, a scan_relabelled line renames it, scan_ended says tcp-syn; a read never changes it', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const log = new DetectionLog(pino({ level: 'info', ...schemaOptions('native', { name: 't', hostname: 't', interface: 'eth1', version: '0' }) }, sink), sitePolicy(undefined));
    const engine = new Engine();
    engine.keepEndedDetections = false;
    const typesRead: number[] = [];
    engine.onDetection = (event, d) => {
      typesRead.push(d.technique);
      if (event === 'start') log.started(d, engine.now);
      else if (event === 'relabel') log.relabelled(d);
      else log.ended(d);
    };
    readCaptureFile(FIXTURE, engine);
    engine.finish();
    return new Promise<void>((done) =>
      setImmediate(() => {
        const events = lines.filter((l) => typeof l.event === 'string' && String(l.event).startsWith('scan_'));
        expect(events.map((l) => [l.event, l.type])).toEqual([
          ['scan_started', 'tcp-connect'],
          ['scan_relabelled', 'tcp-syn'],
          ['scan_ended', 'tcp-syn'],
        ]);
        expect(events[1]!.relabelled_from).toEqual(['tcp-connect']);
        expect(new Set(events.map((l) => l.scan_id)).size).toBe(1);
        expect(log.counts.scan_relabelled).toBe(1);
        expect(typesRead).toEqual([Technique.TCP_CONNECT, Technique.TCP_SYN, Technique.TCP_SYN]);
        done();
      }),
    );
  });
});
