"""Fuzz the pg_hba renderer against the real PostgreSQL 15 parser, far past `make test`'s 500.

Runs the property test of tests/integration/test_pg_hba_property.py with PG_HBA_EXAMPLES
examples (default 10,000) and reports how many ran, how they split, and the rate.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rehearsal._process import run_tied  # noqa: E402

TEST = "tests/integration/test_pg_hba_property.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--examples", type=int, default=10_000)
    args = parser.parse_args()
    env = {**os.environ, "PG_HBA_EXAMPLES": str(args.examples)}
    started = time.monotonic()
    proc = run_tied(  # PostgreSQL ends with this script, however it ends
        [str(ROOT / ".venv/bin/pytest"), "-q", TEST, "-p", "no:cacheprovider",
         "--hypothesis-show-statistics"],
        cwd=ROOT, env=env, capture=True,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    passing = re.search(r"(\d+) passing(?: examples)?,", proc.stdout)
    events = re.findall(r"\* ([\d.]+)%, (.+)", proc.stdout)
    ran = int(passing.group(1)) if passing else 0
    print(f"examples run against PostgreSQL: {ran} in {elapsed:.1f}s ({ran / elapsed:.0f}/s)")
    for share, label in events:
        print(f"  {share:>6}%  {label}")
    if proc.returncode != 0:
        print(proc.stdout[-4000:], proc.stderr[-2000:], sep="\n")
        print("FAILED: a counterexample is shown above")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
