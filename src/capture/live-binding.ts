import { createRequire } from 'node:module';

/**
 * Loads scanwatch's libpcap binding (native/pcap_capture.cc, built into
 * build/Release by node-gyp when `npm ci` runs the package's install
 * script) and describes its interface.
 */

export interface PcapOpenOptions {
  snaplen: number;
  bufferSize: number;
  promisc: boolean;
  timeoutMs: number;
  filter: string;
  /** A DLT_ value to ask for (pcap_set_datalink), best effort. */
  datalink?: number;
}

export interface PcapOpened {
  /** DLT_ value (pcap_datalink). */
  linkType: number;
  /** pcap_snapshot: the snapshot length in force. */
  snaplen: number;
  nanosecond: boolean;
  warning: string | null;
}

/** pcap_stats as libpcap reports it: 32-bit counters that may wrap. */
export interface PcapStats {
  recv: number;
  drop: number;
  ifdrop: number;
}

/** What the capture has cost since start() (counted by the binding, per wake-up and per batch). */
export interface PcapUsage {
  /** Times the capture socket woke the event loop. */
  wakeups: number;
  /** Batches handed to the handler. */
  batches: number;
  /** Main-thread CPU nanoseconds in libpcap, the copy into the batch buffer and N-API. */
  captureNs: number;
  /** Main-thread CPU nanoseconds in the batch handler (parser and rules). */
  handlerNs: number;
}

export interface PcapCaptureHandle {
  /** Throws an Error with libpcap's text when the device cannot be opened. */
  open(device: string, options: PcapOpenOptions): PcapOpened;
  /**
   * Starts watching the handle on the event loop. Each batch of packets is
   * written at offset 0 of `buffer` as classic nanosecond pcap records, in
   * host byte order, then `onBatch(bytes, packets)` is called once.
   * `onError` is called once if the capture fails (libpcap's message).
   */
  start(buffer: Buffer, onBatch: (bytes: number, packets: number) => void, onError: (message: string) => void): void;
  /** pcap_stats, or null when libpcap cannot read them (device gone). */
  stats(): PcapStats | null;
  usage(): PcapUsage;
  close(): void;
}

export interface PcapBinding {
  PcapCapture: new () => PcapCaptureHandle;
  /** pcap_lib_version() */
  libVersion: string;
}

/** A binding that cannot be loaded, with what to do about it. */
export class BindingLoadError extends Error {}

let cached: PcapBinding | null = null;

export function loadPcapBinding(): PcapBinding {
  if (cached) return cached;
  // From dist/capture or src/capture alike, the package root is two levels up.
  const path = new URL('../../build/Release/scanwatch_pcap.node', import.meta.url).pathname;
  try {
    cached = createRequire(import.meta.url)(path) as PcapBinding;
  } catch (err) {
    throw new BindingLoadError(
      `cannot load the libpcap binding (${path}): ${(err as Error).message.split('\n')[0]}; run scripts/setup.sh (it installs libpcap-dev and g++ and rebuilds)`,
    );
  }
  return cached;
}
