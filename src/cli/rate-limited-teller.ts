/**
 * Tells an error at most once per interval: the first one at once, the
 * ones after it counted and said with the next one told. For errors that
 * could repeat per packet (a bug a crafted frame triggers): the log must
 * not become the attacker's amplifier.
 */
export class RateLimitedTeller {
  private lastAt = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly tellOne: (message: string, suppressedSinceLast: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  tell(err: unknown): void {
    const t = this.now();
    if (t - this.lastAt < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.lastAt = t;
    const message = err instanceof Error ? err.message : String(err);
    this.tellOne(message, this.suppressed);
    this.suppressed = 0;
  }
}
