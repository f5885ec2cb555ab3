#!/usr/bin/env python3
"""Summarizes the fleet runs and compares them with Copier's per-repository time.

  summary.py parse TIME_V.txt               one JSON object from `/usr/bin/time -v` output
  summary.py report RESULTS.jsonl COUNT [UPGRADE_RESULTS_DIR] [--markdown]

RESULTS.jsonl holds one line per run: {"jobs", "run", "wall_s", "user_s", "sys_s", "max_rss_kb",
"load_before", "load_after"}. UPGRADE_RESULTS_DIR is bench/upgrade's results directory
(copier.json, cruft.json, pave.json, timed on one project of the ~50-file template): the
comparison multiplies their median per repository by COUNT.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path


def parse(path: Path) -> dict:
    text = path.read_text()

    def field(label: str) -> str:
        m = re.search(rf"^\s*{re.escape(label)}: (.+)$", text, re.M)
        if not m:
            raise SystemExit(f"{path}: no `{label}` in /usr/bin/time -v output")
        return m.group(1).strip()

    clock = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(v * 60 ** i for i, v in enumerate(reversed(clock)))
    return {
        "wall_s": wall,
        "user_s": float(field("User time (seconds)")),
        "sys_s": float(field("System time (seconds)")),
        "max_rss_kb": int(field("Maximum resident set size (kbytes)")),
        "exit": int(field("Exit status")),
    }


def median_ms(results: Path, tool: str) -> float | None:
    path = results / f"{tool}.json"
    if not path.exists():
        return None
    return statistics.median(json.loads(path.read_text())["results"][0]["times"]) * 1000


def report(rows: list[dict], count: int, upgrade: Path | None, markdown: bool) -> None:
    by_jobs: dict[int, list[dict]] = {}
    for r in rows:
        by_jobs.setdefault(r["jobs"], []).append(r)
    header = ["jobs", "runs", "median wall s", "min wall s", "projects/s", "ms/project", "CPU s",
              "peak RSS MB", "load (1 min)"]
    table, medians = [], {}
    for jobs, rs in sorted(by_jobs.items()):
        wall = statistics.median(r["wall_s"] for r in rs)
        medians[jobs] = wall
        loads = [r["load_before"] for r in rs]
        table.append([
            str(jobs), str(len(rs)), f"{wall:.2f}", f"{min(r['wall_s'] for r in rs):.2f}",
            f"{count / wall:.0f}", f"{wall / count * 1000:.1f}",
            f"{statistics.median(r['user_s'] + r['sys_s'] for r in rs):.2f}",
            f"{max(r['max_rss_kb'] for r in rs) / 1024:.0f}",
            f"{min(loads):.2f}-{max(loads):.2f}",
        ])
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "|".join(" ---: " for _ in header) + "|")
        for row in table:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(h), *(len(row[i]) for row in table)) for i, h in enumerate(header)]
        print("  ".join(h.rjust(w) for h, w in zip(header, widths)))
        print("  ".join("-" * w for w in widths))
        for row in table:
            print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    print()
    if 1 in medians and len(medians) > 1:
        for jobs, wall in sorted(medians.items()):
            if jobs != 1:
                print(f"scaling: --jobs {jobs} is {medians[1] / wall:.2f}x as fast as --jobs 1")
    best_jobs = min(medians, key=medians.get)
    best = medians[best_jobs]
    peak = max(r["max_rss_kb"] for r in rows) / 1024
    ok = lambda b: "met   " if b else "MISSED"
    scale = f" (scaled to 1,000: {best / count * 1000:.1f} s)" if count != 1000 else ""
    print(f"target {ok(best / count * 1000 < 20)}  1,000 projects under 20 s: {count} in {best:.2f} s with --jobs {best_jobs}{scale}")
    print(f"target {ok(peak < 300)}  under 300 MB: peak RSS {peak:.0f} MB over all runs")
    if upgrade is not None:
        for tool, label in (("copier", "copier update"), ("cruft", "cruft update"), ("pave", "pave upgrade (one process per repository)")):
            ms = median_ms(upgrade, tool)
            if ms is None:
                continue
            seq = ms * count / 1000
            print(f"comparison: {label}: {ms:.0f} ms per repository x {count} = {seq:.0f} s "
                  f"({seq / 60:.1f} min) one at a time, {seq / 2:.0f} s two at a time; "
                  f"pave fleet upgrade --jobs {best_jobs}: {best:.1f} s, {seq / best:.0f}x less than one at a time")
        print(f"  (per-repository figures from {upgrade}: the ~50-file bench-service template, a working-tree "
              "upgrade; the fleet runs rust-axum-service, 74 files, and writes a branch)")


def main() -> int:
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "parse":
        print(json.dumps(parse(Path(args[1]))))
        return 0
    if len(args) >= 3 and args[0] == "report":
        markdown = "--markdown" in args
        args = [a for a in args if a != "--markdown"]
        rows = [json.loads(line) for line in Path(args[1]).read_text().splitlines() if line.strip()]
        upgrade = Path(args[3]) if len(args) > 3 and Path(args[3], "copier.json").exists() else None
        report(rows, int(args[2]), upgrade, markdown)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
