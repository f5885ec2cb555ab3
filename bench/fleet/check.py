#!/usr/bin/env python3
"""Checks a fleet before and after `pave fleet upgrade`, outside the timed section.

  check.py before ROOT COUNT STATE.json
      no branch pave/* and no loose object in a sample of repositories (reset.sh worked);
      records the sample's HEAD commits and branch names into STATE.json
  check.py rerun ROOT COUNT STATE.json BRANCH FIRST_REPORT.json RERUN_REPORT.json
      the re-run with nothing changed: the report says COUNT `unchanged`; every repository's
      BRANCH is still the commit the first run's report names; in the sample, no loose object
      was added since the first run (nothing written)
  check.py after ROOT COUNT STATE.json BRANCH VERSION REPORT.json
      every repository has BRANCH (counted with git in all COUNT repositories); the report says
      COUNT projects upgraded; in the sample: HEAD and the checked-out branch unchanged,
      `git status --porcelain` empty (working tree untouched), BRANCH is one commit on top of
      HEAD, its .pave.toml records VERSION, both local edits are in its tree (the README line
      and the runbook section, merged into the renamed docs/runbook.md), no conflict marker

Prints one line; exits 1 on any problem.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLE = 25


def git(repo: Path, *args: str, check: bool = True) -> str:
    r = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{repo}: git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout.strip() if r.returncode == 0 else ""


def sample(root: Path, count: int) -> list[Path]:
    step = max(1, count // SAMPLE)
    return [root / f"svc-{i}" for i in range(1, count + 1, step)][:SAMPLE] + [root / f"svc-{count}"]


def before(root: Path, count: int, state: Path) -> list[str]:
    problems, heads = [], {}
    for repo in sample(root, count):
        if git(repo, "for-each-ref", "refs/heads/pave/"):
            problems.append(f"{repo.name}: a pave/* branch is left from an earlier run")
        if loose_objects(repo):
            problems.append(f"{repo.name}: loose objects or packs left from an earlier run")
        heads[repo.name] = {"head": git(repo, "rev-parse", "HEAD"),
                            "branch": git(repo, "symbolic-ref", "--short", "HEAD")}
    state.write_text(json.dumps(heads, indent=2) + "\n")
    if not problems:
        print(f"    before: clean (no pave/* branch, no loose object) in a sample of {len(heads)}", file=sys.stderr)
    return problems


def after(root: Path, count: int, state: Path, branch: str, version: str, report: Path) -> list[str]:
    problems = []
    with_branch = sum(
        1 for i in range(1, count + 1)
        if git(root / f"svc-{i}", "rev-parse", "-q", "--verify", f"refs/heads/{branch}", check=False))
    if with_branch != count:
        problems.append(f"{with_branch} of {count} repositories have {branch}")
    summary = json.loads(report.read_text())["summary"]
    upgraded = summary.get("outcomes", {}).get("upgraded", 0)
    if upgraded != count or summary.get("projects") != count:
        problems.append(f"report: {summary}")
    heads = json.loads(state.read_text())
    for name, was in heads.items():
        repo = root / name
        if git(repo, "rev-parse", "HEAD") != was["head"] or git(repo, "symbolic-ref", "--short", "HEAD") != was["branch"]:
            problems.append(f"{name}: HEAD or the checked-out branch moved")
        if git(repo, "status", "--porcelain"):
            problems.append(f"{name}: working tree not clean: {git(repo, 'status', '--porcelain')[:200]}")
        if git(repo, "rev-parse", f"{branch}^") != was["head"]:
            problems.append(f"{name}: {branch} is not one commit on top of HEAD")
        record = git(repo, "show", f"{branch}:.pave.toml")
        if f'version = "{version}"' not in record:
            problems.append(f"{name}: .pave.toml on {branch} does not record {version}")
        if "## Local contacts" not in git(repo, "show", f"{branch}:docs/runbook.md", check=False):
            problems.append(f"{name}: the runbook's local section is missing on {branch}")
        if "Deployed to the shared cluster" not in git(repo, "show", f"{branch}:README.md"):
            problems.append(f"{name}: the README's local line is missing on {branch}")
        if git(repo, "grep", "-l", "<<<<<<<", branch, check=False):
            problems.append(f"{name}: conflict markers on {branch}")
    for name in heads:
        heads[name]["loose"] = loose_objects(root / name)
    state.write_text(json.dumps(heads, indent=2) + "\n")
    if not problems:
        print(f"    after: {with_branch}/{count} repositories have {branch}; {upgraded} upgraded in the report; "
              f"sample of {len(heads)}: HEAD unchanged, working tree clean, {version} recorded, local edits kept",
              file=sys.stderr)
    return problems


def loose_objects(repo: Path) -> list[str]:
    """The loose objects and the pack files written since gen_fleet.sh made the repository."""
    objects = repo / ".git" / "objects"
    made = (repo / ".git" / "pave-bench-ready").stat().st_mtime_ns
    return sorted([f"{d.name}/{f.name}" for d in objects.glob("[0-9a-f][0-9a-f]") for f in d.iterdir()]
                  + [f"pack/{f.name}" for f in (objects / "pack").iterdir() if f.stat().st_mtime_ns > made])


def rerun(root: Path, count: int, state: Path, branch: str, first: Path, second: Path) -> list[str]:
    problems = []
    summary = json.loads(second.read_text())["summary"]
    unchanged = summary.get("outcomes", {}).get("unchanged", 0)
    if unchanged != count or summary.get("projects") != count:
        problems.append(f"re-run report: {summary.get('outcomes')} (expected {count} unchanged)")
    commits = {Path(p.get("dir") or p["path"]).name: p["commit"] for p in json.loads(first.read_text())["projects"]}
    moved = [name for name, commit in sorted(commits.items())
             if git(root / name, "rev-parse", "-q", "--verify", f"refs/heads/{branch}", check=False) != commit]
    if moved:
        problems.append(f"{len(moved)} branches differ from the first run's commit: {moved[:5]}")
    heads = json.loads(state.read_text())
    for name, was in heads.items():
        if loose_objects(root / name) != was.get("loose"):
            problems.append(f"{name}: the re-run wrote objects")
    if not problems:
        print(f"    re-run: {unchanged}/{count} unchanged; all {len(commits)} branches at the first run's commits; "
              f"no object written in the sample of {len(heads)}", file=sys.stderr)
    return problems


def main() -> int:
    args = sys.argv[1:]
    if len(args) == 4 and args[0] == "before":
        problems = before(Path(args[1]), int(args[2]), Path(args[3]))
    elif len(args) == 7 and args[0] == "rerun":
        problems = rerun(Path(args[1]), int(args[2]), Path(args[3]), args[4], Path(args[5]), Path(args[6]))
    elif len(args) == 7 and args[0] == "after":
        problems = after(Path(args[1]), int(args[2]), Path(args[3]), args[4], args[5], Path(args[6]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    for p in problems[:20]:
        print(f"    {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
