/**
 * Admission of connections to the metrics listener, decided at accept,
 * before the HTTP parser sees the socket: a refused connection costs the
 * main thread (which the capture shares) one accept and one close, and
 * not a byte of it is read.
 *
 * In order, a newcomer is refused when
 *  - every slot holds a request in progress (reason "total"),
 *  - its client (an IPv4 address, an IPv6 /64) already has
 *    `perClientConnections` open ("per_client"),
 *  - its client has used up its budget of new connections ("rate");
 * otherwise, on a full server, it takes the slot of the oldest connection
 * doing nothing useful (connection-slots.ts), which is closed.
 */
import type net from 'node:net';
import { clientKey } from './client-address.js';
import { ClientTable } from './client-table.js';
import { ConnectionSlots } from './connection-slots.js';

export interface ConnectionGateLimits {
  maxConnections: number;
  perClientConnections: number;
  perClientRatePerSecond: number;
  perClientBurst: number;
  rememberedClients: number;
}

export const REFUSAL_REASONS = ['total', 'per_client', 'rate'] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
export const EVICTED_PHASES = ['awaiting_request', 'idle'] as const;
export type EvictedPhase = (typeof EVICTED_PHASES)[number];

/** What the gate has done since it started, for the exposition (plain numbers: nothing per connection touches prom-client). */
export interface GateCounters {
  accepted: number;
  refused: Record<RefusalReason, number>;
  evicted: Record<EvictedPhase, number>;
}

export class ConnectionGate {
  readonly counters: GateCounters = {
    accepted: 0,
    refused: { total: 0, per_client: 0, rate: 0 },
    evicted: { awaiting_request: 0, idle: 0 },
  };
  private readonly slots: ConnectionSlots<net.Socket>;
  private readonly clients: ClientTable;

  constructor(
    limits: ConnectionGateLimits,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.slots = new ConnectionSlots(limits.maxConnections);
    this.clients = new ClientTable({
      perClient: limits.perClientConnections,
      ratePerSecond: limits.perClientRatePerSecond,
      burst: limits.perClientBurst,
      rememberedClients: limits.rememberedClients,
    });
  }

  /**
   * Called for every accepted socket, before anything reads from it.
   * Returns true when the socket may be served; a refused socket has
   * been reset and counted.
   */
  admit(socket: net.Socket): boolean {
    const key = clientKey(socket.remoteAddress);
    // No peer address: the client reset the connection before it was accepted.
    if (key === null) {
      socket.destroy();
      return false;
    }
    if (this.slots.full && this.slots.evictable() === null) return this.refuse(socket, 'total');
    const refusal = this.clients.admit(key, this.now());
    if (refusal !== null) return this.refuse(socket, refusal);
    if (this.slots.full) {
      const victim = this.slots.evictable()!;
      this.counters.evicted[victim.phase]++;
      // Its slot is free now; its client's count drops when its 'close' comes.
      this.slots.remove(victim.connection);
      // A client that never completed a request is reset like a refused
      // one; a kept-alive one gets the FIN an idle close normally is.
      if (victim.phase === 'awaiting_request') reset(victim.connection);
      else victim.connection.destroy();
    }
    this.slots.add(socket);
    this.counters.accepted++;
    socket.once('close', () => {
      this.slots.remove(socket);
      this.clients.release(key, this.now());
    });
    return true;
  }

  /** A complete request head arrived on `socket`: its slot is no longer one to give away. */
  requestStarted(socket: net.Socket): void {
    this.slots.requestStarted(socket);
  }

  /** The response to one request on `socket` is done (or abandoned). */
  requestEnded(socket: net.Socket): void {
    this.slots.requestEnded(socket);
  }

  get open(): number {
    return this.slots.open;
  }

  /** Clients with a connection open. */
  get connectedClients(): number {
    return this.clients.connectedClients;
  }

  /** Clients with none, remembered for their new-connection budget. */
  get rememberedClients(): number {
    return this.clients.rememberedClients;
  }

  private refuse(socket: net.Socket, reason: RefusalReason): false {
    this.counters.refused[reason]++;
    reset(socket);
    return false;
  }
}

/**
 * Closes with a reset (RST, SO_LINGER 0), not a FIN: a connection the
 * sensor closes first would otherwise sit in TIME_WAIT on the sensor for
 * 60 s (Linux), and a reconnect loop would pile those up. Node reports a
 * failed reset as an 'error' event; the socket is gone either way.
 */
function reset(socket: net.Socket): void {
  if (socket.destroyed) return;
  socket.on('error', () => {});
  socket.resetAndDestroy();
}
