"""expected.json files: pretty JSON with short lists kept on one line."""
import json
import re
import sys


def dumps(doc):
    text = json.dumps(doc, indent=2)
    return re.sub(r"\[\s+([^\[\]{}]*?)\s+\]",
                  lambda m: "[" + ", ".join(x.strip() for x in m.group(1).split(",")) + "]", text) + "\n"


def write(path, doc):
    with open(path, "w") as f:
        f.write(dumps(doc))


def det(src, type_, pattern, tool, targets, ports, open_ports, **extra):
    """One expected detection, keys in the order the test and the files use."""
    d = {"src": src, "type": type_, "pattern": pattern, "tool": tool, "targets": targets, "ports": ports,
         "open_ports": open_ports}
    d.update(extra)
    return d


def fixtures_doc(name, description, command, detections, services, notes=""):
    """record-fixtures.sh's shape: with the lab's scanner and capture point."""
    doc = {"name": name, "description": description, "command": command,
           "scanner": "198.18.0.1 / 2001:db8::1", "capture": "tgt0 (target side of the veth, 198.18.0.2)",
           "target_services": json.loads(services), "detections": json.loads(detections)}
    if notes:
        doc["notes"] = notes
    return doc


if __name__ == "__main__":
    # python3 -m lab.expected fixtures PATH NAME DESCRIPTION COMMAND DETECTIONS SERVICES [NOTES]
    if len(sys.argv) < 8 or sys.argv[1] != "fixtures":
        sys.exit("usage: python3 -m lab.expected fixtures PATH NAME DESCRIPTION COMMAND DETECTIONS SERVICES [NOTES]")
    write(sys.argv[2], fixtures_doc(*sys.argv[3:]))
