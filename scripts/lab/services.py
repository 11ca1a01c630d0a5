"""Target services of the lab, defined once for every recorder.

Run inside a target namespace (`python3 -m lab.services recon`); each
listens dual stack on the wildcard address, so on every address the target
has (its interface and the /32s on its lo). A profile says which service
runs on which port; the recorders put the profile's port lists in each
expected.json as "target_services".
"""
import functools
import http.server
import os
import socket
import socketserver
import struct
import sys
import tempfile
import threading
import time


def blob(tag, size):
    """Deterministic filler standing in for key exchange / TLS records."""
    return (tag * (size // len(tag) + 1))[:size]


def drain(s):
    try:
        while s.recv(4096):
            pass
    except OSError:
        pass


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


# ------------------------------------------------------------------ TCP services
SSH_BANNER = b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"


class SSH(socketserver.BaseRequestHandler):
    """Banner, then one KEXINIT-sized packet once the client talks."""

    def handle(self):
        s = self.request
        s.settimeout(5)
        try:
            s.sendall(SSH_BANNER)
            if s.recv(4096):
                s.sendall(struct.pack("!IB", 300, 6) + b"\x14" + blob(b"curve25519-sha256,", 298))
            drain(s)
        except OSError:
            pass


class HTTPPage(socketserver.BaseRequestHandler):
    """One 1200-byte page for any request, then close."""

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
            s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                      % len(body) + body)
        except OSError:
            pass


class TLS(socketserver.BaseRequestHandler):
    """A ServerHello-sized record for the client's first record, an
    application-data record for its second; a client that closes after the
    first answer sees exactly what a one-record server would send."""

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
    """BitTorrent-like peer: handshake, bitfield-sized and unchoke messages."""

    def handle(self):
        s = self.request
        s.settimeout(5)
        try:
            if s.recv(68):
                s.sendall(BT_HANDSHAKE + struct.pack("!IB", 1, 5) + struct.pack("!IB", 1, 1))
                s.recv(4096)
            drain(s)
        except OSError:
            pass


def accept_close(port):
    """A listener that accepts and closes: an open port and nothing more."""
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(512)
    while True:
        c, _ = s.accept()
        c.close()


# A small static site, served by http.server exactly as `python3 -m
# http.server PORT --bind :: --directory DIR` would (HTTP/1.0, one request a
# connection, SimpleHTTP's headers).
SITE = {
    "index.html": '<!doctype html><html><head><title>scanwatch lab</title><link rel="stylesheet" href="style.css"></head>\n'
                  '<body><h1>scanwatch lab web server</h1><script src="app.js"></script></body></html>\n',
    "style.css": "body{font-family:sans-serif}\n",
    "app.js": 'console.log("lab");\n',
    "api/status.json": '{"status":"ok","service":"lab-api"}\n',
}


class FilesServer(DualStack, http.server.ThreadingHTTPServer):
    pass


def site_dir(d=None):
    d = d or tempfile.mkdtemp(prefix="lab-www.")
    for rel, text in SITE.items():
        os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
        with open(os.path.join(d, rel), "w") as f:
            f.write(text)
    return d


# ------------------------------------------------------------------ UDP services
def dns_reply(q):
    """An authoritative answer: A 198.18.1.1 or AAAA 2001:db8:1::1 for any
    name; RD copied from the query (RFC 1035 4.1.1); NOTIMP for other opcodes
    (nmap -sU's status probe), FORMERR for a malformed question."""
    if len(q) < 12:
        return None
    tid, flags, qdcount = struct.unpack("!HHH", q[:6])
    if flags & 0x8000:
        return None  # a response, not a query
    opcode = (flags >> 11) & 0xF
    base = 0x8000 | (opcode << 11) | (flags & 0x0100) | 0x0080  # QR, RD copied, RA
    if opcode != 0 or qdcount != 1:
        return struct.pack("!6H", tid, base | 4, 0, 0, 0, 0)
    i = 12
    while True:
        if i >= len(q):
            return struct.pack("!6H", tid, base | 1, 0, 0, 0, 0)
        n = q[i]
        i += 1
        if n == 0:
            break
        if n & 0xC0:
            return struct.pack("!6H", tid, base | 1, 0, 0, 0, 0)
        i += n
    if i + 4 > len(q):
        return struct.pack("!6H", tid, base | 1, 0, 0, 0, 0)
    qtype, qclass = struct.unpack("!HH", q[i:i + 4])
    question = q[12:i + 4]
    answer, ancount = b"", 0
    if qclass == 1 and qtype == 1:
        answer, ancount = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton("198.18.1.1"), 1
    elif qclass == 1 and qtype == 28:
        answer, ancount = (b"\xc0\x0c" + struct.pack("!HHIH", 28, 1, 300, 16)
                           + socket.inet_pton(socket.AF_INET6, "2001:db8:1::1")), 1
    return struct.pack("!6H", tid, base | 0x0400, 1, ancount, 0, 0) + question + answer


def ntp_reply(q):
    """A stratum-2 server answer in the query's version, origin = its transmit time."""
    now = time.time() + 2208988800
    sec, frac = int(now), int((now - int(now)) * 2**32)
    vn = ((q[0] >> 3) & 7) if q else 4
    origin = q[40:48] if len(q) >= 48 else b"\0" * 8
    return (struct.pack("!BBbb", ((vn or 4) << 3) | 4, 2, 6, -20) + struct.pack("!II", 0, 0) + b"LAB\0"
            + struct.pack("!II", sec, frac) + origin + struct.pack("!IIII", sec, frac, sec, frac))


def snmp_reply(q):
    """The request with its GetRequest/GetNextRequest PDU tag turned into GetResponse."""
    for i, b in enumerate(q):
        if i > 0 and q[0] == 0x30 and b in (0xA0, 0xA1):
            return q[:i] + b"\xa2" + q[i + 1:]
    return q


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


TCP_SERVICES = {"ssh": SSH, "http-page": HTTPPage, "tls": TLS, "peer": Peer}
UDP_SERVICES = {"dns": dns_reply, "ntp": ntp_reply, "snmp": snmp_reply}

# Which service listens where, per recorder. record-fixtures.sh serves static
# files on 80 and 8080 (curl fetches several paths); the recon lab answers any
# request with one page and adds a BitTorrent-like peer.
PROFILES = {
    "fixtures": {"tcp": {22: "ssh", 80: "http-files", 443: "tls", 8080: "http-files"},
                 "udp": {53: "dns", 123: "ntp", 161: "snmp"}},
    "recon": {"tcp": {22: "ssh", 80: "http-page", 443: "tls", 6881: "peer", 8080: "http-page"},
              "udp": {53: "dns", 123: "ntp", 161: "snmp"}},
    # the evasion fixtures need open and closed ports only
    "evasion": {"tcp": {22: "accept-close", 80: "accept-close"}, "udp": {}},
}


def ports(profile):
    """{"tcp": [...], "udp": [...]}, sorted, without an empty protocol: what
    expected.json calls target_services."""
    p = PROFILES[profile]
    return {proto: sorted(p[proto]) for proto in ("tcp", "udp") if p[proto]}


def serve(profile, www=None):
    p = PROFILES[profile]
    site = None
    for port, kind in p["tcp"].items():
        if kind == "accept-close":
            threading.Thread(target=accept_close, args=(port,), daemon=True).start()
            continue
        if kind == "http-files":
            site = site or site_dir(www)
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
            srv = FilesServer(("::", port), handler)
        else:
            srv = TCPServer(("::", port), TCP_SERVICES[kind])
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    for port, kind in p["udp"].items():
        threading.Thread(target=udp_serve, args=(port, UDP_SERVICES[kind]), daemon=True).start()
    print(f"lab services ready ({profile})", flush=True)
    while True:
        time.sleep(3600)


def start(lab, ns, profile, log):
    """Start the profile's services in ns and wait until every port listens."""
    proc = lab.bg(ns, ["/usr/bin/python3", "-m", "lab.services", profile, os.path.join(lab.tmp, "www")], log)
    for proto in ("tcp", "udp"):
        for port in PROFILES[profile][proto]:
            lab.wait_listen(ns, proto, port)
    return proc


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in PROFILES:
        sys.exit(f"usage: python3 -m lab.services {{{','.join(PROFILES)}}} [SITE-DIR]")
    serve(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
