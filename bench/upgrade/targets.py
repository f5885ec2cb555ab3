#!/usr/bin/env python3
"""Checks issue 4's targets against the medians in RESULTS_DIR/{pave,copier,cruft}.json:
`pave upgrade` under 20 ms, at least 200x faster than `copier update` and 80x faster than
`cruft update`. Prints one line per target, met or missed, with the figures.

Usage: targets.py RESULTS_DIR
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


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    results = Path(sys.argv[1])
    pave, copier, cruft = (median_ms(results, t) for t in ("pave", "copier", "cruft"))
    word = lambda ok: "met   " if ok else "MISSED"
    print(f"target {word(pave < 20)}  pave upgrade under 20 ms: median {pave:.1f} ms")
    print(f"target {word(copier / pave >= 200)}  at least 200x faster than copier update: "
          f"{copier / pave:.0f}x ({copier:.0f} ms / {pave:.1f} ms)")
    print(f"target {word(cruft / pave >= 80)}  at least 80x faster than cruft update: "
          f"{cruft / pave:.0f}x ({cruft:.0f} ms / {pave:.1f} ms)")
    no_ca = median_ms(results, "pave-no-ca")
    if no_ca is not None:
        print(f"diagnostic     pave without loading the CA bundle: median {no_ca:.1f} ms "
              f"({copier / no_ca:.0f}x copier, {cruft / no_ca:.0f}x cruft)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
