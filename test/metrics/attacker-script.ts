/**
 * The attacker process: `node -e ATTACKER JSON` with AttackerArgs. Opens
 * SLOW slowloris connections (from slowFrom[i % n]), then keeps SCRAPERS
 * scrapes in flight (from scrapeFrom[i % n]) for MS milliseconds, and
 * prints a JSON line of what happened. No address appears in the script:
 * they all come in the argument (the lab checks every one).
 */
export interface AttackerArgs {
  host: string;
  port: number;
  slow: number;
  scrapers: number;
  ms: number;
  slowFrom: string[];
  scrapeFrom: string[];
}

/** Source addresses 127.0.X.1 ... 127.0.X.count: on Linux all of 127.0.0.0/8 is the loopback's own. */
export function loopbackAddresses(x: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `127.0.${x}.${i + 1}`);
}

export const ATTACKER = `
const http = require('node:http'); const net = require('node:net');
const a = JSON.parse(process.argv[1]);
const out = { slow_opened: 0, slow_closed_by_server: 0, scrapes_ok: 0, scrapes_failed: 0 };
const socks = [];
function loris(i) { return new Promise((res) => { const s = net.connect({ host: a.host, port: a.port, localAddress: a.slowFrom[i % a.slowFrom.length] }, () => { out.slow_opened++;
  s.write('GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n'); const drip = setInterval(() => s.writable && s.write('X-a: b\\r\\n'), 500);
  s.on('close', () => { clearInterval(drip); if (!s.mine) out.slow_closed_by_server++; }); res(); });
  s.on('error', () => res()); socks.push(s); }); }
function scrape(i) { return new Promise((res) => { const r = http.get({ host: a.host, port: a.port, path: '/metrics', agent: false, localAddress: a.scrapeFrom[i % a.scrapeFrom.length] }, (x) => { x.resume(); x.on('end', () => { out.scrapes_ok++; res(); }); }); r.on('error', () => { out.scrapes_failed++; res(); }); }); }
(async () => {
  for (let i = 0; i < a.slow; i++) await loris(i);
  const until = Date.now() + a.ms;
  await Promise.all(Array.from({ length: a.scrapers }, async (_, i) => { while (Date.now() < until) await scrape(i); }));
  await new Promise((r) => setTimeout(r, 2500));
  for (const s of socks) { s.mine = true; s.destroy(); }
  console.log(JSON.stringify(out));
})();
`;
