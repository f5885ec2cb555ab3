#!/usr/bin/env python3
"""run.sh's helper: talks to the fake GitHub API's control API (tests/servers/github, see its
README) and turns its request log into one row per timed run, then the table.

  calls.py seed API OWNER N OTHER_PRS  POST /__control/repos for OWNER/svc-1 … svc-N, and
                                       /__control/teams for team-1 … team-N (the teams the
                                       projects' catalog-info.yaml names, so that the reviewer
                                       requests of a first run succeed as on a real organisation);
                                       then OTHER_PRS open pull requests by someone else in svc-1
                                       (/__control/pulls, heads deps/update-I)
  calls.py clear API                   DELETE /__control/requests
  calls.py row API OWNER N RUN TIME_V OUTPUT GITLOG RAW
                                       reads (and then clears) the fake's request log of one run;
                                       prints one JSON row: /usr/bin/time -v's figures, the API
                                       calls in all, per repository (every one of the N counted,
                                       0 included), the mutating ones (anything but GET), the calls
                                       by operation, answers that were not 2xx, the git HTTP
                                       requests (GITLOG, one JSON object a line), and pave's own
                                       count (`summary.api_calls` of a report, `api_calls` of
                                       rollout's --json: OUTPUT). RAW receives the log as served.
  calls.py expect ROW MAX_PER_REPO WRITES RESULT
                                       checks a row: every repository called at most MAX_PER_REPO
                                       times (`any`: not checked) and at least once; WRITES mutating calls (`any`: not
                                       checked); pave's count equal to the fake's; all N
                                       repositories RESULT (an outcome of the report, `upgraded`,
                                       or a state of the rollout, `pr-open`); prints what fails,
                                       exits 1 if anything does
  calls.py violations API              the fake's contract violations (exit 1 if any)
  calls.py table RUNS.jsonl [--markdown]
"""

from __future__ import annotations

import json
import re
import sys
import urllib.request
from collections import Counter
from pathlib import Path


def call(api: str, method: str, path: str, body: object | None = None) -> object:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"{api}{path}", data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as resp:
        text = resp.read().decode()
    return json.loads(text) if text.strip() else None


def seed(api: str, owner: str, n: int, other_prs: int) -> None:
    for i in range(1, n + 1):
        call(api, "POST", "/__control/repos", {"owner": owner, "name": f"svc-{i}"})
        call(api, "POST", "/__control/teams", {"org": owner, "slug": f"team-{i}", "name": f"team-{i}"})
    for i in range(1, other_prs + 1):
        call(api, "POST", "/__control/pulls", {"owner": owner, "repo": "svc-1", "head": f"deps/update-{i}",
                                               "user": "deps-bot", "title": f"Update dependency {i}"})


def time_v(path: Path) -> dict:
    text = path.read_text()

    def field(label: str) -> str:
        m = re.search(rf"^\s*{re.escape(label)}: (.+)$", text, re.M)
        if not m:
            raise SystemExit(f"{path}: no `{label}` in /usr/bin/time -v output")
        return m.group(1).strip()

    clock = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    return {
        "wall_s": sum(v * 60**i for i, v in enumerate(reversed(clock))),
        "user_s": float(field("User time (seconds)")),
        "sys_s": float(field("System time (seconds)")),
        "max_rss_kb": int(field("Maximum resident set size (kbytes)")),
        "exit": int(field("Exit status")),
    }


def pave_count(output: Path) -> tuple[int | None, dict]:
    """pave's own count of its API calls, and what the run says it did."""
    try:
        doc = json.loads(output.read_text())
    except (OSError, ValueError):
        return None, {}
    summary = doc.get("summary", {})
    if "outcomes" in summary:  # a fleet upgrade report
        return summary.get("api_calls"), {"outcomes": summary["outcomes"], "timings": summary.get("timings", {})}
    counts = {k: v for k, v in summary.get("counts", {}).items() if v}
    return doc.get("api_calls"), {"states": counts}


def row(api: str, owner: str, n: int, run: str, tv: Path, output: Path, gitlog: Path, raw: Path) -> dict:
    log = call(api, "GET", "/__control/requests")
    call(api, "DELETE", "/__control/requests")
    raw.write_text(json.dumps(log, indent=1) + "\n")
    names = [f"{owner}/svc-{i}" for i in range(1, n + 1)]
    per_repo = Counter({name: 0 for name in names})
    per_repo.update(r["repo"] for r in log if r.get("repo"))
    counts = [per_repo[name] for name in names]
    git_requests = [line for line in gitlog.read_text().splitlines() if line.strip()] if gitlog.exists() else []
    pave, did = pave_count(output)
    out = {
        "run": run,
        **time_v(tv),
        "repositories": n,
        "api_calls": len(log),
        "per_repo_mean": sum(counts) / n,
        "per_repo_min": min(counts),
        "per_repo_max": max(counts),
        "per_repo_histogram": {str(k): v for k, v in sorted(Counter(counts).items())},
        "other_repos": sorted(set(per_repo) - set(names)),
        "mutating": sum(1 for r in log if r["method"] != "GET"),
        "operations": dict(Counter(f"{r['method']} {r.get('operation') or r['path']}" for r in log).most_common()),
        "not_2xx": dict(Counter(f"{r['status']} {r.get('operation') or r['path']}" for r in log
                                if not 200 <= r["status"] < 300)),
        "api_answer_s": sum(r.get("duration_ms", 0) for r in log) / 1000,
        "git_requests": len(git_requests),
        "pave_api_calls": pave,
        **did,
    }
    return out


def expect(r: dict, max_per_repo: str, writes: str, result: str) -> int:
    problems = []
    got = r.get("outcomes") or r.get("states") or {}
    if got != {result: r["repositories"]}:
        problems.append(f"expected {r['repositories']} {result}, got {got}")
    if r["exit"] != 0:
        problems.append(f"pave exited with {r['exit']}")
    if r["per_repo_min"] < 1:
        problems.append(f"a repository had no API call (min {r['per_repo_min']})")
    if max_per_repo != "any" and r["per_repo_max"] > int(max_per_repo):
        problems.append(f"a repository had {r['per_repo_max']} API calls, more than {max_per_repo}")
    if writes != "any" and r["mutating"] != int(writes):
        problems.append(f"{r['mutating']} mutating calls, expected {writes}: {r['operations']}")
    if r["pave_api_calls"] != r["api_calls"]:
        problems.append(f"pave counted {r['pave_api_calls']} API calls, the fake served {r['api_calls']}")
    if r["other_repos"]:
        problems.append(f"calls for other repositories: {r['other_repos']}")
    for p in problems:
        print(f"    CHECK FAILED ({r['run']}): {p}", file=sys.stderr)
    return 1 if problems else 0


def table(path: Path, markdown: bool) -> str:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    head = ["run", "seconds", "CPU s", "API calls", "calls per repository", "mutating calls",
            "git HTTP requests", "pave's count", "result"]
    body = []
    for r in rows:
        spread = (f"{r['per_repo_min']}" if r["per_repo_min"] == r["per_repo_max"]
                  else f"{r['per_repo_min']}–{r['per_repo_max']}")
        result = r.get("outcomes") or r.get("states") or {}
        body.append([
            r["run"], f"{r['wall_s']:.2f}", f"{r['user_s'] + r['sys_s']:.2f}", str(r["api_calls"]),
            f"{r['per_repo_mean']:.2f} ({spread})", str(r["mutating"]), str(r["git_requests"]),
            str(r["pave_api_calls"]), ", ".join(f"{v} {k}" for k, v in result.items()),
        ])
    lines = []
    if markdown:
        lines.append("| " + " | ".join(head) + " |")
        lines.append("| " + " | ".join(["---"] + ["---:"] * 7 + ["---"]) + " |")
        lines += ["| " + " | ".join(b) + " |" for b in body]
    else:
        widths = [max(len(x) for x in col) for col in zip(head, *body)]
        for b in [head, *body]:
            lines.append("  ".join(x.ljust(w) for x, w in zip(b, widths)).rstrip())
    lines.append("")
    for r in rows:
        ops = ", ".join(f"{k} ×{v}" for k, v in r["operations"].items()) or "none"
        bad = ", ".join(f"{k} ×{v}" for k, v in r["not_2xx"].items())
        spent = f"the fake's answers took {r['api_answer_s']:.2f} s summed"
        if r.get("timings"):
            spent += "; pave's phases, summed over repositories: " + ", ".join(
                f"{k} {v:.2f} s" for k, v in r["timings"].items())
        lines.append(f"{r['run']}: {ops}" + (f"; not 2xx: {bad}" if bad else "") + f" ({spent})")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    cmd, args = argv[1], argv[2:]
    if cmd == "seed":
        seed(args[0], args[1], int(args[2]), int(args[3]))
    elif cmd == "clear":
        call(args[0], "DELETE", "/__control/requests")
    elif cmd == "row":
        api, owner, n, run, tv, output, gitlog, raw = args
        print(json.dumps(row(api, owner, int(n), run, Path(tv), Path(output), Path(gitlog), Path(raw))))
    elif cmd == "expect":
        return expect(json.loads(args[0]), args[1], args[2], args[3])
    elif cmd == "violations":
        found = call(args[0], "GET", "/__control/violations") or []
        for v in found:
            print(f"    violation: {json.dumps(v)}", file=sys.stderr)
        return 1 if found else 0
    elif cmd == "table":
        print(table(Path(args[0]), "--markdown" in args))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
