import { createRequire } from 'node:module';
import { LinkType, type PacketSink } from './types.js';

/**
 * Live capture through libpcap (the `cap` addon), promiscuous and passive:
 * nothing here ever sends a packet.
 *
 * Facts about `cap` this module is shaped by (measured on this project's
 * machines): it always asks libpcap for a 65535-byte snapshot in immediate
 * mode, so every packet takes a 64 KiB slot of the kernel ring (in 128 KiB
 * blocks: the ring occupies about twice the buffer size in RAM), and a
 * 10 MB buffer lost 17% of a 20,000-packet nmap burst while 256 MB lost
 * none; it hands over no capture timestamp, so the time is taken here in
 * the callback; it exposes no pcap_stats drop counters; and it crashed
 * when driven from a worker_threads worker, so it runs on the main thread.
 */

export const DEFAULT_BUFFER_BYTES = 256 * 1024 * 1024;

interface CapHandle {
  open(device: string, filter: string, bufferSize: number, buffer: Buffer): string;
  on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): void;
  close(): void;
  setMinBytes?(n: number): void;
}
interface CapModule {
  Cap: { new (): CapHandle; deviceList(): { name: string }[] };
}

/** A capture that cannot start, with a message that says what to do. */
export class LiveCaptureError extends Error {}

const LINK_TYPES: Record<string, number> = {
  ETHERNET: LinkType.ETHERNET,
  NULL: LinkType.NULL,
  LINKTYPE_LINUX_SLL: LinkType.LINUX_SLL,
  RAW: LinkType.RAW,
};

export interface LiveCaptureOptions {
  interface: string;
  filter?: string;
  bufferBytes?: number;
}

export interface LiveCapture {
  readonly linkType: number;
  readonly interfaceName: string;
  /** Frames delivered by libpcap so far. */
  readonly delivered: number;
  /** Frames libpcap delivered cut short (longer than the 64 KiB copy buffer). */
  readonly truncated: number;
  stop(): void;
}

function loadCap(): CapModule {
  try {
    return createRequire(import.meta.url)('cap') as CapModule;
  } catch (err) {
    throw new LiveCaptureError(
      `cannot load the libpcap binding (cap): ${(err as Error).message.split('\n')[0]}; run scripts/setup.sh (it installs libpcap-dev and rebuilds)`,
    );
  }
}

/** Turns libpcap's error text into one line a user can act on. */
export function explainOpenError(iface: string, message: string): string {
  const m = message.split('\n')[0]!;
  if (/permission|not permitted/i.test(m)) {
    return (
      `no permission to capture on ${iface}: run as root, or grant the capability: ` +
      `sudo setcap cap_net_raw+eip "$(readlink -f "$(command -v node)")" ` +
      `(the systemd unit in systemd/ does this with AmbientCapabilities=CAP_NET_RAW)`
    );
  }
  if (/no such device|doesn't exist|does not exist/i.test(m)) return `no such interface: ${iface}`;
  if (/syntax error|can't parse filter|illegal|unknown host|filter/i.test(m)) return `bad --filter for ${iface}: ${m}`;
  return `cannot capture on ${iface}: ${m}`;
}

export function startLiveCapture(opts: LiveCaptureOptions, sink: PacketSink): LiveCapture {
  const { Cap } = loadCap();
  const names = Cap.deviceList().map((d) => d.name);
  if (!names.includes(opts.interface)) {
    throw new LiveCaptureError(`no such interface: ${opts.interface} (available: ${names.join(', ') || 'none'})`);
  }
  const cap = new Cap();
  // cap copies each frame into this buffer before the callback; one buffer
  // serves every packet. cap keeps only a raw pointer to it, so it must stay
  // referenced for as long as the capture runs (the packet callback below
  // holds it; a buffer collected by the GC corrupts the heap).
  const buffer = Buffer.alloc(65535);
  let linkName: string;
  try {
    linkName = cap.open(opts.interface, opts.filter ?? '', opts.bufferBytes ?? DEFAULT_BUFFER_BYTES, buffer);
  } catch (err) {
    throw new LiveCaptureError(explainOpenError(opts.interface, (err as Error).message));
  }
  const linkType = LINK_TYPES[linkName];
  if (linkType === undefined) {
    cap.close();
    throw new LiveCaptureError(`cannot analyse ${opts.interface}: unsupported link type ${linkName}`);
  }
  cap.setMinBytes?.(0);
  const state = { delivered: 0, truncated: 0, stopped: false };
  const origin = performance.timeOrigin;
  cap.on('packet', (nbytes: number, truncated: boolean) => {
    // Timestamp at delivery: cap gives none. performance.now() is a cheap
    // monotonic read with sub-microsecond resolution.
    const ms = origin + performance.now();
    const sec = Math.floor(ms / 1000);
    state.delivered++;
    if (truncated) state.truncated++;
    sink.onPacket(linkType, buffer, 0, nbytes, nbytes, sec, Math.round((ms - sec * 1000) * 1e6));
  });
  return {
    linkType,
    interfaceName: opts.interface,
    get delivered() {
      return state.delivered;
    },
    get truncated() {
      return state.truncated;
    },
    stop() {
      if (state.stopped) return;
      state.stopped = true;
      cap.close();
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
