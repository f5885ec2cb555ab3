"""Parses Terraform files with python-hcl2 (a second HCL parser beside hcl-rs in the tests).

usage: python check_hcl2.py FILE...   exit 1 when a file does not parse.
"""

import sys

import hcl2

failed = 0
for path in sys.argv[1:]:
    try:
        with open(path, encoding="utf-8") as f:
            hcl2.load(f)
        print(f"{path}: ok")
    except Exception as e:  # noqa: BLE001 - any parse error is a finding
        failed += 1
        print(f"{path}: {type(e).__name__}: {e}", file=sys.stderr)
sys.exit(1 if failed else 0)
