"""The adversary fixtures (test/pcaps/adversary), one declarative entry each.

Fragment and extension-header evasions a Linux target answers although they
are split, overlapped, trimmed or padded the way attackers use to slip past a
sensor, a distributed scan from spoofed sources and a slow scan under a short
window. Real nmap and hping3 where they can make the traffic, probes crafted
with scapy where they cannot ("python3 evasion.py MODE ..." in a command is
`python3 -m lab.traffic MODE ...` from the scanner namespace); the answers are
always the real target kernel's. As in lab.recon_scenarios, description,
command, detections and options go to NAME.expected.json as they stand.

The lab: the recon lab's hub, scanner 198.18.0.1 / 2001:db8::1 and target
198.18.0.2 / 2001:db8::2 listening on tcp/22 and tcp/80 (every other port
answers RST); no routes beyond the segment and the ICMP rate limits left as
they are (nothing here needs ICMP errors).
"""
import os

from lab import services
from lab.expected import det
from lab.netns import Capture
from lab.scenario import (RECIPES, SCAN4, SCAN6, SCAN_MAC, SHOWN, TGT4, TGT6, TGT_MAC, Cmd, Count, Distinct, Equal, Fn,
                       Scenario, Values, addr_range, traffic, tshark_fields)

PROFILE = "evasion"  # lab.services profile: tcp/22 and tcp/80 accept and close
OPEN = [22, 80]


def answers(ipf, tgt, src, n):
    """The target's answers to a SYN scan of n ports from src: one per port
    (SYN-ACK from 22 and 80, RST from every other), none missing."""
    return [Distinct("ports the target answered", f"{ipf}.src == {tgt} && {ipf}.dst == {src} && tcp", "==", n, "tcp.srcport"),
            Values("ports answering SYN-ACK", f"{ipf}.src == {tgt} && tcp.flags.syn == 1 && tcp.flags.ack == 1", "tcp.srcport",
                   "22,80", numeric=True),
            Distinct("ports answering RST", f"{ipf}.src == {tgt} && tcp.flags.reset == 1", "==", n - 2, "tcp.srcport")]


# A target's ipfrag_max_dist other than Linux's default 64 would change what
# evasion-maxdist-restart shows.
MAX_DIST_64 = Cmd(["sh", "-c", 'test "$(sysctl -n net.ipv4.ipfrag_max_dist)" = 64'], role="target")


def nine_dstopts(pcap):
    """Probes whose chain holds 9 destination options headers."""
    return sum(1 for x in tshark_fields(pcap, f"ipv6.src == {SCAN6} && ipv6.dstopts", "ipv6.dstopts.nxt")
               if len(x.split(",")) == 9)


def least_gap_ms(pcap):
    """The smallest time between two of the scanner's SYNs, in whole ms."""
    gaps = tshark_fields(pcap, f"ip.src == {SCAN4} && tcp.flags.syn == 1 && tcp.flags.ack == 0", "frame.time_delta_displayed")
    return int(min(float(g) for g in gaps[1:]) * 1000)


def crafted(name, mode, description, six=False, **kw):
    src, dst = (SCAN6, TGT6) if six else (SCAN4, TGT4)
    args = ["scan0", TGT_MAC, SCAN_MAC, src, dst, "1-100"]
    checks = kw.pop("checks", [])
    return Scenario(
        name=name, description=description, command=" ".join(["python3 evasion.py", mode, *args]),
        detections=[det(src, "tcp-syn", "vertical", None, 1, 100, OPEN)],
        recipe="evasion", steps=[Cmd(traffic(mode, *args))],
        checks=checks + answers("ipv6" if six else "ip", dst, src, 100), **kw)


SPOOFED = addr_range("198.19.5.10", 10)
SPOOFED_CMDS = [f"hping3 -q -n -S -a {a} -p ++{2000 + 12 * i} -c 12 -i u20000 {TGT4}" for i, a in enumerate(SPOOFED)]
MTU600 = "nmap -n -Pn -sS --data-length 1200 --mtu 600 -p1-1000 198.18.0.2"

SCENARIOS = [
    Scenario(
        name="evasion-nmap-mtu600",
        description="nmap SYN scan of ports 1-1000 of 198.18.0.2 from 198.18.0.1 with 1,200 bytes of data in each probe and nmap's own IPv4 fragmentation at 600 bytes (--data-length 1200 --mtu 600): each SYN is three fragments of 600, 600 and 20 bytes (frames of 634, 634 and 54 bytes). The target's kernel reassembles every probe and answers (SYN-ACK from 22 and 80, RST from the 998 others; checked with tshark). Captured whole (tcpdump -s 0).",
        command=MTU600,
        detections=[det(SCAN4, "tcp-syn", "vertical", "nmap", 1, 1000, OPEN)],
        recipe="evasion-snap512",
        steps=SHOWN,
        # every probe: 20 bytes of TCP header and 1,200 of data in fragments of 600, 600 and 20
        checks=[Count("fragments of 600 bytes with MF from the scanner", "ip.src == 198.18.0.1 && ip.flags.mf == 1 && ip.len == 620", ">=", 2000),
                Distinct("reassembled SYNs to distinct ports", "ip.src == 198.18.0.1 && tcp.flags.syn == 1 && tcp.flags.ack == 0", ">=", 1000, "tcp.dstport"),
                *answers("ip", TGT4, SCAN4, 1000),
                Equal("the scanner's fragments, in both captures",
                      Count("", "ip.src == 198.18.0.1 && ip.flags.mf == 1", "", 0, on="snap512"),
                      Count("", "ip.src == 198.18.0.1 && ip.flags.mf == 1", "", 0)),
                Count("frames cut at 512 bytes in the second capture", "frame.cap_len == 512 && frame.len > 512", ">=", 2000, on="snap512")],
        params={"companions": {"snap512": Scenario(
            name="evasion-nmap-mtu600-snap512",
            description="nmap SYN scan of ports 1-1000 of 198.18.0.2 from 198.18.0.1 with 1,200 bytes of data in each probe and nmap's own IPv4 fragmentation at 600 bytes (--data-length 1200 --mtu 600): each SYN is three fragments of 600, 600 and 20 bytes (frames of 634, 634 and 54 bytes). The target's kernel reassembles every probe and answers (SYN-ACK from 22 and 80, RST from the 998 others; checked with tshark). The same run captured at the same time cut at 512 bytes a frame (tcpdump -s 512), as a sensor with a 512-byte snapshot length sees it: both 600-byte fragments of every probe are cut, so reassembly must go by the lengths the IP headers declare.",
            command=MTU600 + "  (captured with tcpdump -s 512)",
            detections=[det(SCAN4, "tcp-syn", "vertical", "nmap", 1, 1000, OPEN)])}},
    ),
    crafted("evasion-overlap-new-queue", "overlap", "SYN probes to ports 1-100 of 198.18.0.2, each preceded by two junk fragments with the SAME IP ID that overlap each other (bytes 0-15, then 8-23, of a RST segment): Linux discards the overlapping datagram and forgets its queue (inet_frag_kill; RFC 5722), so the clean SYN that follows with that ID (fragments of 8, 8 and 4 bytes) starts a new datagram, which the target reassembles and answers. A reassembler that keeps the discarded datagram's slot until it times out swallows the clean probe. Crafted with scapy (no tool makes these fragments on request) and sent live from the scanner namespace; the answers are the target kernel's: SYN-ACK from 22 and 80, RST from the 98 others (checked with tshark), and the scanner's kernel resets the SYN-ACKs."),
    crafted("evasion-trim12", "trim12", "SYN probes to ports 1-100 of 198.18.0.2, each in two fragments: bytes 0-11 of the 20-byte TCP header with More Fragments set (12 bytes, not a multiple of 8), then bytes 8-19 at offset 8 as the last fragment. Linux trims a non-last fragment to a multiple of 8 (ip_frag_queue: end &= ~7), keeps bytes 0-7 and reassembles; a reassembler that drops the 12-byte fragment as malformed never sees the probe. Crafted with scapy (no tool makes these fragments on request) and sent live from the scanner namespace; the answers are the target kernel's: SYN-ACK from 22 and 80, RST from the 98 others (checked with tshark), and the scanner's kernel resets the SYN-ACKs."),
    crafted("evasion-maxdist-restart", "maxdist", "SYN probes to ports 1-100 of 198.18.0.2, each sent as a junk first fragment (bytes 0-15 of a RST segment, IP ID X), then 64 first fragments of other datagrams from the same source that never complete, then the clean SYN with IP ID X in fragments of 8, 8 and 4 bytes. Linux restarts a queue that missed more than ipfrag_max_dist (64) fragments of its peer (ip_frag_too_far, ip_frag_reinit), so the clean first fragment replaces the junk and the target answers the SYN; a reassembler without the rule takes the clean first fragment for a duplicate of the junk and sees a RST. Crafted with scapy (no tool makes these fragments on request) and sent live from the scanner namespace; the answers are the target kernel's: SYN-ACK from 22 and 80, RST from the 98 others (checked with tshark), and the scanner's kernel resets the SYN-ACKs.",
            # the 6,400 incomplete datagrams stay queued for 30 s: room for them in
            # the target's own reassembly memory (per-namespace settings)
            tgt_sysctl=["net.ipv4.ipfrag_high_thresh=268435456", "net.ipv4.ipfrag_low_thresh=201326592"],
            before=[MAX_DIST_64]),
    crafted("evasion-ipv6-dstopts9", "dstopts9", "IPv6 SYN probes to ports 1-100 of 2001:db8::2 from 2001:db8::1, each behind a chain of 9 destination options headers (8 bytes each, PadN): Linux walks extension header chains as long as the packet and answers. A decoder that stops at 8 extension headers never sees the probes. Crafted with scapy and sent live from the scanner namespace; the answers are the target kernel's: SYN-ACK from 22 and 80, RST from the 98 others (checked with tshark).", six=True,
            checks=[Fn("probes carrying 9 destination options headers", nine_dstopts, "==", 100)]),
    crafted("evasion-ipv6-dstopts9-frag", "dstopts9frag", "IPv6 SYN probes to ports 1-100 of 2001:db8::2 from 2001:db8::1 with 8 bytes of data, each in two fragments (24 bytes of TCP header, then the 8 bytes), both behind a chain of 9 destination options headers before the fragment header (the unfragmentable part, repeated in every fragment). Linux reassembles and answers. Crafted with scapy and sent live from the scanner namespace; the answers are the target kernel's: SYN-ACK from 22 and 80, RST from the 98 others (checked with tshark).", six=True,
            checks=[Fn("probes carrying 9 destination options headers", nine_dstopts, "==", 200)]),
    Scenario(
        name="spoofed-distributed-syn",
        description='A distributed SYN scan from spoofed addresses: hping3 in the scanner namespace sends 12 SYNs from each of 10 forged sources (198.19.5.10 to .19) to 12 ports each of 198.18.0.2 (2000-2119, one block per source, 50 a second); the target answers every one with a RST, routed back through the scanner (which holds none of these addresses). One scan of 120 ports of one host by 10 sources; the live sensor crashed on it while announcing the distributed detection.',
        command=";".join(SPOOFED_CMDS),
        detections=[det(SPOOFED[0], "tcp-syn", "vertical", "hping3", 1, 120, [], sources=SPOOFED, reason="distributed")],
        recipe="evasion",
        # the spoofed sources' network is routed through the scanner, so the
        # target's answers cross the link (to the scanner's MAC, which drops
        # them: it holds none of these addresses), as on a real span port
        params={"tgt_routes": [["198.19.5.0/24", "via", SCAN4]]},
        steps=[Cmd(c.split()) for c in SPOOFED_CMDS],
        checks=[Count("SYNs from the 10 spoofed sources", "ip.src == 198.19.5.0/24 && tcp.flags.syn == 1 && tcp.flags.ack == 0", "==", 120),
                Distinct("distinct spoofed sources", "ip.src == 198.19.5.0/24 && tcp.flags.syn == 1", "==", 10, "ip.src"),
                Distinct("distinct ports probed", "ip.src == 198.19.5.0/24 && tcp.flags.syn == 1", "==", 120, "tcp.dstport"),
                Count("RSTs from the target to the spoofed sources", "ip.src == 198.18.0.2 && ip.dst == 198.19.5.0/24 && tcp.flags.reset == 1", "==", 120)],
    ),
    Scenario(
        name="slow-scan-window1",
        description="A real nmap SYN scan of 24 closed ports (3000-3023) of 198.18.0.2, one probe every 1.5 s (--scan-delay 1500ms), analysed with a 1 s window (the fixture's options): no window can add the probes up, so only the long-horizon tier finds the scan (20 failed ports of one host). The live sensor crashed when it announced such a detection.",
        command="nmap -n -Pn -sS --scan-delay 1500ms --max-retries 0 -p 3000-3023 198.18.0.2",
        detections=[det(SCAN4, "tcp-syn", "vertical", "nmap", 1, 24, [], reason="long-horizon")],
        # the sensor option that makes the window shorter than the gaps
        options=["--window", "1"],
        recipe="evasion",
        steps=SHOWN,
        # nmap repeats a probe of an answered port now and then to time the
        # target (its "timing pings"): more SYNs than ports, each refused
        checks=[Distinct("distinct ports probed", "ip.src == 198.18.0.1 && tcp.flags.syn == 1 && tcp.flags.ack == 0", "==", 24, "tcp.dstport"),
                Equal("RSTs from the target, one per SYN",
                      Count("", "ip.src == 198.18.0.2 && tcp.flags.reset == 1", "", 0),
                      Count("", "ip.src == 198.18.0.1 && tcp.flags.syn == 1 && tcp.flags.ack == 0", "", 0)),
                Fn("least gap between probes (ms)", least_gap_ms, ">=", 1400)],
    ),
]


# ------------------------------------------------------------------ recipes
def lab_evasion(r, lab):
    r.hub_up(lab)
    s, t = lab.ns_add(r.nsname("s")), lab.ns_add(r.nsname("t"))
    r.hub_join(lab, s, "scan0", SCAN_MAC)
    r.hub_join(lab, t, "tgt0", TGT_MAC)
    lab.addr(s, "scan0", f"{SCAN4}/24", f"{SCAN6}/64")
    lab.addr(t, "tgt0", f"{TGT4}/24", f"{TGT6}/64")
    for a in (TGT4, TGT6):
        lab.neigh(s, "scan0", a, TGT_MAC)
    for a in (SCAN4, SCAN6):
        lab.neigh(t, "tgt0", a, SCAN_MAC)
    services.start(lab, t, PROFILE, os.path.join(r.logs, f"services-{t}.log"))
    return {"hub": lab.hub, "scanner": s, "target": t}


def rec_evasion(r, sc):
    with r.new_lab() as lab:
        roles = lab_evasion(r, lab)
        if sc.tgt_sysctl:
            lab.sysctl(roles["target"], *sc.tgt_sysctl)
        for route in sc.params.get("tgt_routes", []):
            lab.route(roles["target"], *route)
        for st in sc.before:
            r.step(lab, roles, sc, st)
        return r.capture(lab, roles, sc, os.path.join(r.tmp, f"{sc.name}.pcap"))


def rec_snap512(r, sc):
    """The run captured twice at once: whole (-s 0) and cut at 512 bytes a frame
    (-s 512, started before and stopped after the whole one), as a sensor with
    a 512-byte snapshot length sees it."""
    with r.new_lab() as lab:
        roles = lab_evasion(r, lab)
        lab.settle()
        snap = os.path.join(r.tmp, f"{sc.name}-snap512.pcap")
        cut = Capture(lab, roles["hub"], "br0", snap, snaplen=512)
        main = os.path.join(r.tmp, f"{sc.name}.pcap")
        whole = Capture(lab, roles["hub"], "br0", main)
        for st in sc.steps:
            r.step(lab, roles, sc, st)
        whole.stop(sc.linger)
        cut.stop(0, strict=False)
        return {"main": main, "snap512": snap}


RECIPES.update({"evasion": rec_evasion, "evasion-snap512": rec_snap512})
