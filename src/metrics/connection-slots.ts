/**
 * The metrics listener's connection slots, and which connection gives its
 * slot up when they are all taken and a new client arrives.
 *
 * A full server that refused every newcomer would belong to whoever
 * filled it first: 1,000 slow clients that reconnect as soon as they are
 * closed take back every slot the moment it frees. So a newcomer is let in
 * by closing a connection that is doing nothing useful:
 *  1. the oldest that has not yet completed a request head (a slowloris,
 *     or a client that sends nothing): a real scraper completes its head
 *     within milliseconds of connecting, so it is never the oldest of
 *     these for long;
 *  2. else the oldest kept-alive connection idle between requests: HTTP
 *     lets a server close an idle persistent connection at any time, and
 *     clients retry on a fresh one (RFC 9112 section 9.3.1; Go's client,
 *     Prometheus's, does so for GET).
 * A connection in the middle of a request is never chosen; when every slot
 * holds one, the newcomer is refused.
 */

/** What a connection is doing: which of the three queues holds it. */
type Phase = 'awaiting_request' | 'in_request' | 'idle';

export class ConnectionSlots<C> {
  // Sets iterate in insertion order: the first member is the oldest.
  private readonly awaitingRequest = new Set<C>();
  private readonly idle = new Set<C>();
  /** Requests in flight per connection (pipelined requests overlap). */
  private readonly inRequest = new Map<C, number>();

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError(`connection capacity must be a whole number >= 1, not ${capacity}`);
  }

  get open(): number {
    return this.awaitingRequest.size + this.idle.size + this.inRequest.size;
  }

  get full(): boolean {
    return this.open >= this.capacity;
  }

  /**
   * The connection to close so that a newcomer fits, with the queue it came
   * from; null when every slot holds a request in progress. Only call when full.
   */
  evictable(): { connection: C; phase: Exclude<Phase, 'in_request'> } | null {
    for (const connection of this.awaitingRequest) return { connection, phase: 'awaiting_request' };
    for (const connection of this.idle) return { connection, phase: 'idle' };
    return null;
  }

  /** A new connection takes a slot; it has sent no request yet. */
  add(connection: C): void {
    if (this.full) throw new Error('connection slots: add() on a full table (evict first)');
    this.awaitingRequest.add(connection);
  }

  /** A complete request head arrived on `connection`. */
  requestStarted(connection: C): void {
    const inFlight = this.inRequest.get(connection);
    if (inFlight !== undefined) {
      this.inRequest.set(connection, inFlight + 1);
      return;
    }
    if (!this.awaitingRequest.delete(connection) && !this.idle.delete(connection)) return; // already gone
    this.inRequest.set(connection, 1);
  }

  /** A response on `connection` is done (sent, or abandoned). */
  requestEnded(connection: C): void {
    const inFlight = this.inRequest.get(connection);
    if (inFlight === undefined) return;
    if (inFlight > 1) {
      this.inRequest.set(connection, inFlight - 1);
      return;
    }
    this.inRequest.delete(connection);
    this.idle.add(connection);
  }

  /** The connection closed: its slot is free. */
  remove(connection: C): void {
    this.awaitingRequest.delete(connection);
    this.idle.delete(connection);
    this.inRequest.delete(connection);
  }

  /** Which queue holds `connection` (for tests and assertions); null once removed. */
  phaseOf(connection: C): Phase | null {
    if (this.awaitingRequest.has(connection)) return 'awaiting_request';
    if (this.idle.has(connection)) return 'idle';
    if (this.inRequest.has(connection)) return 'in_request';
    return null;
  }
}
