#!/usr/bin/env python3
"""Writes ONE ~50-file service template at two versions, 1.0.0 and 2.0.0, in the formats of
pave, Copier and Cookiecutter/cruft, for the upgrade benchmark.

Version 1.0.0 is exactly the template of bench/gen_template.py (imported, not copied: its FILES,
dialects and per-tool writers). Version 2.0.0 applies the realistic release in V2_CHANGES below
to that same list: several files changed (Go toolchain and dependency bumps, a govulncheck step
in CI, a seccomp profile in the Deployment, a `make vuln` target, README and runbook edits), one
file added (renovate.json) and one removed (.github/dependabot.yml). Every tool therefore moves
between the same two trees. The Copier template also gets Copier's answers-file template, which
the shared generator leaves out (`copier copy` needs it to write .copier-answers.yml, and
`copier update` needs that file).

Layout written under OUT_DIR:
  pave-catalog/                   catalog.toml + templates/bench-service/{1.0.0,2.0.0}/
  copier/                         git repository, tags v1.0.0 and v2.0.0 (`_templates_suffix: .jinja`)
  cookiecutter/                   git repository, two commits (tags v1.0.0 and v2.0.0 as well);
                                  cruft records the commit
  versions.json                   {"copier": {"v1": sha, "v2": sha}, "cookiecutter": {...}}

Usage: gen_versions.py OUT_DIR [--files N [--per-dir K]]

--files N (N >= the shared template's 53 files) pads both versions to N files with generated Go
handlers, K to a directory (default 10: `internal/gen/gNNN/pNNNN.go`; K=1 puts each in its own
directory, which doubles the directory walks of a 1,000-file template): two thirds rendered (the service name, the port, an
`{% if database %}` block), one third copied as they are. 2.0.0 changes one padding file in
twenty (a new log line in the rendered ones, a new comment in the copied ones) on top of the
release above, so a 1,000-file template's release changes ~55 files, deletes one and adds one.
The padding is written for every tool, so each moves between the same two trees as before.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BENCH))
import gen_template as gt  # noqa: E402  (the shared generator: FILES, for_tool, gen_pave, ...)

V1 = list(gt.FILES)

# path -> [(old, new), ...]: each `old` must occur exactly once in version 1's text.
V2_CHANGES: dict[str, list[tuple[str, str]]] = {
    "Dockerfile": [("FROM golang:1.24 AS build", "FROM golang:1.25 AS build")],
    "go.mod": [
        ("go 1.24\n", "go 1.25\n"),
        ("client_golang v1.20.5", "client_golang v1.22.0"),
        ("otel v1.32.0", "otel v1.35.0"),
    ],
    ".github/workflows/ci.yml": [
        ("actions/setup-go@v5\n        with:\n          go-version-file: go.mod\n      - run: go vet ./...\n"
         "      - run: go test -race -count=1 ./...\n",
         "actions/setup-go@v6\n        with:\n          go-version-file: go.mod\n      - run: go vet ./...\n"
         "      - run: go test -race -count=1 ./...\n"
         "      - run: go run golang.org/x/vuln/cmd/govulncheck@v1.1.4 ./...\n"),
    ],
    "deploy/k8s/base/deployment.yaml": [
        ("      securityContext:\n        runAsNonRoot: true\n",
         "      securityContext:\n        runAsNonRoot: true\n        seccompProfile:\n          type: RuntimeDefault\n"),
    ],
    "Makefile": [
        (".PHONY: build run test lint image", ".PHONY: build run test lint vuln image"),
        ("lint:\n\tgolangci-lint run\n", "lint:\n\tgolangci-lint run\n\nvuln:\n\tgovulncheck ./...\n"),
    ],
    "README.md": [
        ("make test\n```", "make test\nmake vuln       # known vulnerabilities in the dependencies\n```"),
    ],
    "docs/runbook.md": [
        ('(imported as "{{ V.service_name }}").\n',
         '(imported as "{{ V.service_name }}").\nTraces: Tempo, service name `{{ V.service_name }}`.\n'),
    ],
}
V2_ADDED = [("renovate.json", """\
{
  "$schema": "https://docs.renovatebot.com/renovate-schema.json",
  "extends": ["config:recommended", ":semanticCommits"],
  "schedule": ["before 6am on monday"],
  "packageRules": [
    { "matchManagers": ["gomod"], "postUpdateOptions": ["gomodTidy"] },
    { "matchManagers": ["terraform"], "schedule": ["before 6am on the first day of the month"] }
  ]
}
""", False, False)]
V2_REMOVED = {".github/dependabot.yml"}  # replaced by renovate.json


def version_2() -> list:
    files = []
    changes = dict(V2_CHANGES)
    for path, content, render, executable in V1:
        if path in V2_REMOVED:
            continue
        for old, new in changes.pop(path, []):
            assert content.count(old) == 1, f"{path}: {old!r} occurs {content.count(old)} times"
            content = content.replace(old, new)
        files.append((path, content, render, executable))
    assert not changes, f"no such files in version 1: {sorted(changes)}"
    return files + V2_ADDED


V2 = version_2()

PAD_TEMPLATE = """\
// Package {pkg} holds generated handlers of {{{{ V.service_name }}}} (bench padding).
package {pkg}

import (
	"log/slog"
	"net/http"
)

// P{n:04d} serves /p{n:04d} on port {{{{ V.port }}}}.
func P{n:04d}(w http.ResponseWriter, r *http.Request) {{
	slog.Info("request", "handler", "p{n:04d}", "service", "{{{{ V.service_name }}}}")
{{% if V.database %}}\t// The handler reads from the service's PostgreSQL database.
{{% endif %}}\tw.WriteHeader(http.StatusOK)
}}
"""
PAD_PLAIN = """\
// Package {pkg} holds generated handlers (bench padding, copied as it is).
package {pkg}

import "net/http"

// P{n:04d} serves /p{n:04d}.
func P{n:04d}(w http.ResponseWriter, r *http.Request) {{
	w.WriteHeader(http.StatusOK)
}}
"""


def padding(total: int, per_dir: int = 10) -> tuple[list, list]:
    """(version 1's padding files, version 2's): `total` files in all for version 1."""
    v1, v2 = [], []
    for n in range(1, max(0, total - len(V1)) + 1):
        render = n % 3 != 0
        pkg = f"p{n:04d}" if per_dir == 1 else f"g{(n - 1) // per_dir:03d}"
        text = (PAD_TEMPLATE if render else PAD_PLAIN).format(n=n, pkg=pkg)
        path = (f"internal/gen/p{n:04d}/handler.go" if per_dir == 1
                else f"internal/gen/g{(n - 1) // per_dir:03d}/p{n:04d}.go")
        v1.append((path, text, render, False))
        if n % 20 == 0:
            if render:
                new = text.replace("\tw.WriteHeader(http.StatusOK)\n",
                                   "\tslog.Debug(\"done\", \"handler\", \"p%04d\")\n\tw.WriteHeader(http.StatusOK)\n" % n)
            else:
                new = text.replace(f"// P{n:04d} serves", f"// P{n:04d} serves, since 2.0.0 without a body,")
            assert new != text
            text = new
        v2.append((path, text, render, False))
    return v1, v2


def generate(files: list, writer, out: Path) -> None:
    """Runs one of gen_template's writers with FILES swapped for this version's list."""
    saved = gt.FILES
    gt.FILES = files
    try:
        writer(out)
    finally:
        gt.FILES = saved


GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Platform Team", "GIT_AUTHOR_EMAIL": "platform@example.com",
    "GIT_COMMITTER_NAME": "Platform Team", "GIT_COMMITTER_EMAIL": "platform@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, date: str | None = None) -> str:
    env = dict(GIT_ENV)
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return subprocess.run(["git", "-C", str(repo), *args], env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def gen_pave(out: Path) -> None:
    root = out / "pave-catalog"
    shutil.rmtree(root, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        for files, version in ((V1, "1.0.0"), (V2, "2.0.0")):
            stage = Path(tmp, version)
            generate(files, gt.gen_pave, stage)
            if not root.exists():
                shutil.copytree(stage / "pave-catalog", root, symlinks=True)
                shutil.rmtree(root / "templates" / gt.TEMPLATE_NAME)
            shutil.copytree(stage / "pave-catalog" / "templates" / gt.TEMPLATE_NAME / "1.0.0",
                            root / "templates" / gt.TEMPLATE_NAME / version, symlinks=True)


def gen_git_template(out: Path, tool: str, writer) -> dict[str, str]:
    """A git repository with one commit per version, tagged v1.0.0 and v2.0.0."""
    repo = out / tool
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    shas = {}
    with tempfile.TemporaryDirectory() as tmp:
        for files, tag, date in ((V1, "v1.0.0", "2025-01-06T10:00:00Z"), (V2, "v2.0.0", "2025-06-02T10:00:00Z")):
            for entry in repo.iterdir():
                if entry.name != ".git":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            stage = Path(tmp, tag)
            generate(files, writer, stage)
            if tool == "copier":
                # Copier's own bookkeeping, its counterpart of .pave.toml and .cruft.json: without
                # it `copier copy` writes no answers file and `copier update` has nothing to read.
                (stage / tool / "files" / "{{ _copier_conf.answers_file }}.jinja").write_text(
                    "# Changes here will be overwritten by Copier; NEVER EDIT MANUALLY\n"
                    "{{ _copier_answers|to_nice_yaml -}}\n")
            shutil.copytree(stage / tool, repo, symlinks=True, dirs_exist_ok=True)
            git(repo, "add", "-A")
            git(repo, "commit", "-q", "-m", f"bench-service {tag[1:]}", date=date)
            git(repo, "tag", tag)
            shas[tag[:2]] = git(repo, "rev-parse", "HEAD")
    return shas


def main() -> int:
    global V1, V2
    args = sys.argv[1:]
    total, per_dir = 0, 10
    if len(args) == 5 and args[3] == "--per-dir":
        per_dir = int(args[4])
        args = args[:3]
    if len(args) == 3 and args[1] == "--files":
        total = int(args[2])
        args = args[:1]
    if len(args) != 1 or (total and total < len(V1)):
        print(__doc__, file=sys.stderr)
        return 2
    pad1, pad2 = padding(total, per_dir)
    V1, V2 = V1 + pad1, V2 + pad2
    out = Path(args[0]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    gen_pave(out)
    versions = {
        "copier": gen_git_template(out, "copier", gt.gen_copier),
        "cookiecutter": gen_git_template(out, "cookiecutter", gt.gen_cookiecutter),
    }
    (out / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")
    changed = sorted(V2_CHANGES)
    padded = sum(1 for a, b in zip(pad1, pad2) if a != b)
    print(f"{len(V1)} files in 1.0.0, {len(V2)} in 2.0.0: {len(changed)} changed ({', '.join(changed)})"
          + (f" and {padded} of the {len(pad1)} padding files" if pad1 else "")
          + f", added {', '.join(p for p, *_ in V2_ADDED)}, removed {', '.join(sorted(V2_REMOVED))} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
