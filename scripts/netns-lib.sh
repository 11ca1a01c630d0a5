#!/usr/bin/env bash
# netns-lib.sh - small bash library for building a throw-away network lab out
# of Linux network namespaces and veth pairs, capturing inside it with tcpdump
# and tearing everything down again.
#
# Usage (from another bash script, as root):
#
#   source scripts/netns-lib.sh
#   nl_install_trap                      # teardown on EXIT / INT / TERM
#   nl_ns_add scan-$$ ; nl_ns_add tgt-$$
#   nl_veth scan-$$ scan0 02:00:c6:12:00:01  tgt-$$ tgt0 02:00:c6:12:00:02
#   nl_addr scan-$$ scan0 198.18.0.1/24 ; nl_addr tgt-$$ tgt0 198.18.0.2/24
#   nl_capture_start tgt-$$ tgt0 /tmp/x.pcap
#   nl_lab_exec scan-$$ nmap -n -Pn -sS -p 1-100 198.18.0.2
#   nl_capture_stop
#
# Safety model
#   * Every namespace is created by nl_ns_add and remembered in NL_NAMESPACES;
#     nl_teardown (installed on EXIT by nl_install_trap) kills the processes
#     left inside those namespaces and deletes them, also after a failure.
#   * veth pairs are created from *inside* a lab namespace with the peer placed
#     directly into the other lab namespace, so no interface ever exists in the
#     root namespace.
#   * nl_addr only accepts addresses from 198.18.0.0/15 and 2001:db8::/32.
#   * nl_lab_exec refuses to run a command in a namespace that this library did
#     not create, and refuses any argument that contains an IPv4/IPv6 address
#     outside 198.18.0.0/15 / 2001:db8::/32 other than a few link-scoped
#     discovery multicast groups (nl_lab_group_ok).
#
# All functions are prefixed nl_. Global state is prefixed NL_.

if [[ -n "${NL_LIB_LOADED:-}" ]]; then
    return 0
fi
NL_LIB_LOADED=1

NL_NAMESPACES=()   # namespaces created by this shell (deleted by nl_teardown)
NL_PIDS=()         # background processes started by this shell
NL_TMPDIR=""       # scratch directory (removed by nl_teardown)
NL_CAP_PID=""      # pid of the running tcpdump (one capture at a time)
NL_CAP_FILE=""
NL_CAP_ERR=""
NL_CAP_PACKETS=""  # "packets captured" reported by the last stopped tcpdump
NL_TORN_DOWN=""

nl_log() { printf '[netns-lib] %s\n' "$*" >&2; }
nl_die() {
    printf '[netns-lib] ERROR: %s\n' "$*" >&2
    exit 1
}

# nl_require_root: abort unless running as uid 0.
nl_require_root() {
    [[ $(id -u) -eq 0 ]] || nl_die "must run as root (try: sudo bash $0)"
}

# nl_require_cmd CMD DEBIAN-PACKAGE: abort with an install hint if CMD is missing.
nl_require_cmd() {
    local cmd=$1 pkg=$2
    command -v "$cmd" >/dev/null 2>&1 ||
        nl_die "'$cmd' not found - install it with: apt-get install -y $pkg"
}

# nl_have_cmd CMD: true if CMD exists (for optional tools).
nl_have_cmd() { command -v "$1" >/dev/null 2>&1; }

# nl_tmpdir: create (once) and print the scratch directory.
nl_tmpdir() {
    if [[ -z "$NL_TMPDIR" ]]; then
        NL_TMPDIR=$(mktemp -d /tmp/netns-lab.XXXXXX)
    fi
    printf '%s\n' "$NL_TMPDIR"
}

# --------------------------------------------------------------------------
# address safety
# --------------------------------------------------------------------------

# nl_lab_ipv4_ok ADDR: ADDR (no prefix) is inside 198.18.0.0/15.
nl_lab_ipv4_ok() {
    local a=$1 o1 o2 o3 o4
    [[ $a =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
    o1=${BASH_REMATCH[1]} o2=${BASH_REMATCH[2]} o3=${BASH_REMATCH[3]} o4=${BASH_REMATCH[4]}
    ((10#$o3 <= 255 && 10#$o4 <= 255)) || return 1
    [[ $((10#$o1)) -eq 198 && ($((10#$o2)) -eq 18 || $((10#$o2)) -eq 19) ]]
}

# nl_lab_ipv6_ok ADDR: ADDR (no prefix) is inside 2001:db8::/32.
nl_lab_ipv6_ok() {
    local a=${1,,}
    [[ $a =~ ^2001:0?db8(:|$) ]]
}

# nl_lab_group_ok ADDR: one of the link-scoped multicast groups that lab
# discovery protocols use ON the lab link (never routed: no lab namespace
# forwards multicast and none has a link outside the lab). Only these, so a
# typo cannot open the lab to the world:
#   224.0.0.251 / ff02::fb    mDNS (RFC 6762)
#   224.0.0.252 / ff02::1:3   LLMNR (RFC 4795)
#   239.255.255.250           SSDP (UPnP) and WS-Discovery; organisation-local
#                             scope, sent here with TTL 1-2 on a link that has
#                             no multicast router
#   ff02::1                   all-nodes (link-local scope)
# Broadcasts use the lab subnet's own broadcast address (198.18.0.255),
# which nl_lab_ipv4_ok already accepts.
nl_lab_group_ok() {
    case ${1,,} in
    224.0.0.251 | 224.0.0.252 | 239.255.255.250 | ff02::fb | ff02::1:3 | ff02::1) return 0 ;;
    esac
    return 1
}

# nl_lab_addr_ok ADDR[/PREFIX]: either family, prefix ignored.
nl_lab_addr_ok() {
    local a=${1%%/*}
    if [[ $a == *:* ]]; then nl_lab_ipv6_ok "$a"; else nl_lab_ipv4_ok "$a"; fi
}

# nl_check_args ARG...: die if any argument contains an IPv4 or IPv6 address
# outside the lab ranges. Addresses are found anywhere inside an argument
# (URLs, --opt=ADDR, CIDR blocks). MAC addresses are recognised and allowed.
nl_check_args() {
    local arg tok
    for arg in "$@"; do
        # IPv4 dotted quads anywhere in the argument
        while read -r tok; do
            [[ -z $tok ]] && continue
            nl_lab_ipv4_ok "$tok" || nl_lab_group_ok "$tok" || nl_die "refusing non-lab IPv4 address '$tok' in argument '$arg'"
        done < <(grep -oE '[0-9]{1,3}(\.[0-9]{1,3}){3}' <<<"$arg" || true)
        # colon-separated hex groups: IPv6 addresses or MAC addresses
        while read -r tok; do
            [[ -z $tok ]] && continue
            [[ ${tok,,} =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] && continue # MAC
            [[ $tok == "::" ]] && continue                                 # unspecified (bind)
            nl_lab_ipv6_ok "$tok" || nl_lab_group_ok "$tok" || nl_die "refusing non-lab IPv6 address '$tok' in argument '$arg'"
        done < <(grep -oE '[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f]{0,4}){2,7}' <<<"$arg" || true)
    done
}

# --------------------------------------------------------------------------
# namespaces, links, addresses
# --------------------------------------------------------------------------

# nl_is_lab_ns NAME: NAME was created by nl_ns_add in this shell.
nl_is_lab_ns() {
    local ns
    for ns in "${NL_NAMESPACES[@]}"; do
        [[ $ns == "$1" ]] && return 0
    done
    return 1
}

nl_assert_lab_ns() {
    nl_is_lab_ns "$1" || nl_die "namespace '$1' was not created by this script; refusing to use it"
}

# nl_ns_add NAME: create a namespace, bring lo up, keep IPv6 quiet
# (no router solicitations / RA processing) so captures hold only lab traffic.
nl_ns_add() {
    local ns=$1
    [[ $ns =~ ^[A-Za-z0-9_.-]{1,64}$ ]] || nl_die "bad namespace name '$ns'"
    if ip netns list | awk '{print $1}' | grep -qxF "$ns"; then
        nl_die "namespace '$ns' already exists (another run?); refusing to reuse it"
    fi
    ip netns add "$ns"
    NL_NAMESPACES+=("$ns")
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw \
        net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
        net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
        >/dev/null
}

# nl_ns_del NAME: delete one lab namespace before the end of the run (kills
# what still runs inside it first). Scripts that build a fresh lab per
# scenario use it; nl_teardown still deletes whatever is left on exit.
nl_ns_del() {
    local ns=$1 p keep=() n
    nl_assert_lab_ns "$ns"
    for p in $(ip netns pids "$ns" 2>/dev/null); do
        kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$ns" 2>/dev/null || nl_log "could not delete namespace $ns"
    for n in "${NL_NAMESPACES[@]}"; do
        [[ $n == "$ns" ]] || keep+=("$n")
    done
    NL_NAMESPACES=("${keep[@]}")
}

# nl_veth NS1 IF1 MAC1 NS2 IF2 MAC2: veth pair between two lab namespaces.
# MACs may be "" for random ones. Both ends are brought up.
nl_veth() {
    local ns1=$1 if1=$2 mac1=$3 ns2=$4 if2=$5 mac2=$6
    nl_assert_lab_ns "$ns1"
    nl_assert_lab_ns "$ns2"
    local a1=() a2=()
    [[ -n $mac1 ]] && a1=(address "$mac1")
    [[ -n $mac2 ]] && a2=(address "$mac2")
    # created from inside ns1, peer goes straight into ns2: never in the root ns
    ip -n "$ns1" link add "$if1" "${a1[@]}" type veth peer name "$if2" "${a2[@]}" netns "$ns2"
    ip -n "$ns1" link set "$if1" up
    ip -n "$ns2" link set "$if2" up
}

# nl_offload_off NS IF: turn off checksum and segmentation offload on a veth
# end so captured packets carry real checksums and MTU-sized segments
# (otherwise locally sent packets show "incorrect" checksums and TSO/GSO
# super-segments in captures). Needs ethtool.
nl_offload_off() {
    nl_assert_lab_ns "$1"
    ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
        ip netns exec "$1" ethtool -K "$2" tx off rx off >/dev/null
}

# nl_addr NS IF ADDR/PREFIX...: add lab addresses; IPv6 ones without DAD.
nl_addr() {
    local ns=$1 dev=$2 a
    shift 2
    nl_assert_lab_ns "$ns"
    for a in "$@"; do
        nl_lab_addr_ok "$a" || nl_die "address '$a' is outside 198.18.0.0/15 and 2001:db8::/32"
        if [[ $a == *:* ]]; then
            ip -n "$ns" -6 addr add "$a" dev "$dev" nodad
        else
            ip -n "$ns" addr add "$a" dev "$dev"
        fi
    done
}

# nl_route NS ROUTE-ARGS...: `ip route add` inside NS (all addresses checked).
nl_route() {
    local ns=$1
    shift
    nl_assert_lab_ns "$ns"
    nl_check_args "$@"
    if [[ "$*" == *:* ]]; then ip -n "$ns" -6 route add "$@"; else ip -n "$ns" route add "$@"; fi
}

# nl_neigh NS IF ADDR MAC: permanent neighbour entry (no ARP/ND needed).
nl_neigh() {
    nl_assert_lab_ns "$1"
    nl_lab_addr_ok "$3" || nl_die "neighbour '$3' is not a lab address"
    ip -n "$1" neigh replace "$3" lladdr "$4" dev "$2" nud permanent
}

# nl_sysctl NS KEY=VALUE...: set sysctls inside NS only.
nl_sysctl() {
    local ns=$1
    shift
    nl_assert_lab_ns "$ns"
    ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

# nl_mac NS IF: print the MAC address of IF.
nl_mac() {
    ip -n "$1" -br link show dev "$2" | awk '{print $3}'
}

# --------------------------------------------------------------------------
# running things inside the lab
# --------------------------------------------------------------------------

# nl_lab_exec NS CMD...: run CMD inside lab namespace NS (foreground) after
# checking that every address in its arguments belongs to the lab.
nl_lab_exec() {
    local ns=$1
    shift
    nl_assert_lab_ns "$ns"
    nl_check_args "$@"
    ip netns exec "$ns" "$@"
}

# nl_bg NS LOGFILE CMD...: start CMD in the background inside NS.
# Its pid is remembered (killed by nl_teardown) and left in NL_LAST_PID.
nl_bg() {
    local ns=$1 log=$2
    shift 2
    nl_assert_lab_ns "$ns"
    nl_check_args "$@"
    ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
    NL_LAST_PID=$!
    NL_PIDS+=("$NL_LAST_PID")
}

# nl_wait_listen NS tcp|udp PORT [TIMEOUT_S]: wait until a socket listens.
nl_wait_listen() {
    local ns=$1 proto=$2 port=$3 timeout=${4:-10} i flag
    [[ $proto == tcp ]] && flag=-Hltn || flag=-Hlun
    for ((i = 0; i < timeout * 10; i++)); do
        if [[ -n $(ip netns exec "$ns" ss "$flag" "sport = :$port" 2>/dev/null) ]]; then
            return 0
        fi
        sleep 0.1
    done
    nl_die "nothing listening on $proto/$port in $ns after ${timeout}s"
}

# --------------------------------------------------------------------------
# capture
# --------------------------------------------------------------------------

# nl_capture_start NS IF FILE [BPF-FILTER...]
# Starts `tcpdump -U -s 0 -B 16384 -w FILE` on IF inside NS and returns only
# once tcpdump has opened the interface and written the pcap header, i.e. it
# is really capturing.
# Not --immediate-mode: with -s 0 libpcap then falls back to a TPACKET_V2 ring
# of 256 KiB frames (8 frames in the default 2 MiB buffer) and drops most of
# a fast scan. The default TPACKET_V3 ring hands packets over in blocks that
# the kernel retires after tcpdump's 1 s timeout, hence the linger in
# nl_capture_stop.
nl_capture_start() {
    local ns=$1 dev=$2 file=$3 i
    shift 3
    nl_assert_lab_ns "$ns"
    [[ -z $NL_CAP_PID ]] || nl_die "a capture is already running ($NL_CAP_FILE)"
    nl_tmpdir >/dev/null
    rm -f "$file"
    NL_CAP_FILE=$file
    NL_CAP_ERR="$NL_TMPDIR/tcpdump.$(basename "$file").err"
    : >"$NL_CAP_ERR"
    ip netns exec "$ns" tcpdump -i "$dev" -n -U -s 0 -B 16384 -Z root \
        -w "$file" "$@" 2>"$NL_CAP_ERR" </dev/null &
    NL_CAP_PID=$!
    NL_PIDS+=("$NL_CAP_PID")
    for ((i = 0; i < 100; i++)); do
        if ! kill -0 "$NL_CAP_PID" 2>/dev/null; then
            cat "$NL_CAP_ERR" >&2
            NL_CAP_PID=""
            nl_die "tcpdump exited before it started listening on $ns/$dev"
        fi
        if grep -q 'listening on' "$NL_CAP_ERR" && [[ -s $file ]] &&
            (($(stat -c %s "$file") >= 24)); then
            sleep 0.2 # belt and braces: let the socket settle
            return 0
        fi
        sleep 0.1
    done
    nl_die "tcpdump on $ns/$dev did not start listening within 10s"
}

# nl_capture_stop [LINGER_S]: wait LINGER_S (default 2, keep it > 1 so the
# last ring block is retired) for late replies, stop tcpdump with SIGINT (it
# flushes and closes the file) and wait for it. Fails if the kernel dropped
# packets or if the filter saw packets that did not reach the file.
# Leaves the packet count in NL_CAP_PACKETS.
nl_capture_stop() {
    local linger=${1:-2} pid=$NL_CAP_PID dropped received
    [[ -n $pid ]] || nl_die "no capture running"
    sleep "$linger"
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    NL_CAP_PID=""
    NL_CAP_PACKETS=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} captured.*/\1/p' "$NL_CAP_ERR")
    dropped=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} dropped by kernel.*/\1/p' "$NL_CAP_ERR")
    received=$(sed -n 's/^\([0-9][0-9]*\) packets\{0,1\} received by filter.*/\1/p' "$NL_CAP_ERR")
    [[ -n $NL_CAP_PACKETS ]] || {
        cat "$NL_CAP_ERR" >&2
        nl_die "tcpdump did not report its statistics for $NL_CAP_FILE"
    }
    [[ ${dropped:-0} -eq 0 ]] || nl_die "tcpdump dropped $dropped packets while writing $NL_CAP_FILE"
    [[ ${received:-0} -eq $NL_CAP_PACKETS ]] ||
        nl_die "capture $NL_CAP_FILE incomplete: $received packets seen, $NL_CAP_PACKETS written (packets arrived during the stop)"
}

# --------------------------------------------------------------------------
# teardown
# --------------------------------------------------------------------------

# nl_teardown: stop the capture and background processes, kill whatever is
# still running inside our namespaces (all of it was started by us), delete
# the namespaces and the scratch directory. Safe to call more than once.
nl_teardown() {
    local pid ns p
    [[ -n $NL_TORN_DOWN ]] && return 0
    NL_TORN_DOWN=1
    set +e
    if [[ -n $NL_CAP_PID ]]; then
        kill -INT "$NL_CAP_PID" 2>/dev/null
        wait "$NL_CAP_PID" 2>/dev/null
        NL_CAP_PID=""
    fi
    for pid in "${NL_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${NL_PIDS[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for ns in "${NL_NAMESPACES[@]}"; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$p" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null || nl_log "could not delete namespace $ns"
    done
    NL_NAMESPACES=()
    if [[ -n $NL_TMPDIR && -d $NL_TMPDIR ]]; then
        rm -rf "$NL_TMPDIR"
    fi
    return 0
}

# nl_install_trap: tear the lab down on any exit (success, error, Ctrl-C).
nl_install_trap() {
    trap 'nl_teardown' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}
