/** The sweep-rate test on its own: bursts of new hosts, probe shapes, ARP resolution for use. */
import { describe, it, expect } from 'vitest';
import { SWEEP_RATE_HOSTS, SWEEP_RATE_SPAN, SweepRateState, isRateSweep } from '../../src/rules/sweep-rate.js';
import { Technique } from '../../src/rules/techniques.js';

function burst(n: number, gap: number): SweepRateState {
  const s = new SweepRateState(true);
  for (let i = 0; i < n; i++) s.newHost(1000 + i, i * gap);
  return s;
}

describe('sweep-rate', () => {
  it('a burst is SWEEP_RATE_HOSTS new hosts within SWEEP_RATE_SPAN seconds, over any sliding stretch', () => {
    expect(burst(SWEEP_RATE_HOSTS, 0.01).burst).toBe(true);
    expect(burst(SWEEP_RATE_HOSTS - 1, 0.01).burst).toBe(false);
    expect(burst(64, (SWEEP_RATE_SPAN * 1.2) / (SWEEP_RATE_HOSTS - 1)).burst).toBe(false);
    // Slow at first, then a burst late in the stream.
    const s = burst(20, 5);
    for (let i = 0; i < SWEEP_RATE_HOSTS; i++) s.newHost(5000 + i, 200 + i * 0.02);
    expect(s.burst).toBe(true);
    s.reset();
    expect(s.burst).toBe(false);
  });

  it('ICMP: bare echo requests, timestamp requests or TCP discovery make a burst a sweep; 56-byte pings alone do not', () => {
    const empty = burst(32, 0.003);
    for (let i = 0; i < 32; i++) empty.icmpRequest(8, 0);
    expect(isRateSweep(Technique.ICMP_SWEEP, empty, false)).toBe(true);
    const ping = burst(32, 0.003);
    for (let i = 0; i < 32; i++) ping.icmpRequest(8, 56);
    expect(isRateSweep(Technique.ICMP_SWEEP, ping, false)).toBe(false);
    expect(isRateSweep(Technique.ICMP_SWEEP, ping, true)).toBe(true);
    ping.icmpRequest(13, 12);
    expect(isRateSweep(Technique.ICMP_SWEEP, ping, false)).toBe(true);
  });

  it('ARP: a burst of questions is a sweep unless the asker then sent datagrams to most of the hosts', () => {
    const asked = burst(32, 0.003);
    expect(isRateSweep(Technique.ARP_SWEEP, asked, false)).toBe(true);
    for (let i = 0; i < 16; i++) asked.markUsed(1000 + i);
    expect(isRateSweep(Technique.ARP_SWEEP, asked, false)).toBe(false);
    asked.markUsed(1000); // twice the same host counts once
    expect(asked.usedCount).toBe(16);
  });

  it('raw SYNs: the burst alone is the sweep; without a burst nothing is', () => {
    expect(isRateSweep(Technique.TCP_SYN, burst(32, 0.003), false)).toBe(true);
    expect(isRateSweep(Technique.TCP_SYN, burst(32, 1), false)).toBe(false);
  });
});
