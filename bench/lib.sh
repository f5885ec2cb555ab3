# Shared by the benchmark scripts (sourced, not run).
# shellcheck shell=bash

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
RUNS=${BENCH_RUNS:-20}
WARMUP=${BENCH_WARMUP:-3}
WORK=${BENCH_WORK:-$BENCH/work}  # generated templates, projects and timings
PYTHON=${PYTHON:-python3}

step() { printf '\n==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }

# Builds pave in release mode (unless PAVE_BIN names a binary) and sets PAVE.
build_pave() {
    if [[ -n ${PAVE_BIN:-} ]]; then
        PAVE=$PAVE_BIN
        note "using PAVE_BIN=$PAVE"
        return
    fi
    step "building pave (cargo build --release)"
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    PAVE=${CARGO_TARGET_DIR:-$ROOT/target}/release/pave
    note "pave $("$PAVE" --version | awk '{print $2}') built from $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'an unknown commit')"
}

# The timer. BENCH_TIMER=hyperfine (the default when hyperfine is installed) times each command's
# runs back to back; BENCH_TIMER=python (the default otherwise) uses timeit.py, which interleaves
# the commands round by round so that bursts of load from other processes hit every tool alike.
timer_kind() {
    case ${BENCH_TIMER:-} in
        hyperfine | python) echo "$BENCH_TIMER" ;;
        "") if command -v hyperfine >/dev/null; then echo hyperfine; else echo python; fi ;;
        *) echo "BENCH_TIMER must be hyperfine or python" >&2; return 2 ;;
    esac
}

timer_kind >/dev/null || exit 2

timer_name() {
    if [[ $(timer_kind) == hyperfine ]]; then
        echo "$(hyperfine --version), each command's runs back to back"
    else
        echo "timeit.py on Python $("$PYTHON" -c 'import platform; print(platform.python_version())'), commands interleaved"
    fi
}

# bench_add NAME FRESH_DIR COMMAND...: queues COMMAND; FRESH_DIR is cleared before every run so
# that each run creates a new project. timeit.py moves it aside and removes everything after the
# last run (see its header: a removal between runs made each tool's time depend on where ext4
# placed it); hyperfine removes it (`--prepare rm -rf`).
#
# FRESH_DIR's parent gets ext4's "top of directory hierarchy" flag (chattr +T, where available), so
# that every new project directory lands in a block group chosen from the hash of its name instead
# of its parent's (find_group_orlov() in fs/ext4/ialloc.c). Without
# it, on an ext4 file system without a journal (as on this benchmark's VM) the runs slow each other
# down: the kernel's inode allocator skips inodes freed in the last minute or more
# (recently_deleted() in fs/ext4/ialloc.c), so after a few hundred create-delete cycles in one
# group each new file costs a scan of inode-table blocks. `perf record` showed
# recently_deleted + __brelse as the top kernel symbols, and pave's 53-file run grew from about
# 5 ms to 12-20 ms in such a directory; no user creating one project pays that.
SPEC=()
spread_dirs() {
    command -v chattr >/dev/null && chattr +T "$@" 2>/dev/null || true
}
bench_add() {
    mkdir -p "$(dirname "$2")"
    spread_dirs "$(dirname "$2")"
    SPEC+=("$("$PYTHON" -c 'import json, sys; print(json.dumps({"name": sys.argv[1], "fresh": sys.argv[2], "command": sys.argv[3:]}))' "$@")")
}

# bench_run RESULTS_DIR: runs the queued commands $WARMUP + $RUNS times each, without a shell,
# and writes RESULTS_DIR/NAME.json (hyperfine's JSON shape).
bench_run() {
    local results=$1 entry name fresh
    mkdir -p "$results"
    local spec=$results/spec.json
    (IFS=,; printf '[%s]\n' "${SPEC[*]}") >"$spec"
    if [[ $(timer_kind) == hyperfine ]]; then
        for entry in "${SPEC[@]}"; do
            name=$("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])["name"])' "$entry")
            fresh=$("$PYTHON" -c 'import json, sys; print(json.loads(sys.argv[1])["fresh"])' "$entry")
            mapfile -t cmd < <("$PYTHON" -c 'import json, sys; print("\n".join(json.loads(sys.argv[1])["command"]))' "$entry")
            note "$name (load average $(cut -d' ' -f1-3 /proc/loadavg))"
            hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" \
                --prepare "rm -rf $(printf '%q' "$fresh")" \
                --export-json "$results/$name.json" "$(printf '%q ' "${cmd[@]}")" >&2
        done
    else
        "$PYTHON" "$BENCH/timeit.py" --runs "$RUNS" --warmup "$WARMUP" --spec "$spec" \
            --export-dir "$results"
    fi
    SPEC=()
}

# One line on the machine and how busy it is, so a reader can judge the figures (CPU pressure:
# the share of the last 60 s in which some runnable task waited for a CPU).
machine_line() {
    local cpu psi=
    cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//')
    if [[ -r /proc/pressure/cpu ]]; then
        psi=", CPU pressure $(sed -n 's/^some .*avg60=\([0-9.]*\).*/\1/p' /proc/pressure/cpu)%"
    fi
    printf '%s, %s CPUs (%s), load average %s%s' "$(uname -sr)" "$(nproc)" "${cpu:-unknown CPU}" \
        "$(cut -d' ' -f1-3 /proc/loadavg)" "$psi"
}

# outside_git VAR DIR: makes DIR and prints its absolute path; refuses (exit status 2) a DIR inside
# a git work tree, where `pave new` would not make a repository of its own. VAR names the setting
# in the message.
outside_git() {
    local var=$1 dir=$2 top
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if top=$(git -C "$dir" rev-parse --show-toplevel 2>/dev/null); then
        echo "$var=$dir is inside the git work tree $top: choose a directory outside any repository" >&2
        return 2
    fi
    echo "$dir"
}

# remote_seed PAVE SEED: SEED.git, a bare, packed repository of one project made with
# `pave new rust-axum-service@1.0.0`, which the remote fleets copy; made once and reused.
remote_seed() {
    local pave=$1 seed=$2
    [[ -e $seed.git/pave-bench-ready ]] && return 0
    rm -rf "$seed" "$seed.git"
    "$pave" new rust-axum-service@1.0.0 "$seed" --no-input -q -d service_name=svc -d team=team-platform
    git clone --bare -q --no-local "$seed" "$seed.git"
    git -C "$seed.git" remote remove origin
    git -C "$seed.git" repack -adq
    touch "$seed.git/pave-bench-ready"
}
