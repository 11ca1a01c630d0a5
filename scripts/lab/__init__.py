"""scanwatch's recording lab: network namespaces, target services, captures
and crafted traffic, shared by the fixture recorders in scripts/.

Run as root with scripts/ on PYTHONPATH and Debian's /usr/bin/python3 (for
python3-scapy), e.g. `PYTHONPATH=scripts python3 -m lab.record recon --list`.
Only 198.18.0.0/15 (RFC 2544 benchmarking) and 2001:db8::/32 (RFC 3849
documentation) are ever used; lab.netns refuses anything else.
"""
