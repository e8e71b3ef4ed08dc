"""Benchmark: three bind password rotations per strategy, replayed on real slapd (ppolicy) and
PostgreSQL while a client logs in without pause; prints failed logins, lockouts and the rate.
`make test` runs the same replay with one rotation."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rehearsal._process import run_tied  # noqa: E402

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--rotations", type=int, default=3, help="rotations per strategy (default 3)"
    )
    args = parser.parse_args()
    env = {**os.environ, "ROTATION_REPLAY_ROTATIONS": str(args.rotations)}
    cmd = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider",
           "tests/integration/test_rotation_replay.py"]  # fmt: skip
    sys.exit(run_tied(cmd, cwd=ROOT, env=env).returncode)  # its servers end with this script
