#!/usr/bin/env bash
# Instruction counts of pave with valgrind's callgrind: deterministic whatever the load on the
# machine, so they compare two builds (or two days) where wall times cannot.
#
#   PAVE_BIN=/path/to/pave bench/profile.sh              # all cases
#   PAVE_BIN=... PROFILE_CASES="upgrade fleet" bench/profile.sh
#
# Cases (each made small and fresh in PROFILE_WORK, /tmp/pave-bench-profile):
#   new        pave new bench-service (53 files, --no-git), the template of bench/compare.sh
#   upgrade    pave upgrade of the bench/upgrade project (53 files, two local edits, 1.0.0 -> 2.0.0)
#   upgrade1k  the same padded to 1,000 files (gen_versions.py --files 1000)
#   fleet      pave fleet upgrade --jobs 1 of 1 and of PROFILE_FLEET (20) projects of bench/fleet
#              (rust-axum-service 1.0.0 -> 2.0.0): the difference over PROFILE_FLEET - 1 is the
#              cost of one more project, without the process's fixed costs
#   remote     the same for remote repositories (file:// bare repositories, --push, empty cache:
#              mirror, plan, commit, push), and the unchanged re-run
#
# For each run: the total instructions (Ir) and the top functions by inclusive cost
# (callgrind_annotate --inclusive=yes), written to PROFILE_WORK/NAME.txt, and a one-line summary
# per case on stdout. Needs valgrind (apt-get install valgrind). Symbols: a release build keeps
# function names (no `strip`); inlined functions are counted in their callers.
#
# Environment: PAVE_BIN (else cargo build --release), PROFILE_WORK, PROFILE_CASES, PROFILE_FLEET
# (20), PROFILE_TOP (70 functions), PYTHON.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

PWORK=${PROFILE_WORK:-/tmp/pave-bench-profile}
read -r -a CASES <<<"${PROFILE_CASES:-new upgrade upgrade1k fleet remote}"
NFLEET=${PROFILE_FLEET:-20}
TOP=${PROFILE_TOP:-70}
export GIT_AUTHOR_NAME="Bench Dev" GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME="Bench Dev" GIT_COMMITTER_EMAIL=dev@example.com
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null

build_pave
PWORK=$(outside_git PROFILE_WORK "$PWORK") || exit 2
cp "$PAVE" "$PWORK/pave"
PAVE=$PWORK/pave
rm -f "$PWORK/summary.txt"
note "profiling $PAVE: $("$PAVE" --version), sha256 $(sha256sum "$PAVE" | cut -c1-16)"

# cg NAME COMMAND...: runs COMMAND under callgrind; prints and returns NAME's total Ir.
cg() {
    local name=$1; shift
    local out=$PWORK/$name.callgrind
    rm -f "$out"
    valgrind --tool=callgrind --callgrind-out-file="$out" --trace-children=no "$@" >"$PWORK/$name.log" 2>&1 ||
        { echo "$name failed under callgrind: see $PWORK/$name.log" >&2; tail -5 "$PWORK/$name.log" >&2; exit 1; }
    callgrind_annotate --inclusive=yes "$out" >"$PWORK/$name.all.txt" 2>/dev/null
    head -n $((TOP + 25)) "$PWORK/$name.all.txt" >"$PWORK/$name.txt"
    IR[$name]=$(sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$PWORK/$name.txt" | tr -d ,)
    note "$name: $(printf "%'d" "${IR[$name]}") instructions ($PWORK/$name.txt)"
}
declare -A IR

# An upgrade project (bench/upgrade's: gen_versions.py, pave new, the two local edits).
upgrade_project() {
    local dir=$1 files=$2
    rm -rf "$dir"
    "$PYTHON" "$BENCH/upgrade/gen_versions.py" "$dir/tpl" ${files:+--files "$files"} >/dev/null
    "$PAVE" new bench-service@1.0.0 "$dir/project" --no-input -q --catalog "$dir/tpl/pave-catalog" \
        -d service_name=payments -d team=team-payments -d tier=tier-1 -d port=9090
    "$PYTHON" "$BENCH/upgrade/project.py" edit "$dir/project"
    git -C "$dir/project" commit -qam "Local edits"
    cp -a "$dir/project" "$dir/run"
    # As bench/upgrade/timeit_prepared.py does: a copy's index no longer matches the files' stat
    # data (new inodes, new ctimes), and without a refresh pave's dirty check hashes every file.
    git -C "$dir/run" update-index -q --refresh
}

for case in "${CASES[@]}"; do
    step "$case"
    case $case in
    new)
        "$PYTHON" "$BENCH/gen_template.py" "$PWORK/new" >/dev/null
        rm -rf "$PWORK/new/out"
        cg new "$PAVE" new bench-service "$PWORK/new/out" --catalog "$PWORK/new/pave-catalog" --no-input --no-git -q \
            -d service_name=payments -d team=team-payments -d tier=tier-1 -d port=9090
        ;;
    upgrade | upgrade1k)
        files=; [[ $case == upgrade1k ]] && files=1000
        upgrade_project "$PWORK/$case" "$files"
        cg "$case" "$PAVE" upgrade "$PWORK/$case/run" --no-input -q
        "$PYTHON" "$BENCH/upgrade/project.py" verify "$PWORK/$case/run"
        ;;
    fleet)
        for n in 1 "$NFLEET"; do
            "$BENCH/fleet/gen_fleet.sh" "$PAVE" "$PWORK/fleet-$n" "$n" 2>/dev/null
            "$BENCH/fleet/reset.sh" "$PWORK/fleet-$n"
            cg "fleet-$n" "$PAVE" fleet upgrade "$PWORK/fleet-$n" --to 2.0.0 -d data_classification=internal \
                --jobs 1 -q --report "$PWORK/fleet-$n.report.json"
            cg "fleet-$n-rerun" "$PAVE" fleet upgrade "$PWORK/fleet-$n" --to 2.0.0 -d data_classification=internal \
                --jobs 1 -q --report "$PWORK/fleet-$n-rerun.report.json"
        done
        for k in "" -rerun; do
            per=$(((IR[fleet-$NFLEET$k] - IR[fleet-1$k]) / (NFLEET - 1)))
            note "fleet$k: $(printf "%'d" "$per") instructions per project beyond the first; fixed cost ~$(printf "%'d" $((IR[fleet-1$k] - per)))"
            echo "fleet$k per-project $per fixed $((IR[fleet-1$k] - per))" >>"$PWORK/summary.txt"
        done
        ;;
    remote)
        seed=$PWORK/remote-seed
        remote_seed "$PAVE" "$seed"
        for n in 1 "$NFLEET"; do
            root=$PWORK/remote-$n
            "$PYTHON" "$BENCH/fleet/remote_fleet.py" gen "$seed.git" "$root" "$n" 2>/dev/null
            "$PYTHON" "$BENCH/fleet/remote_fleet.py" reset "$root" "$PWORK/trash/$(date +%s%N)" 2>/dev/null
            rm -rf "$root/cache"
            (cd "$root" && export XDG_CACHE_HOME=$root/cache && cg "remote-$n" "$PAVE" fleet upgrade --repos-from repos.txt --to 2.0.0 --push \
                -d data_classification=internal --jobs 1 -q --report "$PWORK/remote-$n.report.json")
            IR[remote-$n]=$(sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$PWORK/remote-$n.txt" | tr -d ,)
            (cd "$root" && export XDG_CACHE_HOME=$root/cache && cg "remote-$n-rerun" "$PAVE" fleet upgrade --repos-from repos.txt --to 2.0.0 --push \
                -d data_classification=internal --jobs 1 -q --report "$PWORK/remote-$n-rerun.report.json")
            IR[remote-$n-rerun]=$(sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' "$PWORK/remote-$n-rerun.txt" | tr -d ,)
        done
        for k in "" -rerun; do
            per=$(((IR[remote-$NFLEET$k] - IR[remote-1$k]) / (NFLEET - 1)))
            note "remote$k: $(printf "%'d" "$per") instructions per repository beyond the first; fixed cost ~$(printf "%'d" $((IR[remote-1$k] - per)))"
            echo "remote$k per-repository $per fixed $((IR[remote-1$k] - per))" >>"$PWORK/summary.txt"
        done
        ;;
    *) echo "unknown case $case" >&2; exit 2 ;;
    esac
done
step "totals"
for k in "${!IR[@]}"; do printf '%-20s %15s\n' "$k" "$(printf "%'d" "${IR[$k]}")"; done | sort
