#!/usr/bin/env bash
# Issue 14's benchmark: `pave fleet history` on HISTORY_COUNT (1,000) repositories of
# HISTORY_COMMITS (2,000) commits each, HISTORY_TOUCHES (30) of which change `.pave.toml`.
# Times it with /usr/bin/time -v (wall clock, CPU, peak memory), HISTORY_REPEAT times, and
# checks the output: every project read, no error, the expected number of events.
#
#   bench/history/run.sh                                  # 1,000 x 2,000
#   HISTORY_COUNT=100 HISTORY_COMMITS=500 bench/history/run.sh
#   PAVE_BIN=/path/to/pave bench/history/run.sh
#
# The fleet is made once with git fast-import (gen_fleet.py) in
# HISTORY_WORK/fleet-COUNT-COMMITS and reused. Nothing is written under bench/.
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/../lib.sh"   # step, note, build_pave

HERE=$BENCH/history
COUNT=${HISTORY_COUNT:-1000}
COMMITS=${HISTORY_COMMITS:-2000}
TOUCHES=${HISTORY_TOUCHES:-30}
REPEAT=${HISTORY_REPEAT:-3}
HWORK=${HISTORY_WORK:-/tmp/pave-bench-history}
FLEET=$HWORK/fleet-$COUNT-$COMMITS
if [[ $COUNT == 1000 && $COMMITS == 2000 && -d $HWORK/fleet-1000 ]]; then
    FLEET=$HWORK/fleet-1000   # made before the directory name carried the commit count
fi

build_pave
mkdir -p "$HWORK"
cp "$PAVE" "$HWORK/pave"
PAVE=$HWORK/pave
note "timing $PAVE: $("$PAVE" --version)"

step "fleet of $COUNT repositories x $COMMITS commits ($TOUCHES touch .pave.toml) in $FLEET"
started=$(date +%s)
"$PYTHON" "$HERE/gen_fleet.py" "$FLEET" "$COUNT" "$COMMITS" "$TOUCHES" 2
note "ready in $(($(date +%s) - started)) s (0 s when it was already made); $(du -sh "$FLEET" | cut -f1) on disk"

for run in $(seq 1 "$REPEAT"); do
    step "run $run/$REPEAT: pave fleet history $FLEET --json"
    /usr/bin/time -v "$PAVE" fleet history "$FLEET" --json --today 2026-12-06 \
        >"$HWORK/history.json" 2>"$HWORK/time.txt"
    grep -E "Elapsed|Maximum resident|User time|System time" "$HWORK/time.txt" | sed 's/^\s*/    /'
    grep -E "^[0-9]+ projects" "$HWORK/time.txt" | sed 's/^/    /'
    "$PYTHON" - "$HWORK/history.json" "$COUNT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
count = int(sys.argv[2])
projects = doc["projects"]
assert len(projects) == count, f"{len(projects)} projects, expected {count}"
bad = [p["path"] for p in projects if p["error"]]
assert not bad, f"errors: {bad[:5]}"
events = sum(len(p["events"]) for p in projects)
print(f"    checked: {len(projects)} projects, {events} events, none unreadable")
PY
done
