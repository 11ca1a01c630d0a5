/**
 * A second pass over the captures, after detection, for what needs each
 * scan's own packets: `--extract DIR` (each scan's probes and answers as a
 * pcap file) and the HTML report's port-by-time plots. The pass does not
 * decide again which packets are a scan's: the engine kept, for every
 * detection, the numbers of the packets it counted (state/packet-index.ts,
 * a bounded index per detection, every member of a grouped scan included),
 * and the pass reads the same inputs in the same order, counting frames,
 * and takes those. So what the report shows is what the engine saw, tunnel
 * ports, tenants and fingerprints included. Detection itself never pays
 * for the pass: it runs only when asked for.
 */
import path from 'node:path';
import { Decoder } from '../decode/decoder.js';
import { L3, Proto } from '../decode/packet.js';
import { formatHostKey, ipv6Key } from '../decode/address.js';
import type { EngineConfig } from '../rules/config.js';
import { isSweep, TECHNIQUE_NAMES } from '../rules/techniques.js';
import { PacketRole } from '../state/packet-index.js';
import type { PacketSink } from '../capture/types.js';
import { CaptureInput, readMerged, readOne, ReadControl } from '../capture/inputs.js';
import type { DetectionReport, PacketPlan, Report } from './report.js';
import { ExtractFiles, type PcapWriter } from './pcap-extract.js';

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

/** One detection's share of a run's packets. */
interface Wanted {
  d: DetectionReport;
  sweep: boolean;
  sample: ProbeSample | null;
  hosts: Map<string, number> | null;
  writer: PcapWriter | null;
}

/**
 * Takes the planned packets of one run as its frames come by: frame number
 * n (counted as the engine counted them) goes to every detection that kept
 * n. For the plots, every frame is decoded with the engine's own settings
 * (tunnel ports, reassembly), so a probe that completed a fragmented
 * datagram plots as the engine saw it.
 */
class PlanSink implements PacketSink {
  private readonly decoder: Decoder | null;
  private frame = 0;
  private next = 0;
  private totalBuffered = 0;

  constructor(
    /** The run's wanted packets: ordinal * 4 + role, with the detection each is for, sorted by ordinal. */
    private readonly entries: Float64Array,
    private readonly owners: Wanted[],
    private readonly writers: PcapWriter[],
    private readonly extract: ExtractFiles | null,
    config: EngineConfig,
    samples: boolean,
    /** Called once the last wanted frame has passed (or the extract failed with nothing left to plot). */
    private readonly done: () => void,
  ) {
    this.decoder = samples ? new Decoder({ udpTunnelPorts: config.udpTunnelPorts, ipv6HashKey: config.hashSeed ?? 0 }) : null;
    if (entries.length === 0) done();
  }

  onPacket(linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    const n = this.frame++;
    const entries = this.entries;
    const decoded = this.decoder !== null && this.decoder.decode(linkType, data, offset, capLen, tsSec, tsNsec, wireLen);
    while (this.next < entries.length && Math.floor(entries[this.next]! / 4) === n) {
      const e = entries[this.next]!;
      const w = this.owners[this.next]!;
      this.next++;
      if (w.sample !== null && decoded && e - n * 4 === PacketRole.PROBE) w.sample.add(tsSec + tsNsec * 1e-9, this.plotValue(w));
      if (w.writer !== null) this.write(w.writer, linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
    }
    if (this.next >= entries.length && this.next > 0) this.done();
  }

  /** A frame the reader could not date: the engine numbered it too. */
  onBadTimestamp(): void {
    this.frame++;
  }

  /** y of a probe in the plot: its port, or for a sweep the target's ordinal. */
  private plotValue(w: Wanted): number {
    const p = this.decoder!.packet;
    if (!w.sweep) return p.proto === Proto.TCP || p.proto === Proto.UDP || p.proto === Proto.SCTP ? p.dport : p.proto;
    const hosts = (w.hosts ??= new Map());
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
    if (this.extract?.failure != null && this.decoder === null) this.done();
  }
}

/** The extract file name of a scan: `<id>-<src>-<type>.pcap` (IPv6 colons become underscores). */
export function extractName(d: DetectionReport): string {
  return `${d.id}-${d.src.replace(/:/g, '_')}-${d.type}.pcap`;
}

/**
 * Reads the report's files a second time and takes each detection's
 * packets as `plan` lists them. `readPathOf` maps a file as reported to
 * where it can be read again (standard input was spooled).
 */
export async function scanPackets(
  report: Report,
  plan: PacketPlan,
  readPathOf: Map<string, string>,
  opts: { extractDir?: string; samples: boolean; config: EngineConfig },
  control: ReadControl,
): Promise<ScanPacketsResult> {
  const extract = opts.extractDir === undefined ? null : new ExtractFiles(opts.extractDir);
  const wanted = report.detections.map((d): Wanted => {
    const technique = TECHNIQUE_NAMES.indexOf(d.type);
    return {
      d,
      sweep: technique >= 0 && isSweep(technique),
      sample: opts.samples ? new ProbeSample() : null,
      hosts: null,
      writer: extract === null ? null : extract.writer(extractName(d)),
    };
  });
  const writers = wanted.flatMap((w) => (w.writer === null ? [] : [w.writer]));
  try {
    for (let run = 0; run < plan.runs.length && !control.stopped; run++) {
      const mine = wanted.filter((w) => plan.detections.get(w.d.id)?.run === run);
      if (mine.length === 0) continue;
      const { entries, owners } = runEntries(mine, plan);
      // The pass stops once the last wanted frame is read; Ctrl-C stops it too.
      const pass = new ReadControl();
      void control.stopSignal.then(() => pass.stop());
      const sink = new PlanSink(entries, owners, writers, extract, opts.config, opts.samples, () => pass.stop());
      const inputs = plan.runs[run]!.files.map((f) => CaptureInput.open(readPathOf.get(f) ?? f));
      try {
        if (inputs.length === 1) await readOne(inputs[0]!, sink, pass);
        else await readMerged(inputs, sink, pass);
      } finally {
        for (const i of inputs) i.close();
      }
      if (pass.pending) control.pending = true;
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
  for (const w of wanted) {
    if (w.sample !== null) {
      const hosts = w.hosts === null ? [] : [...w.hosts.keys()];
      // The engine's index samples a long scan's tail (state/packet-index.ts): the probes seen are the scan's count.
      result.samples.set(w.d.id, { t: w.sample.t, v: w.sample.v, hosts, probesSeen: Math.max(w.sample.seen, w.d.probes) });
    }
    if (w.writer === null || interrupted || extract!.failure !== null) continue;
    if (w.writer.packets === 0) {
      result.warnings.push(`--extract: no packets found again for scan ${w.d.id} (${w.d.src} ${w.d.type}): the capture changed since it was read`);
    }
    if (w.writer.otherLink > 0) {
      result.warnings.push(`--extract: ${extractName(w.d)}: ${w.writer.otherLink} frames of another link type left out (a pcap file has one)`);
    }
    result.files.set(w.d.id, { path: w.writer.file, packets: w.writer.packets });
  }
  return result;
}

/** The run's wanted packets in frame order, each with the detection it is for. */
function runEntries(mine: Wanted[], plan: PacketPlan): { entries: Float64Array; owners: Wanted[] } {
  const pairs: [number, Wanted][] = [];
  for (const w of mine) for (const e of plan.detections.get(w.d.id)!.entries) pairs.push([e, w]);
  pairs.sort((a, b) => a[0] - b[0]);
  return { entries: Float64Array.from(pairs, (p) => p[0]), owners: pairs.map((p) => p[1]) };
}
