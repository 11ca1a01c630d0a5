#!/usr/bin/env bash
# record-recon-fixtures.sh - record the issue-8 reconnaissance fixtures in
# test/pcaps/recon/ (fragments, SCTP/IP-protocol/idle/window scans, sweeps of
# live hosts, a day-long slow scan, tunnels, distributed and decoy scans,
# masscan --banners, crafted SYNs, deception, and busy benign hosts) from real
# tools (nmap, masscan, hping3, ping, Linux VXLAN, python sockets, scapy)
# running inside network namespaces this script creates and deletes again.
#
#   sudo bash scripts/record-recon-fixtures.sh               # record everything
#   sudo bash scripts/record-recon-fixtures.sh frag-nmap-f   # only these
#   bash scripts/record-recon-fixtures.sh --list             # scenario names
#
# Environment: OUT_DIR (default: <repo>/test/pcaps/recon).
#
# Every scenario builds its own lab: a hub namespace with a bridge whose MAC
# learning is off (ageing 0), so every frame is flooded to every port and to
# br0, where tcpdump captures: the view of a sensor on a span port of the
# segment. Scanner 198.18.0.1 (02:00:c6:12:00:01) and target 198.18.0.2
# (02:00:c6:12:00:02) are on it; the target routes the rest of 198.18.0.0/15
# (addresses on its lo answer, all others are blackholed: silently dropped).
# Only 198.18.0.0/15 and 2001:db8::/32 are used; netns-lib.sh enforces it.
#
# Where a kernel feature the traffic needs is missing (GRE, Geneve, ERSPAN,
# MPLS forwarding are not built into every kernel), the inner traffic is
# still a real scan recorded here and only the underlay encapsulation is
# written by the python helper; each expected.json says so in "description".
# Expected detections come from the commands run and the services started,
# never from scanwatch.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT_DIR:-$ROOT/test/pcaps/recon}
# shellcheck source=netns-lib.sh
source "$HERE/netns-lib.sh"

SCAN_MAC=02:00:c6:12:00:01
TGT_MAC=02:00:c6:12:00:02
ZOMBIE_MAC=02:00:c6:12:00:03
SCAN4=198.18.0.1
TGT4=198.18.0.2
ZOMBIE4=198.18.0.3
SCAN6=2001:db8::1
TGT6=2001:db8::2
IN_SCAN_MAC=02:00:c6:12:0a:01 # inner (overlay) addresses of the tunnel scenarios
IN_TGT_MAC=02:00:c6:12:0a:02
IN_SCAN4=198.18.10.1
IN_TGT4=198.18.10.2
SERVICES='{"tcp": [22, 80, 443, 6881, 8080], "udp": [53, 123, 161]}'

SCENARIOS=(
    frag-nmap-f frag-nmap-mtu8 frag-ipv6 frag-ipv6-answered frag-overlap frag-flood-scan
    nmap-sctp-init nmap-sctp-cookie nmap-sctp-init-answered nmap-sctp-cookie-answered nmap-ipproto nmap-idle nmap-window
    sweep-live-arp sweep-live-nd sweep-live-icmp sweep-live-syn sweep-live-ack sweep-live-udp benign-monitoring
    slow-day
    tunnel-vxlan tunnel-vxlan-8472 tunnel-geneve tunnel-gre tunnel-gretap
    tunnel-erspan1 tunnel-erspan2 tunnel-erspan3 tunnel-mpls tunnel-vxlan-ipv6 tunnel-ip6erspan tunnel-ip6gre
    tenants-overlap tenants-separate tenants-vlan-overlap tenants-vlan-separate
    distributed nmap-decoy
    masscan-banners syn-options zmap-all-open masscan-all-open
    darknet-one-probe darknet-ipv6-ping honeyport-one-probe
    benign-nat benign-resolver benign-p2p benign-after-scan benign-day-checks
)

die() { nl_die "$*"; }
say() { printf '%s\n' "$*"; }

if [[ ${1:-} == -l || ${1:-} == --list ]]; then
    printf '%s\n' "${SCENARIOS[@]}"
    exit 0
fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,14p' "$0"
    exit 0
fi
SELECTED=("$@")
((${#SELECTED[@]} > 0)) || SELECTED=("${SCENARIOS[@]}")
for s in "${SELECTED[@]}"; do
    printf '%s\n' "${SCENARIOS[@]}" | grep -qxF -- "$s" || die "unknown scenario '$s' (see --list)"
done

nl_require_root
nl_require_cmd ip iproute2
nl_require_cmd ss iproute2
nl_require_cmd tcpdump tcpdump
nl_require_cmd tshark tshark
nl_require_cmd capinfos wireshark-common
nl_require_cmd nmap nmap
nl_require_cmd masscan masscan
nl_require_cmd hping3 hping3
nl_require_cmd ping iputils-ping
nl_require_cmd ethtool ethtool
nl_require_cmd jq jq
nl_require_cmd zmap zmap
PY=/usr/bin/python3 # Debian's, for python3-scapy
[[ -x $PY ]] || die "/usr/bin/python3 not found - install it with: apt-get install -y python3"
$PY -c 'import scapy' 2>/dev/null || die "scapy not found - install it with: apt-get install -y python3-scapy"

mkdir -p "$OUT"
nl_install_trap
nl_tmpdir >/dev/null
TMP=$NL_TMPDIR
LOG=$TMP/logs
mkdir -p "$LOG"

# ---------------------------------------------------------------- lab helper (python)
cat >"$TMP/recon.py" <<'PYEOF'
"""scanwatch recon-fixture lab helper (written out by record-recon-fixtures.sh).

Modes:
  serve                      services for a target namespace (dual stack, all addresses)
  zombie IF IP MAC PEERS     idle-scan zombie: one global, incrementing IP ID
  frag6 IF DSTMAC SRC DST PORTS        IPv6 SYNs in 8-byte fragments (scapy)
  overlap4 IF DSTMAC SRC DST PORTS     IPv4 SYNs, clean 8-byte fragments, then overlapping ones
  synopts SRC DST PORTS      raw SYNs with Linux connect()'s option set (scapy)
  tls-client HOSTS PORT      connect, ClientHello-sized record, read reply, app data, close
  web-client HOSTS PORT      HTTP GET with a body read, one connection per host
  dns-client HOSTS           one A query to each host's port 53, answer read
  p2p-client HOSTS PORT      BitTorrent-like handshake with every peer that answers
  retime-slow IN OUT SCANNER SEED MIN MAX    probe i at start + sum of random gaps
  retime-rounds IN OUT SCANNER N PERIOD SPACING  echo j -> round j//N, slot j%N
  encap IN OUT KIND SCANMAC  wrap an inner Ethernet capture in an underlay encapsulation
  expected PATH JSON         write an expected.json (pretty, short lists on one line)
"""
import json
import os
import random
import re
import socket
import socketserver
import struct
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor


# ------------------------------------------------------------------ services
class DualStack:
    address_family = socket.AF_INET6
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 512

    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


class TCPServer(DualStack, socketserver.ThreadingTCPServer):
    pass


def blob(tag, size):
    return (tag * (size // len(tag) + 1))[:size]


def drain(s):
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass


class SSH(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(5)
        try:
            s.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
            if s.recv(4096):
                s.sendall(struct.pack("!IB", 300, 6) + b"\x14" + blob(b"curve25519-sha256,", 298))
            drain(s)
        except OSError:
            pass


class HTTP(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(5)
        try:
            req = b""
            while b"\r\n\r\n" not in req:
                d = s.recv(4096)
                if not d:
                    return
                req += d
            body = blob(b"<p>scanwatch lab page</p>\n", 1200)
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)
        except OSError:
            pass


class TLS(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(5)
        try:
            if s.recv(4096):
                body = blob(b"lab-server-hello/", 600)
                s.sendall(b"\x16\x03\x03" + struct.pack("!H", len(body)) + body)
                if s.recv(4096):
                    s.sendall(b"\x17\x03\x03" + struct.pack("!H", 400) + blob(b"app-data/", 400))
            drain(s)
        except OSError:
            pass


BT_HANDSHAKE = b"\x13BitTorrent protocol" + b"\0" * 8 + blob(b"infohash-lab!", 20) + blob(b"-LB0001-peer", 20)


class Peer(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(5)
        try:
            if s.recv(68):
                s.sendall(BT_HANDSHAKE + struct.pack("!IB", 1, 5) + b"\xff" * 0 + struct.pack("!IB", 1, 1))
                s.recv(4096)
            drain(s)
        except OSError:
            pass


def dns_reply(q):
    if len(q) < 12:
        return None
    tid, flags, qd = struct.unpack("!HHH", q[:6])
    if flags & 0x8000:
        return None
    i = 12
    while i < len(q) and q[i]:
        i += 1 + q[i]
    i += 1
    if qd != 1 or i + 4 > len(q):
        return struct.pack("!6H", tid, 0x8081, 0, 0, 0, 0)
    question = q[12:i + 4]
    ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton("198.18.1.1")
    return struct.pack("!6H", tid, 0x8580, 1, 1, 0, 0) + question + ans


def ntp_reply(q):
    now = time.time() + 2208988800
    sec, frac = int(now), int((now - int(now)) * 2**32)
    return struct.pack("!BBbb", (4 << 3) | 4, 2, 6, -20) + b"\0" * 8 + b"LAB\0" + struct.pack("!II", sec, frac) + \
        (q[40:48] if len(q) >= 48 else b"\0" * 8) + struct.pack("!IIII", sec, frac, sec, frac)


def snmp_reply(q):
    for i, b in enumerate(q):
        if i > 0 and q[0] == 0x30 and b in (0xA0, 0xA1):
            return q[:i] + b"\xa2" + q[i + 1:]
    return None


def udp_serve(port, func):
    # One dual-stack socket on the wildcard address, but every answer leaves from the
    # address the query was sent to, as a multi-homed server must (BIND binds each
    # address, Unbound's interface-automatic uses PKTINFO): the target answers for
    # hundreds of /32s on its lo, and a plain sendto() from a wildcard socket would let
    # the kernel pick the route's source (198.18.0.2) for all of them. IPV6_RECVPKTINFO
    # also reports IPv4 queries (as ::ffff:a.b.c.d) and IPV6_PKTINFO with such a
    # mapped source is honoured for IPv4 replies (RFC 3542 section 6; Linux ip_cmsg_send).
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
    s.bind(("::", port))
    space = socket.CMSG_SPACE(20)
    while True:
        data, anc, _flags, peer = s.recvmsg(65535, space)
        r = func(data)
        if not r:
            continue
        dst = next((d[:16] for lvl, typ, d in anc
                    if lvl == socket.IPPROTO_IPV6 and typ == socket.IPV6_PKTINFO), None)
        if dst is None:
            raise SystemExit(f"udp/{port}: no IPV6_PKTINFO with a query")
        s.sendmsg([r], [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, dst + struct.pack("=I", 0))], 0, peer)


def serve():
    servers = [TCPServer(("::", 22), SSH), TCPServer(("::", 80), HTTP), TCPServer(("::", 443), TLS),
               TCPServer(("::", 8080), HTTP), TCPServer(("::", 6881), Peer)]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    for p, f in ((53, dns_reply), (123, ntp_reply), (161, snmp_reply)):
        threading.Thread(target=udp_serve, args=(p, f), daemon=True).start()
    print("recon lab services ready", flush=True)
    while True:
        time.sleep(3600)


# ------------------------------------------------------------------ checksums / raw frames
def csum(b):
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


def tcp_segment(src, dst, sport, dport, seq, ack, flags, window=0):
    t = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, window, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(t))
    return t[:16] + struct.pack("!H", csum(pseudo + t)) + t[18:]


def zombie(ifname, ip, mac, peers):
    """An idle-scan zombie: answers every packet it gets with one global IP ID
    counter that goes up by one per packet sent (what nmap -sI needs; Linux
    uses per-destination IDs, so a Linux host is a poor zombie)."""
    peer_mac = {}
    for kv in peers.split(","):
        a, m = kv.split("=")
        peer_mac[a] = mac_bytes(m)
    my_mac, my_ip = mac_bytes(mac), socket.inet_aton(ip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
    s.bind((ifname, 0))
    ident = 0x1000
    print("zombie ready", flush=True)
    while True:
        f, addr = s.recvfrom(65535)
        if addr[2] == socket.PACKET_OUTGOING or len(f) < 34:
            continue
        etype = struct.unpack("!H", f[12:14])[0]
        if etype == 0x0806 and f[21] == 1 and f[38:42] == my_ip:  # ARP who-has our address
            reply = f[6:12] + my_mac + b"\x08\x06" + f[14:20] + b"\x00\x02" + my_mac + my_ip + f[22:28] + f[28:32]
            s.send(reply)
            continue
        if etype != 0x0800 or f[30:34] != my_ip:
            continue
        ihl = (f[14] & 15) * 4
        proto = f[23]
        src = socket.inet_ntoa(f[26:30])
        if src not in peer_mac:
            continue
        l4 = f[14 + ihl:]
        out = None
        if proto == 6 and len(l4) >= 20:
            sport, dport, seq, ack, _, flags = struct.unpack("!HHIIBB", l4[:14])
            if flags & 0x04:
                continue  # never answer a RST
            if flags & 0x12 == 0x12 or flags & 0x10:  # unsolicited SYN/ACK or ACK: RST
                out = (6, tcp_segment(ip, src, dport, sport, ack, 0, 0x04))
            elif flags & 0x02:  # SYN to a closed port: RST/ACK
                out = (6, tcp_segment(ip, src, dport, sport, 0, (seq + 1) & 0xFFFFFFFF, 0x14))
        elif proto == 1 and len(l4) >= 8 and l4[0] == 8:
            body = b"\x00\x00\x00\x00" + l4[4:]
            out = (1, body[:2] + struct.pack("!H", csum(body)) + body[4:])
        if out is None:
            continue
        ident = (ident + 1) & 0xFFFF
        p, payload = out
        s.send(peer_mac[src] + my_mac + b"\x08\x00" + ipv4_header(ip, src, p, len(payload), ident, df=False) + payload)


# ------------------------------------------------------------------ crafted probes (scapy)
def sctp_responder(open_ports):
    """Answers SCTP as a kernel with SCTP would (RFC 9260), for a recording
    kernel that has none: a raw IPPROTO_SCTP socket also stops the kernel's
    ICMP protocol unreachable. INIT to an open port: INIT ACK with a state
    cookie; INIT to a closed port: ABORT (vtag = the INIT's initiate tag);
    COOKIE ECHO to a closed port: ABORT with the T bit (out of the blue,
    section 8.4); COOKIE ECHO with a cookie we never issued to an open port:
    silently discarded, as Linux does."""
    from scapy.all import SCTP, SCTPChunkInitAck, SCTPChunkAbort, SCTPChunkParamStateCookie
    open_ports = set(open_ports)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 132)
    rnd = random.Random(132)
    print("sctp responder ready", flush=True)
    while True:
        pkt, addr = s.recvfrom(65535)
        ihl = (pkt[0] & 15) * 4
        sc = pkt[ihl:]
        if len(sc) < 16:
            continue
        sport, dport, vtag = struct.unpack("!HHI", sc[:8])
        ctype = sc[12]
        reply = None
        if ctype == 1 and len(sc) >= 20:  # INIT
            itag = struct.unpack("!I", sc[16:20])[0]
            if dport in open_ports:
                reply = SCTP(sport=dport, dport=sport, tag=itag) / SCTPChunkInitAck(
                    init_tag=rnd.randrange(1, 1 << 32), a_rwnd=106496, n_out_streams=10, n_in_streams=10,
                    init_tsn=rnd.randrange(1 << 32), params=[SCTPChunkParamStateCookie(cookie=blob(b"lab-cookie/", 32))])
            else:
                reply = SCTP(sport=dport, dport=sport, tag=itag) / SCTPChunkAbort()
        elif ctype == 10 and dport not in open_ports:  # COOKIE ECHO, out of the blue
            reply = SCTP(sport=dport, dport=sport, tag=vtag) / SCTPChunkAbort(TCB=1)
        if reply is not None:
            s.sendto(bytes(reply), (addr[0], 0))


def fragflood(ifname, dstmac, srcmac, dst, count):
    """First fragments that never complete (8 bytes of TCP, MF set), each from
    its own spoofed 198.19.x.y source with its own ID: a reassembly-memory
    flood. Paced to last about two seconds so a real scan runs through it."""
    rnd = random.Random(1)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    head = mac_bytes(dstmac) + mac_bytes(srcmac) + b"\x08\x00"
    count = int(count)
    for i in range(count):
        src = "198.19.%d.%d" % (rnd.randrange(256), rnd.randrange(1, 255))
        tcp8 = struct.pack("!HHI", rnd.randrange(1024, 65536), rnd.randrange(1, 65536), rnd.randrange(1 << 32))
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 28, rnd.randrange(65536), 0x2000, 64, 6, 0,
                        socket.inet_aton(src), socket.inet_aton(dst))
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        s.send(head + h + tcp8)
        if i % 200 == 199:
            time.sleep(0.02)
    print(f"sent {count} incomplete first fragments")


def frag6(ifname, dstmac, src, dst, ports, kind):
    """IPv6 SYNs in fragments. tiny: 8 bytes of TCP per fragment (nmap -f
    style; the first fragment lacks the flags, which RFC 7112 forbids and
    Linux rejects with Parameter Problem). rfc7112: a 32-byte TCP header
    (MSS, SACK-permitted, window scale) split 24 + 8, so the first fragment
    holds the whole fixed header and Linux reassembles and answers."""
    from scapy.all import Ether, IPv6, IPv6ExtHdrFragment, TCP, fragment6, sendp
    frames = []
    for i, p in enumerate(ports):
        if kind == "tiny":
            opts, size = [("MSS", 1440)], 56
        else:
            opts, size = [("MSS", 1440), ("NOP", None), ("NOP", None), ("SAckOK", b""), ("NOP", None), ("WScale", 7)], 72
        pkt = IPv6(src=src, dst=dst, hlim=64) / IPv6ExtHdrFragment(id=0x5000 + i) / \
            TCP(sport=40000 + (i % 2), dport=p, flags="S", window=1024, seq=0x1d2c3b4a, options=opts)
        for fr in fragment6(pkt, size):
            frames.append(Ether(dst=dstmac) / fr)
    for f in frames:
        sendp(f, iface=ifname, verbose=False)
        time.sleep(0.002)
    print(f"sent {len(frames)} IPv6 fragments for {len(ports)} SYNs")


def overlap4(ifname, dstmac, src, dst, ports):
    from scapy.all import Ether, IP, TCP, Raw, sendp
    frames = []
    ident = 0x3100

    def tcp_bytes(p, window):
        seg = TCP(sport=41000, dport=p, flags="S", window=window, seq=0x2a3b4c5d)
        return bytes(IP(src=src, dst=dst) / seg)[20:]

    for p in ports:  # clean: three fragments of 8, 8 and 4 bytes (nmap -f style)
        t = tcp_bytes(p, 1024)
        ident += 1
        for off in range(0, 20, 8):
            mf = "MF" if off + 8 < 20 else 0
            frames.append(Ether(dst=dstmac) / IP(src=src, dst=dst, id=ident, flags=mf, frag=off // 8, proto=6, ttl=64) / Raw(t[off:off + 8]))
    for k, p in enumerate(ports):  # overlapping: [0,16) then [8,20): bytes 8..15 sent twice
        a = tcp_bytes(p, 1024)
        b = a if k % 2 == 0 else tcp_bytes(p, 65535)  # odd ones disagree in the window field
        ident += 1
        frames.append(Ether(dst=dstmac) / IP(src=src, dst=dst, id=ident, flags="MF", frag=0, proto=6, ttl=64) / Raw(a[0:16]))
        frames.append(Ether(dst=dstmac) / IP(src=src, dst=dst, id=ident, flags=0, frag=1, proto=6, ttl=64) / Raw(b[8:20]))
    for f in frames:
        sendp(f, iface=ifname, verbose=False)
        time.sleep(0.002)
    print(f"sent {len(frames)} IPv4 fragments")


def synopts(src, dst, ports):
    from scapy.all import IP, TCP, send
    rnd = random.Random(8)
    pkts = []
    for p in ports:
        ts = rnd.randrange(1 << 31)
        pkts.append(IP(src=src, dst=dst, ttl=64) / TCP(
            sport=rnd.randrange(32768, 60999), dport=p, flags="S", window=64240, seq=rnd.randrange(1 << 32),
            options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (ts, 0)), ("NOP", None), ("WScale", 7)]))
    for pk in pkts:
        send(pk, verbose=False)
        time.sleep(0.003)
    print(f"sent {len(pkts)} SYNs with Linux connect() options")


# ------------------------------------------------------------------ benign clients
def hosts_of(path):
    with open(path) as f:
        return [h.strip() for h in f if h.strip()]


def tls_client(path, port):
    ok = 0
    for h in hosts_of(path):
        try:
            with socket.create_connection((h, port), timeout=3) as s:
                hello = blob(b"lab-client-hello/", 512)
                s.sendall(b"\x16\x03\x01" + struct.pack("!H", len(hello)) + hello)
                s.recv(4096)
                s.sendall(b"\x17\x03\x03" + struct.pack("!H", 200) + blob(b"GET / over tls/", 200))
                s.recv(4096)
                ok += 1
        except OSError as e:
            print(f"{h}: {e}")
    print(f"{ok} TLS-like sessions completed")
    return ok


def web_client(path, port):
    ok = 0
    for h in hosts_of(path):
        try:
            with socket.create_connection((h, port), timeout=3) as s:
                s.sendall(b"GET /index.html HTTP/1.1\r\nHost: %s\r\nUser-Agent: lab-browser/1.0\r\nAccept: */*\r\n\r\n" % h.encode())
                got = b""
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    got += d
                if got.startswith(b"HTTP/1.1 200"):
                    ok += 1
        except OSError as e:
            print(f"{h}: {e}")
    print(f"{ok} HTTP fetches completed")
    return ok


def checks(host, rounds):
    """What a monitoring agent does each round: SSH banner, HTTP GET, TLS
    hello, and a check of a database port that is down (refused)."""
    for r in range(rounds):
        with socket.create_connection((host, 22), timeout=3) as c:
            c.recv(256)
            c.sendall(b"SSH-2.0-check_ssh\r\n")
        with socket.create_connection((host, 80), timeout=3) as c:
            c.sendall(b"GET /health HTTP/1.1\r\nHost: lab\r\nUser-Agent: check_http\r\n\r\n")
            while c.recv(4096):
                pass
        with socket.create_connection((host, 443), timeout=3) as c:
            hello = blob(b"check-tls-hello/", 300)
            c.sendall(b"\x16\x03\x01" + struct.pack("!H", len(hello)) + hello)
            c.recv(4096)
        try:
            socket.create_connection((host, 5432), timeout=3).close()
            raise SystemExit("5432 unexpectedly open")
        except ConnectionRefusedError:
            pass
        time.sleep(0.5)
    print(f"{rounds} rounds of 4 checks")


def dns_client(path):
    ok = 0
    rnd = random.Random(53)
    for h in hosts_of(path):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        qname = b"".join(bytes([len(x)]) + x for x in (b"ns%d" % rnd.randrange(1000), b"lab", b"test")) + b"\0"
        q = struct.pack("!6H", rnd.randrange(65536), 0x0000, 1, 0, 0, 0) + qname + struct.pack("!HH", 1, 1)
        try:
            s.sendto(q, (h, 53))
            a, peer = s.recvfrom(4096)
            # A resolver accepts an answer only from the address and port it asked
            # (RFC 5452 section 9.1), with the query's id.
            if peer[:2] != (h, 53) or a[:2] != q[:2]:
                print(f"{h}: answer from {peer[0]}:{peer[1]} id {a[:2].hex()}, not the server asked")
                continue
            ok += 1
        except OSError as e:
            print(f"{h}: {e}")
        finally:
            s.close()
    print(f"{ok} DNS answers")
    return ok


def p2p_client(path, port):
    hosts = hosts_of(path)

    def one(h):
        try:
            with socket.create_connection((h, port), timeout=2.5) as s:
                s.sendall(BT_HANDSHAKE)
                s.recv(4096)
                s.sendall(struct.pack("!IB", 1, 2))  # interested
                s.sendall(struct.pack("!IBIII", 13, 6, 0, 0, 16384))  # request a block
                s.recv(4096)
                return 1
        except OSError:
            return 0
    with ThreadPoolExecutor(8) as ex:
        n = sum(ex.map(one, hosts))
    print(f"{n} of {len(hosts)} peers answered")
    return n


# ------------------------------------------------------------------ pcap files
def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), "little-endian pcap expected"
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack("<I", data[20:24])[0]
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        t = sec + frac / (1e9 if nano else 1e6)
        pkts.append([t, data[off + 16:off + 16 + incl], orig])
        off += 16 + incl
    return linktype, pkts


def write_pcap(path, linktype, pkts):
    pkts = sorted(pkts, key=lambda p: p[0])
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, linktype))
        for t, frame, orig in pkts:
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


def retime_slow(inp, out, scanner, seed, lo, hi):
    rnd = random.Random(int(seed))
    offsets = [0.0]

    def starts(j, t0):
        while len(offsets) <= j:
            offsets.append(offsets[-1] + rnd.uniform(float(lo), float(hi)))
        return t0 + offsets[j]
    n = _retime_marked(inp, out, lambda f: is_syn_from(f, scanner), starts)
    print(f"{n} probes spread over {offsets[-1] / 3600:.1f} h")


def _retime_marked(inp, out, pred, starts):
    linktype, pkts = read_pcap(inp)
    for p in pkts:
        p.append(pred(p[1]))
    tmpdata = pkts
    group, base_old, base_new, t0 = -1, None, None, None
    for p in tmpdata:
        if p[3]:
            group += 1
            if t0 is None:
                t0 = p[0]
            base_old, base_new = p[0], starts(group, t0)
        if base_old is not None:
            p[0] = base_new + (p[0] - base_old)
    write_pcap(out, linktype, [(p[0], p[1], p[2]) for p in tmpdata])
    return group + 1


def retime_rounds(inp, out, scanner, n, period, spacing, what="echo"):
    """Group j (an echo request, or a SYN, from SCANNER and what follows it)
    moves to round j // N, slot j % N: t0 + PERIOD * round + SPACING * slot."""
    n, period, spacing = int(n), float(period), float(spacing)
    pred = (lambda f: is_echo_from(f, scanner)) if what == "echo" else (lambda f: is_syn_from(f, scanner))
    g = _retime_marked(inp, out, pred, lambda j, t0: t0 + period * (j // n) + spacing * (j % n))
    print(f"{g} {what} groups in {g // n} rounds of {n}")


# ------------------------------------------------------------------ encapsulation
UNDERLAY = {"a_ip": "198.18.100.1", "b_ip": "198.18.100.2", "a_mac": "02:00:c6:12:64:01", "b_mac": "02:00:c6:12:64:02"}


def flow_port(inner):
    """A UDP source port from the inner flow, as VXLAN/Geneve endpoints do (RFC 7348 5.)."""
    h = 0
    for b in inner[26:38] if len(inner) >= 38 else inner[:12]:
        h = (h * 31 + b) & 0xFFFFFFFF
    return 49152 + h % 16384


def ipv6_header(src, dst, nxt, payload_len, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, payload_len, nxt, hlim,
                       socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst))


def encap(inp, out, kind, scanmac):
    six = kind.endswith("-ip6")  # same encapsulation over an IPv6 underlay (ip6erspan, ip6gre)
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
        src_ip, dst_ip = (UNDERLAY["a_ip"], UNDERLAY["b_ip"]) if side == "a" else (UNDERLAY["b_ip"], UNDERLAY["a_ip"])
        smac, dmac = (a_mac, b_mac) if side == "a" else (b_mac, a_mac)
        etype = frame[12:14]
        l3 = etype in (b"\x08\x00", b"\x86\xdd")
        if kind == "geneve":
            opt = struct.pack("!HBB", 0xFFF0, 0x01, 1) + struct.pack("!I", 0x5ca7)  # one 4-byte experimental option (RFC 8926 3.5)
            gen = struct.pack("!BBH", len(opt) // 4, 0, 0x6558) + struct.pack("!I", 77 << 8) + opt
            udp_payload = gen + frame
            l4 = struct.pack("!HHHH", flow_port(frame), 6081, 8 + len(udp_payload), 0) + udp_payload
            proto = 17
        elif kind in ("gre", "mpls"):
            if not l3:
                continue  # a layer-3 tunnel / label-switched path carries no ARP
            if kind == "mpls":
                ttl = frame[22] if etype == b"\x08\x00" else frame[21]
                label = struct.pack("!I", (100 << 12) | (0 << 9) | (1 << 8) | ttl)
                res.append((t, dmac + smac + b"\x88\x47" + label + frame[14:], orig - 14 + 18))
                continue
            l4 = struct.pack("!HHI", 0x2000, struct.unpack("!H", etype)[0], 9) + frame[14:]
            proto = 47
        elif kind == "gretap":
            l4 = struct.pack("!HHI", 0x2000, 0x6558, 9) + frame
            proto = 47
        elif kind == "erspan1":
            l4 = struct.pack("!HH", 0x0000, 0x88BE) + frame
            proto = 47
        elif kind == "erspan2":
            seq[side] += 1
            # ERSPAN type II: Ver=1 | VLAN | COS | En | T | Session ID | Reserved | Index
            hdr = struct.pack("!HHI", (1 << 12) | 0, (0 << 13) | (0 << 11) | (0 << 10) | 3, 0)
            l4 = struct.pack("!HHI", 0x1000, 0x88BE, seq[side]) + hdr + frame
            proto = 47
        elif kind == "erspan3":
            seq[side] += 1
            ts = int((t - t_first) * 1e7) & 0xFFFFFFFF  # 100 ns units
            # ERSPAN type III: Ver=2 | VLAN | COS | BSO | T | Session ID | Timestamp | SGT | P | FT | Hw ID | D | Gra | O
            d = 0 if side == "a" else 1
            hdr = struct.pack("!HHIHH", (2 << 12) | 0, 3, ts, 0, (0 << 15) | (0 << 10) | (1 << 4) | (d << 3) | (1 << 1) | 0)
            l4 = struct.pack("!HHI", 0x1000, 0x22EB, seq[side]) + hdr + frame
            proto = 47
        else:
            raise SystemExit(f"unknown encapsulation {kind}")
        if six:
            s6, d6 = ("2001:db8:100::1", "2001:db8:100::2") if side == "a" else ("2001:db8:100::2", "2001:db8:100::1")
            if proto == 17:  # a UDP checksum is mandatory over IPv6 (RFC 8200 8.1)
                pseudo = socket.inet_pton(socket.AF_INET6, s6) + socket.inet_pton(socket.AF_INET6, d6) + struct.pack("!IxxxB", len(l4), 17)
                c = csum(pseudo + l4) or 0xFFFF
                l4 = l4[:6] + struct.pack("!H", c) + l4[8:]
            ip = ipv6_header(s6, d6, proto, len(l4))
            res.append((t, dmac + smac + b"\x86\xdd" + ip + l4, 14 + 40 + len(l4)))
            continue
        ident[side] += 1
        ip = ipv4_header(src_ip, dst_ip, proto, len(l4), ident[side])
        res.append((t, dmac + smac + b"\x08\x00" + ip + l4, 14 + 20 + len(l4)))
    write_pcap(out, 1, res)
    print(f"{len(res)} {kind} frames")


def vlan_merge(out, *pairs):
    """Tag every frame of each inner capture with an 802.1Q header (TPID
    0x8100, PCP 0, VID) and merge them in time order: two VLANs on one trunk."""
    res = []
    for i in range(0, len(pairs), 2):
        linktype, pkts = read_pcap(pairs[i])
        assert linktype == 1
        tag = b"\x81\x00" + struct.pack("!H", int(pairs[i + 1]) & 0x0FFF)
        for t, frame, orig in pkts:
            res.append((t, frame[:12] + tag + frame[12:], orig + 4))
    write_pcap(out, 1, res)
    print(f"{len(res)} tagged frames")


# ------------------------------------------------------------------ expected.json
def expected(path, doc):
    doc = json.loads(doc)
    text = json.dumps(doc, indent=2)
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


def ports_arg(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        else:
            out.append(int(part))
    return out


if __name__ == "__main__":
    mode, a = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve()
    elif mode == "zombie":
        zombie(*a)
    elif mode == "sctp-responder":
        sctp_responder(ports_arg(a[0]))
    elif mode == "fragflood":
        fragflood(*a)
    elif mode == "frag6":
        frag6(a[0], a[1], a[2], a[3], ports_arg(a[4]), a[5])
    elif mode == "overlap4":
        overlap4(a[0], a[1], a[2], a[3], ports_arg(a[4]))
    elif mode == "synopts":
        synopts(a[0], a[1], ports_arg(a[2]))
    elif mode == "tls-client":
        sys.exit(0 if tls_client(a[0], int(a[1])) == len(hosts_of(a[0])) else 1)
    elif mode == "web-client":
        sys.exit(0 if web_client(a[0], int(a[1])) == len(hosts_of(a[0])) else 1)
    elif mode == "checks":
        checks(a[0], int(a[1]))
    elif mode == "dns-client":
        sys.exit(0 if dns_client(a[0]) == len(hosts_of(a[0])) else 1)
    elif mode == "p2p-client":
        p2p_client(a[0], int(a[1]))
    elif mode == "retime-slow":
        retime_slow(*a)
    elif mode == "retime-rounds":
        retime_rounds(*a)
    elif mode == "vlan-merge":
        vlan_merge(*a)
    elif mode == "encap":
        encap(*a)
    elif mode == "expected":
        expected(a[0], a[1])
    else:
        raise SystemExit(f"unknown mode {mode}")
PYEOF

# ---------------------------------------------------------------- lab
SEQ=0
LAB_NS=() # namespaces of the current scenario's lab
HUB=""
S="" T="" Z=""
PORTN=0

# hub_up: the segment. Bridge without MAC learning = a hub: br0 sees every frame.
hub_up() {
    SEQ=$((SEQ + 1))
    HUB="rrh$SEQ-$$"
    nl_ns_add "$HUB"
    LAB_NS=("$HUB")
    PORTN=0
    ip -n "$HUB" link add br0 type bridge ageing_time 0 stp_state 0
    ip -n "$HUB" link set br0 up
}

# hub_join NS IF MAC: create NS (unless it exists) and plug IF into the hub.
hub_join() {
    local ns=$1 dev=$2 mac=$3
    nl_is_lab_ns "$ns" || {
        nl_ns_add "$ns"
        LAB_NS+=("$ns")
    }
    PORTN=$((PORTN + 1))
    nl_veth "$ns" "$dev" "$mac" "$HUB" "p$PORTN" ""
    ip -n "$HUB" link set "p$PORTN" master br0
    nl_offload_off "$ns" "$dev"
    nl_offload_off "$HUB" "p$PORTN"
}

# lab_std: hub + scanner + target (services running), permanent neighbours.
lab_std() {
    hub_up
    S="rrs$SEQ-$$"
    T="rrt$SEQ-$$"
    hub_join "$S" scan0 "$SCAN_MAC"
    hub_join "$T" tgt0 "$TGT_MAC"
    nl_addr "$S" scan0 "$SCAN4/24" "$SCAN6/64"
    nl_addr "$T" tgt0 "$TGT4/24" "$TGT6/64"
    nl_neigh "$S" scan0 "$TGT4" "$TGT_MAC"
    nl_neigh "$S" scan0 "$TGT6" "$TGT_MAC"
    nl_neigh "$T" tgt0 "$SCAN4" "$SCAN_MAC"
    nl_neigh "$T" tgt0 "$SCAN6" "$SCAN_MAC"
    nl_route "$S" 198.18.0.0/15 via "$TGT4"
    nl_route "$S" 2001:db8::/32 via "$TGT6"
    nl_route "$T" blackhole 198.18.0.0/15
    nl_route "$T" blackhole 2001:db8::/32
    tgt_common "$T"
}

# tgt_common NS: ICMP errors without rate limits, services on every address.
tgt_common() {
    nl_sysctl "$1" net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000 \
        net.ipv4.icmp_msgs_burst=100000 net.ipv6.icmp.ratelimit=0
    nl_bg "$1" "$LOG/services-$1.log" "$PY" "$TMP/recon.py" serve
    nl_wait_listen "$1" tcp 6881
    nl_wait_listen "$1" udp 161
}

# lo_addrs NS PREFIX FIRST LAST: /32 addresses PREFIX.FIRST..LAST on lo.
lo_addrs() {
    local ns=$1 p=$2 i a=()
    for ((i = $3; i <= $4; i++)); do a+=("$p.$i/32"); done
    nl_addr "$ns" lo "${a[@]}"
}

lab_down() {
    local ns
    for ns in "${LAB_NS[@]}"; do nl_ns_del "$ns"; done
    LAB_NS=()
}

# ---------------------------------------------------------------- capture + expected
CUR="" CAP=""
cap_begin() { # NAME [NS IF]
    CUR=$1
    CAP="$TMP/$CUR.pcap"
    sleep 2 # let the new interfaces finish their IPv6 MLD/DAD chatter first
    nl_capture_start "${2:-$HUB}" "${3:-br0}" "$CAP"
}
cap_end() { nl_capture_stop "${1:-2}"; }

run() { # NS CMD... (output to the scenario log)
    local ns=$1
    shift
    say "  [$ns] $*"
    nl_lab_exec "$ns" "$@" >>"$LOG/$CUR.log" 2>&1 || {
        tail -5 "$LOG/$CUR.log" >&2
        die "$CUR: '$*' failed"
    }
}

run_any() { # NS CMD...: as run, but the exit status does not matter (hping3
    # exits 1 when nothing answers, which is the point of a dark-net probe)
    local ns=$1
    shift
    say "  [$ns] $*"
    nl_lab_exec "$ns" "$@" >>"$LOG/$CUR.log" 2>&1 || true
}

tcount() { tshark -r "${2:-$CAP}" -Y "$1" 2>/dev/null | wc -l; }
keep_failed() { [[ -f ${CAP:-} ]] && cp "$CAP" "$OUT/.$CUR.pcap.failed"; }
expect_ge() { # LABEL GOT MIN
    (($2 >= $3)) || { keep_failed; die "$CUR: check failed: $1: $2 < $3 (capture kept as $OUT/.$CUR.pcap.failed)"; }
    say "  check: $1 = $2 (>= $3)"
}
expect_eq() {
    (($2 == $3)) || { keep_failed; die "$CUR: check failed: $1: $2 != $3 (capture kept as $OUT/.$CUR.pcap.failed)"; }
    say "  check: $1 = $2"
}

# det SRC TYPE PATTERN TOOL TARGETS PORTS OPEN [EXTRA-JSON]
det() {
    local tool=null
    [[ $4 != null ]] && tool="\"$4\""
    printf '{"src":"%s","type":"%s","pattern":"%s","tool":%s,"targets":%s,"ports":%s,"open_ports":%s%s}' \
        "$1" "$2" "$3" "$tool" "$5" "$6" "$7" "${8:+,$8}"
}
jstrs() { # a b c -> ["a","b","c"]
    local s="" x
    for x in "$@"; do s+="${s:+,}\"$x\""; done
    printf '[%s]' "$s"
}

# publish DESCRIPTION COMMAND DETECTIONS-JSON [OPTIONS-JSON] [PCAP]: copy the
# capture to $OUT and write NAME.expected.json.
publish() {
    local desc=$1 cmd=$2 dets=$3 opts=${4:-} pcap=${5:-$CAP} doc n
    cp "$pcap" "$OUT/$CUR.pcap"
    n=$(capinfos -c -M "$OUT/$CUR.pcap" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    doc=$(jq -n --arg name "$CUR" --arg d "$desc" --arg c "$cmd" --argjson det "$dets" --argjson svc "$SERVICES" \
        --arg opts "$opts" \
        '{name:$name, description:$d, command:$c, target_services:$svc, detections:$det}
         + (if $opts == "" then {} else {options: ($opts|fromjson)} end)')
    "$PY" "$TMP/recon.py" expected "$OUT/$CUR.expected.json" "$doc"
    say "  wrote $CUR.pcap ($n packets, $(stat -c %s "$OUT/$CUR.pcap") bytes) + $CUR.expected.json"
}

# ---------------------------------------------------------------- 1 fragments
nmap_frag() { # NAME FRAGOPT...
    local name=$1
    shift
    lab_std
    local cmd=(nmap -n -Pn -sS "$@" -p 1-200 "$TGT4")
    cap_begin "$name"
    run "$S" "${cmd[@]}"
    cap_end
    expect_ge "IPv4 fragments with MF set" "$(tcount 'ip.flags.mf == 1 && ip.src == 198.18.0.1')" 200
    expect_ge "SYN-ACKs from 22 and 80" "$(tcount 'tcp.flags == 0x012 && ip.src == 198.18.0.2')" 2
    publish "nmap SYN scan of ports 1-200 of $TGT4 from $SCAN4 with nmap's own IPv4 fragmentation ($*): the TCP header is split over several fragments, the flags are in a later fragment than the ports. The target's kernel reassembles and answers (open 22, 80; the rest RST/ACK)." \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical nmap 1 200 '[22,80]')]"
    lab_down
}
sc_frag_nmap_f() { nmap_frag frag-nmap-f -f; }
sc_frag_nmap_mtu8() { nmap_frag frag-nmap-mtu8 --mtu 8; }

frag6_scenario() { # NAME KIND MIN-FRAGMENTS OPEN DESC
    local name=$1 kind=$2 minfrag=$3 open=$4 desc=$5
    lab_std
    CUR=$name
    # nmap 7.93 quits on "-6 -f": "fragmentation [is] not supported with IPv6"
    nl_lab_exec "$S" nmap -6 -n -Pn -sS -f -p 1 "$TGT6" >"$LOG/$name-nmap.log" 2>&1 || true
    grep -q 'not supported with IPv6' "$LOG/$name-nmap.log" || say "  note: this nmap may support -6 -f now; the fixture still uses scapy"
    local cmd=("$PY" "$TMP/recon.py" frag6 scan0 "$TGT_MAC" "$SCAN6" "$TGT6" 1-100 "$kind")
    cap_begin "$name"
    run "$S" "${cmd[@]}"
    cap_end
    expect_ge "IPv6 fragments" "$(tcount 'ipv6.nxt == 44 && ipv6.src == 2001:db8::1')" "$minfrag"
    if [[ $kind == tiny ]]; then
        expect_ge "Parameter Problems (incomplete header chain)" "$(tcount 'icmpv6.type == 4 && icmpv6.code == 3')" 100
    else
        expect_ge "SYN-ACKs" "$(tcount 'tcp.flags == 0x012 && ipv6.src == 2001:db8::2')" 2
    fi
    publish "$desc nmap 7.93 refuses -f with -6, so the probes are crafted with scapy (recon.py frag6 ... $kind) and sent live from the scanner namespace; the answers are the target kernel's." \
        "python3 recon.py frag6 scan0 $TGT_MAC $SCAN6 $TGT6 1-100 $kind" "[$(det "$SCAN6" tcp-syn vertical null 1 100 "$open")]"
    lab_down
}
sc_frag_ipv6() {
    frag6_scenario frag-ipv6 tiny 300 '[]' \
        "IPv6 SYN probes to ports 1-100 of $TGT6 from $SCAN6, each in three fragments carrying 8 bytes of TCP each (ports+sequence / ack+flags / window+checksum+MSS), as nmap -f does for IPv4: the flags are in the second fragment. Linux refuses a first fragment without the whole upper-layer header (RFC 7112) and answers each with ICMPv6 Parameter Problem code 3; nothing is reassembled, so no port answers open. A sensor that reassembles still sees 100 SYN probes."
}
sc_frag_ipv6_answered() {
    frag6_scenario frag-ipv6-answered rfc7112 200 '[22,80]' \
        "IPv6 SYN probes to ports 1-100 of $TGT6 from $SCAN6 with a 32-byte TCP header (MSS, SACK-permitted, window scale) split over two fragments (24 + 8 bytes: the options end in the second), which RFC 7112 allows: the target reassembles and answers (open 22, 80), the scanner's kernel resets the SYN-ACKs."
}

sc_frag_overlap() {
    lab_std
    local cmd=("$PY" "$TMP/recon.py" overlap4 scan0 "$TGT_MAC" "$SCAN4" "$TGT4" 1-40)
    cap_begin frag-overlap
    run "$S" "${cmd[@]}"
    cap_end
    expect_ge "SYN-ACK from 22" "$(tcount 'tcp.flags == 0x012 && ip.src == 198.18.0.2')" 1
    publish "IPv4 SYN probes crafted with scapy to ports 1-40 of $TGT4: first each SYN in three clean fragments (8+8+4 bytes of TCP header; the kernel reassembles and answers: open 22, others RST/ACK), then a second SYN to each of the same 40 ports in two OVERLAPPING fragments (bytes 0-15, then bytes 8-19: bytes 8-15 sent twice; identical for even ports, a different window for odd ones). Linux drops overlapping datagrams (RFC 5722 for IPv6; since 4.19 for IPv4), so only the clean probes are answered. Whatever policy a reassembler uses for the overlaps, the ports probed are the same 40: expected one tcp-syn scan of 40 ports, the overlaps counted and no crash." \
        "python3 recon.py overlap4 scan0 $TGT_MAC $SCAN4 $TGT4 1-40" "[$(det "$SCAN4" tcp-syn vertical null 1 40 '[22]')]"
    lab_down
}

sc_frag_flood_scan() {
    lab_std
    # Let the target's own reassembly keep up with the flood (per-namespace
    # setting; the default 4 MiB would drop the scan's fragments too).
    nl_sysctl "$T" net.ipv4.ipfrag_high_thresh=268435456 net.ipv4.ipfrag_low_thresh=201326592
    local cmd=(nmap -n -Pn -sS -f --max-rate 200 -p 1-200 "$TGT4")
    cap_begin frag-flood-scan
    nl_bg "$S" "$LOG/fragflood.log" "$PY" "$TMP/recon.py" fragflood scan0 "$TGT_MAC" "$SCAN_MAC" "$TGT4" 20000
    local fpid=$NL_LAST_PID
    sleep 0.3
    run "$S" "${cmd[@]}"
    wait "$fpid" || die "frag-flood-scan: the flood failed"
    cap_end
    expect_eq "incomplete first fragments from 198.19/16" "$(tcount 'ip.src == 198.19.0.0/16 && ip.flags.mf == 1')" 20000
    expect_ge "SYN-ACKs from 22 and 80" "$(tcount 'tcp.flags == 0x012 && ip.src == 198.18.0.2')" 2
    publish "nmap -f SYN scan of ports 1-200 of $TGT4 (200 probes/s, open 22, 80) run through a flood of 20,000 first fragments that never complete (8 bytes of TCP with MF set, each from its own spoofed 198.19.x.y source and ID, sent over 2 s from the scanner namespace by recon.py fragflood): an attempt to fill a sensor's reassembly memory so that the scan's own fragments are dropped. The target's ipfrag_high_thresh is raised in its namespace so the target itself keeps answering. Expected: the scan, found as without the flood; nothing from the flood's sources (one incomplete fragment each)." \
        "${cmd[*]}  (during: recon.py fragflood scan0 $TGT_MAC $SCAN_MAC $TGT4 20000)" "[$(det "$SCAN4" tcp-syn vertical nmap 1 200 '[22,80]')]"
    lab_down
}

# ---------------------------------------------------------------- 2 more techniques
# nmap_simple NAME TYPE TOOL OPEN PORTS CHECK-LABEL CHECK-FILTER CHECK-MIN DESC NMAP-ARGS...
nmap_simple() {
    local name=$1 type=$2 tool=$3 open=$4 ports=$5 clabel=$6 cfilter=$7 cmin=$8 desc=$9
    shift 9
    lab_std
    local cmd=(nmap -n -Pn "$@" "$TGT4")
    cap_begin "$name"
    run "$S" "${cmd[@]}"
    cap_end
    expect_ge "$clabel" "$(tcount "$cfilter")" "$cmin"
    publish "$desc" "${cmd[*]}" "[$(det "$SCAN4" "$type" vertical "$tool" 1 "$ports" "$open")]"
    lab_down
}

sc_nmap_sctp_init() {
    nmap_simple nmap-sctp-init sctp-init null '[]' 100 "SCTP INITs" "sctp.chunk_type == 1" 100 \
        "nmap SCTP INIT scan (-sY) of SCTP ports 1-100 of $TGT4. The recording kernel has no SCTP (CONFIG_IP_SCTP unset; no module to load), so the target answers every INIT with ICMP protocol unreachable (type 3 code 2): nmap reports all ports filtered; none open." \
        -sY -p 1-100
}
sc_nmap_sctp_cookie() {
    nmap_simple nmap-sctp-cookie sctp-cookie-echo null '[]' 100 "SCTP COOKIE ECHOs" "sctp.chunk_type == 10" 100 \
        "nmap SCTP COOKIE-ECHO scan (-sZ) of SCTP ports 1-100 of $TGT4. No SCTP in the recording kernel: the target answers each COOKIE ECHO with ICMP protocol unreachable; none open." \
        -sZ -p 1-100
}
nmap_sctp_answered() { # NAME SCAN TYPE OPEN DESC
    local name=$1 scan=$2 type=$3 open=$4 desc=$5
    lab_std
    nl_bg "$T" "$LOG/sctp-$name.log" "$PY" "$TMP/recon.py" sctp-responder 2905,3868,36412
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q 'sctp responder ready' "$LOG/sctp-$name.log" && break
        sleep 0.1
    done
    local cmd=(nmap -n -Pn "$scan" -p 1-100,2905,3868,36412 "$TGT4")
    cap_begin "$name"
    run "$S" "${cmd[@]}"
    cap_end
    expect_eq "ICMP protocol unreachables from the target" "$(tcount 'eth.src == 02:00:c6:12:00:02 && icmp.type == 3 && icmp.code == 2')" 0
    expect_ge "ABORTs from the target" "$(tcount 'ip.src == 198.18.0.2 && sctp.chunk_type == 6')" 100
    publish "$desc The recording kernel has no SCTP, so the target runs a user-space SCTP responder on a raw socket (recon.py sctp-responder, behaving as RFC 9260 and Linux do; its raw socket also stops the kernel's protocol unreachables); nmap's probes are real. The scanner's kernel, without SCTP either, answers every INIT ACK and ABORT with ICMP protocol unreachable (a kernel with SCTP would discard the ABORTs)." \
        "${cmd[*]}" "[$(det "$SCAN4" "$type" vertical null 1 103 "$open")]"
    lab_down
}
sc_nmap_sctp_init_answered() {
    nmap_sctp_answered nmap-sctp-init-answered -sY sctp-init '[2905,3868,36412]' \
        "nmap SCTP INIT scan (-sY) of SCTP ports 1-100, 2905 (M3UA), 3868 (Diameter), 36412 (S1AP) of $TGT4 (103 ports): the three listening ports answer INIT ACK (open), the rest ABORT (closed)."
}
sc_nmap_sctp_cookie_answered() {
    nmap_sctp_answered nmap-sctp-cookie-answered -sZ sctp-cookie-echo '[]' \
        "nmap SCTP COOKIE-ECHO scan (-sZ) of the same 103 SCTP ports of $TGT4: closed ports answer ABORT (T bit), the three listening ports drop the unknown cookie silently (nmap: open|filtered). Like a FIN scan, it cannot prove a port open: open_ports is empty."
}
sc_nmap_ipproto() {
    nmap_simple nmap-ipproto ip-protocol null null 256 "protocol unreachables" "icmp.type == 3 && icmp.code == 2" 200 \
        "nmap IP protocol scan (-sO) of all 256 protocol numbers of $TGT4 ('ports' = protocol numbers). The target's kernel answers protocol unreachable for protocols it does not implement and answers ICMP/TCP/UDP in kind; open_ports is not asserted." \
        -sO -p 0-255
}
sc_nmap_window() {
    nmap_simple nmap-window tcp-ack nmap '[]' 200 "RSTs to the ACK probes" "ip.src == 198.18.0.2 && tcp.flags.reset == 1" 200 \
        "nmap window scan (-sW) of ports 1-200 of $TGT4: bare ACK probes; Linux answers every one with RST (window 0), so nmap calls them all closed. A window scan is an ACK scan (tcp-ack); it cannot see open ports." \
        -sW -p 1-200
}

sc_nmap_idle() {
    lab_std
    Z="rrz$SEQ-$$"
    hub_join "$Z" zomb0 "$ZOMBIE_MAC"
    nl_neigh "$S" scan0 "$ZOMBIE4" "$ZOMBIE_MAC"
    nl_neigh "$T" tgt0 "$ZOMBIE4" "$ZOMBIE_MAC"
    nl_bg "$Z" "$LOG/zombie.log" "$PY" "$TMP/recon.py" zombie zomb0 "$ZOMBIE4" "$ZOMBIE_MAC" \
        "$SCAN4=$SCAN_MAC,$TGT4=$TGT_MAC"
    sleep 1
    local cmd=(nmap -n -Pn -sI "$ZOMBIE4:80" -p 1-100 "$TGT4")
    cap_begin nmap-idle
    run "$S" "${cmd[@]}"
    cap_end
    local spoofed probes
    spoofed=$(tcount 'ip.src == 198.18.0.3 && ip.dst == 198.18.0.2 && tcp.flags == 0x002')
    probes=$(tcount 'ip.src == 198.18.0.1 && ip.dst == 198.18.0.3 && tcp.flags == 0x012')
    expect_ge "spoofed SYNs zombie->target" "$spoofed" 100
    expect_ge "SYN/ACK probes scanner->zombie" "$probes" 6
    expect_eq "scanner->target packets" "$(tcount 'ip.src == 198.18.0.1 && ip.dst == 198.18.0.2')" 0
    publish "nmap idle scan (-sI $ZOMBIE4:80) of ports 1-100 of $TGT4 from $SCAN4. The zombie $ZOMBIE4 is a python responder in its own namespace with one global IP ID that goes up by one per packet (a Linux host uses per-destination IDs and is no zombie): it answers unsolicited SYN/ACKs with RST. nmap probes the zombie's IP ID with SYN/ACKs to its port 80 and sends SYNs to the target with the zombie's address as source; the target answers the zombie (SYN-ACK for 22 and 80, RST/ACK otherwise), the zombie resets the SYN-ACKs. nmap's zombie test also sends 4 SYN/ACKs to the zombie spoofed from the target's address (to check that the zombie's IP ID shows spoofed traffic): they come from the scanner's MAC and are part of the real scanner's work, not a second scanner. Expected: the spoofed SYNs as a tcp-syn scan from the zombie (100 ports, open 22, 80), and the real scanner as idle-scan with the zombie as its one target (port 80 only)." \
        "${cmd[*]}" "[$(det "$ZOMBIE4" tcp-syn vertical null 1 100 '[22,80]'),$(det "$SCAN4" idle-scan vertical null 1 1 null)]"
    lab_down
}

# ---------------------------------------------------------------- 3 sweeps of live hosts
sc_sweep_live_arp() {
    lab_std
    local a=() i live=()
    for ((i = 32; i <= 63; i++)); do
        a+=("198.18.0.$i/24")
        live+=("198.18.0.$i")
    done
    nl_addr "$T" tgt0 "${a[@]}"
    local cmd=(nmap -n -sn 198.18.0.32/27)
    cap_begin sweep-live-arp
    run "$S" "${cmd[@]}"
    cap_end
    expect_eq "ARP replies" "$(tcount 'arp.opcode == 2' | tr -d ' ')" 32
    publish "nmap ping sweep (-sn) of the on-link /27 198.18.0.32-63 from $SCAN4: nmap uses ARP on-link; every one of the 32 addresses is on the target's interface, so all 32 answer (live_hosts = all 32), within well under a second." \
        "${cmd[*]}" "[$(det "$SCAN4" arp-sweep horizontal null 32 null '[]' "\"live_hosts\":$(jstrs "${live[@]}"),\"reason\":\"sweep-rate\"")]"
    lab_down
}

sc_sweep_live_nd() {
    lab_std
    local a=() i live=()
    for ((i = 0x20; i <= 0x3f; i++)); do
        a+=("$(printf '2001:db8::%x/64' "$i")")
        live+=("$(printf '2001:db8::%x' "$i")")
    done
    nl_addr "$T" tgt0 "${a[@]}"
    local cmd=(nmap -6 -n -sn 2001:db8::20/123)
    cap_begin sweep-live-nd
    run "$S" "${cmd[@]}"
    cap_end
    grep -q '32 hosts up' "$LOG/sweep-live-nd.log" || die "sweep-live-nd: nmap did not find 32 hosts up"
    expect_eq "neighbour advertisements" "$(tcount 'icmpv6.type == 136 && eth.src == 02:00:c6:12:00:02')" 32
    publish "nmap IPv6 ping sweep (-6 -sn) of the on-link 2001:db8::20/123 (2001:db8::20 to ::3f) from $SCAN6: on-link, nmap sends neighbour solicitations to each address's solicited-node group; all 32 addresses are on the target's interface and answer (live_hosts = all 32) within well under a second. IPv6 neighbour discovery counts as an ARP sweep." \
        "${cmd[*]}" "[$(det "$SCAN6" arp-sweep horizontal null 32 null '[]' "\"live_hosts\":$(jstrs "${live[@]}"),\"reason\":\"sweep-rate\"")]"
    lab_down
}

routed_sweep() { # NAME TYPE TOOL PORTS OPEN WITHLIVE DESC NMAP-ARGS...
    local name=$1 type=$2 tool=$3 ports=$4 open=$5 withlive=$6 desc=$7 i live=() extra=""
    shift 7
    lab_std
    lo_addrs "$T" 198.18.3 32 63
    for ((i = 32; i <= 63; i++)); do live+=("198.18.3.$i"); done
    local cmd=(nmap -n -sn "$@" 198.18.3.32/27)
    cap_begin "$name"
    run "$S" "${cmd[@]}"
    cap_end
    grep -q '32 hosts up' "$LOG/$name.log" || die "$name: nmap did not find 32 hosts up"
    [[ $withlive == yes ]] && extra="\"live_hosts\":$(jstrs "${live[@]}")"
    [[ $type == icmp-sweep ]] && extra+=",\"reason\":\"sweep-rate\""
    publish "$desc" "${cmd[*]}" "[$(det "$SCAN4" "$type" horizontal "$tool" 32 "$ports" "$open" "$extra")]"
    lab_down
}
sc_sweep_live_icmp() {
    routed_sweep sweep-live-icmp icmp-sweep nmap null '[]' yes \
        "nmap ICMP echo sweep (-sn -PE) of the routed /27 198.18.3.32-63: all 32 addresses are on the target's lo and answer (live_hosts = all 32), in well under a second." -PE
}
sc_sweep_live_syn() {
    routed_sweep sweep-live-syn tcp-syn nmap 1 '[22]' yes \
        "nmap TCP SYN ping sweep (-sn -PS22) of the routed /27 198.18.3.32-63: every address answers SYN-ACK from port 22 (all 32 live)." -PS22
}
sc_sweep_live_ack() {
    routed_sweep sweep-live-ack tcp-ack nmap 1 '[]' no \
        "nmap TCP ACK ping sweep (-sn -PA80) of the routed /27 198.18.3.32-63: every address answers the bare ACK with RST (all 32 live; an ACK probe cannot show open ports)." -PA80
}
sc_sweep_live_udp() {
    routed_sweep sweep-live-udp udp nmap 1 '[]' no \
        "nmap UDP ping sweep (-sn -PU40125) of the routed /27 198.18.3.32-63: port 40125 is closed, every address answers ICMP port unreachable, which tells nmap the host is up (all 32 live, no port open)." -PU40125
}

sc_benign_monitoring() {
    lab_std
    lo_addrs "$T" 198.18.3 32 63
    CUR=benign-monitoring
    local r i raw="$TMP/monitoring-raw.pcap"
    cap_begin benign-monitoring
    for ((r = 0; r < 10; r++)); do
        for ((i = 32; i <= 63; i++)); do
            nl_lab_exec "$S" ping -n -c 1 -W 1 "198.18.3.$i" >>"$LOG/$CUR.log" 2>&1 || die "ping 198.18.3.$i failed"
        done
        sleep 0.3
    done
    cap_end
    expect_eq "echo requests" "$(tcount 'icmp.type == 8')" 320
    expect_eq "echo replies" "$(tcount 'icmp.type == 0')" 320
    mv "$CAP" "$raw"
    "$PY" "$TMP/recon.py" retime-rounds "$raw" "$CAP" "$SCAN4" 32 60 1.875
    publish "A monitoring system pinging the same 32 hosts (198.18.3.32-63, all up) once a minute for 10 minutes, each check spread over the minute as Nagios/Zabbix schedulers do. Recorded as 10 rounds of real 'ping -c 1' (iputils, 56-byte payload) with a short interval, then retimed by the script (recon.py retime-rounds): host i of round k is sent at t0 + 60 k + 1.875 i s, each reply keeps its real delay. Ordinary traffic: expected nothing." \
        "for r in 1..10: for h in 198.18.3.32..63: ping -n -c 1 -W 1 \$h  (retimed to one round a minute)" "[]"
    lab_down
}

# ---------------------------------------------------------------- 4 slow scan over a day
sc_slow_day() {
    lab_std
    local raw="$TMP/slow-raw.pcap" cmd=(nmap -n -Pn -sS --scan-delay 1s --max-retries 0 -p 1-40 "$TGT4")
    cap_begin slow-day
    run "$S" "${cmd[@]}"
    cap_end
    expect_eq "SYN probes" "$(tcount 'ip.src == 198.18.0.1 && tcp.flags == 0x002')" 40
    mv "$CAP" "$raw"
    "$PY" "$TMP/recon.py" retime-slow "$raw" "$CAP" "$SCAN4" 20 1200 1800 | tee -a "$LOG/slow-day.log"
    publish "A real nmap SYN scan of 40 ports (1-40) of $TGT4, one probe per second, retimed by the script (recon.py retime-slow, seed 20) to one probe every 20 to 30 minutes (uniform), about 16 h in all; each answer keeps its real delay after its probe. Open: 22. Far slower than the 900 s window: only a long-horizon summary can see it." \
        "${cmd[*]}  (retimed: probe gaps uniform in [1200, 1800] s)" \
        "[$(det "$SCAN4" tcp-syn vertical nmap 1 40 '[22]' '"reason":"long-horizon"')]"
    lab_down
}

# ---------------------------------------------------------------- 5 tunnels
tunnel_det() { det "$IN_SCAN4" tcp-syn vertical nmap 1 100 '[22,80]' "${1:-}"; }
TUN_CMD="nmap -n -Pn -sS -p 1-100 $IN_TGT4"

# vxlan_pair SNS TNS SIF TIF SUNDER TUNDER VNI PORT: inner scanner/target
# joined by a real Linux VXLAN device over the hub.
vxlan_pair() {
    local sns=$1 tns=$2 su=$5 tu=$6 vni=$7 port=$8
    hub_join "$sns" "$3" "$(printf '02:00:c6:12:64:%02x' "${su##*.}")"
    hub_join "$tns" "$4" "$(printf '02:00:c6:12:64:%02x' "${tu##*.}")"
    nl_addr "$sns" "$3" "$su/24"
    nl_addr "$tns" "$4" "$tu/24"
    nl_neigh "$sns" "$3" "$tu" "$(nl_mac "$tns" "$4")"
    nl_neigh "$tns" "$4" "$su" "$(nl_mac "$sns" "$3")"
    nl_check_args "$su" "$tu"
    ip -n "$sns" link add vx0 address "$IN_SCAN_MAC" type vxlan id "$vni" local "$su" remote "$tu" dstport "$port" dev "$3"
    ip -n "$tns" link add vx0 address "$IN_TGT_MAC" type vxlan id "$vni" local "$tu" remote "$su" dstport "$port" dev "$4"
    ip -n "$sns" link set vx0 up
    ip -n "$tns" link set vx0 up
    nl_offload_off "$sns" vx0
    nl_offload_off "$tns" vx0
    nl_addr "$sns" vx0 "$IN_SCAN4/24"
    nl_addr "$tns" vx0 "$IN_TGT4/24"
    tgt_common "$tns"
}

vxlan_scenario() { # NAME PORT OPTIONS
    local name=$1 port=$2 opts=$3
    hub_up
    S="rrs$SEQ-$$"
    T="rrt$SEQ-$$"
    vxlan_pair "$S" "$T" scan0 tgt0 198.18.100.1 198.18.100.2 5001 "$port"
    cap_begin "$name"
    run "$S" nmap -n -Pn -sS -p 1-100 "$IN_TGT4"
    cap_end
    expect_ge "VXLAN packets to udp/$port" "$(tshark -r "$CAP" -Y "udp.dstport == $port" 2>/dev/null | wc -l)" 200
    publish "A real nmap SYN scan of ports 1-100 of $IN_TGT4 from $IN_SCAN4 carried in a real Linux VXLAN tunnel (VNI 5001, UDP $port) between VTEPs 198.18.100.1 and 198.18.100.2; captured on the underlay only. Open: 22, 80." \
        "$TUN_CMD  (over: ip link add vx0 type vxlan id 5001 local 198.18.100.1 remote 198.18.100.2 dstport $port)" \
        "[$(tunnel_det)]" "$opts"
    lab_down
}
sc_tunnel_vxlan() { vxlan_scenario tunnel-vxlan 4789 ""; }
sc_tunnel_vxlan_8472() { vxlan_scenario tunnel-vxlan-8472 8472 '["--vxlan-port", "8472"]'; }

# The inner scan the synthesized encapsulations carry (recorded once per run).
INNER=""
record_inner() {
    [[ -n $INNER ]] && return 0
    hub_up
    S="rrs$SEQ-$$"
    T="rrt$SEQ-$$"
    hub_join "$S" scan0 "$IN_SCAN_MAC"
    hub_join "$T" tgt0 "$IN_TGT_MAC"
    nl_addr "$S" scan0 "$IN_SCAN4/24"
    nl_addr "$T" tgt0 "$IN_TGT4/24"
    nl_neigh "$S" scan0 "$IN_TGT4" "$IN_TGT_MAC"
    nl_neigh "$T" tgt0 "$IN_SCAN4" "$IN_SCAN_MAC"
    tgt_common "$T"
    cap_begin tunnel-inner
    run "$S" nmap -n -Pn -sS -p 1-100 "$IN_TGT4"
    cap_end
    INNER="$TMP/inner.pcap"
    mv "$CAP" "$INNER"
    lab_down
}

encap_scenario() { # NAME KIND DESC
    local name=$1 kind=$2 desc=$3 under="198.18.100.1 <-> 198.18.100.2"
    [[ $kind == *-ip6 ]] && under="2001:db8:100::1 <-> 2001:db8:100::2"
    record_inner
    CUR=$name
    CAP="$TMP/$name.pcap"
    "$PY" "$TMP/recon.py" encap "$INNER" "$CAP" "$kind" "$IN_SCAN_MAC" >>"$LOG/$name.log"
    expect_ge "$kind frames" "$(capinfos -c -M "$CAP" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')" 200
    publish "$desc The inner traffic is a real nmap SYN scan of ports 1-100 of $IN_TGT4 from $IN_SCAN4 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is $under." \
        "$TUN_CMD  (inner; encapsulated by: recon.py encap inner.pcap out.pcap $kind)" "[$(tunnel_det)]"
}
sc_tunnel_geneve() { encap_scenario tunnel-geneve geneve "Geneve (RFC 8926, UDP 6081), VNI 77, protocol 0x6558 (Ethernet), with one 4-byte experimental option (class 0xFFF0) so the header length is not the minimum."; }
sc_tunnel_gre() { encap_scenario tunnel-gre gre "GRE (RFC 2784/2890, IP protocol 47) with key 9, protocol 0x0800: a layer-3 'ip gre' tunnel, inner IPv4 without Ethernet (ARP is not carried)."; }
sc_tunnel_gretap() { encap_scenario tunnel-gretap gretap "GRE with key 9, protocol 0x6558 (transparent Ethernet bridging, Linux gretap): inner Ethernet frames, ARP included."; }
sc_tunnel_erspan1() { encap_scenario tunnel-erspan1 erspan1 "ERSPAN type I: GRE without flags or sequence, protocol 0x88BE, followed directly by the mirrored Ethernet frame (no ERSPAN header)."; }
sc_tunnel_erspan2() { encap_scenario tunnel-erspan2 erspan2 "ERSPAN type II: GRE with the sequence-number bit, protocol 0x88BE, 8-byte ERSPAN header version 1, session ID 3, then the mirrored Ethernet frame."; }
sc_tunnel_erspan3() { encap_scenario tunnel-erspan3 erspan3 "ERSPAN type III: GRE with sequence number, protocol 0x22EB, 12-byte ERSPAN header version 2, session ID 3, 32-bit timestamp (100 ns), hardware ID 1, direction bit set on the target's side, then the mirrored Ethernet frame."; }
sc_tunnel_ip6erspan() { encap_scenario tunnel-ip6erspan erspan2-ip6 "ERSPAN type II over an IPv6 underlay (as Linux ip6erspan sends it: IPv6 next header 47, GRE with sequence, protocol 0x88BE, version 1 header, session ID 3) between 2001:db8:100::1 and ::2."; }
sc_tunnel_ip6gre() { encap_scenario tunnel-ip6gre gre-ip6 "GRE with key 9, protocol 0x0800, over an IPv6 underlay (Linux ip6gre) between 2001:db8:100::1 and ::2: inner IPv4 without Ethernet."; }
sc_tunnel_mpls() { encap_scenario tunnel-mpls mpls "MPLS over Ethernet (EtherType 0x8847), one label 100 with the bottom-of-stack bit and the inner TTL, then the inner IPv4 packet (no inner Ethernet; ARP is not carried)."; }

tenants() { # NAME PORTS-A PORTS-B DETECTIONS DESC
    local name=$1 pa=$2 pb=$3 dets=$4 desc=$5
    hub_up
    local sa="rrsa$SEQ-$$" ta="rrta$SEQ-$$" sb="rrsb$SEQ-$$" tb="rrtb$SEQ-$$"
    vxlan_pair "$sa" "$ta" scan0 tgt0 198.18.100.1 198.18.100.2 5001 4789
    vxlan_pair "$sb" "$tb" scan0 tgt0 198.18.100.3 198.18.100.4 5002 4789
    cap_begin "$name"
    run "$sa" nmap -n -Pn -sS -p "$pa" "$IN_TGT4"
    run "$sb" nmap -n -Pn -sS -p "$pb" "$IN_TGT4"
    cap_end
    expect_ge "VNI 5001 packets" "$(tcount 'vxlan.vni == 5001')" 10
    expect_ge "VNI 5002 packets" "$(tcount 'vxlan.vni == 5002')" 10
    publish "$desc Two tenants with the same inner addresses and MACs ($IN_SCAN4 -> $IN_TGT4), each in its own real Linux VXLAN (VNI 5001 between VTEPs 198.18.100.1/.2, VNI 5002 between 198.18.100.3/.4), captured on the shared underlay." \
        "[vni 5001] nmap -n -Pn -sS -p $pa $IN_TGT4 ; [vni 5002] nmap -n -Pn -sS -p $pb $IN_TGT4" "$dets"
    lab_down
}
sc_tenants_overlap() {
    tenants tenants-overlap 1-5 6-10 '[]' \
        "Each tenant's scanner probes only 5 ports (VNI 5001: 1-5, VNI 5002: 6-10; all closed, RST/ACK): below every threshold alone, 10 ports if the tenants were wrongly merged. Expected: nothing."
}
sc_tenants_separate() {
    tenants tenants-separate 1-100 101-200 \
        "[$(det "$IN_SCAN4" tcp-syn vertical nmap 1 100 '[22,80]' '"tenant":"vni:5001"'),$(det "$IN_SCAN4" tcp-syn vertical nmap 1 100 '[]' '"tenant":"vni:5002"')]" \
        "Each tenant's scanner scans 100 ports (VNI 5001: 1-100, open 22 and 80; VNI 5002: 101-200, none open). Expected: two separate detections of the same inner source, one per tenant, never one of 200 ports."
}

# inner_scan PORTS OUT: one real nmap scan 198.18.10.1 -> 198.18.10.2 in a
# throw-away lab, captured on the segment (for the synthesized VLAN trunk).
inner_scan() {
    local ports=$1 out=$2
    hub_up
    S="rrs$SEQ-$$"
    T="rrt$SEQ-$$"
    hub_join "$S" scan0 "$IN_SCAN_MAC"
    hub_join "$T" tgt0 "$IN_TGT_MAC"
    nl_addr "$S" scan0 "$IN_SCAN4/24"
    nl_addr "$T" tgt0 "$IN_TGT4/24"
    nl_neigh "$S" scan0 "$IN_TGT4" "$IN_TGT_MAC"
    nl_neigh "$T" tgt0 "$IN_SCAN4" "$IN_SCAN_MAC"
    tgt_common "$T"
    local keep=$CUR
    cap_begin "inner-$SEQ"
    run "$S" nmap -n -Pn -sS -p "$ports" "$IN_TGT4"
    cap_end
    mv "$CAP" "$out"
    CUR=$keep
    lab_down
}

vlan_tenants() { # NAME PORTS-10 PORTS-20 DETECTIONS DESC
    local name=$1 pa=$2 pb=$3 dets=$4 desc=$5
    CUR=$name
    inner_scan "$pa" "$TMP/vlan10.pcap"
    inner_scan "$pb" "$TMP/vlan20.pcap"
    CAP="$TMP/$name.pcap"
    "$PY" "$TMP/recon.py" vlan-merge "$CAP" "$TMP/vlan10.pcap" 10 "$TMP/vlan20.pcap" 20 >>"$LOG/$name.log"
    expect_ge "frames tagged VLAN 10" "$(tcount 'vlan.id == 10')" 10
    expect_ge "frames tagged VLAN 20" "$(tcount 'vlan.id == 20')" 10
    publish "$desc Two real nmap scans, each from $IN_SCAN4 to $IN_TGT4 (same addresses and MACs: two customers' overlapping address plans) recorded one after the other in the lab; the 802.1Q tags (VLAN 10 and 20) are SYNTHESIZED by recon.py vlan-merge because the recording kernel has no 802.1Q (CONFIG_VLAN_8021Q unset), and the two are merged in time order as one trunk capture." \
        "[vlan 10] nmap -n -Pn -sS -p $pa $IN_TGT4 ; [vlan 20] nmap -n -Pn -sS -p $pb $IN_TGT4" "$dets"
}
sc_tenants_vlan_overlap() {
    vlan_tenants tenants-vlan-overlap 1-5 6-10 '[]' \
        "Each VLAN's scanner probes only 5 ports (VLAN 10: 1-5, VLAN 20: 6-10; all closed): below every threshold alone, 10 ports if merged. Expected: nothing."
}
sc_tenants_vlan_separate() {
    vlan_tenants tenants-vlan-separate 1-100 101-200 \
        "[$(det "$IN_SCAN4" tcp-syn vertical nmap 1 100 '[22,80]' '"tenant":"vlan:10"'),$(det "$IN_SCAN4" tcp-syn vertical nmap 1 100 '[]' '"tenant":"vlan:20"')]" \
        "VLAN 10's scanner scans ports 1-100 (open 22, 80), VLAN 20's scans 101-200 (none open). Expected: two detections of the same inner source, one per VLAN."
}

sc_tunnel_vxlan_ipv6() {
    hub_up
    S="rrs$SEQ-$$"
    T="rrt$SEQ-$$"
    hub_join "$S" scan0 02:00:c6:12:64:01
    hub_join "$T" tgt0 02:00:c6:12:64:02
    nl_addr "$S" scan0 2001:db8:100::1/64
    nl_addr "$T" tgt0 2001:db8:100::2/64
    nl_neigh "$S" scan0 2001:db8:100::2 02:00:c6:12:64:02
    nl_neigh "$T" tgt0 2001:db8:100::1 02:00:c6:12:64:01
    ip -n "$S" link add vx0 address "$IN_SCAN_MAC" type vxlan id 5001 local 2001:db8:100::1 remote 2001:db8:100::2 dstport 4789 dev scan0
    ip -n "$T" link add vx0 address "$IN_TGT_MAC" type vxlan id 5001 local 2001:db8:100::2 remote 2001:db8:100::1 dstport 4789 dev tgt0
    ip -n "$S" link set vx0 up
    ip -n "$T" link set vx0 up
    nl_offload_off "$S" vx0
    nl_offload_off "$T" vx0
    nl_addr "$S" vx0 "$IN_SCAN4/24"
    nl_addr "$T" vx0 "$IN_TGT4/24"
    tgt_common "$T"
    cap_begin tunnel-vxlan-ipv6
    run "$S" nmap -n -Pn -sS -p 1-100 "$IN_TGT4"
    cap_end
    expect_ge "VXLAN over IPv6 packets" "$(tcount 'ipv6 && udp.dstport == 4789')" 200
    publish "A real nmap SYN scan of ports 1-100 of $IN_TGT4 from $IN_SCAN4 in a real Linux VXLAN (VNI 5001, UDP 4789) over an IPv6 underlay (2001:db8:100::1 <-> ::2, UDP checksums set as IPv6 requires); captured on the underlay. Open: 22, 80." \
        "$TUN_CMD  (over: ip link add vx0 type vxlan id 5001 local 2001:db8:100::1 remote 2001:db8:100::2 dstport 4789)" "[$(tunnel_det)]"
    lab_down
}

# Item 7: probes only a scanner makes are probes even when every one succeeds.
sc_zmap_all_open() {
    lab_std
    lo_addrs "$T" 198.18.3 32 63
    : >"$TMP/zmap.conf"
    : >"$TMP/zmap-blocklist.conf" # zmap's default blocklist excludes 198.18.0.0/15
    local i live=()
    for ((i = 32; i <= 63; i++)); do live+=("198.18.3.$i"); done
    local cmd=(zmap -C "$TMP/zmap.conf" -b "$TMP/zmap-blocklist.conf" -p 80 -i scan0 -G "$TGT_MAC" -S "$SCAN4"
        -r 200 -c 2 -q --disable-syslog -o "$TMP/zmap-results.csv" 198.18.3.32/27)
    cap_begin zmap-all-open
    run "$S" "${cmd[@]}"
    cap_end
    expect_eq "SYN-ACKs" "$(tcount 'tcp.flags == 0x012')" 32
    expect_eq "zmap IP id 54321 on SYNs" "$(tcount 'tcp.flags == 0x002 && ip.id == 54321')" 32
    publish "zmap -p 80 over the routed /27 198.18.3.32-63 (200 pps) from $SCAN4: all 32 hosts answer SYN-ACK (port 80 open everywhere), so no outcome test calls it a scan; zmap's IP ID 54321 on every probe does." \
        "zmap -C zmap.conf -b empty-blocklist -p 80 -i scan0 -G $TGT_MAC -S $SCAN4 -r 200 -c 2 -q --disable-syslog -o results.csv 198.18.3.32/27" \
        "[$(det "$SCAN4" tcp-syn horizontal zmap 32 1 '[80]' "\"live_hosts\":$(jstrs "${live[@]}")")]"
    lab_down
}
sc_masscan_all_open() {
    lab_std
    lo_addrs "$T" 198.18.3 32 63
    local i live=()
    for ((i = 32; i <= 63; i++)); do live+=("198.18.3.$i"); done
    local cmd=(masscan -p22,80 198.18.3.32/27 --rate 500 --wait 2
        --adapter scan0 --adapter-ip "$SCAN4" --adapter-mac "$SCAN_MAC" --router-mac "$TGT_MAC")
    CUR=masscan-all-open
    cap_begin masscan-all-open
    nl_bg "$S" "$LOG/$CUR.log" "${cmd[@]}"
    local pid=$NL_LAST_PID
    for ((i = 0; i < 600; i++)); do
        grep -q 'waiting -1-secs' "$LOG/$CUR.log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    cap_end
    expect_eq "SYN-ACKs" "$(tcount 'tcp.flags == 0x012')" 64
    publish "masscan -p22,80 over the routed /27 198.18.3.32-63 from $SCAN4: all 32 hosts answer SYN-ACK on both ports (64 open services), so no outcome test calls it a scan; masscan's IP ID ((dst ^ dport ^ seq) & 0xffff) on every SYN does. The scanner's kernel and masscan reset the SYN-ACKs." \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn horizontal masscan 32 2 '[22,80]' "\"live_hosts\":$(jstrs "${live[@]}")")]"
    lab_down
}

sc_darknet_ipv6_ping() {
    lab_std
    local cmd=(ping -6 -n -c 1 -W 1 2001:db8:9::7)
    cap_begin darknet-ipv6-ping
    run_any "$S" "${cmd[@]}"
    cap_end
    expect_eq "echo requests" "$(tcount 'icmpv6.type == 128')" 1
    publish "One ICMPv6 echo request (ping -6 -c 1) to 2001:db8:9::7, an address in the dark net 2001:db8:9::/48 that no host uses (blackholed: no answer). Analysed with --dark-net 2001:db8:9::/48: a single probe is a detection with reason dark-net." \
        "${cmd[*]}" "[$(det "$SCAN6" icmp-sweep horizontal null 1 null '[]' '"reason":"dark-net"')]" '["--dark-net", "2001:db8:9::/48"]'
    lab_down
}

# ---------------------------------------------------------------- 6 many sources
sc_distributed() {
    lab_std
    local i a=() srcs=()
    for ((i = 64; i <= 127; i++)); do
        a+=("198.18.0.$i/24")
        srcs+=("198.18.0.$i")
        nl_neigh "$T" tgt0 "198.18.0.$i" "$SCAN_MAC"
    done
    nl_addr "$S" scan0 "${a[@]}"
    # 198.18.0.64 probes 1-3, 22 and 80: the only source that gets SYN-ACKs
    # (and resets them itself). The 63 others probe 5 closed ports each, from
    # 4-320 without 22 and 80 (315 ports). 320 ports in all; every source has
    # 5, fewer than any threshold (and TRW needs 6 contacts). Eight nmap
    # processes run at a time.
    local rest=() p
    for ((p = 4; p <= 320; p++)); do ((p == 22 || p == 80)) || rest+=("$p"); done
    cap_begin distributed
    local k=0 pids=() plist
    for ((i = 0; i < 64; i++)); do
        if ((i == 0)); then
            plist=1-3,22,80
        else
            plist=$(IFS=,; echo "${rest[*]:$((5 * (i - 1))):5}")
        fi
        nl_check_args "${srcs[$i]}"
        ip netns exec "$S" nmap -n -Pn -sS -e scan0 -S "${srcs[$i]}" --max-retries 1 -p "$plist" "$TGT4" >>"$LOG/distributed.log" 2>&1 &
        pids+=($!)
        k=$((k + 1))
        if ((k % 8 == 0)); then
            for p in "${pids[@]}"; do wait "$p" || die "distributed: an nmap failed"; done
            pids=()
        fi
    done
    for p in "${pids[@]}"; do wait "$p" || die "distributed: an nmap failed"; done
    cap_end
    expect_eq "sources sending SYNs" "$(tshark -r "$CAP" -Y 'tcp.flags == 0x002' -T fields -e ip.src 2>/dev/null | sort -u | wc -l)" 64
    expect_eq "distinct ports probed" "$(tshark -r "$CAP" -Y 'tcp.flags == 0x002' -T fields -e tcp.dstport 2>/dev/null | sort -u | wc -l)" 320
    local resetters
    resetters=$(tshark -r "$CAP" -Y 'tcp.flags == 0x004' -T fields -e ip.src 2>/dev/null | sort -u | paste -sd' ')
    [[ $resetters == 198.18.0.64 ]] || { keep_failed; die "distributed: sources that reset SYN-ACKs: '$resetters', want only 198.18.0.64"; }
    publish "A distributed SYN scan of $TGT4: 64 sources (198.18.0.64-127, all addresses of the scanner's interface) each run nmap -S SRC -e scan0 --max-retries 1 on 5 ports of their own, eight at a time: 198.18.0.64 probes 1-3, 22 and 80 (the open ones: it is the only source that receives SYN-ACKs, and it resets them itself), each other source 5 closed ports out of 4-320 without 22 and 80 (198.18.0.65: 4-8, .66: 9-13, ...). 320 ports in all, open 22 and 80; no source reaches a threshold alone. Expected: ONE detection with all 64 sources; src = 198.18.0.64, the one that answered SYN-ACKs itself (all sources are equally active)." \
        "for i in 0..63: nmap -n -Pn -sS -e scan0 -S 198.18.0.(64+i) --max-retries 1 -p PORTS(i) $TGT4" \
        "[$(det 198.18.0.64 tcp-syn vertical nmap 1 320 '[22,80]' "\"sources\":$(jstrs "${srcs[@]}"),\"reason\":\"distributed\"")]"
    lab_down
}

sc_nmap_decoy() {
    lab_std
    local cmd=(nmap -n -Pn -sS -D 198.18.7.11,198.18.7.12,198.18.7.13,ME -p 1-100 "$TGT4")
    cap_begin nmap-decoy
    run "$S" "${cmd[@]}"
    cap_end
    expect_eq "sources sending SYNs" "$(tshark -r "$CAP" -Y 'tcp.flags == 0x002' -T fields -e ip.src 2>/dev/null | sort -u | wc -l)" 4
    publish "nmap decoy scan: -D 198.18.7.11,198.18.7.12,198.18.7.13,ME, ports 1-100 of $TGT4: every probe is sent four times, from the three decoys and from the real scanner $SCAN4. The target answers all four; the answers to the decoys are routed away (blackholed, as to hosts elsewhere), only $SCAN4 receives its SYN-ACKs and resets them. Expected: one detection, src = the real scanner, sources = decoys + real. Open 22, 80." \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical nmap 1 100 '[22,80]' "\"sources\":$(jstrs 198.18.0.1 198.18.7.11 198.18.7.12 198.18.7.13)")]"
    lab_down
}

# ---------------------------------------------------------------- 7 fingerprints decide
sc_masscan_banners() {
    lab_std
    nl_neigh "$T" tgt0 198.18.0.200 "$SCAN_MAC"
    local cmd=(masscan -p1-100,443,8080 "$TGT4" --banners --rate 500 --wait 3
        --adapter scan0 --adapter-ip 198.18.0.200 --adapter-mac "$SCAN_MAC" --router-mac "$TGT_MAC")
    CUR=masscan-banners
    cap_begin masscan-banners
    nl_bg "$S" "$LOG/$CUR.log" "${cmd[@]}"
    local pid=$NL_LAST_PID i
    for ((i = 0; i < 600; i++)); do
        grep -q 'waiting -1-secs' "$LOG/$CUR.log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    # masscan's own TCP stack keeps talking until it is stopped: stop it
    # first, so the capture ends quiet.
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    cap_end
    expect_ge "handshakes completed by masscan (ACK after SYN-ACK)" "$(tcount 'ip.src == 198.18.0.200 && tcp.flags == 0x010')" 3
    expect_ge "SSH banner sent to masscan" "$(tcount 'ip.dst == 198.18.0.200 && tcp.srcport == 22 && tcp.len > 0')" 1
    publish "masscan --banners on ports 1-100, 443, 8080 of $TGT4 (102 ports) from its own user-space TCP stack on adapter address 198.18.0.200 (the kernel does not own it, so it does not reset): masscan completes the handshake with every open port (22, 80, 443, 8080) and reads the SSH banner (the lab's HTTP and TLS servers wait for the client to speak first and masscan 1.3.2 stays silent within its 3 s wait, so those are bare completed handshakes). Still a masscan SYN scan: its SYNs carry masscan's IP ID." \
        "${cmd[*]}" "[$(det 198.18.0.200 tcp-syn vertical masscan 1 102 '[22,80,443,8080]')]"
    lab_down
}

sc_syn_options() {
    lab_std
    local cmd=("$PY" "$TMP/recon.py" synopts "$SCAN4" "$TGT4" 1-60,80,443,8080)
    cap_begin syn-options
    run "$S" "${cmd[@]}"
    cap_end
    expect_ge "SYNs with SACK-permitted" "$(tcount 'ip.src == 198.18.0.1 && tcp.flags == 0x002 && tcp.options.sack_perm')" 63
    expect_ge "resets of SYN-ACKs by the scanner's kernel" "$(tcount 'ip.src == 198.18.0.1 && tcp.flags.reset == 1')" 4
    publish "Raw-socket SYNs crafted with scapy to ports 1-60, 80, 443, 8080 of $TGT4 (63 ports), each with Linux connect()'s option set (MSS 1460, SACK permitted, timestamps, NOP, window scale 7) and window 64240, random source ports. No socket owns them, so the scanner's kernel resets every SYN-ACK (open 22, 80, 443, 8080): a SYN scan (tcp-syn), not tcp-connect, whatever the options." \
        "python3 recon.py synopts $SCAN4 $TGT4 1-60,80,443,8080" "[$(det "$SCAN4" tcp-syn vertical null 1 63 '[22,80,443,8080]')]"
    lab_down
}

# ---------------------------------------------------------------- 8 deception
sc_darknet_one_probe() {
    lab_std
    local cmd=(hping3 -I scan0 -S -p 80 -c 1 198.18.9.7)
    cap_begin darknet-one-probe
    run_any "$S" "${cmd[@]}"
    cap_end
    expect_eq "probes" "$(tcount 'ip.dst == 198.18.9.7')" 1
    publish "One SYN (hping3 -S -c 1) to 198.18.9.7:80, an address in the dark net 198.18.9.0/24 that no host uses (the target routes it to a blackhole: no answer). Analysed with --dark-net 198.18.9.0/24: a single probe is a detection with reason dark-net. No tool is named: one packet is too few to tell a tool by." \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical null 1 1 '[]' '"reason":"dark-net"')]" '["--dark-net", "198.18.9.0/24"]'
    lab_down
}
sc_honeyport_one_probe() {
    lab_std
    local cmd=(hping3 -I scan0 -S -p 2323 -c 1 "$TGT4")
    cap_begin honeyport-one-probe
    run "$S" "${cmd[@]}"
    cap_end
    expect_eq "probes" "$(tcount 'tcp.dstport == 2323 && tcp.flags == 0x002')" 1
    publish "One SYN (hping3 -S -c 1) to $TGT4:2323 (closed: RST/ACK), a port no legitimate client uses (telnet-alt, a Mirai favourite). Analysed with --honey-port 2323: a single probe is a detection with reason honey-port. No tool is named: one packet is too few to tell a tool by." \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical null 1 1 '[]' '"reason":"honey-port"')]" '["--honey-port", "2323"]'
    lab_down
}

# ---------------------------------------------------------------- 10 busy benign hosts
hosts_file() { # FILE PREFIX FIRST LAST
    local i
    : >"$1"
    for ((i = $3; i <= $4; i++)); do echo "$2.$i"; done >>"$1"
}

sc_benign_nat() {
    lab_std
    lo_addrs "$T" 198.18.4 1 250
    hosts_file "$TMP/nat-hosts" 198.18.4 1 250
    CUR=benign-nat
    cap_begin benign-nat
    run "$S" "$PY" "$TMP/recon.py" tls-client "$TMP/nat-hosts" 443
    cap_end
    expect_ge "client data segments" "$(tcount 'ip.src == 198.18.0.1 && tcp.len > 0')" 500
    publish "A NAT gateway or proxy ($SCAN4) making 250 completed HTTPS-like connections to 250 different servers (198.18.4.1-250, port 443): each sends a 517-byte ClientHello-sized record, reads the server's answer, sends application data, reads again and closes. Every connection carries payload from the initiator. Expected: nothing." \
        "python3 recon.py tls-client HOSTS(198.18.4.1-250) 443" "[]"
    lab_down
}

sc_benign_resolver() {
    lab_std
    lo_addrs "$T" 198.18.5 1 250
    hosts_file "$TMP/dns-hosts" 198.18.5 1 250
    CUR=benign-resolver
    cap_begin benign-resolver
    run "$S" "$PY" "$TMP/recon.py" dns-client "$TMP/dns-hosts"
    cap_end
    expect_eq "DNS answers" "$(tcount 'udp.srcport == 53')" 250
    # Each answer must come from the server that was asked: the same (server, client
    # port, DNS id) as its query, seen from the other side. tshark's own pairing
    # (dns.response_to) needs the same address pair too.
    expect_eq "answers not from a queried server" "$(tcount 'udp.srcport == 53 && !(ip.src == 198.18.5.0/24)')" 0
    expect_eq "answers paired with their query by tshark" "$(tcount 'dns.flags.response == 1 && dns.response_to')" 250
    expect_eq "answers whose (server, port, id) is not a query's" "$(comm -3 \
        <(tshark -r "$CAP" -Y 'udp.dstport == 53 && dns.flags.response == 0' -T fields -e ip.dst -e udp.srcport -e dns.id 2>/dev/null | sort) \
        <(tshark -r "$CAP" -Y 'udp.srcport == 53 && dns.flags.response == 1' -T fields -e ip.src -e udp.dstport -e dns.id 2>/dev/null | sort) | wc -l)" 0
    publish "A recursive resolver ($SCAN4) sending one A query, each from a fresh random source port, to 250 different authoritative servers (198.18.5.1-250, udp/53); every server answers. Expected: nothing." \
        "python3 recon.py dns-client HOSTS(198.18.5.1-250)" "[]"
    lab_down
}

sc_benign_p2p() {
    lab_std
    lo_addrs "$T" 198.18.6 1 70
    # 100 peers: .1-.70 answer (on the target's lo), .101-.130 never answer (blackholed),
    # in an order shuffled with a fixed seed as a tracker's peer list would be.
    local i
    for ((i = 1; i <= 70; i++)); do echo "198.18.6.$i"; done >"$TMP/peers"
    for ((i = 101; i <= 130; i++)); do echo "198.18.6.$i"; done >>"$TMP/peers"
    shuf --random-source=<(yes) "$TMP/peers" >"$TMP/peers.shuf"
    CUR=benign-p2p
    cap_begin benign-p2p
    run "$S" "$PY" "$TMP/recon.py" p2p-client "$TMP/peers.shuf" 6881
    cap_end 4
    expect_ge "handshakes with payload" "$(tcount 'ip.src == 198.18.0.1 && tcp.len == 68')" 70
    publish "A BitTorrent-like client ($SCAN4) contacting 100 peers on tcp/6881 (8 at a time, shuffled peer list): 70 peers (198.18.6.1-70) accept, exchange 68-byte handshakes, interested/request messages; 30 (198.18.6.101-130) never answer (blackholed; the kernel retries the SYN until the 2.5 s timeout). Expected: nothing." \
        "python3 recon.py p2p-client PEERS(198.18.6.1-70 answering, 198.18.6.101-130 silent) 6881" "[]"
    lab_down
}

sc_benign_day_checks() {
    lab_std
    CUR=benign-day-checks
    local raw="$TMP/checks-raw.pcap"
    cap_begin benign-day-checks
    run "$S" "$PY" "$TMP/recon.py" checks "$TGT4" 40
    cap_end
    expect_eq "connection attempts" "$(tcount 'ip.src == 198.18.0.1 && tcp.flags == 0x002')" 160
    expect_eq "refusals from 5432" "$(tcount 'tcp.srcport == 5432 && tcp.flags.reset == 1')" 40
    mv "$CAP" "$raw"
    "$PY" "$TMP/recon.py" retime-rounds "$raw" "$CAP" "$SCAN4" 4 1500 2 syn | tee -a "$LOG/$CUR.log"
    publish "A monitoring agent on $SCAN4 checking $TGT4 every 25 minutes for 16.3 h (40 rounds): an SSH banner check on 22, an HTTP GET on 80, a TLS hello on 443 (all completed, with payload) and a check of the database port 5432, which is down all day (RST every time). Recorded as 40 real rounds 0.5 s apart, retimed by the script (recon.py retime-rounds ... syn) to one round every 1500 s, checks 2 s apart, every answer at its real delay. Four ports, one of them failing 40 times, over a day: not a slow scan. Expected: nothing." \
        "python3 recon.py checks $TGT4 40  (retimed: one round every 1500 s)" "[]"
    lab_down
}

sc_benign_after_scan() {
    lab_std
    lo_addrs "$T" 198.18.8 1 40
    hosts_file "$TMP/web-hosts" 198.18.8 1 40
    local cmd=(nmap -n -Pn -sS -p 1-100 "$TGT4")
    cap_begin benign-after-scan
    run "$S" "${cmd[@]}"
    sleep 2
    run "$S" "$PY" "$TMP/recon.py" web-client "$TMP/web-hosts" 80
    cap_end
    expect_ge "HTTP requests" "$(tcount 'http.request')" 40
    publish "nmap SYN scan of ports 1-100 of $TGT4 (open 22, 80), then the same host browses: 40 ordinary HTTP GETs with payload, one kernel connect() each, to 40 web servers (198.18.8.1-40, port 80), all answered. Expected: only the SYN scan; the browsing is not a tcp-connect scan." \
        "${cmd[*]} ; python3 recon.py web-client HOSTS(198.18.8.1-40) 80" "[$(det "$SCAN4" tcp-syn vertical nmap 1 100 '[22,80]')]"
    lab_down
}

# ---------------------------------------------------------------- main
for s in "${SELECTED[@]}"; do
    say "== $s"
    CUR=$s
    : >"$LOG/$s.log"
    "sc_${s//-/_}"
done
say "done: ${#SELECTED[@]} scenario(s) in $OUT"
