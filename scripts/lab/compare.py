"""Compare re-recorded fixtures with committed ones by what the packets are,
not their bytes (times, source ports, sequence numbers and IP IDs change at
every recording).

  python3 -m lab.compare NEW_DIR OLD_DIR NAME...

For each NAME: packet counts per (source, kind) from tshark, where kind is
the TCP flags, UDP/ICMP/ICMPv6/ARP/SCTP type or "fragment"; the ports each
kind of TCP packet went to or came from; and whether NAME.expected.json is
the same file. Exit status 1 if anything differs.
"""
import collections
import filecmp
import os
import subprocess
import sys

FIELDS = ["ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "eth.type", "ip.flags.mf", "ip.frag_offset", "ipv6.nxt", "tcp.flags", "tcp.srcport",
          "tcp.dstport", "udp.srcport", "udp.dstport", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code",
          "arp.opcode", "sctp.chunk_type", "vxlan.vni", "vlan.id", "gre.proto"]
TCP_NAMES = {0x002: "SYN", 0x012: "SYN-ACK", 0x004: "RST", 0x014: "RST-ACK", 0x010: "ACK", 0x018: "PSH-ACK",
             0x011: "FIN-ACK", 0x019: "FIN-PSH-ACK", 0x001: "FIN", 0x000: "NULL", 0x029: "XMAS"}


def summary(pcap):
    """(Counter of (src, kind), {(src, kind): sorted service ports}) of a
    capture. src is the outermost sender (the one on the wire); the kind comes
    from the innermost header (the probe inside a tunnel)."""
    args = ["tshark", "-r", pcap, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        allv = dict(zip(FIELDS, line.split("|")))
        v = {k: x.split(";")[-1] for k, x in allv.items()}
        v["wire.src"] = (allv["ip.src"] or allv["ipv6.src"] or "-").split(";")[0]
        rows.append(v)
    # service endpoints: where SYNs went (the innermost addresses, as the ports)
    served = {(v["ip.dst"] or v["ipv6.dst"], v["tcp.dstport"]) for v in rows
              if v["tcp.flags"] and int(v["tcp.flags"], 16) & 0x12 == 0x02}
    counts, ports = collections.Counter(), collections.defaultdict(set)
    for v in rows:
        src = v["wire.src"]
        if v["tcp.flags"]:
            fl = int(v["tcp.flags"], 16)
            kind = "tcp " + TCP_NAMES.get(fl, hex(fl))
            # the service port: the end of the segment that SYNs were sent to
            # (scanners and clients send from changing source ports)
            if (v["ip.dst"] or v["ipv6.dst"], v["tcp.dstport"]) in served:
                port = v["tcp.dstport"]
            elif (v["ip.src"] or v["ipv6.src"], v["tcp.srcport"]) in served:
                port = v["tcp.srcport"]
            else:
                port = min(v["tcp.srcport"], v["tcp.dstport"], key=int)
            ports[(src, kind)].add(int(port))
        elif v["sctp.chunk_type"]:
            kind = "sctp chunk " + v["sctp.chunk_type"]
        elif v["icmpv6.type"]:
            kind = f"icmpv6 {v['icmpv6.type']}/{v['icmpv6.code']}"
        elif v["icmp.type"]:
            kind = f"icmp {v['icmp.type']}/{v['icmp.code']}"
        elif v["udp.dstport"]:
            kind = "udp to " + (v["udp.dstport"] if int(v["udp.dstport"]) < 1024 else "high") + \
                   " from " + (v["udp.srcport"] if int(v["udp.srcport"]) < 1024 else "high")
        elif v["arp.opcode"]:
            kind = "arp " + v["arp.opcode"]
        elif v["ip.flags.mf"] == "1" or (v["ip.frag_offset"] not in ("", "0")) or v["ipv6.nxt"] == "44":
            kind = "fragment"
        else:
            kind = "other " + (v["ipv6.nxt"] or v["eth.type"])
        if v["vxlan.vni"]:
            kind = f"vni {v['vxlan.vni']} " + kind
        if v["vlan.id"]:
            kind = f"vlan {v['vlan.id']} " + kind
        counts[(src, kind)] += 1
    return counts, {k: sorted(p) for k, p in ports.items()}


def ranges(ps):
    out, i = [], 0
    while i < len(ps):
        j = i
        while j + 1 < len(ps) and ps[j + 1] == ps[j] + 1:
            j += 1
        out.append(str(ps[i]) if i == j else f"{ps[i]}-{ps[j]}")
        i = j + 1
    return ",".join(out) if len(out) <= 6 else f"{len(ps)} ports"


def compare(new_dir, old_dir, name):
    new, old = (os.path.join(d, name + ".pcap") for d in (new_dir, old_dir))
    (cn, pn), (co, po) = summary(new), summary(old)
    same = True
    print(f"== {name}: {sum(cn.values())} packets new, {sum(co.values())} committed")
    for key in sorted(set(cn) | set(co)):
        mark = "" if cn[key] == co[key] else "   <-- differs"
        line = f"  {key[0]:<16} {key[1]:<34} {cn[key]:>6} {co[key]:>6}"
        if key in pn or key in po:
            a, b = ranges(pn.get(key, [])), ranges(po.get(key, []))
            line += f"  ports {a}" + ("" if a == b else f" (committed {b})")
            if a != b:
                mark = "   <-- differs"
        print(line + mark)
        same &= not mark
    ej = filecmp.cmp(os.path.join(new_dir, name + ".expected.json"), os.path.join(old_dir, name + ".expected.json"),
                     shallow=False)
    print(f"  expected.json: {'identical' if ej else 'DIFFERS'}")
    return same and ej


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    ok = [compare(sys.argv[1], sys.argv[2], n) for n in sys.argv[3:]]
    sys.exit(0 if all(ok) else 1)
