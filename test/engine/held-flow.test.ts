/**
 * A source's first SYN is held in probation instead of the flow table
 * (engine/tracker.ts HELD_FLOW): what a flood of one-packet sources must
 * not cost, and what the single flow table gave before that must still
 * hold: the SYN's answer, an ICMP error quoting it, its expiry.
 */
import { describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { defaultConfig } from '../../src/rules/config.js';
import { feed, ip4Text, l3Of, NMAP_SYN_OPTIONS, tcp, type Timed, unreachable } from './packets.js';
import { run, T0 } from './traffic.js';

const SCANNER = '198.18.0.1';
const TARGET = '198.18.0.2';
const SPORT = 40000;

const syn = (dport: number, t: number, sport = SPORT): Timed => ({
  frame: tcp({ src: SCANNER, dst: TARGET, sport, dport, flags: 'S', window: 1024, options: NMAP_SYN_OPTIONS }),
  t,
});
const synAck = (sport: number, t: number, dport = SPORT): Timed => ({ frame: tcp({ src: TARGET, dst: SCANNER, sport, dport, flags: 'SA', ack: 1 }), t });
const rst = (sport: number, t: number): Timed => ({ frame: tcp({ src: TARGET, dst: SCANNER, sport, dport: SPORT, flags: 'RA', ack: 1 }), t });
/** The scanner's own RST after a SYN-ACK (half-open), as nmap -sS sends it. */
const scannerRst = (dport: number, t: number, sport = SPORT): Timed => ({ frame: tcp({ src: SCANNER, dst: TARGET, sport, dport, flags: 'R' }), t });

/** SYNs to ports 1..n (closed: RST), 10 ms apart from `t`. */
function closedPorts(n: number, t: number): Timed[] {
  const out: Timed[] = [];
  for (let port = 1; port <= n; port++) out.push(syn(port, t + port * 0.01), rst(port, t + port * 0.01 + 0.001));
  return out;
}

describe('first SYNs held in probation', () => {
  it('a spoofed SYN flood of one-packet sources puts nothing in the flow table', () => {
    const engine = new Engine({ ...defaultConfig(), hashSeed: 7 });
    const frames: Timed[] = [];
    for (let i = 0; i < 50_000; i++) {
      // 203.0.113.0/24 targets, sources spread over 100.64.0.0/10 (one packet each).
      const src = ip4Text((0x64400000 + i * 7919) | 0);
      frames.push({ frame: tcp({ src, dst: `203.0.113.${10 + (i % 4)}`, sport: 1024 + (i % 60000), dport: i % 2 ? 80 : 443, flags: 'S', window: 65535 }), t: T0 + i * 1e-5 });
    }
    feed(engine, frames);
    expect(engine.flows.size).toBe(0);
    expect(engine.flows.evicted).toBe(0);
    expect(engine.probation.size + engine.probation.overwritten).toBe(50_000);
    engine.finish();
    expect(engine.detections).toEqual([]);
  });

  it('the answer to a first SYN is tied to it, whether it comes before or after the second probe', () => {
    const before = run([syn(80, T0), synAck(80, T0 + 0.001), scannerRst(80, T0 + 0.002), ...closedPorts(30, T0 + 0.01)]);
    const after = run([syn(80, T0), ...closedPorts(30, T0 + 0.01), synAck(80, T0 + 0.5), scannerRst(80, T0 + 0.501)]);
    for (const r of [before, after]) {
      expect(r.detections.map((d) => [d.src, d.type, d.ports, d.open_ports])).toEqual([[SCANNER, 'tcp-syn', 31, [80]]]);
    }
  });

  it('an ICMP error quoting a first SYN refuses it (and a refusal promotes the source at once)', () => {
    const probe = syn(80, T0);
    const error = { frame: unreachable({ src: '198.18.0.254', dst: SCANNER, code: 13, original: l3Of(probe.frame) }), t: T0 + 0.002 };
    const { engine } = run([probe, error]);
    expect(engine.coverage().promoted).toBe(1);
    expect(run([probe]).engine.coverage().promoted).toBe(0);
  });

  it('an answer later than a flow lives is not tied to the held SYN', () => {
    const late = defaultConfig().flowTimeout + 1;
    const r = run([syn(80, T0), synAck(80, T0 + late), ...closedPorts(30, T0 + late + 1)]);
    expect(r.detections.map((d) => [d.type, d.ports, d.open_ports])).toEqual([['tcp-syn', 31, []]]);
  });

  it('the same over IPv6, where probation keeps hashes: the answering address is kept for the report', () => {
    const S6 = '2001:db8::1';
    const T6 = '2001:db8::2';
    const frames: Timed[] = [
      { frame: tcp({ src: S6, dst: T6, sport: SPORT, dport: 80, flags: 'S', window: 1024, options: NMAP_SYN_OPTIONS }), t: T0 },
      { frame: tcp({ src: T6, dst: S6, sport: 80, dport: SPORT, flags: 'SA', ack: 1 }), t: T0 + 0.001 },
    ];
    for (let port = 1; port <= 30; port++) {
      const t = T0 + 0.01 + port * 0.01;
      frames.push({ frame: tcp({ src: S6, dst: T6, sport: SPORT, dport: port, flags: 'S', window: 1024, options: NMAP_SYN_OPTIONS }), t });
      frames.push({ frame: tcp({ src: T6, dst: S6, sport: port, dport: SPORT, flags: 'RA', ack: 1 }), t: t + 0.001 });
    }
    const r = run(frames);
    expect(r.detections.map((d) => [d.src, d.type, d.ports, d.open_ports])).toEqual([[S6, 'tcp-syn', 31, [80]]]);
  });

  it('a retransmission from another source port is answered on that port', () => {
    const r = run([syn(80, T0), syn(80, T0 + 1, SPORT + 1), synAck(80, T0 + 1.001, SPORT + 1), ...closedPorts(30, T0 + 2)]);
    expect(r.detections.map((d) => [d.type, d.ports, d.open_ports])).toEqual([['tcp-syn', 31, [80]]]);
  });
});
