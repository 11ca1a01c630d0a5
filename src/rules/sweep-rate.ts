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

/** A burst is this many new hosts... */
export const SWEEP_RATE_HOSTS = 16;
/** ...within this many seconds. */
export const SWEEP_RATE_SPAN = 1;
/** Hosts asked for by ARP whose later use is tracked exactly. */
const ASKED_MAX = 64;

/** Per source and technique: new-host arrival times and the shape of the probes. Allocated once per pooled state. */
export class SweepRateState {
  /** Times of the last SWEEP_RATE_HOSTS new hosts, as a ring. */
  private readonly times = new Float64Array(SWEEP_RATE_HOSTS);
  private next = 0;
  private newHosts = 0;
  /** Set once SWEEP_RATE_HOSTS new hosts arrived within SWEEP_RATE_SPAN seconds; stays set for the window. */
  burst = false;
  /** Echo requests without payload (nmap) and with (ping, fping, monitors). */
  echoEmpty = 0;
  echoData = 0;
  /** Timestamp, information and address-mask requests: no monitor sends them. */
  otherRequests = 0;
  /** ARP: the first ASKED_MAX hosts asked for, and how many of them the source then sent IP traffic to. */
  private readonly asked = new Int32Array(ASKED_MAX);
  private readonly used = new Uint8Array(ASKED_MAX);
  private askedCount = 0;
  usedCount = 0;

  /** A host this source had not probed before in its window. */
  newHost(host: number, now: number): void {
    const times = this.times;
    times[this.next] = now;
    this.next = this.next + 1 === times.length ? 0 : this.next + 1;
    this.newHosts++;
    // times[next] is now the oldest of the last SWEEP_RATE_HOSTS new hosts.
    if (this.newHosts >= times.length && now - times[this.next]! <= SWEEP_RATE_SPAN) this.burst = true;
    if (this.askedCount < ASKED_MAX) this.asked[this.askedCount++] = host | 0;
  }

  /** ICMP request kinds: 8 = echo (with `payloadLen`), 13/15/17 = timestamp, information, mask. */
  icmpRequest(type: number, payloadLen: number): void {
    if (type === 8 || type === 128) {
      if (payloadLen === 0) this.echoEmpty++;
      else this.echoData++;
    } else {
      this.otherRequests++;
    }
  }

  /** The source sent an IP probe to `host`: if it had asked for it by ARP, the resolution was for use. */
  markUsed(host: number): void {
    const key = host | 0;
    for (let i = 0; i < this.askedCount; i++) {
      if (this.asked[i] === key) {
        if (this.used[i] === 0) {
          this.used[i] = 1;
          this.usedCount++;
        }
        return;
      }
    }
  }

  /** Hosts asked for and tracked for use (at most ASKED_MAX). */
  get trackedAsked(): number {
    return this.askedCount;
  }

  reset(): void {
    this.next = 0;
    this.newHosts = 0;
    this.burst = false;
    this.echoEmpty = 0;
    this.echoData = 0;
    this.otherRequests = 0;
    if (this.askedCount > 0) this.used.fill(0, 0, this.askedCount);
    this.askedCount = 0;
    this.usedCount = 0;
  }
}

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
