"""The recon fixtures (test/pcaps/recon), one declarative entry each.

name, description, command, detections and options are written to
NAME.expected.json as they stand: detections are what the command was made
to send and what the lab's services answer (nmap's ports and open ports, the
addresses given to the target), never scanwatch's output. The rest says how
to record: which lab (recipe), what runs while tcpdump captures (steps), what
tshark must find in the capture before it is kept (checks), and any edit
made afterwards (retime). "python3 recon.py MODE ..." in a command is
`python3 -m lab.traffic MODE ...`, sent from the scanner namespace; "recon.py
encap / vlan-merge / retime-*" are the lab.pcapfile functions the recipes and
`retime` apply. The command texts are kept as they were recorded.
"""
import subprocess
import tempfile

from lab.expected import det
from lab.scenario import (IN_TGT4, SCAN4, SCAN6, SCAN_MAC, SHOWN, TGT4, TGT6, TGT_MAC, ZOMBIE4, ZOMBIE_MAC, Cmd, Count,
                       Distinct, During, LogHas, Masscan, Parallel, Scenario, Sleep, Unpaired, Values, addr_range, traffic)

SYNACK_22_80 = Count("SYN-ACKs from 22 and 80", "tcp.flags == 0x012 && ip.src == 198.18.0.2", ">=", 2)
# nmap 7.93 quits on "-6 -f" ("fragmentation [is] not supported with IPv6"), hence
# the crafted IPv6 fragments; its answer is logged so a newer nmap shows up.
NMAP6_FRAG = Cmd(["nmap", "-6", "-n", "-Pn", "-sS", "-f", "-p", "1", TGT6], ok_fail=True)
# The recording kernel has no SCTP: a user-space responder answers for the target.
SCTP_RESPONDER = ("target", traffic("sctp-responder", "2905,3868,36412"), "sctp responder ready")
SCTP_ANSWERED_CHECKS = [
    Count("ICMP protocol unreachables from the target", "eth.src == 02:00:c6:12:00:02 && icmp.type == 3 && icmp.code == 2", "==", 0),
    Count("ABORTs from the target", "ip.src == 198.18.0.2 && sctp.chunk_type == 6", ">=", 100)]
TUN_CMD = f"nmap -n -Pn -sS -p 1-100 {IN_TGT4}"


def inner_nmap(ports):
    return ["nmap", "-n", "-Pn", "-sS", "-p", ports, IN_TGT4]


# distributed: 198.18.0.64 probes 1-3, 22 and 80, the only source that gets
# SYN-ACKs (and resets them itself); the 63 others 5 closed ports each out of
# 4-320 without 22 and 80. 320 ports in all, each source 5: fewer than any
# threshold (TRW needs 6 contacts).
DIST_SOURCES = addr_range("198.18.0.64", 64)
_REST = [p for p in range(4, 321) if p not in (22, 80)]
DIST_PORTS = ["1-3,22,80"] + [",".join(map(str, _REST[5 * i:5 * i + 5])) for i in range(63)]


def shuffled(lines):
    """The order `shuf --random-source=<(yes)` gives: fixed, as recorded."""
    with tempfile.NamedTemporaryFile("w", suffix=".peers") as f:
        f.write("".join(x + "\n" for x in lines))
        f.flush()
        out = subprocess.run(["bash", "-c", 'shuf --random-source=<(yes) "$1"', "_", f.name],
                             capture_output=True, text=True, check=True).stdout
    return out.split()


PROFILE = "recon"  # lab.services profile of every target

SCENARIOS = [
    Scenario(
        name="frag-nmap-f",
        description="nmap SYN scan of ports 1-200 of 198.18.0.2 from 198.18.0.1 with nmap's own IPv4 fragmentation (-f): the TCP header is split over several fragments, the flags are in a later fragment than the ports. The target's kernel reassembles and answers (open 22, 80; the rest RST/ACK).",
        command='nmap -n -Pn -sS -f -p 1-200 198.18.0.2',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', 'nmap', 1, 200, [22, 80])],
        steps=SHOWN,
        checks=[Count("IPv4 fragments with MF set", "ip.flags.mf == 1 && ip.src == 198.18.0.1", ">=", 200),
                SYNACK_22_80],
    ),
    Scenario(
        name="frag-nmap-mtu8",
        description="nmap SYN scan of ports 1-200 of 198.18.0.2 from 198.18.0.1 with nmap's own IPv4 fragmentation (--mtu 8): the TCP header is split over several fragments, the flags are in a later fragment than the ports. The target's kernel reassembles and answers (open 22, 80; the rest RST/ACK).",
        command='nmap -n -Pn -sS --mtu 8 -p 1-200 198.18.0.2',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', 'nmap', 1, 200, [22, 80])],
        steps=SHOWN,
        checks=[Count("IPv4 fragments with MF set", "ip.flags.mf == 1 && ip.src == 198.18.0.1", ">=", 200),
                SYNACK_22_80],
    ),
    Scenario(
        name="frag-ipv6",
        description="IPv6 SYN probes to ports 1-100 of 2001:db8::2 from 2001:db8::1, each in three fragments carrying 8 bytes of TCP each (ports+sequence / ack+flags / window+checksum+MSS), as nmap -f does for IPv4: the flags are in the second fragment. Linux refuses a first fragment without the whole upper-layer header (RFC 7112) and answers each with ICMPv6 Parameter Problem code 3; nothing is reassembled, so no port answers open. A sensor that reassembles still sees 100 SYN probes. nmap 7.93 refuses -f with -6, so the probes are crafted with scapy (recon.py frag6 ... tiny) and sent live from the scanner namespace; the answers are the target kernel's.",
        command='python3 recon.py frag6 scan0 02:00:c6:12:00:02 2001:db8::1 2001:db8::2 1-100 tiny',
        detections=[det('2001:db8::1', 'tcp-syn', 'vertical', None, 1, 100, [])],
        before=[NMAP6_FRAG],
        steps=[Cmd(traffic("frag6", "scan0", TGT_MAC, SCAN6, TGT6, "1-100", "tiny"))],
        checks=[Count("IPv6 fragments", "ipv6.nxt == 44 && ipv6.src == 2001:db8::1", ">=", 300),
                Count("Parameter Problems (incomplete header chain)", "icmpv6.type == 4 && icmpv6.code == 3", ">=", 100)],
    ),
    Scenario(
        name="frag-ipv6-answered",
        description="IPv6 SYN probes to ports 1-100 of 2001:db8::2 from 2001:db8::1 with a 32-byte TCP header (MSS, SACK-permitted, window scale) split over two fragments (24 + 8 bytes: the options end in the second), which RFC 7112 allows: the target reassembles and answers (open 22, 80), the scanner's kernel resets the SYN-ACKs. nmap 7.93 refuses -f with -6, so the probes are crafted with scapy (recon.py frag6 ... rfc7112) and sent live from the scanner namespace; the answers are the target kernel's.",
        command='python3 recon.py frag6 scan0 02:00:c6:12:00:02 2001:db8::1 2001:db8::2 1-100 rfc7112',
        detections=[det('2001:db8::1', 'tcp-syn', 'vertical', None, 1, 100, [22, 80])],
        before=[NMAP6_FRAG],
        steps=[Cmd(traffic("frag6", "scan0", TGT_MAC, SCAN6, TGT6, "1-100", "rfc7112"))],
        checks=[Count("IPv6 fragments", "ipv6.nxt == 44 && ipv6.src == 2001:db8::1", ">=", 200),
                Count("SYN-ACKs", "tcp.flags == 0x012 && ipv6.src == 2001:db8::2", ">=", 2)],
    ),
    Scenario(
        name="frag-overlap",
        description='IPv4 SYN probes crafted with scapy to ports 1-40 of 198.18.0.2: first each SYN in three clean fragments (8+8+4 bytes of TCP header; the kernel reassembles and answers: open 22, others RST/ACK), then a second SYN to each of the same 40 ports in two OVERLAPPING fragments (bytes 0-15, then bytes 8-19: bytes 8-15 sent twice; identical for even ports, a different window for odd ones). Linux drops overlapping datagrams (RFC 5722 for IPv6; since 4.19 for IPv4), so only the clean probes are answered. Whatever policy a reassembler uses for the overlaps, the ports probed are the same 40: expected one tcp-syn scan of 40 ports, the overlaps counted and no crash.',
        command='python3 recon.py overlap4 scan0 02:00:c6:12:00:02 198.18.0.1 198.18.0.2 1-40',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', None, 1, 40, [22])],
        steps=[Cmd(traffic("overlap4", "scan0", TGT_MAC, SCAN4, TGT4, "1-40"))],
        checks=[Count("SYN-ACK from 22", "tcp.flags == 0x012 && ip.src == 198.18.0.2", ">=", 1)],
    ),
    Scenario(
        name="frag-flood-scan",
        description="nmap -f SYN scan of ports 1-200 of 198.18.0.2 (200 probes/s, open 22, 80) run through a flood of 20,000 first fragments that never complete (8 bytes of TCP with MF set, each from its own spoofed 198.19.x.y source and ID, sent over 2 s from the scanner namespace by recon.py fragflood): an attempt to fill a sensor's reassembly memory so that the scan's own fragments are dropped. The target's ipfrag_high_thresh is raised in its namespace so the target itself keeps answering. Expected: the scan, found as without the flood; nothing from the flood's sources (one incomplete fragment each).",
        command='nmap -n -Pn -sS -f --max-rate 200 -p 1-200 198.18.0.2  (during: recon.py fragflood scan0 02:00:c6:12:00:02 02:00:c6:12:00:01 198.18.0.2 20000)',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', 'nmap', 1, 200, [22, 80])],
        # the target's own reassembly must keep up with the flood (a per-namespace
        # setting; the default 4 MiB would drop the scan's fragments too)
        tgt_sysctl=["net.ipv4.ipfrag_high_thresh=268435456", "net.ipv4.ipfrag_low_thresh=201326592"],
        steps=[During(traffic("fragflood", "scan0", TGT_MAC, SCAN_MAC, TGT4, 20000),
                      [Cmd("nmap -n -Pn -sS -f --max-rate 200 -p 1-200 198.18.0.2".split())])],
        checks=[Count("incomplete first fragments from 198.19/16", "ip.src == 198.19.0.0/16 && ip.flags.mf == 1", "==", 20000),
                SYNACK_22_80],
    ),
    Scenario(
        name="nmap-sctp-init",
        description='nmap SCTP INIT scan (-sY) of SCTP ports 1-100 of 198.18.0.2. The recording kernel has no SCTP (CONFIG_IP_SCTP unset; no module to load), so the target answers every INIT with ICMP protocol unreachable (type 3 code 2): nmap reports all ports filtered; none open.',
        command='nmap -n -Pn -sY -p 1-100 198.18.0.2',
        detections=[det('198.18.0.1', 'sctp-init', 'vertical', None, 1, 100, [])],
        steps=SHOWN,
        checks=[Count("SCTP INITs", "sctp.chunk_type == 1", ">=", 100)],
    ),
    Scenario(
        name="nmap-sctp-cookie",
        description='nmap SCTP COOKIE-ECHO scan (-sZ) of SCTP ports 1-100 of 198.18.0.2. No SCTP in the recording kernel: the target answers each COOKIE ECHO with ICMP protocol unreachable; none open.',
        command='nmap -n -Pn -sZ -p 1-100 198.18.0.2',
        detections=[det('198.18.0.1', 'sctp-cookie-echo', 'vertical', None, 1, 100, [])],
        steps=SHOWN,
        checks=[Count("SCTP COOKIE ECHOs", "sctp.chunk_type == 10", ">=", 100)],
    ),
    Scenario(
        name="nmap-sctp-init-answered",
        description="nmap SCTP INIT scan (-sY) of SCTP ports 1-100, 2905 (M3UA), 3868 (Diameter), 36412 (S1AP) of 198.18.0.2 (103 ports): the three listening ports answer INIT ACK (open), the rest ABORT (closed). The recording kernel has no SCTP, so the target runs a user-space SCTP responder on a raw socket (recon.py sctp-responder, behaving as RFC 9260 and Linux do; its raw socket also stops the kernel's protocol unreachables); nmap's probes are real. The scanner's kernel, without SCTP either, answers every INIT ACK and ABORT with ICMP protocol unreachable (a kernel with SCTP would discard the ABORTs).",
        command='nmap -n -Pn -sY -p 1-100,2905,3868,36412 198.18.0.2',
        detections=[det('198.18.0.1', 'sctp-init', 'vertical', None, 1, 103, [2905, 3868, 36412])],
        helpers=[SCTP_RESPONDER],
        steps=SHOWN,
        checks=SCTP_ANSWERED_CHECKS,
    ),
    Scenario(
        name="nmap-sctp-cookie-answered",
        description="nmap SCTP COOKIE-ECHO scan (-sZ) of the same 103 SCTP ports of 198.18.0.2: closed ports answer ABORT (T bit), the three listening ports drop the unknown cookie silently (nmap: open|filtered). Like a FIN scan, it cannot prove a port open: open_ports is empty. The recording kernel has no SCTP, so the target runs a user-space SCTP responder on a raw socket (recon.py sctp-responder, behaving as RFC 9260 and Linux do; its raw socket also stops the kernel's protocol unreachables); nmap's probes are real. The scanner's kernel, without SCTP either, answers every INIT ACK and ABORT with ICMP protocol unreachable (a kernel with SCTP would discard the ABORTs).",
        command='nmap -n -Pn -sZ -p 1-100,2905,3868,36412 198.18.0.2',
        detections=[det('198.18.0.1', 'sctp-cookie-echo', 'vertical', None, 1, 103, [])],
        helpers=[SCTP_RESPONDER],
        steps=SHOWN,
        checks=SCTP_ANSWERED_CHECKS,
    ),
    Scenario(
        name="nmap-ipproto",
        description="nmap IP protocol scan (-sO) of all 256 protocol numbers of 198.18.0.2 ('ports' = protocol numbers). The target's kernel answers protocol unreachable for protocols it does not implement and answers ICMP/TCP/UDP in kind; open_ports is not asserted.",
        command='nmap -n -Pn -sO -p 0-255 198.18.0.2',
        detections=[det('198.18.0.1', 'ip-protocol', 'vertical', None, 1, 256, None)],
        steps=SHOWN,
        checks=[Count("protocol unreachables", "icmp.type == 3 && icmp.code == 2", ">=", 200)],
    ),
    Scenario(
        name="nmap-idle",
        description="nmap idle scan (-sI 198.18.0.3:80) of ports 1-100 of 198.18.0.2 from 198.18.0.1. The zombie 198.18.0.3 is a python responder in its own namespace with one global IP ID that goes up by one per packet (a Linux host uses per-destination IDs and is no zombie): it answers unsolicited SYN/ACKs with RST. nmap probes the zombie's IP ID with SYN/ACKs to its port 80 and sends SYNs to the target with the zombie's address as source; the target answers the zombie (SYN-ACK for 22 and 80, RST/ACK otherwise), the zombie resets the SYN-ACKs. nmap's zombie test also sends 4 SYN/ACKs to the zombie spoofed from the target's address (to check that the zombie's IP ID shows spoofed traffic): they come from the scanner's MAC and are part of the real scanner's work, not a second scanner. Expected: the spoofed SYNs as a tcp-syn scan from the zombie (100 ports, open 22, 80), and the real scanner as idle-scan with the zombie as its one target (port 80 only).",
        command='nmap -n -Pn -sI 198.18.0.3:80 -p 1-100 198.18.0.2',
        detections=[det('198.18.0.3', 'tcp-syn', 'vertical', None, 1, 100, [22, 80]), det('198.18.0.1', 'idle-scan', 'vertical', None, 1, 1, None)],
        zombie=True,
        helpers=[("zombie", traffic("zombie", "zomb0", ZOMBIE4, ZOMBIE_MAC, f"{SCAN4}={SCAN_MAC},{TGT4}={TGT_MAC}"), "zombie ready")],
        steps=SHOWN,
        checks=[Count("spoofed SYNs zombie->target", "ip.src == 198.18.0.3 && ip.dst == 198.18.0.2 && tcp.flags == 0x002", ">=", 100),
                Count("SYN/ACK probes scanner->zombie", "ip.src == 198.18.0.1 && ip.dst == 198.18.0.3 && tcp.flags == 0x012", ">=", 6),
                Count("scanner->target packets", "ip.src == 198.18.0.1 && ip.dst == 198.18.0.2", "==", 0)],
    ),
    Scenario(
        name="nmap-window",
        description='nmap window scan (-sW) of ports 1-200 of 198.18.0.2: bare ACK probes; Linux answers every one with RST (window 0), so nmap calls them all closed. A window scan is an ACK scan (tcp-ack); it cannot see open ports.',
        command='nmap -n -Pn -sW -p 1-200 198.18.0.2',
        detections=[det('198.18.0.1', 'tcp-ack', 'vertical', 'nmap', 1, 200, [])],
        steps=SHOWN,
        checks=[Count("RSTs to the ACK probes", "ip.src == 198.18.0.2 && tcp.flags.reset == 1", ">=", 200)],
    ),
    Scenario(
        name="sweep-live-arp",
        description="nmap ping sweep (-sn) of the on-link /27 198.18.0.32-63 from 198.18.0.1: nmap uses ARP on-link; every one of the 32 addresses is on the target's interface, so all 32 answer (live_hosts = all 32), within well under a second.",
        command='nmap -n -sn 198.18.0.32/27',
        detections=[det('198.18.0.1', 'arp-sweep', 'horizontal', None, 32, None, [], live_hosts=addr_range('198.18.0.32', 32), reason='sweep-rate')],
        tgt_addrs=[f"{a}/24" for a in addr_range("198.18.0.32", 32)],
        steps=SHOWN,
        checks=[Count("ARP replies", "arp.opcode == 2", "==", 32)],
    ),
    Scenario(
        name="sweep-live-nd",
        description="nmap IPv6 ping sweep (-6 -sn) of the on-link 2001:db8::20/123 (2001:db8::20 to ::3f) from 2001:db8::1: on-link, nmap sends neighbour solicitations to each address's solicited-node group; all 32 addresses are on the target's interface and answer (live_hosts = all 32) within well under a second. IPv6 neighbour discovery counts as an ARP sweep.",
        command='nmap -6 -n -sn 2001:db8::20/123',
        detections=[det('2001:db8::1', 'arp-sweep', 'horizontal', None, 32, None, [], live_hosts=addr_range('2001:db8::20', 32), reason='sweep-rate')],
        tgt_addrs=[f"{a}/64" for a in addr_range("2001:db8::20", 32)],
        steps=SHOWN,
        checks=[LogHas("32 hosts up"),
                Count("neighbour advertisements", "icmpv6.type == 136 && eth.src == 02:00:c6:12:00:02", "==", 32)],
    ),
    Scenario(
        name="sweep-live-icmp",
        description="nmap ICMP echo sweep (-sn -PE) of the routed /27 198.18.3.32-63: all 32 addresses are on the target's lo and answer (live_hosts = all 32), in well under a second.",
        command='nmap -n -sn -PE 198.18.3.32/27',
        detections=[det('198.18.0.1', 'icmp-sweep', 'horizontal', 'nmap', 32, None, [], live_hosts=addr_range('198.18.3.32', 32), reason='sweep-rate')],
        lo=[("198.18.3.32", 32)],
        steps=SHOWN,
        checks=[LogHas("32 hosts up")],
    ),
    Scenario(
        name="sweep-live-syn",
        description='nmap TCP SYN ping sweep (-sn -PS22) of the routed /27 198.18.3.32-63: every address answers SYN-ACK from port 22 (all 32 live).',
        command='nmap -n -sn -PS22 198.18.3.32/27',
        detections=[det('198.18.0.1', 'tcp-syn', 'horizontal', 'nmap', 32, 1, [22], live_hosts=addr_range('198.18.3.32', 32))],
        lo=[("198.18.3.32", 32)],
        steps=SHOWN,
        checks=[LogHas("32 hosts up")],
    ),
    Scenario(
        name="sweep-live-ack",
        description='nmap TCP ACK ping sweep (-sn -PA80) of the routed /27 198.18.3.32-63: every address answers the bare ACK with RST (all 32 live; an ACK probe cannot show open ports).',
        command='nmap -n -sn -PA80 198.18.3.32/27',
        detections=[det('198.18.0.1', 'tcp-ack', 'horizontal', 'nmap', 32, 1, [])],
        lo=[("198.18.3.32", 32)],
        steps=SHOWN,
        checks=[LogHas("32 hosts up")],
    ),
    Scenario(
        name="sweep-live-udp",
        description='nmap UDP ping sweep (-sn -PU40125) of the routed /27 198.18.3.32-63: port 40125 is closed, every address answers ICMP port unreachable, which tells nmap the host is up (all 32 live, no port open).',
        command='nmap -n -sn -PU40125 198.18.3.32/27',
        detections=[det('198.18.0.1', 'udp', 'horizontal', 'nmap', 32, 1, [])],
        lo=[("198.18.3.32", 32)],
        steps=SHOWN,
        checks=[LogHas("32 hosts up")],
    ),
    Scenario(
        name="benign-monitoring",
        description="A monitoring system pinging the same 32 hosts (198.18.3.32-63, all up) once a minute for 10 minutes, each check spread over the minute as Nagios/Zabbix schedulers do. Recorded as 10 rounds of real 'ping -c 1' (iputils, 56-byte payload) with a short interval, then retimed by the script (recon.py retime-rounds): host i of round k is sent at t0 + 60 k + 1.875 i s, each reply keeps its real delay. Ordinary traffic: expected nothing.",
        command='for r in 1..10: for h in 198.18.3.32..63: ping -n -c 1 -W 1 $h  (retimed to one round a minute)',
        detections=[],
        lo=[("198.18.3.32", 32)],
        steps=[st for _ in range(10)
               for st in [Cmd(["ping", "-n", "-c", "1", "-W", "1", h], show=False) for h in addr_range("198.18.3.32", 32)] + [Sleep(0.3)]],
        checks=[Count("echo requests", "icmp.type == 8", "==", 320), Count("echo replies", "icmp.type == 0", "==", 320)],
        retime=("rounds", SCAN4, 32, 60, 1.875),
    ),
    Scenario(
        name="slow-day",
        description='A real nmap SYN scan of 40 ports (1-40) of 198.18.0.2, one probe per second, retimed by the script (recon.py retime-slow, seed 20) to one probe every 20 to 30 minutes (uniform), about 16 h in all; each answer keeps its real delay after its probe. Open: 22. Far slower than the 900 s window: only a long-horizon summary can see it.',
        command='nmap -n -Pn -sS --scan-delay 1s --max-retries 0 -p 1-40 198.18.0.2  (retimed: probe gaps uniform in [1200, 1800] s)',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', 'nmap', 1, 40, [22], reason='long-horizon')],
        steps=[Cmd("nmap -n -Pn -sS --scan-delay 1s --max-retries 0 -p 1-40 198.18.0.2".split())],
        checks=[Count("SYN probes", "ip.src == 198.18.0.1 && tcp.flags == 0x002", "==", 40)],
        retime=("slow", SCAN4, 20, 1200, 1800),
    ),
    Scenario(
        name="tunnel-vxlan",
        description='A real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 carried in a real Linux VXLAN tunnel (VNI 5001, UDP 4789) between VTEPs 198.18.100.1 and 198.18.100.2; captured on the underlay only. Open: 22, 80.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (over: ip link add vx0 type vxlan id 5001 local 198.18.100.1 remote 198.18.100.2 dstport 4789)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="vxlan", params={"port": 4789},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("VXLAN packets to udp/4789", "udp.dstport == 4789", ">=", 200)],
    ),
    Scenario(
        name="tunnel-vxlan-8472",
        description='A real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 carried in a real Linux VXLAN tunnel (VNI 5001, UDP 8472) between VTEPs 198.18.100.1 and 198.18.100.2; captured on the underlay only. Open: 22, 80.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (over: ip link add vx0 type vxlan id 5001 local 198.18.100.1 remote 198.18.100.2 dstport 8472)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        options=['--vxlan-port', '8472'],
        recipe="vxlan", params={"port": 8472},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("VXLAN packets to udp/8472", "udp.dstport == 8472", ">=", 200)],
    ),
    Scenario(
        name="tunnel-geneve",
        description='Geneve (RFC 8926, UDP 6081), VNI 77, protocol 0x6558 (Ethernet), with one 4-byte experimental option (class 0xFFF0) so the header length is not the minimum. The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 198.18.100.1 <-> 198.18.100.2.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap geneve)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "geneve"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("geneve frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-gre",
        description="GRE (RFC 2784/2890, IP protocol 47) with key 9, protocol 0x0800: a layer-3 'ip gre' tunnel, inner IPv4 without Ethernet (ARP is not carried). The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 198.18.100.1 <-> 198.18.100.2.",
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap gre)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "gre"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("gre frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-gretap",
        description='GRE with key 9, protocol 0x6558 (transparent Ethernet bridging, Linux gretap): inner Ethernet frames, ARP included. The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 198.18.100.1 <-> 198.18.100.2.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap gretap)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "gretap"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("gretap frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-erspan1",
        description='ERSPAN type I: GRE without flags or sequence, protocol 0x88BE, followed directly by the mirrored Ethernet frame (no ERSPAN header). The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 198.18.100.1 <-> 198.18.100.2.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap erspan1)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "erspan1"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("erspan1 frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-erspan2",
        description='ERSPAN type II: GRE with the sequence-number bit, protocol 0x88BE, 8-byte ERSPAN header version 1, session ID 3, then the mirrored Ethernet frame. The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 198.18.100.1 <-> 198.18.100.2.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap erspan2)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "erspan2"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("erspan2 frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-erspan3",
        description="ERSPAN type III: GRE with sequence number, protocol 0x22EB, 12-byte ERSPAN header version 2, session ID 3, 32-bit timestamp (100 ns), hardware ID 1, direction bit set on the target's side, then the mirrored Ethernet frame. The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 198.18.100.1 <-> 198.18.100.2.",
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap erspan3)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "erspan3"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("erspan3 frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-mpls",
        description='MPLS over Ethernet (EtherType 0x8847), one label 100 with the bottom-of-stack bit and the inner TTL, then the inner IPv4 packet (no inner Ethernet; ARP is not carried). The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 198.18.100.1 <-> 198.18.100.2.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap mpls)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "mpls"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("mpls frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-vxlan-ipv6",
        description='A real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 in a real Linux VXLAN (VNI 5001, UDP 4789) over an IPv6 underlay (2001:db8:100::1 <-> ::2, UDP checksums set as IPv6 requires); captured on the underlay. Open: 22, 80.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (over: ip link add vx0 type vxlan id 5001 local 2001:db8:100::1 remote 2001:db8:100::2 dstport 4789)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="vxlan", params={"underlay": ("2001:db8:100::1", "2001:db8:100::2"), "port": 4789},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("VXLAN over IPv6 packets", "ipv6 && udp.dstport == 4789", ">=", 200)],
    ),
    Scenario(
        name="tunnel-ip6erspan",
        description='ERSPAN type II over an IPv6 underlay (as Linux ip6erspan sends it: IPv6 next header 47, GRE with sequence, protocol 0x88BE, version 1 header, session ID 3) between 2001:db8:100::1 and ::2. The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 2001:db8:100::1 <-> 2001:db8:100::2.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap erspan2-ip6)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "erspan2-ip6"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("erspan2-ip6 frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tunnel-ip6gre",
        description='GRE with key 9, protocol 0x0800, over an IPv6 underlay (Linux ip6gre) between 2001:db8:100::1 and ::2: inner IPv4 without Ethernet. The inner traffic is a real nmap SYN scan of ports 1-100 of 198.18.10.2 from 198.18.10.1 recorded in the lab (open 22, 80); the underlay encapsulation is SYNTHESIZED by recon.py encap because the recording kernel cannot make it (CONFIG_NET_IPGRE_DEMUX, CONFIG_IPV6_GRE, CONFIG_GENEVE and CONFIG_MPLS_ROUTING are unset); the underlay is 2001:db8:100::1 <-> 2001:db8:100::2.',
        command='nmap -n -Pn -sS -p 1-100 198.18.10.2  (inner; encapsulated by: recon.py encap inner.pcap out.pcap gre-ip6)',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        recipe="encap", params={"kind": "gre-ip6"},
        steps=[Cmd(TUN_CMD.split())],
        checks=[Count("gre-ip6 frames", "frame", ">=", 200)],
    ),
    Scenario(
        name="tenants-overlap",
        description="Each tenant's scanner probes only 5 ports (VNI 5001: 1-5, VNI 5002: 6-10; all closed, RST/ACK): below every threshold alone, 10 ports if the tenants were wrongly merged. Expected: nothing. Two tenants with the same inner addresses and MACs (198.18.10.1 -> 198.18.10.2), each in its own real Linux VXLAN (VNI 5001 between VTEPs 198.18.100.1/.2, VNI 5002 between 198.18.100.3/.4), captured on the shared underlay.",
        command='[vni 5001] nmap -n -Pn -sS -p 1-5 198.18.10.2 ; [vni 5002] nmap -n -Pn -sS -p 6-10 198.18.10.2',
        detections=[],
        recipe="tenants",
        steps=[Cmd(inner_nmap("1-5"), role="scanner-a"), Cmd(inner_nmap("6-10"), role="scanner-b")],
        checks=[Count("VNI 5001 packets", "vxlan.vni == 5001", ">=", 10), Count("VNI 5002 packets", "vxlan.vni == 5002", ">=", 10)],
    ),
    Scenario(
        name="tenants-separate",
        description="Each tenant's scanner scans 100 ports (VNI 5001: 1-100, open 22 and 80; VNI 5002: 101-200, none open). Expected: two separate detections of the same inner source, one per tenant, never one of 200 ports. Two tenants with the same inner addresses and MACs (198.18.10.1 -> 198.18.10.2), each in its own real Linux VXLAN (VNI 5001 between VTEPs 198.18.100.1/.2, VNI 5002 between 198.18.100.3/.4), captured on the shared underlay.",
        command='[vni 5001] nmap -n -Pn -sS -p 1-100 198.18.10.2 ; [vni 5002] nmap -n -Pn -sS -p 101-200 198.18.10.2',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80], tenant='vni:5001'), det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [], tenant='vni:5002')],
        recipe="tenants",
        steps=[Cmd(inner_nmap("1-100"), role="scanner-a"), Cmd(inner_nmap("101-200"), role="scanner-b")],
        checks=[Count("VNI 5001 packets", "vxlan.vni == 5001", ">=", 10), Count("VNI 5002 packets", "vxlan.vni == 5002", ">=", 10)],
    ),
    Scenario(
        name="tenants-vlan-overlap",
        description="Each VLAN's scanner probes only 5 ports (VLAN 10: 1-5, VLAN 20: 6-10; all closed): below every threshold alone, 10 ports if merged. Expected: nothing. Two real nmap scans, each from 198.18.10.1 to 198.18.10.2 (same addresses and MACs: two customers' overlapping address plans) recorded one after the other in the lab; the 802.1Q tags (VLAN 10 and 20) are SYNTHESIZED by recon.py vlan-merge because the recording kernel has no 802.1Q (CONFIG_VLAN_8021Q unset), and the two are merged in time order as one trunk capture.",
        command='[vlan 10] nmap -n -Pn -sS -p 1-5 198.18.10.2 ; [vlan 20] nmap -n -Pn -sS -p 6-10 198.18.10.2',
        detections=[],
        recipe="vlan", params={"vlans": [(10, [Cmd(inner_nmap("1-5"))]), (20, [Cmd(inner_nmap("6-10"))])]},
        checks=[Count("frames tagged VLAN 10", "vlan.id == 10", ">=", 10), Count("frames tagged VLAN 20", "vlan.id == 20", ">=", 10)],
    ),
    Scenario(
        name="tenants-vlan-separate",
        description="VLAN 10's scanner scans ports 1-100 (open 22, 80), VLAN 20's scans 101-200 (none open). Expected: two detections of the same inner source, one per VLAN. Two real nmap scans, each from 198.18.10.1 to 198.18.10.2 (same addresses and MACs: two customers' overlapping address plans) recorded one after the other in the lab; the 802.1Q tags (VLAN 10 and 20) are SYNTHESIZED by recon.py vlan-merge because the recording kernel has no 802.1Q (CONFIG_VLAN_8021Q unset), and the two are merged in time order as one trunk capture.",
        command='[vlan 10] nmap -n -Pn -sS -p 1-100 198.18.10.2 ; [vlan 20] nmap -n -Pn -sS -p 101-200 198.18.10.2',
        detections=[det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80], tenant='vlan:10'), det('198.18.10.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [], tenant='vlan:20')],
        recipe="vlan", params={"vlans": [(10, [Cmd(inner_nmap("1-100"))]), (20, [Cmd(inner_nmap("101-200"))])]},
        checks=[Count("frames tagged VLAN 10", "vlan.id == 10", ">=", 10), Count("frames tagged VLAN 20", "vlan.id == 20", ">=", 10)],
    ),
    Scenario(
        name="distributed",
        description="A distributed SYN scan of 198.18.0.2: 64 sources (198.18.0.64-127, all addresses of the scanner's interface) each run nmap -S SRC -e scan0 --max-retries 1 on 5 ports of their own, eight at a time: 198.18.0.64 probes 1-3, 22 and 80 (the open ones: it is the only source that receives SYN-ACKs, and it resets them itself), each other source 5 closed ports out of 4-320 without 22 and 80 (198.18.0.65: 4-8, .66: 9-13, ...). 320 ports in all, open 22 and 80; no source reaches a threshold alone. Expected: ONE detection with all 64 sources; src = 198.18.0.64, the one that answered SYN-ACKs itself (all sources are equally active).",
        command='for i in 0..63: nmap -n -Pn -sS -e scan0 -S 198.18.0.(64+i) --max-retries 1 -p PORTS(i) 198.18.0.2',
        detections=[det('198.18.0.64', 'tcp-syn', 'vertical', 'nmap', 1, 320, [22, 80], sources=addr_range('198.18.0.64', 64), reason='distributed')],
        scan_addrs=[f"{a}/24" for a in DIST_SOURCES],
        tgt_neigh=[(a, SCAN_MAC) for a in DIST_SOURCES],
        steps=[Parallel([Cmd(["nmap", "-n", "-Pn", "-sS", "-e", "scan0", "-S", a, "--max-retries", "1", "-p", ports, TGT4])
                         for a, ports in zip(DIST_SOURCES, DIST_PORTS)], 8)],
        checks=[Distinct("sources sending SYNs", "tcp.flags == 0x002", "==", 64, "ip.src"),
                Distinct("distinct ports probed", "tcp.flags == 0x002", "==", 320, "tcp.dstport"),
                Values("sources that reset SYN-ACKs", "tcp.flags == 0x004", "ip.src", "198.18.0.64")],
    ),
    Scenario(
        name="nmap-decoy",
        description='nmap decoy scan: -D 198.18.7.11,198.18.7.12,198.18.7.13,ME, ports 1-100 of 198.18.0.2: every probe is sent four times, from the three decoys and from the real scanner 198.18.0.1. The target answers all four; the answers to the decoys are routed away (blackholed, as to hosts elsewhere), only 198.18.0.1 receives its SYN-ACKs and resets them. Expected: one detection, src = the real scanner, sources = decoys + real. Open 22, 80.',
        command='nmap -n -Pn -sS -D 198.18.7.11,198.18.7.12,198.18.7.13,ME -p 1-100 198.18.0.2',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80], sources=['198.18.0.1', '198.18.7.11', '198.18.7.12', '198.18.7.13'])],
        steps=SHOWN,
        checks=[Distinct("sources sending SYNs", "tcp.flags == 0x002", "==", 4, "ip.src")],
    ),
    Scenario(
        name="masscan-banners",
        description="masscan --banners on ports 1-100, 443, 8080 of 198.18.0.2 (102 ports) from its own user-space TCP stack on adapter address 198.18.0.200 (the kernel does not own it, so it does not reset): masscan completes the handshake with every open port (22, 80, 443, 8080) and reads the SSH banner (the lab's HTTP and TLS servers wait for the client to speak first and masscan 1.3.2 stays silent within its 3 s wait, so those are bare completed handshakes). Still a masscan SYN scan: its SYNs carry masscan's IP ID.",
        command='masscan -p1-100,443,8080 198.18.0.2 --banners --rate 500 --wait 3 --adapter scan0 --adapter-ip 198.18.0.200 --adapter-mac 02:00:c6:12:00:01 --router-mac 02:00:c6:12:00:02',
        detections=[det('198.18.0.200', 'tcp-syn', 'vertical', 'masscan', 1, 102, [22, 80, 443, 8080])],
        tgt_neigh=[("198.18.0.200", SCAN_MAC)],
        steps=[Masscan(SHOWN)],
        checks=[Count("handshakes completed by masscan (ACK after SYN-ACK)", "ip.src == 198.18.0.200 && tcp.flags == 0x010", ">=", 3),
                Count("SSH banner sent to masscan", "ip.dst == 198.18.0.200 && tcp.srcport == 22 && tcp.len > 0", ">=", 1)],
    ),
    Scenario(
        name="syn-options",
        description="Raw-socket SYNs crafted with scapy to ports 1-60, 80, 443, 8080 of 198.18.0.2 (63 ports), each with Linux connect()'s option set (MSS 1460, SACK permitted, timestamps, NOP, window scale 7) and window 64240, random source ports. No socket owns them, so the scanner's kernel resets every SYN-ACK (open 22, 80, 443, 8080): a SYN scan (tcp-syn), not tcp-connect, whatever the options.",
        command='python3 recon.py synopts 198.18.0.1 198.18.0.2 1-60,80,443,8080',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', None, 1, 63, [22, 80, 443, 8080])],
        steps=[Cmd(traffic("synopts", SCAN4, TGT4, "1-60,80,443,8080"))],
        checks=[Count("SYNs with SACK-permitted", "ip.src == 198.18.0.1 && tcp.flags == 0x002 && tcp.options.sack_perm", ">=", 63),
                Count("resets of SYN-ACKs by the scanner's kernel", "ip.src == 198.18.0.1 && tcp.flags.reset == 1", ">=", 4)],
    ),
    Scenario(
        name="zmap-all-open",
        description="zmap -p 80 over the routed /27 198.18.3.32-63 (200 pps) from 198.18.0.1: all 32 hosts answer SYN-ACK (port 80 open everywhere), so no outcome test calls it a scan; zmap's IP ID 54321 on every probe does.",
        command='zmap -C zmap.conf -b empty-blocklist -p 80 -i scan0 -G 02:00:c6:12:00:02 -S 198.18.0.1 -r 200 -c 2 -q --disable-syslog -o results.csv 198.18.3.32/27',
        detections=[det('198.18.0.1', 'tcp-syn', 'horizontal', 'zmap', 32, 1, [80], live_hosts=addr_range('198.18.3.32', 32))],
        lo=[("198.18.3.32", 32)],
        # zmap's default blocklist excludes 198.18.0.0/15: empty config and blocklist
        files={"zmap.conf": [], "zmap-blocklist.conf": []},
        steps=[Cmd(["zmap", "-C", "{tmp}/zmap.conf", "-b", "{tmp}/zmap-blocklist.conf", "-p", "80", "-i", "scan0", "-G", TGT_MAC,
                    "-S", SCAN4, "-r", "200", "-c", "2", "-q", "--disable-syslog", "-o", "{tmp}/zmap-results.csv", "198.18.3.32/27"])],
        checks=[Count("SYN-ACKs", "tcp.flags == 0x012", "==", 32),
                Count("zmap IP id 54321 on SYNs", "tcp.flags == 0x002 && ip.id == 54321", "==", 32)],
    ),
    Scenario(
        name="masscan-all-open",
        description="masscan -p22,80 over the routed /27 198.18.3.32-63 from 198.18.0.1: all 32 hosts answer SYN-ACK on both ports (64 open services), so no outcome test calls it a scan; masscan's IP ID ((dst ^ dport ^ seq) & 0xffff) on every SYN does. The scanner's kernel and masscan reset the SYN-ACKs.",
        command='masscan -p22,80 198.18.3.32/27 --rate 500 --wait 2 --adapter scan0 --adapter-ip 198.18.0.1 --adapter-mac 02:00:c6:12:00:01 --router-mac 02:00:c6:12:00:02',
        detections=[det('198.18.0.1', 'tcp-syn', 'horizontal', 'masscan', 32, 2, [22, 80], live_hosts=addr_range('198.18.3.32', 32))],
        lo=[("198.18.3.32", 32)],
        steps=[Masscan(SHOWN)],
        checks=[Count("SYN-ACKs", "tcp.flags == 0x012", "==", 64)],
    ),
    Scenario(
        name="darknet-one-probe",
        description='One SYN (hping3 -S -c 1) to 198.18.9.7:80, an address in the dark net 198.18.9.0/24 that no host uses (the target routes it to a blackhole: no answer). Analysed with --dark-net 198.18.9.0/24: a single probe is a detection with reason dark-net. No tool is named: one packet is too few to tell a tool by.',
        command='hping3 -I scan0 -S -p 80 -c 1 198.18.9.7',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', None, 1, 1, [], reason='dark-net')],
        options=['--dark-net', '198.18.9.0/24'],
        steps=[Cmd("hping3 -I scan0 -S -p 80 -c 1 198.18.9.7".split(), ok_fail=True)],
        checks=[Count("probes", "ip.dst == 198.18.9.7", "==", 1)],
    ),
    Scenario(
        name="darknet-ipv6-ping",
        description='One ICMPv6 echo request (ping -6 -c 1) to 2001:db8:9::7, an address in the dark net 2001:db8:9::/48 that no host uses (blackholed: no answer). Analysed with --dark-net 2001:db8:9::/48: a single probe is a detection with reason dark-net.',
        command='ping -6 -n -c 1 -W 1 2001:db8:9::7',
        detections=[det('2001:db8::1', 'icmp-sweep', 'horizontal', None, 1, None, [], reason='dark-net')],
        options=['--dark-net', '2001:db8:9::/48'],
        steps=[Cmd("ping -6 -n -c 1 -W 1 2001:db8:9::7".split(), ok_fail=True)],
        checks=[Count("echo requests", "icmpv6.type == 128", "==", 1)],
    ),
    Scenario(
        name="honeyport-one-probe",
        description='One SYN (hping3 -S -c 1) to 198.18.0.2:2323 (closed: RST/ACK), a port no legitimate client uses (telnet-alt, a Mirai favourite). Analysed with --honey-port 2323: a single probe is a detection with reason honey-port. No tool is named: one packet is too few to tell a tool by.',
        command='hping3 -I scan0 -S -p 2323 -c 1 198.18.0.2',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', None, 1, 1, [], reason='honey-port')],
        options=['--honey-port', '2323'],
        steps=SHOWN,
        checks=[Count("probes", "tcp.dstport == 2323 && tcp.flags == 0x002", "==", 1)],
    ),
    Scenario(
        name="benign-nat",
        description="A NAT gateway or proxy (198.18.0.1) making 250 completed HTTPS-like connections to 250 different servers (198.18.4.1-250, port 443): each sends a 517-byte ClientHello-sized record, reads the server's answer, sends application data, reads again and closes. Every connection carries payload from the initiator. Expected: nothing.",
        command='python3 recon.py tls-client HOSTS(198.18.4.1-250) 443',
        detections=[],
        lo=[("198.18.4.1", 250)],
        files={"nat-hosts": addr_range("198.18.4.1", 250)},
        steps=[Cmd(traffic("tls-client", "{tmp}/nat-hosts", 443))],
        checks=[Count("client data segments", "ip.src == 198.18.0.1 && tcp.len > 0", ">=", 500)],
    ),
    Scenario(
        name="benign-resolver",
        description='A recursive resolver (198.18.0.1) sending one A query, each from a fresh random source port, to 250 different authoritative servers (198.18.5.1-250, udp/53); every server answers. Expected: nothing.',
        command='python3 recon.py dns-client HOSTS(198.18.5.1-250)',
        detections=[],
        lo=[("198.18.5.1", 250)],
        files={"dns-hosts": addr_range("198.18.5.1", 250)},
        steps=[Cmd(traffic("dns-client", "{tmp}/dns-hosts"))],
        # each answer must come from the server asked: the same (server, client port,
        # DNS id) as its query, seen from the other side; tshark's own pairing
        # (dns.response_to) needs the same address pair too
        checks=[Count("DNS answers", "udp.srcport == 53", "==", 250),
                Count("answers not from a queried server", "udp.srcport == 53 && !(ip.src == 198.18.5.0/24)", "==", 0),
                Count("answers paired with their query by tshark", "dns.flags.response == 1 && dns.response_to", "==", 250),
                Unpaired("answers whose (server, port, id) is not a query's",
                         ("udp.dstport == 53 && dns.flags.response == 0", ("ip.dst", "udp.srcport", "dns.id")),
                         ("udp.srcport == 53 && dns.flags.response == 1", ("ip.src", "udp.dstport", "dns.id")))],
    ),
    Scenario(
        name="benign-p2p",
        description='A BitTorrent-like client (198.18.0.1) contacting 100 peers on tcp/6881 (8 at a time, shuffled peer list): 70 peers (198.18.6.1-70) accept, exchange 68-byte handshakes, interested/request messages; 30 (198.18.6.101-130) never answer (blackholed; the kernel retries the SYN until the 2.5 s timeout). Expected: nothing.',
        command='python3 recon.py p2p-client PEERS(198.18.6.1-70 answering, 198.18.6.101-130 silent) 6881',
        detections=[],
        lo=[("198.18.6.1", 70)],
        # 100 peers: .1-.70 answer (on the target's lo), .101-.130 never answer
        # (blackholed), in a fixed shuffled order as a tracker's peer list would be
        files={"peers.shuf": lambda: shuffled(addr_range("198.18.6.1", 70) + addr_range("198.18.6.101", 30))},
        steps=[Cmd(traffic("p2p-client", "{tmp}/peers.shuf", 6881))],
        linger=4,
        checks=[Count("handshakes with payload", "ip.src == 198.18.0.1 && tcp.len == 68", ">=", 70)],
    ),
    Scenario(
        name="benign-after-scan",
        description='nmap SYN scan of ports 1-100 of 198.18.0.2 (open 22, 80), then the same host browses: 40 ordinary HTTP GETs with payload, one kernel connect() each, to 40 web servers (198.18.8.1-40, port 80), all answered. Expected: only the SYN scan; the browsing is not a tcp-connect scan.',
        command='nmap -n -Pn -sS -p 1-100 198.18.0.2 ; python3 recon.py web-client HOSTS(198.18.8.1-40) 80',
        detections=[det('198.18.0.1', 'tcp-syn', 'vertical', 'nmap', 1, 100, [22, 80])],
        lo=[("198.18.8.1", 40)],
        files={"web-hosts": addr_range("198.18.8.1", 40)},
        steps=[Cmd("nmap -n -Pn -sS -p 1-100 198.18.0.2".split()), Sleep(2), Cmd(traffic("web-client", "{tmp}/web-hosts", 80))],
        checks=[Count("HTTP requests", "http.request", ">=", 40)],
    ),
    Scenario(
        name="benign-day-checks",
        description='A monitoring agent on 198.18.0.1 checking 198.18.0.2 every 25 minutes for 16.3 h (40 rounds): an SSH banner check on 22, an HTTP GET on 80, a TLS hello on 443 (all completed, with payload) and a check of the database port 5432, which is down all day (RST every time). Recorded as 40 real rounds 0.5 s apart, retimed by the script (recon.py retime-rounds ... syn) to one round every 1500 s, checks 2 s apart, every answer at its real delay. Four ports, one of them failing 40 times, over a day: not a slow scan. Expected: nothing.',
        command='python3 recon.py checks 198.18.0.2 40  (retimed: one round every 1500 s)',
        detections=[],
        steps=[Cmd(traffic("checks", TGT4, 40))],
        checks=[Count("connection attempts", "ip.src == 198.18.0.1 && tcp.flags == 0x002", "==", 160),
                Count("refusals from 5432", "tcp.srcport == 5432 && tcp.flags.reset == 1", "==", 40)],
        retime=("rounds", SCAN4, 4, 1500, 2, "syn"),
    ),
]
