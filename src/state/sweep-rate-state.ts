/**
 * The per-(source, technique) figures of the sweep-rate test
 * (rules/sweep-rate.ts explains the test and its sources): arrival times
 * of the last new hosts, the shapes of ICMP requests, and which hosts asked
 * for by ARP the source then sent datagrams to. Fixed size, allocated once
 * per pooled technique state, nothing allocated per packet.
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
  /** ARP only (null otherwise): the first ASKED_MAX hosts asked for, and how many of them the source then sent IP traffic to. */
  private readonly asked: Int32Array | null;
  private readonly used: Uint8Array | null;
  private askedCount = 0;
  usedCount = 0;

  /** `trackUse`: an ARP state, which remembers the hosts it asked for (320 bytes more). */
  constructor(trackUse: boolean) {
    this.asked = trackUse ? new Int32Array(ASKED_MAX) : null;
    this.used = trackUse ? new Uint8Array(ASKED_MAX) : null;
  }

  /** A host this source had not probed before in its window. */
  newHost(host: number, now: number): void {
    const times = this.times;
    times[this.next] = now;
    this.next = this.next + 1 === times.length ? 0 : this.next + 1;
    this.newHosts++;
    // times[next] is now the oldest of the last SWEEP_RATE_HOSTS new hosts.
    if (this.newHosts >= times.length && now - times[this.next]! <= SWEEP_RATE_SPAN) this.burst = true;
    if (this.asked !== null && this.askedCount < ASKED_MAX) this.asked[this.askedCount++] = host | 0;
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
    const asked = this.asked;
    const used = this.used;
    if (asked === null || used === null) return;
    const key = host | 0;
    for (let i = 0; i < this.askedCount; i++) {
      if (asked[i] === key) {
        if (used[i] === 0) {
          used[i] = 1;
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
    if (this.askedCount > 0 && this.used !== null) this.used.fill(0, 0, this.askedCount);
    this.askedCount = 0;
    this.usedCount = 0;
  }
}
