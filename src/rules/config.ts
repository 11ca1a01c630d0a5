import { type LongHorizonConfig, defaultLongHorizonConfig } from '../state/long-horizon.js';
import { type DistributedConfig, defaultDistributedConfig } from './distributed.js';
import { TECHNIQUES, type Threshold } from './techniques.js';

export type { Threshold };

export interface EngineConfig {
  /**
   * Seconds of inactivity after which a source's counts for a technique
   * start again. Counts are kept across gaps shorter than this, so a scan
   * of one probe a minute (or nmap -T0's one every five minutes) adds up.
   */
  window: number;
  thresholds: Threshold[];
  /** Threshold Random Walk parameters (Jung, Paxson, Berger, Balakrishnan, IEEE S&P 2004). */
  trw: { theta0: number; theta1: number; detectionProbability: number; falsePositiveProbability: number; minContacts: number };
  /** A sweep needs at least this fraction of its targets unanswered... */
  sweepUnansweredFraction: number;
  /** Distinct hosts or ports at which a source already detected for one technique is reported for another. */
  confirmedScannerThreshold: number;
  /** ...unless it reaches this multiple of its threshold. */
  overwhelmingFactor: number;
  /**
   * A source whose successful contacts mostly carry its own payload is a
   * client (a NAT gateway, a resolver, a peer-to-peer node), not a
   * scanner; it is reported only if at least this fraction of its first
   * contacts fail (a worm spraying exploits), and never by the TRW run alone.
   */
  clientFailureFraction: number;
  /** Seconds after which a silent probe counts as unanswered and an idle flow is forgotten. */
  flowTimeout: number;
  /** Seconds without a new probe after which a detection is reported as ended. */
  scanEndAfter: number;
  flowCapacity: number;
  /** Sources with one distinct probe so far (a 2-way set-associative cache; see state/probation.ts). */
  probationCapacity: number;
  /** Sources with full records (two or more distinct probes, or a refusal). */
  sourceCapacity: number;
  /** Bytes for the large per-source structures (port bitmaps, host sketches, pair filters). */
  sketchBudgetBytes: number;
  /** Detections kept for the report; beyond this they are counted and dropped. */
  maxDetections: number;
  /** The long-horizon tier of slow scans (state/long-horizon.ts). */
  longHorizon: LongHorizonConfig;
  /** Many-source scans (rules/distributed.ts); `targetCapacity`: targets correlated at once. */
  distributed: DistributedConfig & { targetCapacity: number };
  /**
   * The 32-bit key of the flow, probation and source hash tables. Unset (the
   * default), each Engine draws one with crypto.randomInt, so that nobody can
   * craft packets that collide with a scanner's entries; tests set it to
   * reproduce a layout.
   */
  hashSeed?: number;
  /**
   * Keep each detection's packet index (state/packet-index.ts) for a reader
   * of it: --extract, the HTML plots, live --extract. Off, the engine does
   * not number packets per scan at all (no index memory, no per-probe cost).
   */
  indexPackets?: boolean;
  /** UDP destination ports of the tunnels by name (decode/layer-table.ts UDP_TUNNELS); default their IANA ports. */
  udpTunnelPorts?: Record<string, number[]>;
}

/** Default thresholds, from the technique registry (each entry cites its source). */
function thresholds(): Threshold[] {
  return TECHNIQUES.map((t) => ({ ...t.threshold }));
}

export function defaultConfig(): EngineConfig {
  return {
    window: 900,
    thresholds: thresholds(),
    // The paper's values: a benign host's first contacts succeed with
    // probability 0.8, a scanner's with 0.2; detection probability 0.99 and
    // false-positive probability 0.01. Four failed first contacts in a row
    // cross the upper bound; we also require six distinct contacts.
    trw: { theta0: 0.8, theta1: 0.2, detectionProbability: 0.99, falsePositiveProbability: 0.01, minContacts: 6 },
    sweepUnansweredFraction: 0.5,
    confirmedScannerThreshold: 3,
    overwhelmingFactor: 4,
    clientFailureFraction: 0.8,
    // nmap's default maximum RTT timeout is 10 s (--max-rtt-timeout); a
    // probe still unanswered after that is taken as filtered.
    flowTimeout: 10,
    scanEndAfter: 60,
    flowCapacity: 1 << 18,
    probationCapacity: 65536,
    sourceCapacity: 16384,
    sketchBudgetBytes: 128 * 1024 * 1024,
    maxDetections: 100000,
    longHorizon: defaultLongHorizonConfig(),
    distributed: { ...defaultDistributedConfig(), targetCapacity: 2048 },
  };
}
