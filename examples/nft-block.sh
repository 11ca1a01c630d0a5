#!/bin/sh
# nft-block.sh: psad-style automatic blocking for `scanwatch live --on-detection`.
#
#   scanwatch live -i eth1 --on-detection "/usr/lib/scanwatch/examples/nft-block.sh --timeout 1h --allow 10.9.0.0/24"
#
# scanwatch runs it once per new scan, without a shell, with the scan's event
# (one JSON line, the fields of the scan_started log line) on standard input.
# It adds the scanning source to an nftables set with a timeout; a rule in
# the table's input chain drops everything from that set, so the scanner's
# later probes (and connections) never reach this host's services. Entries
# expire on their own (nftables set timeouts), like psad's AUTO_BLOCK_TIMEOUT.
#
# It refuses (logs and exits 0, adding nothing):
#   - a source in an --allow CIDR (kept in the table's allow sets, which the
#     chain also accepts first, so an allow-listed host is never dropped);
#   - a source inside the sensor's home net (the event's direction is
#     `internal` or `outbound`), unless --block-home-net is given: blocking
#     your own hosts on a false positive is worse than a scan.
#
# Options: --timeout DURATION (nft syntax, default 1h), --allow CIDR[,CIDR...]
# (repeatable), --block-home-net, --table NAME (default scanwatch).
# Needs CAP_NET_ADMIN (the systemd unit grants only CAP_NET_RAW: see README).
set -eu

TABLE=scanwatch
TIMEOUT=1h
ALLOW=""
BLOCK_HOME=0
while [ $# -gt 0 ]; do
  case "$1" in
    --timeout) TIMEOUT=${2:?--timeout needs a duration}; shift 2 ;;
    --allow) ALLOW="$ALLOW $(printf '%s' "${2:?--allow needs a CIDR}" | tr ',' ' ')"; shift 2 ;;
    --block-home-net) BLOCK_HOME=1; shift ;;
    --table) TABLE=${2:?--table needs a name}; shift 2 ;;
    *) echo "nft-block.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$TIMEOUT" in *[!0-9smhd]*|'') echo "nft-block.sh: bad --timeout $TIMEOUT" >&2; exit 2 ;; esac
case "$TABLE" in *[!A-Za-z0-9_]*|'') echo "nft-block.sh: bad --table $TABLE" >&2; exit 2 ;; esac

say() {
  if command -v logger >/dev/null 2>&1; then logger -t scanwatch-nft-block -- "$*"; fi
  echo "nft-block.sh: $*" >&2
}

# One JSON line from scanwatch; its src is a dotted IPv4 or RFC 5952 IPv6 text.
event=$(head -c 65536)
src=$(printf '%s' "$event" | sed -n 's/.*"src":"\([0-9A-Fa-f:.]*\)".*/\1/p')
direction=$(printf '%s' "$event" | sed -n 's/.*"direction":"\([a-z]*\)".*/\1/p')
case "$src" in
  *:*) fam=6 ;;
  *.*.*.*) fam=4 ;;
  *) echo "nft-block.sh: no source address in the event" >&2; exit 1 ;;
esac

# The table, once (a lock keeps concurrent runs from creating it twice).
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
    ip saddr @block4 counter drop
    ip6 saddr @block6 counter drop
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
if [ "$BLOCK_HOME" -eq 0 ] && { [ "$direction" = internal ] || [ "$direction" = outbound ]; }; then
  say "not blocking $src: inside the home net (direction $direction); --block-home-net would"
  exit 0
fi
nft add element inet "$TABLE" "block$fam" "{ $src timeout $TIMEOUT }"
say "blocked $src for $TIMEOUT"
