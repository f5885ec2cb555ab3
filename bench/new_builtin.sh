#!/usr/bin/env bash
# Whole-process benchmark of `pave new --no-git` on the largest built-in template: the template
# version under templates/ with the most files (chosen when the script runs), answered with -d
# for every required question (read from `pave catalog show NAME@VERSION --json`).
#
# Three rows: the catalog embedded in the binary (what a user gets), the same catalog read from
# the directory with --catalog (what a template author iterating on templates/ gets), and the
# embedded catalog with git (`pave new` without --no-git: `git init` and the first commit, what
# most users run).
#
#   bench/new_builtin.sh             # 20 timed runs after 3 warm-up runs
#   BENCH_RUNS=50 bench/new_builtin.sh
#
# Environment: BENCH_RUNS, BENCH_WARMUP, BENCH_TIMER, BENCH_TARGET_MS (12), BENCH_WORK, PAVE_BIN,
# PYTHON (see compare.sh and lib.sh), BENCH_GIT_WORK (/tmp/pave-bench-new-git: where the row with
# git writes its projects, outside any git work tree, since pave makes no repository inside one).
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"

OUT=$WORK/builtin
RESULTS=$WORK/results

build_pave

step "picking the largest built-in template version"
best= best_count=-1
for dir in "$ROOT"/templates/*/*/; do
    [[ -d $dir/files ]] || continue
    count=$(find "$dir/files" -type f -o -type l | wc -l)
    if ((count > best_count)); then
        best=$dir best_count=$count
    fi
done
[[ -n $best ]] || { echo "no template version under $ROOT/templates" >&2; exit 1; }
best=${best%/}
VERSION=$(basename "$best")
NAME=$(basename "$(dirname "$best")")
note "$NAME@$VERSION: $best_count template files"

# One -d per required question (see answers.py).
show=$("$PAVE" catalog show "$NAME@$VERSION" --json)
answers=$("$PYTHON" "$BENCH/answers.py" <<<"$show")
DATA=()
[[ -z $answers ]] || mapfile -t DATA <<<"$answers"
note "answers: ${DATA[*]:-(none required)}"

mkdir -p "$OUT" "$RESULTS"
embedded_cmd=("$PAVE" new "$NAME@$VERSION" "$OUT/embedded" --no-input --no-git -q --allow-experimental "${DATA[@]}")
directory_cmd=("$PAVE" new "$NAME@$VERSION" "$OUT/directory" --no-input --no-git -q --allow-experimental
    --catalog "$ROOT" "${DATA[@]}")
GIT_OUT=$(outside_git BENCH_GIT_WORK "${BENCH_GIT_WORK:-/tmp/pave-bench-new-git}")/project
git_cmd=("$PAVE" new "$NAME@$VERSION" "$GIT_OUT" --no-input -q --allow-experimental "${DATA[@]}")
export GIT_AUTHOR_NAME="Bench Dev" GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME="Bench Dev" GIT_COMMITTER_EMAIL=dev@example.com

step "checking the run"
rm -rf "$OUT/embedded" "$OUT/directory" "$GIT_OUT"
"${embedded_cmd[@]}"
"${directory_cmd[@]}"
"${git_cmd[@]}"
git -C "$GIT_OUT" fsck --strict --no-progress >&2
note "with git: $(git -C "$GIT_OUT" rev-list --count HEAD) commit, $(git -C "$GIT_OUT" count-objects -v | tr '\n' ' ')"
note "project files: $(find "$OUT/embedded" -type f | wc -l) (including .pave.toml)"
# .pave.toml records where the catalog came from; every other byte must be the same.
if ! diff -rq -x .pave.toml "$OUT/embedded" "$OUT/directory" >&2; then
    note "the catalog embedded in pave differs from templates/ on disk: rebuild pave"
fi

step "timing: $RUNS runs after $WARMUP warm-up runs, each into a fresh directory ($(timer_name))"
note "machine: $(machine_line)"
bench_add builtin-embedded "$OUT/embedded" "${embedded_cmd[@]}"
bench_add builtin-directory "$OUT/directory" "${directory_cmd[@]}"
bench_add builtin-git "$GIT_OUT" "${git_cmd[@]}"
bench_run "$RESULTS"

PAVE_VERSION=$("$PAVE" --version | awk '{print $2}')
step "results: pave new $NAME@$VERSION, --no-git and with git ($best_count template files, $(date -u +%Y-%m-%d), load average after: $(cut -d' ' -f1-3 /proc/loadavg))"
entries=("pave (embedded catalog)=$PAVE_VERSION=$RESULTS/builtin-embedded.json"
    "pave (--catalog templates/)=$PAVE_VERSION=$RESULTS/builtin-directory.json"
    "pave (with git)=$PAVE_VERSION=$RESULTS/builtin-git.json")
"$PYTHON" "$BENCH/report.py" --baseline "pave (embedded catalog)" "${entries[@]}"
"$PYTHON" "$BENCH/report.py" --markdown --baseline "pave (embedded catalog)" "${entries[@]}" >"$RESULTS/builtin.md"
TARGET_MS=${BENCH_TARGET_MS:-12}
"$PYTHON" - "$RESULTS/builtin-embedded.json" "$TARGET_MS" <<'EOF'
import json, statistics, sys
times = json.load(open(sys.argv[1]))["results"][0]["times"]
median, target = statistics.median(times) * 1000, float(sys.argv[2])
verdict = "meets" if median < target else "MISSES"
print(f"\nmedian {median:.1f} ms {verdict} the {target:g} ms target")
EOF
