import type { Logger } from 'pino';
import type { CaptureCounters, LiveCapture } from '../capture/live-capture.js';

/**
 * What the capture cost, for `sensor_stopped`: the event loop's wake-ups by
 * the capture socket, the batches handed to the rules, and the main
 * thread's CPU seconds in the capture itself (libpcap, the copy) and in the
 * rules (record loop and engine). The process's CPU beyond the two is the
 * rest of the sensor: timers, /metrics, logging, V8's compiler and GC
 * threads. BENCHMARKS.md ("Live sensor") uses them to say what live
 * capture costs beyond `analyze`.
 */
export function captureUsage(capture: LiveCapture): Record<string, number> {
  const u = capture.usage();
  return {
    wakeups: u.wakeups,
    batches: u.batches,
    capture_s: Number(u.captureCpuSeconds.toFixed(6)),
    rules_s: Number(u.handlerCpuSeconds.toFixed(6)),
  };
}

/**
 * The sensor's capture figures as log lines, like Suricata's stats.log
 * (capture.kernel_packets, capture.kernel_drops) and Zeek's capture_loss.log:
 * a `capture_stats` line every interval (level warn when the interval lost
 * packets: the defender must know the gap is not quiet), and the totals for
 * `sensor_stopped`.
 */
export class CaptureStatsLog {
  private lastAt: number;
  private last: CaptureCounters;
  private lastPackets = 0;

  constructor(
    private readonly log: Logger,
    private readonly capture: LiveCapture,
    /** Packets the rules have seen so far (the engine's count). */
    private readonly packets: () => number,
  ) {
    this.lastAt = Date.now();
    this.last = capture.counters();
  }

  /** Totals since the capture began. */
  totals(c: CaptureCounters = this.capture.counters()): Record<string, number> {
    return {
      packets: this.packets(),
      received: c.received,
      kernel_drops: c.kernelDrops,
      interface_drops: c.interfaceDrops,
      truncated: this.capture.truncated,
    };
  }

  /** Logs a capture_stats line once `intervalS` seconds have passed since the last one. */
  maybeLog(intervalS: number, now = Date.now()): void {
    if (now - this.lastAt < intervalS * 1000) return;
    this.lastAt = now;
    const c = this.capture.counters();
    const packets = this.packets();
    const drops = c.kernelDrops - this.last.kernelDrops + (c.interfaceDrops - this.last.interfaceDrops);
    const seen = packets - this.lastPackets + drops;
    const fields = {
      event: 'capture_stats',
      ...this.totals(c),
      interval_s: intervalS,
      interval_packets: packets - this.lastPackets,
      interval_drops: drops,
      interval_loss_ratio: seen > 0 ? Number((drops / seen).toFixed(6)) : 0,
    };
    if (drops > 0) this.log.warn(fields, 'capture dropped packets');
    else this.log.info(fields, 'capture statistics');
    this.last = c;
    this.lastPackets = packets;
  }
}
