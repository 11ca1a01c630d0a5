#!/usr/bin/env bash
# Record the reconnaissance fixtures in test/pcaps/recon/ (see its README) in
# a lab of network namespaces; the scenarios are the table in
# scripts/lab/recon_scenarios.py, the lab is the python package scripts/lab.
#
#   sudo bash scripts/record-recon-fixtures.sh                 # everything
#   sudo bash scripts/record-recon-fixtures.sh frag-nmap-f     # only these
#   sudo bash scripts/record-recon-fixtures.sh --out DIR NAME  # somewhere else
#   bash scripts/record-recon-fixtures.sh --list
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Debian's python3: python3-scapy is installed for it
PYTHONPATH="$HERE${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -m lab.record recon "$@"
