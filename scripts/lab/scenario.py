"""Scenarios, the steps, checks and recipes they are made of, and the
recorder that runs them (python3 -m lab.record TABLE).

Every scenario builds its own lab and deletes it afterwards: a hub
namespace with a bridge whose MAC learning is off (ageing 0), so every frame
is flooded to every port and to br0, where tcpdump captures: the view of a
sensor on a span port of the segment. Scanner 198.18.0.1 and target
198.18.0.2 are on it; in the recon lab (lab_std) the target routes the rest
of 198.18.0.0/15 (addresses on its lo answer, all others are blackholed:
silently dropped).
"""
import ipaddress
import os
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

from lab import expected, pcapfile, services
from lab.netns import PY, Capture, Lab, LabError, check_args

SCAN_MAC, TGT_MAC, ZOMBIE_MAC = "02:00:c6:12:00:01", "02:00:c6:12:00:02", "02:00:c6:12:00:03"
SCAN4, TGT4, ZOMBIE4 = "198.18.0.1", "198.18.0.2", "198.18.0.3"
SCAN6, TGT6 = "2001:db8::1", "2001:db8::2"
# inner (overlay) addresses of the tunnel and tenant scenarios
IN_SCAN_MAC, IN_TGT_MAC = "02:00:c6:12:0a:01", "02:00:c6:12:0a:02"
IN_SCAN4, IN_TGT4 = "198.18.10.1", "198.18.10.2"
PROFILE = "recon"  # lab.services profile of the targets unless a table names another


def addr_range(first, count):
    a = ipaddress.ip_address(first)
    return [str(a + i) for i in range(count)]


def traffic(mode, *args):
    """argv of a lab.traffic mode (the "python3 recon.py MODE" of the fixtures)."""
    return [PY, "-m", "lab.traffic", mode, *map(str, args)]


# ------------------------------------------------------------------ steps (what runs while capturing)
@dataclass
class Cmd:
    """A command in a lab namespace; ok_fail: its exit status does not matter
    (hping3 exits 1 when nothing answers, the point of a dark-net probe)."""
    argv: list
    role: str = "scanner"
    ok_fail: bool = False
    show: bool = True


@dataclass
class Sleep:
    seconds: float


@dataclass
class During:
    """A background helper (a flood) started lead seconds before steps and
    required to finish with them."""
    argv: list
    steps: list
    lead: float = 0.3
    role: str = "scanner"


@dataclass
class Masscan:
    """masscan 1.3.2's receive thread blocks in libpcap after its --wait and
    counts "waiting -1-secs, -2-secs, ..." forever: run it in the background
    and stop it once its wait is over, so the capture also ends quiet."""
    argv: list


@dataclass
class Parallel:
    cmds: list
    width: int = 8


# ------------------------------------------------------------------ checks (tshark on the capture)
def tshark_fields(pcap, flt, *fields_):
    args = ["tshark", "-r", pcap, "-Y", flt, "-T", "fields"]
    for f in fields_ or ("frame.number",):
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True).stdout
    return [line for line in out.split("\n") if line != ""]


@dataclass
class Count:
    label: str
    filter: str
    op: str
    value: int
    on: str = "main"  # which capture of the run (a recipe may make more than one)

    def got(self, pcap, log):
        return len(tshark_fields(pcap, self.filter))


@dataclass
class Distinct:
    label: str
    filter: str
    op: str
    value: int
    field_: str = "frame.number"
    on: str = "main"

    def got(self, pcap, log):
        return len(set(tshark_fields(pcap, self.filter, self.field_)))


@dataclass
class Values:
    """The sorted distinct values of a field, space separated."""
    label: str
    filter: str
    field_: str
    value: str
    op: str = "=="
    on: str = "main"
    numeric: bool = False

    def got(self, pcap, log):
        vals = set(tshark_fields(pcap, self.filter, self.field_))
        if self.numeric:
            return ",".join(map(str, sorted(int(v) for v in vals)))
        return " ".join(sorted(vals))


@dataclass
class Unpaired:
    """How many rows of (filter, fields) in one set and not the other: 0 when
    every answer matches a query (server, port, id), seen from the other side."""
    label: str
    a: tuple
    b: tuple
    value: int = 0
    op: str = "=="

    def got(self, pcap, log):
        ra = Counter(tshark_fields(pcap, self.a[0], *self.a[1]))
        rb = Counter(tshark_fields(pcap, self.b[0], *self.b[1]))
        return sum(((ra - rb) + (rb - ra)).values())


@dataclass
class Fn:
    """A value computed from the capture by a function of its path."""
    label: str
    fn: object
    op: str
    value: int
    on: str = "main"

    def got(self, pcap, log):
        return self.fn(pcap)


@dataclass
class Equal:
    """Two measurements (checks whose own op and value are not used) agree."""
    label: str
    a: object
    b: object
    op: str = "same"
    value: str = "each other"


@dataclass
class LogHas:
    text: str
    label: str = ""
    op: str = "has"
    value: str = ""

    def got(self, pcap, log):
        return self.text in open(log, errors="replace").read()


# ------------------------------------------------------------------ scenario
SHOWN = "shown"


@dataclass
class Scenario:
    """One fixture. name/description/command/detections/options go to
    NAME.expected.json as they are: the detections are what the command was
    made to send and what the lab answers, never scanwatch's output."""
    name: str
    description: str
    command: str
    detections: list
    options: list = None
    recipe: str = "std"       # the lab that records it (RECIPES)
    steps: list = field(default_factory=list)
    checks: list = field(default_factory=list)
    # std lab additions
    lo: list = field(default_factory=list)            # (first, count) /32s on the target's lo
    tgt_addrs: list = field(default_factory=list)     # more addresses on tgt0
    scan_addrs: list = field(default_factory=list)    # more addresses on scan0
    tgt_neigh: list = field(default_factory=list)     # (addr, mac) in the target
    tgt_sysctl: list = field(default_factory=list)
    helpers: list = field(default_factory=list)       # (role, argv, ready text) before the capture
    zombie: bool = False
    files: dict = field(default_factory=dict)         # name -> lines, written to the run's tmp
    before: list = field(default_factory=list)        # Cmds run before the capture (not captured)
    retime: tuple = None                              # ("slow"|"rounds", args...)
    linger: float = 2
    params: dict = field(default_factory=dict)        # recipe parameters

    def __post_init__(self):
        if self.steps == SHOWN:  # the command shown is exactly what runs, in the scanner
            self.steps = [Cmd(self.command.split())]
        for st in self.steps:
            if isinstance(st, Masscan) and st.argv == SHOWN:
                st.argv = self.command.split()


# ------------------------------------------------------------------ recording
class Recorder:
    def __init__(self, out, scenarios, profile=PROFILE):
        self.out = out
        self.profile = profile
        self.scenarios = {s.name: s for s in scenarios}
        self.tmp = None
        self.seq = 0
        self.cache = {}

    # ---- lab building
    def new_lab(self):
        return Lab(log_dir=self.logs)

    def hub_up(self, lab):
        self.seq += 1
        hub = lab.ns_add(f"rrh{self.seq}-{os.getpid()}")
        lab.ip(hub, "link", "add", "br0", "type", "bridge", "ageing_time", "0", "stp_state", "0")
        lab.ip(hub, "link", "set", "br0", "up")
        lab.hub, lab.hub_ports = hub, 0
        return hub

    def nsname(self, role):
        return f"rr{role}{self.seq}-{os.getpid()}"

    def hub_join(self, lab, ns, dev, mac):
        if ns not in lab.namespaces:
            lab.ns_add(ns)
        lab.hub_ports += 1
        port = f"p{lab.hub_ports}"
        lab.veth(ns, dev, mac, lab.hub, port)
        lab.ip(lab.hub, "link", "set", port, "master", "br0")
        lab.offload_off(ns, dev)
        lab.offload_off(lab.hub, port)

    def tgt_common(self, lab, ns):
        """ICMP errors without rate limits, services on every address."""
        lab.sysctl(ns, "net.ipv4.icmp_ratelimit=0", "net.ipv4.icmp_msgs_per_sec=100000",
                   "net.ipv4.icmp_msgs_burst=100000", "net.ipv6.icmp.ratelimit=0")
        services.start(lab, ns, self.profile, os.path.join(self.logs, f"services-{ns}.log"))

    def lab_std(self, lab):
        """hub + scanner + target (services running), permanent neighbours."""
        self.hub_up(lab)
        s, t = lab.ns_add(self.nsname("s")), lab.ns_add(self.nsname("t"))
        self.hub_join(lab, s, "scan0", SCAN_MAC)
        self.hub_join(lab, t, "tgt0", TGT_MAC)
        lab.addr(s, "scan0", f"{SCAN4}/24", f"{SCAN6}/64")
        lab.addr(t, "tgt0", f"{TGT4}/24", f"{TGT6}/64")
        for a, m in ((TGT4, TGT_MAC), (TGT6, TGT_MAC)):
            lab.neigh(s, "scan0", a, m)
        for a, m in ((SCAN4, SCAN_MAC), (SCAN6, SCAN_MAC)):
            lab.neigh(t, "tgt0", a, m)
        lab.route(s, "198.18.0.0/15", "via", TGT4)
        lab.route(s, "2001:db8::/32", "via", TGT6)
        lab.route(t, "blackhole", "198.18.0.0/15")
        lab.route(t, "blackhole", "2001:db8::/32")
        self.tgt_common(lab, t)
        return {"hub": lab.hub, "scanner": s, "target": t}

    def lab_inner(self, lab):
        """The overlay pair on a plain segment (what a tunnel would carry)."""
        self.hub_up(lab)
        s, t = lab.ns_add(self.nsname("s")), lab.ns_add(self.nsname("t"))
        self.hub_join(lab, s, "scan0", IN_SCAN_MAC)
        self.hub_join(lab, t, "tgt0", IN_TGT_MAC)
        lab.addr(s, "scan0", f"{IN_SCAN4}/24")
        lab.addr(t, "tgt0", f"{IN_TGT4}/24")
        lab.neigh(s, "scan0", IN_TGT4, IN_TGT_MAC)
        lab.neigh(t, "tgt0", IN_SCAN4, IN_SCAN_MAC)
        self.tgt_common(lab, t)
        return {"hub": lab.hub, "scanner": s, "target": t}

    def vxlan_pair(self, lab, sns, tns, su, tu, vni, port):
        """Inner scanner/target joined by a real Linux VXLAN over the hub;
        underlay su <-> tu (both IPv4 or both IPv6)."""
        six = ":" in su
        if six:
            smac, tmac = "02:00:c6:12:64:01", "02:00:c6:12:64:02"
        else:
            smac, tmac = (f"02:00:c6:12:64:{int(a.split('.')[-1]):02x}" for a in (su, tu))
        self.hub_join(lab, sns, "scan0", smac)
        self.hub_join(lab, tns, "tgt0", tmac)
        plen = 64 if six else 24
        lab.addr(sns, "scan0", f"{su}/{plen}")
        lab.addr(tns, "tgt0", f"{tu}/{plen}")
        lab.neigh(sns, "scan0", tu, lab.mac(tns, "tgt0"))
        lab.neigh(tns, "tgt0", su, lab.mac(sns, "scan0"))
        for ns, mac, local, remote, dev in ((sns, IN_SCAN_MAC, su, tu, "scan0"), (tns, IN_TGT_MAC, tu, su, "tgt0")):
            lab.ip(ns, "link", "add", "vx0", "address", mac, "type", "vxlan", "id", vni, "local", local,
                   "remote", remote, "dstport", port, "dev", dev)
            lab.ip(ns, "link", "set", "vx0", "up")
            lab.offload_off(ns, "vx0")
        lab.addr(sns, "vx0", f"{IN_SCAN4}/24")
        lab.addr(tns, "vx0", f"{IN_TGT4}/24")
        self.tgt_common(lab, tns)

    # ---- running
    def log(self, sc):
        return os.path.join(self.logs, f"{sc.name}.log")

    def expand(self, argv):
        return [str(a).replace("{tmp}", self.tmp) for a in argv]

    def step(self, lab, roles, sc, st):
        log = self.log(sc)
        if isinstance(st, Cmd):
            argv = self.expand(st.argv)
            if st.show:
                print(f"  [{st.role}] {' '.join(argv)}", flush=True)
            lab.run(roles[st.role], argv, log=log, check=not st.ok_fail)
        elif isinstance(st, Sleep):
            time.sleep(st.seconds)
        elif isinstance(st, During):
            p = lab.bg(roles[st.role], self.expand(st.argv), log + ".bg")
            time.sleep(st.lead)
            for inner in st.steps:
                self.step(lab, roles, sc, inner)
            if p.wait() != 0:
                raise LabError(f"{sc.name}: background {st.argv[3:5]} failed")
        elif isinstance(st, Masscan):
            argv = self.expand(st.argv)
            print(f"  [scanner] {' '.join(argv)}", flush=True)
            p = lab.bg(roles["scanner"], argv, log)
            for _ in range(600):
                if "waiting -1-secs" in open(log, errors="replace").read() or p.poll() is not None:
                    break
                time.sleep(0.1)
            p.kill()
            p.wait()
        elif isinstance(st, Parallel):
            print(f"  [scanner] {len(st.cmds)} commands, {st.width} at a time, e.g. {' '.join(st.cmds[0].argv)}", flush=True)
            for i in range(0, len(st.cmds), st.width):
                ps = [lab.bg(roles[c.role], self.expand(c.argv), log) for c in st.cmds[i:i + st.width]]
                if any(p.wait() != 0 for p in ps):
                    raise LabError(f"{sc.name}: a parallel command failed")
        else:
            raise TypeError(st)

    def capture(self, lab, roles, sc, path, steps=None, ns=None, dev="br0"):
        lab.settle()  # let the new interfaces finish their IPv6 DAD/MLD chatter first
        cap = Capture(lab, ns or roles["hub"], dev, path)
        for st in (sc.steps if steps is None else steps):
            self.step(lab, roles, sc, st)
        cap.stop(sc.linger)
        return path

    def check(self, sc, caps):
        log = self.log(sc)

        def measure(c):
            return c.got(caps[getattr(c, "on", "main")], log)
        for c in sc.checks:
            if isinstance(c, Equal):
                got, want = measure(c.a), measure(c.b)
                ok, c = got == want, Equal(c.label, c.a, c.b, "==", want)
            else:
                got = measure(c)
                ok = got is True if c.op == "has" else got >= c.value if c.op == ">=" else got == c.value
            label = c.label or f"log has {c.text!r}"
            if not ok:
                failed = os.path.join(self.out, f".{sc.name}.pcap.failed")
                shutil.copyfile(caps["main"], failed)
                raise LabError(f"{sc.name}: check failed: {label}: {got} (want {c.op} {c.value}); capture kept as {failed}")
            print(f"  check: {label} = {got}" + (f" ({c.op} {c.value})" if c.op == ">=" else ""), flush=True)

    @staticmethod
    def write_expected(out, sc, target_services):
        doc = {"name": sc.name, "description": sc.description, "command": sc.command,
               "target_services": target_services, "detections": sc.detections}
        if sc.options is not None:
            doc["options"] = sc.options
        expected.write(os.path.join(out, f"{sc.name}.expected.json"), doc)

    def publish(self, sc, pcap):
        dst = os.path.join(self.out, f"{sc.name}.pcap")
        shutil.copyfile(pcap, dst)
        self.write_expected(self.out, sc, services.ports(self.profile))
        n = len(pcapfile.read_pcap(dst)[1])
        print(f"  wrote {sc.name}.pcap ({n} packets, {os.path.getsize(dst)} bytes) + {sc.name}.expected.json", flush=True)

    def record(self, names):
        os.makedirs(self.out, exist_ok=True)
        self.tmp = os.path.realpath(tempfile.mkdtemp(prefix="lab-record."))
        self.logs = os.path.join(self.tmp, "logs")
        os.makedirs(self.logs)
        try:
            for name in names:
                sc = self.scenarios[name]
                print(f"== {name}", flush=True)
                open(self.log(sc), "w").close()
                for fname, lines in sc.files.items():
                    lines = lines() if callable(lines) else lines
                    check_args(lines)
                    with open(os.path.join(self.tmp, fname), "w") as f:
                        f.write("".join(f"{x}\n" for x in lines))
                caps = RECIPES[sc.recipe](self, sc)
                caps = caps if isinstance(caps, dict) else {"main": caps}
                pcap = caps["main"]
                self.check(sc, caps)
                if sc.retime:
                    raw = pcap + ".raw"
                    os.replace(pcap, raw)
                    kind, *args = sc.retime
                    fn = pcapfile.retime_slow if kind == "slow" else pcapfile.retime_rounds
                    print(f"  retime: {fn(raw, pcap, *args)}", flush=True)
                self.publish(sc, pcap)
                # a companion: another file made by the same run (another capture of it)
                for cap, other in sc.params.get("companions", {}).items():
                    self.publish(other, caps[cap])
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)
        print(f"done: {len(names)} scenario(s) in {self.out}")


# ------------------------------------------------------------------ recipes
def rec_std(r, sc):
    with r.new_lab() as lab:
        roles = r.lab_std(lab)
        s, t = roles["scanner"], roles["target"]
        if sc.zombie:
            z = roles["zombie"] = lab.ns_add(r.nsname("z"))
            r.hub_join(lab, z, "zomb0", ZOMBIE_MAC)
            lab.neigh(s, "scan0", ZOMBIE4, ZOMBIE_MAC)
            lab.neigh(t, "tgt0", ZOMBIE4, ZOMBIE_MAC)
        for first, count in sc.lo:
            lab.addr(t, "lo", *(f"{a}/32" for a in addr_range(first, count)))
        if sc.tgt_addrs:
            lab.addr(t, "tgt0", *sc.tgt_addrs)
        if sc.scan_addrs:
            lab.addr(s, "scan0", *sc.scan_addrs)
        for a, m in sc.tgt_neigh:
            lab.neigh(t, "tgt0", a, m)
        if sc.tgt_sysctl:
            lab.sysctl(t, *sc.tgt_sysctl)
        for role, argv, ready in sc.helpers:
            log = os.path.join(r.logs, f"{sc.name}-{role}-helper.log")
            p = lab.bg(roles[role], r.expand(argv), log)
            lab.wait_log(log, ready, p)
        for st in sc.before:
            r.step(lab, roles, sc, st)
        return r.capture(lab, roles, sc, os.path.join(r.tmp, f"{sc.name}.pcap"))


def rec_vxlan(r, sc):
    """A real Linux VXLAN: params underlay=(su, tu), port."""
    with r.new_lab() as lab:
        r.hub_up(lab)
        roles = {"hub": lab.hub, "scanner": lab.ns_add(r.nsname("s")), "target": lab.ns_add(r.nsname("t"))}
        su, tu = sc.params.get("underlay", ("198.18.100.1", "198.18.100.2"))
        r.vxlan_pair(lab, roles["scanner"], roles["target"], su, tu, 5001, sc.params.get("port", 4789))
        return r.capture(lab, roles, sc, os.path.join(r.tmp, f"{sc.name}.pcap"))


def rec_tenants(r, sc):
    """Two VXLAN tenants with the same inner addresses and MACs on one underlay:
    roles scanner-a (VNI 5001, VTEPs .100.1/.2) and scanner-b (5002, .100.3/.4)."""
    with r.new_lab() as lab:
        r.hub_up(lab)
        roles = {"hub": lab.hub}
        for x, su, tu, vni in (("a", "198.18.100.1", "198.18.100.2", 5001), ("b", "198.18.100.3", "198.18.100.4", 5002)):
            roles["scanner-" + x], roles["target-" + x] = lab.ns_add(r.nsname("s" + x)), lab.ns_add(r.nsname("t" + x))
            r.vxlan_pair(lab, roles["scanner-" + x], roles["target-" + x], su, tu, vni, 4789)
        return r.capture(lab, roles, sc, os.path.join(r.tmp, f"{sc.name}.pcap"))


def inner_scan(r, sc, steps, path):
    """One real scan IN_SCAN4 -> IN_TGT4 in a throw-away lab, captured on the segment."""
    with r.new_lab() as lab:
        roles = r.lab_inner(lab)
        return r.capture(lab, roles, sc, path, steps=steps)


def rec_encap(r, sc):
    """The inner scan (recorded once per run) wrapped in params["kind"]."""
    if "inner" not in r.cache:
        r.cache["inner"] = inner_scan(r, sc, sc.steps, os.path.join(r.tmp, "inner.pcap"))
    out = os.path.join(r.tmp, f"{sc.name}.pcap")
    print(f"  encap: {pcapfile.encap(r.cache['inner'], out, sc.params['kind'], IN_SCAN_MAC)}", flush=True)
    return out


def rec_vlan(r, sc):
    """Two inner scans (params["vlans"]: (vid, steps)...) tagged and merged as one trunk."""
    tagged = []
    for vid, steps in sc.params["vlans"]:
        tagged.append((inner_scan(r, sc, steps, os.path.join(r.tmp, f"vlan{vid}.pcap")), vid))
    out = os.path.join(r.tmp, f"{sc.name}.pcap")
    print(f"  vlan-merge: {pcapfile.vlan_merge(out, tagged)}", flush=True)
    return out


RECIPES = {"std": rec_std, "vxlan": rec_vxlan, "tenants": rec_tenants, "encap": rec_encap, "vlan": rec_vlan}
