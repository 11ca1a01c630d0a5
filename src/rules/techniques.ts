import { type Packet, TcpFlag } from '../decode/packet.js';
import { icmpTool, tcpTool, udpTool } from './fingerprint.js';

export { TOOL_COUNT, TOOL_NAMES, Tool } from './tools.js';

/**
 * The technique registry: every scan technique scanwatch reports, in one
 * place. The report, the metrics, the README tables, the default
 * thresholds and the engine's evaluation all read it; adding a technique
 * is one entry here plus the classifier that recognises its probes.
 */

export interface Threshold {
  /** Distinct destination ports that make a vertical scan (0: not applicable). */
  ports: number;
  /** Distinct destination hosts that make a horizontal scan or sweep (0: not applicable). */
  hosts: number;
  /** Probe packets needed besides (for probes that repeat one target, as an idle scan's do). */
  probes?: number;
  /**
   * Distinct hosts or ports at which a source already reported for another
   * technique is reported for this one (default: the engine's
   * confirmedScannerThreshold, 3).
   */
  confirmed?: number;
  /** False: the technique's probes are counted but never reported (a configuration turned it off). */
  enabled?: boolean;
}

/** Which protocol classifier recognises the technique's probes (src/engine/classify-*.ts). */
export type Classification = 'tcp' | 'udp' | 'icmp' | 'arp' | 'sctp' | 'ip';

/**
 * How outcomes weigh on the verdict:
 *  - 'trw': Threshold Random Walk over first contacts (Jung et al. 2004);
 *    a source whose contacts mostly succeed is benign.
 *  - 'sweep': a sweep must leave at least a fraction of its targets unanswered.
 *  - 'none': the probe itself is the evidence.
 */
export type OutcomeTest = 'trw' | 'sweep' | 'none';

export interface TechniqueSpec {
  readonly id: number;
  readonly name: string;
  readonly classification: Classification;
  readonly threshold: Readonly<Threshold>;
  /** Why the threshold is what it is (README "Thresholds" quotes these). */
  readonly citation: string;
  /** Names the tool that built a probe from its packet template, or null. */
  readonly fingerprint: ((p: Packet) => number) | null;
  readonly outcome: OutcomeTest;
  /** A sweep has no ports: it looks for live hosts. */
  readonly sweep: boolean;
  /**
   * A TCP probe told by its flags alone, outside any connection (the TCP
   * classifier's table, TCP_PROBE_BY_FLAGS): the segment's FIN SYN RST PSH
   * ACK URG bits under `mask` equal `value`. Where two entries match, the
   * one with more bits in its mask wins (XMAS over FIN).
   */
  readonly tcpFlags?: { readonly value: number; readonly mask: number };
  /**
   * What a probe left unanswered says: 'open|filtered' when an open port
   * drops the probe (nmap's reading for FIN, NULL, XMAS, Maimon), so the
   * report lists the port; 'filtered' otherwise.
   */
  readonly silence: 'open|filtered' | 'filtered';
  /** IANA transport keyword (ECS network.transport), or null for none. */
  readonly transport: 'tcp' | 'udp' | 'sctp' | null;
  /** Only a host on the same link can send it (ARP): its sender is inside (ATT&CK T1018 whatever the direction). */
  readonly linkLocal: boolean;
}

/** TCP flags a probe pattern may look at (ECE and CWR are congestion signals, not probe shape). */
const PROBE_FLAG_BITS = TcpFlag.FIN | TcpFlag.SYN | TcpFlag.RST | TcpFlag.PSH | TcpFlag.ACK | TcpFlag.URG;
/** Flags whose absence makes a FIN, NULL or XMAS segment invalid in any connection (RFC 9293 section 3.10.7.4). */
const NO_SYN_RST_ACK = TcpFlag.SYN | TcpFlag.RST | TcpFlag.ACK;

/** Numeric ids, for the hot path (array indices into per-technique tables). */
export const Technique = {
  TCP_SYN: 0,
  TCP_CONNECT: 1,
  TCP_FIN: 2,
  TCP_NULL: 3,
  TCP_XMAS: 4,
  TCP_ACK: 5,
  TCP_MAIMON: 6,
  UDP: 7,
  ICMP_SWEEP: 8,
  ARP_SWEEP: 9,
  SCTP_INIT: 10,
  SCTP_COOKIE_ECHO: 11,
  IP_PROTOCOL: 12,
  IDLE_SCAN: 13,
  TCP_SYN_FIN: 14,
} as const;

export const TECHNIQUES: readonly TechniqueSpec[] = [
  {
    id: Technique.TCP_SYN,
    name: 'tcp-syn',
    classification: 'tcp',
    threshold: { ports: 10, hosts: 10 },
    citation:
      "Raw-socket SYNs are never sent by ordinary software; Snort's portscan2 alerted at 20 ports or 5 hosts (DEFAULT_PORT_LIMIT, DEFAULT_TARGET_LIMIT). 10 ports or 10 hosts: an nmap SYN scan sends hundreds per second.",
    fingerprint: tcpTool,
    outcome: 'trw',
    sweep: false,
    silence: 'filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.TCP_CONNECT,
    name: 'tcp-connect',
    classification: 'tcp',
    threshold: { ports: 15, hosts: 25 },
    citation:
      "Kernel connect() SYNs are what every client sends: Zeek's scan policy thresholds (port_scan_threshold 15, addr_scan_threshold 25, policy/misc/scan.zeek), plus the TRW outcome test that exonerates sources whose connections succeed.",
    fingerprint: tcpTool,
    outcome: 'trw',
    sweep: false,
    silence: 'filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.TCP_FIN,
    name: 'tcp-fin',
    classification: 'tcp',
    threshold: { ports: 5, hosts: 5 },
    citation:
      'FIN without ACK has no use in a working connection (RFC 9293 section 3.10.7: a segment without ACK is dropped in every synchronised state), so five targets suffice.',
    fingerprint: tcpTool,
    outcome: 'none',
    sweep: false,
    tcpFlags: { value: TcpFlag.FIN, mask: TcpFlag.FIN | NO_SYN_RST_ACK },
    silence: 'open|filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.TCP_NULL,
    name: 'tcp-null',
    classification: 'tcp',
    threshold: { ports: 3, hosts: 3, confirmed: 1 },
    citation:
      'No TCP stack emits a segment without flags, but one such segment is a damaged or odd packet, not a scan (Snort\'s one-packet "SCAN NULL", sid 623, fires on anything): three distinct ports or hosts, payload-free, outside any connection (nmap -sN sends hundreds). From a source already reported for a scan, one is enough: nmap -O\'s probe T2 is one NULL segment per target (Nmap Network Scanning, chapter 8, "TCP (T2-T7)").',
    fingerprint: tcpTool,
    outcome: 'none',
    sweep: false,
    // PSH or URG alone counts too: a NULL probe with decoration.
    tcpFlags: { value: 0, mask: TcpFlag.FIN | NO_SYN_RST_ACK },
    silence: 'open|filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.TCP_XMAS,
    name: 'tcp-xmas',
    classification: 'tcp',
    threshold: { ports: 3, hosts: 3, confirmed: 1 },
    citation:
      'No TCP stack emits FIN+PSH+URG without ACK, but one segment is not a scan (Snort\'s one-packet "SCAN nmap XMAS", sid 1228): three distinct ports or hosts, payload-free, outside any connection (nmap -sX sends hundreds). From a source already reported for a scan, one is enough: nmap -O\'s probe T7 is one FIN+PSH+URG segment per target.',
    fingerprint: tcpTool,
    outcome: 'none',
    sweep: false,
    tcpFlags: { value: TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG, mask: TcpFlag.FIN | TcpFlag.PSH | TcpFlag.URG | NO_SYN_RST_ACK },
    silence: 'open|filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.TCP_ACK,
    name: 'tcp-ack',
    classification: 'tcp',
    threshold: { ports: 10, hosts: 10 },
    citation:
      "A lone ACK is counted only once the target's answer (RST, ICMP unreachable, or silence) shows no connection existed; then as a raw SYN. nmap's window scan (-sW) sends the same probe.",
    fingerprint: tcpTool,
    outcome: 'none',
    sweep: false,
    silence: 'filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.TCP_MAIMON,
    name: 'tcp-maimon',
    classification: 'tcp',
    threshold: { ports: 10, hosts: 10 },
    citation: 'FIN/ACK with no connection (Maimon 1996, nmap -sM): counted, like the ACK probe, once the answer shows no connection existed.',
    fingerprint: tcpTool,
    outcome: 'none',
    sweep: false,
    silence: 'open|filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.UDP,
    name: 'udp',
    classification: 'udp',
    threshold: { ports: 10, hosts: 25 },
    citation: 'As raw SYN for ports; DNS clients talk to one or two servers on one port, and TRW exonerates a resolver whose queries are answered.',
    fingerprint: udpTool,
    outcome: 'trw',
    sweep: false,
    silence: 'filtered',
    transport: 'udp',
    linkLocal: false,
  },
  {
    id: Technique.ICMP_SWEEP,
    name: 'icmp-sweep',
    classification: 'icmp',
    threshold: { ports: 0, hosts: 10 },
    citation: 'Ten hosts pinged, most of them unanswered (an ordinary host pings its gateway and a few peers).',
    fingerprint: icmpTool,
    outcome: 'sweep',
    sweep: true,
    silence: 'filtered',
    transport: null,
    linkLocal: false,
  },
  {
    id: Technique.ARP_SWEEP,
    name: 'arp-sweep',
    classification: 'arp',
    threshold: { ports: 0, hosts: 20 },
    citation: 'Twenty addresses asked for by broadcast ARP or IPv6 neighbour solicitation (an ordinary host resolves its gateway and a few peers).',
    fingerprint: null,
    outcome: 'sweep',
    sweep: true,
    silence: 'filtered',
    transport: null,
    linkLocal: true,
  },
  {
    id: Technique.SCTP_INIT,
    name: 'sctp-init',
    classification: 'sctp',
    threshold: { ports: 10, hosts: 10 },
    citation:
      "An INIT opens an SCTP association (RFC 9260 section 5.1); nmap -sY sends it and reads INIT ACK (open) or ABORT (closed), SCTP's half-open scan. As raw SYN, with TRW: Diameter, SIGTRAN and S1AP peers associate with a few fixed peers, and their INITs are answered.",
    fingerprint: null,
    outcome: 'trw',
    sweep: false,
    silence: 'filtered',
    transport: 'sctp',
    linkLocal: false,
  },
  {
    id: Technique.SCTP_COOKIE_ECHO,
    name: 'sctp-cookie-echo',
    classification: 'sctp',
    threshold: { ports: 5, hosts: 5 },
    citation:
      'A COOKIE ECHO is only valid with the cookie of an INIT ACK just received (RFC 9260 section 5.1); one without an INIT exchange is a probe (nmap -sZ: closed ports ABORT, open ones drop it silently), like a FIN without ACK: five targets.',
    fingerprint: null,
    outcome: 'none',
    sweep: false,
    silence: 'filtered',
    transport: 'sctp',
    linkLocal: false,
  },
  {
    id: Technique.IP_PROTOCOL,
    name: 'ip-protocol',
    classification: 'ip',
    threshold: { ports: 10, hosts: 0 },
    citation:
      "nmap -sO sends a bare datagram (no payload, or a bare IGMP header) for each IP protocol number and reads ICMP protocol unreachable; 'ports' are protocol numbers. Ten distinct protocols to one host; no host threshold (an IPsec or GRE gateway speaks one protocol to many peers, with payload).",
    fingerprint: null,
    outcome: 'none',
    sweep: false,
    silence: 'filtered',
    transport: null,
    linkLocal: false,
  },
  {
    id: Technique.IDLE_SCAN,
    name: 'idle-scan',
    classification: 'tcp',
    threshold: { ports: 0, hosts: 1, probes: 6 },
    citation:
      "nmap -sI reads a zombie's IP ID through SYN-ACKs nobody asked for, each answered by the zombie's RST; it starts by testing the zombie with six of them (Nmap Network Scanning, 'TCP Idle Scan'). Six unsolicited SYN-ACKs from an ephemeral port answered by RST from one host; backscatter comes from service ports.",
    fingerprint: tcpTool,
    outcome: 'none',
    sweep: false,
    silence: 'filtered',
    transport: 'tcp',
    linkLocal: false,
  },
  {
    id: Technique.TCP_SYN_FIN,
    name: 'tcp-syn-fin',
    classification: 'tcp',
    threshold: { ports: 3, hosts: 3, confirmed: 1 },
    citation:
      'SYN and FIN together open and close at once: no TCP stack sends them (T/TCP, RFC 1644, is historic: RFC 6247), and Snort\'s "SCAN SYN FIN" (sid 624, flags:SF) fires on one. Linux drops it on a listening port (tcp_rcv_state_process: a SYN with FIN in LISTEN is discarded) and resets it on a closed one, so nmap --scanflags SYNFIN with -sF reads silence as open|filtered. As NULL and XMAS: three ports or hosts, payload-free, outside any connection; one from a source already reported.',
    fingerprint: tcpTool,
    outcome: 'none',
    sweep: false,
    tcpFlags: { value: TcpFlag.SYN | TcpFlag.FIN, mask: TcpFlag.SYN | TcpFlag.FIN | TcpFlag.RST | TcpFlag.ACK },
    silence: 'open|filtered',
    transport: 'tcp',
    linkLocal: false,
  },
];

/**
 * The internal-reconnaissance tier: a source inside --home-net probing
 * hosts inside it, judged on few probes, because an intruder with a foothold
 * hunts a handful of ports on a handful of hosts and must not get the
 * margin an Internet scanner gets. A probe here is a connection refused or
 * closed without the originator's payload (Zeek's conn.log orig_bytes == 0).
 * IPv4 targets (an IPv6 target is known only by its hash when the outcome
 * comes).
 */
export const INTERNAL_RECON = {
  /** Distinct ports of one internal host, refused or empty, within `portsWindowS`. */
  portsPerHost: 3,
  portsWindowS: 300,
  /**
   * Remote-administration and lateral-movement services (MITRE ATT&CK T1021
   * Remote Services and T1210): SMB 445 and 139, RPC 135, RDP 3389, WinRM
   * 5985/5986, SSH 22, telnet 23, VNC 5900, MSSQL 1433, MySQL 3306, LDAP
   * 389, Kerberos 88.
   */
  adminPorts: [445, 139, 135, 3389, 5985, 5986, 22, 23, 5900, 1433, 3306, 389, 88] as readonly number[],
  /** Distinct internal hosts whose admin ports were refused or closed empty, within the engine's window. */
  adminHosts: 3,
  citation:
    'SOC practice flags an internal source that opens zero-byte connections (Zeek conn.log orig_bytes == 0) to three or more ports of one internal host within five minutes; an intruder with initial access probes a few remote-administration ports (ATT&CK T1021, T1210) across a few hosts, up to ten ports at a time. Three hosts of those ports, or three ports of one host, refused or closed empty.',
} as const;

TECHNIQUES.forEach((t, i) => {
  if (t.id !== i) throw new Error(`technique registry: ${t.name} has id ${t.id} at index ${i}`);
});

export const TECHNIQUE_COUNT = TECHNIQUES.length;

export const TECHNIQUE_NAMES: readonly string[] = TECHNIQUES.map((t) => t.name);

export type TechniqueName = string;

export type Pattern = 'vertical' | 'horizontal' | 'block';

const SWEEP = Uint8Array.from(TECHNIQUES, (t) => (t.sweep ? 1 : 0));
const OPEN_FILTERED = Uint8Array.from(TECHNIQUES, (t) => (t.silence === 'open|filtered' ? 1 : 0));

/** Mask bits set in `m`. */
function bitCount(m: number): number {
  let n = 0;
  for (let b = m; b !== 0; b &= b - 1) n++;
  return n;
}

/**
 * The technique of a TCP segment outside any connection, by its six flag
 * bits (index: flags & 0x3f), from the registry's `tcpFlags`; -1 when no
 * entry matches. Built once: the classifier reads one byte per segment.
 */
export const TCP_PROBE_BY_FLAGS: Int8Array = (() => {
  const table = new Int8Array(PROBE_FLAG_BITS + 1).fill(-1);
  for (let flags = 0; flags <= PROBE_FLAG_BITS; flags++) {
    let best = -1;
    let bestBits = -1;
    for (const t of TECHNIQUES) {
      const pattern = t.tcpFlags;
      if (pattern === undefined || (flags & pattern.mask) !== pattern.value) continue;
      const bits = bitCount(pattern.mask);
      if (bits === bestBits) throw new Error(`technique registry: ${t.name} and ${TECHNIQUES[best]!.name} claim TCP flags ${flags} equally`);
      if (bits > bestBits) {
        best = t.id;
        bestBits = bits;
      }
    }
    table[flags] = best;
  }
  return table;
})();

/** Whether the technique's unanswered probes name open|filtered ports (the registry's `silence`). */
export function silenceMeansOpenFiltered(technique: number): boolean {
  return OPEN_FILTERED[technique] === 1;
}
const TRW = Uint8Array.from(TECHNIQUES, (t) => (t.outcome === 'trw' ? 1 : 0));
const PORTED = Uint8Array.from(TECHNIQUES, (t) => (t.classification === 'tcp' || t.classification === 'udp' || t.classification === 'sctp' ? 1 : 0));

/** Whether the technique's "port" is a transport port (not a protocol number, not none). */
export function hasTransportPorts(technique: number): boolean {
  return PORTED[technique] === 1;
}

/** Sweeps have no ports: their pattern is horizontal by nature. */
export function isSweep(technique: number): boolean {
  return SWEEP[technique] === 1;
}

/** SYN and connect(): the techniques whose answered contacts are judged by the initiator's payload. */
export function isTcpTechnique(technique: number): boolean {
  return technique === Technique.TCP_SYN || technique === Technique.TCP_CONNECT;
}

/** Whether the technique's verdict goes through the Threshold Random Walk. */
export function usesTrw(technique: number): boolean {
  return TRW[technique] === 1;
}

/** The technique with this name, or undefined. */
export function techniqueByName(name: string): TechniqueSpec | undefined {
  return TECHNIQUES.find((t) => t.name === name);
}
