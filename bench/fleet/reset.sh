#!/usr/bin/env bash
# Puts a fleet made by gen_fleet.sh back as it was before `pave fleet upgrade` ran: deletes the
# branches pave/* (refs and reflogs) and every loose object. gen_fleet.sh packed all the objects a
# project starts with, so the loose ones are exactly those a benchmark run wrote; deleting them
# makes every run write its blobs, trees and commits anew instead of finding them already there.
#
#   reset.sh ROOT
set -euo pipefail
ROOT=${1:?usage: reset.sh ROOT}
shopt -s nullglob

# Branches, whether loose or (after someone's `git gc`) packed.
for packed in "$ROOT"/svc-*/.git/packed-refs; do
    if grep -q ' refs/heads/pave/' "$packed"; then
        repo=${packed%/.git/packed-refs}
        git -C "$repo" for-each-ref --format='%(refname:short)' refs/heads/pave/ |
            xargs -r git -C "$repo" branch -q -D
    fi
done
rm -rf "$ROOT"/svc-*/.git/refs/heads/pave "$ROOT"/svc-*/.git/logs/refs/heads/pave
find "$ROOT" -mindepth 4 -maxdepth 4 -path '*/.git/objects/[0-9a-f][0-9a-f]' -type d -prune -exec rm -rf {} +
