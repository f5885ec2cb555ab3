#!/usr/bin/env bash
# Issue 4's benchmark: `pave upgrade` against `copier update` and `cruft update`, side by side in
# one run, on the same ~50-file service template at two versions with the same two local edits.
#
#   bench/upgrade/run.sh                  # 20 timed runs per tool after 3 warm-up runs
#   BENCH_RUNS=40 bench/upgrade/run.sh    # more runs
#
# What it does:
#   1. builds pave (cargo build --release; PAVE_BIN=... to use a built binary);
#   2. installs Copier and cruft from PyPI into bench/upgrade/.venv (once; idempotent);
#   3. writes the template at 1.0.0 and 2.0.0 in each tool's format (gen_versions.py);
#   4. for each tool, creates a project from 1.0.0 (pave new / copier copy / cruft create), makes
#      it a git repository with a first commit, applies the same two local edits (project.py
#      edit) and commits them: the "prepared" project;
#   5. upgrades a copy of each prepared project once and checks it: 2.0.0's changes present,
#      both local edits kept, no conflict left, exit 0, and all three results identical;
#   6. times the upgrades, each run on a fresh copy of the prepared project (the copy, an index
#      refresh and a `sync` are outside the timed section), non-interactively:
#        pave upgrade DIR --no-input -q
#        copier update --defaults --quiet DIR
#        cruft update -y -p DIR
#   7. prints median, min, CPU and the ratios to pave, and checks issue 4's targets.
#
# Environment: BENCH_RUNS (20), BENCH_WARMUP (3), BENCH_TIMER=python|hyperfine (python here by
# default: timeit_prepared.py interleaves the tools round by round, which is fairer on a shared,
# busy machine; hyperfine runs each tool's runs back to back with --prepare), BENCH_UPGRADE_WORK
# (/tmp/pave-bench-upgrade: it must be outside any git work tree, because `pave new` refuses to
# nest a repository and the tools need the project to be its own repository), PAVE_BIN, PYTHON (python3),
# UPGRADE_FILES (unset: the shared 53-file template; N: padded to N files, see gen_versions.py
# --files; UPGRADE_PER_DIR: files per padding directory, 10), UPGRADE_TOOLS ("pave copier cruft": the tools made, checked and timed; "pave" alone
# for a quick run on a large template), PAVE_BEFORE (another pave binary, e.g. an older commit's:
# timed as the row "pave-before" on the same prepared pave project, interleaved with the others).
set -euo pipefail

export BENCH_TIMER=${BENCH_TIMER:-python}
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"   # step, note, build_pave, timer_kind, machine_line, RUNS, WARMUP

HERE=$BENCH/upgrade
VENV=$HERE/.venv
UWORK=${BENCH_UPGRADE_WORK:-/tmp/pave-bench-upgrade}
PREPARED=$UWORK/prepared
CHECK=$UWORK/check
RUN=$UWORK/run
RESULTS=$UWORK/results

# The same identity for every commit any tool makes (pave reads these too).
export GIT_AUTHOR_NAME="Bench Dev" GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME="Bench Dev" GIT_COMMITTER_EMAIL=dev@example.com
ANSWERS=(service_name=payments team=team-payments tier=tier-1 port=9090)

UWORK=$(outside_git BENCH_UPGRADE_WORK "$UWORK") || exit 2

build_pave
# target/release is shared with everyone who builds in this checkout: time a private copy, so a
# concurrent `cargo build` cannot swap the binary in the middle of the runs.
mkdir -p "$UWORK"
cp "$PAVE" "$UWORK/pave"
PAVE=$UWORK/pave
note "timing $PAVE: $("$PAVE" --version), sha256 $(sha256sum "$PAVE" | cut -c1-16)"

read -r -a WANTED <<<"${UPGRADE_TOOLS:-pave copier cruft}"
wants() { [[ " ${WANTED[*]} " == *" $1 "* ]]; }
wants pave || { echo "UPGRADE_TOOLS must include pave (the ratios are to pave)" >&2; exit 2; }

step "Copier and cruft in $VENV"
if [[ -x $VENV/bin/copier && -x $VENV/bin/cruft ]]; then
    note "already installed"
else
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check copier cruft
fi
COPIER=$VENV/bin/copier
CRUFT=$VENV/bin/cruft
declare -A VERSION=(
    [pave]=$("$PAVE" --version | awk '{print $2}')
    [copier]=$("$COPIER" --version | awk '{print $NF}')
    [cruft]=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("cruft"))')
)
if [[ -n ${PAVE_BEFORE:-} ]]; then
    cp "$PAVE_BEFORE" "$UWORK/pave-before"
    VERSION[pave-before]=$("$UWORK/pave-before" --version | awk '{print $2}')
    note "also timing PAVE_BEFORE=$PAVE_BEFORE as pave-before, sha256 $(sha256sum "$UWORK/pave-before" | cut -c1-16)"
fi
note "pave ${VERSION[pave]}, copier ${VERSION[copier]}, cruft ${VERSION[cruft]} (cookiecutter $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("cookiecutter"))')), $(git --version)"

step "template bench-service 1.0.0 and 2.0.0 in every format, into $UWORK"
"$PYTHON" "$HERE/gen_versions.py" "$UWORK" ${UPGRADE_FILES:+--files "$UPGRADE_FILES" --per-dir "${UPGRADE_PER_DIR:-10}"}
CC_V1=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["cookiecutter"]["v1"])' "$UWORK/versions.json")

# git init (unless pave new already did), stage everything, commit.
commit_all() {
    [[ -d $1/.git ]] || git -C "$1" init -q -b main
    git -C "$1" add -A && git -C "$1" commit -q -m "$2"
}

step "projects from 1.0.0 with the two local edits, committed, in $PREPARED"
rm -rf "$PREPARED" "$CHECK" "$RUN" "$RESULTS"
mkdir -p "$PREPARED" "$CHECK" "$RUN" "$RESULTS"
pave_data=(); for a in "${ANSWERS[@]}"; do pave_data+=(-d "$a"); done
"$PAVE" new bench-service@1.0.0 "$PREPARED/pave" --no-input -q --catalog "$UWORK/pave-catalog" "${pave_data[@]}"
made=(pave)
if wants copier; then
    "$COPIER" copy --quiet --defaults --vcs-ref v1.0.0 "${pave_data[@]}" "$UWORK/copier" "$PREPARED/copier"
    commit_all "$PREPARED/copier" "Create from bench-service 1.0.0"
    made+=(copier)
fi
if wants cruft; then
    extra=$("$PYTHON" -c 'import json, sys; print(json.dumps(dict(a.split("=", 1) for a in sys.argv[1:])))' "${ANSWERS[@]}")
    "$CRUFT" create "$UWORK/cookiecutter" --checkout "$CC_V1" --no-input --output-dir "$UWORK/cruft-out" \
        --extra-context "$extra" >/dev/null
    mv "$UWORK/cruft-out/payments" "$PREPARED/cruft" && rmdir "$UWORK/cruft-out"
    commit_all "$PREPARED/cruft" "Create from bench-service 1.0.0"
    made+=(cruft)
fi
for tool in "${made[@]}"; do
    "$PYTHON" "$HERE/project.py" edit "$PREPARED/$tool"
    commit_all "$PREPARED/$tool" "Local edits: more memory, notes in the README"
done
note "$(find "$PREPARED/pave" -path "$PREPARED/pave/.git" -prune -o -type f -print | wc -l) files in each project (pave's count includes .pave.toml)"

# The timed commands; {DIR} is the fresh copy.
declare -A CMD=(
    [pave]="$PAVE upgrade {DIR} --no-input -q"
    [copier]="$COPIER update --defaults --quiet {DIR}"
    [cruft]="$CRUFT update -y -p {DIR}"
    [pave-before]="$UWORK/pave-before upgrade {DIR} --no-input -q"
)
declare -A SOURCE=([pave]=pave [pave-before]=pave [copier]=copier [cruft]=cruft)
tools=("${made[@]}")
[[ -n ${PAVE_BEFORE:-} ]] && tools+=(pave-before)
cmd_for() { local c=${CMD[$1]}; echo "${c//\{DIR\}/$2}"; }

step "one upgrade per tool, checked"
same=()
for tool in "${tools[@]}"; do
    dir=$CHECK/$tool
    cp -a "$PREPARED/${SOURCE[$tool]}" "$dir"
    # shellcheck disable=SC2046  # the command is split on spaces on purpose (no spaces in paths)
    if ! $(cmd_for "$tool" "$dir") >"$CHECK/$tool.log" 2>&1; then
        echo "$tool failed (exit $?): $(cmd_for "$tool" "$dir")" >&2
        cat "$CHECK/$tool.log" >&2
        exit 1
    fi
    "$PYTHON" "$HERE/project.py" verify "$dir" || { echo "$tool did not upgrade correctly: see $dir" >&2; exit 1; }
    note "$tool: 2.0.0's changes present, both local edits kept, no conflict"
    same+=("$tool=$dir")
done
# With one tool there is nothing to compare its output with.
((${#same[@]} < 2)) || "$PYTHON" "$HERE/project.py" same "${same[@]}"

step "timing: $RUNS runs per tool after $WARMUP warm-up runs, each on a fresh copy of the prepared project"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
note "machine: $(machine_line)"
if [[ $(timer_kind) == hyperfine ]]; then
    note "timer: $(hyperfine --version), each tool's runs back to back"
    for tool in "${tools[@]}"; do
        dir=$RUN/$tool
        note "$tool (load average $(cut -d' ' -f1-3 /proc/loadavg))"
        hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
            --prepare "bash -c 'rm -rf $dir && cp -a $PREPARED/${SOURCE[$tool]} $dir && git -C $dir update-index -q --refresh && sync'" \
            --export-json "$RESULTS/$tool.json" "$(cmd_for "$tool" "$dir")" >&2
    done
else
    note "timer: timeit_prepared.py on Python $("$PYTHON" -c 'import platform; print(platform.python_version())'), tools interleaved"
    spec=()
    for tool in "${tools[@]}"; do
        # shellcheck disable=SC2046
        spec+=("$("$PYTHON" -c 'import json, sys; print(json.dumps({"name": sys.argv[1], "prepared": sys.argv[2], "fresh": sys.argv[3], "command": sys.argv[4:]}))' \
            "$tool" "$PREPARED/${SOURCE[$tool]}" "$RUN/$tool" ${CMD[$tool]})")
    done
    (IFS=,; printf '[%s]\n' "${spec[*]}") >"$RESULTS/spec.json"
    "$PYTHON" "$HERE/timeit_prepared.py" --runs "$RUNS" --warmup "$WARMUP" --spec "$RESULTS/spec.json" \
        --export-dir "$RESULTS"
fi
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

step "results ($(date -u +%Y-%m-%d), load average before: $LOAD_BEFORE, after: $LOAD_AFTER)"
entries=()
for tool in "${tools[@]}"; do entries+=("$tool=${VERSION[$tool]}=$RESULTS/$tool.json"); done
"$PYTHON" "$BENCH/report.py" "${entries[@]}"
"$PYTHON" "$BENCH/report.py" --markdown "${entries[@]}" >"$RESULTS/table.md"
"$PYTHON" "$HERE/targets.py" "$RESULTS" ${UPGRADE_FILES:+--files "$UPGRADE_FILES"} | tee "$RESULTS/targets.txt"
note "markdown table: $RESULTS/table.md; raw timings: $RESULTS/*.json; Copier's median per repository for bench/fleet: $RESULTS/copier.json"
