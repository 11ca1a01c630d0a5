/**
 * Decides which detections reach the response hooks (--on-detection,
 * --webhook). Anyone on the link can forge a packet from any address, so
 * an automated response acts only on a source that
 *
 * 1. proved it is not spoofed: the event's `source_verified` is true (the
 *    engine saw the source complete an exchange a blind spoofer cannot: a
 *    handshake whose ACK acknowledged the target's SYN-ACK, or a reset of
 *    a SYN-ACK sent to it), unless the operator asked for unverified ones
 *    too (--hook-unverified);
 * 2. is not an address no remote scanner can own, nor this host's, nor
 *    (unless --hook-home-net) the home net's (address-class.ts).
 *
 * A scan's source is often verified only after the scan was detected (the
 * target's SYN-ACK to an open port, and the scanner's reset of it, come
 * after the probes that tripped the detection). Such scans are watched: a
 * bounded list re-read once a second a few at a time, and the scan's end
 * line judged again; the scan is handed over as soon as its source is
 * verified. A flood of forged scans can push a scan off the watch list
 * (counted); it is then judged at its end instead, so it is delayed, not
 * lost.
 *
 * Withheld events are counted by reason and logged at most once per source
 * (withheld-log.ts). Nothing here runs per packet: once per detection, and
 * at most `recheckPerTick` looks per tick.
 */
import { type AddressGuard, type AddressRefusal, sourceShareKey } from './address-class.js';
import { WithheldLog } from './withheld-log.js';

export type WithheldReason = 'unverified' | AddressRefusal;

export const WITHHELD_REASONS: readonly WithheldReason[] = [
  'unverified',
  'not_an_address',
  'loopback',
  'link_local',
  'multicast',
  'broadcast',
  'unspecified',
  'ipv4_mapped',
  'own_address',
  'home_net',
];

/** Anything that takes an event (CommandHook, Webhook). */
export interface HookSink {
  submit(event: Record<string, unknown>): boolean;
}

export interface GateCounters {
  /** Detections not handed to the hooks at their start, by reason. */
  withheld: Record<WithheldReason, number>;
  /** Of those withheld as unverified, handed over later, once their source was verified. */
  verifiedLater: number;
  /** Unverified scans pushed off the full watch list (judged again at their end). */
  watchEvicted: number;
}

export interface ResponseGateOptions<S> {
  hooks: HookSink[];
  addresses: AddressGuard;
  /** Hand over events whose source is not verified (--hook-unverified). */
  actOnUnverified: boolean;
  /** Names the sensor in each event. */
  sensor: string;
  interface: string;
  /** A watched scan's fields now (those of its log line), or null when it is gone. */
  current: (scan: S) => Record<string, unknown> | null;
  /** Writes one log line about a withheld detection. */
  logWithheld?: (fields: Record<string, unknown>, message: string) => void;
  /** Unverified scans watched at most (default 1024). */
  watchLimit?: number;
  /** Watched scans re-read per tick at most (default 64). */
  recheckPerTick?: number;
}

/**
 * The event a hook gets: `event`, `src`, `source_verified` and `direction`
 * first, in this order (examples/nft-block.sh reads them from the start of
 * the line, where no field of the detection can come first), then the
 * sensor's name and interface, then the rest of the detection's fields.
 */
export function hookEvent(line: Record<string, unknown>, sensor: string, iface: string): Record<string, unknown> {
  const event: Record<string, unknown> = {
    event: 'scan_started',
    src: line.src,
    source_verified: line.source_verified === true,
    direction: line.direction,
    sensor,
    interface: iface,
  };
  for (const k in line) if (!(k in event)) event[k] = line[k];
  return event;
}

const REASON_TEXT: Record<WithheldReason, string> = {
  unverified: 'its source has not completed an exchange that proves it is not spoofed (--hook-unverified would hand it over)',
  not_an_address: 'it has no source address',
  loopback: 'its source is a loopback address',
  link_local: 'its source is a link-local address',
  multicast: 'its source is a multicast address',
  broadcast: 'its source is a broadcast address',
  unspecified: 'its source is an unspecified address',
  ipv4_mapped: 'its source is an IPv4-mapped IPv6 address, which no real IPv6 packet carries',
  own_address: "its source is one of this host's own addresses",
  home_net: 'its source is inside --home-net (--hook-home-net would hand it over)',
};

export class ResponseGate<S extends object> {
  readonly counters: GateCounters = {
    withheld: Object.fromEntries(WITHHELD_REASONS.map((r) => [r, 0])) as Record<WithheldReason, number>,
    verifiedLater: 0,
    watchEvicted: 0,
  };
  /** Scans already handed over (weak: forgotten with the engine's detection). */
  private readonly handed = new WeakSet<S>();
  /** Unverified scans to look at again, oldest first (Map order; a looked-at scan moves to the back). */
  private readonly watched = new Map<S, true>();
  private readonly withheldLog = new WithheldLog();
  private readonly watchLimit: number;
  private readonly recheckPerTick: number;
  private closed = false;

  constructor(private readonly opts: ResponseGateOptions<S>) {
    this.watchLimit = opts.watchLimit ?? 1024;
    this.recheckPerTick = opts.recheckPerTick ?? 64;
  }

  /** Scans watched now (for tests and the metric). */
  get watching(): number {
    return this.watched.size;
  }

  /** Withheld lines not written because the per-second budget was spent. */
  get logSuppressed(): number {
    return this.withheldLog.suppressed;
  }

  /** The sensor is stopping: nothing more is handed over (the final lines of open scans follow). */
  close(): void {
    this.closed = true;
    this.watched.clear();
  }

  /** A new scan: hand it over, or withhold it (counted, logged once per source) and watch it if only unverified. */
  started(scan: S, line: Record<string, unknown>): void {
    if (this.closed) return;
    const refusal = this.opts.addresses.refusal(line.src);
    if (refusal !== null) {
      this.withhold(refusal, line);
      return;
    }
    if (this.opts.actOnUnverified || line.source_verified === true) {
      this.handOver(scan, line);
      return;
    }
    this.withhold('unverified', line);
    if (this.watched.size >= this.watchLimit) {
      this.watched.delete(this.watched.keys().next().value!);
      this.counters.watchEvicted++;
    }
    this.watched.set(scan, true);
  }

  /** A scan's last line: a scan withheld only for want of verification is handed over if it is verified now. */
  ended(scan: S, line: Record<string, unknown>): void {
    this.watched.delete(scan);
    if (this.closed) return;
    if (this.handed.has(scan) || line.merged_into !== undefined) return;
    if (line.source_verified === true && this.opts.addresses.refusal(line.src) === null) {
      this.counters.verifiedLater++;
      this.handOver(scan, line);
    }
  }

  /** Once a tick: looks again at up to `recheckPerTick` watched scans, the longest unseen first. */
  recheck(): void {
    for (let n = Math.min(this.recheckPerTick, this.watched.size); n > 0; n--) {
      const scan = this.watched.keys().next().value!;
      this.watched.delete(scan);
      let line: Record<string, unknown> | null;
      try {
        line = this.opts.current(scan);
      } catch {
        line = null;
      }
      if (line === null) continue;
      if (line.source_verified === true && this.opts.addresses.refusal(line.src) === null) {
        this.counters.verifiedLater++;
        this.handOver(scan, line);
      } else {
        this.watched.set(scan, true);
      }
    }
  }

  private handOver(scan: S, line: Record<string, unknown>): void {
    this.handed.add(scan);
    const event = hookEvent(line, this.opts.sensor, this.opts.interface);
    for (const h of this.opts.hooks) h.submit(event);
  }

  private withhold(reason: WithheldReason, line: Record<string, unknown>): void {
    this.counters.withheld[reason]++;
    const log = this.opts.logWithheld;
    if (log === undefined) return;
    const src = typeof line.src === 'string' ? line.src : '';
    this.withheldLog.note(sourceShareKey(src), () =>
      log(
        { event: 'hook_withheld', src, reason, scan_id: line.scan_id, type: line.type },
        `not handing the scan from ${src || '(none)'} to the response hooks: ${REASON_TEXT[reason]}`,
      ),
    );
  }
}
