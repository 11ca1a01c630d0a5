#!/usr/bin/env bash
# Record the adversary fixtures in test/pcaps/adversary/ (see its README) in
# a lab of network namespaces; the scenarios are the table in
# scripts/lab/evasion_scenarios.py, the lab is the python package scripts/lab.
#
#   sudo bash scripts/record-evasion-fixtures.sh                  # everything
#   sudo bash scripts/record-evasion-fixtures.sh evasion-trim12   # only these
#   sudo bash scripts/record-evasion-fixtures.sh --out DIR NAME   # somewhere else
#   bash scripts/record-evasion-fixtures.sh --list
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3: python3-scapy is installed for it
PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -m lab.record evasion "$@"
