/**
 * The metrics listener's limits and their defaults, apart from the server
 * so that the command line can show the defaults without loading
 * node:http or prom-client.
 */

/**
 * The server shares the main thread with the capture, so what a client can
 * make it do is bounded: every connection, every header, every render.
 * Connections are admitted at accept (connection-gate.ts): per client (an
 * IPv4 address or an IPv6 /64), then in total.
 */
export interface ServerLimits {
  /** Open connections at once; when all are busy, newcomers are refused, else they take the slot of an idle or silent one. */
  maxConnections: number;
  /** Open connections per client at once; more are refused at accept. */
  perClientConnections: number;
  /** New connections per client per second in the long run (a token bucket); more are refused at accept. */
  perClientRatePerSecond: number;
  /** New connections a client may open at once before its rate applies. */
  perClientBurst: number;
  /** Clients without an open connection remembered for their budget; beyond, the longest idle is forgotten. */
  rememberedClients: number;
  /**
   * Until its first request head is complete, a connection silent this
   * long is closed (the timer restarts with every byte): a client that
   * sends nothing holds its slot this long, not the headers timeout.
   */
  firstByteTimeoutMs: number;
  /** A request's headers must arrive within this (slowloris); then 408 and close. */
  headersTimeoutMs: number;
  /** A whole request must arrive within this, and a response may stall this long. */
  requestTimeoutMs: number;
  /** Largest request head accepted (431 beyond). */
  maxHeaderBytes: number;
  /** A rendered /metrics body serves every scrape for this long: concurrent scrapes cost one render. */
  renderCacheMs: number;
  /** Connections the kernel queues for accept (listen(2) backlog, capped by net.core.somaxconn). */
  listenBacklog: number;
}

export const LIMITS: ServerLimits = {
  // Each open socket costs a few KiB (Node's socket, parser and buffers):
  // a few MiB at most. Filling it takes 128 clients (8 each, below).
  maxConnections: 1024,
  // Prometheus holds one kept-alive connection per target (a second only
  // while a timed-out scrape lingers); an HA pair behind one NAT address,
  // a health checker and an operator's curl fit in 8 with room. It takes
  // 128 clients to fill the server.
  perClientConnections: 8,
  // Prometheus opens a connection per scrape at worst (every 15 s or so);
  // 20 a second with a burst of 40 never touches it, nor a script polling
  // every 100 ms, and bounds what a reconnect loop from one client makes
  // the server parse and answer (well under 1% of a core).
  perClientRatePerSecond: 20,
  perClientBurst: 40,
  // An entry is some 200 bytes: 4,096 of them under 1 MiB.
  rememberedClients: 4096,
  // Prometheus sends its request as soon as it has connected.
  firstByteTimeoutMs: 2_000,
  // Node's defaults (60 s / 300 s) let a slowloris hold a slot for minutes.
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  // Prometheus sends well under 1 KiB of headers; Node's default is 16 KiB.
  maxHeaderBytes: 8 * 1024,
  // Prometheus scrapes every 15 s or so; a 1 s old figure loses nothing.
  renderCacheMs: 1_000,
  // Refused clients that reconnect at once wait here for the next accept;
  // if it overflows, the kernel drops SYNs (Prometheus's too, whose client
  // then waits a second before it tries again). Node's default is 511.
  listenBacklog: 2048,
};

/** The limits `scanwatch live` takes from its settings; the client's burst is two seconds of its rate (at least its connection limit). */
export function configuredLimits(settings: { maxConnections: number; perClientConnections: number; perClientRatePerSecond: number }): Partial<ServerLimits> {
  return {
    maxConnections: settings.maxConnections,
    perClientConnections: settings.perClientConnections,
    perClientRatePerSecond: settings.perClientRatePerSecond,
    perClientBurst: Math.max(settings.perClientConnections, Math.ceil(2 * settings.perClientRatePerSecond)),
  };
}
