#!/usr/bin/env bash
# Installs what scanwatch needs on a fresh Debian machine with Node 20, then
# builds it. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# libpcap-dev and a compiler build scanwatch's libpcap binding (native/,
# binding.gyp: node-gyp runs during npm ci) for live capture; tcpdump
# and GNU time are used by `npm run bench`. Extra packages may be named in
# SCANWATCH_EXTRA_PACKAGES (scripts/test.sh adds what the tests need).
packages=(libpcap-dev g++ make python3 tcpdump time ${SCANWATCH_EXTRA_PACKAGES:-})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

node -e 'const [maj] = process.versions.node.split(".").map(Number); if (maj < 20) { console.error(`setup: Node ${process.version} is too old; scanwatch needs Node 20 or later`); process.exit(1); }'
npm ci --no-audit --no-fund --loglevel=error
npm run --silent build
