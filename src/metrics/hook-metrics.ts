import { Counter, Gauge, type Registry } from 'prom-client';
import type { CommandHook } from '../response/command-hook.js';
import type { Webhook } from '../response/webhook.js';
import { type GateCounters, WITHHELD_REASONS } from '../response/response-gate.js';

/**
 * Response hooks' counters, read when Prometheus scrapes:
 * - scanwatch_hook_events_total{hook="command"|"webhook", result}: result
 *   succeeded, failed, timed_out, killed_at_stop (command) or dropped
 *   (refused or displaced by the fair queue, or waiting at stop);
 * - scanwatch_hook_queue_drops_total{hook, reason}: the queue's part of
 *   `dropped`, by reason source_share, queue_full, displaced;
 * - scanwatch_hook_retries_total{hook};
 * - scanwatch_hook_withheld_total{reason}: detections not handed to any
 *   hook at their start (unverified source, or an address class a hook
 *   must not act on); scanwatch_hook_verified_later_total: of those
 *   withheld as unverified, handed over once verified;
 *   scanwatch_hook_watch_evicted_total and scanwatch_hook_watched: the
 *   bounded list of unverified scans looked at again.
 */
export function registerHookMetrics(registry: Registry, command: CommandHook | null, webhook: Webhook | null, gate: { readonly counters: GateCounters; readonly watching: number } | null = null): void {
  // Last value seen of each counter's label set: a counter only grows by the difference.
  const last = new WeakMap<Counter<string>, Map<string, number>>();
  const sync = (c: Counter<string>, labels: Record<string, string>, value: number): void => {
    let seen = last.get(c);
    if (seen === undefined) last.set(c, (seen = new Map()));
    const key = JSON.stringify(labels);
    const prev = seen.get(key) ?? 0;
    if (value > prev) c.inc(labels, value - prev);
    else if (!seen.has(key)) c.inc(labels, 0);
    seen.set(key, value);
  };
  new Counter({
    name: 'scanwatch_hook_events_total',
    help: 'Detections handed to a response hook (--on-detection command, --webhook), by outcome.',
    labelNames: ['hook', 'result'],
    registers: [registry],
    collect() {
      if (command !== null) {
        const c = command.counters;
        sync(this, { hook: 'command', result: 'succeeded' }, c.succeeded);
        sync(this, { hook: 'command', result: 'failed' }, c.failed);
        sync(this, { hook: 'command', result: 'timed_out' }, c.timedOut);
        sync(this, { hook: 'command', result: 'killed_at_stop' }, c.killedAtStop);
        sync(this, { hook: 'command', result: 'dropped' }, c.dropped);
      }
      if (webhook !== null) {
        const w = webhook.counters;
        sync(this, { hook: 'webhook', result: 'succeeded' }, w.sent);
        sync(this, { hook: 'webhook', result: 'failed' }, w.failed);
        sync(this, { hook: 'webhook', result: 'dropped' }, w.dropped);
      }
    },
  });
  new Counter({
    name: 'scanwatch_hook_queue_drops_total',
    help: "Events a hook's fair queue refused or displaced: source_share (the source had its share waiting), queue_full, displaced (made room for a verified source or a smaller holder).",
    labelNames: ['hook', 'reason'],
    registers: [registry],
    collect() {
      for (const [hook, h] of [['command', command], ['webhook', webhook]] as const) {
        if (h === null) continue;
        const d = h.queueDrops;
        sync(this, { hook, reason: 'source_share' }, d.sourceShare);
        sync(this, { hook, reason: 'queue_full' }, d.queueFull);
        sync(this, { hook, reason: 'displaced' }, d.displaced);
      }
    },
  });
  new Counter({
    name: 'scanwatch_hook_retries_total',
    help: 'Webhook deliveries retried after a network error, a 5xx or a 429.',
    labelNames: ['hook'],
    registers: [registry],
    collect() {
      if (webhook !== null) sync(this, { hook: 'webhook' }, webhook.counters.retries);
    },
  });
  if (gate === null) return;
  new Counter({
    name: 'scanwatch_hook_withheld_total',
    help: 'Detections not handed to the response hooks at their start, by reason: unverified (source not proven unspoofed), or the source address class (loopback, own_address, home_net, ...).',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const reason of WITHHELD_REASONS) sync(this, { reason }, gate.counters.withheld[reason]);
    },
  });
  new Counter({
    name: 'scanwatch_hook_verified_later_total',
    help: 'Scans withheld as unverified at their start and handed to the hooks once their source was verified.',
    registers: [registry],
    collect() {
      sync(this, {}, gate.counters.verifiedLater);
    },
  });
  new Counter({
    name: 'scanwatch_hook_watch_evicted_total',
    help: 'Unverified scans pushed off the full watch list; they are judged again at their end.',
    registers: [registry],
    collect() {
      sync(this, {}, gate.counters.watchEvicted);
    },
  });
  new Gauge({
    name: 'scanwatch_hook_watched',
    help: 'Unverified scans watched for a later verification now.',
    registers: [registry],
    collect() {
      this.set(gate.watching);
    },
  });
}
