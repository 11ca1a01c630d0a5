/**
 * scanwatch_unjudged_packets_total: packets the sensor could not analyse
 * although the target may have read them (src/decode/unjudged.ts), by
 * reason, as a live sensor's Prometheus scrape shows them after crafted
 * traffic of each kind. prometheus/alerts.yml alerts on any of them
 * (ScanwatchUnjudgedTraffic, tested in alerts.test.yml).
 */
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/types.js';
import { DECODE_ERROR_NAMES } from '../../src/decode/errors.js';
import { FragmentStat } from '../../src/decode/reassembly.js';
import { UNJUDGED_REASONS, unjudgedCounts } from '../../src/decode/unjudged.js';
import { Engine } from '../../src/engine/engine.js';
import { createMetrics } from '../../src/metrics/prometheus.js';
import { ETHERTYPE, PROTO, ether, ipv4Packet, ipv6Packet, tcp } from '../engine/packets.js';
import { parseExposition, value } from './exposition.js';

async function scrape(engine: Engine): Promise<Record<string, number>> {
  const m = createMetrics(engine, { version: 'test' });
  const samples = parseExposition(await m.registry.metrics());
  return Object.fromEntries(UNJUDGED_REASONS.map((reason) => [reason, value(samples, 'scanwatch_unjudged_packets_total', { reason })]));
}

function feed(engine: Engine, frame: Buffer, capLen = frame.length, t = 1_790_000_000): void {
  engine.onPacket(LinkType.ETHERNET, frame, 0, capLen, frame.length, t, 0);
}

describe('scanwatch_unjudged_packets_total', () => {
  it('is exported at 0 for every reason before anything happens', async () => {
    expect(await scrape(new Engine())).toEqual({ cut: 0, malformed: 0, over_bound: 0 });
  });

  it('counts cut headers, malformed headers and reassembly evictions, each under its reason', async () => {
    const engine = new Engine();
    // cut: a SYN whose TCP header the snapshot cut, an IPv6 extension chain cut
    feed(engine, tcp({ src: '198.18.0.1', dst: '198.18.0.2', sport: 1, dport: 80, flags: 'S' }), 14 + 20 + 10);
    const chain = ether(ETHERTYPE.IPV6, ipv6Packet({ src: '2001:db8::1', dst: '2001:db8::2', next: PROTO.TCP, payload: Buffer.alloc(20), ext: [{ type: 60 }, { type: 60 }] }));
    feed(engine, chain, 14 + 40 + 12);
    // malformed: an extension header claiming more than the packet; a fragment with a wrong checksum
    const bad = Buffer.from(chain);
    bad[14 + 40 + 1] = 90;
    feed(engine, bad);
    const frag = ether(ETHERTYPE.IPV4, ipv4Packet({ src: '198.18.0.1', dst: '198.18.0.2', proto: PROTO.TCP, payload: Buffer.alloc(8), moreFragments: true }));
    frag[14 + 10] ^= 0x55;
    feed(engine, frag);
    // over_bound: 10 more incomplete datagrams than the reassembler holds, from spoofed sources
    const slots = engine.decoder.reassembly.capacity;
    for (let i = 0; i < slots + 10; i++) {
      feed(engine, ether(ETHERTYPE.IPV4, ipv4Packet({ src: `198.19.${i >> 8}.${i & 255}`, dst: '198.18.0.2', proto: PROTO.TCP, payload: Buffer.alloc(8), moreFragments: true })));
    }
    expect(engine.decoder.reassembly.stats[FragmentStat.EVICTIONS]).toBe(10);
    expect(await scrape(engine)).toEqual({ cut: 2, malformed: 2, over_bound: 10 });
  });

  it('every decode error has a reason; truncated_* are cut, tunnel and layer bounds over_bound, the rest malformed', () => {
    for (let i = 0; i < DECODE_ERROR_NAMES.length; i++) {
      const errors = new Float64Array(DECODE_ERROR_NAMES.length);
      errors[i] = 1;
      const counts = unjudgedCounts(errors, new Float64Array(16));
      const name = DECODE_ERROR_NAMES[i]!;
      const want = name.startsWith('truncated_') ? 'cut' : name === 'too_many_layers' || name === 'tunnel_too_deep' ? 'over_bound' : 'malformed';
      expect(UNJUDGED_REASONS[counts.indexOf(1)], name).toBe(want);
      expect(counts.reduce((a, b) => a + b), name).toBe(1);
    }
  });
});
