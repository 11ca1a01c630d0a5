/**
 * What one internal source did to internal hosts, for the internal
 * reconnaissance tier (rules/techniques.ts INTERNAL_RECON): its recent
 * failed probes (refused, or closed without its payload) as a ring of
 * (host, port, time), and the hosts whose administration ports it probed.
 * Fixed size, typed arrays, made on first use only for a source inside
 * --home-net that probed a host inside it, and pooled with its technique
 * state.
 */
const RING = 32;
const ADMIN_HOSTS = 16;

export class InternalReconState {
  private readonly hosts = new Int32Array(RING);
  private readonly ports = new Uint16Array(RING);
  private readonly times = new Float64Array(RING);
  private next = 0;
  private filled = 0;
  private readonly adminHosts = new Int32Array(ADMIN_HOSTS);
  private readonly adminTimes = new Float64Array(ADMIN_HOSTS);
  private adminCount = 0;

  /** Records a failed probe; returns the distinct ports of `host` failed within `windowS`. */
  portsOf(host: number, port: number, now: number, windowS: number): number {
    const i = this.next;
    this.hosts[i] = host;
    this.ports[i] = port;
    this.times[i] = now;
    this.next = (i + 1) % RING;
    if (this.filled < RING) this.filled++;
    // Distinct ports among this host's recent entries: at most RING, no allocation.
    let distinct = 0;
    for (let a = 0; a < this.filled; a++) {
      if (this.hosts[a] !== host || now - this.times[a]! > windowS) continue;
      let seen = false;
      for (let b = 0; b < a; b++) {
        if (this.hosts[b] === host && this.ports[b] === this.ports[a] && now - this.times[b]! <= windowS) {
          seen = true;
          break;
        }
      }
      if (!seen) distinct++;
    }
    return distinct;
  }

  /** Records a failed probe of an administration port; returns the distinct hosts so probed within `windowS`. */
  adminHostsOf(host: number, now: number, windowS: number): number {
    let slot = -1;
    let oldest = 0;
    for (let i = 0; i < this.adminCount; i++) {
      if (this.adminHosts[i] === host) {
        slot = i;
        break;
      }
      if (this.adminTimes[i]! < this.adminTimes[oldest]!) oldest = i;
    }
    if (slot < 0) slot = this.adminCount < ADMIN_HOSTS ? this.adminCount++ : oldest;
    this.adminHosts[slot] = host;
    this.adminTimes[slot] = now;
    let n = 0;
    for (let i = 0; i < this.adminCount; i++) if (now - this.adminTimes[i]! <= windowS) n++;
    return n;
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
    this.adminCount = 0;
  }
}
