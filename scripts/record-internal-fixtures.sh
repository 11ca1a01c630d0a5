#!/usr/bin/env bash
# record-internal-fixtures.sh - record the internal-network fixtures in
# test/pcaps/internal/: reconnaissance from a host inside the defended
# network (connect() and SYN scans of admin ports, a scripted connect loop, a
# port monitor that only opens and closes), benign internal clients, and the
# classes of traffic that must not be taken for a scan (discovery answers,
# NetBIOS broadcasts, one-way QUIC and DNS, ARP retries for a dead gateway,
# odd TCP segments), FIN/NULL/XMAS scans that leave ports open|filtered and an
# IPv6 SYN scan. Real tools (nmap, curl, ssh/sshd, dig, arping, python
# sockets) in network namespaces this script creates and deletes again.
#
#   sudo bash scripts/record-internal-fixtures.sh                    # everything (about 15 minutes)
#   sudo bash scripts/record-internal-fixtures.sh quic-oneway dns-oneway
#   bash scripts/record-internal-fixtures.sh --list
#
# Environment: OUT_DIR (default: <repo>/test/pcaps/internal).
#
# Needs root and these Debian packages, for recording only (the tests need
# none of them): iproute2, tcpdump, tshark, wireshark-common, nmap, ethtool,
# jq, nftables, curl, openssl, openssh-client, openssh-server (only its sshd
# binary is used, started inside a lab namespace), bind9-dnsutils (dig),
# arping, python3 and python3-scapy (scapy runs under Debian's
# /usr/bin/python3).
#
# Every scenario builds its own lab on one segment: a hub namespace with a
# bridge whose MAC learning is off (ageing 0), so every frame is flooded to
# every port and to br0, where tcpdump captures as a span port would. Node N
# is a namespace of its own with 198.18.0.N/24, 2001:db8::N/64 and MAC
# 02:00:c6:12:00:NN on lan0: 1 is a workstation (the scanner), 2 a monitoring
# server, 10-29 internal hosts whose listeners are bound to their own
# addresses (a host without a listener refuses: RST). Neighbours are
# permanent (no ARP/ND chatter) and no namespace has an IPv6 link-local
# address, so every packet carries lab addresses. Only 198.18.0.0/15,
# 2001:db8::/32 and the link-scoped discovery groups listed in netns-lib.sh
# (nl_lab_group_ok) are used; netns-lib.sh and the python helper's guard()
# enforce it. The whole lab is 198.18.0.0/15: the expected files analyse with
# --home-net 198.18.0.0/15 --home-net 2001:db8::/32, so every scan here is
# internal. Expected values come from the commands run, the services started
# and the captured answers (checked with tshark), never from scanwatch.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT_DIR:-$ROOT/test/pcaps/internal}
# shellcheck source=netns-lib.sh
source "$HERE/netns-lib.sh"

OPTIONS='["--home-net", "198.18.0.0/15", "--home-net", "2001:db8::/32"]'
WS=1   # the workstation: scanner and client
MON=2  # the monitoring server

SCENARIOS=(
    internal-connect-admin internal-syn-admin internal-connect-3ports internal-connect-loop internal-monitor-open-close
    benign-internal-clients
    udp-discovery-answers netbios-broadcast quic-oneway dns-oneway arp-retry-resolver tcp-odd-segments
    nmap-fin-openfiltered nmap-null-openfiltered nmap-xmas-openfiltered nmap-synfin-openfiltered
    nmap-syn-ipv6-targets
)

die() { nl_die "$*"; }
say() { printf '%s\n' "$*"; }

if [[ ${1:-} == -l || ${1:-} == --list ]]; then
    printf '%s\n' "${SCENARIOS[@]}"
    exit 0
fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,17p' "$0"
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
nl_require_cmd ethtool ethtool
nl_require_cmd jq jq
nl_require_cmd nft nftables
nl_require_cmd curl curl
nl_require_cmd openssl openssl
nl_require_cmd ssh openssh-client
nl_require_cmd ssh-keygen openssh-client
[[ -x /usr/sbin/sshd ]] || die "/usr/sbin/sshd not found - install it with: apt-get install -y openssh-server"
nl_require_cmd dig bind9-dnsutils
nl_require_cmd arping arping
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
cat >"$TMP/internal.py" <<'PYEOF'
"""scanwatch internal-fixture lab helper (written out by record-internal-fixtures.sh).

Every address it sends to is checked by guard(): 198.18.0.0/15, 2001:db8::/32
or one of the link-scoped discovery groups the lab uses on its own link.

Modes:
  host A4 A6 PORTS CERT KEY      TCP services bound to this host's two addresses only
  connect-loop HOSTS PORT GAP    connect(), close at once, no data; GAP s between hosts
  open-close HOSTS PORTS ROUNDS PERIOD   a port monitor: connect + close, every PERIOD s
  smb-client HOST                SMB2 NEGOTIATE + ECHOs over NetBIOS session framing
  discovery-responder NAME A4 A6 IF SEED   LLMNR, mDNS, SSDP, NBNS, WS-Discovery answers
  discovery-client A4 IF NAMES ROUNDS      the matching multicast/broadcast queries
  netbios-announce NAME A4 SEED OFFSETS    NetBIOS browser datagrams to 198.18.0.255:138
  quic-client SRC HOSTS SEED     QUIC v1 Initial datagrams (random protected payload)
  odd-conn IF SRC SERVER PORT KIND   a real connection with crafted PSH-only and flagless segments
  odd-bcast IF SRC SEED PORTS    NULL/FIN/XMAS single segments to 224.0.0.251 and 198.18.0.255
  arp-damaged IF SRCMAC SRC GW SEED COUNT SPAN   damaged ARP requests (raw frames), spread over SPAN s
  tile IN OUT COPIES PERIOD      the capture repeated COPIES times, copy k shifted by k*PERIOD s
  expected PATH JSON             write an expected.json (pretty, short lists on one line)
"""
import ipaddress
import json
import os
import random
import re
import select
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time

LAB = [ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("2001:db8::/32")]
LINK_GROUPS = {"224.0.0.251", "224.0.0.252", "239.255.255.250", "ff02::fb", "ff02::1:3", "ff02::1"}


def guard(addr):
    a = ipaddress.ip_address(addr.split("%")[0])
    if str(a) in LINK_GROUPS or any(a in n for n in LAB):
        return addr
    raise SystemExit(f"refusing to send to {addr}: not a lab address")


def blob(tag, size):
    return (tag * (size // len(tag) + 1))[:size]


def hosts_of(path):
    with open(path) as f:
        return [h.strip() for h in f if h.strip()]


# ------------------------------------------------------------------ TCP services
def drain(s):
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass


def read_http_request(s):
    req = b""
    while b"\r\n\r\n" not in req:
        d = s.recv(4096)
        if not d:
            return None
        req += d
    return req


def http_answer(s, req):
    path = req.split(b" ", 2)[1] if req.count(b" ") >= 2 else b"/"
    body = blob(b"<p>internal lab page %s</p>\n" % path, 900)
    s.sendall(b"HTTP/1.1 200 OK\r\nServer: lab-httpd/1.0\r\nContent-Type: text/html\r\nContent-Length: %d\r\n"
              b"Connection: close\r\n\r\n" % len(body) + body)


def smb2_header(cmd, msgid, response, status=0):
    flags = 1 if response else 0
    return b"\xfeSMB" + struct.pack("<HHIHHIIQIIQ16s", 64, 0, status, cmd, 1, flags, 0, msgid, 0xFEFF, 0, 0, b"\0" * 16)


def netbios_session(payload):
    return struct.pack("!I", len(payload)) + payload


def smb2_negotiate_request(msgid):
    dialects = [0x0202, 0x0210, 0x0300, 0x0302]
    body = struct.pack("<HHHHI16sIHH", 36, len(dialects), 1, 0, 0x7F, blob(b"lab-client-guid!", 16), 0, 0, 0)
    body += b"".join(struct.pack("<H", d) for d in dialects)
    return netbios_session(smb2_header(0, msgid, False) + body)


def smb2_negotiate_response(msgid):
    now = int((time.time() + 11644473600) * 10_000_000)
    body = struct.pack("<HHHH16sIIIIQQHHI", 65, 1, 0x0302, 0, blob(b"lab-server-guid!", 16), 0x2F,
                       8388608, 8388608, 8388608, now, 0, 128, 0, 0)
    return netbios_session(smb2_header(0, msgid, True) + body)


def smb2_echo(msgid, response):
    return netbios_session(smb2_header(13, msgid, response) + struct.pack("<HH", 4, 0))


def recv_netbios(s):
    hdr = b""
    while len(hdr) < 4:
        d = s.recv(4 - len(hdr))
        if not d:
            return None
        hdr += d
    n = struct.unpack("!I", hdr)[0] & 0x1FFFF
    data = b""
    while len(data) < n:
        d = s.recv(n - len(data))
        if not d:
            return None
        data += d
    return data


def serve_smb(s):
    while True:
        m = recv_netbios(s)
        if m is None or len(m) < 64 or m[:4] != b"\xfeSMB":
            return
        cmd, msgid = struct.unpack("<H", m[12:14])[0], struct.unpack("<Q", m[24:32])[0]
        s.sendall(smb2_negotiate_response(msgid) if cmd == 0 else smb2_echo(msgid, True))


def serve_rdp(s):
    # X.224 Connection Request -> Connection Confirm (RDP negotiation response, TLS)
    d = s.recv(4096)
    if d:
        s.sendall(bytes.fromhex("030000130ed000001234000201080001000000"))
        drain(s)


def handler_for(port, tls_ctx):
    class H(socketserver.BaseRequestHandler):
        def handle(self):
            s = self.request
            s.settimeout(10)
            try:
                if port == 22:
                    s.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
                    drain(s)
                elif port in (80, 8080, 5985):
                    req = read_http_request(s)
                    if req:
                        http_answer(s, req)
                elif port == 8443:
                    t = tls_ctx.wrap_socket(s, server_side=True)
                    req = read_http_request(t)
                    if req:
                        http_answer(t, req)
                    t.close()
                elif port == 443:
                    if s.recv(4096):
                        hello = blob(b"lab-server-hello/", 600)
                        s.sendall(b"\x16\x03\x03" + struct.pack("!H", len(hello)) + hello)
                        drain(s)
                elif port in (445, 139):
                    serve_smb(s)
                elif port == 3389:
                    serve_rdp(s)
                else:
                    drain(s)
            except (OSError, ssl.SSLError):
                pass
    return H


def host(a4, a6, ports, cert, key):
    tls_ctx = None
    if os.path.exists(cert):
        tls_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls_ctx.load_cert_chain(cert, key)
    servers = []
    for p in [int(x) for x in ports.split(",") if x]:
        for addr, fam in ((a4, socket.AF_INET), (a6, socket.AF_INET6)):
            cls = type("S", (socketserver.ThreadingTCPServer,), {"address_family": fam, "allow_reuse_address": True,
                                                                 "daemon_threads": True, "request_queue_size": 128})
            srv = cls((addr, p), handler_for(p, tls_ctx))
            servers.append(srv)
            threading.Thread(target=srv.serve_forever, daemon=True).start()
    print(f"host {a4} {a6} ready: tcp {ports}", flush=True)
    while True:
        time.sleep(3600)


# ------------------------------------------------------------------ TCP clients
def connect_loop(path, port, gap):
    acc, ref = [], []
    hosts = hosts_of(path)
    for i, h in enumerate(hosts):
        try:
            socket.create_connection((guard(h), int(port)), timeout=3).close()
            acc.append(h)
        except ConnectionRefusedError:
            ref.append(h)
        if i + 1 < len(hosts):
            time.sleep(float(gap))
    print("accepted:", " ".join(acc))
    print("refused:", " ".join(ref))


def open_close(path, ports, rounds, period):
    hosts = hosts_of(path)
    ports = [int(p) for p in ports.split(",")]
    t0 = time.time()
    for r in range(int(rounds)):
        while time.time() < t0 + r * float(period):
            time.sleep(0.05)
        ok = 0
        for h in hosts:
            for p in ports:
                socket.create_connection((guard(h), p), timeout=3).close()
                ok += 1
                time.sleep(0.02)
        print(f"round {r}: {ok} ports open", flush=True)


def smb_client(h):
    with socket.create_connection((guard(h), 445), timeout=5) as s:
        s.sendall(smb2_negotiate_request(0))
        m = recv_netbios(s)
        assert m and m[:4] == b"\xfeSMB" and struct.unpack("<H", m[12:14])[0] == 0, "no NEGOTIATE response"
        for i in range(1, 4):
            time.sleep(0.3)
            s.sendall(smb2_echo(i, False))
            m = recv_netbios(s)
            assert m and struct.unpack("<H", m[12:14])[0] == 13, "no ECHO response"
    print("SMB2 NEGOTIATE + 3 ECHOs answered")


# ------------------------------------------------------------------ discovery (UDP)
def dns_name(name):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.split(".") if x) + b"\0"


def parse_question(q):
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
        i += 1 + q[i]
    i += 1
    if i + 4 > len(q):
        return None, None, None, None
    qtype, qclass = struct.unpack("!HH", q[i:i + 4])
    return ".".join(labels), qtype, qclass, q[12:i + 4]


def nb_encode(name, suffix):
    raw = name.upper().ljust(15)[:15].encode() + bytes([suffix])
    return b"\x20" + bytes(c for b in raw for c in (0x41 + (b >> 4), 0x41 + (b & 15))) + b"\0"


def nb_decode(enc):
    if len(enc) < 34 or enc[0] != 0x20:
        return None, None
    raw = bytes(((enc[1 + 2 * i] - 0x41) << 4) | (enc[2 + 2 * i] - 0x41) for i in range(16))
    return raw[:15].decode(errors="replace").rstrip(), raw[15]


WSD_PROBE = """<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" \
xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" \
xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof"><soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>\
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</wsa:Action><wsa:MessageID>urn:uuid:{mid}</wsa:MessageID>\
</soap:Header><soap:Body><wsd:Probe><wsd:Types>wsdp:Device</wsd:Types></wsd:Probe></soap:Body></soap:Envelope>"""

WSD_MATCH = """<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" \
xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsd="http://schemas.xmlsoap.org/ws/2005/04/discovery" \
xmlns:wsdp="http://schemas.xmlsoap.org/ws/2006/02/devprof"><soap:Header>\
<wsa:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:To>\
<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action><wsa:MessageID>urn:uuid:{mid}</wsa:MessageID>\
<wsa:RelatesTo>{rel}</wsa:RelatesTo><wsd:AppSequence InstanceId="{inst}" MessageNumber="{num}"/></soap:Header><soap:Body>\
<wsd:ProbeMatches><wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>urn:uuid:{dev}</wsa:Address></wsa:EndpointReference>\
<wsd:Types>wsdp:Device pub:Computer</wsd:Types><wsd:XAddrs>http://{addr}:5357/{dev}/</wsd:XAddrs>\
<wsd:MetadataVersion>2</wsd:MetadataVersion></wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>"""


def uuid_from(rnd):
    h = "%032x" % rnd.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def discovery_responder(name, a4, a6, ifname, seed):
    rnd = random.Random(int(seed))
    ifindex = socket.if_nametoindex(ifname)
    devid = uuid_from(rnd)

    def v4(port, group=None, ttl=None):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        if group:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(group) + socket.inet_aton(a4))
        if ttl:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        return s

    llmnr6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    llmnr6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    llmnr6.bind(("::", 5355))
    llmnr6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP,
                      socket.inet_pton(socket.AF_INET6, "ff02::1:3") + struct.pack("@I", ifindex))
    socks = {"llmnr": v4(5355, "224.0.0.252"), "llmnr6": llmnr6, "mdns": v4(5353, "224.0.0.251", 255),
             "ssdp": v4(1900, "239.255.255.250"), "nbns": v4(137), "wsd": v4(3702, "239.255.255.250")}
    boot = int(time.time())
    counter = [0]

    def later(delay, sock, data, peer):
        guard(peer[0])
        threading.Timer(delay, lambda: sock.sendto(data, peer)).start()

    print(f"discovery responder {name} ready", flush=True)
    while True:
        ready, _, _ = select.select(list(socks.values()), [], [])
        for s in ready:
            data, peer = s.recvfrom(65535)
            kind = next(k for k, v in socks.items() if v is s)
            if kind in ("llmnr", "llmnr6"):
                if len(data) < 12 or data[2] & 0x80:
                    continue
                qname, qtype, qclass, question = parse_question(data)
                if qname is None or qname.lower() != name.lower():
                    continue
                if kind == "llmnr":
                    rr = struct.pack("!HHIH", 1, 1, 30, 4) + socket.inet_aton(a4)
                else:
                    rr = struct.pack("!HHIH", 28, 1, 30, 16) + socket.inet_pton(socket.AF_INET6, a6)
                ans = data[:2] + struct.pack("!HHHHH", 0x8000, 1, 1, 0, 0) + question + b"\xc0\x0c" + rr
                later(rnd.uniform(0.001, 0.02), s, ans, peer[:2] if kind == "llmnr" else peer)
            elif kind == "mdns":
                if len(data) < 12 or data[2] & 0x80:
                    continue
                qname, qtype, qclass, question = parse_question(data)
                if qname != "_smb._tcp.local" or qtype != 12:
                    continue
                target = dns_name(f"{name}._smb._tcp.local")
                rr = b"\xc0\x0c" + struct.pack("!HHIH", 12, 1, 4500, len(target)) + target
                # one-shot (legacy) query from a port other than 5353, or QU: a unicast answer
                # to the querier's address and port with its ID and question (RFC 6762 5.1, 6.7)
                ans = data[:2] + struct.pack("!HHHHH", 0x8400, 1, 1, 0, 0) + question + rr
                later(rnd.uniform(0.02, 0.12), s, ans, peer)
            elif kind == "ssdp":
                if not data.startswith(b"M-SEARCH") or b"ssdp:discover" not in data:
                    continue
                mx = 1
                m = re.search(rb"\r\nMX:\s*(\d+)", data, re.I)
                if m:
                    mx = max(1, min(5, int(m.group(1))))
                ans = ("HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nDATE: %s\r\nEXT:\r\n"
                       "LOCATION: http://%s:2869/upnphost/udhisapi.dll?content=uuid:%s\r\n"
                       "SERVER: Linux/6.1 UPnP/1.0 lab-upnp/1.0\r\nST: upnp:rootdevice\r\n"
                       "USN: uuid:%s::upnp:rootdevice\r\nContent-Length: 0\r\n\r\n"
                       % (time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()), a4, devid, devid)).encode()
                later(rnd.uniform(0.05, mx * 0.9), s, ans, peer)
            elif kind == "nbns":
                if len(data) < 50 or data[2] & 0x80:
                    continue
                qn, suffix = nb_decode(data[12:46])
                if qn != "WORKGROUP" or suffix != 0:
                    continue
                # positive name query response: R, AA, RD; one NB record, group name, B-node
                ans = data[:2] + struct.pack("!HHHHH", 0x8500, 0, 1, 0, 0) + data[12:46] + \
                    struct.pack("!HHIHH", 0x20, 1, 300000, 6, 0x8000) + socket.inet_aton(a4)
                later(rnd.uniform(0.001, 0.03), s, ans, peer)
            elif kind == "wsd":
                m = re.search(rb"<wsa:MessageID>([^<]+)</wsa:MessageID>", data)
                if b"/discovery/Probe<" not in data or not m:
                    continue
                counter[0] += 1
                ans = WSD_MATCH.format(mid=uuid_from(rnd), rel=m.group(1).decode(), inst=boot, num=counter[0],
                                       dev=devid, addr=a4).encode()
                later(rnd.uniform(0.01, 0.45), s, ans, peer)


def discovery_client(a4, ifname, names, rounds):
    rnd = random.Random(4795)
    ifindex = socket.if_nametoindex(ifname)
    names = names.split(",")
    got = {k: set() for k in ("llmnr", "llmnr6", "mdns", "ssdp", "nbns", "wsd")}

    def collect(s, kind, wait):
        end = time.time() + wait
        while True:
            left = end - time.time()
            if left <= 0:
                return
            r, _, _ = select.select([s], [], [], left)
            if r:
                _, peer = s.recvfrom(65535)
                got[kind].add(peer[0])

    def udp4(ttl):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a4, 0))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a4))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        return s

    def query(qid, flags, name, qtype, qclass=1):
        return struct.pack("!HHHHHH", qid, flags, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", qtype, qclass)

    for r in range(int(rounds)):
        for n in names:  # LLMNR over IPv4: a fresh port per query, as Windows' resolver does
            with udp4(1) as s:
                s.sendto(query(rnd.randrange(65536), 0, n, 1), (guard("224.0.0.252"), 5355))
                collect(s, "llmnr", 0.4)
        for n in names:  # LLMNR over IPv6
            with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, ifindex)
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 1)
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, 0)
                s.sendto(query(rnd.randrange(65536), 0, n, 28), (guard("ff02::1:3"), 5355, 0, ifindex))
                collect(s, "llmnr6", 0.4)
        with udp4(255) as s:  # mDNS one-shot browse, QU bit set: unicast answers
            s.sendto(query(rnd.randrange(65536), 0, "_smb._tcp.local", 12, 0x8001), (guard("224.0.0.251"), 5353))
            collect(s, "mdns", 1.0)
        with udp4(2) as s:  # SSDP M-SEARCH (UPnP 1.0: TTL 2 by default)
            s.sendto(b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\n'
                     b"ST: upnp:rootdevice\r\nUSER-AGENT: Microsoft-Windows/10.0 UPnP/1.0\r\n\r\n", (guard("239.255.255.250"), 1900))
            collect(s, "ssdp", 1.5)
        with udp4(1) as s:  # NetBIOS name query, broadcast (B-node)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            q = struct.pack("!HHHHHH", rnd.randrange(65536), 0x0110, 1, 0, 0, 0) + nb_encode("WORKGROUP", 0) + struct.pack("!HH", 0x20, 1)
            s.sendto(q, (guard("198.18.0.255"), 137))
            collect(s, "nbns", 1.0)
        with udp4(1) as s:  # WS-Discovery Probe
            s.sendto(WSD_PROBE.format(mid=uuid_from(rnd)).encode(), (guard("239.255.255.250"), 3702))
            collect(s, "wsd", 1.0)
        print(f"round {r}: " + " ".join(f"{k}={len(v)}" for k, v in got.items()), flush=True)
        if r + 1 < int(rounds):
            time.sleep(3)
    for k, v in got.items():
        print(f"{k}: answered by {len(v)}: {' '.join(sorted(v))}")
    if min(len(v) for v in got.values()) < 5:
        raise SystemExit("fewer than 5 responders for a protocol")


# ------------------------------------------------------------------ NetBIOS browser datagrams
def browser_frame(kind, name, rnd, update):
    if kind == "host":  # HostAnnouncement (opcode 1)
        return struct.pack("<BBI", 1, update, 720000) + name.upper().ljust(16, "\0")[:16].encode() + \
            struct.pack("<BBIBBH", 10, 0, 0x00011003, 15, 1, 0xAA55) + b"lab workstation\0"
    if kind == "master":  # LocalMasterAnnouncement (opcode 15)
        return struct.pack("<BBI", 15, update, 720000) + name.upper().ljust(16, "\0")[:16].encode() + \
            struct.pack("<BBIBBH", 10, 0, 0x00051003, 15, 1, 0xAA55) + b"lab browser\0"
    if kind == "request":  # AnnouncementRequest (opcode 2)
        return struct.pack("<BB", 2, 0) + name.upper().encode() + b"\0"
    raise SystemExit(kind)


def smb_mailslot(data):
    name = b"\\MAILSLOT\\BROWSE\0"
    hdr = b"\xffSMB" + struct.pack("<BIBH12sHHHH", 0x25, 0, 0, 0, b"\0" * 12, 0, 0, 0, 0)
    off = 32 + 1 + 34 + 2 + len(name)
    words = struct.pack("<HHHHBBHIHHHHHBB", 0, len(data), 0, 0, 0, 0, 0, 1000, 0, 0, off, len(data), off, 3, 0)
    words += struct.pack("<HHH", 1, 1, 2)
    return hdr + bytes([17]) + words + struct.pack("<H", len(name) + len(data)) + name + data


def netbios_announce(name, a4, seed, offsets):
    rnd = random.Random(int(seed))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", 138))
    t0 = time.time()
    sent = 0
    for i, item in enumerate(offsets.split(",")):
        off, kind = item.split(":")
        while time.time() < t0 + float(off):
            time.sleep(0.02)
        # host announcements go to the workgroup's <1D> name, the others to its <1E> name
        body = nb_encode(name, 0) + nb_encode("WORKGROUP", 0x1D if kind == "host" else 0x1E) + \
            smb_mailslot(browser_frame(kind, name, rnd, i))
        dgm = struct.pack("!BBH4sHHH", 0x11, 0x02, rnd.randrange(1, 65536), socket.inet_aton(a4), 138, len(body), 0) + body
        s.sendto(dgm, (guard("198.18.0.255"), 138))
        sent += 1
    print(f"{name}: {sent} browser datagrams")


# ------------------------------------------------------------------ QUIC Initial
def varint(n):
    if n < 64:
        return bytes([n])
    if n < 16384:
        return struct.pack("!H", 0x4000 | n)
    return struct.pack("!I", 0x80000000 | n)


def quic_initial(rnd, dcid, scid, pn, size=1252):
    head = bytes([0xC0 | rnd.randrange(16)]) + struct.pack("!I", 1) + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + varint(0)
    rest = size - len(head) - 2  # 2-byte Length field
    protected = struct.pack("!I", pn ^ rnd.getrandbits(32)) + rnd.randbytes(rest - 4)
    return head + struct.pack("!H", 0x4000 | rest) + protected


def quic_client(src, path, seed):
    """A QUIC v1 client (RFC 9000) opening a connection to each server: an
    Initial padded to 1252 bytes, resent at the probe timeouts (RFC 9002:
    1 s, then doubled) with the next packet number, three times in all. The
    protected part (packet number, CRYPTO frame with the ClientHello,
    PADDING, AEAD tag) is random bytes here: nothing decrypts it."""
    rnd = random.Random(int(seed))
    hosts = hosts_of(path)
    threads = []

    def one(h, dcid, scid, prng):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((src, 0))
            t0 = time.time()
            for pn, at in enumerate((0.0, 1.0, 3.0)):
                while time.time() < t0 + at:
                    time.sleep(0.01)
                s.sendto(quic_initial(prng, dcid, scid, pn), (guard(h), 443))
    for i, h in enumerate(hosts):
        t = threading.Thread(target=one, args=(h, rnd.randbytes(8), rnd.randbytes(8), random.Random(rnd.getrandbits(64))))
        t.start()
        threads.append(t)
        time.sleep(1.3)
    for t in threads:
        t.join()
    print(f"{len(hosts)} QUIC connection attempts, 3 Initials each")


# ------------------------------------------------------------------ odd TCP segments (scapy)
def odd_conn(ifname, src, server, port, kinds):
    """A real connection from SRC to SERVER:PORT. After the first part of the
    request, the crafted segments (PSH only, or no flag at all, each with a
    payload) are sent with the connection's own 4-tuple, at the client's next
    sequence number and the server's next one as acknowledgement number (the
    ACK flag off). The server's kernel drops segments without ACK; the client
    then sends the real rest of the request at the same sequence number."""
    from scapy.all import AsyncSniffer, IP, TCP, Raw, send, conf, L3RawSocket
    conf.verb = 0
    conf.L3socket = L3RawSocket  # through the kernel's raw IP socket: its routes and neighbour table, no ARP of scapy's own
    port = int(port)
    sn = AsyncSniffer(iface=ifname, filter=f"tcp and host {guard(server)} and port {port}", store=True)
    sn.start()
    time.sleep(1.0)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect((server, port))
    lport = s.getsockname()[1]
    if port == 445:
        first, rest = smb2_negotiate_request(0)[:40], smb2_negotiate_request(0)[40:]
    else:
        first = b"GET /reports/q3.html HTTP/1.1\r\nHost: %s:%d\r\n" % (server.encode(), port)
        rest = b"User-Agent: lab-client/2.1\r\nAccept: text/html\r\n\r\n"
    s.sendall(first)
    time.sleep(0.5)
    pkts = sn.stop()
    cli_isn = srv_isn = None
    for p in pkts:
        if TCP not in p or IP not in p:
            continue
        t = p[TCP]
        if p[IP].src == src and t.sport == lport and t.flags & 0x02:
            cli_isn = t.seq
        if p[IP].src == server and t.dport == lport and t.flags & 0x12 == 0x12:
            srv_isn = t.seq
    assert cli_isn is not None and srv_isn is not None, "handshake not seen"
    seq = (cli_isn + 1 + len(first)) & 0xFFFFFFFF
    ack = (srv_isn + 1) & 0xFFFFFFFF
    for k in kinds.split(","):
        flags, data = {"psh": ("P", b"X-Trace: psh-only\r\n"), "none": ("", b"X-Trace: no-flags\r\n")}[k]
        send(IP(src=src, dst=guard(server), ttl=64) / TCP(sport=lport, dport=port, seq=seq, ack=ack, flags=flags, window=502) / Raw(data))
        time.sleep(0.2)
    s.sendall(rest)
    got = b""
    try:
        if port == 445:
            m = recv_netbios(s)
            got = m or b""
        else:
            while True:
                d = s.recv(4096)
                if not d:
                    break
                got += d
    finally:
        s.close()
    assert got, "no answer after the crafted segments"
    print(f"{src}:{lport} -> {server}:{port}: {kinds} crafted at seq {seq}, answer {len(got)} bytes")


def odd_bcast(ifname, src, seed, ports):
    """Single TCP segments with no SYN, ACK or RST to the mDNS group (in a
    multicast frame) and to the lab's broadcast address (in a broadcast frame):
    NULL, FIN and XMAS (FIN+PSH+URG). Nobody answers TCP sent to a group."""
    from scapy.all import Ether, IP, TCP, sendp, conf, get_if_hwaddr
    conf.verb = 0
    rnd = random.Random(int(seed))
    mac = get_if_hwaddr(ifname)
    ports = [int(p) for p in ports.split(",")]
    frames = []
    for i, (dst, dmac) in enumerate((("224.0.0.251", "01:00:5e:00:00:fb"), ("198.18.0.255", "ff:ff:ff:ff:ff:ff"))):
        for j, flags in enumerate(("", "F", "FPU")):
            frames.append(Ether(src=mac, dst=dmac) / IP(src=src, dst=guard(dst), ttl=1 if dst.startswith("224") else 64,
                                                          id=rnd.randrange(65536)) /
                          TCP(sport=rnd.randrange(32768, 61000), dport=ports[(3 * i + j) % len(ports)], flags=flags,
                              seq=rnd.getrandbits(32), window=rnd.choice((1024, 4096, 65535))))
    for f in frames:
        sendp(f, iface=ifname)
        time.sleep(rnd.uniform(0.3, 1.2))
    print(f"{src}: {len(frames)} NULL/FIN/XMAS segments to a group and the broadcast address")


# ------------------------------------------------------------------ damaged ARP (raw frames)
def arp_damaged(ifname, srcmac, src, gw, seed, count, span):
    """Damaged copies of SRC's ARP request for GW, as a failing NIC or driver
    would emit them: a garbled target protocol address (bits flipped, kept
    inside 198.18.0.0/15), a garbled target hardware field, a wrong protocol
    address length, a frame cut short inside the sender address. Written
    byte by byte to an AF_PACKET socket, spread at random over SPAN seconds."""
    rnd = random.Random(int(seed))
    count, span = int(count), float(span)
    mac = bytes(int(x, 16) for x in srcmac.split(":"))
    kinds = (["target-ip"] * count)[:count - 3 * (count // 6)] + ["target-mac", "plen", "short"] * (count // 6)
    rnd.shuffle(kinds)
    times = sorted(rnd.uniform(2, span) for _ in kinds)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((ifname, 0))
    used = {socket.inet_aton(gw)}
    t0 = time.time()
    for at, k in zip(times, kinds):
        while time.time() < t0 + at:
            time.sleep(0.05)
        tip, tmac, plen = bytearray(socket.inet_aton(gw)), b"\0" * 6, 4
        if k == "target-ip":  # a different garble each time
            while bytes(tip) in used:
                tip = bytearray(socket.inet_aton(gw))
                pos = rnd.choice((1, 2, 2, 3, 3, 3))
                tip[pos] ^= 1 if pos == 1 else 1 << rnd.randrange(8)
            used.add(bytes(tip))
            guard(socket.inet_ntoa(bytes(tip)))
        elif k == "target-mac":
            tmac = rnd.randbytes(6)
        elif k == "plen":
            plen = 5
        arp = struct.pack("!HHBBH", 1, 0x0800, 6, plen, 1) + mac + socket.inet_aton(src) + tmac + bytes(tip)
        frame = b"\xff" * 6 + mac + b"\x08\x06" + arp
        if k == "short":
            frame = frame[:14 + 16]  # ends inside the sender protocol address
        s.send(frame)
        print(f"{at:7.2f} s {k} {socket.inet_ntoa(bytes(tip))} {tmac.hex(':')} plen={plen} len={len(frame)}", flush=True)


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
        pkts.append([sec + frac / (1e9 if nano else 1e6), data[off + 16:off + 16 + incl], orig])
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


def tile(inp, out, copies, period):
    linktype, pkts = read_pcap(inp)
    res = [(t + k * float(period), fr, orig) for k in range(int(copies)) for t, fr, orig in pkts]
    write_pcap(out, linktype, res)
    print(f"{len(pkts)} frames x {copies} copies = {len(res)} frames over {int(copies) * float(period) / 3600:.2f} h")


# ------------------------------------------------------------------ expected.json
def expected(path, doc):
    doc = json.loads(doc)
    text = json.dumps(doc, indent=2)
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    mode, a = sys.argv[1], sys.argv[2:]
    fn = {
        "host": host, "connect-loop": connect_loop, "open-close": open_close, "smb-client": smb_client,
        "discovery-responder": discovery_responder, "discovery-client": discovery_client,
        "netbios-announce": netbios_announce, "quic-client": quic_client,
        "odd-conn": odd_conn, "odd-bcast": odd_bcast, "arp-damaged": arp_damaged,
        "tile": tile, "expected": expected,
    }.get(mode)
    if fn is None:
        raise SystemExit(f"unknown mode {mode}")
    fn(*a)
PYEOF

# ---------------------------------------------------------------- lab
SEQ=0
LAB_NS=()  # namespaces of the current scenario's lab
HUB=""
PORTN=0
declare -A NSOF # node number -> namespace
NODES=()

a4() { printf '198.18.0.%d' "$1"; }
a6() { printf '2001:db8::%d' "$1"; }
macof() { printf '02:00:c6:12:00:%02x' "$1"; }

# quiet_ns NS: no IPv6 link-local addresses on the interfaces created later
# (addr_gen_mode none): every captured packet then carries a lab address.
quiet_ns() {
    nl_sysctl "$1" net.ipv6.conf.all.addr_gen_mode=1 net.ipv6.conf.default.addr_gen_mode=1
}

# hub_up: the segment. A bridge without MAC learning is a hub: br0 sees every frame.
hub_up() {
    SEQ=$((SEQ + 1))
    HUB="rih$SEQ-$$"
    nl_ns_add "$HUB"
    quiet_ns "$HUB"
    LAB_NS=("$HUB")
    NODES=()
    NSOF=()
    PORTN=0
    ip -n "$HUB" link add br0 type bridge ageing_time 0 stp_state 0 mcast_snooping 0
    ip -n "$HUB" link set br0 up
}

# node_add N: namespace for node N on the hub (198.18.0.N, 2001:db8::N).
node_add() {
    local n=$1 ns="rin$SEQ-$1-$$"
    nl_ns_add "$ns"
    quiet_ns "$ns"
    LAB_NS+=("$ns")
    NSOF[$n]=$ns
    NODES+=("$n")
    PORTN=$((PORTN + 1))
    nl_veth "$ns" lan0 "$(macof "$n")" "$HUB" "p$PORTN" ""
    ip -n "$HUB" link set "p$PORTN" master br0
    nl_offload_off "$ns" lan0
    nl_offload_off "$HUB" "p$PORTN"
    nl_addr "$ns" lan0 "$(a4 "$n")/24" "$(a6 "$n")/64"
}

# lab N...: hub, the nodes, permanent neighbour entries between all of them.
lab() {
    local n m
    hub_up
    for n in "$@"; do node_add "$n"; done
    for n in "$@"; do
        for m in "$@"; do
            [[ $n == "$m" ]] && continue
            nl_neigh "${NSOF[$n]}" lan0 "$(a4 "$m")" "$(macof "$m")"
            nl_neigh "${NSOF[$n]}" lan0 "$(a6 "$m")" "$(macof "$m")"
        done
    done
}

# serve N PORTS: the python services of node N, bound to its two addresses only.
serve() {
    local n=$1 ports=$2 i log="$LOG/host-$SEQ-$1.log"
    nl_bg "${NSOF[$n]}" "$log" "$PY" "$TMP/internal.py" host "$(a4 "$n")" "$(a6 "$n")" "$ports" "$TMP/tls/cert.pem" "$TMP/tls/key.pem"
    for ((i = 0; i < 100; i++)); do
        grep -q ready "$log" 2>/dev/null && return 0
        kill -0 "$NL_LAST_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log" >&2
    die "services of node $n did not start"
}

# drop_unreach N: nftables in node N drops its own ICMP/ICMPv6 destination
# unreachables (a host behind a filter that answers nothing).
drop_unreach() {
    local ns=${NSOF[$1]}
    nl_assert_lab_ns "$ns"
    ip netns exec "$ns" nft -f - <<'NFT'
table inet quiet {
    chain out {
        type filter hook output priority 0; policy accept;
        icmp type destination-unreachable drop
        icmpv6 type destination-unreachable drop
    }
}
NFT
}

wait_ready() { # LOGFILE WORD
    local i
    for ((i = 0; i < 150; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    cat "$1" >&2
    die "$CUR: '$2' not seen in $1"
}

lab_down() {
    local ns
    for ns in "${LAB_NS[@]}"; do nl_ns_del "$ns"; done
    LAB_NS=()
}

hosts_file() { # FILE N...
    local f=$1 n
    shift
    : >"$f"
    for n in "$@"; do a4 "$n" >>"$f"; echo >>"$f"; done
}

# ---------------------------------------------------------------- capture + checks
CUR="" CAP=""
cap_begin() { # NAME
    CUR=$1
    CAP="$TMP/$CUR.pcap"
    sleep 2 # let the new interfaces finish their MLD/IGMP reports first
    nl_capture_start "$HUB" br0 "$CAP"
}
cap_end() { nl_capture_stop "${1:-2}"; }

run() { # NODE CMD... (output to the scenario log)
    local n=$1
    shift
    say "  [node $n] $*"
    nl_lab_exec "${NSOF[$n]}" "$@" >>"$LOG/$CUR.log" 2>&1 || {
        tail -5 "$LOG/$CUR.log" >&2
        die "$CUR: '$*' failed"
    }
}
run_any() { # as run, the exit status does not matter (dig without an answer)
    local n=$1
    shift
    say "  [node $n] $*"
    nl_lab_exec "${NSOF[$n]}" "$@" >>"$LOG/$CUR.log" 2>&1 || true
}

tcount() { tshark -r "${2:-$CAP}" -Y "$1" 2>/dev/null | wc -l; }
# tuniq FILTER FIELD...: distinct values (lines) of the fields
tuniq() {
    local f=$1 a=() x
    shift
    for x in "$@"; do a+=(-e "$x"); done
    tshark -r "$CAP" -Y "$f" -T fields "${a[@]}" 2>/dev/null | sort -u | sed '/^\s*$/d'
}
keep_failed() { [[ -f ${CAP:-} ]] && cp "$CAP" "$OUT/.$CUR.pcap.failed"; }
fail() { keep_failed; die "$CUR: check failed: $* (capture kept as $OUT/.$CUR.pcap.failed)"; }
expect_ge() { (($2 >= $3)) || fail "$1: $2 < $3"; say "  check: $1 = $2 (>= $3)"; }
expect_eq() { (($2 == $3)) || fail "$1: $2 != $3"; say "  check: $1 = $2"; }
expect_str() { [[ $2 == "$3" ]] || fail "$1: '$2' != '$3'"; say "  check: $1 = $2"; }

jnums() { # newline-separated numbers on stdin -> [1,2,3] (sorted)
    sort -n | sed '/^$/d' | paste -sd, | sed 's/^/[/; s/$/]/'
}
jstrs() { # a b c -> ["a","b","c"]
    local s="" x
    for x in "$@"; do s+="${s:+,}\"$x\""; done
    printf '[%s]' "$s"
}

# tcp_facts SRC PROBE-FILTER: what the probes from SRC reached and what answered,
# from the capture. Sets F_TARGETS, F_PORTS (distinct destinations and ports of
# the probes), F_OPEN (JSON: ports that answered SYN-ACK), F_LIVE (JSON: hosts
# that answered SYN-ACK), F_LIVE_N, F_REJECTED (distinct host:port that answered
# RST), F_TARGET_LIST (the probed addresses, space-separated).
tcp_facts() {
    local src=$1 probe=$2 ip=ip
    [[ $src == *:* ]] && ip=ipv6
    local p="$ip.src == $src && ($probe)"
    F_TARGET_LIST=$(tuniq "$p" "$ip.dst" | paste -sd' ')
    F_TARGETS=$(tuniq "$p" "$ip.dst" | wc -l)
    F_PORTS=$(tuniq "$p" tcp.dstport | wc -l)
    F_OPEN=$(tuniq "$ip.dst == $src && tcp.flags == 0x012" tcp.srcport | jnums)
    local live
    live=$(tuniq "$ip.dst == $src && tcp.flags == 0x012" "$ip.src" | sort -V)
    F_LIVE_N=$(sed '/^$/d' <<<"$live" | wc -l)
    # shellcheck disable=SC2086
    F_LIVE=$(jstrs $live)
    F_REJECTED=$(tuniq "$ip.dst == $src && tcp.flags.reset == 1" "$ip.src" tcp.srcport | wc -l)
}

# det SRC TYPE PATTERN TOOL TARGETS PORTS OPEN [EXTRA-JSON]
det() {
    local tool=null
    [[ $4 != null ]] && tool="\"$4\""
    printf '{"src":"%s","type":"%s","pattern":"%s","tool":%s,"targets":%s,"ports":%s,"open_ports":%s%s}' \
        "$1" "$2" "$3" "$tool" "$5" "$6" "$7" "${8:+,$8}"
}

# svc N TCP-PORTS [UDP-PORTS]: add node N's services to SVC (target_services,
# keyed by the host's IPv4 address; the same listeners are on 2001:db8::N).
SVC='{}'
svc_reset() { SVC='{}'; }
svc() {
    local tcp=${2:-} udp=${3:-}
    SVC=$(jq -c --arg h "$(a4 "$1")" --arg t "$tcp" --arg u "$udp" \
        '. + {($h): ({tcp: ($t | split(",") | map(select(. != "") | tonumber))}
              + (if $u == "" then {} else {udp: ($u | split(",") | map(tonumber))} end))}' <<<"$SVC")
}

# publish DESCRIPTION COMMAND DETECTIONS-JSON [PCAP]: copy the capture to $OUT
# and write NAME.expected.json.
publish() {
    local desc=$1 cmd=$2 dets=$3 pcap=${4:-$CAP} doc n
    cp "$pcap" "$OUT/$CUR.pcap"
    n=$(capinfos -c -M "$OUT/$CUR.pcap" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    doc=$(jq -n --arg name "$CUR" --arg d "$desc" --arg c "$cmd" --argjson det "$dets" --argjson svc "$SVC" \
        --argjson opts "$OPTIONS" \
        '{name:$name, description:$d, command:$c, target_services:$svc, detections:$det, options:$opts}')
    "$PY" "$TMP/internal.py" expected "$OUT/$CUR.expected.json" "$doc"
    say "  wrote $CUR.pcap ($n packets, $(stat -c %s "$OUT/$CUR.pcap") bytes) + $CUR.expected.json"
}

# The detection fields every internal scan carries: both ends are in --home-net.
INTERNAL='"direction":"internal"'

# ---------------------------------------------------------------- internal reconnaissance
sc_internal_connect_admin() {
    lab $WS 10 11 12 13 14 15 16 17
    svc_reset
    local n
    for n in 10 11 12 13; do serve "$n" 445,3389; svc "$n" 445,3389; done
    for n in 14 15 16 17; do svc "$n" ""; done
    local gn="$TMP/$CUR.gnmap" cmd=(nmap -sT -Pn -n -p 445,3389 198.18.0.10-17)
    cap_begin internal-connect-admin
    run $WS "${cmd[@]}" -oG "$gn"
    cap_end
    tcp_facts 198.18.0.1 'tcp.flags == 0x002'
    expect_eq "hosts probed" "$F_TARGETS" 8
    expect_eq "ports probed" "$F_PORTS" 2
    expect_str "ports that answered SYN-ACK" "$F_OPEN" "[445,3389]"
    expect_str "hosts that accepted" "$F_LIVE" '["198.18.0.10","198.18.0.11","198.18.0.12","198.18.0.13"]'
    expect_eq "host:port refused (RST)" "$F_REJECTED" 8
    expect_eq "handshakes completed by the scanner (its ACK of a SYN-ACK)" "$(tuniq 'ip.src == 198.18.0.1 && tcp.flags == 0x010 && tcp.seq == 1 && tcp.ack == 1' ip.dst tcp.dstport | wc -l)" 8
    expect_eq "payload from the scanner" "$(tcount 'ip.src == 198.18.0.1 && tcp.len > 0')" 0
    expect_eq "accepted connections closed by the scanner with RST" "$(tuniq 'ip.src == 198.18.0.1 && tcp.flags == 0x014' ip.dst tcp.dstport | wc -l)" 8
    expect_eq "hosts nmap reports with 445 and 3389 open" "$(grep -c '445/open/tcp//microsoft-ds///, 3389/open/tcp//ms-wbt-server' "$gn")" 4
    publish "nmap connect() scan (-sT) of the admin ports 445 (SMB) and 3389 (RDP) of 8 internal hosts (198.18.0.10-17) from the workstation 198.18.0.1, both ends inside --home-net. 198.18.0.10-13 listen on both ports: the kernel completes each handshake for nmap, which sends nothing and closes at once (RST/ACK: nmap sets SO_LINGER 0); 198.18.0.14-17 refuse both (RST/ACK). Lateral-movement reconnaissance: one detection, reason internal-recon." \
        "${cmd[*]}" \
        "[$(det 198.18.0.1 tcp-connect horizontal null "$F_TARGETS" "$F_PORTS" "$F_OPEN" "\"live_hosts\":$F_LIVE,\"rejected\":$F_REJECTED,\"reason\":\"internal-recon\",$INTERNAL,\"severity\":\"critical\"")]"
    lab_down
}

nmap_one_host() { # NAME TYPE TOOL PORTSPEC PORTS DESC NMAP-SCAN-FLAG
    local name=$1 type=$2 tool=$3 pspec=$4 nports=$5 desc=$6 flag=$7
    lab $WS 10
    svc_reset
    svc 10 ""
    local cmd=(nmap "$flag" -Pn -n -p "$pspec" 198.18.0.10)
    cap_begin "$name"
    run $WS "${cmd[@]}"
    cap_end
    tcp_facts 198.18.0.1 'tcp.flags == 0x002'
    expect_eq "hosts probed" "$F_TARGETS" 1
    expect_eq "ports probed" "$F_PORTS" "$nports"
    expect_str "ports that answered SYN-ACK" "$F_OPEN" "[]"
    expect_eq "ports refused (RST)" "$F_REJECTED" "$nports"
    publish "$desc" "${cmd[*]}" \
        "[$(det 198.18.0.1 "$type" vertical "$tool" 1 "$F_PORTS" '[]' "\"rejected\":$F_REJECTED,\"reason\":\"internal-recon\",$INTERNAL")]"
    lab_down
}
sc_internal_syn_admin() {
    nmap_one_host internal-syn-admin tcp-syn nmap 22,445,3389,5985 4 \
        "nmap SYN scan (-sS, raw packets) of four admin ports (22 SSH, 445 SMB, 3389 RDP, 5985 WinRM) of one internal host 198.18.0.10 from the workstation 198.18.0.1; the host listens on none of them, so all four are refused (RST/ACK). Only four probes, but an internal host probing another's admin ports: one detection, reason internal-recon." -sS
}
sc_internal_connect_3ports() {
    nmap_one_host internal-connect-3ports tcp-connect null 135,139,445 3 \
        "nmap connect() scan (-sT) of three Windows ports (135 RPC, 139 NetBIOS session, 445 SMB) of one internal host 198.18.0.10 from the workstation 198.18.0.1; all three refused (RST/ACK). Three connect() attempts to admin ports, none carrying data: one detection, reason internal-recon." -sT
}

sc_internal_connect_loop() {
    lab $WS 10 11 12 13 14 15 16 17 18 19
    svc_reset
    local n
    for n in 10 11 12 13 14 15 16 17 18 19; do
        if ((n % 2 == 0)); then serve "$n" 445; svc "$n" 445; else svc "$n" ""; fi
    done
    hosts_file "$TMP/loop-hosts" 10 11 12 13 14 15 16 17 18 19
    cap_begin internal-connect-loop
    run $WS "$PY" "$TMP/internal.py" connect-loop "$TMP/loop-hosts" 445 4
    cap_end
    tcp_facts 198.18.0.1 'tcp.flags == 0x002'
    expect_eq "hosts probed" "$F_TARGETS" 10
    expect_eq "ports probed" "$F_PORTS" 1
    expect_str "ports that answered SYN-ACK" "$F_OPEN" "[445]"
    expect_eq "hosts that accepted" "$F_LIVE_N" 5
    expect_eq "hosts that refused" "$F_REJECTED" 5
    expect_eq "payload from the client" "$(tcount 'ip.src == 198.18.0.1 && tcp.len > 0')" 0
    local span
    span=$(tshark -r "$CAP" -Y 'ip.src == 198.18.0.1 && tcp.flags == 0x002' -T fields -e frame.time_relative 2>/dev/null | sort -n | sed -n '1p;$p' | paste -sd' ' | awk '{printf "%d", $2 - $1}')
    expect_ge "seconds from the first connect() to the last" "$span" 36
    publish "A scripted connect() loop (python3 socket.create_connection, then close() at once, nothing sent) to port 445 of 10 internal hosts 198.18.0.10-19, one every 4 seconds, from the workstation 198.18.0.1: the even hosts listen (handshake completed, then FIN), the odd ones refuse (RST/ACK). Slow, one port, no payload: what an operator's or a worm's hand-written SMB sweep looks like. One detection, reason internal-recon." \
        "python3 internal.py connect-loop HOSTS(198.18.0.10-19) 445 4" \
        "[$(det 198.18.0.1 tcp-connect horizontal null "$F_TARGETS" "$F_PORTS" "$F_OPEN" "\"live_hosts\":$F_LIVE,\"rejected\":$F_REJECTED,\"reason\":\"internal-recon\",$INTERNAL,\"severity\":\"critical\"")]"
    lab_down
}

sc_internal_monitor_open_close() {
    lab $MON 10 11 12 13 14
    svc_reset
    local n
    for n in 10 11 12 13 14; do serve "$n" 22,80,443; svc "$n" 22,80,443; done
    hosts_file "$TMP/mon-hosts" 10 11 12 13 14
    cap_begin internal-monitor-open-close
    run $MON "$PY" "$TMP/internal.py" open-close "$TMP/mon-hosts" 22,80,443 5 30
    cap_end
    tcp_facts 198.18.0.2 'tcp.flags == 0x002'
    expect_eq "hosts checked" "$F_TARGETS" 5
    expect_eq "ports checked" "$F_PORTS" 3
    expect_str "ports that answered SYN-ACK" "$F_OPEN" "[22,80,443]"
    expect_eq "hosts that accepted" "$F_LIVE_N" 5
    expect_eq "refusals" "$F_REJECTED" 0
    expect_eq "connections opened" "$(tcount 'ip.src == 198.18.0.2 && tcp.flags == 0x002')" 75
    expect_eq "payload from the monitor" "$(tcount 'ip.src == 198.18.0.2 && tcp.len > 0')" 0
    publish "A port monitor on 198.18.0.2 that only opens and closes TCP ports: connect() then close() at once, no data sent, to 22, 80 and 443 of 5 internal hosts (198.18.0.10-14, all listening; the SSH servers' banners arrive after the close and are answered with RST by the monitor's kernel), one round every 30 seconds, 5 rounds, recorded in real time (not retimed). By the rule it is reconnaissance (connections that never carry a byte from the originator, to several hosts and ports): one detection, reason internal-recon. A site silences its own monitor with --allow-scanner 198.18.0.2." \
        "python3 internal.py open-close HOSTS(198.18.0.10-14) 22,80,443 5 30" \
        "[$(det 198.18.0.2 tcp-connect horizontal null "$F_TARGETS" "$F_PORTS" "$F_OPEN" "\"live_hosts\":$F_LIVE,\"rejected\":$F_REJECTED,\"reason\":\"internal-recon\",$INTERNAL,\"severity\":\"critical\"")]"
    lab_down
}

# ---------------------------------------------------------------- benign internal use
make_tls_cert() {
    [[ -f $TMP/tls/cert.pem ]] && return 0
    mkdir -p "$TMP/tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
        -subj /CN=intranet.lab.test -addext subjectAltName=IP:198.18.0.12 \
        -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" >/dev/null 2>&1
}

# sshd_start N: a real OpenSSH server in node N, bound to its IPv4 address,
# with keys made for this run.
sshd_start() {
    local n=$1 d="$TMP/ssh"
    mkdir -p "$d" /run/sshd
    chmod 700 "$d"
    [[ -f $d/host_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$d/host_key"
    [[ -f $d/client_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$d/client_key"
    cp "$d/client_key.pub" "$d/authorized_keys"
    cat >"$d/sshd_config" <<EOF
ListenAddress $(a4 "$n"):22
HostKey $d/host_key
PidFile none
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile $d/authorized_keys
StrictModes no
UseDNS no
PrintMotd no
EOF
    nl_bg "${NSOF[$n]}" "$LOG/sshd-$SEQ.log" /usr/sbin/sshd -D -e -f "$d/sshd_config"
    nl_wait_listen "${NSOF[$n]}" tcp 22
}

sc_benign_internal_clients() {
    make_tls_cert
    lab $WS $MON 10 11 12 13 14 15 16
    svc_reset
    serve 10 445
    svc 10 445
    sshd_start 11
    svc 11 22
    serve 12 80,8080,8443
    svc 12 80,8080,8443
    local n
    for n in 13 14 15 16; do serve "$n" 80; svc "$n" 80; done
    local mcmd='for r in 1 2 3 4 5 6 7 8; do for h in 198.18.0.13 198.18.0.14 198.18.0.15 198.18.0.16; do curl -sS -m 3 -o /dev/null -w "%{http_code} %{url_effective}\n" http://$h/health; done; sleep 3; done'
    cap_begin benign-internal-clients
    say "  [node $MON] (background) $mcmd"
    nl_check_args "$mcmd"
    ip netns exec "${NSOF[$MON]}" bash -c "$mcmd" >>"$LOG/$CUR.monitor.log" 2>&1 &
    local mpid=$!
    NL_PIDS+=("$mpid")
    run $WS "$PY" "$TMP/internal.py" smb-client 198.18.0.10
    run $WS ssh -F /dev/null -i "$TMP/ssh/client_key" -o BatchMode=yes -o StrictHostKeyChecking=no \
        -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR root@198.18.0.11 'uname -sr; id -un; ls /etc | wc -l'
    run $WS curl -sS -o /dev/null -w '%{http_code} %{url_effective}\n' http://198.18.0.12/ http://198.18.0.12/intranet/news.html
    run $WS curl -sS -o /dev/null -w '%{http_code} %{url_effective}\n' http://198.18.0.12:8080/api/status
    run $WS curl -sS -k -o /dev/null -w '%{http_code} %{url_effective}\n' https://198.18.0.12:8443/admin/
    run $WS "$PY" "$TMP/internal.py" smb-client 198.18.0.10
    wait "$mpid" || die "$CUR: the monitor failed"
    cap_end
    expect_eq "monitor answers 200" "$(grep -c '^200 ' "$LOG/$CUR.monitor.log")" 32
    expect_eq "HTTP requests (monitor 32, browser 80: 2, 8080: 1)" "$(tcount 'http.request')" 35
    expect_eq "TLS ClientHello to 8443" "$(tcount 'tls.handshake.type == 1 && tcp.dstport == 8443')" 1
    expect_eq "SMB2 NEGOTIATE responses" "$(tcount 'smb2.cmd == 0 && smb2.flags.response == 1')" 2
    expect_eq "SMB2 ECHO requests" "$(tcount 'smb2.cmd == 13 && smb2.flags.response == 0')" 6
    expect_eq "SSH protocol banners" "$(tcount 'ssh.protocol')" 2
    expect_ge "SSH packets from the client" "$(tcount 'ip.src == 198.18.0.1 && tcp.dstport == 22 && tcp.len > 0')" 8
    # every connection carries payload from the side that opened it
    local opened withdata
    opened=$(tuniq '(ip.src == 198.18.0.1 || ip.src == 198.18.0.2) && tcp.flags == 0x002' tcp.stream | wc -l)
    withdata=$(tuniq '(ip.src == 198.18.0.1 || ip.src == 198.18.0.2) && tcp.len > 0' tcp.stream | wc -l)
    expect_eq "connections opened" "$opened" 39
    expect_eq "connections with payload from the originator" "$withdata" "$opened"
    publish "Ordinary internal use, every connection with payload from its originator. The workstation 198.18.0.1: an SMB2 client (NetBIOS session framing, NEGOTIATE and three ECHO requests, answered) to the file server 198.18.0.10:445, twice; a real OpenSSH session (ssh to sshd on 198.18.0.11, key exchange, public-key login, a remote command); curl to one intranet server on three ports: http://198.18.0.12/ (2 GETs), :8080 (1 GET) and https://...:8443 (TLS, 1 GET). The monitoring server 198.18.0.2: curl GET /health to 4 web servers (198.18.0.13-16) every 3 s, 8 rounds, all 200. Expected: nothing." \
        "smb-client 198.18.0.10; ssh root@198.18.0.11 CMD; curl http://198.18.0.12/ http://198.18.0.12:8080/ https://198.18.0.12:8443/; on 198.18.0.2: 8 x curl http://198.18.0.13-16/health every 3 s" "[]"
    lab_down
}

# ---------------------------------------------------------------- false-positive classes
sc_udp_discovery_answers() {
    lab $WS 10 11 12 13 14 15
    svc_reset
    local n names=()
    for n in 10 11 12 13 14 15; do
        nl_bg "${NSOF[$n]}" "$LOG/disc-$SEQ-$n.log" "$PY" "$TMP/internal.py" discovery-responder "host-$n" "$(a4 "$n")" "$(a6 "$n")" lan0 "$n"
        svc "$n" "" 137,1900,3702,5353,5355
        names+=("host-$n")
    done
    for n in 10 11 12 13 14 15; do wait_ready "$LOG/disc-$SEQ-$n.log" ready; done
    svc $WS ""
    cap_begin udp-discovery-answers
    run $WS "$PY" "$TMP/internal.py" discovery-client 198.18.0.1 lan0 "$(IFS=,; echo "${names[*]}")" 2
    cap_end
    local proto port ip
    for proto in llmnr:5355:ip llmnr6:5355:ipv6 mdns:5353:ip ssdp:1900:ip nbns:137:ip wsd:3702:ip; do
        IFS=: read -r _ port ip <<<"$proto"
        local dst=198.18.0.1
        [[ $ip == ipv6 ]] && dst=2001:db8::1
        expect_ge "${proto%%:*}: responders answering unicast from $port" "$(tuniq "$ip.dst == $dst && udp.srcport == $port" "$ip.src" | wc -l)" 5
    done
    expect_ge "client ports that received answers" "$(tuniq '(ip.dst == 198.18.0.1 || ipv6.dst == 2001:db8::1) && udp' udp.dstport | wc -l)" 20
    expect_eq "queries sent to a unicast address" "$(tcount '(ip.src == 198.18.0.1 || ipv6.src == 2001:db8::1) && udp && !(ip.dst == 224.0.0.0/4 || ip.dst == 198.18.0.255 || ipv6.dst == ff00::/8)')" 0
    expect_eq "ICMP errors" "$(tcount 'icmp || icmpv6.type == 1')" 0
    publish "Name and service discovery by the workstation 198.18.0.1 and the unicast answers of 6 hosts (198.18.0.10-15), twice: LLMNR queries for each host's name to 224.0.0.252:5355 and [ff02::1:3]:5355 (a fresh source port per query, as Windows' resolver does; the owner answers from 5355 to that port), an mDNS one-shot PTR browse for _smb._tcp.local with the QU bit to 224.0.0.251:5353 (unicast answers, RFC 6762 5.1), an SSDP M-SEARCH to 239.255.255.250:1900 (answers from 1900), a NetBIOS name query for WORKGROUP<00> broadcast to 198.18.0.255:137 (answers from 137), a WS-Discovery Probe to 239.255.255.250:3702 (ProbeMatches from 3702). The responders are python sockets speaking each protocol. Seen per responder, its answers are UDP datagrams from well-known ports to a dozen different ports of the client: the shape of a UDP scan of the client by 6 sources, but every one answers a query the client sent to a group. Expected: nothing." \
        "python3 internal.py discovery-client 198.18.0.1 lan0 host-10,...,host-15 2  (responders: internal.py discovery-responder on 198.18.0.10-15)" "[]"
    lab_down
}

sc_netbios_broadcast() {
    lab $WS 10 11 12 13 14 15
    svc_reset
    local n i sched pids=() p
    cap_begin netbios-broadcast
    for n in 10 11 12 13 14 15; do
        i=$((n - 10))
        sched="$(awk -v i="$i" 'BEGIN { printf "%.1f:host,%.1f:host,%.1f:host", 1 + 1.7 * i, 21 + 1.7 * i, 41 + 1.7 * i }')"
        ((n == 10)) && sched="$sched,5:master,30:master,55:master"
        ((n == 15)) && sched="$sched,12:request"
        sched=$(tr , '\n' <<<"$sched" | sort -t: -k1,1n | paste -sd,)
        nl_check_args "$(a4 "$n")"
        say "  [node $n] $PY internal.py netbios-announce HOST-$n $(a4 "$n") $n $sched"
        ip netns exec "${NSOF[$n]}" "$PY" "$TMP/internal.py" netbios-announce "HOST-$n" "$(a4 "$n")" "$n" "$sched" >>"$LOG/$CUR.log" 2>&1 &
        pids+=($!)
        NL_PIDS+=($!)
        svc "$n" ""
    done
    for p in "${pids[@]}"; do wait "$p" || die "$CUR: an announcer failed"; done
    cap_end
    expect_eq "browser datagrams" "$(tcount 'browser')" 22
    expect_eq "host announcements" "$(tcount 'browser.command == 0x01')" 18
    expect_eq "datagrams to 138 not broadcast" "$(tcount 'udp.dstport == 138 && !(ip.dst == 198.18.0.255 && eth.dst == ff:ff:ff:ff:ff:ff)')" 0
    expect_eq "senders" "$(tuniq 'udp.dstport == 138' ip.src | wc -l)" 6
    expect_eq "ICMP errors" "$(tcount 'icmp')" 0
    local dur
    dur=$(tshark -r "$CAP" -Y 'browser' -T fields -e frame.time_relative 2>/dev/null | sort -n | sed -n '1p;$p' | paste -sd' ' | awk '{printf "%d", $2 - $1}')
    expect_ge "seconds from the first datagram to the last" "$dur" 50
    publish "NetBIOS datagram service (udp/138) browser announcements over a minute from 6 Windows-like hosts (198.18.0.10-15), each a DIRECT_GROUP datagram from port 138 to 198.18.0.255:138 in an Ethernet broadcast frame, carrying an SMB Transaction to \\\\MAILSLOT\\\\BROWSE: 3 HostAnnouncements per host (to WORKGROUP<1D>), 3 LocalMasterAnnouncements from the master browser 198.18.0.10 and one AnnouncementRequest (to WORKGROUP<1E>). Python sockets build the datagrams; tshark dissects every one as BROWSER. Nobody answers a broadcast. Expected: nothing." \
        "python3 internal.py netbios-announce HOST-N 198.18.0.N N SCHEDULE  (N = 10..15, in parallel, 55 s)" "[]"
    lab_down
}

sc_quic_oneway() {
    lab $WS 20 21 22 23 24 25 26
    svc_reset
    local n
    for n in 20 21 22 23 24 25 26; do drop_unreach "$n"; svc "$n" ""; done
    hosts_file "$TMP/quic-hosts" 20 21 22 23 24 25 26
    cap_begin quic-oneway
    run $WS "$PY" "$TMP/internal.py" quic-client 198.18.0.1 "$TMP/quic-hosts" 9000
    cap_end
    expect_eq "QUIC v1 Initial packets" "$(tcount 'quic.long.packet_type == 0 && quic.version == 0x00000001')" 21
    expect_eq "datagrams under 1200 bytes of UDP payload" "$(tcount 'udp.dstport == 443 && udp.length < 1208')" 0
    expect_eq "servers" "$(tuniq 'udp.dstport == 443' ip.dst | wc -l)" 7
    expect_eq "packets from the servers" "$(tcount 'ip.src == 198.18.0.20/30 || ip.src == 198.18.0.24/30')" 0
    expect_eq "ICMP" "$(tcount 'icmp')" 0
    publish "A QUIC client on 198.18.0.1 trying 7 internal servers (198.18.0.20-26) on udp/443, a new connection 1.3 s after the previous one: each attempt is a QUIC version 1 Initial (RFC 9000 long header, type Initial, 8-byte connection IDs, no token) padded to a 1252-byte datagram, resent at the probe timeouts (after 1 s and 3 s) with the next packet number: 3 per server. The protected part (packet number, CRYPTO frame, padding, tag) is random bytes: tshark reads the headers, nothing decrypts it. Nothing listens on the servers and each server's nftables drops its own ICMP port unreachables (output hook), so the capture is one-way: no answer at all. Expected: nothing." \
        "python3 internal.py quic-client 198.18.0.1 HOSTS(198.18.0.20-26) 9000  (servers: nft output drop icmp destination-unreachable)" "[]"
    lab_down
}

sc_dns_oneway() {
    lab $WS 20 21 22 23 24 25
    svc_reset
    local n pids=() p
    for n in 20 21 22 23 24 25; do drop_unreach "$n"; svc "$n" ""; done
    cap_begin dns-oneway
    for n in 20 21 22 23 24 25; do
        local s
        s=$(a4 "$n")
        nl_check_args "$s"
        say "  [node $WS] dig @$s +tries=2 +timeout=2 intranet.corp.lab.test A; dig @$s +tries=2 +timeout=2 _ldap._tcp.dc._msdcs.corp.lab.test SRV"
        ip netns exec "${NSOF[$WS]}" bash -c "dig @$s +tries=2 +timeout=2 intranet.corp.lab.test A; dig @$s +tries=2 +timeout=2 _ldap._tcp.dc._msdcs.corp.lab.test SRV; true" >>"$LOG/$CUR.log" 2>&1 &
        pids+=($!)
        NL_PIDS+=($!)
        sleep 0.4
    done
    for p in "${pids[@]}"; do wait "$p" || true; done
    cap_end
    expect_eq "DNS queries" "$(tcount 'dns.flags.response == 0 && ip.src == 198.18.0.1')" 24
    expect_eq "DNS answers" "$(tcount 'dns.flags.response == 1')" 0
    expect_eq "servers" "$(tuniq 'udp.dstport == 53' ip.dst | wc -l)" 6
    expect_ge "client source ports" "$(tuniq 'udp.dstport == 53' udp.srcport | wc -l)" 12
    expect_eq "packets from the servers" "$(tcount 'ip.src == 198.18.0.20/30 || ip.src == 198.18.0.24/31')" 0
    expect_eq "ICMP" "$(tcount 'icmp')" 0
    grep -q 'no servers could be reached\|timed out' "$LOG/$CUR.log" || die "$CUR: dig did not time out"
    publish "A resolver on 198.18.0.1 whose upstream DNS servers (198.18.0.20-25) are all down: real dig, two questions per server (intranet.corp.lab.test A, _ldap._tcp.dc._msdcs.corp.lab.test SRV), each tried twice (+tries=2 +timeout=2), random source ports, EDNS with a cookie: 24 queries, no answer. Nothing listens on the servers and their nftables drop their own ICMP port unreachables, so the capture is one-way. Expected: nothing." \
        "for s in 198.18.0.20..25: dig @\$s +tries=2 +timeout=2 intranet.corp.lab.test A; dig @\$s +tries=2 +timeout=2 _ldap._tcp.dc._msdcs.corp.lab.test SRV  (servers: nft output drop icmp destination-unreachable)" "[]"
    lab_down
}

sc_arp_retry_resolver() {
    lab $WS 10
    svc_reset
    svc 10 ""
    local raw="$TMP/arp-raw.pcap" dpid
    cap_begin arp-retry-resolver
    nl_bg "${NSOF[$WS]}" "$LOG/$CUR.damaged.log" "$PY" "$TMP/internal.py" arp-damaged lan0 "$(macof $WS)" 198.18.0.1 198.18.0.254 11 12 228
    dpid=$NL_LAST_PID
    run_any $WS arping -i lan0 -c 60 -W 4 198.18.0.254
    wait "$dpid" || die "$CUR: the damaged-frame sender failed"
    cap_end
    expect_eq "well-formed requests for 198.18.0.254" "$(tcount 'arp.opcode == 1 && arp.dst.proto_ipv4 == 198.18.0.254 && arp.proto.size == 4 && arp.dst.hw_mac == 00:00:00:00:00:00')" 60
    expect_eq "ARP replies" "$(tcount 'arp.opcode == 2')" 0
    expect_eq "frames" "$(tcount 'frame')" 72
    expect_eq "garbled target addresses" "$(tuniq 'arp.opcode == 1 && arp.proto.size == 4 && arp.dst.proto_ipv4 != 198.18.0.254' arp.dst.proto_ipv4 | wc -l)" 6
    local first last period
    read -r first last < <(tshark -r "$CAP" -Y 'arp.dst.proto_ipv4 == 198.18.0.254 && arp.dst.hw_mac == 00:00:00:00:00:00 && arp.proto.size == 4' -T fields -e frame.time_relative 2>/dev/null | sort -n | sed -n '1p;$p' | paste -sd' ')
    period=$(awk -v a="$first" -v b="$last" 'BEGIN { printf "%.3f", b - a + 4 }')
    mv "$CAP" "$raw"
    "$PY" "$TMP/internal.py" tile "$raw" "$CAP" 30 "$period" | tee -a "$LOG/$CUR.log"
    expect_eq "frames in the long version" "$(tcount 'frame')" 2160
    publish "A host (198.18.0.1) whose gateway 198.18.0.254 is dead, re-asking ARP for it every 4 s for 2 hours, with occasional damaged frames from a failing NIC. Recorded for real over $(printf '%.0f' "$period") s: arping -c 60 -W 4 198.18.0.254 (60 broadcast requests, no reply) and, from the same host, 12 damaged requests written as raw frames (internal.py arp-damaged): 6 with a garbled target protocol address (bits flipped, inside 198.18.0.0/15), 2 with a garbled target hardware field, 2 with protocol address length 5, 2 cut short inside the sender address. The long version repeats that recording 30 times back to back (copy k shifted by k x $period s, which keeps the 4 s cadence across copies; internal.py tile): 1800 requests for the gateway and 360 damaged frames with 6 distinct garbled targets over 2 h, 2160 frames. Expected: nothing." \
        "arping -i lan0 -c 60 -W 4 198.18.0.254 & python3 internal.py arp-damaged lan0 02:00:c6:12:00:01 198.18.0.1 198.18.0.254 11 12 228  (then tiled 30 times: 2 h)" "[]"
    lab_down
}

sc_tcp_odd_segments() {
    lab $WS $MON 10 11 12 13 14 15
    svc_reset
    serve 10 80,8080
    svc 10 80,8080
    serve 11 445
    svc 11 445
    local n src srv
    cap_begin tcp-odd-segments
    for src in $WS $MON; do
        for srv in 198.18.0.10:80 198.18.0.10:8080 198.18.0.11:445; do
            run "$src" "$PY" "$TMP/internal.py" odd-conn lan0 "$(a4 "$src")" "${srv%:*}" "${srv#*:}" psh,none
        done
    done
    local ports=(80 443 445 139 22 3389 8080 5985 135 1433 5900 631)
    for n in 12 13 14 15; do
        local k=$(((n - 12) * 2)) pl
        pl=$(IFS=,; echo "${ports[*]:$k:6}")
        run "$n" "$PY" "$TMP/internal.py" odd-bcast lan0 "$(a4 "$n")" "$n" "$pl"
        svc "$n" ""
    done
    cap_end
    expect_eq "PSH-only data segments inside connections" "$(tcount 'tcp.flags == 0x008 && tcp.len > 0')" 6
    expect_eq "flagless segments with payload inside connections" "$(tcount 'tcp.flags == 0x000 && tcp.len > 0')" 6
    expect_eq "NULL segments to the group / broadcast" "$(tcount 'tcp.flags == 0x000 && tcp.len == 0 && (ip.dst == 224.0.0.251 || ip.dst == 198.18.0.255)')" 8
    expect_eq "FIN segments to the group / broadcast" "$(tcount 'tcp.flags == 0x001 && (ip.dst == 224.0.0.251 || ip.dst == 198.18.0.255)')" 8
    expect_eq "XMAS segments to the group / broadcast" "$(tcount 'tcp.flags == 0x029 && (ip.dst == 224.0.0.251 || ip.dst == 198.18.0.255)')" 8
    expect_eq "segments to 198.18.0.255 not in a broadcast frame" "$(tcount 'tcp && ip.dst == 198.18.0.255 && eth.dst != ff:ff:ff:ff:ff:ff')" 0
    expect_eq "segments to 224.0.0.251 not in a multicast frame" "$(tcount 'tcp && ip.dst == 224.0.0.251 && eth.dst != 01:00:5e:00:00:fb')" 0
    expect_eq "packets to the group senders" "$(tcount 'ip.dst == 198.18.0.12/30')" 0
    expect_eq "RSTs" "$(tcount 'tcp.flags.reset == 1')" 0
    expect_eq "HTTP 200 answers after the crafted segments" "$(tcount 'http.response.code == 200')" 4
    expect_eq "SMB2 NEGOTIATE answers after the crafted segments" "$(tcount 'smb2.cmd == 0 && smb2.flags.response == 1')" 2
    publish "Single TCP segments without SYN, ACK or RST, none answered. Inside 6 real connections (from 198.18.0.1 and 198.18.0.2 to 198.18.0.10:80, 198.18.0.10:8080 and 198.18.0.11:445): after the first part of a real request, scapy sends on the connection's own 4-tuple, at the client's next sequence number, one PSH-only data segment and one segment with no flag at all carrying a payload; the server's kernel drops both (no ACK flag), the client then sends the rest of its request at the same sequence number and gets its answer. From 4 other hosts (198.18.0.12-15): NULL, FIN and XMAS (FIN+PSH+URG) segments with no payload, one of each to the mDNS group 224.0.0.251 (multicast frame) and to 198.18.0.255 (broadcast frame), each to its own port among 22, 80, 135, 139, 443, 445, 631, 1433, 3389, 5900, 5985, 8080 (24 segments); nobody answers TCP sent to a group. Expected: nothing." \
        "internal.py odd-conn lan0 SRC SERVER PORT psh,none (SRC 198.18.0.1, .2; SERVER:PORT .10:80, .10:8080, .11:445); internal.py odd-bcast lan0 198.18.0.N N PORTS (N = 12..15)" "[]"
    lab_down
}

# ---------------------------------------------------------------- FIN/NULL/XMAS answers
nmap_stealth() { # NAME TYPE FLAGS PROBE-FILTER WHAT [WHY-SILENT]
    local name=$1 type=$2 flag=$3 probe=$4 what=$5 why=${6:-as RFC 9293 says}
    lab $WS 10
    svc_reset
    serve 10 22,25,80
    svc 10 22,25,80
    # FLAGS may be several words (-sF --scanflags SYNFIN).
    # shellcheck disable=SC2206
    local gn="$TMP/$name.gnmap" cmd=(nmap $flag -Pn -n -p 1-100 198.18.0.10)
    cap_begin "$name"
    run $WS "${cmd[@]}" -oG "$gn"
    cap_end
    tcp_facts 198.18.0.1 "$probe"
    local of nof
    of=$(grep -oE '[0-9]+/open\|filtered' "$gn" | cut -d/ -f1 | jnums)
    nof=$(grep -oE '[0-9]+/open\|filtered' "$gn" | wc -l)
    expect_str "open|filtered in nmap's -oG" "$of" "[22,25,80]"
    expect_eq "ports probed" "$F_PORTS" 100
    expect_eq "ports answered RST" "$F_REJECTED" $((100 - nof))
    grep -q "Ignored State: closed ($F_REJECTED)" "$gn" || fail "nmap's closed count is not $F_REJECTED"
    expect_eq "open|filtered ports that answered" "$(tcount 'ip.src == 198.18.0.10 && (tcp.srcport == 22 || tcp.srcport == 25 || tcp.srcport == 80)')" 0
    publish "nmap $what scan ($flag) of ports 1-100 of the internal host 198.18.0.10 (listening on 22, 25, 80) from the workstation 198.18.0.1. The $F_REJECTED closed ports answer RST/ACK (counted with tshark: rejected); the three listening ports drop the probe silently $why, so nmap re-probes them and reports them open|filtered (from nmap -oG: open_filtered_ports). Such a scan cannot prove a port open: open_ports is empty." \
        "${cmd[*]}" \
        "[$(det 198.18.0.1 "$type" vertical nmap 1 "$F_PORTS" '[]' "\"rejected\":$F_REJECTED,\"open_filtered_ports\":$of,$INTERNAL")]"
    lab_down
}
sc_nmap_fin_openfiltered() { nmap_stealth nmap-fin-openfiltered tcp-fin -sF 'tcp.flags == 0x001' FIN; }
sc_nmap_null_openfiltered() { nmap_stealth nmap-null-openfiltered tcp-null -sN 'tcp.flags == 0x000' NULL; }
sc_nmap_xmas_openfiltered() { nmap_stealth nmap-xmas-openfiltered tcp-xmas -sX 'tcp.flags == 0x029' XMAS; }
# nmap sends SYN+FIN and, told -sF, reads the answers as a FIN scan's (nmap's --scanflags).
sc_nmap_synfin_openfiltered() { nmap_stealth nmap-synfin-openfiltered tcp-syn-fin '-sF --scanflags SYNFIN' 'tcp.flags == 0x003' SYN-FIN "(Linux discards a SYN with FIN on a listening socket, tcp_rcv_state_process)"; }

# ---------------------------------------------------------------- IPv6
sc_nmap_syn_ipv6_targets() {
    lab $WS 10
    svc_reset
    serve 10 22
    svc 10 22
    local cmd=(nmap -6 -sS -Pn -n -p 1-50 2001:db8::10)
    cap_begin nmap-syn-ipv6-targets
    run $WS "${cmd[@]}"
    cap_end
    tcp_facts 2001:db8::1 'tcp.flags == 0x002'
    expect_str "target (tshark, RFC 5952 form)" "$F_TARGET_LIST" "2001:db8::10"
    expect_eq "ports probed" "$F_PORTS" 50
    expect_str "ports that answered SYN-ACK" "$F_OPEN" "[22]"
    expect_eq "ports refused" "$F_REJECTED" 49
    publish "nmap IPv6 SYN scan (-6 -sS) of ports 1-50 of the internal host 2001:db8::10 (listening on 22) from 2001:db8::1: 22 answers SYN-ACK (reset by the scanner's kernel), the 49 others RST/ACK. targets_sample names the one target in RFC 5952 form." \
        "${cmd[*]}" \
        "[$(det 2001:db8::1 tcp-syn vertical nmap 1 "$F_PORTS" "$F_OPEN" "\"rejected\":$F_REJECTED,\"targets_sample\":$(jstrs "$F_TARGET_LIST"),$INTERNAL,\"severity\":\"critical\"")]"
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
