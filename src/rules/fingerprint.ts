import { type Packet, TcpOpt } from '../decode/packet.js';
import { Tool } from './tools.js';

/**
 * Which scanner built a probe, where the packet says so. Each check is a
 * property of the tool's packet templates, not a guess from rates:
 *  - masscan sets the IPv4 identification to (dst ^ dport ^ seq) & 0xffff,
 *    so it can recognise its replies statelessly (masscan's templ-pkt.c).
 *  - zmap sends every probe with IP identification 54321 (its probe modules).
 *  - nmap's raw probes use a window of 1024, 2048, 3072 or 4096 and, for
 *    SYNs, a lone MSS option of 1460 (nmap's scan engine; also noted by
 *    p0f and Suricata's community rules).
 *  - hping3 sends TCP without options and, as measured from Debian's
 *    hping3 (test/pcaps/hping3-syn.pcap), a window of 512.
 */
export function tcpTool(p: Packet): number {
  if (p.l3 === 4) {
    if (p.ipId === ((p.dst ^ p.dport ^ p.tcpSeq) & 0xffff)) return Tool.MASSCAN;
    if (p.ipId === 54321) return Tool.ZMAP;
  }
  const w = p.tcpWindow;
  if (w === 1024 || w === 2048 || w === 3072 || w === 4096) {
    if (p.tcpOptionCount === 0) return Tool.NMAP;
    if (p.tcpOptionCount === 1 && p.tcpOptionMask === TcpOpt.MSS && p.tcpMss === 1460) return Tool.NMAP;
  }
  if (w === 512 && p.tcpOptionCount === 0) return Tool.HPING3;
  return Tool.NONE;
}

/**
 * nmap gives its raw IP probes a random TTL from 37 to 59 unless --ttl is
 * set, and sends ping and most UDP probes with no payload. Either alone is
 * common; together, across at least half of a scan's probes, they name nmap.
 * (A TTL in that range on a packet that crossed the Internet is ordinary;
 * an empty echo request or UDP datagram with it is not.)
 */
function nmapTtl(p: Packet): boolean {
  return p.ttl >= 37 && p.ttl <= 59;
}

export function icmpTool(p: Packet): number {
  return p.l4Len === 8 && nmapTtl(p) ? Tool.NMAP : Tool.NONE;
}

export function udpTool(p: Packet): number {
  return p.payloadLen === 0 && nmapTtl(p) ? Tool.NMAP : Tool.NONE;
}

/**
 * A SYN built by an operating system's connect() carries its full option
 * set: SACK-permitted, window scale and/or timestamps (Linux, Windows,
 * macOS and the BSDs all send at least one). Raw-socket scanners send no
 * options or a lone MSS.
 */
export function isKernelSyn(p: Packet): boolean {
  return (p.tcpOptionMask & (TcpOpt.SACK_PERM | TcpOpt.WSCALE | TcpOpt.TIMESTAMP)) !== 0;
}
