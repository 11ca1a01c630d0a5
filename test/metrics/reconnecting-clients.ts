/**
 * Attacker and scraper processes for the /metrics tests, run as
 * `node -e SCRIPT JSON` (Node built-ins only, so the same text runs inside
 * a lab namespace). Neither script contains an address: every address
 * comes in the JSON argument, where the lab checks it.
 */

export interface ReconnectingClientsArgs {
  host: string;
  port: number;
  /** Slow clients kept going at once. */
  clients: number;
  /** How long they keep reconnecting. */
  ms: number;
  /** Source addresses, used in turn: client i connects from from[i % from.length]. */
  from: string[];
  /** A slow client sends one more header line this often (default 500 ms). */
  dripMs?: number;
}

/**
 * CLIENTS slowloris clients, each an unfinished request head with one more
 * header line every DRIP ms, that connect again the moment they are closed
 * (reset, timed out, whatever) until MS have passed. Prints one JSON line:
 * connects (attempts), established (TCP handshakes completed), reset (the
 * server reset the connection: refused at accept, or evicted), timed_out
 * (answered 408), closed_other (closed by the server another way),
 * connect_errors (no connection: by error code in connect_error_codes),
 * longest_held_ms (the longest any of them kept a connection the server
 * closed), held_at_end (connections open for a second or more when the
 * run ended).
 */
export const RECONNECTING_CLIENTS = `
const net = require('node:net');
const a = JSON.parse(process.argv[1]);
const drip = a.dripMs ?? 500;
const until = Date.now() + a.ms;
const out = { connects: 0, established: 0, reset: 0, timed_out: 0, closed_other: 0, connect_errors: 0, connect_error_codes: {}, longest_held_ms: 0, held_at_end: 0 };
const live = new Set();
function client(i) {
  if (Date.now() >= until) return;
  out.connects++;
  const t0 = Date.now();
  let established = false, got = '', errored = null, timer = null;
  const s = net.connect({ host: a.host, port: a.port, localAddress: a.from[i % a.from.length] }, () => {
    established = true;
    s.establishedAt = Date.now();
    out.established++;
    s.write('GET /metrics HTTP/1.1\\r\\nHost: sensor\\r\\n');
    timer = setInterval(() => s.writable && s.write('X-Slow-' + Math.random().toString(36).slice(2, 8) + ': y\\r\\n'), drip);
  });
  live.add(s);
  s.setNoDelay(true);
  s.on('data', (b) => { if (got.length < 64) got += b.toString('latin1'); });
  s.on('error', (e) => { errored = e.code || 'error'; });
  s.on('close', () => {
    live.delete(s);
    clearInterval(timer);
    if (s.mine) return;
    if (!established) { out.connect_errors++; out.connect_error_codes[errored] = (out.connect_error_codes[errored] ?? 0) + 1; }
    else if (got.startsWith('HTTP/1.1 408')) out.timed_out++;
    else if (errored === 'ECONNRESET' || errored === 'EPIPE') out.reset++;
    else out.closed_other++;
    if (established) out.longest_held_ms = Math.max(out.longest_held_ms, Date.now() - t0);
    setImmediate(() => client(i));
  });
}
for (let i = 0; i < a.clients; i++) client(i);
setTimeout(() => {
  const now = Date.now();
  for (const s of live) {
    if (s.establishedAt !== undefined && now - s.establishedAt >= 1000) out.held_at_end++;
    s.mine = true;
    s.destroy();
  }
  console.log(JSON.stringify(out));
}, a.ms + 200);
`;

export interface ScraperArgs {
  url: string;
  /** Source address of the scrapes. */
  from: string;
  count: number;
  /** Pause between the end of one scrape and the start of the next. */
  intervalMs: number;
  /** A scrape not answered within this is a failure (status 0). */
  timeoutMs: number;
}

/**
 * COUNT scrapes of URL, one after another, each on a new connection (a
 * Prometheus that lost its kept-alive one), timed from connect to the last
 * byte of the body. Prints one JSON line per scrape: { i, status, ms, bytes }.
 */
export const SCRAPER = `
const http = require('node:http');
const a = JSON.parse(process.argv[1]);
function scrape() {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const done = (status, bytes) => resolve({ status, ms: Math.round(performance.now() - t0), bytes });
    const req = http.get(a.url, { agent: false, localAddress: a.from, timeout: a.timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (c) => { bytes += c.length; });
      res.on('end', () => done(res.statusCode, bytes));
      res.on('error', () => done(0, bytes));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => done(0, 0));
  });
}
(async () => {
  for (let i = 0; i < a.count; i++) {
    const r = await scrape();
    console.log(JSON.stringify({ i, ...r }));
    await new Promise((r) => setTimeout(r, a.intervalMs));
  }
})();
`;
