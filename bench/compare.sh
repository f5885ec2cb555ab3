#!/usr/bin/env bash
# Side-by-side comparison: the same ~50-file service template rendered non-interactively by
# pave, Copier and Cookiecutter (and kickstart when it can be installed), several times each in
# one run. Prints median and min wall time, CPU time and ratios against pave.
#
#   bench/compare.sh                 # 20 timed runs per tool after 3 warm-up runs
#   BENCH_RUNS=50 bench/compare.sh   # more runs
#
# A last row, "floor", is `cp -r` of the pave template's own files/ (its 53 files in the same
# directories, left unrendered): about what writing this project costs any tool on the machine.
#
# Environment: BENCH_RUNS (20), BENCH_WARMUP (3), BENCH_KICKSTART=0, BENCH_CARGO_GENERATE=0 and
# BENCH_FLOOR=0 (skip those rows),
# BENCH_TIMER=hyperfine|python (see lib.sh; python interleaves the tools, which is fairer on a
# busy machine), BENCH_WORK (bench/work), PAVE_BIN (an already built pave), PYTHON (python3).
# Everything it creates lives in bench/.venv, bench/.tools and bench/work (all gitignored).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

VENV=$BENCH/.venv
TOOLS=$BENCH/.tools
OUT=$WORK/out
RESULTS=$WORK/results

build_pave

step "Copier and Cookiecutter in $VENV"
if [[ -x $VENV/bin/copier && -x $VENV/bin/cookiecutter ]]; then
    note "already installed"
else
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check copier cookiecutter
fi
COPIER_VERSION=$("$VENV/bin/copier" --version | awk '{print $NF}')
COOKIECUTTER_VERSION=$("$VENV/bin/cookiecutter" --version | awk '{print $2}')

KICKSTART=
if [[ ${BENCH_KICKSTART:-1} != 0 ]]; then
    step "kickstart in $TOOLS"
    if [[ -x $TOOLS/bin/kickstart ]]; then
        note "already installed"
        KICKSTART=$TOOLS/bin/kickstart
    elif cargo install kickstart --locked --features cli --root "$TOOLS" --quiet; then
        KICKSTART=$TOOLS/bin/kickstart
    else
        note "could not install kickstart from crates.io: its column is skipped"
    fi
fi

CARGO_GENERATE=
if [[ ${BENCH_CARGO_GENERATE:-1} != 0 ]]; then
    step "cargo-generate in $TOOLS"
    if [[ -x $TOOLS/bin/cargo-generate ]]; then
        note "already installed"
        CARGO_GENERATE=$TOOLS/bin/cargo-generate
    # The newest release needs a newer rustc than some machines have: fall back to 0.23.
    elif cargo install cargo-generate --locked --root "$TOOLS" --quiet ||
        cargo install cargo-generate --version '~0.23' --locked --root "$TOOLS" --quiet; then
        CARGO_GENERATE=$TOOLS/bin/cargo-generate
    else
        note "could not install cargo-generate from crates.io: its column is skipped"
    fi
fi

step "generating the template in every format into $WORK"
"$PYTHON" "$BENCH/gen_template.py" "$WORK"
rm -rf "$OUT" "$RESULTS"
mkdir -p "$OUT" "$RESULTS"

# The same answers for every tool (the fifth question, database, keeps its default: true).
# PROJECT: where each tool's project lands; it is removed before every run.
declare -A PROJECT=(
    [pave]=$OUT/pave
    [copier]=$OUT/copier
    [cookiecutter]=$OUT/cookiecutter/payments  # named by the template's {{cookiecutter.service_name}}/
    [kickstart]=$OUT/kickstart
    [cargo_generate]=$OUT/cargo-generate/payments  # named by --name
)
mkdir -p "$OUT/cookiecutter" "$OUT/cargo-generate"
pave_cmd=("$PAVE" new bench-service "${PROJECT[pave]}" --no-input --no-git -q
    --catalog "$WORK/pave-catalog"
    -d service_name=payments -d team=team-payments -d tier=tier-1 -d port=9090)
copier_cmd=("$VENV/bin/copier" copy --quiet --defaults
    -d service_name=payments -d team=team-payments -d tier=tier-1 -d port=9090
    "$WORK/copier" "${PROJECT[copier]}")
cookiecutter_cmd=("$VENV/bin/cookiecutter" --no-input -o "$OUT/cookiecutter" "$WORK/cookiecutter"
    service_name=payments team=team-payments tier=tier-1 port=9090)
kickstart_cmd=("$KICKSTART" "$WORK/kickstart" -o "${PROJECT[kickstart]}" -i "$WORK/kickstart-answers.json")
# cargo-generate's own --name (its project-name) only names the directory it creates.
cargo_generate_cmd=("$CARGO_GENERATE" generate --path "$WORK/cargo-generate" --name payments
    --destination "$OUT/cargo-generate" --vcs none --silent
    --define service_name=payments --define team=team-payments --define tier=tier-1 --define port=9090)

declare -A VERSION=(
    [pave]=$("$PAVE" --version | awk '{print $2}')
    [copier]=$COPIER_VERSION
    [cookiecutter]=$COOKIECUTTER_VERSION
)
tools=(pave copier cookiecutter)
if [[ -n $KICKSTART ]]; then
    tools+=(kickstart)
    VERSION[kickstart]=$("$KICKSTART" --version | awk '{print $NF}')
fi
if [[ -n $CARGO_GENERATE ]]; then
    tools+=(cargo_generate)
    VERSION[cargo_generate]=$("$CARGO_GENERATE" --version | awk '{print $NF}')
fi

if [[ ${BENCH_FLOOR:-1} != 0 ]]; then
    PROJECT[floor]=$OUT/floor
    floor_cmd=(cp -r "$WORK/pave-catalog/templates/bench-service/1.0.0/files" "${PROJECT[floor]}")
    VERSION[floor]=$(cp --version | head -1 | awk '{print $NF}')
fi

step "checking that every tool generates the same project"
checks=()
for tool in "${tools[@]}"; do
    declare -n cmd="${tool}_cmd"
    rm -rf "${PROJECT[$tool]}"
    "${cmd[@]}" >/dev/null 2>&1 || { echo "$tool failed: ${cmd[*]}" >&2; "${cmd[@]}"; exit 1; }
    checks+=("${tool//_/-}=${PROJECT[$tool]}")
done
"$PYTHON" "$BENCH/same_output.py" "${checks[@]}"
note "project files: $(find "${PROJECT[pave]}" -type f | wc -l) (pave's count includes its .pave.toml)"

step "timing: $RUNS runs per tool after $WARMUP warm-up runs, each into a fresh directory ($(timer_name))"
note "machine: $(machine_line)"
entries=()
[[ -n ${PROJECT[floor]:-} ]] && tools+=(floor)
for tool in "${tools[@]}"; do
    declare -n cmd="${tool}_cmd"
    bench_add "$tool" "${PROJECT[$tool]}" "${cmd[@]}"
    entries+=("${tool//_/-}=${VERSION[$tool]}=$RESULTS/$tool.json")
done
bench_run "$RESULTS"

step "results ($(date -u +%Y-%m-%d), load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
"$PYTHON" "$BENCH/report.py" "${entries[@]}"
"$PYTHON" "$BENCH/report.py" --markdown "${entries[@]}" >"$RESULTS/table.md"
note "markdown table: $RESULTS/table.md; raw timings: $RESULTS/*.json"
