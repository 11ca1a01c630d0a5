import { Counter, Gauge, type Registry } from 'prom-client';
import type { CaptureCounters } from '../capture/live-capture.js';

/**
 * libpcap's own counters (pcap_stats), read when Prometheus scrapes:
 *
 * - scanwatch_capture_kernel_drops_total: ps_drop, packets the kernel could
 *   not queue because the ring was full (the sensor was behind). Suricata's
 *   capture.kernel_drops.
 * - scanwatch_capture_interface_drops_total: ps_ifdrop, packets the
 *   interface or driver dropped since the capture began.
 * - scanwatch_capture_received_total: ps_recv, packets the kernel passed to
 *   the capture, dropped ones included.
 *
 * Loss ratio for alerts: rate(kernel_drops) / (rate(packets) + rate(kernel_drops)).
 */
export function registerCaptureMetrics(registry: Registry, iface: string, read: () => CaptureCounters): void {
  let cached: CaptureCounters | null = null;
  let cachedAt = -1;
  // One pcap_stats read per scrape, shared by the three counters.
  const now = (): CaptureCounters => {
    const t = Date.now();
    if (cached === null || t - cachedAt > 50) {
      cached = read();
      cachedAt = t;
    }
    return cached;
  };
  const counter = (name: string, help: string, pick: (c: CaptureCounters) => number): void => {
    let last = 0;
    new Counter({
      name,
      help,
      labelNames: ['interface'],
      registers: [registry],
      collect() {
        const v = pick(now());
        // The capture's counters only grow (live-capture.ts widens libpcap's 32-bit ones).
        if (v > last) this.inc({ interface: iface }, v - last);
        else if (last === 0) this.inc({ interface: iface }, 0);
        last = Math.max(last, v);
      },
    });
  };
  counter('scanwatch_capture_kernel_drops_total', "Packets the kernel dropped because the capture ring was full (libpcap's ps_drop): the sensor fell behind.", (c) => c.kernelDrops);
  counter('scanwatch_capture_interface_drops_total', "Packets the interface or its driver dropped since the capture began (libpcap's ps_ifdrop).", (c) => c.interfaceDrops);
  counter('scanwatch_capture_received_total', "Packets the kernel passed to the capture, dropped ones included (libpcap's ps_recv).", (c) => c.received);
}

/**
 * scanwatch_capture_lag_seconds: the most the rules ran behind the wire
 * since the previous scrape (a frame's kernel timestamp to the end of its
 * batch's processing). Near 0.1 s (the ring's block timeout) while the
 * sensor keeps up; seconds under a flood it cannot keep up with, before
 * the ring overflows and the kernel starts dropping.
 */
export function registerCaptureLag(registry: Registry, iface: string, takeMaxLag: () => number): void {
  new Gauge({
    name: 'scanwatch_capture_lag_seconds',
    help: 'Most seconds the rules ran behind the wire since the previous scrape (kernel timestamp of a frame to the end of its processing).',
    labelNames: ['interface'],
    registers: [registry],
    collect() {
      this.set({ interface: iface }, Math.max(0, takeMaxLag()));
    },
  });
}

/**
 * scanwatch_frames_failed_total: frames the rules threw on, skipped (a bug
 * a frame triggered; the sensor keeps going, see live-capture.ts).
 */
export function registerFailedFrames(registry: Registry, read: () => number): void {
  let last = 0;
  new Counter({
    name: 'scanwatch_frames_failed_total',
    help: 'Frames the rules threw on (a bug a frame triggered): skipped and counted; the sensor keeps going and logs internal_error at most once a minute.',
    registers: [registry],
    collect() {
      const v = read();
      this.inc(Math.max(0, v - last));
      last = Math.max(last, v);
    },
  });
}
