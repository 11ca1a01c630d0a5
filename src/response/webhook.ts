/**
 * --webhook URL: POSTs each new scan as JSON. One request at a time from a
 * bounded queue (the oldest event is dropped and counted when it is full),
 * retried with exponential backoff on a network error, a 5xx or a 429;
 * a 4xx other than 429 will not get better and is counted as failed.
 */
export interface WebhookCounters {
  sent: number;
  retries: number;
  failed: number;
  dropped: number;
}

export interface WebhookOptions {
  url: string;
  queueLimit: number;
  /** Attempts per event (first try included). */
  attempts?: number;
  /** First backoff; doubled each retry. */
  backoffMs?: number;
  timeoutMs?: number;
  onFailure?: (message: string) => void;
}

export class Webhook {
  readonly counters: WebhookCounters = { sent: 0, retries: 0, failed: 0, dropped: 0 };
  private readonly queue: string[] = [];
  private busy = false;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: WebhookOptions) {}

  submit(event: Record<string, unknown>): void {
    if (this.closed) return;
    if (this.queue.length >= this.opts.queueLimit) {
      this.queue.shift();
      this.counters.dropped++;
    }
    this.queue.push(JSON.stringify(event));
    void this.drain();
  }

  idle(): Promise<void> {
    if (!this.busy && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  close(): void {
    this.closed = true;
    this.counters.dropped += this.queue.length;
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    while (this.queue.length > 0 && !this.closed) {
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
