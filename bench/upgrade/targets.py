#!/usr/bin/env python3
"""Checks the targets against the medians in RESULTS_DIR/{pave,copier,cruft}.json (a tool whose
file is missing, not timed in that run, is left out). Prints one line per target, met or missed,
with the figures.

  issue 4:  `pave upgrade` under 20 ms, at least 200x faster than `copier update`, 80x than
            `cruft update` (the ~50-file template)
  issue 13: at least 150x faster than `copier update`, 60x than `cruft update`; with --files N
            (N >= 1,000): a template of 1,000 files upgrades in under 100 ms

Usage: targets.py RESULTS_DIR [--files N]
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path


def median_ms(results: Path, tool: str) -> float | None:
    path = results / f"{tool}.json"
    if not path.exists():
        return None
    return statistics.median(json.loads(path.read_text())["results"][0]["times"]) * 1000


def cpu_ms(results: Path, tool: str) -> float | None:
    path = results / f"{tool}.json"
    if not path.exists():
        return None
    r = json.loads(path.read_text())["results"][0]  # user and system: means over the runs
    return (r["user"] + r["system"]) * 1000 if "user" in r else None


def main() -> int:
    args = sys.argv[1:]
    files = 0
    if len(args) == 3 and args[1] == "--files":
        files = int(args[2])
        args = args[:1]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    results = Path(args[0])
    pave, copier, cruft = (median_ms(results, t) for t in ("pave", "copier", "cruft"))
    word = lambda ok: "met   " if ok else "MISSED"
    if files:
        print(f"target {word(pave < 100)}  issue 13: a {files}-file template upgrades in under 100 ms: "
              f"median {pave:.1f} ms (CPU {cpu_ms(results, 'pave') or float('nan'):.1f} ms)")
    else:
        print(f"target {word(pave < 20)}  issue 4: pave upgrade under 20 ms: median {pave:.1f} ms")
    for tool, label, i4, i13 in (("copier", "copier update", 200, 150), ("cruft", "cruft update", 80, 60)):
        other = copier if tool == "copier" else cruft
        if other is None:
            continue
        ratio = other / pave
        cpu = (cpu_ms(results, tool) or 0) / (cpu_ms(results, "pave") or 1)
        for issue, goal in (("issue 4", i4), ("issue 13", i13)):
            print(f"target {word(ratio >= goal)}  {issue}: at least {goal}x faster than {label}: "
                  f"{ratio:.0f}x ({other:.0f} ms / {pave:.1f} ms; CPU ratio {cpu:.0f}x)")
    before = median_ms(results, "pave-before")
    if before is not None:
        print(f"before/after   pave-before (PAVE_BEFORE) median {before:.1f} ms, CPU {cpu_ms(results, 'pave-before'):.1f} ms; "
              f"pave {pave:.1f} ms, CPU {cpu_ms(results, 'pave'):.1f} ms: after/before {pave / before:.2f} (wall), "
              f"{cpu_ms(results, 'pave') / cpu_ms(results, 'pave-before'):.2f} (CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
