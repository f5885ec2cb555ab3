#!/usr/bin/env python3
"""bench/timeit.py (copied, not imported: that one removes a directory before each run), changed
so that every run starts from a FRESH COPY of a prepared project, the way
`hyperfine -N --prepare 'rm -rf RUN && cp -a PREPARED RUN && git -C RUN update-index --refresh && sync'`
does, and writes hyperfine's JSON shape so that bench/report.py reads it.

Usage: timeit_prepared.py --runs N --warmup W --spec SPEC.json --export-dir DIR

SPEC.json is a list of {"name": ..., "prepared": DIR, "fresh": DIR, "command": [argv...]}, where
the argument `{DIR}` in the command stands for the run's copy. Before every run (warm-up runs
included), outside the timed section: `prepared` is copied to a new directory `fresh/N` (symlinks,
modes and times kept, like `cp -a`), `git update-index --refresh` is
run in it, so the copy's index is as fresh as a developer's working copy and no tool pays for
re-hashing files that only look changed because the copy has new inodes, and `sync` flushes the
copy to disk, so that no tool waits for the copy's writeback. The copies are removed only after
the last run: deleting thousands of files between runs would slow every tool's file creation
for a minute or more on a file system without a journal, as this machine's is (ext4 skips
recently freed inodes when it allocates one; see bench/fleet/README.md).

With several commands the runs are interleaved: round r runs every command once, starting at a
different command each round, so a burst of load from other processes hits every tool alike.
Every run must exit 0 (an upgrade that fails or leaves conflicts stops the benchmark).

Wall time is measured around posix_spawn + wait4; user and system CPU come from wait4's rusage
(which includes the children a tool waits for, such as the git processes Copier and cruft run).
Results go to DIR/NAME.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

DEVNULL_ACTIONS = [
    (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
]


def prepare(entry: dict, run: int) -> list[str]:
    """Copies the prepared project to fresh/RUN; returns the command with {DIR} filled in."""
    fresh = os.path.join(entry["fresh"], str(run))
    shutil.copytree(entry["prepared"], fresh, symlinks=True)
    subprocess.run(["git", "-C", fresh, "update-index", "-q", "--refresh"], check=False)
    # Flush the copy to disk here, or the first fsync in the timed run (pave fsyncs each file it
    # writes) would also wait for the copy's writeback and the journal commit that covers it.
    os.sync()
    return [fresh if a == "{DIR}" else a for a in entry["command"]]


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
        entry.update(times=[], user=[], system=[], load=[])
        shutil.rmtree(entry["fresh"], ignore_errors=True)
        os.makedirs(entry["fresh"])

    for r in range(args.warmup + args.runs):
        for i in range(len(spec)):
            entry = spec[(r + i) % len(spec)]
            cmd = prepare(entry, r)
            load = os.getloadavg()[0]
            wall, user, system, code = run_once(cmd)
            if code != 0:
                print(f"timeit: {entry['name']}: `{' '.join(cmd)}` exited with {code}",
                      file=sys.stderr)
                return 1
            if r >= args.warmup:
                entry["times"].append(wall)
                entry["user"].append(user)
                entry["system"].append(system)
                entry["load"].append(load)

    os.makedirs(args.export_dir, exist_ok=True)
    for entry in spec:
        shutil.rmtree(entry["fresh"], ignore_errors=True)
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
            "load_1min": entry["load"],
        }
        with open(os.path.join(args.export_dir, entry["name"] + ".json"), "w") as f:
            json.dump({"results": [result]}, f, indent=2)
        print(f"  {entry['name']}: median {result['median'] * 1000:.1f} ms, "
              f"min {result['min'] * 1000:.1f} ms ({len(times)} runs, 1-min load "
              f"{min(entry['load']):.2f}-{max(entry['load']):.2f})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
