// What the lab's veth link does to a frame tcpreplay hands it, so that the
// live fuzzer can say exactly which frames the sensor must count. Measured
// on the bare lab link (test/e2e/lab.ts: veth, MTU 9000, Linux 6.x) by
// capturing the replay with tcpdump and comparing byte for byte:
//
//  - The sender's kernel refuses a frame shorter than the 14-byte Ethernet
//    header (EINVAL) or longer than MTU + 14 (EMSGSIZE); an outer 802.1Q
//    tag (0x8100) earns 4 bytes more. tcpreplay counts it as failed and
//    names it ("send() [N]", N from 1).
//  - The receiving kernel strips an outer 802.1Q or 802.1ad tag before any
//    packet socket sees the frame, and drops a frame with such a tag that
//    is too short for it (under 20 bytes: header, tag, and the two bytes
//    after it it reads) without a trace: the veth's rx_packets counts it,
//    no capture ever sees it.
//  - Every other frame reaches the capture byte for byte as it was sent
//    (libpcap puts the stripped tag back), whatever it holds.

export const LINK_MTU = 9000;
const ETH_HEADER = 14;
const VLAN_TAG = 4;
const TPID_8021Q = 0x8100;
const TPID_8021AD = 0x88a8;
/** Ethernet header, tag, and the two bytes the kernel reads behind the tag. */
const SHORTEST_TAGGED = ETH_HEADER + VLAN_TAG + 2;

const etherType = (frame) => (frame.length >= ETH_HEADER ? frame.readUInt16BE(12) : -1);

/** Why the sender's kernel refuses `frame` ('runt', 'oversize'), or null when it sends it. */
export function refusedBySender(frame, mtu = LINK_MTU) {
  if (frame.length < ETH_HEADER) return 'runt';
  const limit = mtu + ETH_HEADER + (etherType(frame) === TPID_8021Q ? VLAN_TAG : 0);
  return frame.length > limit ? 'oversize' : null;
}

/** Whether the receiving kernel drops `frame` (sent) before a capture can see it. */
export function droppedBeforeCapture(frame) {
  const t = etherType(frame);
  return (t === TPID_8021Q || t === TPID_8021AD) && frame.length < SHORTEST_TAGGED;
}

/** What becomes of each frame: 'refused-runt', 'refused-oversize', 'dropped-before-capture' or 'captured'. */
export function fateOf(frame, mtu = LINK_MTU) {
  const refused = refusedBySender(frame, mtu);
  if (refused !== null) return `refused-${refused}`;
  return droppedBeforeCapture(frame) ? 'dropped-before-capture' : 'captured';
}

/**
 * Frames on each side of every limit above, so that each batch checks
 * the model against the kernel: runts, the largest frames that fit and
 * the smallest that do not (untagged, 802.1Q, 802.1ad), tagged frames just
 * too short and just long enough.
 */
export function edgeFrames(mtu = LINK_MTU) {
  const frame = (len, type) => {
    const f = Buffer.alloc(len);
    for (let i = 0; i < len; i++) f[i] = (i * 29 + 7) & 0xff;
    // Lab MACs (locally administered), so a reader of the capture sees where they came from.
    Buffer.from([0x02, 0x00, 0xc6, 0x12, 0x00, 0x02, 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01]).copy(f, 0, 0, Math.min(12, len));
    if (len >= ETH_HEADER) f.writeUInt16BE(type, 12);
    return f;
  };
  const max = mtu + ETH_HEADER;
  const sizes = [
    [1, 0x0800],
    [13, 0x0800],
    [14, 0x0800],
    [max, 0x0800],
    [max + 1, 0x0800],
    [max + VLAN_TAG, TPID_8021Q],
    [max + VLAN_TAG + 1, TPID_8021Q],
    [max + 1, TPID_8021AD],
    [ETH_HEADER, TPID_8021Q],
    [SHORTEST_TAGGED - 1, TPID_8021Q],
    [SHORTEST_TAGGED - 1, TPID_8021AD],
    [SHORTEST_TAGGED, TPID_8021Q],
    [SHORTEST_TAGGED, TPID_8021AD],
  ];
  return sizes.map(([len, type]) => ({ data: frame(len, type), gapUs: 100 }));
}
