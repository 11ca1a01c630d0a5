import os from 'node:os';
import { CaptureParser } from './capture-parser.js';
import { loadPcapBinding, type PcapCaptureHandle, type PcapStats, type PcapUsage } from './live-binding.js';
import { LinkType, type PacketSink } from './types.js';

/**
 * Live capture: libpcap through scanwatch's own Node-API binding
 * (native/pcap_capture.cc), promiscuous and passive (nothing here sends a
 * packet).
 *
 * The binding copies packets out of libpcap's TPACKET_V3 ring in batches,
 * each packet as a classic nanosecond pcap record (kernel timestamp,
 * captured length, wire length, bytes), into one reused buffer: the buffer
 * of a CaptureParser, the same record loop that reads capture files. This
 * module writes the 24-byte pcap file header into that parser once, then
 * every batch is parsed in place, one JavaScript call per batch. Offline and
 * live are one code path from the first byte of a record.
 */

/**
 * Default kernel ring (pcap_set_buffer_size). With TPACKET_V3 a packet takes
 * its captured length plus about 80 bytes of ring headers, so 128 MiB holds
 * about 900,000 minimum-size frames (0.6 s of a 1 Gb/s link saturated with
 * them, 1.49 M packets/s) or 84,000 full-size ones (1 s of a saturated
 * 1 Gb/s link at 1,514 bytes), while the sensor catches up. README "Ring and
 * --buffer-size" has the measurements.
 */
export const DEFAULT_BUFFER_BYTES = 128 * 1024 * 1024;

/**
 * Default snapshot length: the bytes kept of each packet. The whole frame,
 * as tcpdump keeps it by default (libpcap's MAXIMUM_SNAPLEN).
 *
 * The rules read headers only, but how far the headers reach is the
 * sender's choice: Linux accepts an IPv6 extension header chain as long as
 * the packet (destination options of up to 2 KiB each, any number of
 * them), before or after the fragment header, and a tunnel adds its own
 * stack in front (Ethernet, two VLAN tags, outer IPv6, VXLAN, inner
 * Ethernet: about 120 bytes). A 512-byte snapshot, enough for every header
 * of an ordinary probe (about 330 bytes at the deepest), let an attacker
 * push the fragment header or the TCP header past the cut with padding the
 * target ignores. Only a snapshot as long as the frame keeps the headers of
 * any fragment train whatever its payload; fragments themselves are never
 * merged by GRO, so the frame that carries one is at most the link's MTU.
 * The cost is ring space for large frames (README, "Ring and
 * --buffer-size"): scans are small packets and cost the same either way.
 */
export const DEFAULT_SNAPLEN = 262144;
export const MIN_SNAPLEN = 96;
export const MAX_SNAPLEN = 262144; // libpcap's MAXIMUM_SNAPLEN

/**
 * How long the kernel may hold a partly filled ring block before handing it
 * over (pcap_set_timeout; TPACKET_V3's block retire timeout). At high rates
 * blocks fill long before; at low rates this bounds the delay between a
 * packet and its detection. Packet timestamps are the kernel's, so the delay
 * never shows in reported times.
 */
export const BLOCK_TIMEOUT_MS = 100;

/** Size of the batch buffer the binding copies records into. */
const BATCH_BYTES = 1024 * 1024;

// DLT_ values libpcap returns that differ from the LINKTYPE_ numbers used in
// files (pcap-linktype(7)): DLT_RAW is 12 on Linux, 14 on OpenBSD.
const DLT_TO_LINKTYPE: Record<number, number> = { 12: LinkType.RAW, 14: LinkType.RAW };
const SUPPORTED_LINKTYPES = new Set<number>([
  LinkType.ETHERNET,
  LinkType.NULL,
  LinkType.LOOP,
  LinkType.RAW,
  LinkType.IPV4,
  LinkType.IPV6,
  LinkType.LINUX_SLL,
  LinkType.LINUX_SLL2,
]);

/** A capture that cannot start, with a message that says what to do. */
export class LiveCaptureError extends Error {}

export interface LiveCaptureOptions {
  interface: string;
  filter?: string;
  bufferBytes?: number;
  snaplen?: number;
  /**
   * A DLT_ link type to ask libpcap for (pcap_set_datalink). Default: Linux
   * cooked v2 (276) on "any", else the device's own.
   */
  datalink?: number;
  /**
   * Called once if the capture stops by itself (the interface went down or
   * was removed): libpcap's message. No packet is delivered after it.
   */
  onError: (message: string) => void;
  /**
   * Called when the rules throw on a frame (the frame is skipped and
   * counted in `failedFrames`); without it, the error propagates.
   */
  onPacketError?: (err: unknown) => void;
}

/** pcap_stats, as counters that never wrap (libpcap's are 32-bit on Linux). */
export interface CaptureCounters {
  /** Packets the kernel passed to the capture (ps_recv: delivered plus dropped). */
  received: number;
  /** Packets the kernel dropped because the ring was full: the sensor was behind (ps_drop). */
  kernelDrops: number;
  /** Packets the interface or its driver dropped (ps_ifdrop: /proc/net/dev "drop" since the capture began). */
  interfaceDrops: number;
}

/** What the capture has cost: wake-ups, batches, main-thread CPU seconds. */
export interface CaptureUsage {
  wakeups: number;
  batches: number;
  /** In libpcap, the copy into the batch buffer and N-API: the capture path's own cost. */
  captureCpuSeconds: number;
  /** In the batch handler: the record loop and the rules (what `analyze` spends on the same packets). */
  handlerCpuSeconds: number;
}

export interface LiveCapture {
  /** LINKTYPE_ of the frames (pcap-linktype(7)). */
  readonly linkType: number;
  readonly interfaceName: string;
  /** The snapshot length libpcap applies. */
  readonly snaplen: number;
  /** Whether timestamps carry nanoseconds (else microseconds). */
  readonly nanosecond: boolean;
  /** libpcap's warning at activation (e.g. promiscuous mode refused), or null. */
  readonly warning: string | null;
  /** Frames delivered to the sink so far. */
  readonly delivered: number;
  /** Frames cut short by the snapshot length. */
  readonly truncated: number;
  /** Frames the rules threw on (skipped; see LiveCaptureOptions.onPacketError). */
  readonly failedFrames: number;
  /** Calls from the binding (batches of packets). */
  readonly batches: number;
  /**
   * The most the rules have run behind the wire since the last call:
   * seconds from a batch's last frame's kernel timestamp to the end of its
   * processing. A sensor that keeps up stays near the ring's block timeout.
   */
  takeMaxLag(): number;
  /** Reads pcap_stats now; the last good reading if libpcap cannot tell (device gone). */
  counters(): CaptureCounters;
  /** Counted up to stop() (the last reading after it). */
  usage(): CaptureUsage;
  stop(): void;
}

/**
 * Test-only: busy-wait this many microseconds per packet (once per batch),
 * to make the consumer deliberately slow so that the kernel ring overflows
 * (test/e2e/live-capture.test.ts proves the drops are then counted). Not
 * an option: read once, never documented for users.
 */
const TEST_DELAY_US_PER_PACKET = Number(process.env.SCANWATCH_TEST_DELAY_US_PER_PACKET ?? 0) || 0;
delete process.env.SCANWATCH_TEST_DELAY_US_PER_PACKET;

/** Turns libpcap's error text into one line a user can act on. */
export function explainOpenError(iface: string, message: string): string {
  const m = message.split('\n')[0]!;
  if (/permission|not permitted/i.test(m)) {
    return (
      `no permission to capture on ${iface}: run as root, or with CAP_NET_RAW given to this process alone ` +
      `(the systemd unit's AmbientCapabilities=CAP_NET_RAW, or sudo systemd-run --pty --uid=$USER -p AmbientCapabilities=CAP_NET_RAW scanwatch live ...); ` +
      `never setcap the node binary, which would give every Node program on the host raw sockets`
    );
  }
  if (/no such device|doesn't exist|does not exist/i.test(m)) return `no such interface: ${iface}`;
  if (/not up/i.test(m)) return `interface ${iface} is down: ${m}`;
  if (/^filter/i.test(m) || /syntax error|can't parse filter|illegal|unknown host/i.test(m)) return `bad --filter for ${iface}: ${m.replace(/^filter: /, '')}`;
  return `cannot capture on ${iface}: ${m}`;
}

/**
 * Counts frames cut by the snapshot length and keeps the last frame's
 * time, then hands them on. A frame the rules throw on (a bug: nothing in
 * them is meant to throw) costs that frame, counted and told to
 * `onFailure`, not the sensor: an attacker who found such a frame would
 * otherwise stop the sensor, and every scan it was following, at will.
 */
export class TruncationCounter implements PacketSink {
  truncated = 0;
  failed = 0;
  lastSec = 0;
  lastNsec = 0;
  constructor(
    private readonly sink: PacketSink,
    private readonly onFailure: (err: unknown) => void,
  ) {}
  onPacket(linkType: number, data: Buffer, offset: number, capLen: number, wireLen: number, tsSec: number, tsNsec: number): void {
    if (capLen < wireLen) this.truncated++;
    this.lastSec = tsSec;
    this.lastNsec = tsNsec;
    try {
      this.sink.onPacket(linkType, data, offset, capLen, wireLen, tsSec, tsNsec);
    } catch (err) {
      this.failed++;
      this.onFailure(err);
    }
  }
}

/** The pcap file header (pcap-savefile(5)) for nanosecond records in host byte order. */
function pcapFileHeader(snaplen: number, linkType: number): Buffer {
  const h = Buffer.alloc(24);
  const le = os.endianness() === 'LE';
  const u32 = (v: number, at: number): number => (le ? h.writeUInt32LE(v, at) : h.writeUInt32BE(v, at));
  const u16 = (v: number, at: number): number => (le ? h.writeUInt16LE(v, at) : h.writeUInt16BE(v, at));
  u32(0xa1b23c4d, 0); // nanosecond magic
  u16(2, 4);
  u16(4, 6);
  u32(snaplen, 16);
  u32(linkType, 20);
  return h;
}

/** Widens a 32-bit counter that libpcap lets wrap into one that only grows. */
class Widened {
  private last = 0;
  total = 0;
  update(raw: number): void {
    this.total += (raw - this.last + 0x100000000) % 0x100000000;
    this.last = raw;
  }
}

export function startLiveCapture(opts: LiveCaptureOptions, sink: PacketSink): LiveCapture {
  let binding: ReturnType<typeof loadPcapBinding>;
  try {
    binding = loadPcapBinding();
  } catch (err) {
    throw new LiveCaptureError((err as Error).message);
  }
  const snaplen = opts.snaplen ?? DEFAULT_SNAPLEN;
  const handle: PcapCaptureHandle = new binding.PcapCapture();
  let opened: ReturnType<PcapCaptureHandle['open']>;
  try {
    opened = handle.open(opts.interface, {
      snaplen,
      bufferSize: opts.bufferBytes ?? DEFAULT_BUFFER_BYTES,
      promisc: true,
      timeoutMs: BLOCK_TIMEOUT_MS,
      filter: opts.filter ?? '',
      // "any" offers Linux cooked v2 (which names the interface) on
      // libpcap >= 1.10; v1 otherwise.
      datalink: opts.datalink ?? (opts.interface === 'any' ? LinkType.LINUX_SLL2 : undefined),
    });
  } catch (err) {
    throw new LiveCaptureError(explainOpenError(opts.interface, (err as Error).message));
  }
  const linkType = DLT_TO_LINKTYPE[opened.linkType] ?? opened.linkType;
  if (!SUPPORTED_LINKTYPES.has(linkType)) {
    handle.close();
    throw new LiveCaptureError(`cannot analyse ${opts.interface}: unsupported link type ${opened.linkType}`);
  }

  const counting = new TruncationCounter(sink, opts.onPacketError ?? ((err) => { throw err; }));
  const parser = new CaptureParser(counting, { bufferSize: Math.max(BATCH_BYTES, 4 * (opened.snaplen + 16)) });
  parser.push(pcapFileHeader(opened.snaplen, linkType));
  const buffer = parser.buffer;
  const state = { delivered: 0, batches: 0, stopped: false, failed: false, maxLag: 0 };
  const recv = new Widened();
  const drop = new Widened();
  const ifdrop = new Widened();
  let lastUsage: PcapUsage = { wakeups: 0, batches: 0, captureNs: 0, handlerNs: 0 };
  const readUsage = (): PcapUsage => (state.stopped ? lastUsage : (lastUsage = handle.usage()));
  const readStats = (): void => {
    const s: PcapStats | null = state.stopped ? null : handle.stats();
    if (s === null) return;
    recv.update(s.recv);
    drop.update(s.drop);
    ifdrop.update(s.ifdrop);
  };

  handle.start(
    buffer,
    (bytes: number, packets: number) => {
      // Every batch ends on a record boundary and the parser consumed the
      // previous one whole, so this only resets its offsets to 0, where the
      // binding wrote.
      parser.prepareWrite();
      if (parser.writeOffset !== 0 || parser.buffer !== buffer) throw new Error('live capture: batch buffer out of step with the parser');
      state.batches++;
      state.delivered += packets;
      parser.commit(bytes);
      if (packets > 0) {
        const lag = Date.now() / 1000 - (counting.lastSec + counting.lastNsec * 1e-9);
        if (lag > state.maxLag) state.maxLag = lag;
      }
      if (TEST_DELAY_US_PER_PACKET > 0) {
        const until = performance.now() + (TEST_DELAY_US_PER_PACKET * packets) / 1000;
        while (performance.now() < until);
      }
    },
    (message: string) => {
      if (state.stopped || state.failed) return;
      state.failed = true;
      opts.onError(message);
    },
  );

  return {
    linkType,
    interfaceName: opts.interface,
    snaplen: opened.snaplen,
    nanosecond: opened.nanosecond,
    warning: opened.warning,
    get delivered() {
      return state.delivered;
    },
    get truncated() {
      return counting.truncated;
    },
    get failedFrames() {
      return counting.failed;
    },
    get batches() {
      return state.batches;
    },
    takeMaxLag() {
      const lag = state.maxLag;
      state.maxLag = 0;
      return lag;
    },
    counters() {
      readStats();
      return { received: recv.total, kernelDrops: drop.total, interfaceDrops: ifdrop.total };
    },
    usage() {
      const u = readUsage();
      return { wakeups: u.wakeups, batches: u.batches, captureCpuSeconds: u.captureNs / 1e9, handlerCpuSeconds: u.handlerNs / 1e9 };
    },
    stop() {
      if (state.stopped) return;
      readStats(); // the final figures, before the handle goes
      readUsage();
      state.stopped = true;
      handle.close();
    },
  };
}

/** Parses a size such as 268435456, 256MiB, 256M, 1GiB (binary units). */
export function parseSize(text: string | number): number {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) throw new Error(`not a size: ${JSON.stringify(text)} (use bytes, or a number with KiB, MiB, GiB)`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.round(Number(m[1]) * unit);
}
