#!/usr/bin/env python3
"""Prints the comparison table from hyperfine-shaped JSON files (hyperfine or timeit.py).

Usage: report.py [--markdown] [--baseline pave] TOOL=VERSION=FILE.json ...

Columns: median and min wall time, mean CPU (user + system, which a busy machine disturbs much
less than wall time), and each tool's median and CPU as a multiple of the baseline's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--baseline", default="pave")
    ap.add_argument("entries", nargs="+", metavar="TOOL=VERSION=FILE")
    args = ap.parse_args()

    rows = []
    for entry in args.entries:
        tool, version, path = entry.split("=", 2)
        with open(path) as f:
            r = json.load(f)["results"][0]
        times = r["times"]
        rows.append({
            "tool": tool,
            "version": version,
            "runs": len(times),
            "median": statistics.median(times) * 1000,
            "min": min(times) * 1000,
            "cpu": (r["user"] + r["system"]) * 1000,
        })
    base = next((r for r in rows if r["tool"] == args.baseline), rows[0])

    header = ["tool", "version", "runs", "median ms", "min ms", "CPU ms", "median ratio", "CPU ratio"]
    table = []
    for r in rows:
        table.append([
            r["tool"], r["version"], str(r["runs"]),
            f"{r['median']:.1f}", f"{r['min']:.1f}", f"{r['cpu']:.1f}",
            f"{r['median'] / base['median']:.1f}x", f"{r['cpu'] / base['cpu']:.1f}x",
        ])
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(" --- " if i < 2 else " ---: " for i in range(len(header))) + "|")
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
        fmt = lambda row: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        print(fmt(header))
        print("  ".join("-" * w for w in widths))
        for row in table:
            print(fmt(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
