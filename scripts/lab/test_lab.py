"""Checks of the lab that need neither root nor a lab:

  PYTHONPATH=scripts python3 -m unittest lab.test_lab

The scenario tables must reproduce the committed expected.json files byte for
byte (they are the ground truth; a change there is a change of a fixture),
and the address guard must refuse anything outside the lab ranges.
"""
import os
import tempfile
import unittest

from lab import expected, pcapfile, services
from lab.netns import LabError, check_args, lab_addr_ok
from lab.record import TABLES


class Tables(unittest.TestCase):
    def test_expected_files_match_the_committed_ones(self):
        for table, (module, fixtures) in TABLES.items():
            mod = __import__(module, fromlist=["SCENARIOS"])
            for sc in mod.SCENARIOS:
                for s in [sc, *sc.params.get("companions", {}).values()]:
                    doc = {"name": s.name, "description": s.description, "command": s.command,
                           "target_services": services.ports(mod.PROFILE), "detections": s.detections}
                    if s.options is not None:
                        doc["options"] = s.options
                    with open(os.path.join(fixtures, f"{s.name}.expected.json")) as f:
                        self.assertEqual(expected.dumps(doc), f.read(), f"{table}: {s.name}")

    def test_names_are_unique(self):
        for module, _ in TABLES.values():
            names = [s.name for s in __import__(module, fromlist=["SCENARIOS"]).SCENARIOS]
            self.assertEqual(len(names), len(set(names)), module)


class Guard(unittest.TestCase):
    def test_lab_addresses(self):
        for a in ("198.18.0.1", "198.19.255.254", "2001:db8::1", "2001:db8:100::2/64", "198.18.3.32/27"):
            self.assertTrue(lab_addr_ok(a), a)
        for a in ("198.17.255.255", "198.20.0.1", "10.0.0.1", "8.8.8.8", "2001:db9::1", "fe80::1", "::1"):
            self.assertFalse(lab_addr_ok(a), a)

    def test_arguments(self):
        check_args(["nmap", "-sI", "198.18.0.3:80", "-p", "1-100", "198.18.0.2", "--router-mac", "02:00:c6:12:00:02",
                    "2001:db8::20/123", "198.18.0.1=02:00:c6:12:00:01", "::", "ff02::1"])
        for bad in ("8.8.8.8", "http://192.0.2.1/", "--adapter-ip=10.0.0.1", "2001:4860::8888", "198.18.0.1,1.1.1.1"):
            with self.assertRaises(LabError, msg=bad):
                check_args(["nmap", bad])


class Pcap(unittest.TestCase):
    def test_write_read_retime(self):
        syn = (b"\x02\x00\xc6\x12\x00\x02\x02\x00\xc6\x12\x00\x01\x08\x00"
               + pcapfile.ipv4_header("198.18.0.1", "198.18.0.2", 6, 20, 1)
               + pcapfile.tcp_segment("198.18.0.1", "198.18.0.2", 40000, 22, 1, 0, 0x02))
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a.pcap"), os.path.join(d, "b.pcap")
            pcapfile.write_pcap(a, 1, [(10.0 + i, syn, len(syn)) for i in range(3)])
            pcapfile.retime_rounds(a, b, "198.18.0.1", 2, 60, 5, "syn")
            _, pkts = pcapfile.read_pcap(b)
            self.assertEqual([round(p[0], 6) for p in pkts], [10.0, 15.0, 70.0])
            self.assertEqual(pkts[0][1], syn)


if __name__ == "__main__":
    unittest.main()
