/**
 * Frames cut by a snapshot length (--snaplen 512, say): the decoder
 * reads only the captured bytes but takes payload lengths from the IP and
 * UDP headers, so a cut segment counts as its whole payload. Without that,
 * every cut data segment would look like missing data to the capture-loss
 * estimate (Zeek's ACK-gap method) and raise a false capture-loss alarm.
 */
import { describe, expect, it } from 'vitest';
import { LinkType } from '../../src/capture/types.js';
import { Decoder } from '../../src/decode/decoder.js';
import { Engine } from '../../src/engine/engine.js';
import { defaultConfig } from '../../src/rules/config.js';
import { tcp, udp } from '../engine/packets.js';

const A = '198.18.0.1';
const B = '198.18.0.2';
const A6 = '2001:db8::1';
const B6 = '2001:db8::2';

describe('frames cut by the snapshot length', () => {
  it('TCP over IPv4 and IPv6: ports, flags and options read, payload length from the IP header', () => {
    for (const [src, dst] of [
      [A, B],
      [A6, B6],
    ] as const) {
      const frame = tcp({ src, dst, sport: 40000, dport: 443, flags: 'PA', seq: 1000, ack: 5, payload: 1400, options: { ts: [1, 2] } });
      const d = new Decoder();
      const cut = 96;
      expect(d.decode(LinkType.ETHERNET, frame, 0, cut, frame.length)).toBe(true);
      const p = d.packet;
      expect(p.sport).toBe(40000);
      expect(p.dport).toBe(443);
      expect(p.payloadLen).toBe(1400);
      // the same frame captured whole decodes to the same figures
      expect(d.decode(LinkType.ETHERNET, frame, 0, frame.length, frame.length)).toBe(true);
      expect(d.packet.payloadLen).toBe(1400);
    }
  });

  it('UDP: payload length from the UDP header when the frame was cut', () => {
    const frame = udp({ src: A, dst: B, sport: 5353, dport: 53, payload: 900 });
    const d = new Decoder();
    expect(d.decode(LinkType.ETHERNET, frame, 0, 60, frame.length)).toBe(true);
    expect(d.packet.dport).toBe(53);
    expect(d.packet.payloadLen).toBe(900);
  });

  it('an Ethernet frame padded to 60 bytes (captured whole) has no payload: padding is not data', () => {
    const frame = tcp({ src: A, dst: B, sport: 40000, dport: 80, flags: 'A', seq: 1, ack: 1 });
    expect(frame.length).toBe(60);
    const d = new Decoder();
    expect(d.decode(LinkType.ETHERNET, frame, 0, frame.length, frame.length)).toBe(true);
    expect(d.packet.payloadLen).toBe(0);
  });

  it('a bulk transfer captured at a 512-byte snaplen shows no capture loss (no false ACK gaps)', () => {
    const engine = new Engine(defaultConfig());
    let t = 1_790_000_000;
    const feed = (frame: Buffer): void => {
      t += 0.001;
      const capLen = Math.min(frame.length, 512);
      engine.onPacket(LinkType.ETHERNET, frame, 0, capLen, frame.length, Math.floor(t), Math.round((t % 1) * 1e9));
    };
    feed(tcp({ src: A, dst: B, sport: 40000, dport: 80, flags: 'S', seq: 100, options: { mss: 1460, sackPerm: true } }));
    feed(tcp({ src: B, dst: A, sport: 80, dport: 40000, flags: 'SA', seq: 7000, ack: 101, options: { mss: 1460 } }));
    feed(tcp({ src: A, dst: B, sport: 40000, dport: 80, flags: 'A', seq: 101, ack: 7001 }));
    let seq = 7001;
    for (let i = 0; i < 50; i++) {
      feed(tcp({ src: B, dst: A, sport: 80, dport: 40000, flags: 'A', seq, ack: 101, payload: 1448 }));
      seq += 1448;
      feed(tcp({ src: A, dst: B, sport: 40000, dport: 80, flags: 'A', seq: 101, ack: seq }));
    }
    expect(engine.captureLoss.acks).toBeGreaterThan(0);
    expect(engine.captureLoss.gaps).toBe(0);
    expect(engine.bytes).toBeGreaterThan(50 * 1448);
  });
});
