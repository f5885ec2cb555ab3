#!/usr/bin/env bash
# Issue 10's benchmark: `pave fleet upgrade --repos-from LIST --push` on REMOTE_COUNT (2,000)
# remote repositories, served from local bare repositories as file:// URLs, each mirrored by pave
# in a bench cache (XDG_CACHE_HOME) and pushed with a lease.
#
#   bench/fleet/remote.sh                          # 2,000 repositories, 1 round
#   REMOTE_COUNT=200 REMOTE_REPEAT=3 bench/fleet/remote.sh
#
# The remotes: ONE project made with `pave new rust-axum-service@1.0.0` (pave commits), cloned
# bare and packed, then copied REMOTE_COUNT times, each copy given a commit of its own on main
# (remote_fleet.py gen: a README line and a runbook section naming the repository), so the
# repositories differ and each upgrade does a real three-way merge. Made once in REMOTE_WORK and
# reused. Every round times three runs of the same command, outside any git work tree:
#
#   pave fleet upgrade --repos-from repos.txt --to 2.0.0 --push -d data_classification=internal --jobs 2 --report R.json
#
#   first      empty cache, no pave branch on any remote: every repository is mirrored (fetched
#              whole), upgraded and its new branch pushed; checked: the report says COUNT
#              `upgraded` and every remote has pave/rust-axum-service-2.0.0
#   rerun      the same command again, mirrors warm, nothing changed: checked: COUNT `unchanged`,
#              and the remotes' refs and object files are exactly as before (nothing pushed)
#   cold       the mirrors deleted (moved aside), the same command again: every repository is
#              fetched again, its branch found unchanged; checked as `rerun`
#
# Before each round's first run, outside the timed section, the remotes are reset (pave/*
# branches removed, the objects pushed moved aside) and the cache moved aside; trash is deleted
# after the last round. Each run is timed with /usr/bin/time -v (wall, CPU, peak RSS); the JSON
# report's summary.timings (pave since 38d3fe1) gives the seconds spent in each phase, summed
# over repositories: fetch, plan, commit, push.
#
# Environment: REMOTE_COUNT (2000), REMOTE_REPEAT (1), REMOTE_JOBS (2), REMOTE_TO (2.0.0: pinned,
# so that a newer release in the built-in catalog does not change the work measured), REMOTE_WORK
# (/tmp/pave-bench-remote), FLEET_DATA (data_classification=internal), PAVE_BIN, PYTHON.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"   # step, note, build_pave, machine_line

HERE=$BENCH/fleet
COUNT=${REMOTE_COUNT:-2000}
REPEAT=${REMOTE_REPEAT:-1}
JOBS=${REMOTE_JOBS:-2}
RWORK=${REMOTE_WORK:-/tmp/pave-bench-remote}
read -r -a DATA <<<"${FLEET_DATA:-data_classification=internal}"
TO=${REMOTE_TO:-2.0.0}
BRANCH=pave/rust-axum-service-$TO
ROOT=$RWORK/fleet-$COUNT
RESULTS=$RWORK/results-$COUNT
TRASH=$RWORK/trash

export GIT_AUTHOR_NAME="Fleet Dev" GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME="Fleet Dev" GIT_COMMITTER_EMAIL=dev@example.com
export XDG_CACHE_HOME=$RWORK/cache
unset PAVE_GIT_TOKEN GITHUB_TOKEN

[[ -x /usr/bin/time ]] || apt-get install -y -qq time >/dev/null
RWORK=$(outside_git REMOTE_WORK "$RWORK") || exit 2

build_pave
cp "$PAVE" "$RWORK/pave"   # a private copy: a concurrent cargo build cannot swap it mid-run
PAVE=$RWORK/pave
note "timing $PAVE: $("$PAVE" --version), sha256 $(sha256sum "$PAVE" | cut -c1-16)"

step "$COUNT remote repositories (file://) in $ROOT"
seed=$RWORK/seed
remote_seed "$PAVE" "$seed"
"$PYTHON" "$HERE/remote_fleet.py" gen "$seed.git" "$ROOT" "$COUNT"
note "$(du -sh "$ROOT/repos" | cut -f1) on disk"

data_args=(); for d in "${DATA[@]}"; do data_args+=(-d "$d"); done
rm -rf "$RESULTS"
mkdir -p "$RESULTS" "$TRASH"
cd "$RWORK"   # not inside any repository

# timed RUN KIND: one timed run; appends a row to runs.jsonl.
timed() {
    local round=$1 kind=$2 tag="round$1-$2" code row load_before
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    note "round $round, $kind run (load average $load_before)"
    set +e
    /usr/bin/time -v -o "$RESULTS/$tag.time.txt" \
        "$PAVE" fleet upgrade --repos-from "$ROOT/repos.txt" --to "$TO" --push "${data_args[@]}" --jobs "$JOBS" \
        --report "$RESULTS/$tag.report.json" >"$RESULTS/$tag.log" 2>&1
    code=$?
    set -e
    if ((code != 0)); then
        echo "pave fleet upgrade exited with $code: see $RESULTS/$tag.log" >&2
        tail -5 "$RESULTS/$tag.log" >&2
        exit 1
    fi
    row=$("$PYTHON" "$HERE/summary.py" parse "$RESULTS/$tag.time.txt" "$RESULTS/$tag.report.json")
    "$PYTHON" -c 'import json, sys; r = json.loads(sys.argv[1]); r.update(run=int(sys.argv[2]), kind=sys.argv[3], jobs=int(sys.argv[4]), load_before=sys.argv[5], load_after=sys.argv[6]); print(json.dumps(r))' \
        "$row" "$round" "$kind" "$JOBS" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/runs.jsonl"
    note "$(tail -1 "$RESULTS/runs.jsonl")"
}

step "pave fleet upgrade --repos-from $ROOT/repos.txt --to $TO --push ${data_args[*]} --jobs $JOBS, $REPEAT round(s)"
note "machine: $(machine_line); $(free -m | awk '/^Mem:/ {print $2 " MB memory, " $7 " MB available"}')"
for ((round = 1; round <= REPEAT; round++)); do
    stamp=$(date +%s%N)
    "$PYTHON" "$HERE/remote_fleet.py" reset "$ROOT" "$TRASH/remotes-$stamp"
    [[ -e $XDG_CACHE_HOME ]] && mv "$XDG_CACHE_HOME" "$TRASH/cache-$stamp"
    sync

    timed "$round" first
    "$PYTHON" "$HERE/remote_fleet.py" outcomes "$RESULTS/round$round-first.report.json" "$COUNT" upgraded
    "$PYTHON" "$HERE/remote_fleet.py" branches "$ROOT" "$COUNT" "$BRANCH"

    "$PYTHON" "$HERE/remote_fleet.py" snapshot "$ROOT" "$RESULTS/round$round-remotes.json"
    sync
    timed "$round" rerun
    "$PYTHON" "$HERE/remote_fleet.py" outcomes "$RESULTS/round$round-rerun.report.json" "$COUNT" unchanged
    "$PYTHON" "$HERE/remote_fleet.py" snapshot "$ROOT" "$RESULTS/round$round-remotes-rerun.json"
    "$PYTHON" "$HERE/remote_fleet.py" same "$ROOT" "$RESULTS/round$round-remotes.json" "$RESULTS/round$round-remotes-rerun.json"

    mv "$XDG_CACHE_HOME" "$TRASH/cache-$stamp-warm"
    sync
    timed "$round" cold
    "$PYTHON" "$HERE/remote_fleet.py" outcomes "$RESULTS/round$round-cold.report.json" "$COUNT" unchanged
    "$PYTHON" "$HERE/remote_fleet.py" snapshot "$ROOT" "$RESULTS/round$round-remotes-cold.json"
    "$PYTHON" "$HERE/remote_fleet.py" same "$ROOT" "$RESULTS/round$round-remotes.json" "$RESULTS/round$round-remotes-cold.json"
done
rm -rf "$TRASH"  # after the last timed run (deleting slows file creation for minutes: see reset.sh)

step "results ($(date -u '+%Y-%m-%d %H:%M') UTC, $COUNT remote repositories, load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
"$PYTHON" "$HERE/summary.py" remote "$RESULTS/runs.jsonl" "$COUNT" | tee "$RESULTS/summary.txt"
"$PYTHON" "$HERE/summary.py" remote "$RESULTS/runs.jsonl" "$COUNT" --markdown >"$RESULTS/summary.md"
note "raw: $RESULTS (runs.jsonl, *.time.txt, *.report.json, *.log)"
