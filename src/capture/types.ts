/**
 * The contract between every packet source (capture files, live capture)
 * and the engine. One call per frame; nothing is allocated per frame.
 */

/** Link-layer header types, as numbered by tcpdump.org's LINKTYPE_ registry. */
export const LinkType = {
  NULL: 0, // BSD loopback: 4-byte address family in the writer's byte order
  ETHERNET: 1,
  RAW: 101, // raw IPv4 or IPv6, version from the first nibble
  LOOP: 108, // OpenBSD loopback: 4-byte address family in network byte order
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

export interface PacketSink {
  /**
   * Receives one frame. `data` is a buffer shared between calls and is only
   * valid during the call: the frame is data[offset, offset + capLen).
   * `wireLen` is the frame's length on the wire (>= capLen when the
   * capture was cut by a snapshot length). The timestamp is split into whole
   * seconds since the Unix epoch and nanoseconds, so that nanosecond files
   * lose nothing.
   */
  onPacket(
    linkType: number,
    data: Buffer,
    offset: number,
    capLen: number,
    wireLen: number,
    tsSec: number,
    tsNsec: number,
  ): void;
  /**
   * A frame the reader skipped because its timestamp is outside the range
   * any Date can hold: the sink counts it as a packet that did not decode.
   */
  onBadTimestamp?(wireLen: number): void;
}
