"""The watchdog on plain processes (no servers): what it ends when its runner is SIGKILLed, and
the PIDs it never signals."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from rehearsal._watchdog import _targets, start_time

ROOT = Path(__file__).resolve().parents[3]
BOUND = 10.0  # s

RUNNER = textwrap.dedent("""
    import signal, subprocess, sys, time
    from pathlib import Path
    from rehearsal import _watchdog
    from rehearsal._watchdog import guard_folder, guard_pidfile, guard_process
    _watchdog.GRACE = 0.5  # s before SIGKILL (default 5)
    out = Path(sys.argv[1])
    folder = out / "keys"
    folder.mkdir()
    (folder / "ca.key").write_text("private")
    guard_folder(folder)
    pidfile = out / "server.pid"
    guard_pidfile(pidfile, signal.SIGQUIT)
    # a server that ignores its polite signal, and one known by its pid file only
    stubborn = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 60 & wait"],
                                start_new_session=True)
    guard_process(stubborn.pid)
    later = subprocess.Popen(["sleep", "60"], start_new_session=True)
    pidfile.write_text(f"{later.pid}\\n")
    (out / "ready.tmp").write_text(f"{stubborn.pid} {later.pid}")
    (out / "ready.tmp").rename(out / "ready")  # whole, never read half written
    time.sleep(60)
""")


def _wait(condition: object, bound: float = BOUND) -> bool:
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def test_sigkill_of_the_runner_ends_its_processes_and_removes_its_folders(tmp_path: Path) -> None:
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(tmp_path)], cwd=ROOT, start_new_session=True
    )
    try:
        assert _wait(lambda: (tmp_path / "ready").exists(), 30), "the runner did not start"
        pids = [int(p) for p in (tmp_path / "ready").read_text().split()]
        assert len(pids) == 2
        starts = [start_time(pid) for pid in pids]
        assert None not in starts
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
        assert _wait(lambda: all(start_time(p) != s for p, s in zip(pids, starts, strict=True)))
        assert _wait(lambda: not (tmp_path / "keys").exists())
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()


def test_a_pid_given_to_another_process_is_never_signalled(tmp_path: Path) -> None:
    me, started = os.getpid(), start_time(os.getpid())
    assert started is not None
    assert _targets([{"pid": me, "start": started, "signal": 15}]) == [(me, started, 15)]
    assert _targets([{"pid": me, "start": started + 1, "signal": 15}]) == []  # reused PID
    pidfile = tmp_path / "postmaster.pid"
    pidfile.write_text(f"{me}\n/data\n")
    # a pid file naming a process older than the guard (a stale file, a reused PID)
    assert _targets([{"pidfile": str(pidfile), "after": started + 1, "signal": 3}]) == []
    fresh = {"pidfile": str(pidfile), "after": started, "signal": 3}
    assert _targets([fresh]) == [(me, started, 3)]
    assert _targets([{"pidfile": str(tmp_path / "none.pid"), "after": 0, "signal": 3}]) == []
