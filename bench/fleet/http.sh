#!/usr/bin/env bash
# A remote fleet over smart HTTP: `pave fleet upgrade --repos-from LIST --push` on HTTP_COUNT
# (100) repositories served by tests/servers/git_http.py (`git http-backend`, Basic auth with a
# token, every request logged), for pave and, with PAVE_BEFORE, another pave binary. It shows
# what the transport costs: wall time, and how many requests (and 401s) each run makes.
#
#   bench/fleet/http.sh
#   PAVE_BEFORE=/tmp/pave-old HTTP_COUNT=200 bench/fleet/http.sh
#
# The repositories are those of remote.sh (remote_fleet.py gen, from one seed made with
# `pave new rust-axum-service@1.0.0`), made in HTTP_WORK (/tmp/pave-bench-http). For each binary:
# the remotes are reset (pave branches and pushed objects removed) and the cache emptied, then
#
#   first   pave fleet upgrade --repos-from repos.txt --to 2.0.0 --push -d data_classification=internal --jobs 2
#           (every repository fetched whole, upgraded, its branch pushed; checked: all `upgraded`)
#   rerun   the same again, nothing changed (checked: all `unchanged`)
#
# The server is Python and starts a `git http-backend` for each request, so its own cost is in
# every figure; the binaries compared share it.
#
# Environment: HTTP_COUNT (100), HTTP_JOBS (2), HTTP_WORK, PAVE_BIN, PAVE_BEFORE, PYTHON.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"   # step, note, build_pave, machine_line
HERE=$BENCH/fleet
COUNT=${HTTP_COUNT:-100}
JOBS=${HTTP_JOBS:-2}
HWORK=${HTTP_WORK:-/tmp/pave-bench-http}
TOKEN=bench-token-5f1c
FLEET=$HWORK/fleet-$COUNT
export GIT_AUTHOR_NAME="Fleet Dev" GIT_AUTHOR_EMAIL=dev@example.com
export GIT_COMMITTER_NAME="Fleet Dev" GIT_COMMITTER_EMAIL=dev@example.com
unset GITHUB_TOKEN

HWORK=$(outside_git HTTP_WORK "$HWORK") || exit 2
build_pave
cp "$PAVE" "$HWORK/pave"
bins=("pave=$HWORK/pave")
if [[ -n ${PAVE_BEFORE:-} ]]; then
    cp "$PAVE_BEFORE" "$HWORK/pave-before"
    bins+=("pave-before=$HWORK/pave-before")
fi

step "$COUNT repositories in $FLEET, served over HTTP"
seed=$HWORK/seed
remote_seed "$HWORK/pave" "$seed"
"$PYTHON" "$HERE/remote_fleet.py" gen "$seed.git" "$FLEET" "$COUNT"
for repo in "$FLEET"/repos/*.git; do git -C "$repo" config http.receivepack true; done
log=$HWORK/requests.jsonl
# The port file of an earlier run would be read before this server writes its own.
rm -f "$HWORK/port"
"$PYTHON" "$ROOT/tests/servers/git_http.py" --root "$FLEET/repos" --token "$TOKEN" --log "$log" \
    --port-file "$HWORK/port" >/dev/null 2>"$HWORK/server.err" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do [[ -s $HWORK/port ]] && break; sleep 0.1; done
port=$(cat "$HWORK/port")
seq 1 "$COUNT" | sed "s|.*|http://127.0.0.1:$port/svc-&.git|" >"$HWORK/repos.txt"
note "machine: $(machine_line)"

cd "$HWORK"   # not inside any repository
printf '%-12s %-6s %8s %9s %6s  %s\n' binary run seconds requests 401s outcomes >"$HWORK/table.txt"
for entry in "${bins[@]}"; do
    name=${entry%%=*} bin=${entry#*=}
    "$PYTHON" "$HERE/remote_fleet.py" reset "$FLEET" "$HWORK/trash-$(date +%s%N)"
    rm -rf "$HWORK/cache" "$HWORK"/trash-*
    for run in first rerun; do
        : >"$log"
        start=$(date +%s.%N)
        XDG_CACHE_HOME=$HWORK/cache PAVE_GIT_TOKEN=$TOKEN "$bin" fleet upgrade --repos-from "$HWORK/repos.txt" \
            --to 2.0.0 --push -d data_classification=internal --jobs "$JOBS" --report "$HWORK/$name-$run.json" \
            >"$HWORK/$name-$run.log" 2>&1 || true
        end=$(date +%s.%N)
        want=$([[ $run == first ]] && echo upgraded || echo unchanged)
        "$PYTHON" - "$name" "$run" "$start" "$end" "$log" "$HWORK/$name-$run.json" "$want" "$COUNT" >>"$HWORK/table.txt" <<'PY'
import json, sys
name, run, start, end, log, report, want, count = sys.argv[1:]
requests = [json.loads(line) for line in open(log)]
outcomes = json.load(open(report))["summary"]["outcomes"]
if outcomes.get(want) != int(count):
    sys.exit(f"{name} {run}: expected {count} {want}, got {outcomes}")
asked = sum(1 for r in requests if r["status"] == 401)
print(f"{name:<12} {run:<6} {float(end) - float(start):8.2f} {len(requests):9} {asked:6}  {outcomes}")
PY
    done
done
step "results ($COUNT repositories, --jobs $JOBS)"
cat "$HWORK/table.txt"
