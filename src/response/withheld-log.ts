/**
 * The log lines saying why a detection was not handed to the hooks: at most
 * one per source, and at most `perSecond` a second in all, so forged
 * packets from ever new addresses cannot turn it into a line per packet.
 * The counters (response-gate.ts) count every withheld event; only the
 * lines are limited. Memory: the last `remember` sources logged (the
 * oldest is forgotten first, and may then be logged again).
 */
export class WithheldLog {
  private readonly seen = new Set<string>();
  private tokens: number;
  private last = Date.now();
  /** Lines not written because the per-second budget was spent. */
  suppressed = 0;

  constructor(
    private readonly remember = 4096,
    private readonly perSecond = 10,
  ) {
    this.tokens = perSecond;
  }

  /** Calls `write` unless source `key` was logged already or the budget is spent; true when it did. */
  note(key: string, write: () => void): boolean {
    if (this.seen.has(key)) return false;
    const now = Date.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) {
      this.suppressed++;
      return false;
    }
    this.tokens -= 1;
    if (this.seen.size >= this.remember) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(key);
    write();
    return true;
  }
}
