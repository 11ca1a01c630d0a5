"""Network namespaces, veth pairs, addresses and captures for the lab.

The same safety model as scripts/netns-lib.sh, in Python:
  * every namespace is created here and deleted again by Lab.close() (a
    context manager, also on an exception, SIGINT or SIGTERM);
  * veth pairs are created from inside one lab namespace with the peer put
    straight into another, so no interface ever exists in the root namespace;
  * addresses, routes, neighbours and every argument of a command run in the
    lab may only name 198.18.0.0/15 or 2001:db8::/32 (plus a few link-scoped
    discovery groups), see check_args.
"""
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

LAB4 = ipaddress.ip_network("198.18.0.0/15")
LAB6 = ipaddress.ip_network("2001:db8::/32")
# Link-scoped groups lab discovery protocols use on the lab link only (mDNS,
# LLMNR, SSDP/WS-Discovery, all-nodes); none is routed out of a namespace.
LAB_GROUPS = {"224.0.0.251", "224.0.0.252", "239.255.255.250", "ff02::fb", "ff02::1:3", "ff02::1"}

SCRIPTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"  # Debian's, the one python3-scapy is installed for


class LabError(Exception):
    pass


def lab_addr_ok(a):
    a = a.split("/")[0]
    try:
        ip = ipaddress.ip_address(a)
    except ValueError:
        return False
    return ip in (LAB6 if ip.version == 6 else LAB4)


_V4 = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")
_V6 = re.compile(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}")
_MAC = re.compile(r"^(?:[0-9a-f]{2}:){5}[0-9a-f]{2}$")


def check_args(args):
    """Refuse any argument holding an address outside the lab ranges, found
    anywhere in it (URLs, --opt=ADDR, CIDR blocks); MACs are not addresses."""
    for arg in map(str, args):
        for tok in _V4.findall(arg):
            if not (lab_addr_ok(tok) or tok in LAB_GROUPS):
                raise LabError(f"refusing non-lab IPv4 address {tok!r} in argument {arg!r}")
        for tok in _V6.findall(arg):
            t = tok.lower()
            if _MAC.match(t) or t == "::" or t in LAB_GROUPS:
                continue
            if not lab_addr_ok(t):
                raise LabError(f"refusing non-lab IPv6 address {tok!r} in argument {arg!r}")


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = SCRIPTS + (":" + e["PYTHONPATH"] if e.get("PYTHONPATH") else "")
    return e


def _signals_raise():
    """SIGTERM and SIGHUP unwind like Ctrl-C, so every `finally` deletes its lab."""
    def stop(sig, _frame):
        raise KeyboardInterrupt(f"signal {sig}")
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop)


class Lab:
    """A set of namespaces created by this process; `with Lab() as lab:`."""

    def __init__(self, log_dir=None):
        self.namespaces = []
        self.procs = []
        self.tmp = tempfile.mkdtemp(prefix="netns-lab.")
        self.log_dir = log_dir or os.path.join(self.tmp, "logs")
        os.makedirs(self.log_dir, exist_ok=True)
        _signals_raise()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---------------------------------------------------------------- namespaces
    def ns_add(self, name):
        if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name):
            raise LabError(f"bad namespace name {name!r}")
        existing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout.split()
        if name in existing:
            raise LabError(f"namespace {name} already exists (another run?); refusing to reuse it")
        subprocess.run(["ip", "netns", "add", name], check=True)
        self.namespaces.append(name)
        self.ip(name, "link", "set", "lo", "up")
        # no router solicitations or RA processing: captures hold only lab traffic
        self.sysctl(name, "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
                    "net.ipv6.conf.all.router_solicitations=0", "net.ipv6.conf.default.router_solicitations=0")
        return name

    def _own(self, ns):
        if ns not in self.namespaces:
            raise LabError(f"namespace {ns!r} was not created by this lab; refusing to use it")

    def ns_del(self, ns):
        self._own(ns)
        pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
        for p in pids:
            try:
                os.kill(int(p), signal.SIGKILL)
            except ProcessLookupError:
                pass
        if subprocess.run(["ip", "netns", "del", ns]).returncode != 0:
            print(f"[lab] could not delete namespace {ns}", file=sys.stderr)
        self.namespaces.remove(ns)

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs = []
        for ns in list(self.namespaces):
            self.ns_del(ns)
        shutil.rmtree(self.tmp, ignore_errors=True)

    # ---------------------------------------------------------------- links and addresses
    def ip(self, ns, *args):
        self._own(ns)
        check_args(args)
        subprocess.run(["ip", "-n", ns, *map(str, args)], check=True)

    def veth(self, ns1, if1, mac1, ns2, if2, mac2=None):
        self._own(ns1)
        self._own(ns2)
        a1 = ["address", mac1] if mac1 else []
        a2 = ["address", mac2] if mac2 else []
        # made inside ns1 with the peer straight into ns2: never in the root namespace
        self.ip(ns1, "link", "add", if1, *a1, "type", "veth", "peer", "name", if2, *a2, "netns", ns2)
        self.ip(ns1, "link", "set", if1, "up")
        self.ip(ns2, "link", "set", if2, "up")

    def offload_off(self, ns, dev):
        """Real checksums and MTU-sized segments in captures (no TSO/GSO
        super-segments, no "incorrect" checksums of locally sent packets)."""
        self._own(ns)
        r = subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "rx", "off",
                            "tso", "off", "gso", "off", "gro", "off"], capture_output=True)
        if r.returncode != 0:
            subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-K", dev, "tx", "off", "rx", "off"],
                           check=True, capture_output=True)

    def addr(self, ns, dev, *addrs):
        """Lab addresses only; IPv6 ones without DAD (no delay, no NS chatter)."""
        for a in addrs:
            if not lab_addr_ok(a):
                raise LabError(f"address {a!r} is outside 198.18.0.0/15 and 2001:db8::/32")
            if ":" in a:
                self.ip(ns, "-6", "addr", "add", a, "dev", dev, "nodad")
            else:
                self.ip(ns, "addr", "add", a, "dev", dev)

    def route(self, ns, *args):
        self.ip(ns, *(["-6"] if any(":" in str(a) for a in args) else []), "route", "add", *args)

    def neigh(self, ns, dev, addr, mac):
        if not lab_addr_ok(addr):
            raise LabError(f"neighbour {addr!r} is not a lab address")
        self.ip(ns, "neigh", "replace", addr, "lladdr", mac, "dev", dev, "nud", "permanent")

    def sysctl(self, ns, *settings):
        self._own(ns)
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", *settings], check=True, stdout=subprocess.DEVNULL)

    def mac(self, ns, dev):
        out = subprocess.run(["ip", "-n", ns, "-br", "link", "show", "dev", dev], capture_output=True, text=True, check=True)
        return out.stdout.split()[2]

    def settle(self, quiet=2.0, timeout=10):
        """Wait until no lab address is still in duplicate address detection,
        then quiet seconds more. Linux holds back an interface's MLD reports
        until DAD of its link-local address completes and then repeats them
        (robustness 2, up to 1 s apart: RFC 3810 9.1, 9.11), so a capture
        started earlier would catch that chatter."""
        end = time.time() + timeout
        while time.time() < end:
            if not any(subprocess.run(["ip", "-n", ns, "-6", "addr", "show", "tentative"], capture_output=True,
                                      text=True).stdout.strip() for ns in self.namespaces):
                break
            time.sleep(0.1)
        time.sleep(quiet)

    # ---------------------------------------------------------------- commands
    def run(self, ns, argv, log=None, check=True, timeout=None):
        """Run argv in lab namespace ns (foreground), output appended to log."""
        self._own(ns)
        check_args(argv)
        with open(log or os.devnull, "ab") as out:
            r = subprocess.run(["ip", "netns", "exec", ns, *map(str, argv)], stdout=out, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, env=env(), timeout=timeout)
        if check and r.returncode != 0:
            tail = open(log, errors="replace").read()[-600:] if log else ""
            raise LabError(f"{' '.join(map(str, argv))} failed in {ns} (exit {r.returncode})\n{tail}")
        return r.returncode

    def bg(self, ns, argv, log):
        """Start argv in the background inside ns; stopped by close()."""
        self._own(ns)
        check_args(argv)
        out = open(log, "ab")
        p = subprocess.Popen(["ip", "netns", "exec", ns, *map(str, argv)], stdout=out, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, env=env())
        out.close()
        self.procs.append(p)
        return p

    def wait_log(self, log, text, proc=None, timeout=10):
        """Wait until a background helper says it is ready."""
        end = time.time() + timeout
        while time.time() < end:
            if os.path.exists(log) and text in open(log, errors="replace").read():
                return
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.1)
        raise LabError(f"{log}: no {text!r} within {timeout}s")

    def wait_listen(self, ns, proto, port, timeout=10):
        end = time.time() + timeout
        flag = "-Hltn" if proto == "tcp" else "-Hlun"
        while time.time() < end:
            r = subprocess.run(["ip", "netns", "exec", ns, "ss", flag, f"sport = :{port}"], capture_output=True, text=True)
            if r.stdout.strip():
                return
            time.sleep(0.1)
        raise LabError(f"nothing listening on {proto}/{port} in {ns} after {timeout}s")


class Capture:
    """tcpdump -U -s 0 -B 16384 -w FILE on one interface of a lab namespace.

    Not --immediate-mode: with -s 0 libpcap then falls back to a TPACKET_V2
    ring of 256 KiB frames (8 frames in the default buffer) and drops most of
    a fast scan. The default TPACKET_V3 ring hands packets over in blocks the
    kernel retires after tcpdump's 1 s timeout, hence the linger in stop()."""

    def __init__(self, lab, ns, dev, path, bpf=(), snaplen=0):
        lab._own(ns)
        self.path, self.err = path, path + ".tcpdump.err"
        if os.path.exists(path):
            os.unlink(path)
        self.errf = open(self.err, "w")
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns, "tcpdump", "-i", dev, "-n", "-U", "-s", str(snaplen),
                                      "-B", "16384", "-Z", "root", "-w", path, *bpf],
                                     stdout=subprocess.DEVNULL, stderr=self.errf, stdin=subprocess.DEVNULL)
        lab.procs.append(self.proc)
        self.packets = None
        for _ in range(100):
            if self.proc.poll() is not None:
                raise LabError(f"tcpdump exited before it listened on {ns}/{dev}: {open(self.err).read()}")
            # listening, and the pcap header is on disk: it really captures
            if "listening on" in open(self.err).read() and os.path.exists(path) and os.path.getsize(path) >= 24:
                time.sleep(0.2)
                return
            time.sleep(0.1)
        raise LabError(f"tcpdump on {ns}/{dev} did not start listening within 10s")

    def stop(self, linger=2, strict=True):
        """Wait linger seconds (> 1, so the last ring block is retired) for late
        answers, stop tcpdump with SIGINT (it flushes the file) and fail if the
        kernel dropped packets or (strict) some seen by the filter did not
        reach the file."""
        time.sleep(linger)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait()
        self.errf.close()
        text = open(self.err).read()

        def stat(what):
            m = re.search(r"^(\d+) packets? " + what, text, re.M)
            return int(m.group(1)) if m else None
        self.packets, dropped, received = stat("captured"), stat("dropped by kernel"), stat("received by filter")
        if self.packets is None:
            raise LabError(f"tcpdump did not report its statistics for {self.path}: {text}")
        if dropped:
            raise LabError(f"tcpdump dropped {dropped} packets while writing {self.path}")
        if strict and (received or 0) != self.packets:
            raise LabError(f"capture {self.path} incomplete: {received} packets seen, {self.packets} written")
        return self.packets
