/**
 * A second pass over the captures, after detection, for what needs each
 * scan's own packets: `--extract DIR` (the probes and the answers of each
 * scan as a pcap file) and the HTML report's port-by-time plots (a bounded
 * sample of (time, port) per scan). Detection itself never pays for it:
 * the pass runs only when asked for, and only detected scans get buffers.
 *
 * A packet belongs to a scan when it falls in the scan's time span and is
 * either a probe (from the scanner, of the scan's technique) or an answer
 * (to the scanner, within the 10 s flow timeout after the last probe: the
 * engine's own limit for tying a reply to a probe).
 */
import path from 'node:path';
import { Decoder } from '../decode/decoder.js';
import { L3, Proto, TcpFlag } from '../decode/packet.js';
import { formatHostKey, ipv6Key, parseIpv4 } from '../decode/address.js';
import { isKernelSyn } from '../rules/fingerprint.js';
import type { PacketSink } from '../capture/types.js';
import { CaptureInput, readMerged, readOne, type ReadControl } from '../cli/capture-inputs.js';
import type { DetectionReport, Report } from './report.js';
import { ExtractFiles, type PcapWriter } from './pcap-extract.js';

/** Seconds after a scan's last probe during which answers are still its own (the flow timeout). */
const ANSWER_WINDOW_S = 10;
/** Most (time, value) points kept per scan for plotting (even: see ProbeSample). */
export const SAMPLE_CAPACITY = 2000;
/** Bytes buffered per extract file before it is written out. */
const WRITER_FLUSH_BYTES = 64 * 1024;
/** All extract buffers together; past this every buffer is written out. */
const TOTAL_BUFFER_BYTES = 8 * 1024 * 1024;

/**
 * A bounded, evenly spread sample of a scan's probes: every probe until the
 * capacity is reached, then every 2nd, 4th, ... (each time it fills, every
 * other point is dropped and the stride doubles). The plot keeps the scan's
 * shape over its whole duration in at most SAMPLE_CAPACITY points.
 */
export class ProbeSample {
  t: number[] = [];
  v: number[] = [];
  stride = 1;
  private skip = 0;
  seen = 0;

  add(time: number, value: number): void {
    this.seen++;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    this.skip = this.stride - 1;
    this.t.push(time);
    this.v.push(value);
    if (this.t.length >= SAMPLE_CAPACITY) {
      // Keep the even points (0, 2s, 4s, ...): the last one, at (C-1)s for an even
      // capacity C, is dropped, so the next kept probe is C*s, s-1 probes from now.
      this.t = this.t.filter((_, i) => i % 2 === 0);
      this.v = this.v.filter((_, i) => i % 2 === 0);
      this.skip = this.stride - 1;
      this.stride *= 2;
    }
  }
}

/** What the HTML plots of one scan get: y is the port, or for sweeps the target's ordinal. */
export interface ScanSample {
  t: number[];
  v: number[];
  /** For sweeps: the targets in the order first probed (v indexes into it). */
  hosts: string[];
  probesSeen: number;
}

export interface ScanPacketsResult {
  samples: Map<number, ScanSample>;
  /** Extract files written, by detection id. */
  files: Map<number, { path: string; packets: number }>;
  warnings: string[];
  /** --extract could not write a file: none of its partial files is left; one line saying why. */
  extractFailure: string | null;
  /** Reading was stopped (SIGINT) before the end: no extract file was kept, the plots cover what was read. */
  interrupted: boolean;
}

const TCP_TYPES = new Set(['tcp-syn', 'tcp-connect', 'tcp-fin', 'tcp-null', 'tcp-xmas', 'tcp-ack', 'tcp-maimon']);

/** One detection as the pass matches it. */
class ScanMatch {
  readonly t0: number;
  readonly t1: number;
  readonly sweep: boolean;
  sample: ProbeSample | null = null;
  hosts: Map<string, number> | null = null;
  writer: PcapWriter | null = null;

  constructor(readonly d: DetectionReport) {
    // Report times are rounded to the millisecond.
    this.t0 = Date.parse(d.first_seen) / 1000 - 0.001;
    this.t1 = Date.parse(d.last_seen) / 1000 + 0.001;
    this.sweep = d.type.endsWith('sweep');
  }

  /** Is this packet (sent by the scanner) one of the scan's probes? */
  isProbe(dec: Decoder): boolean {
    const p = dec.packet;
    const f = p.tcpFlags;
    const SYN = TcpFlag.SYN;
    const ACK = TcpFlag.ACK;
    const FIN = TcpFlag.FIN;
    const XMAS = TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG;
    const tcp = p.hasL4 && p.proto === Proto.TCP;
    switch (this.d.type) {
      case 'tcp-syn':
        return tcp && (f & (SYN | ACK | TcpFlag.RST)) === SYN && !isKernelSyn(p);
      case 'tcp-connect':
        return tcp && (f & (SYN | ACK | TcpFlag.RST)) === SYN && isKernelSyn(p);
      case 'tcp-fin':
        return tcp && (f & (SYN | ACK | TcpFlag.RST)) === 0 && (f & FIN) !== 0 && (f & XMAS) !== XMAS;
      case 'tcp-xmas':
        return tcp && (f & (SYN | ACK | TcpFlag.RST)) === 0 && (f & XMAS) === XMAS;
      case 'tcp-null':
        return tcp && (f & (SYN | ACK | TcpFlag.RST | FIN)) === 0;
      case 'tcp-ack':
        return tcp && (f & (SYN | ACK | TcpFlag.RST | FIN)) === ACK && p.payloadLen === 0;
      case 'tcp-maimon':
        return tcp && (f & (SYN | ACK | TcpFlag.RST | FIN)) === (ACK | FIN) && p.payloadLen === 0;
      case 'udp':
        return p.hasL4 && p.proto === Proto.UDP;
      case 'icmp-sweep':
        return p.hasL4 && ((p.proto === Proto.ICMP && [8, 13, 15, 17].includes(p.icmpType)) || (p.proto === Proto.ICMPV6 && p.icmpType === 128));
      case 'arp-sweep':
        return p.l3 === L3.ARP ? p.arpOp === 1 : p.hasL4 && p.proto === Proto.ICMPV6 && p.icmpType === 135;
      default:
        // A technique this pass does not know in detail: every packet from the scanner.
        return true;
    }
  }

  /**
   * Is this packet (sent by the scanner) part of the scan's exchange though
   * not a probe: the RST a half-open scanner (or its kernel) sends to a SYN-ACK.
   */
  isTeardown(dec: Decoder): boolean {
    const p = dec.packet;
    return TCP_TYPES.has(this.d.type) && p.hasL4 && p.proto === Proto.TCP && (p.tcpFlags & TcpFlag.RST) !== 0;
  }

  /** Is this packet (sent to the scanner) an answer of the kind the scan draws? */
  isAnswer(dec: Decoder): boolean {
    const p = dec.packet;
    if (this.d.type === 'arp-sweep') return p.l3 === L3.ARP ? p.arpOp === 2 : p.hasL4 && p.proto === Proto.ICMPV6 && p.icmpType === 136;
    if (!p.hasL4) return false;
    // ICMP answers every technique: echo replies, and unreachables for closed or filtered ports.
    if (p.proto === Proto.ICMP || p.proto === Proto.ICMPV6) return true;
    if (TCP_TYPES.has(this.d.type)) return p.proto === Proto.TCP;
    if (this.d.type === 'udp') return p.proto === Proto.UDP;
    return !this.sweep;
  }
}

/** The scanner's address as the decoder sees it: an IPv4 integer, or RFC 5952 text for IPv6. */
function addressKey(text: string): number | string {
  const v4 = parseIpv4(text);
  return v4 !== null ? v4 | 0 : text;
}

/** Matches packets of one capture (or merged group) against its scans. */
class PassSink implements PacketSink {
  private readonly decoder = new Decoder();
  private readonly bySrc = new Map<number | string, ScanMatch[]>();
  private totalBuffered = 0;

  constructor(
    matches: ScanMatch[],
    private readonly writers: PcapWriter[],
    private readonly extract: ExtractFiles | null,
    private readonly onExtractFailure: () => void,
  ) {
    for (const m of matches) {
      const key = addressKey(m.d.src);
      const list = this.bySrc.get(key);
      if (list === undefined) this.bySrc.set(key, [m]);
      else list.push(m);
    }
  }

  private keyOf(v4: number, v6Off: number): number | string {
    return this.decoder.packet.l3 === L3.IPV6 ? formatHostKey(ipv6Key(this.decoder.packet.buf, v6Off)) : v4;
  }

  onPacket(linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    const t = tsSec + tsNsec * 1e-9;
    if (!this.decoder.decode(linkType, data, offset, capLen, t, 0, wireLen)) return;
    const p = this.decoder.packet;
    const arp = p.l3 === L3.ARP;
    const src = arp ? p.arpSpa : this.keyOf(p.src, p.src6Off);
    const sent = this.bySrc.get(src);
    if (sent !== undefined) {
      for (const m of sent) {
        if (t < m.t0 || t > m.t1 + ANSWER_WINDOW_S) continue;
        if (t <= m.t1 && m.isProbe(this.decoder)) {
          if (m.sample !== null) m.sample.add(t, this.plotValue(m));
          if (m.writer !== null) this.write(m.writer, linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
        } else if (m.writer !== null && m.isTeardown(this.decoder)) {
          this.write(m.writer, linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
        }
      }
    }
    const dst = arp ? p.arpTpa : this.keyOf(p.dst, p.dst6Off);
    const answered = this.bySrc.get(dst);
    if (answered !== undefined) {
      for (const m of answered) {
        if (m.writer === null || t < m.t0 || t > m.t1 + ANSWER_WINDOW_S || !m.isAnswer(this.decoder)) continue;
        this.write(m.writer, linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
      }
    }
  }

  /** y of a probe in the plot: its port, or for a sweep the target's ordinal. */
  private plotValue(m: ScanMatch): number {
    const p = this.decoder.packet;
    if (!m.sweep) return p.proto === Proto.TCP || p.proto === Proto.UDP ? p.dport : p.proto;
    const hosts = (m.hosts ??= new Map());
    const key = p.l3 === L3.ARP ? formatHostKey(p.arpTpa) : p.l3 === L3.IPV6 ? formatHostKey(ipv6Key(p.buf, p.dst6Off)) : formatHostKey(p.dst);
    let i = hosts.get(key);
    if (i === undefined) {
      if (hosts.size >= SAMPLE_CAPACITY) return SAMPLE_CAPACITY;
      i = hosts.size;
      hosts.set(key, i);
    }
    return i;
  }

  private write(w: PcapWriter, linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    this.totalBuffered += w.add(linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
    if (w.buffered >= WRITER_FLUSH_BYTES) {
      this.totalBuffered -= w.buffered;
      w.flush();
    }
    if (this.totalBuffered >= TOTAL_BUFFER_BYTES) {
      for (const x of this.writers) x.flush();
      this.totalBuffered = 0;
    }
    if (this.extract?.failure != null) this.onExtractFailure();
  }
}

/** The extract file name of a scan: `<id>-<src>-<type>.pcap` (IPv6 colons become underscores). */
export function extractName(d: DetectionReport): string {
  return `${d.id}-${d.src.replace(/:/g, '_')}-${d.type}.pcap`;
}

/**
 * Reads the report's files a second time. `readPathOf` maps a file as
 * reported to where it can be read again (standard input was spooled).
 */
export async function scanPackets(
  report: Report,
  readPathOf: Map<string, string>,
  opts: { extractDir?: string; samples: boolean },
  control: ReadControl,
): Promise<ScanPacketsResult> {
  const extract = opts.extractDir === undefined ? null : new ExtractFiles(opts.extractDir);
  const matches = report.detections.map((d) => {
    const m = new ScanMatch(d);
    if (opts.samples) m.sample = new ProbeSample();
    if (extract !== null) m.writer = extract.writer(extractName(d));
    return m;
  });
  const writers = matches.flatMap((m) => (m.writer === null ? [] : [m.writer]));
  // Nothing left to do once the extract failed and no plot needs the packets: stop reading.
  const onExtractFailure = opts.samples ? () => {} : () => control.stop();
  const files = report.files.map((f) => f.path);
  try {
    if (report.merged) {
      const inputs = files.map((f) => CaptureInput.open(readPathOf.get(f) ?? f));
      try {
        const sink = new PassSink(matches, writers, extract, onExtractFailure);
        await readMerged(inputs, sink, control);
      } finally {
        for (const i of inputs) i.close();
      }
    } else {
      for (const f of files) {
        if (control.stopped) break;
        const mine = matches.filter((m) => m.d.file === f);
        if (mine.length === 0) continue;
        const input = CaptureInput.open(readPathOf.get(f) ?? f);
        try {
          await readOne(input, new PassSink(mine, writers, extract, onExtractFailure), control);
        } finally {
          input.close();
        }
      }
    }
  } catch (err) {
    extract?.discard();
    throw err;
  }
  const interrupted = control.stopped && extract?.failure == null;
  if (interrupted) extract?.discard();
  else extract?.commit();
  const result: ScanPacketsResult = { samples: new Map(), files: new Map(), warnings: [], extractFailure: null, interrupted };
  if (extract !== null && extract.failure !== null) {
    const kept = extract.committed.length;
    result.extractFailure =
      `cannot write --extract ${path.join(extract.dir, extract.failure.name)}: ${extract.failure.reason}` +
      (kept === 0 ? '; no extract file was kept (partial files removed)' : `; ${kept} complete extract files kept, partial files removed`);
  }
  for (const m of matches) {
    if (m.sample !== null) {
      const hosts = m.hosts === null ? [] : [...m.hosts.keys()];
      result.samples.set(m.d.id, { t: m.sample.t, v: m.sample.v, hosts, probesSeen: m.sample.seen });
    }
    if (m.writer === null || interrupted || extract!.failure !== null) continue;
    if (m.writer.packets === 0) {
      result.warnings.push(`--extract: no packets found again for scan ${m.d.id} (${m.d.src} ${m.d.type})`);
    }
    if (m.writer.otherLink > 0) {
      result.warnings.push(`--extract: ${extractName(m.d)}: ${m.writer.otherLink} frames of another link type left out (a pcap file has one)`);
    }
    result.files.set(m.d.id, { path: m.writer.file, packets: m.writer.packets });
  }
  return result;
}
