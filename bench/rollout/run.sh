#!/usr/bin/env bash
# Issue 11's budget: "a no-op re-run of a rollout costs at most one or two API calls per
# repository". Counts the GitHub API calls pave makes per repository, on N (50) repositories
# served by the real git smart-HTTP server of the tests (tests/servers/git_http.py) and the fake
# GitHub API (tests/servers/github/server.mjs, which logs every request and checks each against
# GitHub's OpenAPI description). Four runs, each timed with /usr/bin/time -v (as bench/fleet):
#
#   first          pave fleet upgrade --repos-from urls.txt --open-prs --api-url API --to 2.0.0
#                    -d data_classification=internal --report first.json
#                  every repository upgraded, its branch pushed and a pull request opened
#   rerun          the same command again, nothing changed: checked: N `unchanged`, no mutating
#                  call, at most ROLLOUT_RERUN_BUDGET (1) calls per repository
#   rollout        pave fleet rollout rust-axum-service@2.0.0 --repos-from urls.txt --api-url API --json
#   rollout-again  the same again: both checked: no mutating call, at most 2 calls per repository
#
# ROLLOUT_OTHER_PRS=K gives svc-1 K open pull requests by someone else (heads deps/update-I):
# the upgrade lists a repository's open pull requests (to find pave's, of any version), 100 a
# page, so its re-run then costs ceil((K+1)/100) calls for svc-1, and the rerun check allows
# that many; the rollout asks for its branch's pull requests alone (head=OWNER:BRANCH).
#
# Every repository must be called at least once in each run, and pave's own count
# (`summary.api_calls`, rollout's `api_calls`) must equal the fake's log. The script exits 1 when
# a check fails, after printing the table.
#
# The repositories: svc-1 … svc-N, each `pave new rust-axum-service@1.1.0 svc-I --no-input
# -d service_name=svc-I -d team=team-I` (pave commits), cloned bare into SRV/acme/svc-I.git with
# http.receivepack true. The checkouts are made once per pave binary and reused; the bare
# repositories, the fake's state, pave's mirror cache (XDG_CACHE_HOME) and the results are made
# anew on every call. The fake knows each repository (POST /__control/repos) and the team its
# catalog-info.yaml names (POST /__control/teams), so the first run's reviewer requests succeed.
#
#   bench/rollout/run.sh                 # 50 repositories
#   N=200 bench/rollout/run.sh
#   PAVE_BIN=/path/to/pave bench/rollout/run.sh
#
# pave: PAVE_BIN, else target/release/pave, else target/debug/pave (the first that has
# `fleet rollout`), else `cargo build` (debug). Needs node and tests/validators/node_modules
# (scripts/setup-validators), python3, git with git-http-backend.
#
# Environment: N (50), ROLLOUT_WORK (/tmp/pave-bench-rollout: outside any git work tree),
# ROLLOUT_FROM (1.1.0), ROLLOUT_TO (2.0.0), ROLLOUT_DATA (data_classification=internal: 2.0.0's
# new required question), ROLLOUT_JOBS (empty: pave's default, all cores), ROLLOUT_RERUN_BUDGET
# (1; raised to ceil((K+1)/100) by ROLLOUT_OTHER_PRS=K), ROLLOUT_OTHER_PRS (0), PAVE_BIN, PYTHON.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"   # step, note, machine_line, ROOT, PYTHON

HERE=$BENCH/rollout
COUNT=${N:-50}
RWORK=${ROLLOUT_WORK:-/tmp/pave-bench-rollout}
TEMPLATE=rust-axum-service
FROM=${ROLLOUT_FROM:-1.1.0}
TO=${ROLLOUT_TO:-2.0.0}
read -r -a DATA <<<"${ROLLOUT_DATA:-data_classification=internal}"
JOBS=${ROLLOUT_JOBS:-}
OTHER_PRS=${ROLLOUT_OTHER_PRS:-0}
RERUN_BUDGET=${ROLLOUT_RERUN_BUDGET:-1}
OWNER=acme
GIT_TOKEN=bench-git-token-5e1f
API_TOKEN=bench-api-token-9a2c

[[ $COUNT =~ ^[1-9][0-9]*$ ]] || { echo "N must be a positive number, not '$COUNT'" >&2; exit 2; }
[[ $OTHER_PRS =~ ^[0-9]+$ ]] || { echo "ROLLOUT_OTHER_PRS must be a number, not '$OTHER_PRS'" >&2; exit 2; }
pages=$(((OTHER_PRS + 1 + 99) / 100))
((pages > RERUN_BUDGET)) && RERUN_BUDGET=$pages
modules=$ROOT/tests/validators/node_modules
for needed in @octokit/openapi/generated/api.github.com.json ajv/package.json ajv-formats/package.json; do
    if [[ ! -e $modules/$needed ]]; then
        echo "$modules/$needed is missing: run scripts/setup-validators" >&2
        exit 2
    fi
done
command -v node >/dev/null || { echo "node is not on PATH" >&2; exit 2; }
if [[ ! -x /usr/bin/time ]]; then
    step "installing GNU time (apt-get install -y time)"
    apt-get install -y -qq time >/dev/null
fi

RWORK=$(outside_git ROLLOUT_WORK "$RWORK") || exit 2

# The pave to time: PAVE_BIN, else the newest build in target/ that has `fleet rollout`.
has_rollout() { "$1" fleet rollout --help >/dev/null 2>&1; }
pick_pave() {
    if [[ -n ${PAVE_BIN:-} ]]; then
        PAVE=$PAVE_BIN
        note "using PAVE_BIN=$PAVE"
        return
    fi
    local target=${CARGO_TARGET_DIR:-$ROOT/target} profile
    for profile in release debug; do
        if [[ -x $target/$profile/pave ]]; then
            if has_rollout "$target/$profile/pave"; then
                PAVE=$target/$profile/pave
                return
            fi
            note "skipping $target/$profile/pave: it has no \`fleet rollout\` (built before it)"
        fi
    done
    step "building pave (cargo build)"
    cargo build --quiet --manifest-path "$ROOT/Cargo.toml"
    PAVE=$target/debug/pave
}
pick_pave
has_rollout "$PAVE" || { echo "$PAVE has no \`fleet rollout\`" >&2; exit 2; }
# A build older than the sources it is timed for says so (the templates are built in).
built=$(stat -c %Y "$PAVE")
changed=$(git -C "$ROOT" log -1 --format=%ct -- src Cargo.toml Cargo.lock templates catalog.toml 2>/dev/null || echo 0)
if ((built < changed)); then
    note "WARNING: $PAVE ($(date -u -d "@$built" '+%H:%M UTC')) is older than the last commit to src/ or templates/ ($(date -u -d "@$changed" '+%H:%M UTC'))"
fi
# A private copy: a concurrent cargo build cannot swap the binary in the middle of the runs.
cp "$PAVE" "$RWORK/pave"
note "timing $PAVE (built $(date -u -d "@$built" '+%Y-%m-%d %H:%M UTC'), $(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo 'unknown commit') checked out), sha256 $(sha256sum "$RWORK/pave" | cut -c1-16)"
PAVE=$RWORK/pave

export GIT_AUTHOR_NAME="Fleet Dev" GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME="Fleet Dev" GIT_COMMITTER_EMAIL=dev@example.com
unset PAVE_GITHUB_TOKEN PAVE_GIT_TOKEN GITHUB_TOKEN PAVE_CATALOG

MADE=$RWORK/made
SRV=$RWORK/srv
RESULTS=$RWORK/results-$COUNT
export XDG_CACHE_HOME=$RWORK/cache

step "$COUNT repositories from $TEMPLATE@$FROM in $SRV/$OWNER"
stamp=$(sha256sum "$PAVE" | cut -c1-64)
if [[ ! -e $MADE/.stamp || $(cat "$MADE/.stamp") != "$stamp" ]]; then
    rm -rf "$MADE"
    mkdir -p "$MADE"
    echo "$stamp" >"$MADE/.stamp"
fi
for ((i = 1; i <= COUNT; i++)); do
    if [[ ! -e $MADE/svc-$i/.pave.toml ]]; then
        rm -rf "$MADE/svc-$i"
        "$PAVE" new "$TEMPLATE@$FROM" "$MADE/svc-$i" --no-input -q -d "service_name=svc-$i" -d "team=team-$i"
    fi
done
rm -rf "$SRV" "$XDG_CACHE_HOME" "$RESULTS"
mkdir -p "$SRV/$OWNER" "$RESULTS"
for ((i = 1; i <= COUNT; i++)); do
    git clone -q --bare "$MADE/svc-$i" "$SRV/$OWNER/svc-$i.git"
    git -C "$SRV/$OWNER/svc-$i.git" config http.receivepack true
done

# The servers, stopped when the script exits (only these two processes).
PIDS=()
stop_servers() {
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_servers EXIT
# wait_port FILE PID WHAT: the port a server wrote to FILE, once it has.
wait_port() {
    local file=$1 pid=$2 what=$3 tries
    for ((tries = 0; tries < 300; tries++)); do
        if [[ -s $file ]] && grep -qE '^[0-9]+$' "$file"; then
            cat "$file"
            return
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "$what exited before writing its port: see $RESULTS" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "$what wrote no port in 30 s: see $RESULTS" >&2
    return 1
}

step "servers: git smart HTTP (tests/servers/git_http.py) and the fake GitHub API (tests/servers/github)"
GITLOG=$RESULTS/git-requests.jsonl
"$PYTHON" "$ROOT/tests/servers/git_http.py" --root "$SRV" --token "$GIT_TOKEN" --log "$GITLOG" \
    --port-file "$RESULTS/git.port" </dev/null >/dev/null 2>"$RESULTS/git-server.stderr" &
PIDS+=($!)
GIT_PORT=$(wait_port "$RESULTS/git.port" "${PIDS[0]}" "the git server")
node "$ROOT/tests/servers/github/server.mjs" --port-file "$RESULTS/api.port" --git-root "$SRV" \
    --token "$API_TOKEN" --git-url "http://127.0.0.1:$GIT_PORT" </dev/null >/dev/null 2>"$RESULTS/api-server.stderr" &
PIDS+=($!)
API_PORT=$(wait_port "$RESULTS/api.port" "${PIDS[1]}" "the fake GitHub API")
API=http://127.0.0.1:$API_PORT
note "git http://127.0.0.1:$GIT_PORT (pid ${PIDS[0]}), API $API (pid ${PIDS[1]})"
"$PYTHON" "$HERE/calls.py" seed "$API" "$OWNER" "$COUNT" "$OTHER_PRS"
((OTHER_PRS == 0)) || note "svc-1 has $OTHER_PRS open pull requests by someone else (the rerun may cost $RERUN_BUDGET calls there)"
for ((i = 1; i <= COUNT; i++)); do
    echo "http://127.0.0.1:$GIT_PORT/$OWNER/svc-$i.git"
done >"$RESULTS/urls.txt"

data_args=(); for d in "${DATA[@]}"; do data_args+=(-d "$d"); done
jobs_args=(); [[ -n $JOBS ]] && jobs_args=(--jobs "$JOBS")
upgrade=("$PAVE" fleet upgrade --repos-from "$RESULTS/urls.txt" --open-prs --api-url "$API" --to "$TO"
    "${data_args[@]}" "${jobs_args[@]}")
rollout=("$PAVE" fleet rollout "$TEMPLATE@$TO" --repos-from "$RESULTS/urls.txt" --api-url "$API" "${jobs_args[@]}" --json)

FAILED=0
# timed NAME MAX_PER_REPO WRITES RESULT OUTPUT COMMAND...: one timed run (stdout and stderr to
# RESULTS/NAME.*), its API calls read from the fake's log and checked (calls.py expect: at most
# MAX_PER_REPO per repository, WRITES mutating calls, every repository RESULT in OUTPUT, the
# report or the JSON printed); appends a row to runs.jsonl.
timed() {
    local name=$1 budget=$2 writes=$3 result=$4 output=$5 code row load_before
    shift 5
    : >"$GITLOG"
    "$PYTHON" "$HERE/calls.py" clear "$API"
    load_before=$(cut -d' ' -f1-3 /proc/loadavg)
    note "$name (load average $load_before): ${*#"$RWORK"/}"
    set +e
    /usr/bin/time -v -o "$RESULTS/$name.time.txt" \
        env PAVE_GIT_TOKEN="$GIT_TOKEN" GITHUB_TOKEN="$API_TOKEN" "$@" \
        >"$RESULTS/$name.stdout" 2>"$RESULTS/$name.stderr"
    code=$?
    set -e
    if ((code != 0)); then
        echo "$name: exited with $code; $RESULTS/$name.stderr ends:" >&2
        tail -5 "$RESULTS/$name.stderr" >&2
        FAILED=1
    fi
    row=$("$PYTHON" "$HERE/calls.py" row "$API" "$OWNER" "$COUNT" "$name" "$RESULTS/$name.time.txt" "$output" \
        "$GITLOG" "$RESULTS/$name.requests.json")
    row=$("$PYTHON" -c 'import json, sys; r = json.loads(sys.argv[1]); r.update(load_before=sys.argv[2], load_after=sys.argv[3]); print(json.dumps(r))' \
        "$row" "$load_before" "$(cut -d' ' -f1-3 /proc/loadavg)")
    echo "$row" >>"$RESULTS/runs.jsonl"
    "$PYTHON" "$HERE/calls.py" expect "$row" "$budget" "$writes" "$result" || FAILED=1
}

step "the runs ($COUNT repositories, $TEMPLATE $FROM → $TO)"
note "machine: $(machine_line)"
note "uptime: $(uptime | sed 's/^ *//')"
timed first any any upgraded "$RESULTS/first.json" "${upgrade[@]}" --report "$RESULTS/first.json"
timed rerun "$RERUN_BUDGET" 0 unchanged "$RESULTS/rerun.json" "${upgrade[@]}" --report "$RESULTS/rerun.json"
timed rollout 2 0 pr-open "$RESULTS/rollout.stdout" "${rollout[@]}"
timed rollout-again 2 0 pr-open "$RESULTS/rollout-again.stdout" "${rollout[@]}"
"$PYTHON" "$HERE/calls.py" violations "$API" || { echo "    CHECK FAILED: the fake GitHub API saw contract violations (above)" >&2; FAILED=1; }

step "results ($(date -u '+%Y-%m-%d %H:%M') UTC, $COUNT repositories; uptime after: $(uptime | sed 's/^ *//'))"
"$PYTHON" "$HERE/calls.py" table "$RESULTS/runs.jsonl" | tee "$RESULTS/summary.txt"
"$PYTHON" "$HERE/calls.py" table "$RESULTS/runs.jsonl" --markdown >"$RESULTS/summary.md"
note "raw: $RESULTS (runs.jsonl, *.time.txt, *.requests.json, *.stderr, first.json, rerun.json, rollout*.stdout)"
if ((FAILED)); then
    echo "some checks failed (above)" >&2
    exit 1
fi
