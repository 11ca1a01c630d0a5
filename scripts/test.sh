#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite. Ends with the line
# "N passed, N failed" taken from vitest's own JSON report (skipped tests,
# if any, on the line before).
set -uo pipefail
cd "$(dirname "$0")/.."
# The tests also need: real scanners and replay for the live end-to-end
# tests (run inside network namespaces the tests create), iproute2 for
# those namespaces, Prometheus and promtool, systemd-analyze, curl; systemd
# itself (the manager, systemctl, journalctl) and util-linux (unshare,
# nsenter) for test/e2e/systemd-unit.test.ts, which boots a private systemd.
SCANWATCH_EXTRA_PACKAGES="nmap masscan nftables tcpreplay python3-scapy iproute2 iputils-ping procps ethtool socat prometheus systemd curl util-linux chromium" bash scripts/setup.sh || exit 1

# The shared real-capture corpus adds tests where it is present (test/corpus-dir.ts).
if [ ! -f ../shared/corpus/real/truth.json ]; then
  if [ "${SHARED_CORPUS_REQUIRED:-}" = 1 ]; then
    echo "test: ../shared/corpus/real is required here (SHARED_CORPUS_REQUIRED=1) and missing" >&2
  else
    echo "test: the real-capture corpus tests do not run: ../shared/corpus/real is not beside this clone (CI has it)" >&2
  fi
fi

report=$(mktemp /tmp/scanwatch-vitest.XXXXXX.json)
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
node -e '
  const fs = require("fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 passed, 1 failed"); process.exit(0); }
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  if (skipped) console.log(`${skipped} skipped`);
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report"
rm -f "$report"
exit $status
