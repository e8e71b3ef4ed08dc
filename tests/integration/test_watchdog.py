"""Test servers never outlive their runner: a pytest running the suite's slapd and PostgreSQL
fixtures (hold_servers.py) is sent SIGTERM, SIGINT, SIGHUP or SIGKILL, to its PID alone (not its
process group, as a CI runner or `kill` does), once its servers are up. Afterwards no process of
that run is left (slapd, the postmaster and its children, a backend, the watchdog) and its temp
folder (the test CA's private key) is gone, within BOUND seconds.

The four runs start together, so they cost about one run's start-up."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rehearsal._watchdog import start_time

ROOT = Path(__file__).resolve().parents[2]
TARGET = "tests/integration/hold_servers.py"
SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL)
READY_WITHIN = 90.0  # s: four pytests starting two servers each, on a loaded 2-core machine
BOUND = 10.0  # s from the signal until nothing of the run is left
PYTEST_INTERRUPTED = 2
# pytest with the four signals as a shell gives them to a foreground command, whatever this
# suite's caller ignores (a background job has SIGINT ignored, nohup SIGHUP): an ignored signal
# rightly ends nothing.
PYTEST = (
    "import signal, sys, pytest\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "for s in (signal.SIGTERM, signal.SIGHUP): signal.signal(s, signal.SIG_DFL)\n"
    "sys.exit(pytest.main(sys.argv[1:]))"
)


@dataclass
class Run:
    signum: signal.Signals
    proc: subprocess.Popen[str]
    ready: Path
    prefix: str  # of the run's temp folder (WORKDIR_PREFIX with its TEST_RUN_ID)

    def wait_ready(self) -> dict[str, object]:
        deadline = time.monotonic() + READY_WITHIN
        while not self.ready.exists():
            if self.proc.poll() is not None:
                out, _ = self.proc.communicate()
                pytest.fail(f"the held run ended early ({self.proc.returncode}):\n{out}")
            if time.monotonic() > deadline:
                pytest.fail(f"the held run's servers were not up after {READY_WITHIN:.0f}s")
            time.sleep(0.05)
        ready: dict[str, object] = json.loads(self.ready.read_text())
        return ready


def _processes() -> dict[int, tuple[int, int | None, str, str]]:
    """pid -> (ppid, start time, cmdline, cwd) of every process we can see."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except (OSError, IndexError, ValueError):
            continue
        found[int(proc.name)] = (ppid, start_time(int(proc.name)), cmdline, cwd)
    return found


def _tree(roots: list[int]) -> dict[int, int | None]:
    """The processes `roots` and all their descendants now, pid -> start time."""
    procs = _processes()
    tree: dict[int, int | None] = {}
    todo = list(roots)
    while todo:
        pid = todo.pop()
        if pid in procs and pid not in tree:
            tree[pid] = procs[pid][1]
            todo.extend(child for child, (ppid, *_) in procs.items() if ppid == pid)
    return tree


def _left(run: Run, known: dict[int, int | None], workdir: str) -> list[str]:
    """What of the run is still there: known processes, any process naming or working in its
    folder, and folders with its prefix."""
    procs = _processes()
    left = [
        f"pid {pid}: {procs[pid][2]}"
        for pid, started in known.items()
        if pid in procs and procs[pid][1] is not None and procs[pid][1] == started
    ]
    left += [
        f"pid {pid} (in the run's folder): {cmdline}"
        for pid, (_, started, cmdline, cwd) in procs.items()
        if started is not None and (workdir in cmdline or cwd.startswith(workdir))
    ]
    tmp = Path(tempfile.gettempdir())
    left += [f"folder {p}" for p in tmp.glob(f"{run.prefix}*")]
    return left


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[signal.Signals, Run]]:
    """One held pytest per signal, all started at once, each in a session of its own."""
    here = tmp_path_factory.mktemp("held")
    outer = os.environ.get("TEST_RUN_ID", str(os.getpid()))
    started = {}
    for signum in SIGNALS:
        run_id = f"{outer}-held-{signum.name}"
        ready = here / f"{signum.name}.json"
        env = {**os.environ, "TEST_RUN_ID": run_id, "HOLD_READY": str(ready)}
        proc = subprocess.Popen(
            [sys.executable, "-c", PYTEST, "-q", "-p", "no:cacheprovider", TARGET],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )  # fmt: skip
        started[signum] = Run(signum, proc, ready, f"okta-ldap-immuta-it-{run_id}-")
    try:
        yield started
    finally:
        for run in started.values():  # a test that failed early: end its run
            if run.proc.poll() is None:
                os.killpg(run.proc.pid, signal.SIGKILL)
                run.proc.wait()
            run.proc.communicate()


@pytest.mark.parametrize("signum", SIGNALS, ids=[s.name for s in SIGNALS])
def test_servers_and_keys_end_with_the_runner(
    runs: dict[signal.Signals, Run], signum: signal.Signals
) -> None:
    run = runs[signum]
    ready = run.wait_ready()
    workdir = str(ready["workdir"])
    assert Path(workdir, "ca", "ca.key").exists()
    servers = [int(ready[name]) for name in ("slapd", "postmaster", "backend")]  # type: ignore[call-overload]
    known = _tree([run.proc.pid, *servers])  # with the watchdog and PostgreSQL's own children
    assert set(servers) <= set(known), "the held servers are not running"
    assert len(known) >= 6, known  # pytest, watchdog, slapd, postmaster, its workers, a backend

    signalled = time.monotonic()
    os.kill(run.proc.pid, signum)
    out, _ = run.proc.communicate(timeout=BOUND)
    if signum == signal.SIGKILL:
        assert run.proc.returncode == -signal.SIGKILL
    else:  # ended like Ctrl-C: pytest stopped and tore its fixtures down
        assert run.proc.returncode == PYTEST_INTERRUPTED, out
        assert "KeyboardInterrupt" in out, out

    left = _left(run, known, workdir)
    while left and time.monotonic() - signalled < BOUND:
        time.sleep(0.1)
        left = _left(run, known, workdir)
    assert not left, f"{signum.name}: left after {BOUND:.0f}s: {left}"
