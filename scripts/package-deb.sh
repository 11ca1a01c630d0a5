#!/usr/bin/env bash
# Builds dist/scanwatch_VERSION_ARCH.deb with dpkg-deb (npm run package:deb).
#
# Layout (Debian policy for an application with private modules):
#   /usr/lib/scanwatch/            the program: dist/, the libpcap binding
#                                  (build/Release), production node_modules,
#                                  prometheus/, grafana/, systemd/, examples/
#   /usr/bin/scanwatch             -> ../lib/scanwatch/dist/cli/main.js
#   /lib/systemd/system/scanwatch.service   the hardened unit, paths adjusted
#   /etc/scanwatch/scanwatch.env   settings (a conffile: upgrades keep your edits)
# The unit is not enabled: set SCANWATCH_INTERFACE first, then
#   systemctl enable --now scanwatch
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERSION=$(node -p 'require("./package.json").version')
ARCH=$(dpkg --print-architecture)
OUT=${1:-$ROOT/deb}
STAGE=$(mktemp -d /tmp/scanwatch-deb.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
PKG=$STAGE/pkg
LIB=$PKG/usr/lib/scanwatch

# The program, built from this tree (tsc output and the compiled binding).
[ -f dist/cli/main.js ] && [ -f build/Release/scanwatch_pcap.node ] || { echo "package-deb: run npm run build (and npm ci) first" >&2; exit 1; }
install -d "$LIB" "$PKG/usr/bin" "$PKG/lib/systemd/system" "$PKG/etc/scanwatch" "$PKG/DEBIAN" "$PKG/usr/share/doc/scanwatch"
cp -a dist "$LIB/"
install -D -m 0644 build/Release/scanwatch_pcap.node "$LIB/build/Release/scanwatch_pcap.node"
cp -a package.json package-lock.json README.md prometheus grafana systemd examples "$LIB/"
# Production dependencies only, exactly as locked; no install scripts (the binding is already built).
(cd "$LIB" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
ln -s ../lib/scanwatch/dist/cli/main.js "$PKG/usr/bin/scanwatch"

sed -e 's#/opt/scanwatch#/usr/lib/scanwatch#g' systemd/scanwatch.service > "$PKG/lib/systemd/system/scanwatch.service"
install -m 0644 systemd/scanwatch.env "$PKG/etc/scanwatch/scanwatch.env"
install -m 0644 README.md "$PKG/usr/share/doc/scanwatch/README.md"
echo /etc/scanwatch/scanwatch.env > "$PKG/DEBIAN/conffiles"

SIZE=$(du -sk --exclude=DEBIAN "$PKG" | cut -f1)
cat > "$PKG/DEBIAN/control" <<CONTROL
Package: scanwatch
Version: $VERSION
Architecture: $ARCH
Maintainer: scanwatch developers <scanwatch@localhost>
Installed-Size: $SIZE
Depends: nodejs (>= 20), libpcap0.8 (>= 1.10)
Section: net
Priority: optional
Homepage: https://github.com/scanwatch/scanwatch
Description: network reconnaissance sensor (port scans, ping and ARP sweeps)
 scanwatch finds port scans, ping and ARP sweeps in pcap/pcapng captures
 (scanwatch analyze) and live traffic (scanwatch live, a hardened systemd
 service logging detections as JSON lines and serving Prometheus metrics).
CONTROL
find "$PKG" -type d -exec chmod 0755 {} +
mkdir -p "$OUT"
DEB=$OUT/scanwatch_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group --build "$PKG" "$DEB" >/dev/null
echo "$DEB"
