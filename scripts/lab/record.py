"""Record fixtures from the lab's scenario tables.

  python3 -m lab.record recon [NAME...]            record (all, or these), as root
  python3 -m lab.record recon --list               scenario names
  python3 -m lab.record recon --out DIR NAME...    write somewhere else than test/pcaps/recon
  python3 -m lab.record recon --expected-only      write only the expected.json files
                                                   (no lab, no root: they come from the table)
  python3 -m lab.record evasion ...                the same for test/pcaps/adversary
"""
import argparse
import os
import shutil
import sys

from lab import services
from lab.netns import PY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TABLES = {"recon": ("lab.recon_scenarios", os.path.join(ROOT, "test/pcaps/recon")),
          "evasion": ("lab.evasion_scenarios", os.path.join(ROOT, "test/pcaps/adversary"))}
# Debian package of every tool a table's lab runs
LAB_TOOLS = {"ip": "iproute2", "ss": "iproute2", "tcpdump": "tcpdump", "tshark": "tshark", "nmap": "nmap",
             "hping3": "hping3", "ethtool": "ethtool"}
TOOLS = {"recon": {**LAB_TOOLS, "masscan": "masscan", "zmap": "zmap", "ping": "iputils-ping", "shuf": "coreutils"},
         "evasion": LAB_TOOLS}


def require(table):
    if os.geteuid() != 0:
        sys.exit(f"must run as root (try: sudo bash scripts/record-{table}-fixtures.sh)")
    for cmd, pkg in TOOLS[table].items():
        if not shutil.which(cmd):
            sys.exit(f"'{cmd}' not found - install it with: apt-get install -y {pkg}")
    if not os.access(PY, os.X_OK):
        sys.exit(f"{PY} not found - install it with: apt-get install -y python3")
    try:
        import scapy  # noqa: F401  (the crafted probes and the SCTP responder need it)
    except ImportError:
        sys.exit("scapy not found - install it with: apt-get install -y python3-scapy")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m lab.record", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("table", choices=sorted(TABLES))
    ap.add_argument("names", nargs="*")
    ap.add_argument("-l", "--list", action="store_true")
    ap.add_argument("--out", help="output directory (default: the table's fixture directory)")
    ap.add_argument("--expected-only", action="store_true")
    a = ap.parse_intermixed_args(argv)
    module, default_out = TABLES[a.table]
    mod = __import__(module, fromlist=["SCENARIOS"])
    table, profile = mod.SCENARIOS, mod.PROFILE
    by_name = {s.name: s for s in table}
    if a.list:
        print("\n".join(by_name))
        return 0
    for n in a.names:
        if n not in by_name:
            sys.exit(f"unknown scenario {n!r} (see --list)")
    names = a.names or list(by_name)
    out = os.path.abspath(a.out or os.environ.get("OUT_DIR") or default_out)
    if a.expected_only:
        os.makedirs(out, exist_ok=True)
        from lab.scenario import Recorder
        for n in names:
            for sc in [by_name[n], *by_name[n].params.get("companions", {}).values()]:
                Recorder.write_expected(out, sc, services.ports(profile))
        print(f"{len(names)} expected.json file(s) in {out}")
        return 0
    require(a.table)
    from lab.scenario import Recorder
    Recorder(out, table, profile).record(names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
