#!/usr/bin/env python3
"""Makes a fleet for `pave fleet history`: COUNT repositories of COMMITS commits each, written
with `git fast-import` (seconds per thousand commits instead of minutes with `git commit`).

Every commit changes one of 60 source files in 6 directories; TOUCHES of them (spread evenly)
also change `.pave.toml`: created at the first commit on rust-axum-service 1.0.0, then upgrades
to 1.1.0 and 2.0.0, exceptions recorded, renewed and removed, answers edited. Commit dates run
from 2024-01-01 every 12 hours. The work tree is checked out at the end (discovery needs
`.pave.toml` on disk).

    gen_fleet.py DIR COUNT COMMITS TOUCHES JOBS
"""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

START = 1704067200  # 2024-01-01T00:00:00Z
STEP = 12 * 3600


def pave_toml(n, k):
    """The k-th version of repository n's .pave.toml."""
    version = "1.0.0" if k < 10 else ("1.1.0" if k < 20 else "2.0.0")
    owner_key = "team" if version != "2.0.0" else "owner"
    text = (
        "# Written by pave. Keep it in version control; `pave upgrade` reads it.\n"
        "[template]\nname = \"rust-axum-service\"\n"
        f"version = \"{version}\"\ncatalog = \"builtin\"\n\n[answers]\n"
        f"service_name = \"svc-{n}\"\n{owner_key} = \"team-{n % 20}\"\nreplicas = {2 + k % 3}\n"
    )
    if 5 <= k % 10 <= 8:
        month = 3 + (k % 10)
        text += (
            "\n[[exceptions]]\nrule = \"drift:.github/workflows/ci.yml\"\n"
            "owner = \"dev@example.com\"\nreason = \"custom release job\"\n"
            f"expires = {2024 + k // 10}-{month:02d}-28\n"
        )
    return text


def stream(n, commits, touches):
    every = max(1, commits // touches)
    out = []
    k = 0
    for i in range(commits):
        when = START + i * STEP
        msg = f"change {i}\n".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(f"committer Fleet Dev <dev@example.com> {when} +0000\n".encode())
        out.append(b"data %d\n%s" % (len(msg), msg))
        if i == 0:
            # The first commit writes every source file.
            for f in range(60):
                body = f"file {f} of svc-{n}\n".encode()
                out.append(f"M 100644 inline src/d{f % 6}/f{f}.txt\n".encode())
                out.append(b"data %d\n%s\n" % (len(body), body))
        else:
            f = i % 60
            body = f"file {f} of svc-{n}, change {i}\n".encode()
            out.append(f"M 100644 inline src/d{f % 6}/f{f}.txt\n".encode())
            out.append(b"data %d\n%s\n" % (len(body), body))
        if i % every == 0 and k < touches:
            body = pave_toml(n, k).encode()
            out.append(b"M 100644 inline .pave.toml\n")
            out.append(b"data %d\n%s\n" % (len(body), body))
            k += 1
        out.append(b"\n")
    return b"".join(out)


def make(root, n, commits, touches):
    repo = os.path.join(root, f"svc-{n}")
    if os.path.exists(os.path.join(repo, ".pave.toml")):
        return
    env = dict(os.environ, GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1")
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=env)
    subprocess.run(["git", "fast-import", "--quiet"], input=stream(n, commits, touches), cwd=repo, check=True, env=env)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=repo, check=True, env=env)


def main():
    root, count, commits, touches, jobs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    os.makedirs(root, exist_ok=True)
    with ThreadPoolExecutor(jobs) as pool:
        list(pool.map(lambda n: make(root, n, commits, touches), range(1, count + 1)))


if __name__ == "__main__":
    main()
