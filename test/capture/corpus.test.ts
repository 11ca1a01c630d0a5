/**
 * Facts about the shared real-capture corpus (../shared/corpus/real, see its
 * MANIFEST.md). Skipped when the folder is absent. Expected values were
 * cross-checked with tshark/capinfos and with pcap-parser on editcap
 * conversions while writing this test; the test itself needs neither.
 */
import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readCaptureFile } from '../../src/capture/index.js';
import type { PacketSink } from '../../src/capture/types.js';

import { corpusDir, corpusPresent, corpusRequired } from '../corpus-dir.js';

/** Packet counts from the MANIFEST.md table. */
const COUNTS: Record<string, number> = {
  'ef-nmap-syn-scan.pcap': 2020,
  'ef-nmap-connect-scan.pcap': 9924,
  'ef-nmap-fin-scan.pcap': 2000,
  'ef-nmap-null-scan.pcap': 2000,
  'ef-nmap-xmas-scan.pcap': 2000,
  'ef-nmap-ack-scan.pcap': 2000,
  'ef-nmap-udp-scan.pcap': 2028,
  'esnet-masscan-tcp-vlan.pcap': 1005,
  'esnet-masscan-udp-vlan.pcap': 1001,
  'cs-nmap-synscan-scanme.pcapng': 2011,
  'sgr-nmap-icmp-echo-sweep.pcap': 769,
  'sgr-nmap-tcp-syn-ping-sweep.pcap': 513,
  'chappell-arp-sweep.pcapng': 316,
  'chappell-nmap-udp-scan-internet.pcapng': 361,
  'fc-evidence04-mrx-scans.pcap': 13625,
  'slips-test7-iot-telnet-scan.pcap': 2000,
  'cs-http-espn-browsing.pcapng': 956,
  'ppa-gnutella-p2p.pcap': 1343,
  'sgr-http-ipv6-browsing.pcap': 193,
  'tcpreplay-test-nano.pcap': 179,
};

/**
 * SHA-256 over every packet as "sec usec caplen origlen\n" + bytes, as
 * pcap-parser reports it for `editcap -F pcap` conversions of the pcapng
 * files (all four are microsecond, Ethernet).
 */
const PCAPNG_DIGESTS: Record<string, string> = {
  'chappell-arp-sweep.pcapng': '114dec2214dbfacc0785f013a1d66c46dae4d3098fba62be2f5dc71eb29e5bce',
  'chappell-nmap-udp-scan-internet.pcapng': 'd8544e99f4a78f30bcddf22b4c473d3c6fa18edea20d82cf02fd0d050855e834',
  'cs-nmap-synscan-scanme.pcapng': '1d4a438cc6ab4ef76cf8b5bb7c373149e1843b72a2ea754dc31227ff675443fd',
  'cs-http-espn-browsing.pcapng': '2929425f4ec5c7886d4ca1dc5c92693550642eef19ec32ad3350ffb4b7b408a5',
};

interface Ts {
  sec: number;
  nsec: number;
}

function read(name: string): { result: ReturnType<typeof readCaptureFile>; digest: string; ts: Ts[]; nsecFrac: number } {
  const h = createHash('sha256');
  const ts: Ts[] = [];
  let nsecFrac = 0;
  const sink: PacketSink = {
    onPacket(linkType, data, offset, capLen, wireLen, tsSec, tsNsec) {
      expect(linkType).toBe(1);
      if (tsNsec % 1000 !== 0) nsecFrac++;
      ts.push({ sec: tsSec, nsec: tsNsec });
      h.update(`${tsSec} ${Math.floor(tsNsec / 1000)} ${capLen} ${wireLen}\n`);
      h.update(data.subarray(offset, offset + capLen));
    },
  };
  const result = readCaptureFile(path.join(corpusDir, name), sink);
  return { result, digest: h.digest('hex'), ts, nsecFrac };
}

// CI lays ../shared beside the clone and requires it (test/corpus-dir.ts): there, missing data fails.
it.runIf(corpusRequired)(`the shared corpus is present at ${corpusDir}`, () => {
  expect(corpusPresent).toBe(true);
});

describe.runIf(corpusPresent)('shared corpus', () => {

  for (const [name, count] of Object.entries(COUNTS)) {
    it(`${name}: ${count} packets, complete, Ethernet`, () => {
      const { result } = read(name);
      expect(result.packets).toBe(count);
      expect(result.warning).toBeNull();
      expect(result.truncated).toBe(false);
      expect(result.linkTypes).toEqual([1]);
      expect(result.format).toBe(name.endsWith('.pcapng') ? 'pcapng' : 'pcap');
      // MANIFEST: no truncated frames, caplen equals the wire length.
      expect(result.capturedBytes).toBe(result.bytes);
    });
  }

  for (const [name, digest] of Object.entries(PCAPNG_DIGESTS)) {
    it(`${name}: every timestamp, length and byte`, () => {
      expect(read(name).digest).toBe(digest);
    });
  }

  it('cs-nmap-synscan-scanme.pcapng: first/last timestamps', () => {
    const { result, ts } = read('cs-nmap-synscan-scanme.pcapng');
    expect(ts[0]).toEqual({ sec: 1278275056, nsec: 274870000 });
    expect(ts.at(-1)).toEqual({ sec: 1278275079, nsec: 360213000 });
    expect(result.firstTs).toBeCloseTo(1278275056.27487, 6);
    expect(result.lastTs! - result.firstTs!).toBeCloseTo(23.085343, 6);
  });

  it('tcpreplay-test-nano.pcap: nanosecond timestamps', () => {
    const { ts, nsecFrac } = read('tcpreplay-test-nano.pcap');
    expect(ts.length).toBe(179);
    expect(nsecFrac).toBeGreaterThan(100); // sub-microsecond digits survive
    expect(ts[0]).toEqual({ sec: 1278472579, nsec: 466743000 });
    expect(ts[14]).toEqual({ sec: 1278472580, nsec: 666770918 });
    // MANIFEST: frame 16 comes 863 ns before frame 15.
    expect(ts[15]).toEqual({ sec: 1278472580, nsec: 666770055 });
    expect(ts[178]).toEqual({ sec: 1278472582, nsec: 723492386 });
  });
});
