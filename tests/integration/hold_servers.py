"""Not collected by the suite (no `test_` prefix): test_watchdog.py runs it in a pytest of its own.

Starts the suite's servers (its slapd and PostgreSQL fixtures, as every integration test does),
opens a PostgreSQL session (a backend process) and writes what runs to $HOLD_READY, then holds
them until the runner is signalled."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from rehearsal.servers import Postgres, Slapd


def test_hold(workdir: Path, slapd: Slapd, postgres: Postgres) -> None:
    with postgres.superuser() as conn:
        assert slapd.proc is not None
        ready = {
            "workdir": str(workdir),
            "slapd": slapd.proc.pid,
            "postmaster": postgres.postmaster_pid(),
            "backend": conn.info.backend_pid,
        }
        path = Path(os.environ["HOLD_READY"])
        path.with_suffix(".tmp").write_text(json.dumps(ready))
        path.with_suffix(".tmp").rename(path)
        time.sleep(120)
