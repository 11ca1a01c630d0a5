/**
 * `live --extract DIR`: when a scan ends, its packets (the engine's packet
 * index: probes, answers, every member of a grouped scan) are written from
 * the frame ring (frame-ring.ts) to DIR/<id>-<src>-<type>.pcap, complete or
 * absent (pcap-extract.ts). The directory is bounded by file count and by
 * total size, oldest file removed first, as Suricata's pcap-log bounds its
 * files (`limit`, `max-files`). Packets that had left the ring are counted,
 * never guessed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Detection } from '../rules/detection.js';
import { FrameRing } from './frame-ring.js';
import { ExtractFiles } from './pcap-extract.js';
import { packetEntries } from './report.js';

export interface LiveExtractLimits {
  /** Most files kept in the directory. */
  maxFiles: number;
  /** Most bytes of files kept in the directory. */
  maxBytes: number;
  /** Bytes of recent frames held in memory. */
  ringBytes: number;
  /** Files written per second at most (a burst of two seconds' worth); default FILES_PER_SECOND. */
  filesPerSecond?: number;
}

/**
 * Files written per second at most. A file is written on the packet path
 * when its scan ends, and a flood of forged scans ends by the thousand: a
 * bound keeps the sensor from spending its time on disk writes an
 * attacker chose (the scans beyond it are counted, not written).
 */
const FILES_PER_SECOND = 20;

export interface ExtractOutcome {
  file: string | null;
  packets: number;
  /** Packets of the scan no longer in the ring (older than its size allowed). */
  agedOut: number;
  /** Why no file was written, when none was. */
  failure: string | null;
}

/** The scan's file name: the same as analyze's (`<id>-<src>-<type>.pcap`, IPv6 colons as _). */
export function liveExtractName(d: Detection): string {
  return `${d.id}-${d.src.replace(/:/g, '_')}-${d.type}.pcap`;
}

export class LiveExtract {
  readonly ring: FrameRing;
  /** Files this sensor wrote, oldest first, with their sizes. */
  private readonly files: { file: string; bytes: number }[] = [];
  private bytes = 0;
  /** Counters for the metrics and the stop line. */
  written = 0;
  removed = 0;
  agedOut = 0;
  failed = 0;
  /** Scans not written because files were being written faster than the bound. */
  skipped = 0;
  private tokens: number;
  private refilledAt = Date.now();
  private readonly rate: number;

  constructor(
    readonly dir: string,
    private readonly limits: LiveExtractLimits,
  ) {
    this.ring = new FrameRing(limits.ringBytes);
    this.rate = limits.filesPerSecond ?? FILES_PER_SECOND;
    this.tokens = 2 * this.rate;
  }

  /** Whether a file may be written now (token bucket: `rate` a second, a burst of two seconds' worth). */
  private mayWrite(): boolean {
    const now = Date.now();
    this.tokens = Math.min(2 * this.rate, this.tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Writes the ended scan's packets that the ring still holds. */
  scanEnded(d: Detection): ExtractOutcome {
    if (!this.mayWrite()) {
      this.skipped++;
      return { file: null, packets: 0, agedOut: 0, failure: `more than ${this.rate} files a second` };
    }
    const entries = packetEntries(d);
    const set = new ExtractFiles(this.dir);
    const writer = set.writer(liveExtractName(d));
    let agedOut = 0;
    for (const e of entries) {
      const ordinal = Math.floor(e / 4);
      const found = this.ring.find(ordinal, (linkType, data, capLen, wireLen, sec, nsec) => {
        writer.add(linkType, data, 0, capLen, wireLen, sec, nsec);
      });
      if (!found) agedOut++;
    }
    this.agedOut += agedOut;
    if (writer.packets === 0) {
      set.discard();
      return { file: null, packets: 0, agedOut, failure: entries.length === 0 ? 'no packets kept' : 'every packet had left the ring' };
    }
    set.commit();
    if (set.failure !== null) {
      this.failed++;
      return { file: null, packets: 0, agedOut, failure: set.failure.reason };
    }
    let size = 0;
    try {
      size = fs.statSync(writer.file).size;
    } catch {
      // Removed by someone else already: nothing to account for.
    }
    this.files.push({ file: writer.file, bytes: size });
    this.bytes += size;
    this.written++;
    this.enforceLimits();
    return { file: path.basename(writer.file), packets: writer.packets, agedOut, failure: null };
  }

  /** Removes the oldest files until the directory is within its count and size. */
  private enforceLimits(): void {
    while (this.files.length > 0 && (this.files.length > this.limits.maxFiles || this.bytes > this.limits.maxBytes)) {
      const oldest = this.files.shift()!;
      this.bytes -= oldest.bytes;
      try {
        fs.unlinkSync(oldest.file);
      } catch {
        // Already gone.
      }
      this.removed++;
    }
  }
}
