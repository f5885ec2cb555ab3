#!/usr/bin/env python3
"""The remote fleet of bench/fleet/remote.sh: COUNT bare repositories served as file:// URLs.

  remote_fleet.py gen SEED_BARE ROOT COUNT
      ROOT/repos/svc-I.git for I in 1..COUNT: a copy of SEED_BARE (one project made by
      `pave new rust-axum-service@1.0.0`, cloned bare, all objects packed) plus one commit of its
      own on `main`, written with `git fast-import` (a pack, no loose object): a line appended to
      README.md and a "Local contacts" section appended to docs/RUNBOOK.md, both naming svc-I.
      So every repository differs (its tree, hence pave's inputs) and the upgrade does a real
      three-way merge (2.0.0 renames and changes the runbook). ROOT/repos.txt lists the URLs.
      ROOT/baseline.json records each repository's files under objects/ (to reset.sh them).
      A repository already complete (marker pave-bench-ready) is kept.
  remote_fleet.py snapshot ROOT OUT.json
      every repository's refs (loose and packed) and the files under objects/
  remote_fleet.py same ROOT BEFORE.json AFTER.json
      exit 1 unless refs and object files are identical (a run that pushed nothing)
  remote_fleet.py branches ROOT COUNT BRANCH
      exit 1 unless all COUNT repositories have refs/heads/BRANCH
  remote_fleet.py outcomes REPORT.json COUNT OUTCOME
      exit 1 unless the report's summary says COUNT projects, all OUTCOME; prints the timings
  remote_fleet.py reset ROOT TRASH
      the remotes as gen left them: refs/heads/pave/* removed, every file under objects/ that is
      not in baseline.json moved (renamed, not deleted: see reset.sh) into TRASH

Repositories are read and written directly (refs files, packed-refs), not through one git
process per repository, so the checks of 2,000 repositories take a second or two.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def repos(root: Path) -> list[Path]:
    d = root / "repos"
    return sorted((p for p in d.iterdir() if p.name.endswith(".git")), key=lambda p: int(p.name[4:-4]))


def blob(seed: Path, path: str) -> bytes:
    return subprocess.run(["git", "-C", str(seed), "show", f"main:{path}"], env=ENV, check=True,
                          capture_output=True).stdout


def data(b: bytes) -> bytes:
    return b"data %d\n" % len(b) + b + b"\n"


def make_one(seed: Path, root: Path, i: int, readme: bytes, runbook: bytes) -> None:
    repo = root / "repos" / f"svc-{i}.git"
    if (repo / "pave-bench-ready").exists():
        return
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(seed, repo, symlinks=True)
    msg = b"Local notes: ingress owner, database contacts\n"
    stream = b"".join([
        b"commit refs/heads/main\n",
        b"committer Fleet Dev <dev@example.com> %d +0000\n" % (1767225600 + i),
        data(msg),
        b"from refs/heads/main^0\n",
        b"M 100644 inline README.md\n",
        data(readme + b"\nDeployed to the shared cluster; ask #team-svc-%d before changing the ingress.\n" % i),
        b"M 100644 inline docs/RUNBOOK.md\n",
        data(runbook + b"\n## Local contacts\n\nDatabase questions: #svc-%d-db. Capacity reviews: every quarter.\n" % i),
        b"\n",
    ])
    subprocess.run(["git", "-C", str(repo), "-c", "fastimport.unpackLimit=0", "fast-import", "--quiet"], input=stream, env=ENV, check=True,
                   capture_output=True)
    (repo / "pave-bench-ready").touch()


def objects(repo: Path) -> list[str]:
    base = repo / "objects"
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def refs(repo: Path) -> dict[str, str]:
    out = {}
    packed = repo / "packed-refs"
    if packed.exists():
        for line in packed.read_text().splitlines():
            if line and line[0] not in "#^":
                sha, name = line.split(" ", 1)
                out[name] = sha
    for p in (repo / "refs").rglob("*"):
        if p.is_file():
            out[str(p.relative_to(repo))] = p.read_text().strip()
    return out


def gen(seed: Path, root: Path, count: int) -> int:
    (root / "repos").mkdir(parents=True, exist_ok=True)
    readme, runbook = blob(seed, "README.md"), blob(seed, "docs/RUNBOOK.md")
    start = time.monotonic()
    todo = [i for i in range(1, count + 1) if not (root / "repos" / f"svc-{i}.git" / "pave-bench-ready").exists()]
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:
        list(pool.map(lambda i: make_one(seed, root, i, readme, runbook), todo))
    (root / "repos.txt").write_text("".join(f"file://{root / 'repos' / f'svc-{i}.git'}\n" for i in range(1, count + 1)))
    baseline = {p.name: objects(p) for p in repos(root)}
    (root / "baseline.json").write_text(json.dumps(baseline) + "\n")
    print(f"    made {len(todo)} of {count} repositories in {time.monotonic() - start:.1f} s; "
          f"list: {root / 'repos.txt'}", file=sys.stderr)
    return 0


def snapshot(root: Path) -> dict:
    return {p.name: {"refs": refs(p), "objects": objects(p)} for p in repos(root)}


def main() -> int:
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "gen":
        return gen(Path(a[1]).resolve(), Path(a[2]).resolve(), int(a[3]))
    if len(a) == 3 and a[0] == "snapshot":
        Path(a[2]).write_text(json.dumps(snapshot(Path(a[1]))) + "\n")
        return 0
    if len(a) == 4 and a[0] == "same":
        before, after = json.loads(Path(a[2]).read_text()), json.loads(Path(a[3]).read_text())
        refs_moved = [n for n in before if before[n]["refs"] != after.get(n, {}).get("refs")]
        written = [n for n in before if before[n]["objects"] != after.get(n, {}).get("objects")]
        if refs_moved or written or before.keys() != after.keys():
            print(f"    remotes changed: refs in {len(refs_moved)} ({refs_moved[:3]}), objects in {len(written)} "
                  f"({written[:3]})", file=sys.stderr)
            return 1
        print(f"    remotes unchanged: the refs and object files of all {len(before)} repositories are as before",
              file=sys.stderr)
        return 0
    if len(a) == 4 and a[0] == "branches":
        root, count, branch = Path(a[1]), int(a[2]), a[3]
        have = sum(1 for p in repos(root) if f"refs/heads/{branch}" in refs(p))
        print(f"    {have}/{count} remotes have {branch}", file=sys.stderr)
        return 0 if have == count else 1
    if len(a) == 4 and a[0] == "outcomes":
        summary = json.loads(Path(a[1]).read_text())["summary"]
        count, want = int(a[2]), a[3]
        outcomes = summary.get("outcomes", {})
        print(f"    report: {summary.get('projects')} projects, outcomes {outcomes}, "
              f"timings {summary.get('timings')}", file=sys.stderr)
        return 0 if summary.get("projects") == count and outcomes.get(want) == count else 1
    if len(a) == 3 and a[0] == "reset":
        root, trash = Path(a[1]), Path(a[2])
        baseline = json.loads((root / "baseline.json").read_text())
        moved = 0
        for p in repos(root):
            keep = set(baseline[p.name])
            shutil.rmtree(p / "refs" / "heads" / "pave", ignore_errors=True)  # a few small files
            packed = p / "packed-refs"
            if packed.exists():
                lines = packed.read_text().splitlines(keepends=True)
                kept, skip = [], False
                for line in lines:
                    if line.startswith("^") and skip:
                        continue
                    skip = " refs/heads/pave/" in line
                    if not skip:
                        kept.append(line)
                packed.write_text("".join(kept))
            for rel in objects(p):
                if rel not in keep:
                    dest = trash / p.name / rel.replace("/", "_")
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    os.rename(p / "objects" / rel, dest)
                    moved += 1
        print(f"    remotes reset: pave/* branches removed, {moved} object files moved to {trash}", file=sys.stderr)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
