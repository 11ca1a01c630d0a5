import type { Packet } from '../decode/packet.js';

/**
 * What a UDP payload says it is, for the datagrams that are never probes:
 * a discovery service's answer, and a client's application request sent
 * one-way. Each test reads a few bytes of the captured payload, allocates
 * nothing, and asks for the protocol's own shape, so that a scanner cannot
 * pass a probe off as one by its source port alone.
 */

/**
 * An answer from a name- or service-discovery responder to a client's
 * (usually multicast) query: LLMNR (RFC 4795, port 5355), mDNS (RFC 6762,
 * 5353) and NetBIOS name service (RFC 1002, 137) with the DNS-style header's
 * response bit set; SSDP (UPnP 1.1, 1900) with an HTTP status line; WS-
 * Discovery (3702) with a SOAP XML body; NetBIOS datagrams (138) of the
 * direct or broadcast kinds.
 */
export function isDiscoveryAnswer(p: Packet): boolean {
  const b = p.buf;
  const o = p.payloadOff;
  const n = p.payloadCaptured;
  switch (p.sport) {
    case 5355:
    case 5353:
    case 137:
      return n >= 12 && (b[o + 2]! & 0x80) !== 0;
    case 1900:
      // "HTTP/1.1 200 OK": the unicast answer to an M-SEARCH.
      return n >= 12 && b[o] === 0x48 && b[o + 1] === 0x54 && b[o + 2] === 0x54 && b[o + 3] === 0x50;
    case 3702:
      return n >= 5 && (b[o] === 0x3c || (b[o] === 0xef && b[o + 3] === 0x3c)); // '<', after a UTF-8 BOM
    case 138:
      return n >= 14 && b[o]! >= 0x10 && b[o]! <= 0x12;
    default:
      return false;
  }
}

/**
 * A client's request that carries an application handshake, sent one-way:
 * a QUIC Initial (RFC 9000 section 17.2.2: long header with the fixed bit,
 * version 1, or version 2 of RFC 9369 whose Initial type bits are 01, in a
 * datagram of at least 1,200 bytes, section 14.1) or a DNS query (RFC 1035
 * 4.1.1: response bit clear, standard query, at least one question, no
 * answers). A browser's QUIC handshakes to several servers and a resolver's
 * queries are not a sweep, whether or not their answers were captured.
 */
export function isClientRequest(p: Packet): boolean {
  const b = p.buf;
  const o = p.payloadOff;
  const n = p.payloadCaptured;
  if (p.payloadLen >= 1200 && n >= 5 && (b[o]! & 0xc0) === 0xc0) {
    const version = ((b[o + 1]! << 24) | (b[o + 2]! << 16) | (b[o + 3]! << 8) | b[o + 4]!) >>> 0;
    const type = (b[o]! >> 4) & 3;
    if ((version === 1 && type === 0) || (version === 0x6b3343cf && type === 1)) return true;
  }
  if (p.dport === 53 && n >= 17) {
    const flags = (b[o + 2]! << 8) | b[o + 3]!;
    const qd = (b[o + 4]! << 8) | b[o + 5]!;
    const an = (b[o + 6]! << 8) | b[o + 7]!;
    return (flags & 0x8000) === 0 && ((flags >> 11) & 0xf) === 0 && qd >= 1 && an === 0;
  }
  return false;
}
