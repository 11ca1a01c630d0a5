/**
 * `source_verified`: evidence a blind spoofer cannot give. A source is
 * verified when it acknowledged a target's SYN-ACK (its ACK carries the
 * target's ISN + 1) or reset it with the sequence number a TCP stack uses
 * (the SYN-ACK's acknowledgment number). A spoofer that forges the third
 * packet without having seen the SYN-ACK gets the numbers wrong and stays
 * unverified, and so does a scan whose only answers are refusals.
 */
import { describe, expect, it } from 'vitest';
import { LINUX_SYN_OPTIONS, LINUX_SYNACK_OPTIONS, rng, tcp, type Timed } from './packets.js';
import { connectScan, rawScan, run, T0 } from './traffic.js';

const SCANNER = '198.18.0.1';
const TARGET = '198.18.0.2';
const PORTS = Array.from({ length: 40 }, (_, i) => 1 + i);

/**
 * A scan from a spoofed address: SYNs to 40 ports (3 open), the target's
 * SYN-ACKs, and a third packet the spoofer forges blind: an ACK or a RST
 * whose numbers are guesses (it never saw the SYN-ACK).
 */
function blindScan(third: 'A' | 'R'): Timed[] {
  const r = rng(11);
  const out: Timed[] = [];
  PORTS.forEach((port, i) => {
    const t = T0 + i * 0.001;
    const seq = Math.floor(r() * 2 ** 32) >>> 0;
    const c = { src: SCANNER, dst: TARGET, sport: 40000 + i, dport: port };
    const s = { src: TARGET, dst: SCANNER, sport: port, dport: 40000 + i };
    out.push({ frame: tcp({ ...c, flags: 'S', seq, window: 64240, options: LINUX_SYN_OPTIONS }), t });
    if (port <= 3) {
      const isn = Math.floor(r() * 2 ** 32) >>> 0;
      out.push({ frame: tcp({ ...s, flags: 'SA', seq: isn, ack: seq + 1, window: 65160, options: LINUX_SYNACK_OPTIONS }), t: t + 0.0002 });
      // The guess: not the target's ISN + 1 (an ACK), not the SYN-ACK's ack (a RST).
      const forged = third === 'A' ? { flags: 'A', seq: seq + 1, ack: (isn + 7777) >>> 0 } : { flags: 'R', seq: (seq + 9) >>> 0, ack: 0 };
      out.push({ frame: tcp({ ...c, ...forged, window: 502 }), t: t + 0.0003 });
    } else {
      out.push({ frame: tcp({ ...s, flags: 'RA', seq: 0, ack: seq + 1, window: 0 }), t: t + 0.0002 });
    }
  });
  return out;
}

describe('source_verified', () => {
  it('nmap -sT (handshakes acknowledging the target ISN): verified, 3 handshakes', () => {
    const { detections } = run(connectScan({ src: SCANNER, dst: TARGET, ports: PORTS, open: new Set([1, 2, 3]) }));
    expect(detections).toHaveLength(1);
    expect(detections[0]!.handshakes_completed).toBe(3);
    expect(detections[0]!.source_verified).toBe(true);
  });

  it('nmap -sS (its kernel resets the SYN-ACKs with their ack number): verified, 3 half-open', () => {
    const { detections } = run(rawScan({ src: SCANNER, dsts: [TARGET], ports: PORTS, flags: 'S', open: new Set(['1', '2', '3']) }));
    expect(detections).toHaveLength(1);
    expect(detections[0]!.half_open).toBe(3);
    expect(detections[0]!.source_verified).toBe(true);
  });

  it('a blind spoofer forging the ACK: still reported, not verified, no handshake counted', () => {
    const { detections } = run(blindScan('A'));
    expect(detections).toHaveLength(1);
    expect(detections[0]!.handshakes_completed).toBe(0);
    expect(detections[0]!.source_verified).toBe(false);
  });

  it('a blind spoofer forging the RST with a guessed sequence number: not verified', () => {
    const { detections } = run(blindScan('R'));
    expect(detections).toHaveLength(1);
    expect(detections[0]!.half_open).toBe(0);
    expect(detections[0]!.source_verified).toBe(false);
  });

  it('a scan that only met closed ports (nothing to answer): not verified', () => {
    const { detections } = run(rawScan({ src: SCANNER, dsts: [TARGET], ports: PORTS, flags: 'S' }));
    expect(detections).toHaveLength(1);
    expect(detections[0]!.source_verified).toBe(false);
  });
});
