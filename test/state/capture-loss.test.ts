import { describe, expect, it } from 'vitest';
import { CaptureLossEstimator } from '../../src/state/capture-loss.js';

const A = 0x0a000001 | 0;
const B = 0x0a000002 | 0;
const PORTS = (40000 << 16) | 80; // A's port << 16 | B's port
const REV = (80 << 16) | 40000;

/** B sends `n` segments of 1000 bytes to A; A acknowledges each. `lost` segments are not delivered to the estimator. */
function transfer(est: CaptureLossEstimator, n: number, lost: Set<number>, isn = 1000): void {
  for (let i = 0; i < n; i++) {
    const seq = (isn + i * 1000) | 0;
    if (!lost.has(i)) est.data(B, A, REV, seq, 1000);
    est.ack(A, B, PORTS, (seq + 1000) | 0);
  }
}

describe('capture loss estimate (acknowledged data never seen)', () => {
  it('sees no loss when every segment was captured', () => {
    const est = new CaptureLossEstimator(1024);
    transfer(est, 100, new Set());
    expect(est.acks).toBe(100);
    expect(est.gaps).toBe(0);
    expect(est.ratio).toBe(0);
  });

  it('counts one gap per acknowledgement of missed data', () => {
    const est = new CaptureLossEstimator(1024);
    transfer(est, 100, new Set([10, 20, 30, 40, 50]));
    expect(est.acks).toBe(100);
    expect(est.gaps).toBe(5);
    expect(est.ratio).toBeCloseTo(0.05, 5);
  });

  it('ignores duplicate ACKs and works across sequence wrap-around', () => {
    const est = new CaptureLossEstimator(1024);
    const isn = 0x7fffffff - 2500; // wraps past 2^31 during the transfer
    transfer(est, 10, new Set([5]), isn);
    est.ack(A, B, PORTS, (isn + 10000) | 0); // duplicate of the last ACK
    expect(est.acks).toBe(10);
    expect(est.gaps).toBe(1);
  });

  it('does not judge flows whose data it never saw', () => {
    const est = new CaptureLossEstimator(1024);
    est.ack(A, B, PORTS, 123456);
    expect(est.acks).toBe(0);
  });
});
