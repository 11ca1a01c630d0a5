/**
 * Per-client bookkeeping for the metrics listener: how many connections
 * each client (clientKey(): an IPv4 address or an IPv6 /64) has open, and
 * a token bucket of new connections, so that one client cannot take every
 * slot nor churn the accept path with a reconnect loop.
 *
 * Memory is bounded whatever clients do:
 *  - a client with an open connection has one entry; there are never more
 *    such entries than open connections, which the server bounds;
 *  - a client whose last connection closed is remembered while its bucket
 *    refills (else closing and reconnecting would hand it a fresh burst
 *    every time), at most `rememberedClients` of them: beyond that the
 *    longest-idle one is forgotten, and it only regains a full burst.
 */

export interface ClientTableLimits {
  /** Open connections per client at once. */
  perClient: number;
  /** New connections per client per second, in the long run. */
  ratePerSecond: number;
  /** New connections a client may open at once before the rate applies. */
  burst: number;
  /** Clients with no open connection remembered for their bucket. */
  rememberedClients: number;
}

/** Why a new connection was turned away: its client holds too many, or opens them too fast. */
export type ClientRefusal = 'per_client' | 'rate';

interface ClientEntry {
  open: number;
  tokens: number;
  /** performance.now() of the last refill. */
  refilledAt: number;
}

export class ClientTable {
  /** Clients with at least one open connection. */
  private readonly connected = new Map<string, ClientEntry>();
  /** Clients with none, oldest first (Map iteration is insertion order). */
  private readonly remembered = new Map<string, ClientEntry>();

  constructor(private readonly limits: ClientTableLimits) {
    if (!(limits.perClient >= 1 && limits.ratePerSecond > 0 && limits.burst >= 1 && limits.rememberedClients >= 0)) {
      throw new RangeError(`client limits out of range: ${JSON.stringify(limits)}`);
    }
  }

  /**
   * Admits one more connection of `key`, or says why not. An admitted
   * connection takes a token and must be given back with release().
   */
  admit(key: string, now: number): ClientRefusal | null {
    const entry = this.connected.get(key) ?? this.remembered.get(key) ?? { open: 0, tokens: this.limits.burst, refilledAt: now };
    if (entry.open >= this.limits.perClient) return 'per_client';
    this.refill(entry, now);
    // Only a known client gets here (a new one starts with a full bucket),
    // so a refusal adds nothing to the table.
    if (entry.tokens < 1) return 'rate';
    entry.tokens -= 1;
    entry.open += 1;
    if (entry.open === 1) {
      this.remembered.delete(key);
      this.connected.set(key, entry);
    }
    return null;
  }

  /** One connection of `key` closed. */
  release(key: string, now: number): void {
    const entry = this.connected.get(key);
    if (entry === undefined) return;
    entry.open -= 1;
    if (entry.open > 0) return;
    this.connected.delete(key);
    this.refill(entry, now);
    // A full bucket is what an unknown client gets: nothing to remember.
    if (entry.tokens >= this.limits.burst || this.limits.rememberedClients === 0) return;
    // Forget from the oldest: while there is no room, and while the oldest
    // has refilled anyway (each entry is dropped once: amortised O(1)).
    for (const [k, e] of this.remembered) {
      if (this.remembered.size < this.limits.rememberedClients && !this.refilledBy(e, now)) break;
      this.remembered.delete(k);
    }
    this.remembered.set(key, entry);
  }

  /** Open connections of `key`. */
  openOf(key: string): number {
    return this.connected.get(key)?.open ?? 0;
  }

  /** Clients with an open connection. */
  get connectedClients(): number {
    return this.connected.size;
  }

  /** Clients with none, remembered for their rate. */
  get rememberedClients(): number {
    return this.remembered.size;
  }

  private refilledBy(entry: ClientEntry, now: number): boolean {
    return entry.tokens + (Math.max(0, now - entry.refilledAt) / 1000) * this.limits.ratePerSecond >= this.limits.burst;
  }

  private refill(entry: ClientEntry, now: number): void {
    const elapsed = Math.max(0, now - entry.refilledAt) / 1000;
    entry.tokens = Math.min(this.limits.burst, entry.tokens + elapsed * this.limits.ratePerSecond);
    entry.refilledAt = now;
  }
}
