import { Counter, type Registry } from 'prom-client';
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
