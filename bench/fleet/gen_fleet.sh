#!/usr/bin/env bash
# Makes (or completes) a fleet of COUNT projects under ROOT, each its own git repository:
#
#   ROOT/svc-I   pave new rust-axum-service@FROM --no-input -d service_name=svc-I -d team=team-I
#                (pave commits), then two local edits committed with git:
#                  README.md        a line appended (a seed file: upgrades never touch it)
#                  docs/RUNBOOK.md  a "Local contacts" section appended (2.0.0 renames the file
#                                   to docs/runbook.md and changes it: a real three-way merge)
#                then `git repack -aq` and the loose objects moved aside, so that every object
#                the fleet starts with is packed and any loose object is one a benchmark run
#                wrote (reset.sh moves those aside too).
#
#   gen_fleet.sh PAVE ROOT COUNT [FROM]          (FROM: 1.0.0)
#
# A repository that is complete (marker .git/pave-bench-ready) is kept, so a second call with
# the same or a larger COUNT only makes what is missing; an incomplete one is made again. When
# this pave renders rust-axum-service@FROM differently from the pave that made the fleet (stamp
# in ROOT/.fleet-stamp), the whole fleet is made again.
# Projects are made $(nproc) at a time.
set -euo pipefail

if [[ ${1:-} == --one ]]; then
    # Internal: make project number $5 (called by xargs below).
    PAVE=$2 ROOT=$3 FROM=$4 i=$5
    dir=$ROOT/svc-$i
    [[ -e $dir/.git/pave-bench-ready ]] && exit 0
    rm -rf "$dir"
    "$PAVE" new "rust-axum-service@$FROM" "$dir" --no-input -q -d "service_name=svc-$i" -d "team=team-$i"
    printf '\nDeployed to the shared cluster; ask #team-%s before changing the ingress.\n' "$i" >>"$dir/README.md"
    printf '\n## Local contacts\n\nDatabase questions: #svc-%s-db. Capacity reviews: every quarter.\n' "$i" >>"$dir/docs/RUNBOOK.md"
    git -C "$dir" commit -q -am "Local notes: ingress owner, database contacts"
    # Pack everything; move the loose copies aside rather than deleting them (`repack -d`), which
    # would slow file creation for minutes afterwards (see reset.sh).
    git -C "$dir" repack -aq
    shopt -s nullglob
    loose=("$dir"/.git/objects/[0-9a-f][0-9a-f])
    if ((${#loose[@]})); then
        mkdir -p "$dir/.git/bench-trash/made"
        mv "${loose[@]}" "$dir/.git/bench-trash/made/"
    fi
    touch "$dir/.git/pave-bench-ready"
    exit 0
fi

PAVE=${1:?usage: gen_fleet.sh PAVE ROOT COUNT [FROM]}
ROOT=${2:?usage: gen_fleet.sh PAVE ROOT COUNT [FROM]}
COUNT=${3:?usage: gen_fleet.sh PAVE ROOT COUNT [FROM]}
FROM=${4:-1.0.0}

mkdir -p "$ROOT"
ROOT=$(cd "$ROOT" && pwd)
if top=$(git -C "$ROOT" rev-parse --show-toplevel 2>/dev/null); then
    echo "$ROOT is inside the git work tree $top: pave new would not make a repository per project" >&2
    exit 2
fi
export GIT_AUTHOR_NAME=${GIT_AUTHOR_NAME:-Fleet Dev} GIT_AUTHOR_EMAIL=${GIT_AUTHOR_EMAIL:-dev@example.com}
export GIT_COMMITTER_NAME=${GIT_COMMITTER_NAME:-Fleet Dev} GIT_COMMITTER_EMAIL=${GIT_COMMITTER_EMAIL:-dev@example.com}

# The fleet must be what this pave renders for rust-axum-service@FROM: a built-in template that
# changed since the fleet was made would turn into "local edits" for every project. A stamp of
# the rendered tree (one probe project, --no-git) says whether an existing fleet still fits.
probe=$(mktemp -d)
"$PAVE" new "rust-axum-service@$FROM" "$probe/p" --no-input --no-git -q -d service_name=svc-0 -d team=team-0
stamp=$(cd "$probe/p" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
rm -rf "$probe"
existing=("$ROOT"/svc-*)
if [[ -e ${existing[0]} && ! -e $ROOT/.fleet-stamp ]]; then
    # Projects this script did not make (copied by hand, say): never deleted without a word.
    echo "$ROOT has projects but no .fleet-stamp, so nothing says what they were made from." >&2
    echo "If they are rust-axum-service@$FROM as this pave renders it: echo $stamp >$ROOT/.fleet-stamp" >&2
    echo "Otherwise delete them, and this script makes the fleet again." >&2
    exit 2
fi
if [[ -e ${existing[0]} && $(cat "$ROOT/.fleet-stamp") != "$stamp" ]]; then
    echo "    rust-axum-service@$FROM renders differently from when $ROOT was made: making the fleet again" >&2
    rm -rf "$ROOT"/svc-* "$ROOT/.fleet-stamp"
fi

missing=0
for ((i = 1; i <= COUNT; i++)); do
    [[ -e $ROOT/svc-$i/.git/pave-bench-ready ]] || missing=$((missing + 1))
done
if ((missing == 0)); then
    echo "    fleet of $COUNT projects already complete in $ROOT" >&2
    exit 0
fi
echo "    making $missing of $COUNT projects in $ROOT ($(nproc) at a time)" >&2
start=$SECONDS
seq 1 "$COUNT" | xargs -P "$(nproc)" -n 1 "$0" --one "$PAVE" "$ROOT" "$FROM"
echo "$stamp" >"$ROOT/.fleet-stamp"
echo "    made $missing projects in $((SECONDS - start)) s" >&2
