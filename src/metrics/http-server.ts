/**
 * The sensor's HTTP endpoint: /metrics for Prometheus, /healthz for
 * supervisors and load balancers. Plain node:http, no framework.
 */
import http from 'node:http';
import net from 'node:net';
import type { Registry } from 'prom-client';
import { ConnectionGate } from './connection-gate.js';
import { registerConnectionMetrics } from './connection-metrics.js';
import { LIMITS, type ServerLimits } from './server-limits.js';

export { configuredLimits, LIMITS, type ServerLimits } from './server-limits.js';

/** Where the sensor listens unless told otherwise: loopback only (port 9750). */
export const DEFAULT_LISTEN = '127.0.0.1:9750';

export interface ListenAddress {
  /** An IPv4 address, an IPv6 address (no brackets), a host name, or '' for all interfaces. */
  host: string;
  port: number;
}

export interface HealthStatus {
  ok: boolean;
  [k: string]: unknown;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  health: () => HealthStatus;
  /** Limits against hostile or broken clients; the defaults are LIMITS. */
  limits?: Partial<ServerLimits>;
}

export interface MetricsServer {
  close(): Promise<void>;
  /** The port actually bound (the ephemeral one when asked for port 0). */
  port: number;
  host: string;
}

const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

function badListen(text: string, why: string): Error {
  return new Error(`invalid listen address ${JSON.stringify(text)}: ${why}`);
}

function parsePort(text: string, portText: string): number {
  if (portText === '') throw badListen(text, 'missing port (expected HOST:PORT, e.g. 127.0.0.1:9750)');
  if (!/^\d{1,5}$/.test(portText)) throw badListen(text, `port ${JSON.stringify(portText)} is not a number from 0 to 65535`);
  const port = Number(portText);
  if (port > 65535) throw badListen(text, `port ${port} is above 65535`);
  return port;
}

/**
 * Parses a listen address: `HOST:PORT` (IPv4 address or host name),
 * `[IPV6]:PORT`, or `:PORT` for all interfaces (host ''). Throws an Error
 * with a one-line message for anything else.
 */
export function parseListen(text: string): ListenAddress {
  const s = text.trim();
  if (s === '') throw badListen(text, `empty (expected HOST:PORT, e.g. ${DEFAULT_LISTEN})`);
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw badListen(text, 'missing "]" after the IPv6 address');
    const host = s.slice(1, close);
    if (!net.isIPv6(host)) throw badListen(text, `${JSON.stringify(host)} is not an IPv6 address`);
    const rest = s.slice(close + 1);
    if (!rest.startsWith(':')) throw badListen(text, 'missing port after the IPv6 address (expected [ADDRESS]:PORT, e.g. [::1]:9750)');
    return { host, port: parsePort(text, rest.slice(1)) };
  }
  const colon = s.lastIndexOf(':');
  if (colon < 0) {
    if (/^\d+$/.test(s)) throw badListen(text, `missing host (use :${s} for all interfaces or 127.0.0.1:${s} for this host only)`);
    throw badListen(text, 'missing port (expected HOST:PORT, e.g. 127.0.0.1:9750)');
  }
  const host = s.slice(0, colon);
  if (host.includes(':')) throw badListen(text, 'IPv6 addresses go in brackets (e.g. [::1]:9750)');
  if (host !== '' && !net.isIPv4(host) && !HOSTNAME.test(host)) {
    throw badListen(text, `${JSON.stringify(host)} is not an IP address or host name`);
  }
  return { host, port: parsePort(text, s.slice(colon + 1)) };
}

/** An address as a person writes it: 127.0.0.1:9750, [::1]:9750, :9750 (all interfaces). */
export function formatListen(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A listen failure as one line that says what to do about it. */
export function listenErrorMessage(err: unknown, host: string, port: number): string {
  const where = `cannot listen on ${formatListen(host, port)}`;
  const code = err !== null && typeof err === 'object' && 'code' in err ? String((err as { code: unknown }).code) : '';
  switch (code) {
    case 'EADDRINUSE':
      return `${where}: address already in use (is another scanwatch running? choose another with --listen)`;
    case 'EACCES':
    case 'EPERM':
      return port < 1024 && port !== 0
        ? `${where}: permission denied (ports below 1024 need privileges; choose another with --listen)`
        : `${where}: permission denied (choose another address with --listen)`;
    case 'EADDRNOTAVAIL':
      return `${where}: address not available on this host (use one of its own addresses, or :${port} for all)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `${where}: host name not found (use an IP address with --listen)`;
    case 'EAFNOSUPPORT':
      return `${where}: address family not supported on this host (IPv6 disabled? use an IPv4 address with --listen)`;
    default: {
      const msg = err instanceof Error ? err.message : String(err);
      return `${where}: ${msg.split('\n')[0]}`;
    }
  }
}

function send(res: http.ServerResponse, head: boolean, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': buf.length, 'Cache-Control': 'no-store', ...extra });
  res.end(head ? undefined : buf);
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, opts: MetricsServerOptions, render: () => Promise<string>): Promise<void> {
  const method = req.method ?? 'GET';
  let pathname: string;
  try {
    pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    pathname = '';
  }
  const known = pathname === '/metrics' || pathname === '/healthz';
  if (!known) {
    send(res, method === 'HEAD', 404, 'text/plain; charset=utf-8', 'not found: scanwatch serves /metrics and /healthz\n');
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    send(res, false, 405, 'text/plain; charset=utf-8', `method ${method} not allowed: use GET or HEAD\n`, { Allow: 'GET, HEAD' });
    return;
  }
  const head = method === 'HEAD';
  if (pathname === '/metrics') {
    let body: string;
    try {
      body = await render();
    } catch (err) {
      send(res, head, 500, 'text/plain; charset=utf-8', `collecting metrics failed: ${err instanceof Error ? err.message : String(err)}\n`);
      return;
    }
    send(res, head, 200, opts.registry.contentType, body);
    return;
  }
  let status: HealthStatus;
  try {
    status = opts.health();
  } catch (err) {
    status = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  send(res, head, status.ok === true ? 200 : 503, 'application/json', `${JSON.stringify(status)}\n`);
}

/**
 * The registry's exposition, rendered at most once per `cacheMs`: scrapes
 * that arrive while a render runs wait for it, and later ones within the
 * window get the same text. A failed render is not kept.
 */
export function cachedRender(registry: Registry, cacheMs: number): () => Promise<string> {
  let body: string | null = null;
  let renderedAt = 0;
  let inFlight: Promise<string> | null = null;
  return () => {
    if (body !== null && performance.now() - renderedAt < cacheMs) return Promise.resolve(body);
    inFlight ??= registry.metrics().then(
      (text) => {
        body = text;
        renderedAt = performance.now();
        inFlight = null;
        return text;
      },
      (err: unknown) => {
        inFlight = null;
        throw err;
      },
    );
    return inFlight;
  };
}

/**
 * Serves GET/HEAD /metrics (the registry, in its content type) and
 * /healthz (200 with the health JSON when ok, else 503); every other path
 * is 404 and other methods on those two are 405. Rejects with a one-line
 * Error when it cannot listen.
 */
export async function startMetricsServer(opts: MetricsServerOptions): Promise<MetricsServer> {
  const limits: ServerLimits = { ...LIMITS, ...opts.limits };
  const render = cachedRender(opts.registry, limits.renderCacheMs);
  const gate = new ConnectionGate({
    maxConnections: limits.maxConnections,
    perClientConnections: limits.perClientConnections,
    perClientRatePerSecond: limits.perClientRatePerSecond,
    perClientBurst: limits.perClientBurst,
    rememberedClients: limits.rememberedClients,
  });
  const server = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      // How often Node checks those two timeouts (default 30 s).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    (req, res) => {
      const socket = req.socket;
      gate.requestStarted(socket);
      // 'close' comes once per response: sent, or cut off with the connection.
      res.once('close', () => gate.requestEnded(socket));
      // While a request is served; after it Node sets the keep-alive timeout.
      socket.setTimeout(limits.requestTimeoutMs);
      handle(req, res, opts, render).catch((err: unknown) => {
        if (!res.headersSent) send(res, false, 500, 'text/plain; charset=utf-8', `internal error: ${String(err)}\n`);
        else res.destroy();
      });
    },
  );
  // Prometheus scrapes every few seconds over one kept-alive connection.
  server.keepAliveTimeout = 65_000;
  admitBeforeHttp(server, (socket) => {
    if (!gate.admit(socket)) return false;
    // Node's http destroys a socket whose idle timer fires when no
    // 'timeout' listener is on the server (this one has none).
    socket.setTimeout(limits.firstByteTimeoutMs);
    return true;
  });
  // Malformed, oversized (431) and timed-out (408) requests: Node's own
  // clientError handling answers and closes the socket.
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.removeListener('listening', onListening);
      reject(new Error(listenErrorMessage(err, opts.host, opts.port)));
    };
    const onListening = (): void => {
      server.removeListener('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    // An empty host listens on every interface (IPv6 and IPv4 where the host has both).
    server.listen({ port: opts.port, host: opts.host === '' ? undefined : opts.host, backlog: limits.listenBacklog });
  });
  const address = server.address();
  const port = address !== null && typeof address === 'object' ? address.port : opts.port;
  registerConnectionMetrics(opts.registry, gate);
  let closing: Promise<void> | null = null;
  return {
    port,
    host: opts.host,
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/**
 * Runs `admit` on every accepted socket before node:http sees it. An
 * http.Server handles a socket in the 'connection' listener its
 * constructor adds: that listener allocates a parser and starts reading.
 * net.Server emits 'connection' right after accept(2), so wrapping that
 * one listener lets a refused socket be closed with not a byte read and no
 * parser taken. (Connections injected with server.emit('connection'), the
 * documented alternative, would miss the headers and request timeouts:
 * Node starts checking those when the http.Server itself listens.)
 */
function admitBeforeHttp(server: http.Server, admit: (socket: net.Socket) => boolean): void {
  const listeners = server.listeners('connection');
  const httpListener = listeners[0];
  if (listeners.length !== 1 || httpListener === undefined) {
    throw new Error(`metrics server: expected node:http's one 'connection' listener, found ${listeners.length}`);
  }
  server.removeListener('connection', httpListener as (socket: net.Socket) => void);
  server.on('connection', (socket: net.Socket) => {
    if (admit(socket)) (httpListener as (socket: net.Socket) => void).call(server, socket);
  });
}
