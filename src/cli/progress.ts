/**
 * The progress bar of `analyze` on stderr: bytes read of the total,
 * packets/s and time left. Drawn only when stderr is a terminal and not
 * --quiet, redrawn at most a few times a second from the readers' pacing
 * callback (never per packet), and erased before the report is written.
 */
import type { ReadControl } from '../capture/inputs.js';

/** Minimum time between redraws. */
const REDRAW_MS = 250;
const BAR_WIDTH = 24;

function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024;
    u++;
  }
  return `${n.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

function humanCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** One line of progress; `total` null when the size is unknown (pipe, FIFO). */
export function progressLine(bytes: number, total: number | null, packets: number, elapsedS: number): string {
  const pps = elapsedS > 0 ? packets / elapsedS : 0;
  const rate = `${humanCount(pps)} pkt/s`;
  if (total === null || total <= 0) return `${humanBytes(bytes)} read  ${humanCount(packets)} packets  ${rate}`;
  const frac = Math.min(1, bytes / total);
  const filled = Math.round(frac * BAR_WIDTH);
  const bar = '#'.repeat(filled) + '-'.repeat(BAR_WIDTH - filled);
  const bps = elapsedS > 0 ? bytes / elapsedS : 0;
  const eta = bps > 0 ? clock((total - bytes) / bps) : '?';
  return `[${bar}] ${(frac * 100).toFixed(0).padStart(3)}%  ${humanBytes(bytes)} / ${humanBytes(total)}  ${rate}  ETA ${eta}`;
}

export class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly total: number | null,
    private readonly control: () => ReadControl,
  ) {}

  /** Redraws when REDRAW_MS have passed since the last redraw. */
  tick(): void {
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const c = this.control();
    const line = progressLine(c.bytesRead, this.total, c.packets, (now - this.start) / 1000);
    const width = this.out.columns > 0 ? this.out.columns : 80;
    // \r and erase-line: the bar stays on one line and never scrolls.
    this.out.write(`\r\x1b[2K${line.slice(0, Math.max(10, width - 1))}`);
    this.drawn = true;
  }

  /** Removes the bar so the report and warnings start on a clean line. */
  clear(): void {
    if (this.drawn) this.out.write('\r\x1b[2K');
    this.drawn = false;
  }
}
