#!/usr/bin/env python3
"""Reads `pave catalog show NAME@VERSION --json` on stdin and prints `-d` and `KEY=VALUE` lines
(one argument a line) answering every required question: a choice's first choice, false, the
smallest allowed int, or the first of a few realistic strings that passes the question's
`validate`. Exits non-zero when the template is retired or a question cannot be answered."""

import json
import re
import sys

STRINGS = ["bench-service", "team-bench", "bench_service", "benchservice", "Bench Service",
           "bench@example.com", "https://example.com/bench"]


def main() -> int:
    show = json.load(sys.stdin)
    if show.get("maturity") == "retired":
        print(f"{show['name']} is retired: pave new refuses it", file=sys.stderr)
        return 1
    for q in show["questions"]:
        if not q.get("required"):
            continue
        kind, name = q["type"], q["name"]
        if kind in ("choice", "multichoice"):
            value = q["choices"][0]
        elif kind == "bool":
            value = "false"
        elif kind == "int":
            value = str(q["min"] if q.get("min") is not None else 1)
        else:
            pattern = q.get("validate")
            value = next((c for c in [q.get("example"), *STRINGS]
                          if c is not None and (not pattern or re.search(pattern, c))), None)
            if value is None:
                print(f"no benchmark answer matches `{pattern}` of question {name}", file=sys.stderr)
                return 1
        print("-d")
        print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
