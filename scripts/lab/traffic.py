"""Traffic the lab sends itself: crafted probes (scapy and raw sockets),
the idle-scan zombie, the SCTP responder and the benign clients.

Run inside a lab namespace: `python3 -m lab.traffic MODE ARGS...` (the
recon fixtures' "python3 recon.py MODE ..." commands are these modes):
  zombie IF IP MAC PEERS             idle-scan zombie: one global, incrementing IP ID
  sctp-responder PORTS               SCTP answers for a kernel without SCTP
  fragflood IF DSTMAC SRCMAC DST N   first fragments that never complete
  frag6 IF DSTMAC SRC DST PORTS KIND IPv6 SYNs in fragments (tiny | rfc7112)
  overlap4 IF DSTMAC SRC DST PORTS   IPv4 SYNs, clean 8-byte fragments, then overlapping ones
  synopts SRC DST PORTS              raw SYNs with Linux connect()'s option set
  tls-client HOSTS PORT              ClientHello-sized record, reply, app data, close
  web-client HOSTS PORT              HTTP GET with a body read, one connection per host
  checks HOST ROUNDS                 a monitoring agent's SSH/HTTP/TLS/down-port checks
  dns-client HOSTS                   one A query to each host's port 53, answer read
  p2p-client HOSTS PORT              BitTorrent-like handshake with every peer that answers
  retry HOST PORT COUNT INTERVAL     connect() to a closed port COUNT times
  few HOST ROUNDS                    rounds of ssh, http, https, http-alt use
and the evasion fixtures' probes, one crafted SYN to each port of PORTS as raw
Ethernet frames from IF to DSTMAC, 5 ms apart:
  overlap IF DSTMAC SRCMAC SRC DST PORTS       two overlapping junk fragments, then the clean SYN, same IP ID
  trim12 IF DSTMAC SRCMAC SRC DST PORTS        the SYN in a 12-byte non-last fragment and a last one from byte 8
  maxdist IF DSTMAC SRCMAC SRC DST PORTS       junk first fragment, 64 other fragments, then the clean SYN, same IP ID
  dstopts9 IF DSTMAC SRCMAC SRC6 DST6 PORTS    IPv6 SYN behind 9 destination options headers
  dstopts9frag IF DSTMAC SRCMAC SRC6 DST6 PORTS  the same in two fragments, 9 headers before the fragment header
HOSTS is a file with one address a line.
"""
import http.client
import random
import socket
import struct
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from lab.netns import check_args
from lab.pcapfile import csum, ipv4_header, mac_bytes, tcp_segment
from lab.services import BT_HANDSHAKE, blob


def ports_arg(s):
    """"1-3,22,80" -> [1, 2, 3, 22, 80]"""
    out = []
    for part in str(s).split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        else:
            out.append(int(part))
    return out


def hosts_of(path):
    with open(path) as f:
        hosts = [h.strip() for h in f if h.strip()]
    check_args(hosts)  # a hosts file is an argument too
    return hosts


# ------------------------------------------------------------------ responders
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
            s.send(f[6:12] + my_mac + b"\x08\x06" + f[14:20] + b"\x00\x02" + my_mac + my_ip + f[22:28] + f[28:32])
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


def sctp_responder(open_ports):
    """Answers SCTP as a kernel with SCTP would (RFC 9260), for a recording
    kernel that has none: a raw IPPROTO_SCTP socket also stops the kernel's
    ICMP protocol unreachable. INIT to an open port: INIT ACK with a state
    cookie; INIT to a closed port: ABORT (vtag = the INIT's initiate tag);
    COOKIE ECHO to a closed port: ABORT with the T bit (out of the blue,
    section 8.4); COOKIE ECHO with a cookie never issued, to an open port:
    silently discarded, as Linux does."""
    from scapy.all import SCTP, SCTPChunkAbort, SCTPChunkInitAck, SCTPChunkParamStateCookie
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


# ------------------------------------------------------------------ crafted probes
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
    """Each SYN first in three clean fragments (8+8+4 bytes of TCP), then
    again in two overlapping ones ([0,16) and [8,20)); odd ports' second copy
    of bytes 8-15 carries another window."""
    from scapy.all import Ether, IP, TCP, Raw, sendp
    frames = []
    ident = 0x3100

    def tcp_bytes(p, window):
        seg = TCP(sport=41000, dport=p, flags="S", window=window, seq=0x2a3b4c5d)
        return bytes(IP(src=src, dst=dst) / seg)[20:]

    def frag(ident, mf, off, data):
        return Ether(dst=dstmac) / IP(src=src, dst=dst, id=ident, flags="MF" if mf else 0, frag=off, proto=6, ttl=64) / Raw(data)

    for p in ports:
        t = tcp_bytes(p, 1024)
        ident += 1
        for off in range(0, 20, 8):
            frames.append(frag(ident, off + 8 < 20, off // 8, t[off:off + 8]))
    for k, p in enumerate(ports):
        a = tcp_bytes(p, 1024)
        b = a if k % 2 == 0 else tcp_bytes(p, 65535)
        ident += 1
        frames.append(frag(ident, True, 0, a[0:16]))
        frames.append(frag(ident, False, 1, b[8:20]))
    for f in frames:
        sendp(f, iface=ifname, verbose=False)
        time.sleep(0.002)
    print(f"sent {len(frames)} IPv4 fragments")


def synopts(src, dst, ports):
    """SYNs from a raw socket with the options Linux connect() sends (MSS,
    SACK-permitted, timestamps, NOP, window scale 7; window 64240)."""
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


class Wire:
    """Raw Ethernet frames out of one interface."""

    def __init__(self, ifname, dstmac, srcmac, ethertype):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((ifname, 0))
        self.head = mac_bytes(dstmac) + mac_bytes(srcmac) + struct.pack("!H", ethertype)
        self.sent = 0

    def send(self, l3):
        check_args([socket.inet_ntop(socket.AF_INET6, l3[8:24]) if l3[0] >> 4 == 6 else socket.inet_ntoa(l3[16:20])])
        self.s.send(self.head + l3)
        self.sent += 1


def syn4(src, dst, sport, dport, flags="S"):
    """A 20-byte TCP header with a correct checksum (no options: a raw-socket SYN, not connect())."""
    from scapy.all import IP, TCP
    return bytes(IP(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags=flags, seq=0x2a3b4c5d, window=1024))[20:]


def frag4(src, dst, ident, offset, data, more):
    from scapy.all import IP
    return bytes(IP(src=src, dst=dst, id=ident, flags="MF" if more else 0, frag=offset // 8, proto=6, ttl=64) / data)


def overlap(w, src, dst, ports):
    for i, p in enumerate(ports):
        ident = 0x4100 + i
        junk = syn4(src, dst, 40000 + i, p, flags="R")
        clean = syn4(src, dst, 40000 + i, p)
        # [0,16) then [8,24): an overlap, so Linux discards the datagram and forgets the id
        w.send(frag4(src, dst, ident, 0, junk[0:16], True))
        w.send(frag4(src, dst, ident, 8, junk[8:20] + b"\0" * 4, True))
        # the clean SYN with the same id: 8 + 8 + 4 bytes, a new datagram for Linux
        for off in (0, 8, 16):
            w.send(frag4(src, dst, ident, off, clean[off:off + 8], off + 8 < 20))
        time.sleep(0.005)


def trim12(w, src, dst, ports):
    for i, p in enumerate(ports):
        ident = 0x4200 + i
        t = syn4(src, dst, 41000 + i, p)
        # 12 bytes with More Fragments: Linux keeps bytes 0-7 (ip_frag_queue: end &= ~7)
        w.send(frag4(src, dst, ident, 0, t[0:12], True))
        w.send(frag4(src, dst, ident, 8, t[8:20], False))
        time.sleep(0.005)


def maxdist(w, src, dst, ports):
    n = 0
    for i, p in enumerate(ports):
        ident = 0x4300 + i
        junk = syn4(src, dst, 42000 + i, p, flags="R")
        clean = syn4(src, dst, 42000 + i, p)
        w.send(frag4(src, dst, ident, 0, junk[0:16], True))
        # 64 first fragments of other datagrams from the same source (never completed)
        for _ in range(64):
            n += 1
            w.send(frag4(src, dst, 0x8000 + (n & 0x7fff), 0, b"\0" * 8, True))
        # ip_frag_too_far: more than 64 of this peer's fragments since the queue's last one: restart
        for off in (0, 8, 16):
            w.send(frag4(src, dst, ident, off, clean[off:off + 8], off + 8 < 20))
        time.sleep(0.005)


def dstopts_chain(count, last_next):
    """count destination options headers of 8 bytes (one PadN each), the last naming last_next."""
    out = b""
    for k in range(count):
        out += struct.pack("!BB", 60 if k + 1 < count else last_next, 0) + b"\x01\x04\0\0\0\0"
    return out


def syn6(src, dst, sport, dport, payload=b""):
    """TCP with MSS over IPv6, checksum over the final destination (RFC 8200 section 8.1)."""
    from scapy.all import IPv6, TCP, Raw
    pkt = IPv6(src=src, dst=dst) / TCP(sport=sport, dport=dport, flags="S", seq=0x1d2c3b4a, window=1024, options=[("MSS", 1440)])
    if payload:
        pkt = pkt / Raw(payload)
    return bytes(pkt)[40:]


def ipv6(src, dst, first_next, body):
    return struct.pack("!IHBB", 0x60000000, len(body), first_next, 64) + socket.inet_pton(socket.AF_INET6, src) + \
        socket.inet_pton(socket.AF_INET6, dst) + body


def dstopts9(w, src, dst, ports):
    for i, p in enumerate(ports):
        t = syn6(src, dst, 43000 + i, p)
        w.send(ipv6(src, dst, 60, dstopts_chain(9, 6) + t))
        time.sleep(0.005)


def dstopts9frag(w, src, dst, ports):
    for i, p in enumerate(ports):
        ident = 0x5100 + i
        t = syn6(src, dst, 44000 + i, p, b"\0" * 8)  # 24 bytes of TCP header, 8 of data
        chain = dstopts_chain(9, 44)
        for off, more in ((0, True), (24, False)):
            part = t[off:off + 24] if more else t[off:]
            fh = struct.pack("!BBHI", 6, 0, (off // 8) << 3 | (1 if more else 0), ident)
            w.send(ipv6(src, dst, 60, chain + fh + part))
        time.sleep(0.005)


def wire_mode(fn, six):
    def run(a):
        w = Wire(a[0], a[1], a[2], 0x86DD if six else 0x0800)
        fn(w, a[3], a[4], ports_arg(a[5]))
        print(f"{fn.__name__}: sent {w.sent} frames")
    return run


# ------------------------------------------------------------------ benign clients
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
    return ok == len(hosts_of(path))


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
    return ok == len(hosts_of(path))


def checks(host, rounds):
    """What a monitoring agent does each round: SSH banner, HTTP GET, TLS
    hello, and a check of a database port that is down (refused)."""
    check_args([host])
    for _ in range(rounds):
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
    return True


def dns_client(path):
    ok = 0
    rnd = random.Random(53)
    hosts = hosts_of(path)
    for h in hosts:
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
    return ok == len(hosts)


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
    return True  # the silent peers are the point


def retry(host, port, count, interval):
    check_args([host])
    refused = 0
    for _ in range(count):
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((host, port))
            print("unexpectedly connected")
        except ConnectionRefusedError:
            refused += 1
        finally:
            s.close()
        time.sleep(interval)
    print(f"{refused}/{count} connection attempts refused")
    return refused == count


def few(host, rounds):
    check_args([host])
    for r in range(rounds):
        with socket.create_connection((host, 22), timeout=5) as s:
            s.recv(256)
            s.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n" + blob(b"client-kexinit/", 200))
            s.recv(4096)
        for port in (80, 8080):
            c = http.client.HTTPConnection(host, port, timeout=5)
            c.request("GET", "/index.html" if port == 80 else "/api/status.json")
            body = c.getresponse().read()
            c.close()
            assert body, "empty HTTP body"
        with socket.create_connection((host, 443), timeout=5) as s:
            hello = blob(b"lab-client-hello/", 300)
            s.sendall(b"\x16\x03\x01" + struct.pack("!H", len(hello)) + hello)
            s.recv(4096)
        print(f"round {r + 1}: ssh, http, https, http-alt ok")
        time.sleep(1)
    return True


MODES = {
    "zombie": lambda a: zombie(*a),
    "sctp-responder": lambda a: sctp_responder(ports_arg(a[0])),
    "fragflood": lambda a: fragflood(*a),
    "frag6": lambda a: frag6(a[0], a[1], a[2], a[3], ports_arg(a[4]), a[5]),
    "overlap4": lambda a: overlap4(a[0], a[1], a[2], a[3], ports_arg(a[4])),
    "synopts": lambda a: synopts(a[0], a[1], ports_arg(a[2])),
    "tls-client": lambda a: tls_client(a[0], int(a[1])),
    "web-client": lambda a: web_client(a[0], int(a[1])),
    "checks": lambda a: checks(a[0], int(a[1])),
    "dns-client": lambda a: dns_client(a[0]),
    "p2p-client": lambda a: p2p_client(a[0], int(a[1])),
    "retry": lambda a: retry(a[0], int(a[1]), int(a[2]), float(a[3])),
    "few": lambda a: few(a[0], int(a[1])),
    "overlap": wire_mode(overlap, False),
    "trim12": wire_mode(trim12, False),
    "maxdist": wire_mode(maxdist, False),
    "dstopts9": wire_mode(dstopts9, True),
    "dstopts9frag": wire_mode(dstopts9frag, True),
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in MODES:
        sys.exit(__doc__)
    check_args(sys.argv[2:])
    r = MODES[sys.argv[1]](sys.argv[2:])
    sys.exit(0 if r in (None, True) else 1)
