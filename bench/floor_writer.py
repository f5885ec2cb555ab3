#!/usr/bin/env python3
"""Builds the lowest floor for `pave new`: a C program that writes one given project tree from
memory (its directories with mkdir, each file with open, write and close), linked statically so
that starting it costs next to nothing. Timed beside the tools, it shows what creating these files
costs on the machine, whatever a tool does before it writes them.

Usage: floor_writer.py PROJECT_DIR OUT_BINARY [CC]
  PROJECT_DIR  a project as the tools make it (for example pave's output in compare.sh)
  OUT_BINARY   the program to build; run it as `OUT_BINARY DEST` (DEST must not exist)
  CC           the C compiler (cc)

Files keep their permission bits; links are not supported (the bench template has none).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile


def c_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def program(root: str) -> str:
    files: list[tuple[str, bytes, int]] = []
    dirs: set[str] = set()
    for here, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(here, name)
            if os.path.islink(path):
                raise SystemExit(f"{path} is a link: not supported")
            rel = os.path.relpath(path, root)
            with open(path, "rb") as f:
                files.append((rel, f.read(), os.stat(path).st_mode & 0o777))
            parent = os.path.dirname(rel)
            while parent:
                dirs.add(parent)
                parent = os.path.dirname(parent)
    ordered = sorted(dirs, key=lambda d: (d.count("/"), d))
    lines = [
        "#include <fcntl.h>",
        "#include <stdio.h>",
        "#include <sys/stat.h>",
        "#include <unistd.h>",
        f"static const char *dirs[] = {{{', '.join(c_string(d) for d in ordered) or '0'}}};",
        f"static const unsigned ndirs = {len(ordered)};",
    ]
    for i, (_, data, _) in enumerate(files):
        lines.append(f"static const unsigned char f{i}[] = {{{','.join(str(b) for b in data) or '0'}}};")
    lines.append("struct file { const char *path; const unsigned char *data; unsigned long size; int mode; };")
    entries = ", ".join(
        f"{{{c_string(rel)}, f{i}, {len(data)}, {mode}}}" for i, (rel, data, mode) in enumerate(files)
    )
    lines.append(f"static const struct file files[] = {{{entries}}};")
    lines.append(f"static const unsigned nfiles = {len(files)};")
    lines.append(
        """int main(int argc, char **argv) {
    if (argc != 2 || mkdir(argv[1], 0777) != 0 || chdir(argv[1]) != 0) { perror("destination"); return 2; }
    for (unsigned i = 0; i < ndirs; i++)
        if (mkdir(dirs[i], 0777) != 0) { perror(dirs[i]); return 1; }
    for (unsigned i = 0; i < nfiles; i++) {
        int fd = open(files[i].path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, files[i].mode);
        if (fd < 0 || write(fd, files[i].data, files[i].size) != (long)files[i].size || close(fd) != 0) {
            perror(files[i].path);
            return 1;
        }
    }
    return 0;
}"""
    )
    return "\n".join(lines) + "\n"


def main() -> int:
    if len(sys.argv) not in (3, 4):
        print(__doc__, file=sys.stderr)
        return 2
    root, out = sys.argv[1], sys.argv[2]
    cc = sys.argv[3] if len(sys.argv) == 4 else "cc"
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "writer.c")
        with open(source, "w") as f:
            f.write(program(root))
        # Static where the C library allows it; a dynamic link adds the loader's start-up.
        if subprocess.run([cc, "-O2", "-static", "-o", out, source], capture_output=True).returncode != 0:
            subprocess.run([cc, "-O2", "-o", out, source], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
