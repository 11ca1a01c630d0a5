/**
 * Metrics of the metrics listener itself: connections accepted, refused at
 * accept (per reason), and closed to make room, read at scrape time from
 * the gate's plain counters. A listener started again on the same registry
 * (a restart in tests) takes the names over.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { type ConnectionGate, EVICTED_PHASES, REFUSAL_REASONS } from './connection-gate.js';

const NAMES = [
  'scanwatch_http_connections_accepted_total',
  'scanwatch_http_connections_refused_total',
  'scanwatch_http_connections_evicted_total',
  'scanwatch_http_connections_open',
  'scanwatch_http_clients',
] as const;

export function registerConnectionMetrics(registry: Registry, gate: ConnectionGate): void {
  for (const name of NAMES) registry.removeSingleMetric(name);
  const c = gate.counters;
  let shownAccepted = 0;
  new Counter({
    name: 'scanwatch_http_connections_accepted_total',
    help: 'Connections to /metrics and /healthz admitted',
    registers: [registry],
    collect() {
      this.inc(c.accepted - shownAccepted);
      shownAccepted = c.accepted;
    },
  });
  const shownRefused = { total: 0, per_client: 0, rate: 0 };
  new Counter({
    name: 'scanwatch_http_connections_refused_total',
    help: 'Connections reset at accept, unread: total (every slot busy with a request), per_client (the client, an IPv4 address or IPv6 /64, had its most open), rate (the client opened new ones too fast)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      for (const reason of REFUSAL_REASONS) {
        this.inc({ reason }, c.refused[reason] - shownRefused[reason]);
        shownRefused[reason] = c.refused[reason];
      }
    },
  });
  const shownEvicted = { awaiting_request: 0, idle: 0 };
  new Counter({
    name: 'scanwatch_http_connections_evicted_total',
    help: 'Connections closed to make room for a new one when all slots were taken: awaiting_request (no complete request head yet), idle (kept alive between requests)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      for (const state of EVICTED_PHASES) {
        this.inc({ state }, c.evicted[state] - shownEvicted[state]);
        shownEvicted[state] = c.evicted[state];
      }
    },
  });
  new Gauge({
    name: 'scanwatch_http_connections_open',
    help: 'Connections to /metrics and /healthz open now',
    registers: [registry],
    collect() {
      this.set(gate.open);
    },
  });
  new Gauge({
    name: 'scanwatch_http_clients',
    help: 'Clients (IPv4 addresses, IPv6 /64s) tracked by the listener: connected (a connection open), remembered (none open, new-connection budget still refilling)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.set({ state: 'connected' }, gate.connectedClients);
      this.set({ state: 'remembered' }, gate.rememberedClients);
    },
  });
}
