#!/usr/bin/env bash
# Puts a fleet made by gen_fleet.sh back as it was before `pave fleet upgrade` ran: the branches
# pave/* (refs and reflogs), every loose object and every pack newer than the repository's
# .git/pave-bench-ready marker leave the repositories. gen_fleet.sh packed all the objects a
# project starts with (then wrote the marker), so the loose ones, and the packs written after the
# marker (pave since 1c02bfe writes a run's objects as one pack per repository), are exactly those
# a benchmark run wrote; without them every run writes its blobs, trees and commits anew instead
# of finding them there.
#
#   reset.sh ROOT            move them aside, into each repository's .git/bench-trash/
#   reset.sh --purge ROOT    delete the trash (run.sh does this after its last timed run) and
#                            note the time in ROOT/.last-purge
#
# Why aside and not deleted: on ext4 without a journal (this machine's root file system) an
# inode freed in the last 60 s, or 6 minutes while its inode-table block is dirty, is skipped,
# after a check, whenever an inode is allocated (recently_deleted() in fs/ext4/ialloc.c).
# Deleting the ~60,000 files and directories a run wrote made every later run's file creation
# slower: the system time of `--jobs 2` grew from 3 s to 12 s over eight runs in 12 minutes, and
# came back down only minutes after the deleting stopped. A rename frees no inode.
set -euo pipefail
shopt -s nullglob

if [[ ${1:-} == --purge ]]; then
    ROOT=${2:?usage: reset.sh --purge ROOT}
    rm -rf "$ROOT"/svc-*/.git/bench-trash
    date +%s >"$ROOT/.last-purge"
    exit 0
fi
ROOT=${1:?usage: reset.sh [--purge] ROOT}

# Branches someone packed (`git gc`) are deleted with git; loose ones are moved with the objects.
for packed in "$ROOT"/svc-*/.git/packed-refs; do
    if grep -q ' refs/heads/pave/' "$packed"; then
        repo=${packed%/.git/packed-refs}
        git -C "$repo" for-each-ref --format='%(refname:short)' refs/heads/pave/ |
            xargs -r git -C "$repo" branch -q -D
    fi
done
"${PYTHON:-python3}" - "$ROOT" <<'EOF'
import os, sys, time
root = sys.argv[1]
stamp = str(time.time_ns())
for name in os.listdir(root):
    git = os.path.join(root, name, ".git")
    if not name.startswith("svc-") or not os.path.isdir(git):
        continue
    trash = os.path.join(git, "bench-trash", stamp)
    moved = [p for p in ("refs/heads/pave", "logs/refs/heads/pave") if os.path.exists(os.path.join(git, p))]
    objects = os.path.join(git, "objects")
    moved += [f"objects/{d}" for d in os.listdir(objects)
              if len(d) == 2 and all(c in "0123456789abcdef" for c in d)]
    ready = os.path.join(git, "pave-bench-ready")
    made = os.stat(ready).st_mtime_ns if os.path.exists(ready) else None
    packs = os.path.join(objects, "pack")
    if made is not None and os.path.isdir(packs):
        moved += [f"objects/pack/{f}" for f in os.listdir(packs)
                  if os.stat(os.path.join(packs, f)).st_mtime_ns > made]
    for i, rel in enumerate(moved):
        os.makedirs(trash, exist_ok=True)
        os.rename(os.path.join(git, rel), os.path.join(trash, str(i)))
EOF
