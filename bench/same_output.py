#!/usr/bin/env python3
"""Checks that several generated projects are the same: same paths, same bytes, same executable
bits, same link targets. Each tool's own bookkeeping file is ignored (.pave.toml,
.copier-answers.yml), nothing else.

Usage: same_output.py NAME=DIR NAME=DIR ...   (the first is the reference)

Exit 1 when paths or bytes differ. A different executable bit is reported but does not fail the
check: it does not change how much work a tool does (kickstart 0.6 writes rendered files with
the default mode, so a rendered script loses its executable bit).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

IGNORED = {".pave.toml", ".copier-answers.yml"}


def snapshot(root: Path) -> dict[str, tuple]:
    tree = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if rel in IGNORED:
                continue
            if path.is_symlink():
                tree[rel] = ("link", os.readlink(path))
            else:
                tree[rel] = ("file", path.read_bytes(), os.access(path, os.X_OK))
    return tree


def main() -> int:
    pairs = [a.split("=", 1) for a in sys.argv[1:]]
    if len(pairs) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    (ref_name, ref_dir), *others = pairs
    ref = snapshot(Path(ref_dir))
    ok = True
    for name, d in others:
        other = snapshot(Path(d))
        problems, mode_notes = [], []
        for rel in sorted(ref.keys() - other.keys()):
            problems.append(f"only in {ref_name}: {rel}")
        for rel in sorted(other.keys() - ref.keys()):
            problems.append(f"only in {name}: {rel}")
        for rel in sorted(ref.keys() & other.keys()):
            a, b = ref[rel], other[rel]
            if a[0] != b[0] or a[1] != b[1]:
                problems.append(f"content differs: {rel}")
            elif a[0] == "file" and a[2] != b[2]:
                mode_notes.append(f"executable bit differs: {rel} ({ref_name}: {a[2]}, {name}: {b[2]})")
        if problems:
            ok = False
            print(f"  {ref_name} vs {name}: {len(problems)} difference(s)")
            for p in problems[:20]:
                print(f"    {p}")
        elif mode_notes:
            print(f"  {ref_name} vs {name}: same {len(ref)} paths and bytes, but:")
            for p in mode_notes:
                print(f"    {p}")
        else:
            print(f"  {ref_name} vs {name}: identical ({len(ref)} files, bytes and modes)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
