#!/bin/sh
# nft-block.sh: psad-style automatic blocking for `scanwatch live --on-detection`.
#
#   scanwatch live -i eth1 --on-detection "/usr/lib/scanwatch/examples/nft-block.sh --timeout 1h --allow 10.9.0.0/24"
#
# scanwatch runs it once per new scan, without a shell, with the scan's event
# (one JSON line, the fields of the scan_started log line) on standard input.
# It adds the scanning source to an nftables set with a timeout; a rule in
# the table's input chain drops everything from that set, so the scanner's
# later probes (and connections) never reach this host's services.
#
# Whoever can put packets on the monitored link can forge their source
# address. Blocking on a forged packet lets an attacker cut this host off
# from anyone (one NULL probe "from" your DNS resolver), or from itself
# (a probe "from" 127.0.0.1 blocks loopback: the sensor's own /metrics
# stops answering). So this script, like the sensor before it, acts only
# on a source that cannot have been forged and is not one of ours:
#
#   - the source is verified: the event's source_verified is true, meaning
#     the sensor saw it complete a TCP handshake (its ACK acknowledged the
#     target's SYN-ACK) or reset a SYN-ACK sent to it, which a blind
#     spoofer cannot do (--block-unverified overrides this; don't);
#   - the source is not loopback (127/8, ::1), link-local (169.254/16,
#     fe80::/10), multicast (224/4, ff00::/8), broadcast (255.255.255.255,
#     and any subnet broadcast of this host), unspecified (0/8, ::) or
#     IPv4-mapped (::ffff:0:0/96: no real IPv6 packet carries one);
#   - the source is not an address of this host (the kernel's own routing
#     answer, `ip route get`, says "local");
#   - the source is not inside the sensor's home net (the event's direction
#     is `internal` or `outbound`), unless --block-home-net is given:
#     blocking your own hosts on a false positive is worse than a scan;
#   - the source is not in an --allow CIDR (kept in the table's allow sets,
#     which the chain also accepts first, so an allow-listed host is never
#     dropped).
# It says why (syslog and stderr) and exits 0 without adding anything.
# The drop rules themselves never drop those address classes nor anything
# the kernel calls local, broadcast or multicast (nft fib), whatever the
# block sets hold.
#
# What verification does not stop: a spoofer who sends SYNs "from" a real
# host that answers our SYN-ACKs with a reset makes that host look like a
# half-open scanner. Keep partners and infrastructure in --allow, and keep
# --timeout short: every block expires (nftables set timeouts, like psad's
# AUTO_BLOCK_TIMEOUT); there is no permanent block.
#
# The sensor gives each source only its share of its hook queue (two events
# waiting per IPv4 address or IPv6 /64, verified sources first), so a
# flood of events cannot push a real scanner's event out.
#
# The event must begin with {"event":"scan_started","src":...,
# "source_verified":...,"direction":...: scanwatch writes these first, so
# no field of the detection can come before them; an event that does not
# is refused (exit 1).
#
# Options: --timeout DURATION (nft syntax, default 1h), --allow CIDR[,CIDR...]
# (repeatable), --block-home-net, --block-unverified, --table NAME (default
# scanwatch).
# Needs CAP_NET_ADMIN (the systemd unit grants only CAP_NET_RAW: see README).
set -eu

TABLE=scanwatch
TIMEOUT=1h
ALLOW=""
BLOCK_HOME=0
BLOCK_UNVERIFIED=0
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) TIMEOUT=${2:?--timeout needs a duration}; shift 2 ;;
    --allow) ALLOW="$ALLOW $(printf '%s' "${2:?--allow needs a CIDR}" | tr ',' ' ')"; shift 2 ;;
    --block-home-net) BLOCK_HOME=1; shift ;;
    --block-unverified) BLOCK_UNVERIFIED=1; shift ;;
    --table) TABLE=${2:?--table needs a name}; shift 2 ;;
    *) echo "nft-block.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
# A duration in nft's syntax (1h, 30m, 1d12h), never zero: every block expires.
if ! printf '%s' "$TIMEOUT" | grep -Eq '^([0-9]+[dhms])+$' || ! printf '%s' "$TIMEOUT" | grep -q '[1-9]'; then
  echo "nft-block.sh: bad --timeout $TIMEOUT (a duration such as 1h or 30m)" >&2; exit 2
fi
case "$TABLE" in *[!A-Za-z0-9_]*|'') echo "nft-block.sh: bad --table $TABLE" >&2; exit 2 ;; esac

say() {
  if command -v logger >/dev/null 2>&1; then logger -t scanwatch-nft-block -- "$*"; fi
  echo "nft-block.sh: $*" >&2
}

# The event's leading fields, read from the start of its first line only.
# Inside a JSON string a quote is escaped, so a forged value can never
# produce this prefix; and src holds hex digits, colons and dots only.
event=$(head -c 65536 | head -n 1)
fields=$(printf '%s\n' "$event" | sed -n 's/^{"event":"scan_started","src":"\([0-9A-Fa-f:.]\{2,45\}\)","source_verified":\([a-z]*\),"direction":"\([a-z]*\)"[,}].*$/\1 \2 \3/p')
if [ -z "$fields" ]; then
  echo "nft-block.sh: the event does not begin with event, src, source_verified and direction (scanwatch writes them first)" >&2
  exit 1
fi
src=$(printf '%s' "${fields%% *}" | tr 'A-F' 'a-f')
rest=${fields#* }
verified=${rest%% *}
direction=${rest#* }

# The address class, computed here from the text (not from any table that
# could have been emptied): prints fam4/fam6 and a class or "ok".
class=$(printf '%s\n' "$src" | awk '
  function group(s) { return s ~ /^[0-9a-f]+$/ && length(s) <= 4 }
  function hex(s,   i, v) { v = 0; for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; return v }
  function v4(a,   o, n, i) {
    n = split(a, o, ".")
    if (n != 4) return "bad"
    for (i = 1; i <= 4; i++) if (o[i] !~ /^[0-9]+$/ || o[i] + 0 > 255) return "bad"
    if (o[1] == 127) return "loopback"
    if (o[1] == 0) return "unspecified"
    if (o[1] == 169 && o[2] == 254) return "link-local"
    if (o[1] >= 224 && o[1] <= 239) return "multicast"
    if (o[1] == 255 && o[2] == 255 && o[3] == 255 && o[4] == 255) return "broadcast"
    return "ok"
  }
  function v6(a,   head, tail, h, t, nh, nt, g, i, n, dot, v4part) {
    dot = ""
    if (a ~ /\./) { dot = a; sub(/.*:/, "", dot); sub(/[^:]*$/, "0:0", a); if (v4(dot) == "bad") return "bad" }
    if (a ~ /::.*::/ || a ~ /:::/) return "bad"
    if (index(a, "::")) { head = substr(a, 1, index(a, "::") - 1); tail = substr(a, index(a, "::") + 2) } else { head = a; tail = ""; if (split(a, h, ":") != 8) return "bad" }
    nh = head == "" ? 0 : split(head, h, ":"); nt = tail == "" ? 0 : split(tail, t, ":")
    if (nh + nt > 8 || (index(a, "::") && nh + nt > 7)) return "bad"
    for (i = 1; i <= 8; i++) g[i] = 0
    for (i = 1; i <= nh; i++) { if (!group(h[i])) return "bad"; g[i] = hex(h[i]) }
    for (i = 1; i <= nt; i++) { if (!group(t[i])) return "bad"; g[8 - nt + i] = hex(t[i]) }
    n = 0; for (i = 1; i <= 7; i++) n += g[i]
    if (n == 0 && g[8] == 0) return "unspecified"
    if (n == 0 && g[8] == 1) return "loopback"
    if (g[1] + g[2] + g[3] + g[4] + g[5] == 0 && g[6] == 65535) return "ipv4-mapped"
    if (g[1] >= 65152 && g[1] <= 65215) return "link-local"
    if (g[1] >= 65280) return "multicast"
    return "ok"
  }
  { if (index($0, ":")) print "fam6 " v6($0); else print "fam4 " v4($0) }
')
fam=${class%% *}; fam=${fam#fam}
class=${class#* }
case "$class" in
  ok) ;;
  bad) echo "nft-block.sh: $src is not an IPv4 or IPv6 address" >&2; exit 1 ;;
  *) say "not blocking $src: $class address, which no remote scanner can have (a forged source)"; exit 0 ;;
esac
if [ "$verified" != true ] && [ "$BLOCK_UNVERIFIED" -eq 0 ]; then
  say "not blocking $src: source not verified (no completed exchange, may be forged); --block-unverified would"
  exit 0
fi
# This host's own addresses and subnet broadcasts: the kernel's answer for
# the address is "local"/"broadcast"/"multicast" (its local routing table).
# An address it cannot route at all is none of these; `ip` missing fails closed.
if ! command -v ip >/dev/null 2>&1; then
  echo "nft-block.sh: ip (iproute2) is needed to tell this host's own addresses apart; not blocking $src" >&2
  exit 1
fi
route=$(ip -o route get "$src" 2>/dev/null || true)
case "${route%% *}" in
  local|broadcast|multicast|anycast) say "not blocking $src: an address of this host (${route%% *})"; exit 0 ;;
esac
if [ "$BLOCK_HOME" -eq 0 ] && { [ "$direction" = internal ] || [ "$direction" = outbound ]; }; then
  say "not blocking $src: inside the home net (direction $direction); --block-home-net would"
  exit 0
fi

# The table, once (a lock keeps concurrent runs from creating it twice).
# The drop rules skip the never-blocked classes and whatever the kernel
# calls local, broadcast or multicast (fib), so no entry in the block sets,
# however it got there, can cut this host off from itself.
lock=${RUNTIME_DIRECTORY:-/tmp}/scanwatch-nft-block.lock
exec 9>"$lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if ! nft list table inet "$TABLE" >/dev/null 2>&1; then
  nft -f - <<NFT
table inet $TABLE {
  set allow4 { type ipv4_addr; flags interval; }
  set allow6 { type ipv6_addr; flags interval; }
  set block4 { type ipv4_addr; flags timeout; }
  set block6 { type ipv6_addr; flags timeout; }
  chain input {
    type filter hook input priority filter - 10; policy accept;
    ip saddr @allow4 accept
    ip6 saddr @allow6 accept
    ip saddr @block4 ip saddr != { 0.0.0.0/8, 127.0.0.0/8, 169.254.0.0/16, 224.0.0.0/4, 255.255.255.255 } fib saddr type != { local, broadcast, multicast } counter drop
    ip6 saddr @block6 ip6 saddr != { ::, ::1, ::ffff:0:0/96, fe80::/10, ff00::/8 } fib saddr type != { local, broadcast, multicast } counter drop
  }
}
NFT
fi
for cidr in $ALLOW; do
  case "$cidr" in *:*) nft add element inet "$TABLE" allow6 "{ $cidr }" ;; *) nft add element inet "$TABLE" allow4 "{ $cidr }" ;; esac
done
flock -u 9 2>/dev/null || true

if nft get element inet "$TABLE" "allow$fam" "{ $src }" >/dev/null 2>&1; then
  say "not blocking $src: allow-listed"
  exit 0
fi
nft add element inet "$TABLE" "block$fam" "{ $src timeout $TIMEOUT }"
say "blocked $src for $TIMEOUT"
