/**
 * Test helpers: synthetic scanner and client behaviour as timed frame lists
 * (built from packets.ts), and a runner that analyses them like the CLI does.
 */
import { Engine } from '../../src/engine/engine.js';
import type { EngineConfig } from '../../src/rules/config.js';
import { defaultConfig } from '../../src/rules/config.js';
import { detectionReport, type DetectionReport } from '../../src/report/report.js';
import {
  LINUX_SYN_OPTIONS,
  LINUX_SYNACK_OPTIONS,
  NMAP_SYN_OPTIONS,
  echo,
  ip4,
  l3Of,
  rng,
  tcp,
  udp,
  unreachable,
  type TcpOptions,
  type Timed,
  feed,
} from './packets.js';

/** 2023-11-14T22:13:20.250Z: a fractional start so that millisecond rounding shows. */
export const T0 = 1700000000.25;

export interface Run {
  engine: Engine;
  detections: DetectionReport[];
}

/** Feeds the frames in time order of the array, ends the input, and returns the detections as reports. */
export function run(frames: Timed[], config: EngineConfig = defaultConfig()): Run {
  const engine = new Engine(config);
  feed(engine, frames);
  engine.finish();
  return { engine, detections: engine.detections.map((d) => detectionReport(d)) };
}

/** Sorts by time (stable), so scenario pieces can be generated separately and merged. */
export function merge(...parts: Timed[][]): Timed[] {
  return parts.flat().sort((a, b) => a.t - b.t);
}

const u32 = (r: () => number): number => Math.floor(r() * 0x100000000) >>> 0;

// ---------------------------------------------------------------------------
// Raw-packet TCP scans (nmap -sS/-sF/-sN/-sX/-sA/-sM style)

export interface RawScanOpts {
  src: string;
  /** Targets, probed in order host-major unless `portMajor`. */
  dsts: string[];
  ports: number[];
  /** Probe flags: 'S', 'F', '', 'FPU', 'A', 'FA'. */
  flags: string;
  /** "host:port" (or "port" for any host) that are open. */
  open?: Set<string>;
  /** Hosts that answer at all (default: all). Silent hosts are "filtered". */
  answering?: Set<string>;
  t0?: number;
  /** Seconds between probes. */
  gap?: number;
  window?: number;
  options?: TcpOptions | Buffer;
  sport?: number;
  seed?: number;
  /** IPv4 id for each probe (default: random, as nmap). */
  ipId?: (dst: string, dport: number, seq: number) => number;
  ttl?: () => number;
  portMajor?: boolean;
}

function isOpen(open: Set<string> | undefined, host: string, port: number): boolean {
  return open !== undefined && (open.has(`${host}:${port}`) || open.has(String(port)));
}

/**
 * A raw-socket scanner's probes and the targets' RFC 9293 answers:
 *  - SYN: closed -> RST|ACK; open -> SYN|ACK, then the scanner's kernel RST.
 *  - FIN/NULL/XMAS: closed -> RST|ACK; open -> silence.
 *  - ACK and FIN|ACK (Maimon): RST whether open or closed (no connection exists).
 */
export function rawScan(o: RawScanOpts): Timed[] {
  const r = rng(o.seed ?? 1);
  const out: Timed[] = [];
  const t0 = o.t0 ?? T0;
  const gap = o.gap ?? 0.001;
  const sport = o.sport ?? 40000 + Math.floor(r() * 20000);
  const pairs: [string, number][] = [];
  if (o.portMajor === true) for (const p of o.ports) for (const h of o.dsts) pairs.push([h, p]);
  else for (const h of o.dsts) for (const p of o.ports) pairs.push([h, p]);
  const window = o.window ?? [1024, 2048, 3072, 4096][Math.floor(r() * 4)]!;
  pairs.forEach(([dst, dport], i) => {
    const t = t0 + i * gap;
    const seq = u32(r);
    const ipId = o.ipId !== undefined ? o.ipId(dst, dport, seq) : Math.floor(r() * 65536);
    const ttl = o.ttl !== undefined ? o.ttl() : 37 + Math.floor(r() * 23);
    const probeOptions = o.options ?? (o.flags === 'S' ? NMAP_SYN_OPTIONS : undefined);
    out.push({ frame: tcp({ src: o.src, dst, sport, dport, flags: o.flags, seq, window, options: probeOptions, ipId, ttl }), t });
    if (o.answering !== undefined && !o.answering.has(dst)) return;
    const open = isOpen(o.open, dst, dport);
    const rt = t + 0.0002;
    const hasAck = o.flags.includes('A');
    const seqAdvance = o.flags.includes('S') || o.flags.includes('F') ? 1 : 0;
    if (o.flags === 'S') {
      if (open) {
        out.push({ frame: tcp({ src: dst, dst: o.src, sport: dport, dport: sport, flags: 'SA', seq: u32(r), ack: seq + 1, window: 64240, options: LINUX_SYNACK_OPTIONS }), t: rt });
        out.push({ frame: tcp({ src: o.src, dst, sport, dport, flags: 'R', seq: seq + 1, window: 0 }), t: rt + 0.0001 });
      } else {
        out.push({ frame: tcp({ src: dst, dst: o.src, sport: dport, dport: sport, flags: 'RA', seq: 0, ack: seq + 1, window: 0 }), t: rt });
      }
    } else if (hasAck) {
      // RFC 9293 3.10.7.1: a segment with ACK to a closed or listening port draws RST with seq = SEG.ACK.
      out.push({ frame: tcp({ src: dst, dst: o.src, sport: dport, dport: sport, flags: 'R', seq: 0, window: 0 }), t: rt });
    } else if (!open) {
      out.push({ frame: tcp({ src: dst, dst: o.src, sport: dport, dport: sport, flags: 'RA', seq: 0, ack: seq + seqAdvance, window: 0 }), t: rt });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------
// Kernel TCP connections

export interface ConnOpts {
  client: string;
  server: string;
  sport: number;
  dport: number;
  t: number;
  /** 'open': full handshake; 'closed': RST|ACK; 'silent': no answer. */
  outcome: 'open' | 'closed' | 'silent';
  /** After the handshake: exchange data and close with FINs (a real client), or RST at once (nmap -sT). */
  after?: 'data' | 'rst';
  requestBytes?: number;
  responseBytes?: number;
  rtt?: number;
  seed?: number;
}

/** One connect(): SYN with a kernel's options, and what follows. */
export function connection(o: ConnOpts): Timed[] {
  const r = rng(o.seed ?? o.sport * 7919 + o.dport);
  const rtt = o.rtt ?? 0.002;
  const cseq = u32(r);
  const sseq = u32(r);
  const c = { src: o.client, dst: o.server, sport: o.sport, dport: o.dport };
  const s = { src: o.server, dst: o.client, sport: o.dport, dport: o.sport };
  const out: Timed[] = [{ frame: tcp({ ...c, flags: 'S', seq: cseq, window: 64240, options: { ...LINUX_SYN_OPTIONS, ts: [u32(r), 0] } }), t: o.t }];
  if (o.outcome === 'silent') return out;
  if (o.outcome === 'closed') {
    out.push({ frame: tcp({ ...s, flags: 'RA', seq: 0, ack: cseq + 1, window: 0 }), t: o.t + rtt });
    return out;
  }
  let t = o.t + rtt;
  out.push({ frame: tcp({ ...s, flags: 'SA', seq: sseq, ack: cseq + 1, window: 65160, options: LINUX_SYNACK_OPTIONS }), t });
  t += 0.00005;
  out.push({ frame: tcp({ ...c, flags: 'A', seq: cseq + 1, ack: sseq + 1, window: 502 }), t });
  if ((o.after ?? 'data') === 'rst') {
    out.push({ frame: tcp({ ...c, flags: 'RA', seq: cseq + 1, ack: sseq + 1, window: 0 }), t: t + 0.00005 });
    return out;
  }
  const req = o.requestBytes ?? 320;
  const resp = o.responseBytes ?? 1200;
  out.push({ frame: tcp({ ...c, flags: 'PA', seq: cseq + 1, ack: sseq + 1, window: 502, payload: req }), t: (t += 0.00005) });
  out.push({ frame: tcp({ ...s, flags: 'A', seq: sseq + 1, ack: cseq + 1 + req, window: 509 }), t: (t += rtt) });
  out.push({ frame: tcp({ ...s, flags: 'PA', seq: sseq + 1, ack: cseq + 1 + req, window: 509, payload: resp }), t: (t += 0.001) });
  out.push({ frame: tcp({ ...c, flags: 'A', seq: cseq + 1 + req, ack: sseq + 1 + resp, window: 501 }), t: (t += 0.00005) });
  out.push({ frame: tcp({ ...c, flags: 'FA', seq: cseq + 1 + req, ack: sseq + 1 + resp, window: 501 }), t: (t += 0.01) });
  out.push({ frame: tcp({ ...s, flags: 'FA', seq: sseq + 1 + resp, ack: cseq + 2 + req, window: 509 }), t: (t += rtt) });
  out.push({ frame: tcp({ ...c, flags: 'A', seq: cseq + 2 + req, ack: sseq + 2 + resp, window: 501 }), t: (t += 0.00005) });
  return out;
}

/** nmap -sT: one connect() per port, open ports completed and reset. */
export function connectScan(o: { src: string; dst: string; ports: number[]; open: Set<number>; t0?: number; gap?: number }): Timed[] {
  const out: Timed[] = [];
  o.ports.forEach((port, i) => {
    out.push(
      ...connection({
        client: o.src,
        server: o.dst,
        sport: 40000 + i,
        dport: port,
        t: (o.t0 ?? T0) + i * (o.gap ?? 0.001),
        outcome: o.open.has(port) ? 'open' : 'closed',
        after: 'rst',
      }),
    );
  });
  return out;
}

// ---------------------------------------------------------------------------
// UDP and ICMP

/** A UDP scan from one source port: closed ports answer ICMP port unreachable, open ones with UDP. */
export function udpScan(o: { src: string; dst: string; ports: number[]; open: Set<number>; t0?: number; gap?: number; sport?: number }): Timed[] {
  const out: Timed[] = [];
  const sport = o.sport ?? 33277;
  o.ports.forEach((port, i) => {
    const t = (o.t0 ?? T0) + i * (o.gap ?? 0.002);
    const probe = udp({ src: o.src, dst: o.dst, sport, dport: port, ipId: (i * 7919) & 0xffff, ttl: 40 + (i % 19) });
    out.push({ frame: probe, t });
    if (o.open.has(port)) out.push({ frame: udp({ src: o.dst, dst: o.src, sport: port, dport: sport, payload: 48 }), t: t + 0.0003 });
    else out.push({ frame: unreachable({ src: o.dst, dst: o.src, code: 3, original: l3Of(probe) }), t: t + 0.0003 });
  });
  return out;
}

/** An ICMP echo sweep (nmap -sn -PE: empty payload, random id, seq 0); `alive` hosts reply. */
export function echoSweep(o: { src: string; dsts: string[]; alive: Set<string>; t0?: number; gap?: number; seed?: number }): Timed[] {
  const r = rng(o.seed ?? 3);
  const out: Timed[] = [];
  o.dsts.forEach((dst, i) => {
    const t = (o.t0 ?? T0) + i * (o.gap ?? 0.002);
    const id = Math.floor(r() * 65536);
    out.push({ frame: echo({ src: o.src, dst, id, seq: 0, ttl: 37 + (i % 20) }), t });
    if (o.alive.has(dst)) out.push({ frame: echo({ src: dst, dst: o.src, id, seq: 0, reply: true }), t: t + 0.0004 });
  });
  return out;
}

/** Hosts a.b.c.first .. a.b.c.(first+n-1) within 198.18.0.0/15 or 203.0.113.0/24. */
export function hosts(prefix: string, first: number, n: number): string[] {
  const base = ip4(`${prefix}.0`);
  return Array.from({ length: n }, (_, i) => {
    const v = base + first + i;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  });
}

export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
