#!/usr/bin/env python3
"""The two local edits every tool's project gets, and the checks that an upgrade really happened.

Usage:
  project.py edit DIR                 apply the two local edits (not committed: run.sh commits)
  project.py verify DIR               exit 1 unless DIR holds 2.0.0's changes AND both local edits,
                                      with no conflict marker, .rej, .orig or .pave-new file
  project.py same NAME=DIR ...        exit 1 unless the projects have the same paths, bytes and
                                      executable bits (.git and each tool's bookkeeping file
                                      ignored: .pave.toml, .copier-answers.yml, .cruft.json)

The edits touch two files that 2.0.0 also changes, away from the template's own hunks, so every
tool has to do a real three-way merge rather than keep or replace whole files:
  1. deploy/k8s/base/deployment.yaml: the memory limit raised from 256Mi to 512Mi (2.0.0 adds a
     seccomp profile 25 lines above);
  2. README.md: a "Local notes" section appended (2.0.0 adds a `make vuln` line to "Run it").
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

EDIT_1 = ("deploy/k8s/base/deployment.yaml", "limits: { memory: 256Mi }", "limits: { memory: 512Mi }")
EDIT_2 = ("README.md", "\n## Local notes\n\nThe payments ledger is reconciled nightly by the `ledger-sync` job.\n")

# (path, text that 2.0.0 brings); a path with None must be gone.
V2_MARKS = [
    ("Dockerfile", "FROM golang:1.25 AS build"),
    ("go.mod", "go 1.25\n"),
    ("go.mod", "client_golang v1.22.0"),
    (".github/workflows/ci.yml", "govulncheck@v1.1.4"),
    ("deploy/k8s/base/deployment.yaml", "seccompProfile:\n          type: RuntimeDefault"),
    ("Makefile", "vuln:\n\tgovulncheck ./..."),
    ("README.md", "make vuln"),
    ("docs/runbook.md", "Traces: Tempo"),
    ("renovate.json", "config:recommended"),
    (".github/dependabot.yml", None),
]
BOOKKEEPING = {".pave.toml", ".copier-answers.yml", ".cruft.json"}
LEFTOVERS = (".rej", ".orig", ".pave-new")


def edit(root: Path) -> int:
    path, old, new = EDIT_1
    text = (root / path).read_text()
    assert text.count(old) == 1, f"{path}: `{old}` not found once"
    (root / path).write_text(text.replace(old, new))
    path, appended = EDIT_2
    with open(root / path, "a") as f:
        f.write(appended)
    return 0


def files(root: Path):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath, name)
            yield path.relative_to(root).as_posix(), path


def verify(root: Path) -> int:
    problems = []
    for path, mark in V2_MARKS:
        p = root / path
        if mark is None:
            if p.exists():
                problems.append(f"{path}: still there (2.0.0 removed it)")
        elif not p.exists() or mark not in p.read_text():
            problems.append(f"{path}: 2.0.0's change `{mark.splitlines()[0]}` missing")
    path, _, new = EDIT_1
    text = (root / path).read_text()
    if new not in text or "256Mi" in text:
        problems.append(f"{path}: local edit lost (memory limit is not 512Mi)")
    path, appended = EDIT_2
    if not (root / path).read_text().endswith(appended):
        problems.append(f"{path}: local edit lost (the Local notes section)")
    for rel, p in files(root):
        if rel.endswith(LEFTOVERS):
            problems.append(f"{rel}: conflict leftover")
        elif b"<<<<<<<" in p.read_bytes():
            problems.append(f"{rel}: conflict markers")
    for p in problems:
        print(f"    {root.name}: {p}", file=sys.stderr)
    return 1 if problems else 0


def snapshot(root: Path) -> dict[str, tuple]:
    return {rel: (p.read_bytes(), os.access(p, os.X_OK))
            for rel, p in files(root) if rel not in BOOKKEEPING}


def same(pairs: list[str]) -> int:
    (ref_name, ref_dir), *others = [a.split("=", 1) for a in pairs]
    ref = snapshot(Path(ref_dir))
    ok = True
    for name, d in others:
        other = snapshot(Path(d))
        diffs = [f"only in {ref_name}: {r}" for r in sorted(ref.keys() - other.keys())]
        diffs += [f"only in {name}: {r}" for r in sorted(other.keys() - ref.keys())]
        diffs += [f"differs: {r}" for r in sorted(ref.keys() & other.keys()) if ref[r] != other[r]]
        if diffs:
            ok = False
            print(f"    {ref_name} vs {name}: {len(diffs)} difference(s)", file=sys.stderr)
            for line in diffs[:20]:
                print(f"      {line}", file=sys.stderr)
        else:
            print(f"    {ref_name} vs {name}: identical ({len(ref)} files, bytes and modes)", file=sys.stderr)
    return 0 if ok else 1


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "edit":
        return edit(Path(sys.argv[2]))
    if len(sys.argv) >= 3 and sys.argv[1] == "verify":
        return max(verify(Path(d).resolve()) for d in sys.argv[2:])
    if len(sys.argv) >= 4 and sys.argv[1] == "same":
        return same(sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
