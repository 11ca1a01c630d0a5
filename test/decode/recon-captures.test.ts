/**
 * The decoder on the recorded issue-8 captures (test/pcaps/recon, made by
 * scripts/record-recon-fixtures.sh; see its README): real Linux VXLAN
 * tunnels, synthesized GRE/gretap/ERSPAN/Geneve/MPLS underlays around real
 * nmap scans, nmap -f / --mtu 8, crafted IPv6 and overlapping fragments,
 * nmap -sY/-sZ/-sO. What each test expects comes from the command and lab
 * that made the capture (the expected files' `command` and `description`):
 * the ports nmap was told to scan, the VNI/key/session/label the tunnel was
 * built with, the underlay's addresses; never from scanwatch's output.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCaptureFile } from '../../src/capture/index.js';
import { formatIpv4 } from '../../src/decode/address.js';
import { Decoder, type DecoderOptions } from '../../src/decode/decoder.js';
import { encapsulationCounts, formatTenant } from '../../src/decode/encapsulation.js';
import { L3, Proto, SctpChunk, TcpFlag } from '../../src/decode/packet.js';
import { FRAGMENT_STAT_NAMES } from '../../src/decode/reassembly.js';

const DIR = path.resolve(import.meta.dirname, '../pcaps/recon');

interface Seen {
  frames: number;
  decoded: number;
  /** Destination ports of the SYNs `scanner` sent, by tenant. */
  synPorts: Map<string | null, Set<number>>;
  underlayAnalysed: number;
  reassembledSyns: number;
  sctpChunks: Map<number, Set<number>>;
  /** Protocols of the whole IP datagrams the scanner sent. */
  bareProtocols: Set<number>;
  d: Decoder;
}

/** Decodes every frame of a capture as the engine would (packet time included). */
function decodeCapture(name: string, scanner: string, options: DecoderOptions = {}): Seen {
  const file = path.join(DIR, `${name}.pcap`);
  expect(fs.existsSync(file), `${file} is missing (scripts/record-recon-fixtures.sh records it)`).toBe(true);
  const d = new Decoder(options);
  const seen: Seen = { frames: 0, decoded: 0, synPorts: new Map(), underlayAnalysed: 0, reassembledSyns: 0, sctpChunks: new Map(), bareProtocols: new Set(), d };
  readCaptureFile(file, {
    onPacket(linkType, data, offset, capLen, _wire, sec, nsec) {
      seen.frames++;
      if (!d.decode(linkType, data, offset, capLen, sec, nsec)) return;
      seen.decoded++;
      const p = d.packet;
      if (p.l3 !== L3.IPV4) return;
      const src = formatIpv4(p.src);
      if (src.startsWith('198.18.100.')) seen.underlayAnalysed++;
      if (src !== scanner) return;
      if (p.completeDatagram) seen.bareProtocols.add(p.proto);
      if (p.proto === Proto.TCP && p.hasL4 && (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) {
        const t = formatTenant(p.tenant);
        if (!seen.synPorts.has(t)) seen.synPorts.set(t, new Set());
        seen.synPorts.get(t)!.add(p.dport);
        if (p.reassembled) seen.reassembledSyns++;
      }
      if (p.proto === Proto.SCTP && p.hasL4) {
        if (!seen.sctpChunks.has(p.sctpChunkType)) seen.sctpChunks.set(p.sctpChunkType, new Set());
        seen.sctpChunks.get(p.sctpChunkType)!.add(p.dport);
      }
    },
  });
  return seen;
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

function sorted(s: Set<number> | undefined): number[] {
  return [...(s ?? [])].sort((a, b) => a - b);
}

function errors(d: Decoder): number {
  return d.errors.reduce((a, b) => a + b, 0);
}

describe('tunnels recorded around nmap -sS -p 1-100 198.18.10.2 (from 198.18.10.1)', () => {
  const cases: { name: string; encap: string[]; tenant: string | null; options?: DecoderOptions }[] = [
    { name: 'tunnel-vxlan', encap: ['vxlan'], tenant: 'vni:5001' },
    { name: 'tunnel-vxlan-8472', encap: ['vxlan'], tenant: 'vni:5001', options: { udpTunnelPorts: { vxlan: [8472] } } },
    { name: 'tunnel-geneve', encap: ['geneve'], tenant: 'geneve:77' },
    { name: 'tunnel-gre', encap: ['gre'], tenant: 'gre-key:9' },
    { name: 'tunnel-gretap', encap: ['gre'], tenant: 'gre-key:9' },
    { name: 'tunnel-erspan1', encap: ['gre', 'erspan_i'], tenant: null },
    { name: 'tunnel-erspan2', encap: ['gre', 'erspan_ii'], tenant: 'erspan:3' },
    { name: 'tunnel-erspan3', encap: ['gre', 'erspan_iii'], tenant: 'erspan:3' },
    { name: 'tunnel-mpls', encap: ['mpls'], tenant: 'mpls:100' },
  ];
  for (const c of cases) {
    it(`${c.name}: every frame opened (${c.encap.join(' in ')}), the 100 inner SYN ports seen in ${c.tenant ?? 'no tenant'}, no underlay address analysed`, () => {
      const s = decodeCapture(c.name, '198.18.10.1', c.options);
      expect(errors(s.d)).toBe(0);
      expect(s.decoded).toBe(s.frames);
      const counts = encapsulationCounts(s.d.encapsulations);
      expect(Object.keys(counts).sort()).toEqual([...c.encap].sort());
      for (const e of c.encap) expect(counts[e], e).toBe(s.frames);
      expect(s.underlayAnalysed).toBe(0);
      expect([...s.synPorts.keys()]).toEqual([c.tenant]);
      expect(sorted(s.synPorts.get(c.tenant))).toEqual(range(1, 100));
    });
  }

  it('tunnel-vxlan-8472 without --vxlan-port 8472 is only underlay UDP (nothing inside is analysed)', () => {
    const s = decodeCapture('tunnel-vxlan-8472', '198.18.10.1');
    expect(encapsulationCounts(s.d.encapsulations)).toEqual({});
    expect(s.synPorts.size).toBe(0);
    expect(s.underlayAnalysed).toBeGreaterThan(0);
  });

  it('tenants-separate: the same inner addresses in VNI 5001 (ports 1-100) and VNI 5002 (101-200) stay apart', () => {
    const s = decodeCapture('tenants-separate', '198.18.10.1');
    expect(sorted(s.synPorts.get('vni:5001'))).toEqual(range(1, 100));
    expect(sorted(s.synPorts.get('vni:5002'))).toEqual(range(101, 200));
    expect(s.synPorts.size).toBe(2);
  });

  it('tenants-overlap: ports 1-5 in VNI 5001, 6-10 in VNI 5002', () => {
    const s = decodeCapture('tenants-overlap', '198.18.10.1');
    expect(sorted(s.synPorts.get('vni:5001'))).toEqual(range(1, 5));
    expect(sorted(s.synPorts.get('vni:5002'))).toEqual(range(6, 10));
  });
});

describe('fragmented probes', () => {
  for (const name of ['frag-nmap-f', 'frag-nmap-mtu8']) {
    it(`${name} (nmap -sS ${name.endsWith('f') ? '-f' : '--mtu 8'} -p 1-200): each reassembled into one SYN, all 200 ports`, () => {
      const s = decodeCapture(name, '198.18.0.1');
      expect(errors(s.d)).toBe(0);
      expect(sorted(s.synPorts.get(null))).toEqual(range(1, 200));
      expect(s.reassembledSyns).toBeGreaterThanOrEqual(200);
      const st = s.d.reassembly.stats;
      const by = Object.fromEntries(FRAGMENT_STAT_NAMES.map((n, i) => [n, st[i]]));
      expect(by.reassembled).toBe(s.reassembledSyns);
      expect(by.overlaps).toBe(0);
      expect(by.timeouts + by.evictions + by.malformed + by.oversize).toBe(0);
    });
  }

  it('frag-overlap: the 40 clean probes reassembled (ports 1-40), the 40 overlapping ones discarded and counted', () => {
    const s = decodeCapture('frag-overlap', '198.18.0.1');
    expect(sorted(s.synPorts.get(null))).toEqual(range(1, 40));
    expect(s.reassembledSyns).toBe(40);
    expect(s.d.reassembly.stats[FRAGMENT_STAT_NAMES.indexOf('overlaps')]).toBe(40);
  });

  it('frag-ipv6 and frag-ipv6-answered: 100 IPv6 SYNs rebuilt from fragments', () => {
    for (const name of ['frag-ipv6', 'frag-ipv6-answered']) {
      const d = new Decoder();
      const ports = new Set<number>();
      readCaptureFile(path.join(DIR, `${name}.pcap`), {
        onPacket(lt, data, off, cap, _w, sec, nsec) {
          if (!d.decode(lt, data, off, cap, sec, nsec)) return;
          const p = d.packet;
          if (p.l3 === L3.IPV6 && p.reassembled && p.proto === Proto.TCP && (p.tcpFlags & 0x12) === TcpFlag.SYN) ports.add(p.dport);
        },
      });
      expect(sorted(ports), name).toEqual(range(1, 100));
    }
  });
});

describe('SCTP and IP protocol scans', () => {
  it('nmap-sctp-init (-sY): INIT chunks from the scanner; nmap-sctp-cookie (-sZ): COOKIE ECHO chunks', () => {
    const init = decodeCapture('nmap-sctp-init', '198.18.0.1');
    const cookie = decodeCapture('nmap-sctp-cookie', '198.18.0.1');
    expect(init.sctpChunks.get(SctpChunk.INIT)?.size ?? 0).toBeGreaterThan(50);
    expect([...init.sctpChunks.keys()]).toEqual([SctpChunk.INIT]);
    expect(cookie.sctpChunks.get(SctpChunk.COOKIE_ECHO)?.size ?? 0).toBeGreaterThan(50);
    expect([...cookie.sctpChunks.keys()]).toEqual([SctpChunk.COOKIE_ECHO]);
  });

  it('nmap-ipproto (-sO -p 0-255): a complete datagram of each of the 256 protocols, no decode error', () => {
    const s = decodeCapture('nmap-ipproto', '198.18.0.1');
    expect(errors(s.d)).toBe(0);
    expect(sorted(s.bareProtocols)).toEqual(range(0, 255));
  });
});
