import { Counter, type Registry } from 'prom-client';
import type { CommandHook } from '../response/command-hook.js';
import type { Webhook } from '../response/webhook.js';

/**
 * Response hooks' counters, read when Prometheus scrapes:
 * scanwatch_hook_events_total{hook="command"|"webhook", result}, with
 * result succeeded, failed, timed_out (command) or dropped (queue full or
 * rate-limited beyond the queue), and scanwatch_hook_retries_total{hook}.
 */
export function registerHookMetrics(registry: Registry, command: CommandHook | null, webhook: Webhook | null): void {
  const last = new Map<string, number>();
  const sync = (c: Counter<string>, labels: Record<string, string>, value: number): void => {
    const key = JSON.stringify(labels);
    const prev = last.get(key) ?? 0;
    if (value > prev) c.inc(labels, value - prev);
    else if (!last.has(key)) c.inc(labels, 0);
    last.set(key, value);
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
    name: 'scanwatch_hook_retries_total',
    help: 'Webhook deliveries retried after a network error, a 5xx or a 429.',
    labelNames: ['hook'],
    registers: [registry],
    collect() {
      if (webhook !== null) sync(this, { hook: 'webhook' }, webhook.counters.retries);
    },
  });
}
