import { SWEEP_RATE_HOSTS, SWEEP_RATE_SPAN, SweepRateState } from '../state/sweep-rate-state.js';
import { Technique } from './techniques.js';

/**
 * Sweeps of live hosts: the rate of NEW hosts.
 *
 * The classic sweep rule (config.ts) needs half the targets unanswered, so
 * `nmap -sn` of a subnet where every host is up passes unseen. What sets
 * such a sweep apart from a monitoring system that pings the same hosts
 * every minute:
 *  - the rate of hosts the source had never asked about before: nmap asks
 *    about a /27 in a fraction of a second; a monitor asks about its hosts
 *    once, then repeats the same set (repetitions are not new hosts, so a
 *    monitor's later rounds add nothing here);
 *  - for ICMP, what the probes look like: nmap's echo requests carry no
 *    payload (nmap's ping probes are bare 8-byte ICMP headers unless
 *    --data-length is given), whereas iputils ping and fping send 56 bytes
 *    of data by default (ping(8) -s, fping(8) -b) and Windows ping 32;
 *    nmap as root also sends a timestamp request (-PP) and TCP probes
 *    (SYN to 443, ACK to 80) to every host (nmap book, "Host Discovery":
 *    the default probes are ICMP echo, TCP SYN 443, TCP ACK 80 and ICMP
 *    timestamp) — several kinds of discovery probe per host, which no
 *    monitor sends;
 *  - for ARP, what follows: a kernel broadcasts a who-has because it holds
 *    a datagram for that address and sends it as soon as the reply comes
 *    (RFC 1122 2.3.2.2; Linux queues it, `unres_qlen`), whereas nmap's
 *    ARP ping asks and sends nothing else to the host;
 *  - for raw SYNs (nmap -PS), the packet itself: no connect() sends a SYN
 *    without SACK/window-scale/timestamp options (fingerprint.ts).
 */

export { SWEEP_RATE_HOSTS, SWEEP_RATE_SPAN, SweepRateState };

/** Techniques the rate test applies to. connect() and UDP are left out: browsers, NAT gateways and resolvers open many new destinations a second. */
export function sweepRateApplies(technique: number): boolean {
  return technique === Technique.ICMP_SWEEP || technique === Technique.ARP_SWEEP || technique === Technique.TCP_SYN;
}

/**
 * Whether a burst of new hosts is a sweep. `tcpDiscovery`: the same source
 * is also sending TCP probes (nmap's SYN 443 / ACK 80 host-discovery probes).
 */
export function isRateSweep(technique: number, s: SweepRateState, tcpDiscovery: boolean): boolean {
  if (!s.burst) return false;
  if (technique === Technique.TCP_SYN) return true; // raw SYNs to 16 new hosts a second
  if (technique === Technique.ARP_SWEEP) {
    // Asked for, then not used: at most half the resolved hosts got a datagram.
    return s.usedCount * 2 < s.trackedAsked;
  }
  // ICMP: nmap's bare echo requests, or several kinds of discovery probe.
  return s.echoEmpty * 2 > s.echoEmpty + s.echoData || s.otherRequests > 0 || tcpDiscovery;
}
