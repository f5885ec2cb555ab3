#!/usr/bin/env bash
# Issue 5's benchmark: `pave fleet upgrade` on a fleet of FLEET_COUNT (1,000) projects, each its
# own git repository made from the built-in rust-axum-service at 1.0.0 with two local edits,
# upgraded to 2.0.0 (a major version: answer renamed, files renamed and merged, one added, one
# deleted) onto a branch per repository. Measures wall time, projects per second, CPU and peak
# memory with /usr/bin/time -v, for --jobs 1 and --jobs 2, and checks every run.
#
#   bench/fleet/run.sh                      # 1,000 projects, 3 runs per --jobs value
#   FLEET_COUNT=200 FLEET_REPEAT=1 bench/fleet/run.sh
#
# The fleet is made once (gen_fleet.sh, several minutes for 1,000) in FLEET_WORK/fleet-COUNT and
# reused by later calls. Before every run, outside the timed section, reset.sh moves the
# branches pave/* and the objects the previous run wrote out of the repositories (aside, not
# deleted: see reset.sh) and check.py checks the fleet is clean;
# after every run check.py counts the branches in all repositories and checks a sample (working
# tree and HEAD untouched, 2.0.0 recorded on the branch, local edits kept, no conflict).
# The --jobs values are interleaved run by run (1, 2, 1, 2, ...), so load from other processes
# hits both alike. The file system cache is warm (the fleet was just made or reset).
#
# Environment: FLEET_COUNT (1000), FLEET_REPEAT (3), FLEET_JOBS ("1 2"), FLEET_FROM (1.0.0),
# FLEET_TO (2.0.0), FLEET_DATA (data_classification=internal: 2.0.0's new required question),
# FLEET_WORK (/tmp/pave-bench-fleet: outside any git work tree), FLEET_SETTLE (370: the
# seconds that must separate the trash's last purge from the first run, see reset.sh), UPGRADE_RESULTS (bench/upgrade's
# results, /tmp/pave-bench-upgrade/results, for the comparison with Copier), PAVE_BIN, PYTHON,
# PAVE_BEFORE (a second pave binary, e.g. an older commit's: every run is then made with both,
# interleaved, rows "pave" and "pave-before"), FLEET_RERUN (1: after each checked first run, time
# a re-run of the same command with nothing changed; pave since 3bf224b reports `unchanged` for
# every project and writes nothing; 0: no re-run).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"   # step, note, build_pave, machine_line

HERE=$BENCH/fleet
COUNT=${FLEET_COUNT:-1000}
REPEAT=${FLEET_REPEAT:-3}
read -r -a JOBS <<<"${FLEET_JOBS:-1 2}"
FROM=${FLEET_FROM:-1.0.0}
TO=${FLEET_TO:-2.0.0}
read -r -a DATA <<<"${FLEET_DATA:-data_classification=internal}"
FWORK=${FLEET_WORK:-/tmp/pave-bench-fleet}
SETTLE=${FLEET_SETTLE:-370}
UPGRADE_RESULTS=${UPGRADE_RESULTS:-/tmp/pave-bench-upgrade/results}
FLEET=$FWORK/fleet-$COUNT
RESULTS=$FWORK/results-$COUNT
BRANCH=pave/rust-axum-service-$TO

export GIT_AUTHOR_NAME="Fleet Dev" GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME="Fleet Dev" GIT_COMMITTER_EMAIL=dev@example.com

if [[ ! -x /usr/bin/time ]]; then
    step "installing GNU time (apt-get install -y time)"
    apt-get install -y -qq time >/dev/null
fi

build_pave
# target/release is shared with everyone who builds in this checkout: time a private copy, so a
# concurrent `cargo build` cannot swap the binary in the middle of the runs.
mkdir -p "$FWORK"
cp "$PAVE" "$FWORK/pave"
PAVE=$FWORK/pave
note "timing $PAVE: $("$PAVE" --version), sha256 $(sha256sum "$PAVE" | cut -c1-16)"
RERUN=${FLEET_RERUN:-1}
declare -A BIN=([pave]=$PAVE)
LABELS=(pave)
if [[ -n ${PAVE_BEFORE:-} ]]; then
    cp "$PAVE_BEFORE" "$FWORK/pave-before"
    BIN[pave-before]=$FWORK/pave-before
    LABELS+=(pave-before)
    note "also timing PAVE_BEFORE=$PAVE_BEFORE as pave-before, sha256 $(sha256sum "$FWORK/pave-before" | cut -c1-16)"
fi

step "fleet of $COUNT projects from rust-axum-service@$FROM in $FLEET"
"$HERE/gen_fleet.sh" "$PAVE" "$FLEET" "$COUNT" "$FROM"
note "$(du -sh --exclude=bench-trash "$FLEET" | cut -f1) on disk; $(find "$FLEET/svc-1" -path "$FLEET/svc-1/.git" -prune -o -type f -print | wc -l) files per project"

data_args=(); for d in "${DATA[@]}"; do data_args+=(-d "$d"); done
rm -rf "$RESULTS"
mkdir -p "$RESULTS"
step "pave fleet upgrade $FLEET --to $TO ${data_args[*]} --jobs {${JOBS[*]}}, $REPEAT run(s) each"
note "machine: $(machine_line); $(free -m | awk '/^Mem:/ {print $2 " MB memory, " $7 " MB available"}')"
# The last purge of the trash freed tens of thousands of inodes; on ext4 without a journal they
# slow file creation for up to 6 minutes (see reset.sh). Let them age first.
if [[ -e $FLEET/.last-purge ]]; then
    wait=$((SETTLE - ($(date +%s) - $(cat "$FLEET/.last-purge"))))
    if ((wait > 0)); then
        note "waiting $wait s: the last purge of the trash was less than $SETTLE s ago (FLEET_SETTLE)"
        sleep "$wait"
    fi
fi
# One timed run: $1 label, $2 jobs, $3 kind (first|rerun), $4 tag. Appends a row to runs.jsonl.
timed_run() {
    local label=$1 jobs=$2 kind=$3 tag=$4 code load_before load_after row
    load_before=$(cut -d' ' -f1 /proc/loadavg)
    note "run $run, ${label}, --jobs $jobs, $kind run (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    set +e
    /usr/bin/time -v -o "$RESULTS/$tag.time.txt" \
        "${BIN[$label]}" fleet upgrade "$FLEET" --to "$TO" "${data_args[@]}" --jobs "$jobs" \
        --report "$RESULTS/$tag.report.json" >"$RESULTS/$tag.log" 2>&1
    code=$?
    set -e
    load_after=$(cut -d' ' -f1 /proc/loadavg)
    # An older pave (PAVE_BEFORE) may refuse a re-run over its own branches: recorded, not fatal.
    if ((code != 0)) && [[ $kind == first || $label == pave ]]; then
        echo "pave fleet upgrade exited with $code: see $RESULTS/$tag.log" >&2
        tail -5 "$RESULTS/$tag.log" >&2
        exit 1
    fi
    row=$("$PYTHON" "$HERE/summary.py" parse "$RESULTS/$tag.time.txt" "$RESULTS/$tag.report.json")
    "$PYTHON" -c 'import json, sys; r = json.loads(sys.argv[1]); r.update(jobs=int(sys.argv[2]), run=int(sys.argv[3]), load_before=float(sys.argv[4]), load_after=float(sys.argv[5]), pave=sys.argv[6], kind=sys.argv[7], exit=int(sys.argv[8])); print(json.dumps(r))' \
        "$row" "$jobs" "$run" "$load_before" "$load_after" "$label" "$kind" "$code" >>"$RESULTS/runs.jsonl"
    note "$(tail -1 "$RESULTS/runs.jsonl")"
}

for ((run = 1; run <= REPEAT; run++)); do
    # The first run after a pause pays for a colder page cache and, on this file system, for the
    # inodes deleted just before (see reset.sh): alternate which binary goes first.
    order=("${LABELS[@]}")
    if ((run % 2 == 0 && ${#LABELS[@]} == 2)); then order=("${LABELS[1]}" "${LABELS[0]}"); fi
    for jobs in "${JOBS[@]}"; do
        for label in "${order[@]}"; do
            tag=run$run-jobs$jobs-$label
            "$HERE/reset.sh" "$FLEET"
            sync  # nothing left to write back from the reset or the previous run
            "$PYTHON" "$HERE/check.py" before "$FLEET" "$COUNT" "$RESULTS/$tag.state.json"
            timed_run "$label" "$jobs" first "$tag"
            "$PYTHON" "$HERE/check.py" after "$FLEET" "$COUNT" "$RESULTS/$tag.state.json" "$BRANCH" "$TO" \
                "$RESULTS/$tag.report.json"
            if ((RERUN)); then
                sync
                timed_run "$label" "$jobs" rerun "$tag-rerun"
                # pave since 3bf224b finds every branch unchanged; an older pave may not.
                "$PYTHON" "$HERE/check.py" rerun "$FLEET" "$COUNT" "$RESULTS/$tag.state.json" "$BRANCH" \
                    "$RESULTS/$tag.report.json" "$RESULTS/$tag-rerun.report.json" ||
                    [[ $label == pave-before ]]
            fi
        done
    done
done
"$HERE/reset.sh" "$FLEET"
"$HERE/reset.sh" --purge "$FLEET"  # after the last timed run: deleting is slow to recover from

step "results ($(date -u +%Y-%m-%d), $COUNT projects, load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
"$PYTHON" "$HERE/summary.py" report "$RESULTS/runs.jsonl" "$COUNT" "$UPGRADE_RESULTS" | tee "$RESULTS/summary.txt"
"$PYTHON" "$HERE/summary.py" report "$RESULTS/runs.jsonl" "$COUNT" "$UPGRADE_RESULTS" --markdown >"$RESULTS/summary.md"
note "raw: $RESULTS (runs.jsonl, *.time.txt, *.report.json, *.log)"
