#!/usr/bin/env bash
# record-evasion-fixtures.sh - record the adversary fixtures in
# test/pcaps/adversary/ (NAME.pcap + NAME.expected.json): the fragment and
# extension-header evasions (evasion-*: scans a Linux target answers although
# they are split, overlapped, trimmed or padded the way attackers use to slip
# past a sensor), a distributed scan from spoofed sources and a slow scan
# under a short window (what crashed the live sensor). Real nmap where nmap
# can make the traffic, probes crafted with scapy (Debian's python3-scapy)
# where it cannot; the answers are always the real target kernel's.
#
#   sudo bash scripts/record-evasion-fixtures.sh                 # record everything
#   sudo bash scripts/record-evasion-fixtures.sh evasion-trim12  # only these
#   bash scripts/record-evasion-fixtures.sh --list               # scenario names
#
# Environment: OUT_DIR (default: <repo>/test/pcaps/adversary).
#
# Every scenario builds its own lab with scripts/netns-lib.sh: a hub
# namespace whose bridge floods every frame (MAC ageing 0) to br0, where
# tcpdump captures as a span port would; a scanner 198.18.0.1 / 2001:db8::1
# and a Linux target 198.18.0.2 / 2001:db8::2 listening on tcp/22 and tcp/80
# (every other port answers RST). Only 198.18.0.0/15 and 2001:db8::/32 are
# used, no interface exists in the root namespace, and the namespaces are
# deleted afterwards (also on failure). Expected detections come from the
# commands run and the target's answers, checked with tshark before a file
# is written; never from scanwatch.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT_DIR:-$ROOT/test/pcaps/adversary}
# shellcheck source=netns-lib.sh
source "$HERE/netns-lib.sh"

SCAN_MAC=02:00:c6:12:00:01
TGT_MAC=02:00:c6:12:00:02
SCAN4=198.18.0.1
TGT4=198.18.0.2
SCAN6=2001:db8::1
TGT6=2001:db8::2
OPEN='[22,80]'
SERVICES='{"tcp": [22, 80]}'

SCENARIOS=(
    evasion-nmap-mtu600 evasion-overlap-new-queue evasion-trim12
    evasion-maxdist-restart evasion-ipv6-dstopts9 evasion-ipv6-dstopts9-frag
    spoofed-distributed-syn slow-scan-window1
)

die() { nl_die "$*"; }
say() { printf '%s\n' "$*"; }

if [[ ${1:-} == -l || ${1:-} == --list ]]; then
    printf '%s\n' "${SCENARIOS[@]}"
    exit 0
fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,13p' "$0"
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
nl_require_cmd hping3 hping3
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
cat >"$TMP/evasion.py" <<'PYEOF'
"""scanwatch evasion-fixture lab helper (written out by record-evasion-fixtures.sh).

Every probing mode sends, from interface IF to DSTMAC, one crafted SYN to
each port of PORTS (a-b,c...), spaced 5 ms apart, as raw Ethernet frames:

  serve PORTS                                  listeners (dual stack) that accept and close
  overlap IF DSTMAC SRCMAC SRC DST PORTS       two overlapping junk fragments, then the clean SYN, same IP ID
  trim12 IF DSTMAC SRCMAC SRC DST PORTS        the SYN in a 12-byte non-last fragment and a last one from byte 8
  maxdist IF DSTMAC SRCMAC SRC DST PORTS       junk first fragment, 64 other fragments, then the clean SYN, same IP ID
  dstopts9 IF DSTMAC SRCMAC SRC6 DST6 PORTS    IPv6 SYN behind 9 destination options headers
  dstopts9frag IF DSTMAC SRCMAC SRC6 DST6 PORTS  the same in two fragments, 9 headers before the fragment header
  expected PATH JSON                           write an expected.json (pretty, short lists on one line)
"""
import json
import re
import socket
import struct
import sys
import threading
import time


def ports_arg(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += range(int(a), int(b) + 1)
        else:
            out.append(int(part))
    return out


def serve(ports):
    def loop(p):
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.bind(("::", p))
        s.listen(512)
        while True:
            c, _ = s.accept()
            c.close()
    for p in ports:
        threading.Thread(target=loop, args=(p,), daemon=True).start()
    print("evasion lab services ready", flush=True)
    while True:
        time.sleep(3600)


def mac(m):
    return bytes(int(x, 16) for x in m.split(":"))


class Wire:
    """Raw Ethernet frames out of one interface."""

    def __init__(self, ifname, dstmac, srcmac, ethertype):
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.s.bind((ifname, 0))
        self.head = mac(dstmac) + mac(srcmac) + struct.pack("!H", ethertype)
        self.sent = 0

    def send(self, l3):
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
        for k in range(64):
            n += 1
            w.send(frag4(src, dst, 0x8000 + (n & 0x7fff), 0, b"\0" * 8, True))
        # ip_frag_too_far: more than 64 of this peer's fragments since the queue's last one: restart
        for off in (0, 8, 16):
            w.send(frag4(src, dst, ident, off, clean[off:off + 8], off + 8 < 20))
        time.sleep(0.005)


def dstopts_chain(count, last_next):
    """`count` destination options headers of 8 bytes (one PadN each), the last naming `last_next`."""
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


def expected(path, doc):
    doc = json.loads(doc)
    text = json.dumps(doc, indent=2)
    text = re.sub(r"\[\s+([^\[\]{}]*?)\s+\]", lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text)
    with open(path, "w") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    mode, a = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(ports_arg(a[0]))
    elif mode == "expected":
        expected(a[0], a[1])
    elif mode in ("overlap", "trim12", "maxdist", "dstopts9", "dstopts9frag"):
        six = mode.startswith("dstopts")
        w = Wire(a[0], a[1], a[2], 0x86DD if six else 0x0800)
        globals()[mode](w, a[3], a[4], ports_arg(a[5]))
        print(f"{mode}: sent {w.sent} frames")
    else:
        raise SystemExit(f"unknown mode {mode}")
PYEOF

# ---------------------------------------------------------------- lab
SEQ=0
LAB_NS=()
HUB="" S="" T=""
PORTN=0

hub_join() { # NS IF MAC: create NS and plug IF into the hub
    local ns=$1 dev=$2 mac=$3
    nl_ns_add "$ns"
    LAB_NS+=("$ns")
    PORTN=$((PORTN + 1))
    nl_veth "$ns" "$dev" "$mac" "$HUB" "p$PORTN" ""
    ip -n "$HUB" link set "p$PORTN" master br0
    nl_offload_off "$ns" "$dev"
    nl_offload_off "$HUB" "p$PORTN"
}

lab_up() {
    SEQ=$((SEQ + 1))
    HUB="reh$SEQ-$$"
    S="res$SEQ-$$"
    T="ret$SEQ-$$"
    nl_ns_add "$HUB"
    LAB_NS=("$HUB")
    PORTN=0
    # Bridge without MAC learning = a hub: br0 sees every frame, as a span port would.
    ip -n "$HUB" link add br0 type bridge ageing_time 0 stp_state 0
    ip -n "$HUB" link set br0 up
    hub_join "$S" scan0 "$SCAN_MAC"
    hub_join "$T" tgt0 "$TGT_MAC"
    nl_addr "$S" scan0 "$SCAN4/24" "$SCAN6/64"
    nl_addr "$T" tgt0 "$TGT4/24" "$TGT6/64"
    nl_neigh "$S" scan0 "$TGT4" "$TGT_MAC"
    nl_neigh "$S" scan0 "$TGT6" "$TGT_MAC"
    nl_neigh "$T" tgt0 "$SCAN4" "$SCAN_MAC"
    nl_neigh "$T" tgt0 "$SCAN6" "$SCAN_MAC"
    nl_bg "$T" "$LOG/services-$T.log" "$PY" "$TMP/evasion.py" serve 22,80
    nl_wait_listen "$T" tcp 22
    nl_wait_listen "$T" tcp 80
}

lab_down() {
    local ns
    for ns in "${LAB_NS[@]}"; do nl_ns_del "$ns"; done
    LAB_NS=()
}

# ---------------------------------------------------------------- capture + checks
CUR="" CAP="" CAP512="" CAP512_PID="" CAP512_ERR=""

cap_begin() { # NAME [quiet]
    CUR=$1
    CAP="$TMP/$CUR.pcap"
    [[ ${2:-} == quiet ]] || sleep 2 # let the new interfaces finish their IPv6 MLD/DAD chatter first
    nl_capture_start "$HUB" br0 "$CAP"
}
cap_end() { nl_capture_stop "${1:-2}"; }

# A second, simultaneous capture of the same link cut at 512 bytes a frame
# (tcpdump -s 512), started before and stopped after the main one.
cap512_begin() { # NAME
    local i
    CAP512="$TMP/$1.pcap"
    CAP512_ERR="$TMP/$1.tcpdump.err"
    ip netns exec "$HUB" tcpdump -i br0 -n -U -s 512 -B 16384 -Z root -w "$CAP512" 2>"$CAP512_ERR" </dev/null &
    CAP512_PID=$!
    NL_PIDS+=("$CAP512_PID")
    for ((i = 0; i < 100; i++)); do
        grep -q 'listening on' "$CAP512_ERR" && [[ -s $CAP512 ]] && return 0
        kill -0 "$CAP512_PID" 2>/dev/null || die "tcpdump -s 512 exited before it started"
        sleep 0.1
    done
    die "tcpdump -s 512 did not start listening within 10s"
}
cap512_end() {
    kill -INT "$CAP512_PID" 2>/dev/null || true
    wait "$CAP512_PID" 2>/dev/null || true
    local dropped
    dropped=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$CAP512_ERR")
    [[ ${dropped:-0} -eq 0 ]] || die "tcpdump -s 512 dropped $dropped packets"
}

run() { # NS CMD... (output to the scenario log)
    local ns=$1
    shift
    say "  [$ns] $*"
    nl_lab_exec "$ns" "$@" >>"$LOG/$CUR.log" 2>&1 || {
        tail -5 "$LOG/$CUR.log" >&2
        die "$CUR: '$*' failed"
    }
}

tcount() { tshark -r "${2:-$CAP}" -Y "$1" 2>/dev/null | wc -l; }
# distinct values of FIELD among packets matching FILTER
tdistinct() { tshark -r "${3:-$CAP}" -Y "$1" -T fields -e "$2" 2>/dev/null | sort -u | grep -c . || true; }
keep_failed() { [[ -f ${CAP:-} ]] && cp "$CAP" "$OUT/.$CUR.pcap.failed"; }
expect_ge() { # LABEL GOT MIN
    (($2 >= $3)) || { keep_failed; die "$CUR: check failed: $1: $2 < $3 (capture kept as $OUT/.$CUR.pcap.failed)"; }
    say "  check: $1 = $2 (>= $3)"
}
expect_eq() {
    (($2 == $3)) || { keep_failed; die "$CUR: check failed: $1: $2 != $3 (capture kept as $OUT/.$CUR.pcap.failed)"; }
    say "  check: $1 = $2"
}
expect_str() {
    [[ $2 == "$3" ]] || { keep_failed; die "$CUR: check failed: $1: '$2' != '$3' (capture kept as $OUT/.$CUR.pcap.failed)"; }
    say "  check: $1 = $2"
}

# The target's answers to a SYN scan of PORTS ports from SRC: one answer per
# port (SYN-ACK from 22 and 80, RST from every other), none missing.
check_answers() { # IPFIELD TGT SRC NPORTS
    local ipf=$1 tgt=$2 src=$3 n=$4
    expect_eq "ports the target answered" "$(tdistinct "$ipf.src == $tgt && $ipf.dst == $src && tcp" tcp.srcport)" "$n"
    expect_str "ports answering SYN-ACK" \
        "$(tshark -r "$CAP" -Y "$ipf.src == $tgt && tcp.flags.syn == 1 && tcp.flags.ack == 1" -T fields -e tcp.srcport 2>/dev/null | sort -un | paste -sd,)" "22,80"
    expect_eq "ports answering RST" "$(tdistinct "$ipf.src == $tgt && tcp.flags.reset == 1" tcp.srcport)" $((n - 2))
}

# det SRC TYPE PATTERN TOOL TARGETS PORTS OPEN
det() {
    local tool=null
    [[ $4 != null ]] && tool="\"$4\""
    printf '{"src":"%s","type":"%s","pattern":"%s","tool":%s,"targets":%s,"ports":%s,"open_ports":%s}' "$1" "$2" "$3" "$tool" "$5" "$6" "$7"
}

# publish NAME DESCRIPTION COMMAND DETECTIONS-JSON PCAP
publish() {
    local name=$1 desc=$2 cmd=$3 dets=$4 pcap=$5 doc n
    cp "$pcap" "$OUT/$name.pcap"
    n=$(capinfos -c -M "$OUT/$name.pcap" | awk -F: '/Number of packets/ {gsub(/ /,"",$2); print $2}')
    doc=$(jq -n --arg name "$name" --arg d "$desc" --arg c "$cmd" --argjson det "$dets" --argjson svc "$SERVICES" \
        '{name:$name, description:$d, command:$c, target_services:$svc, detections:$det}')
    "$PY" "$TMP/evasion.py" expected "$OUT/$name.expected.json" "$doc"
    say "  wrote $name.pcap ($n packets, $(stat -c %s "$OUT/$name.pcap") bytes) + $name.expected.json"
}

# ---------------------------------------------------------------- scenarios
sc_evasion_nmap_mtu600() {
    lab_up
    local cmd=(nmap -n -Pn -sS --data-length 1200 --mtu 600 -p1-1000 "$TGT4")
    sleep 2 # let the new interfaces finish their IPv6 MLD/DAD chatter first
    cap512_begin evasion-nmap-mtu600-snap512
    cap_begin evasion-nmap-mtu600 quiet
    run "$S" "${cmd[@]}"
    cap_end
    cap512_end
    # every probe: 20 bytes of TCP header and 1,200 of data in fragments of 600, 600 and 20
    expect_ge "fragments of 600 bytes with MF from the scanner" "$(tcount "ip.src == $SCAN4 && ip.flags.mf == 1 && ip.len == 620")" 2000
    expect_ge "reassembled SYNs to distinct ports" "$(tdistinct "ip.src == $SCAN4 && tcp.flags.syn == 1 && tcp.flags.ack == 0" tcp.dstport)" 1000
    check_answers ip "$TGT4" "$SCAN4" 1000
    expect_eq "the scanner's fragments, in both captures" "$(tcount "ip.src == $SCAN4 && ip.flags.mf == 1" "$CAP512")" "$(tcount "ip.src == $SCAN4 && ip.flags.mf == 1")"
    expect_ge "frames cut at 512 bytes in the second capture" "$(tcount 'frame.cap_len == 512 && frame.len > 512' "$CAP512")" 2000
    local desc="nmap SYN scan of ports 1-1000 of $TGT4 from $SCAN4 with 1,200 bytes of data in each probe and nmap's own IPv4 fragmentation at 600 bytes (--data-length 1200 --mtu 600): each SYN is three fragments of 600, 600 and 20 bytes (frames of 634, 634 and 54 bytes). The target's kernel reassembles every probe and answers (SYN-ACK from 22 and 80, RST from the 998 others; checked with tshark)."
    publish evasion-nmap-mtu600 "$desc Captured whole (tcpdump -s 0)." "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical nmap 1 1000 "$OPEN")]" "$CAP"
    publish evasion-nmap-mtu600-snap512 "$desc The same run captured at the same time cut at 512 bytes a frame (tcpdump -s 512), as a sensor with a 512-byte snapshot length sees it: both 600-byte fragments of every probe are cut, so reassembly must go by the lengths the IP headers declare." \
        "${cmd[*]}  (captured with tcpdump -s 512)" "[$(det "$SCAN4" tcp-syn vertical nmap 1 1000 "$OPEN")]" "$CAP512"
    lab_down
}

crafted4() { # NAME MODE DESC
    local name=$1 mode=$2 desc=$3
    lab_up
    [[ $mode == maxdist ]] &&
        # the 6,400 incomplete datagrams stay queued for 30 s: room for them in the
        # target's own reassembly memory (per-namespace sysctls)
        nl_sysctl "$T" net.ipv4.ipfrag_high_thresh=268435456 net.ipv4.ipfrag_low_thresh=201326592
    [[ $(ip netns exec "$T" sysctl -n net.ipv4.ipfrag_max_dist) == 64 ]] || die "$name: the target's ipfrag_max_dist is not the default 64"
    local cmd=("$PY" "$TMP/evasion.py" "$mode" scan0 "$TGT_MAC" "$SCAN_MAC" "$SCAN4" "$TGT4" 1-100)
    cap_begin "$name"
    run "$S" "${cmd[@]}"
    cap_end
    check_answers ip "$TGT4" "$SCAN4" 100
    publish "$name" "$desc Crafted with scapy (no tool makes these fragments on request) and sent live from the scanner namespace; the answers are the target kernel's: SYN-ACK from 22 and 80, RST from the 98 others (checked with tshark), and the scanner's kernel resets the SYN-ACKs." \
        "python3 evasion.py $mode scan0 $TGT_MAC $SCAN_MAC $SCAN4 $TGT4 1-100" "[$(det "$SCAN4" tcp-syn vertical null 1 100 "$OPEN")]" "$CAP"
    lab_down
}

sc_evasion_overlap_new_queue() {
    crafted4 evasion-overlap-new-queue overlap \
        "SYN probes to ports 1-100 of $TGT4, each preceded by two junk fragments with the SAME IP ID that overlap each other (bytes 0-15, then 8-23, of a RST segment): Linux discards the overlapping datagram and forgets its queue (inet_frag_kill; RFC 5722), so the clean SYN that follows with that ID (fragments of 8, 8 and 4 bytes) starts a new datagram, which the target reassembles and answers. A reassembler that keeps the discarded datagram's slot until it times out swallows the clean probe."
}
sc_evasion_trim12() {
    crafted4 evasion-trim12 trim12 \
        "SYN probes to ports 1-100 of $TGT4, each in two fragments: bytes 0-11 of the 20-byte TCP header with More Fragments set (12 bytes, not a multiple of 8), then bytes 8-19 at offset 8 as the last fragment. Linux trims a non-last fragment to a multiple of 8 (ip_frag_queue: end &= ~7), keeps bytes 0-7 and reassembles; a reassembler that drops the 12-byte fragment as malformed never sees the probe."
}
sc_evasion_maxdist_restart() {
    crafted4 evasion-maxdist-restart maxdist \
        "SYN probes to ports 1-100 of $TGT4, each sent as a junk first fragment (bytes 0-15 of a RST segment, IP ID X), then 64 first fragments of other datagrams from the same source that never complete, then the clean SYN with IP ID X in fragments of 8, 8 and 4 bytes. Linux restarts a queue that missed more than ipfrag_max_dist (64) fragments of its peer (ip_frag_too_far, ip_frag_reinit), so the clean first fragment replaces the junk and the target answers the SYN; a reassembler without the rule takes the clean first fragment for a duplicate of the junk and sees a RST."
}

crafted6() { # NAME MODE DESC
    local name=$1 mode=$2 desc=$3
    lab_up
    local cmd=("$PY" "$TMP/evasion.py" "$mode" scan0 "$TGT_MAC" "$SCAN_MAC" "$SCAN6" "$TGT6" 1-100)
    cap_begin "$name"
    run "$S" "${cmd[@]}"
    cap_end
    expect_eq "probes carrying 9 destination options headers" \
        "$(tshark -r "$CAP" -Y "ipv6.src == $SCAN6 && ipv6.dstopts" -T fields -e ipv6.dstopts.nxt 2>/dev/null | awk -F, 'NF == 9' | wc -l)" \
        "$([[ $mode == dstopts9 ]] && echo 100 || echo 200)"
    check_answers ipv6 "$TGT6" "$SCAN6" 100
    publish "$name" "$desc Crafted with scapy and sent live from the scanner namespace; the answers are the target kernel's: SYN-ACK from 22 and 80, RST from the 98 others (checked with tshark)." \
        "python3 evasion.py $mode scan0 $TGT_MAC $SCAN_MAC $SCAN6 $TGT6 1-100" "[$(det "$SCAN6" tcp-syn vertical null 1 100 "$OPEN")]" "$CAP"
    lab_down
}

sc_evasion_ipv6_dstopts9() {
    crafted6 evasion-ipv6-dstopts9 dstopts9 \
        "IPv6 SYN probes to ports 1-100 of $TGT6 from $SCAN6, each behind a chain of 9 destination options headers (8 bytes each, PadN): Linux walks extension header chains as long as the packet and answers. A decoder that stops at 8 extension headers never sees the probes."
}
sc_evasion_ipv6_dstopts9_frag() {
    crafted6 evasion-ipv6-dstopts9-frag dstopts9frag \
        "IPv6 SYN probes to ports 1-100 of $TGT6 from $SCAN6 with 8 bytes of data, each in two fragments (24 bytes of TCP header, then the 8 bytes), both behind a chain of 9 destination options headers before the fragment header (the unfragmentable part, repeated in every fragment). Linux reassembles and answers."
}

# ---------------------------------------------------------------- spoofed and slow scans
sc_spoofed_distributed_syn() {
    lab_up
    # The spoofed sources' network is routed through the scanner, so the
    # target's answers cross the link (to the scanner's MAC, which drops
    # them: it holds none of these addresses), as on a real span port.
    ip -n "$T" route add 198.19.5.0/24 via "$SCAN4"
    local srcs=() s cmds=()
    cap_begin spoofed-distributed-syn
    for s in $(seq 0 9); do
        local src="198.19.5.$((10 + s))" base=$((2000 + 12 * s))
        srcs+=("$src")
        cmds+=("hping3 -q -n -S -a $src -p ++$base -c 12 -i u20000 $TGT4")
        run "$S" hping3 -q -n -S -a "$src" -p "++$base" -c 12 -i u20000 "$TGT4"
    done
    cap_end
    expect_eq "SYNs from the 10 spoofed sources" "$(tcount "ip.src == 198.19.5.0/24 && tcp.flags.syn == 1 && tcp.flags.ack == 0")" 120
    expect_eq "distinct spoofed sources" "$(tdistinct "ip.src == 198.19.5.0/24 && tcp.flags.syn == 1" ip.src)" 10
    expect_eq "distinct ports probed" "$(tdistinct "ip.src == 198.19.5.0/24 && tcp.flags.syn == 1" tcp.dstport)" 120
    expect_eq "RSTs from the target to the spoofed sources" "$(tcount "ip.src == $TGT4 && ip.dst == 198.19.5.0/24 && tcp.flags.reset == 1")" 120
    local sources
    sources=$(printf '"%s",' "${srcs[@]}")
    local det
    det=$(printf '{"src":"%s","type":"tcp-syn","pattern":"vertical","tool":"hping3","targets":1,"ports":120,"open_ports":[],"sources":[%s],"reason":"distributed"}' "${srcs[0]}" "${sources%,}")
    local IFS=';'
    publish spoofed-distributed-syn "A distributed SYN scan from spoofed addresses: hping3 in the scanner namespace sends 12 SYNs from each of 10 forged sources (198.19.5.10 to .19) to 12 ports each of $TGT4 (2000-2119, one block per source, 50 a second); the target answers every one with a RST, routed back through the scanner (which holds none of these addresses). One scan of 120 ports of one host by 10 sources; the live sensor crashed on it while announcing the distributed detection." \
        "${cmds[*]}" "[$det]" "$CAP"
    unset IFS
    lab_down
}

sc_slow_scan_window1() {
    lab_up
    local cmd=(nmap -n -Pn -sS --scan-delay 1500ms --max-retries 0 -p 3000-3023 "$TGT4")
    cap_begin slow-scan-window1
    run "$S" "${cmd[@]}"
    cap_end
    # nmap repeats a probe of an answered port now and then to time the
    # target (its "timing pings"): more SYNs than ports, each refused.
    expect_eq "distinct ports probed" "$(tdistinct "ip.src == $SCAN4 && tcp.flags.syn == 1 && tcp.flags.ack == 0" tcp.dstport)" 24
    expect_eq "RSTs from the target, one per SYN" "$(tcount "ip.src == $TGT4 && tcp.flags.reset == 1")" "$(tcount "ip.src == $SCAN4 && tcp.flags.syn == 1 && tcp.flags.ack == 0")"
    local gap
    gap=$(tshark -r "$CAP" -Y "ip.src == $SCAN4 && tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields -e frame.time_delta_displayed 2>/dev/null | awk 'NR > 1 && $1 < m || NR == 2 {m = $1} END {print int(m * 1000)}')
    expect_ge "least gap between probes (ms)" "$gap" 1400
    local d
    d=$(printf '{"src":"%s","type":"tcp-syn","pattern":"vertical","tool":"nmap","targets":1,"ports":24,"open_ports":[],"reason":"long-horizon"}' "$SCAN4")
    publish slow-scan-window1 "A real nmap SYN scan of 24 closed ports (3000-3023) of $TGT4, one probe every 1.5 s (--scan-delay 1500ms), analysed with a 1 s window (the fixture's options): no window can add the probes up, so only the long-horizon tier finds the scan (20 failed ports of one host). The live sensor crashed when it announced such a detection." \
        "${cmd[*]}" "[$d]" "$CAP"
    # The sensor option that makes the window shorter than the gaps.
    jq '. + {options: ["--window", "1"]}' "$OUT/slow-scan-window1.expected.json" >"$TMP/opts.json"
    "$PY" "$TMP/evasion.py" expected "$OUT/slow-scan-window1.expected.json" "$(cat "$TMP/opts.json")"
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
