/**
 * The fields of a scan that the live sensor and `analyze` must agree on,
 * and one scan as a comparable string (a log line or a report detection).
 * Times are left out: on a real link the kernel stamps the frames anew.
 * Shared by test/e2e/live-replay.test.ts, test/engine/live-path.test.ts
 * and the live fuzzer (test/fuzz/live-harness.mjs).
 */
export const COMPARED = [
  'src',
  'sources',
  'tenant',
  'type',
  'pattern',
  'targets',
  'ports',
  'probes',
  'tool',
  'open_ports',
  'live_hosts',
  'reason',
  'answered',
  'rejected',
  'unanswered',
  'handshakes_completed',
  'half_open',
  'source_verified',
  'detected_after_probes',
];

/** `d` as a string of the `fields` (default COMPARED), missing ones as null. */
export const brief = (d, fields = COMPARED) => JSON.stringify(Object.fromEntries(fields.map((k) => [k, d[k] ?? null])));
