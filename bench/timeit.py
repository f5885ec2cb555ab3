#!/usr/bin/env python3
"""Times commands the way `hyperfine -N --prepare 'rm -rf DIR'` does, for machines without
hyperfine and for busy machines, and writes hyperfine's JSON shape (results[0].times, .user,
.system, ...) per command so that report.py reads either.

Usage: timeit.py --runs N --warmup W --spec SPEC.json --export-dir DIR

SPEC.json is a list of {"name": ..., "fresh": DIR, "command": [argv...]}. Before every run (warm-up
runs included) the command's `fresh` directory is moved aside, so each run writes a new project.
What was moved aside is removed after the last run, not between runs: removing a project frees
its inodes, and ext4 without a journal (this benchmark's VM) makes every file created in the next
minute or so scan past them (`recently_deleted()` in fs/ext4/ialloc.c). Which block group a new
project lands in is decided by the hash of its top directory's name, so with a removal before each
run a tool's time depended on where its name (or, for pave, its random staging directory's name)
happened to land: pave's runs spread from 5 to 16 ms while kickstart's stayed within 2 ms.
Moving aside costs a rename and frees nothing, and no user creating one project pays either.

With several commands the runs are interleaved: round r runs every command once, starting at a
different command each round. A burst of load from other processes then hits every tool alike
instead of whichever tool happened to be measured at that moment (hyperfine measures one
command's runs back to back).

Wall time is measured around posix_spawn + wait4; user and system CPU come from wait4's rusage.
Results go to DIR/NAME.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time

DEVNULL_ACTIONS = [
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
]


def run_once(cmd: list[str]) -> tuple[float, float, float, int]:
    start = time.perf_counter()
    pid = os.posix_spawn(cmd[0], cmd, os.environ, file_actions=DEVNULL_ACTIONS)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_utime, usage.ru_stime, os.waitstatus_to_exitcode(status)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=0)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--export-dir", required=True)
    args = ap.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    for entry in spec:
        entry["command"][0] = shutil.which(entry["command"][0]) or entry["command"][0]
        entry.update(times=[], user=[], system=[])

    done = {}  # fresh directory -> where its earlier runs' projects are moved
    for entry in spec:
        fresh = entry["fresh"].rstrip("/")
        done[fresh] = os.path.join(os.path.dirname(fresh), ".timeit-done-" + os.path.basename(fresh))
        shutil.rmtree(done[fresh], ignore_errors=True)
        os.makedirs(done[fresh])
        if os.path.lexists(fresh):
            os.rename(fresh, os.path.join(done[fresh], "before"))

    for r in range(args.warmup + args.runs):
        for i in range(len(spec)):
            entry = spec[(r + i) % len(spec)]
            fresh = entry["fresh"].rstrip("/")
            if os.path.lexists(fresh):
                os.rename(fresh, os.path.join(done[fresh], str(r)))
            wall, user, system, code = run_once(entry["command"])
            if code != 0:
                print(f"timeit: {entry['name']}: `{' '.join(entry['command'])}` exited with {code}",
                      file=sys.stderr)
                return 1
            if r >= args.warmup:
                entry["times"].append(wall)
                entry["user"].append(user)
                entry["system"].append(system)

    for aside in done.values():
        shutil.rmtree(aside, ignore_errors=True)

    os.makedirs(args.export_dir, exist_ok=True)
    for entry in spec:
        times = entry["times"]
        result = {
            "command": " ".join(entry["command"]),
            "mean": statistics.fmean(times),
            "stddev": statistics.stdev(times) if len(times) > 1 else 0.0,
            "median": statistics.median(times),
            "user": statistics.fmean(entry["user"]),
            "system": statistics.fmean(entry["system"]),
            "min": min(times),
            "max": max(times),
            "times": times,
            "exit_codes": [0] * len(times),
        }
        with open(os.path.join(args.export_dir, entry["name"] + ".json"), "w") as f:
            json.dump({"results": [result]}, f, indent=2)
        print(f"  {entry['name']}: median {result['median'] * 1000:.1f} ms, "
              f"min {result['min'] * 1000:.1f} ms ({len(times)} runs)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
