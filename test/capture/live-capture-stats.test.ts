import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import type { CaptureCounters, LiveCapture } from '../../src/capture/live-capture.js';
import { CaptureStatsLog, captureUsage } from '../../src/cli/live-capture-stats.js';

function fakes() {
  const counters: CaptureCounters = { received: 0, kernelDrops: 0, interfaceDrops: 0 };
  const lines: { level: string; fields: Record<string, unknown> }[] = [];
  const log = {
    info: (fields: Record<string, unknown>) => lines.push({ level: 'info', fields }),
    warn: (fields: Record<string, unknown>) => lines.push({ level: 'warn', fields }),
  } as unknown as Logger;
  const capture = { counters: () => ({ ...counters }), truncated: 3 } as unknown as LiveCapture;
  return { counters, lines, log, capture };
}

describe('capture_stats lines', () => {
  it('one line per interval with totals and the interval loss; warn level when packets were dropped', () => {
    const { counters, lines, log, capture } = fakes();
    let packets = 0;
    const stats = new CaptureStatsLog(log, capture, () => packets);
    const t0 = Date.now();
    packets = 900;
    Object.assign(counters, { received: 900 });
    stats.maybeLog(60, t0 + 30_000); // too early
    expect(lines).toHaveLength(0);
    stats.maybeLog(60, t0 + 60_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'info', fields: { event: 'capture_stats', packets: 900, kernel_drops: 0, interval_drops: 0, interval_loss_ratio: 0, truncated: 3 } });

    packets = 1800; // 900 more counted, 90 dropped by the kernel, 10 by the interface
    Object.assign(counters, { received: 1890, kernelDrops: 90, interfaceDrops: 10 });
    stats.maybeLog(60, t0 + 120_000);
    expect(lines[1]).toMatchObject({
      level: 'warn',
      fields: { packets: 1800, received: 1890, kernel_drops: 90, interface_drops: 10, interval_packets: 900, interval_drops: 100, interval_loss_ratio: 0.1 },
    });
    expect(stats.totals()).toEqual({ packets: 1800, received: 1890, kernel_drops: 90, interface_drops: 10, truncated: 3 });
  });
});

describe('capture_cpu in sensor_stopped', () => {
  it("carries the binding's wake-ups, batches and CPU seconds in the capture and in the rules, to the microsecond", () => {
    const capture = {
      usage: () => ({ wakeups: 190, batches: 186, captureCpuSeconds: 0.0123456789, handlerCpuSeconds: 0.4461234567 }),
    } as unknown as LiveCapture;
    expect(captureUsage(capture)).toEqual({ wakeups: 190, batches: 186, capture_s: 0.012346, rules_s: 0.446123 });
  });
});
