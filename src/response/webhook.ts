/**
 * --webhook URL: POSTs each new scan as JSON. One request at a time from a
 * bounded fair queue (fair-queue.ts: each source at most its share, a
 * verified source's event before and in place of an unverified one; what
 * does not fit is dropped and counted), retried with exponential backoff
 * on a network error, a 5xx or a 429; a 4xx other than 429 will not get
 * better and is counted as failed.
 */
import { DEFAULT_SHARE_PER_SOURCE, FairQueue, type FairQueueDrops } from './fair-queue.js';
import { sourceShareKey } from './address-class.js';

export interface WebhookCounters {
  sent: number;
  retries: number;
  failed: number;
  dropped: number;
}

export interface WebhookOptions {
  url: string;
  queueLimit: number;
  /** Events of one source (an IPv4 address, an IPv6 /64) waiting at most. */
  perSource?: number;
  /** Attempts per event (first try included). */
  attempts?: number;
  /** First backoff; doubled each retry. */
  backoffMs?: number;
  timeoutMs?: number;
  onFailure?: (message: string) => void;
}

export class Webhook {
  readonly counters: WebhookCounters = { sent: 0, retries: 0, failed: 0, dropped: 0 };
  private readonly queue: FairQueue<string>;
  private busy = false;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: WebhookOptions) {
    this.queue = new FairQueue(opts.queueLimit, opts.perSource ?? DEFAULT_SHARE_PER_SOURCE);
  }

  /** Why events were refused or displaced by the queue. */
  get queueDrops(): Readonly<FairQueueDrops> {
    return this.queue.drops;
  }

  /** Queues an event; false when it was dropped (counted). */
  submit(event: Record<string, unknown>): boolean {
    if (this.closed) {
      this.counters.dropped++;
      return false;
    }
    const before = this.queue.drops.displaced;
    const queued = this.queue.push(sourceShareKey(event.src), JSON.stringify(event), event.source_verified === true);
    this.counters.dropped += this.queue.drops.displaced - before + (queued ? 0 : 1);
    if (queued) void this.drain();
    return queued;
  }

  idle(): Promise<void> {
    if (!this.busy && this.queue.size === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    this.counters.dropped += this.queue.clear();
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    while (this.queue.size > 0 && !this.closed) {
      const body = this.queue.shift()!;
      await this.deliver(body);
    }
    this.busy = false;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async deliver(body: string): Promise<void> {
    const attempts = this.opts.attempts ?? 5;
    let backoff = this.opts.backoffMs ?? 500;
    let last = '';
    for (let i = 0; i < attempts && !this.closed; i++) {
      if (i > 0) {
        this.counters.retries++;
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff *= 2;
      }
      try {
        const res = await fetch(this.opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) {
          this.counters.sent++;
          return;
        }
        last = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    this.counters.failed++;
    this.opts.onFailure?.(`webhook ${this.opts.url}: ${last}`);
  }
}
