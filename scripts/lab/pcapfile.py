"""Raw frames and pcap files: checksums, header builders, and the edits the
recorders make to real captures (retiming, underlay encapsulation, 802.1Q
tags) when the recording kernel cannot make the traffic itself."""
import random
import socket
import struct


def csum(b):
    """RFC 1071 Internet checksum."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ipv4_header(src, dst, proto, payload_len, ident, ttl=64, df=True):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, ident & 0xFFFF, 0x4000 if df else 0, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def ipv6_header(src, dst, nxt, payload_len, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, payload_len, nxt, hlim,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))


def tcp_segment(src, dst, sport, dport, seq, ack, flags, window=0):
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    return t[:16] + struct.pack("!H", csum(pseudo + t)) + t[18:]


# ------------------------------------------------------------------ files
def read_pcap(path):
    """(linktype, [[time, frame, orig_len], ...]) of a little-endian pcap (tcpdump's)."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "little-endian pcap expected"
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack("<I", data[20:24])[0]
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        pkts.append([sec + frac / (1e9 if nano else 1e6), data[off + 16:off + 16 + incl], orig])
        off += 16 + incl
    return linktype, pkts


def write_pcap(path, linktype, pkts):
    """Microsecond pcap, frames in time order."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for t, frame, orig in sorted(pkts, key=lambda p: p[0]):
            us = int(round(t * 1e6))
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(frame), max(orig, len(frame))))
            f.write(frame)


def ip4_of(frame):
    """(src, dst, proto, l4 bytes) of an Ethernet/IPv4 frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 15) * 4
    return socket.inet_ntoa(frame[26:30]), socket.inet_ntoa(frame[30:34]), frame[23], frame[14 + ihl:]


def is_syn_from(frame, scanner):
    x = ip4_of(frame)
    return x is not None and x[0] == scanner and x[2] == 6 and len(x[3]) >= 14 and x[3][13] & 0x12 == 0x02


def is_echo_from(frame, scanner):
    x = ip4_of(frame)
    return x is not None and x[0] == scanner and x[2] == 1 and len(x[3]) >= 1 and x[3][0] == 8


# ------------------------------------------------------------------ retiming
def _retime_marked(inp, out, pred, starts):
    """Every frame matching pred opens a group; the group (it and what follows
    until the next one) moves so that its first frame is at starts(j, t0),
    the others keeping their real delays after it."""
    linktype, pkts = read_pcap(inp)
    group, base_old, base_new, t0 = -1, None, None, None
    for p in pkts:
        if pred(p[1]):
            group += 1
            if t0 is None:
                t0 = p[0]
            base_old, base_new = p[0], starts(group, t0)
        if base_old is not None:
            p[0] = base_new + (p[0] - base_old)
    write_pcap(out, linktype, pkts)
    return group + 1


def retime_slow(inp, out, scanner, seed, lo, hi):
    """SYN j from scanner at t0 + the sum of j gaps drawn uniformly from [lo, hi]."""
    rnd = random.Random(int(seed))
    offsets = [0.0]

    def starts(j, t0):
        while len(offsets) <= j:
            offsets.append(offsets[-1] + rnd.uniform(float(lo), float(hi)))
        return t0 + offsets[j]
    n = _retime_marked(inp, out, lambda f: is_syn_from(f, scanner), starts)
    return f"{n} probes spread over {offsets[-1] / 3600:.1f} h"


def retime_rounds(inp, out, scanner, n, period, spacing, what="echo"):
    """Group j (an echo request, or a SYN, from scanner and what follows it)
    moves to round j // n, slot j % n: t0 + period * round + spacing * slot."""
    n, period, spacing = int(n), float(period), float(spacing)
    pred = (lambda f: is_echo_from(f, scanner)) if what == "echo" else (lambda f: is_syn_from(f, scanner))
    g = _retime_marked(inp, out, pred, lambda j, t0: t0 + period * (j // n) + spacing * (j % n))
    return f"{g} {what} groups in {g // n} rounds of {n}"


# ------------------------------------------------------------------ encapsulation
UNDERLAY = {"a_ip": "198.18.100.1", "b_ip": "198.18.100.2", "a_mac": "02:00:c6:12:64:01", "b_mac": "02:00:c6:12:64:02",
            "a_ip6": "2001:db8:100::1", "b_ip6": "2001:db8:100::2"}


def flow_port(inner):
    """A UDP source port from the inner flow, as VXLAN/Geneve endpoints do (RFC 7348 5.)."""
    h = 0
    for b in inner[26:38] if len(inner) >= 38 else inner[:12]:
        h = (h * 31 + b) & 0xFFFFFFFF
    return 49152 + h % 16384


def encap(inp, out, kind, scanmac):
    """Wrap every frame of an inner Ethernet capture in an underlay
    encapsulation between 198.18.100.1 (the side of scanmac) and .2; a kind
    ending in -ip6 uses the IPv6 underlay 2001:db8:100::1 <-> ::2."""
    six = kind.endswith("-ip6")
    kind = kind[:-4] if six else kind
    linktype, pkts = read_pcap(inp)
    assert linktype == 1
    scanmac = mac_bytes(scanmac)
    a_mac, b_mac = mac_bytes(UNDERLAY["a_mac"]), mac_bytes(UNDERLAY["b_mac"])
    ident = {"a": 0x100, "b": 0x900}
    seq = {"a": 0, "b": 0}
    t_first = pkts[0][0] if pkts else 0
    res = []
    for t, frame, orig in pkts:
        side = "a" if frame[6:12] == scanmac else "b"
        other = "b" if side == "a" else "a"
        smac, dmac = (a_mac, b_mac) if side == "a" else (b_mac, a_mac)
        etype = frame[12:14]
        l3 = etype in (b"\x08\x00", b"\x86\xdd")
        if kind == "geneve":
            opt = struct.pack("!HBB", 0xFFF0, 0x01, 1) + struct.pack("!I", 0x5ca7)  # one 4-byte experimental option (RFC 8926 3.5)
            gen = struct.pack("!BBH", len(opt) // 4, 0, 0x6558) + struct.pack("!I", 77 << 8) + opt
            l4 = struct.pack("!HHHH", flow_port(frame), 6081, 8 + len(gen) + len(frame), 0) + gen + frame
            proto = 17
        elif kind in ("gre", "mpls"):
            if not l3:
                continue  # a layer-3 tunnel / label-switched path carries no ARP
            if kind == "mpls":
                ttl = frame[22] if etype == b"\x08\x00" else frame[21]
                label = struct.pack("!I", (100 << 12) | (1 << 8) | ttl)  # label 100, TC 0, bottom of stack
                res.append((t, dmac + smac + b"\x88\x47" + label + frame[14:], orig - 14 + 18))
                continue
            l4 = struct.pack("!HHI", 0x2000, struct.unpack("!H", etype)[0], 9) + frame[14:]  # K bit, key 9
            proto = 47
        elif kind == "gretap":
            l4 = struct.pack("!HHI", 0x2000, 0x6558, 9) + frame
            proto = 47
        elif kind == "erspan1":
            l4 = struct.pack("!HH", 0x0000, 0x88BE) + frame
            proto = 47
        elif kind == "erspan2":
            seq[side] += 1
            # ERSPAN type II: Ver=1 | VLAN | COS | En | T | Session ID 3 | Reserved | Index
            hdr = struct.pack("!HHI", 1 << 12, 3, 0)
            l4 = struct.pack("!HHI", 0x1000, 0x88BE, seq[side]) + hdr + frame
            proto = 47
        elif kind == "erspan3":
            seq[side] += 1
            ts = int((t - t_first) * 1e7) & 0xFFFFFFFF  # 100 ns units
            # ERSPAN type III: Ver=2 | VLAN | COS | BSO | T | Session ID | Timestamp | SGT | P | FT | Hw ID | D | Gra | O
            d = 0 if side == "a" else 1
            hdr = struct.pack("!HHIHH", 2 << 12, 3, ts, 0, (1 << 4) | (d << 3) | (1 << 1))
            l4 = struct.pack("!HHI", 0x1000, 0x22EB, seq[side]) + hdr + frame
            proto = 47
        else:
            raise SystemExit(f"unknown encapsulation {kind}")
        if six:
            s6, d6 = UNDERLAY[side + "_ip6"], UNDERLAY[other + "_ip6"]
            if proto == 17:  # a UDP checksum is mandatory over IPv6 (RFC 8200 8.1)
                pseudo = socket.inet_pton(socket.AF_INET6, s6) + socket.inet_pton(socket.AF_INET6, d6) + struct.pack("!IxxxB", len(l4), 17)
                c = csum(pseudo + l4) or 0xFFFF
                l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
            res.append((t, dmac + smac + b"\x86\xdd" + ipv6_header(s6, d6, proto, len(l4)) + l4, 14 + 40 + len(l4)))
            continue
        ident[side] += 1
        ip = ipv4_header(UNDERLAY[side + "_ip"], UNDERLAY[other + "_ip"], proto, len(l4), ident[side])
        res.append((t, dmac + smac + b"\x08\x00" + ip + l4, 14 + 20 + len(l4)))
    write_pcap(out, 1, res)
    return f"{len(res)} {kind} frames"


def vlan_merge(out, tagged):
    """Tag every frame of each (capture, vid) with an 802.1Q header (TPID
    0x8100, PCP 0) and merge them in time order: VLANs on one trunk."""
    res = []
    for path, vid in tagged:
        linktype, pkts = read_pcap(path)
        assert linktype == 1
        tag = b"\x81\x00" + struct.pack("!H", int(vid) & 0x0FFF)
        for t, frame, orig in pkts:
            res.append((t, frame[:12] + tag + frame[12:], orig + 4))
    write_pcap(out, 1, res)
    return f"{len(res)} tagged frames"
