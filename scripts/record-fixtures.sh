#!/usr/bin/env bash
# record-fixtures.sh - record the pcap fixtures in test/pcaps/ from real tools
# (nmap, masscan, hping3, zmap, curl, dig, ping) running inside a private lab
# of network namespaces. Every probe stays inside the two namespaces this
# script creates; they are deleted on exit, also on failure or Ctrl-C.
#
#   sudo bash scripts/record-fixtures.sh              # record everything
#   sudo bash scripts/record-fixtures.sh nmap-syn ... # record only these
#   bash scripts/record-fixtures.sh --list            # list scenario names
#
# Environment: OUT_DIR (default: <repo>/test/pcaps).
#
# Lab (capture point = tgt0, the target's side of the veth pair):
#
#   [scanner ns] scan0 ==== veth ==== tgt0 [target ns / router]
#   198.18.0.1/24                     198.18.0.2/24
#   2001:db8::1/64                    2001:db8::2/64
#   route 198.18.1.0/24 via .0.2      lo: 198.18.1.1-3/32 (the "live hosts")
#                                     blackhole 198.18.1.0/24 (rest: silently dropped)
#
# Services in the target ns (dual stack, so also on the 198.18.1.1-3 aliases),
# from scripts/lab/services.py, profile "fixtures": tcp/22 fake SSH banner,
# tcp/80 + tcp/8080 a small static site served by http.server, tcp/443 fake
# TLS, udp/53 DNS responder, udp/123 NTP, udp/161 SNMP.
#
# For every scenario NAME the script writes NAME.pcap and NAME.expected.json
# (ground truth derived from the command that was run and the services that
# were started, never from a detector), then checks the capture with tshark.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
OUT=${OUT_DIR:-$ROOT/test/pcaps}
# shellcheck source=netns-lib.sh
source "$HERE/netns-lib.sh"

# ---------------------------------------------------------------- lab plan
SCAN_NS="swscan-$$"
TGT_NS="swtgt-$$"
SCAN_IF=scan0
TGT_IF=tgt0
SCAN_MAC=02:00:c6:12:00:01
TGT_MAC=02:00:c6:12:00:02
SCAN4=198.18.0.1
TGT4=198.18.0.2
SCAN6=2001:db8::1
TGT6=2001:db8::2
LOCAL_NET=198.18.0.0/24
REMOTE_NET=198.18.1.0/24
REMOTE_HOSTS=(198.18.1.1 198.18.1.2 198.18.1.3)
TCP_OPEN=(22 80 443 8080) # listeners started in the target ns
UDP_OPEN=(53 123 161)
CLOSED_PORT=5432 # nothing listens here (benign-retry-closed-port)

SCENARIOS=(
    nmap-syn nmap-connect nmap-fin nmap-null nmap-xmas nmap-ack nmap-maimon
    nmap-udp nmap-syn-ipv6 nmap-ping-sweep nmap-arp-sweep nmap-syn-horizontal
    masscan-syn hping3-syn zmap-syn nmap-slow-syn
    benign-web-client benign-dns benign-retry-closed-port benign-few-services benign-ping
)

die() { nl_die "$*"; }
say() { printf '%s\n' "$*"; }

# ---------------------------------------------------------------- arguments
if [[ ${1:-} == -l || ${1:-} == --list ]]; then
    printf '%s\n' "${SCENARIOS[@]}"
    exit 0
fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
    sed -n '2,12p' "$0"
    exit 0
fi
SELECTED=("$@")
if ((${#SELECTED[@]} == 0)); then SELECTED=("${SCENARIOS[@]}"); fi
for s in "${SELECTED[@]}"; do
    printf '%s\n' "${SCENARIOS[@]}" | grep -qxF -- "$s" || die "unknown scenario '$s' (see --list)"
done

# ---------------------------------------------------------------- prerequisites
nl_require_root
nl_require_cmd ip iproute2
nl_require_cmd ss iproute2
nl_require_cmd tcpdump tcpdump
nl_require_cmd tshark tshark
nl_require_cmd capinfos wireshark-common
nl_require_cmd python3 python3
nl_require_cmd nmap nmap
nl_require_cmd masscan masscan
nl_require_cmd hping3 hping3
nl_require_cmd curl curl
nl_require_cmd dig bind9-dnsutils
nl_require_cmd ping iputils-ping
nl_require_cmd ethtool ethtool
HAVE_ZMAP=1
nl_have_cmd zmap || HAVE_ZMAP=""
PY=$(command -v python3)

mkdir -p "$OUT"
rm -f "$OUT"/.*.pcap.partial

on_exit() {
    local rc=$?
    nl_teardown
    if ip netns list 2>/dev/null | grep -qE "^(${SCAN_NS}|${TGT_NS})( |$)"; then
        printf 'WARNING: lab namespaces still present:\n' >&2
        ip netns list >&2
        rc=1
    fi
    exit "$rc"
}
nl_install_trap
trap on_exit EXIT

nl_tmpdir >/dev/null
TMP=$NL_TMPDIR
LOG=$TMP/logs
mkdir -p "$LOG"
# the lab's services, clients and expected.json writer: scripts/lab
export PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}"

# ---------------------------------------------------------------- build the lab
build_lab() {
    nl_ns_add "$SCAN_NS"
    nl_ns_add "$TGT_NS"
    nl_veth "$SCAN_NS" "$SCAN_IF" "$SCAN_MAC" "$TGT_NS" "$TGT_IF" "$TGT_MAC"
    nl_offload_off "$SCAN_NS" "$SCAN_IF"
    nl_offload_off "$TGT_NS" "$TGT_IF"
    nl_addr "$SCAN_NS" "$SCAN_IF" "$SCAN4/24" "$SCAN6/64"
    nl_addr "$TGT_NS" "$TGT_IF" "$TGT4/24" "$TGT6/64"
    # static neighbours: no ARP/ND chatter in the scan captures
    nl_neigh "$SCAN_NS" "$SCAN_IF" "$TGT4" "$TGT_MAC"
    nl_neigh "$SCAN_NS" "$SCAN_IF" "$TGT6" "$TGT_MAC"
    nl_neigh "$TGT_NS" "$TGT_IF" "$SCAN4" "$SCAN_MAC"
    nl_neigh "$TGT_NS" "$TGT_IF" "$SCAN6" "$SCAN_MAC"
    # the target routes 198.18.1.0/24: three live hosts, the rest is a blackhole
    nl_route "$SCAN_NS" "$REMOTE_NET" via "$TGT4" dev "$SCAN_IF"
    # (on lo: this kernel has no dummy interface support, lo works everywhere)
    local h
    for h in "${REMOTE_HOSTS[@]}"; do nl_addr "$TGT_NS" lo "$h/32"; done
    nl_route "$TGT_NS" blackhole "$REMOTE_NET"
    local rl=(net.ipv4.icmp_ratelimit=0 net.ipv4.icmp_msgs_per_sec=100000
        net.ipv4.icmp_msgs_burst=100000 net.ipv6.icmp.ratelimit=0)
    nl_sysctl "$TGT_NS" net.ipv4.ip_forward=1 "${rl[@]}"
    nl_sysctl "$SCAN_NS" "${rl[@]}"

    # services (lab.services profile "fixtures": the TCP_OPEN and UDP_OPEN ports)
    nl_bg "$TGT_NS" "$LOG/lab-services.log" "$PY" -m lab.services fixtures "$TMP/www"
    local p
    for p in "${TCP_OPEN[@]}"; do nl_wait_listen "$TGT_NS" tcp "$p"; done
    for p in "${UDP_OPEN[@]}"; do nl_wait_listen "$TGT_NS" udp "$p"; done

    # pre-flight (not captured): the lab must work before we record anything
    nl_lab_exec "$SCAN_NS" ping -c1 -W2 "$TGT4" >/dev/null || die "lab: $TGT4 unreachable"
    nl_lab_exec "$SCAN_NS" ping -c1 -W2 "$TGT6" >/dev/null || die "lab: $TGT6 unreachable"
    nl_lab_exec "$SCAN_NS" ping -c1 -W2 "${REMOTE_HOSTS[0]}" >/dev/null || die "lab: routing to $REMOTE_NET broken"
    nl_lab_exec "$SCAN_NS" curl -fsS -o /dev/null --max-time 5 "http://$TGT4/" || die "lab: http/80 broken"
    nl_lab_exec "$SCAN_NS" curl -fsS -o /dev/null --max-time 5 "http://[$TGT6]:8080/" || die "lab: http/8080 (v6) broken"
    # let IPv6 MLD reports from link-up pass before the first capture
    sleep 2
}

# ---------------------------------------------------------------- helpers
CUR="" # scenario being recorded
CAP="" # its partial capture file

cap_begin() {
    CUR=$1
    CAP="$OUT/.$CUR.pcap.partial"
    nl_capture_start "$TGT_NS" "$TGT_IF" "$CAP"
}

cap_end() { nl_capture_stop "${1:-2}"; }

# run: execute a traffic command in the scanner ns, output to the scenario log
run() {
    if ! nl_lab_exec "$SCAN_NS" "$@" >>"$LOG/$CUR.log" 2>&1; then
        cat "$LOG/$CUR.log" >&2
        die "$CUR: command failed: $*"
    fi
}

# fields FILTER FIELD: one value per matching packet
fields() { tshark -r "$CAP" -Y "$1" -T fields -E occurrence=f -e "$2" 2>/dev/null; }
count() { fields "$1" frame.number | wc -l; }
ndistinct() { fields "$1" "$2" | sort -u | wc -l; }
# vals FILTER FIELD: sorted distinct values, space separated
vals() { fields "$1" "$2" | sort -u | sort -V | paste -sd' ' -; }

fail_check() {
    mv -f "$CAP" "$OUT/.$CUR.pcap.failed"
    die "$CUR: check failed: $* (capture kept as $OUT/.$CUR.pcap.failed, log $LOG/$CUR.log)"
}
expect_eq() { # LABEL GOT WANT
    [[ "$2" == "$3" ]] || fail_check "$1: got '$2', want '$3'"
}
expect_ge() { # LABEL GOT MIN
    (($2 >= $3)) || fail_check "$1: got $2, want >= $3"
}

# ports_in LO HI PORT...: the given ports that fall in [LO,HI], space separated
ports_in() {
    local lo=$1 hi=$2 p out=()
    shift 2
    for p in "$@"; do ((p >= lo && p <= hi)) && out+=("$p"); done
    printf '%s' "${out[*]:-}"
}
# ports_listed "22,80,443" PORT...: the given ports present in the list
ports_listed() {
    local list=",$1," p out=()
    shift
    for p in "$@"; do [[ $list == *",$p,"* ]] && out+=("$p"); done
    printf '%s' "${out[*]:-}"
}
jnums() { # "22 80 443" -> [22,80,443]
    local s=${1// /,}
    printf '[%s]' "$s"
}
jstrs() { # "a b" -> ["a","b"]
    local x out=()
    for x in $1; do out+=("\"$x\""); done
    local IFS=,
    printf '[%s]' "${out[*]:-}"
}
# det SRC TYPE PATTERN TOOL TARGETS PORTS OPEN [EXTRA-JSON-MEMBERS]
det() {
    local tool=null
    [[ $4 != null ]] && tool="\"$4\""
    printf '{"src":"%s","type":"%s","pattern":"%s","tool":%s,"targets":%s,"ports":%s,"open_ports":%s%s}' \
        "$1" "$2" "$3" "$tool" "$5" "$6" "$7" "${8:+,$8}"
}

# publish DESCRIPTION COMMAND DETECTIONS-JSON [NOTES]
publish() {
    local pcap="$OUT/$CUR.pcap" json="$OUT/$CUR.expected.json" cmd=${2//$TMP/\$LABTMP}
    mv -f "$CAP" "$pcap"
    local services
    services="{\"tcp\":$(jnums "${TCP_OPEN[*]}"),\"udp\":$(jnums "${UDP_OPEN[*]}")}"
    "$PY" -m lab.expected fixtures "$json" "$CUR" "$1" "$cmd" "$3" "$services" "${4:-}"
    local pkts bytes dur
    pkts=$(tcpdump -r "$pcap" 2>/dev/null | wc -l)
    bytes=$(stat -c %s "$pcap")
    dur=$(capinfos -T -r -M -u "$pcap" 2>/dev/null | cut -f2)
    [[ $pkts -eq $NL_CAP_PACKETS ]] || die "$CUR: file holds $pkts packets but tcpdump reported $NL_CAP_PACKETS"
    printf '%-30s %6d packets %8d bytes %7.2f s  ok\n' "$CUR.pcap" "$pkts" "$bytes" "$dur"
    ((bytes <= 300 * 1024)) || printf '  note: %s is larger than 300 KB\n' "$CUR.pcap"
}

# ---------------------------------------------------------------- TCP port scans (nmap)
# nmap_tcp_scan NAME NMAP-FLAG TYPE FLAGS-HEX
nmap_tcp_scan() {
    local flag=$2 type=$3 fl=$4
    local cmd=(nmap -n -Pn "$flag" -p 1-1000 "$TGT4")
    cap_begin "$1"
    run "${cmd[@]}"
    cap_end
    local probe="ip.src#1==$SCAN4 && ip.dst#1==$TGT4 && tcp.flags==$fl"
    expect_eq "distinct probed ports" "$(ndistinct "$probe" tcp.dstport)" 1000
    local open synack rst_ports
    synack=$(vals "ip.src#1==$TGT4 && tcp.flags.syn==1 && tcp.flags.ack==1" tcp.srcport)
    rst_ports=$(ndistinct "ip.src#1==$TGT4 && tcp.flags.reset==1" tcp.srcport)
    case $type in
    tcp-syn | tcp-connect)
        open=$(ports_in 1 1000 "${TCP_OPEN[@]}")
        expect_eq "SYN-ACK ports" "$synack" "$open"
        expect_eq "RST (closed) ports" "$rst_ports" $((1000 - $(wc -w <<<"$open")))
        ;;
    tcp-fin | tcp-null | tcp-xmas)
        open=""
        expect_eq "SYN-ACK ports" "$synack" ""
        # RFC 793: closed ports answer RST, open ports stay silent
        expect_eq "RST (closed) ports" "$rst_ports" $((1000 - $(ports_in 1 1000 "${TCP_OPEN[@]}" | wc -w)))
        ;;
    tcp-ack | tcp-maimon)
        open=""
        # Linux answers ACK and FIN/ACK with RST on open and closed ports alike
        expect_eq "RST ports" "$rst_ports" 1000
        ;;
    esac
    local desc="nmap $flag -p 1-1000 $TGT4 from $SCAN4. nmap raw packets: window 1024, TTL randomised per probe, one source port per round (retries use another)"
    case $type in
    tcp-syn) desc+=", only TCP option MSS 1460; open ports SYN-ACK and the scanner kernel resets them (RST win 0), closed ports RST/ACK" ;;
    tcp-fin | tcp-null | tcp-xmas) desc+=", no TCP options; closed ports answer RST/ACK, open 22/80/443 stay silent and are re-probed once (open|filtered), so open_ports is []" ;;
    tcp-ack | tcp-maimon) desc+=", no TCP options; Linux answers RST to every probe whether the port is open or closed, so open_ports is []" ;;
    esac
    [[ $type == tcp-connect ]] && desc="nmap -sT -p 1-1000 $TGT4 from $SCAN4: connect() scan through the kernel TCP stack, so SYNs carry normal Linux options; tool null because no nmap raw-packet fingerprint is present"
    local tool=nmap
    [[ $type == tcp-connect ]] && tool=null
    publish "$desc" "${cmd[*]}" "[$(det "$SCAN4" "$type" vertical "$tool" 1 1000 "$(jnums "$open")" "\"dst\":\"$TGT4\"")]"
}

sc_nmap_syn() { nmap_tcp_scan nmap-syn -sS tcp-syn 0x002; }
sc_nmap_connect() { nmap_tcp_scan nmap-connect -sT tcp-connect 0x002; }
sc_nmap_fin() { nmap_tcp_scan nmap-fin -sF tcp-fin 0x001; }
sc_nmap_null() { nmap_tcp_scan nmap-null -sN tcp-null 0x000; }
sc_nmap_xmas() { nmap_tcp_scan nmap-xmas -sX tcp-xmas 0x029; }
sc_nmap_ack() { nmap_tcp_scan nmap-ack -sA tcp-ack 0x010; }
sc_nmap_maimon() { nmap_tcp_scan nmap-maimon -sM tcp-maimon 0x011; }

sc_nmap_udp() {
    local cmd=(nmap -n -Pn -sU -p 1-200 "$TGT4")
    cap_begin nmap-udp
    run "${cmd[@]}"
    cap_end
    local open
    open=$(ports_in 1 200 "${UDP_OPEN[@]}")
    expect_eq "distinct probed UDP ports" "$(ndistinct "ip.src#1==$SCAN4 && udp && !icmp" udp.dstport)" 200
    expect_eq "UDP reply ports" "$(vals "ip.src#1==$TGT4 && udp && !icmp" udp.srcport)" "$open"
    expect_eq "ICMP port-unreachable ports" "$(ndistinct "ip.src#1==$TGT4 && icmp.type==3 && icmp.code==3" udp.dstport)" \
        $((200 - $(wc -w <<<"$open")))
    publish "nmap -sU -p 1-200 $TGT4 from $SCAN4; closed ports answer ICMP port unreachable (rate limit disabled in the target ns), 53/123/161 answer with UDP (nmap sends protocol payloads to them)" \
        "${cmd[*]}" "[$(det "$SCAN4" udp vertical nmap 1 200 "$(jnums "$open")" "\"dst\":\"$TGT4\"")]"
}

sc_nmap_syn_ipv6() {
    local cmd=(nmap -6 -n -Pn -sS -p 1-500 "$TGT6")
    cap_begin nmap-syn-ipv6
    run "${cmd[@]}"
    cap_end
    local open
    open=$(ports_in 1 500 "${TCP_OPEN[@]}")
    expect_eq "distinct probed ports" "$(ndistinct "ipv6.src#1==$SCAN6 && tcp.flags==0x002" tcp.dstport)" 500
    expect_eq "SYN-ACK ports" "$(vals "ipv6.src#1==$TGT6 && tcp.flags==0x012" tcp.srcport)" "$open"
    publish "nmap -6 -sS -p 1-500 $TGT6 from $SCAN6 (IPv6 SYN scan)" \
        "${cmd[*]}" "[$(det "$SCAN6" tcp-syn vertical nmap 1 500 "$(jnums "$open")" "\"dst\":\"$TGT6\"")]"
}

sc_nmap_ping_sweep() {
    local cmd=(nmap -n -sn -PE --disable-arp-ping "$REMOTE_NET")
    cap_begin nmap-ping-sweep
    run "${cmd[@]}"
    cap_end
    expect_eq "distinct echo-request targets" "$(ndistinct "ip.src#1==$SCAN4 && icmp.type==8" ip.dst)" 256
    expect_eq "echo-reply sources" "$(vals "icmp.type==0 && ip.dst#1==$SCAN4" ip.src)" "${REMOTE_HOSTS[*]}"
    publish "nmap -sn -PE ICMP echo sweep of $REMOTE_NET (all 256 addresses) from $SCAN4, routed through $TGT4; ${REMOTE_HOSTS[*]} answer, the rest hit a blackhole route and stay silent" \
        "${cmd[*]}" "[$(det "$SCAN4" icmp-sweep horizontal nmap 256 null '[]' "\"dst_net\":\"$REMOTE_NET\",\"live_hosts\":$(jstrs "${REMOTE_HOSTS[*]}")")]"
}

sc_nmap_arp_sweep() {
    local cmd=(nmap -n -sn -PR "$LOCAL_NET")
    cap_begin nmap-arp-sweep
    run "${cmd[@]}"
    cap_end
    # nmap does not ARP for its own address 198.18.0.1
    local n
    n=$(ndistinct "arp.opcode==1 && arp.src.proto_ipv4==$SCAN4" arp.dst.proto_ipv4)
    expect_eq "distinct ARP who-has targets" "$n" 255
    expect_eq "ARP reply senders" "$(vals "arp.opcode==2" arp.src.proto_ipv4)" "$TGT4"
    publish "nmap -sn -PR ARP sweep of $LOCAL_NET from $SCAN4: who-has for every address except its own (255), only $TGT4 answers; tool null because nmap's ARP requests look like the kernel's (only the burst gives it away)" \
        "${cmd[*]}" "[$(det "$SCAN4" arp-sweep horizontal null "$n" null '[]' "\"dst_net\":\"$LOCAL_NET\",\"live_hosts\":[\"$TGT4\"]")]"
}

sc_nmap_syn_horizontal() {
    local ports=22,80,443
    local cmd=(nmap -n -Pn -sS -p "$ports" "$REMOTE_NET")
    cap_begin nmap-syn-horizontal
    run "${cmd[@]}"
    cap_end
    local open
    open=$(ports_listed "$ports" "${TCP_OPEN[@]}")
    expect_eq "distinct SYN targets" "$(ndistinct "ip.src#1==$SCAN4 && tcp.flags==0x002" ip.dst)" 256
    expect_eq "distinct SYN ports" "$(vals "ip.src#1==$SCAN4 && tcp.flags==0x002" tcp.dstport)" "22 80 443"
    expect_eq "hosts answering SYN-ACK" "$(vals "tcp.flags==0x012" ip.src)" "${REMOTE_HOSTS[*]}"
    expect_eq "SYN-ACK ports" "$(vals "tcp.flags==0x012" tcp.srcport)" "$open"
    publish "nmap -sS -p $ports over $REMOTE_NET (256 hosts) from $SCAN4; ${REMOTE_HOSTS[*]} have 22/80/443 open, the other addresses are blackholed (no answer, nmap retransmits once)" \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn horizontal nmap 256 3 "$(jnums "$open")" "\"dst_net\":\"$REMOTE_NET\",\"live_hosts\":$(jstrs "${REMOTE_HOSTS[*]}")")]"
}

sc_nmap_slow_syn() {
    local cmd=(nmap -n -Pn -sS --scan-delay 1s -p 1-40 "$TGT4")
    cap_begin nmap-slow-syn
    run "${cmd[@]}"
    cap_end
    local open dur
    open=$(ports_in 1 40 "${TCP_OPEN[@]}")
    expect_eq "distinct probed ports" "$(ndistinct "ip.src#1==$SCAN4 && tcp.flags==0x002" tcp.dstport)" 40
    expect_eq "SYN-ACK ports" "$(vals "ip.src#1==$TGT4 && tcp.flags==0x012" tcp.srcport)" "$open"
    dur=$(fields "ip.src#1==$SCAN4 && tcp.flags==0x002" frame.time_relative | sort -g | sed -n '$p')
    expect_ge "seconds between first and last probe" "${dur%.*}" 35
    publish "slow nmap SYN scan: --scan-delay 1s -p 1-40 $TGT4 from $SCAN4, one probe per second, ~40 s of real time" \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical nmap 1 40 "$(jnums "$open")" "\"dst\":\"$TGT4\",\"probe_interval_s\":1")]"
}

# ---------------------------------------------------------------- other scanners
sc_masscan_syn() {
    local cmd=(masscan -p1-1000 "$TGT4" --rate 2000 --wait 2
        --adapter "$SCAN_IF" --adapter-ip "$SCAN4" --adapter-mac "$SCAN_MAC" --router-mac "$TGT_MAC")
    cap_begin masscan-syn
    # masscan 1.3.2's receive thread blocks in libpcap on an idle interface, so
    # after "--wait 2" it counts "waiting -1-secs, -2-secs, ..." forever and
    # ignores SIGINT. Run it in the background, stop the capture once its wait
    # is over, then unblock it with one packet from the target (not captured).
    nl_bg "$SCAN_NS" "$LOG/$CUR.log" "${cmd[@]}"
    local pid=$NL_LAST_PID i rc=0
    for ((i = 0; i < 600; i++)); do
        grep -q 'waiting -1-secs' "$LOG/$CUR.log" && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    cap_end
    if kill -0 "$pid" 2>/dev/null; then
        nl_lab_exec "$TGT_NS" ping -c1 -W1 "$SCAN4" >/dev/null || true
        for ((i = 0; i < 100; i++)); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            say "  note: masscan did not exit after its wait period; killed it (pid $pid)"
        fi
    fi
    wait "$pid" || rc=$?
    if ((rc != 0 && rc != 137)); then
        tr '\r' '\n' <"$LOG/$CUR.log" | tail -5 >&2
        die "masscan failed (exit $rc)"
    fi
    local open bad
    open=$(ports_in 1 1000 "${TCP_OPEN[@]}")
    expect_eq "distinct probed ports" "$(ndistinct "ip.src#1==$SCAN4 && tcp.flags==0x002" tcp.dstport)" 1000
    expect_eq "SYN-ACK ports" "$(vals "ip.src#1==$TGT4 && tcp.flags==0x012" tcp.srcport)" "$open"
    # masscan fingerprint: ip.id == (dst_ip ^ dst_port ^ seq) & 0xffff
    bad=$(tshark -r "$CAP" -Y "ip.src#1==$SCAN4 && tcp.flags==0x002" -T fields \
        -e ip.id -e ip.dst -e tcp.dstport -e tcp.seq_raw 2>/dev/null | "$PY" -c '
import ipaddress, sys
bad = 0
for line in sys.stdin:
    ipid, dst, dport, seq = line.split()
    want = (int(ipaddress.IPv4Address(dst)) ^ int(dport) ^ int(seq)) & 0xFFFF
    bad += int(ipid, 0) != want
print(bad)')
    expect_eq "SYNs violating masscan ip.id formula" "$bad" 0
    publish "masscan -p1-1000 $TGT4 --rate 2000 from $SCAN4 via its own user-space stack on $SCAN_IF: one fixed source port, TTL 255, window 1024, no TCP options, IP id = (dst ^ dport ^ seq) & 0xffff; masscan answers every RST/ACK and SYN-ACK with its own RST (window 1200) and the scanner kernel also resets the SYN-ACKs (window 0)" \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical masscan 1 1000 "$(jnums "$open")" "\"dst\":\"$TGT4\"")]"
}

sc_hping3_syn() {
    local cmd=(hping3 -I "$SCAN_IF" -S -p ++1 -c 300 -i u1000 "$TGT4")
    cap_begin hping3-syn
    run "${cmd[@]}"
    cap_end
    local open
    open=$(ports_in 1 300 "${TCP_OPEN[@]}")
    expect_eq "distinct probed ports" "$(ndistinct "ip.src#1==$SCAN4 && tcp.flags==0x002" tcp.dstport)" 300
    expect_eq "probe windows" "$(vals "ip.src#1==$SCAN4 && tcp.flags==0x002" tcp.window_size_value)" 512
    expect_eq "SYN-ACK ports" "$(vals "ip.src#1==$TGT4 && tcp.flags==0x012" tcp.srcport)" "$open"
    publish "hping3 -S -p ++1 -c 300 -i u1000 $TGT4 from $SCAN4: SYNs to ports 1..300, 1 ms apart, window 512, no TCP options, source port incrementing; no tool fingerprint claimed (tool null)" \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn vertical null 1 300 "$(jnums "$open")" "\"dst\":\"$TGT4\"")]"
}

sc_zmap_syn() {
    if [[ -z $HAVE_ZMAP ]]; then
        say "zmap-syn.pcap                skipped: zmap not installed (apt-get install -y zmap)"
        return 0
    fi
    # zmap's default blocklist (/etc/zmap/blacklist.conf) excludes 198.18.0.0/15,
    # so give it an empty config and blocklist; the target range is the argument.
    : >"$TMP/zmap.conf"
    : >"$TMP/zmap-blocklist.conf"
    local cmd=(zmap -C "$TMP/zmap.conf" -b "$TMP/zmap-blocklist.conf" -p 80 -i "$SCAN_IF" -G "$TGT_MAC" -S "$SCAN4"
        -r 200 -n 256 -c 2 -q --disable-syslog -o "$TMP/zmap-results.csv" "$REMOTE_NET")
    cap_begin zmap-syn
    run "${cmd[@]}"
    cap_end
    expect_eq "distinct SYN targets" "$(ndistinct "ip.src#1==$SCAN4 && tcp.flags==0x002 && tcp.dstport==80" ip.dst)" 256
    expect_eq "probe IP ids" "$(vals "ip.src#1==$SCAN4 && tcp.flags==0x002" ip.id)" 0xd431
    expect_eq "hosts answering SYN-ACK" "$(vals "tcp.flags==0x012" ip.src)" "${REMOTE_HOSTS[*]}"
    publish "zmap -p 80 over $REMOTE_NET (256 addresses, 200 pps) from $SCAN4 via router $TGT4; IP id 54321 on every probe" \
        "${cmd[*]}" "[$(det "$SCAN4" tcp-syn horizontal zmap 256 1 '[80]' "\"dst_net\":\"$REMOTE_NET\",\"live_hosts\":$(jstrs "${REMOTE_HOSTS[*]}")")]"
}

# ---------------------------------------------------------------- benign traffic
sc_benign_web_client() {
    local i paths=(/ /index.html /style.css /app.js /api/status.json)
    cap_begin benign-web-client
    for ((i = 0; i < 120; i++)); do
        run curl -s -o /dev/null --max-time 5 "http://$TGT4${paths[i % 5]}"
    done
    for ((i = 0; i < 80; i++)); do
        run curl -s -o /dev/null --max-time 5 "http://$TGT4:8080${paths[i % 5]}"
    done
    cap_end
    expect_eq "connections to :80" "$(count "ip.src#1==$SCAN4 && tcp.flags==0x002 && tcp.dstport==80")" 120
    expect_eq "connections to :8080" "$(count "ip.src#1==$SCAN4 && tcp.flags==0x002 && tcp.dstport==8080")" 80
    expect_eq "HTTP 200 responses" "$(count "http.response.code==200")" 200
    publish "benign: one client ($SCAN4) fetching 200 pages with curl, 120 from $TGT4:80 and 80 from $TGT4:8080, one TCP connection each" \
        "for i in \$(seq 0 119); do curl -s -o /dev/null --max-time 5 http://$TGT4/<path>; done; for i in \$(seq 0 79); do curl -s -o /dev/null --max-time 5 http://$TGT4:8080/<path>; done  (path cycles / /index.html /style.css /app.js /api/status.json)" \
        '[]'
}

sc_benign_dns() {
    local i
    cap_begin benign-dns
    for ((i = 1; i <= 200; i++)); do
        run dig @"$TGT4" +time=2 +tries=1 +short "host$i.scanwatch.test" A
    done
    cap_end
    expect_eq "DNS queries" "$(count "ip.src#1==$SCAN4 && dns.flags.response==0 && udp.dstport==53")" 200
    expect_eq "DNS responses" "$(count "ip.src#1==$TGT4 && dns.flags.response==1 && udp.srcport==53")" 200
    publish "benign: 200 DNS A queries (dig, one per name, random source ports) from $SCAN4 to the resolver on $TGT4:53, every one answered" \
        "for i in \$(seq 1 200); do dig @$TGT4 +time=2 +tries=1 +short host\$i.scanwatch.test A; done" '[]'
}

sc_benign_retry_closed_port() {
    local cmd=("$PY" -m lab.traffic retry "$TGT4" "$CLOSED_PORT" 30 0.3)
    cap_begin benign-retry-closed-port
    run "${cmd[@]}"
    cap_end
    expect_eq "SYNs to the closed port" "$(count "ip.src#1==$SCAN4 && tcp.flags==0x002 && tcp.dstport==$CLOSED_PORT")" 30
    expect_eq "RSTs from the closed port" "$(count "ip.src#1==$TGT4 && tcp.flags.reset==1 && tcp.srcport==$CLOSED_PORT")" 30
    publish "benign: a client on $SCAN4 retrying connect() to closed port $TGT4:$CLOSED_PORT 30 times, 0.3 s apart (SYN -> RST/ACK each time)" \
        "python3 lab.py retry $TGT4 $CLOSED_PORT 30 0.3  (30x socket.connect, ConnectionRefused, sleep 0.3)" '[]'
}

sc_benign_few_services() {
    local cmd=("$PY" -m lab.traffic few "$TGT4" 3)
    cap_begin benign-few-services
    run "${cmd[@]}"
    cap_end
    expect_eq "ports connected" "$(vals "ip.src#1==$SCAN4 && tcp.flags==0x002" tcp.dstport)" "22 80 443 8080"
    expect_eq "connections" "$(count "ip.src#1==$SCAN4 && tcp.flags==0x002")" 12
    expect_ge "server payload packets" "$(count "ip.src#1==$TGT4 && tcp.len>0")" 12
    publish "benign: $SCAN4 uses the services on $TGT4 three rounds, 1 s apart: ssh banner exchange on 22, HTTP GET on 80 and 8080, a TLS-like exchange on 443" \
        "python3 lab.py few $TGT4 3  (per round: tcp/22 banner+kex blob, GET http://$TGT4/index.html, tcp/443 hello blob, GET http://$TGT4:8080/api/status.json)" '[]'
}

sc_benign_ping() {
    local cmd=(ping -c 20 -i 0.2 "$TGT4")
    cap_begin benign-ping
    run "${cmd[@]}"
    cap_end
    expect_eq "echo requests" "$(count "ip.src#1==$SCAN4 && icmp.type==8")" 20
    expect_eq "echo replies" "$(count "ip.src#1==$TGT4 && icmp.type==0")" 20
    publish "benign: ping -c 20 to a single host ($TGT4) from $SCAN4" "${cmd[*]}" '[]'
}

# ---------------------------------------------------------------- main
say "building lab: namespaces $SCAN_NS (scanner) and $TGT_NS (target), output $OUT"
build_lab
for s in "${SELECTED[@]}"; do
    "sc_${s//-/_}"
done
say "all requested fixtures recorded in $OUT"
