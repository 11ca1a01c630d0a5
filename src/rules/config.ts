import { type LongHorizonConfig, defaultLongHorizonConfig } from '../state/long-horizon.js';
import { type DistributedConfig, defaultDistributedConfig } from './distributed.js';
import { TECHNIQUE_COUNT, Technique } from './techniques.js';

export interface Threshold {
  /** Distinct destination ports that make a vertical scan (0: not applicable). */
  ports: number;
  /** Distinct destination hosts that make a horizontal scan or sweep. */
  hosts: number;
}

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
  /** ...unless it reaches this multiple of its threshold. Likewise for a source TRW finds benign. */
  overwhelmingFactor: number;
  /** Seconds after which a silent probe counts as unanswered and an idle flow is forgotten. */
  flowTimeout: number;
  /** Seconds without a new probe after which a detection is reported as ended. */
  scanEndAfter: number;
  flowCapacity: number;
  /** Sources with one distinct probe so far (a direct-mapped cache; see state/probation.ts). */
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
}

function thresholds(): Threshold[] {
  const t: Threshold[] = new Array(TECHNIQUE_COUNT);
  // Raw-socket SYNs are never sent by ordinary software; Snort's portscan2
  // alerted at 20 ports or 5 hosts (DEFAULT_PORT_LIMIT, DEFAULT_TARGET_LIMIT).
  // We take 10 ports or 10 hosts: an nmap SYN scan sends hundreds per second.
  t[Technique.TCP_SYN] = { ports: 10, hosts: 10 };
  // Kernel connect() SYNs are what every client sends: Zeek's scan policy
  // thresholds (port_scan_threshold 15 ports, addr_scan_threshold 25 hosts,
  // policy/misc/scan.zeek), plus the TRW outcome test that exonerates
  // sources whose connections succeed.
  t[Technique.TCP_CONNECT] = { ports: 15, hosts: 25 };
  // FIN without ACK has no use in a working connection (RFC 9293 section
  // 3.10.7: a segment without ACK is dropped in every synchronised state),
  // so five targets suffice. No TCP stack ever emits a segment with no flags
  // or with FIN+PSH+URG: like Snort's single-packet rules ("SCAN NULL",
  // sid 623; "SCAN nmap XMAS", sid 1228), one such segment is reported.
  t[Technique.TCP_FIN] = { ports: 5, hosts: 5 };
  t[Technique.TCP_NULL] = { ports: 1, hosts: 1 };
  t[Technique.TCP_XMAS] = { ports: 1, hosts: 1 };
  // ACK and FIN/ACK probes are counted only once the target's answer (RST,
  // ICMP unreachable, or silence) shows no connection existed.
  t[Technique.TCP_ACK] = { ports: 10, hosts: 10 };
  t[Technique.TCP_MAIMON] = { ports: 10, hosts: 10 };
  // UDP: the same as raw SYN; DNS clients talk to one or two servers on one
  // port, and TRW exonerates a resolver whose queries are answered.
  t[Technique.UDP] = { ports: 10, hosts: 25 };
  // Sweeps: ten hosts pinged, or twenty addresses asked for by broadcast ARP
  // (an ordinary host resolves its gateway and a few peers).
  t[Technique.ICMP_SWEEP] = { ports: 0, hosts: 10 };
  t[Technique.ARP_SWEEP] = { ports: 0, hosts: 20 };
  return t;
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
