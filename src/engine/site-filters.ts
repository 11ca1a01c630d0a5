import { L3, type Packet } from '../decode/packet.js';
import type { CidrSet } from '../rules/cidr.js';
import type { DetectionReason } from '../rules/detection.js';
import { hasTransportPorts, INTERNAL_RECON, Technique } from '../rules/techniques.js';
import { addressKey, isV6Key } from './keys.js';
import type { HostKey, Port, SourceKey } from '../units.js';

/**
 * What the site told the sensor about its own network: the allow-lists
 * (scanners never reported, targets never counted), the decoys (dark-net
 * addresses and honey ports: one probe is a detection) and the defended
 * network (--home-net, for the internal-reconnaissance tier). Every list
 * is null when empty, so an unused one costs a comparison per probe.
 */
export class SiteFilters {
  /** Sources whose probes are not counted (allow-listed scanners); null: none. */
  ignoreSources: CidrSet | null = null;
  /** Targets whose probes are not counted; null: none. */
  ignoreTargets: CidrSet | null = null;
  /** Addresses no host uses (--dark-net); null: none. */
  darkNet: CidrSet | null = null;
  /** 1 for each port nobody legitimate calls (--honey-port); null: none. */
  honeyPorts: Uint8Array | null = null;
  /** The defended network (--home-net); null: none. */
  homeNet: CidrSet | null = null;
  /** Probe packets skipped by the allow-lists. */
  allowListed = 0;

  /** Whether any decoy is set (else lures need not be looked for). */
  get hasLures(): boolean {
    return this.darkNet !== null || this.honeyPorts !== null;
  }

  /** Whether a probe packet is allow-listed by its source or its target (counted). */
  allowListedPacket(p: Packet): boolean {
    if ((this.ignoreSources !== null && this.ignoreSources.hasPacketAddress(p, true)) || (this.ignoreTargets !== null && this.ignoreTargets.hasPacketAddress(p, false))) {
      this.allowListed++;
      return true;
    }
    return false;
  }

  /**
   * The allow-lists for a probe known only from its flow (the prober is the
   * initiator; `reply`, when there is one, was sent to it). IPv6 flows keep
   * only address hashes, so without the reply they cannot be matched.
   * Counted when it matches.
   */
  allowListedFlow(v6: boolean, initiator: number, responder: number, reply: Packet | null): boolean {
    const src = this.ignoreSources;
    const dst = this.ignoreTargets;
    if (src === null && dst === null) return false;
    let listed: boolean;
    if (!v6) listed = (src !== null && src.hasV4(initiator)) || (dst !== null && dst.hasV4(responder));
    else listed = reply !== null && ((src !== null && src.hasPacketAddress(reply, false)) || (dst !== null && dst.hasPacketAddress(reply, true)));
    if (listed) this.allowListed++;
    return listed;
  }

  /** Whether a probe packet went to a decoy: a dark-net address or a honey port. */
  lureOf(p: Packet, tech: number, port: Port): DetectionReason | null {
    const dark = this.darkNet;
    if (dark !== null) {
      // An IPv6 neighbour solicitation asks for its target, not its (multicast) destination.
      const hit = p.l3 === L3.IPV6 && tech === Technique.ARP_SWEEP ? dark.hasV6(p.buf, p.ndTargetOff) : dark.hasPacketAddress(p, false);
      if (hit) return 'dark-net';
    }
    if (this.honeyPorts !== null && hasTransportPorts(tech) && this.honeyPorts[port] === 1) return 'honey-port';
    return null;
  }

  /** lureOf for a probe known from its flow (IPv6 needs the target's reply for its address). */
  flowLure(v6: boolean, host: HostKey, port: Port, reply: Packet | null): DetectionReason | null {
    const dark = this.darkNet;
    if (dark !== null && (v6 ? reply !== null && dark.hasPacketAddress(reply, true) : dark.hasV4(host))) return 'dark-net';
    if (this.honeyPorts !== null && this.honeyPorts[port] === 1) return 'honey-port';
    return null;
  }

  /**
   * Whether a failed probe from `source` to `host` is one the
   * internal-reconnaissance tier weighs: both inside --home-net (IPv4: an
   * IPv6 target is known only by its hash when the outcome comes).
   */
  internalPair(source: SourceKey, host: HostKey): boolean {
    const home = this.homeNet;
    return home !== null && !isV6Key(source) && home.hasV4(addressKey(source)) && home.hasV4(host);
  }
}

/** 1 for each administration port of the internal-reconnaissance tier. */
export const ADMIN_PORT = new Uint8Array(65536);
for (const p of INTERNAL_RECON.adminPorts) ADMIN_PORT[p] = 1;
