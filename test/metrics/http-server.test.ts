/**
 * The metrics endpoint over real HTTP on loopback (ephemeral ports only).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import { Counter, Registry } from 'prom-client';
import {
  DEFAULT_LISTEN,
  listenErrorMessage,
  parseListen,
  startMetricsServer,
  type MetricsServer,
} from '../../src/metrics/http-server.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with node:http (fetch cannot show what a HEAD reply carries). */
function request(port: number, method: string, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('metrics HTTP server', () => {
  const registry = new Registry();
  const hits = new Counter({ name: 'test_hits_total', help: 'Test counter.', registers: [registry] });
  hits.inc(7);
  let health: { ok: boolean; [k: string]: unknown } = { ok: true, packets: 12 };
  let healthThrows = false;
  let server: MetricsServer;

  beforeAll(async () => {
    server = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      health: () => {
        if (healthThrows) throw new Error('engine gone');
        return health;
      },
    });
  });

  afterAll(async () => {
    await server.close();
  });

  it('binds the ephemeral port it was given and says so', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.host).toBe('127.0.0.1');
  });

  it('GET /metrics serves the registry in its content type', async () => {
    const r = await request(server.port, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(registry.contentType);
    expect(r.body).toContain('# TYPE test_hits_total counter\ntest_hits_total 7\n');
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body));
    // A query string does not change the path.
    expect((await request(server.port, 'GET', '/metrics?debug=1')).status).toBe(200);
  });

  it('HEAD /metrics answers the headers of GET with no body', async () => {
    const get = await request(server.port, 'GET', '/metrics');
    const head = await request(server.port, 'HEAD', '/metrics');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(registry.contentType);
    expect(Number(head.headers['content-length'])).toBe(Buffer.byteLength(get.body));
  });

  it('GET /healthz is 200 with the health JSON while ok', async () => {
    health = { ok: true, packets: 12 };
    const r = await request(server.port, 'GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ ok: true, packets: 12 });
  });

  it('GET /healthz is 503 with the health JSON when not ok, or when health() throws', async () => {
    health = { ok: false, reason: 'no packets for 60 s' };
    const r = await request(server.port, 'GET', '/healthz');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toEqual({ ok: false, reason: 'no packets for 60 s' });
    const h = await request(server.port, 'HEAD', '/healthz');
    expect(h.status).toBe(503);
    expect(h.body).toBe('');
    healthThrows = true;
    const t = await request(server.port, 'GET', '/healthz');
    healthThrows = false;
    expect(t.status).toBe(503);
    expect(JSON.parse(t.body)).toEqual({ ok: false, error: 'engine gone' });
    health = { ok: true };
    expect((await request(server.port, 'HEAD', '/healthz')).status).toBe(200);
  });

  it('any other path is 404, for GET and HEAD', async () => {
    for (const path of ['/', '/metric', '/metrics/', '/healthz/x', '/favicon.ico']) {
      const r = await request(server.port, 'GET', path);
      expect(r.status, path).toBe(404);
      expect(r.body).toMatch(/\/metrics and \/healthz/);
    }
    const h = await request(server.port, 'HEAD', '/nope');
    expect(h.status).toBe(404);
    expect(h.body).toBe('');
  });

  it('other methods on the two endpoints are 405 with Allow', async () => {
    const r = await request(server.port, 'POST', '/metrics');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET, HEAD');
    expect((await request(server.port, 'DELETE', '/healthz')).status).toBe(405);
  });

  it('a failing collector gives 500 and the server goes on serving', async () => {
    const broken = new Registry();
    new Counter({
      name: 'test_broken_total',
      help: 'Broken.',
      registers: [broken],
      collect() {
        throw new Error('collector failed');
      },
    });
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0, registry: broken, health: () => ({ ok: true }) });
    try {
      const r = await request(s.port, 'GET', '/metrics');
      expect(r.status).toBe(500);
      expect(r.body).toContain('collector failed');
      expect((await request(s.port, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

describe('listening', () => {
  it('a port in use rejects with one line that says what to do', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const err = await startMetricsServer({ host: '127.0.0.1', port, registry: new Registry(), health: () => ({ ok: true }) }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      expect(message).toBe(
        `cannot listen on 127.0.0.1:${port}: address already in use (is another scanwatch running? choose another with --listen)`,
      );
      expect(message).not.toContain('\n');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('close() frees the port (with a kept-alive client connected) and may be called twice', async () => {
    const registry = new Registry();
    const s = await startMetricsServer({ host: '127.0.0.1', port: 0, registry, health: () => ({ ok: true }) });
    const res = await fetch(`http://127.0.0.1:${s.port}/healthz`); // undici keeps the connection alive
    expect(res.status).toBe(200);
    await res.text();
    await Promise.all([s.close(), s.close()]);
    const again = await startMetricsServer({ host: '127.0.0.1', port: s.port, registry, health: () => ({ ok: true }) });
    expect(again.port).toBe(s.port);
    await again.close();
  });

  it('an empty host (from ":PORT") listens on every interface, loopback included', async () => {
    const s = await startMetricsServer({ host: parseListen(':0').host, port: 0, registry: new Registry(), health: () => ({ ok: true }) });
    try {
      expect(s.host).toBe('');
      expect((await request(s.port, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('maps the other listen errors to one line each', () => {
    const err = (code: string): Error => Object.assign(new Error(`listen ${code}`), { code });
    expect(listenErrorMessage(err('EACCES'), '0.0.0.0', 80)).toBe(
      'cannot listen on 0.0.0.0:80: permission denied (ports below 1024 need privileges; choose another with --listen)',
    );
    expect(listenErrorMessage(err('EACCES'), '127.0.0.1', 9750)).toBe('cannot listen on 127.0.0.1:9750: permission denied (choose another address with --listen)');
    expect(listenErrorMessage(err('EADDRNOTAVAIL'), '192.0.2.7', 9750)).toBe(
      'cannot listen on 192.0.2.7:9750: address not available on this host (use one of its own addresses, or :9750 for all)',
    );
    expect(listenErrorMessage(err('EADDRNOTAVAIL'), '2001:db8::7', 9750)).toMatch(/^cannot listen on \[2001:db8::7\]:9750: address not available on this host/);
    expect(listenErrorMessage(err('ENOTFOUND'), 'sensor.invalid', 9750)).toBe(
      'cannot listen on sensor.invalid:9750: host name not found (use an IP address with --listen)',
    );
    const odd = listenErrorMessage(new Error('something\nwith two lines'), '', 9750);
    expect(odd).toBe('cannot listen on :9750: something');
  });
});

describe('parseListen', () => {
  it('reads HOST:PORT, [IPV6]:PORT and :PORT', () => {
    expect(parseListen(DEFAULT_LISTEN)).toEqual({ host: '127.0.0.1', port: 9750 });
    expect(DEFAULT_LISTEN).toBe('127.0.0.1:9750');
    expect(parseListen('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListen('localhost:9750')).toEqual({ host: 'localhost', port: 9750 });
    expect(parseListen('sensor-1.example.net:9100')).toEqual({ host: 'sensor-1.example.net', port: 9100 });
    expect(parseListen('[::1]:9750')).toEqual({ host: '::1', port: 9750 });
    expect(parseListen('[::]:9750')).toEqual({ host: '::', port: 9750 });
    expect(parseListen('[fe80::1%eth0]:9750')).toEqual({ host: 'fe80::1%eth0', port: 9750 });
    expect(parseListen(':9750')).toEqual({ host: '', port: 9750 });
    expect(parseListen(' 127.0.0.1:0 ')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListen('127.0.0.1:65535').port).toBe(65535);
  });

  it('throws one line for what it cannot read', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /empty/],
      ['127.0.0.1', /missing port/],
      ['9750', /missing host \(use :9750 for all interfaces or 127\.0\.0\.1:9750/],
      ['127.0.0.1:', /missing port/],
      ['127.0.0.1:http', /not a number/],
      ['127.0.0.1:-1', /not a number/],
      ['127.0.0.1:65536', /above 65535/],
      ['127.0.0.1:123456', /not a number/],
      ['::1:9750', /IPv6 addresses go in brackets/],
      ['[::1]', /missing port after the IPv6 address/],
      ['[::1:9750', /missing "\]"/],
      ['[127.0.0.1]:9750', /not an IPv6 address/],
      ['bad host:9750', /not an IP address or host name/],
      ['-x:9750', /not an IP address or host name/],
    ];
    for (const [text, why] of cases) {
      let message = '';
      try {
        parseListen(text);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message, text).toMatch(why);
      expect(message, text).toMatch(/^invalid listen address /);
      expect(message, text).not.toContain('\n');
    }
  });
});
