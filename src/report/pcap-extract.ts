/**
 * The files of `--extract DIR`: one pcap per scan, each complete or absent.
 *
 * Each file is written under a temporary name in DIR and renamed to its own
 * name only once every byte of it is written and the file is closed
 * (rename(2) within one directory replaces the name atomically: a reader
 * sees the old file or the whole new one, never a half-written pcap). When
 * a write fails (a full disk, an I/O error, a file too large), every
 * temporary file is removed at once, which also gives the space back, and
 * no further packet is written. When the process ends before the files are
 * complete (SIGINT twice, SIGTERM, SIGHUP, process.exit), the temporary
 * files are removed on the way out.
 *
 * There is no fsync: the promise is about failures the process sees, not
 * about a power cut (fsync of each of up to 100,000 files would cost more
 * than the pass itself).
 */
import fs from 'node:fs';
import path from 'node:path';
import { systemErrorText } from '../stderr.js';

/** pcap with nanosecond timestamps (libpcap's 0xa1b23c4d magic): no time is rounded. */
const PCAP_NSEC_MAGIC = 0xa1b23c4d;
const SNAPLEN = 262144;

/** Signals that end the process while files are being written: their temporary files go first. */
const FATAL_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;

/** Creates the file; fails if the name exists, so a planted file or symlink is neither followed nor truncated. */
const CREATE_FLAGS = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;
/** Reopens our own file for the next piece; a symlink put in its place is not followed. */
const APPEND_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_NOFOLLOW;

/** write(2) until every byte is taken (a short count is not an error: the next write says why). */
function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    const n = fs.writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw Object.assign(new Error('EIO: write took no bytes, write'), { code: 'EIO' });
    off += n;
  }
}

/** Buffered pcap output of one scan; opened, appended and closed per flush (one open file at a time). */
export class PcapWriter {
  private chunks: Buffer[] = [];
  private pending = 0;
  private created = false;
  /** Frames written or waiting to be. */
  packets = 0;
  linkType = -1;
  /** Frames of another link type than the first, left out (a pcap file has one). */
  otherLink = 0;

  constructor(
    private readonly set: ExtractFiles,
    /** The file's own name in the directory. */
    readonly name: string,
  ) {}

  get file(): string {
    return path.join(this.set.dir, this.name);
  }

  get tempFile(): string {
    return path.join(this.set.dir, `${this.name}.${process.pid}.partial`);
  }

  get buffered(): number {
    return this.pending;
  }

  /** Queues one frame; returns the bytes it adds to the buffers (0 when left out). */
  add(linkType: number, data: Buffer, off: number, cap: number, wire: number, sec: number, nsec: number): number {
    if (this.set.failure !== null) return 0;
    let added = 0;
    if (this.linkType < 0) {
      this.linkType = linkType;
      const h = Buffer.alloc(24);
      h.writeUInt32LE(PCAP_NSEC_MAGIC, 0);
      h.writeUInt16LE(2, 4);
      h.writeUInt16LE(4, 6);
      h.writeUInt32LE(SNAPLEN, 16);
      h.writeUInt32LE(linkType, 20);
      this.chunks.push(h);
      added += h.length;
    } else if (linkType !== this.linkType) {
      this.otherLink++;
      return 0;
    }
    const rec = Buffer.allocUnsafe(16 + cap);
    rec.writeUInt32LE(sec >>> 0, 0);
    rec.writeUInt32LE(nsec >>> 0, 4);
    rec.writeUInt32LE(cap, 8);
    rec.writeUInt32LE(Math.max(wire, cap), 12);
    data.copy(rec, 16, off, off + cap);
    this.chunks.push(rec);
    added += rec.length;
    this.pending += added;
    this.packets++;
    return added;
  }

  /** Appends what is buffered to the temporary file. A failure fails the whole set. */
  flush(): void {
    if (this.pending === 0 || this.set.failure !== null) return;
    const data = Buffer.concat(this.chunks, this.pending);
    this.chunks = [];
    this.pending = 0;
    let fd = -1;
    try {
      if (this.created) fd = fs.openSync(this.tempFile, APPEND_FLAGS);
      else {
        fd = fs.openSync(this.tempFile, CREATE_FLAGS, 0o644);
        this.created = true;
        this.set.track(this.tempFile);
      }
      writeAll(fd, data);
      const closing = fd;
      fd = -1;
      // close(2) may be where a network file system reports a failed write.
      fs.closeSync(closing);
    } catch (err) {
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch {
          // The write already failed: that is the error told.
        }
      }
      this.set.fail(this.name, err);
    }
  }
}

/** The extract files of one run: their temporary names, the first failure, commit or discard. */
export class ExtractFiles {
  /** The first write that failed: which file, and why (one phrase). */
  failure: { name: string; reason: string } | null = null;
  /** Files renamed to their own names. */
  readonly committed: string[] = [];
  private readonly temps = new Set<string>();
  private readonly writers: PcapWriter[] = [];
  private readonly onExit = (): void => this.removeTemps();
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.removeTemps();
    this.unhook();
    // The default action now that no listener is left: the process ends by the signal, as it would have.
    process.kill(process.pid, signal);
  };
  private hooked = false;

  /**
   * The exit and signal hooks are in place from the start, before any file
   * exists: a signal that came between a file's creation and a later hook
   * would find the default action and leave the file behind.
   */
  constructor(readonly dir: string) {
    this.hooked = true;
    process.on('exit', this.onExit);
    for (const s of FATAL_SIGNALS) process.on(s, this.onSignal);
  }

  writer(name: string): PcapWriter {
    const w = new PcapWriter(this, name);
    this.writers.push(w);
    return w;
  }

  /** Called when a temporary file is created: it is removed unless committed. */
  track(file: string): void {
    this.temps.add(file);
  }

  /** The first failure stops all writing; the partial files go at once (and their space with them). */
  fail(name: string, err: unknown): void {
    if (this.failure === null) this.failure = { name, reason: systemErrorText(err) };
    this.removeTemps();
    this.unhook();
  }

  /** Writes what is left, then gives each complete file its own name. */
  commit(): void {
    for (const w of this.writers) w.flush();
    if (this.failure === null) {
      for (const w of this.writers) {
        if (!this.temps.has(w.tempFile)) continue;
        try {
          fs.renameSync(w.tempFile, w.file);
        } catch (err) {
          this.fail(w.name, err);
          break;
        }
        this.temps.delete(w.tempFile);
        this.committed.push(w.file);
      }
    }
    this.removeTemps();
    this.unhook();
  }

  /** Gives up (interrupted): every temporary file is removed. */
  discard(): void {
    this.removeTemps();
    this.unhook();
  }

  private removeTemps(): void {
    for (const f of this.temps) {
      try {
        fs.unlinkSync(f);
      } catch {
        // Already gone.
      }
    }
    this.temps.clear();
  }

  private unhook(): void {
    if (!this.hooked) return;
    this.hooked = false;
    process.off('exit', this.onExit);
    for (const s of FATAL_SIGNALS) process.off(s, this.onSignal);
  }
}
