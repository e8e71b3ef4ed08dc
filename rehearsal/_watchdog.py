"""Local servers never outlive the process that started them, however it ends.

The first server or folder a process guards starts one watchdog: a small Python process in a
session of its own (so a signal to the runner's process group, e.g. `timeout`'s or a terminal's,
does not reach it) that reads registrations from a pipe whose only writer is the runner. When
the runner ends, by any signal, SIGKILL included, or by a normal exit, the kernel closes that
pipe; on EOF the watchdog stops every guarded process that still runs (its signal, then SIGKILL
after a grace period, children included) and removes every guarded folder (they hold the test
CA's private key and server keys). It runs as the runner's user, so as root it can end the
servers that run as openldap and postgres.

A parent-death signal (prctl PR_SET_PDEATHSIG) cannot do this: the kernel clears it when a
process changes its credentials (slapd's `-u openldap`, runuser), and PostgreSQL's pg_ctl
detaches the postmaster into its own session (setsid), as the postmaster does with each backend.

A process is identified by its PID and its start time (/proc/<pid>/stat), so a PID the kernel
has since given to another process is never signalled. A pid file (PostgreSQL's postmaster.pid)
can be guarded before the server starts: it is read when the runner ends, and only a process
started after it was guarded is signalled.

This file is also the watchdog's program (`python -I rehearsal/_watchdog.py`, standard library
only); a normal exit of the runner waits for it to finish.
"""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

GRACE = 5.0  # s between a guarded process's own stop signal and SIGKILL
EXIT_WAIT = 30.0  # s a runner's normal exit waits for the watchdog's cleanup
_TICKS = os.sysconf("SC_CLK_TCK")


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot; None when gone or a zombie."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])  # state, starttime


def _now_ticks() -> int:
    return int(float(Path("/proc/uptime").read_text().split()[0]) * _TICKS)


# --- the runner's side ---------------------------------------------------------------------


class _Client:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", __file__, str(GRACE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.owner = os.getpid()
        self.lock = threading.Lock()

    def send(self, entry: dict[str, object]) -> None:
        assert self.proc.stdin is not None
        with self.lock:
            self.proc.stdin.write(json.dumps(entry).encode() + b"\n")
            self.proc.stdin.flush()

    def close(self) -> None:
        """EOF for the watchdog: it cleans up; the process that started it waits for that."""
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        if os.getpid() == self.owner:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(EXIT_WAIT)


_client: _Client | None = None
_client_lock = threading.Lock()


def _watchdog() -> _Client:
    global _client
    with _client_lock:
        if _client is None or _client.owner != os.getpid():
            _client = _Client()
            atexit.register(_client.close)
        return _client


_inherited: list[_Client] = []  # a forked child's copies, kept from garbage collection


def _forget_in_child() -> None:
    """A forked child must not keep the parent's watchdog waiting: drop the inherited pipe."""
    global _client
    if _client is not None:
        _inherited.append(_client)
        with contextlib.suppress(OSError, ValueError):
            if isinstance(_client.proc.stdin, io.BufferedWriter):
                _client.proc.stdin.detach().close()
        _client = None


os.register_at_fork(after_in_child=_forget_in_child)


def guard_process(pid: int, stop_signal: int = signal.SIGTERM) -> None:
    """End `pid` (and its children) when this process ends, unless it has ended already."""
    started = start_time(pid)
    if started is not None:
        _watchdog().send({"pid": pid, "start": started, "signal": int(stop_signal)})


def guard_pidfile(path: Path, stop_signal: int = signal.SIGTERM) -> None:
    """End the process whose PID `path` holds when this process ends; call it before the
    server starts (it writes the file), so that no moment is left unguarded."""
    _watchdog().send({"pidfile": str(path), "after": _now_ticks() - 2, "signal": int(stop_signal)})


def guard_folder(path: Path) -> None:
    """Remove `path` when this process ends (after the guarded processes are stopped)."""
    _watchdog().send({"folder": str(path)})


# --- the watchdog's side -------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(proc.name))
    return tree


def _targets(entries: list[dict[str, object]]) -> list[tuple[int, int, int]]:
    """(pid, start time, stop signal) of every guarded process still running."""
    found = []
    for entry in entries:
        if "pid" in entry:
            pid, start = int(entry["pid"]), int(entry["start"])  # type: ignore[call-overload]
        elif "pidfile" in entry:
            try:
                pid = int(Path(str(entry["pidfile"])).read_text().split("\n", 1)[0])
            except (OSError, ValueError):
                continue
            start = start_time(pid) or -1
            if start < int(entry["after"]):  # type: ignore[call-overload]
                continue  # gone, or a PID given to a process older than the registration
        else:
            continue
        if start_time(pid) == start:
            found.append((pid, start, int(entry["signal"])))  # type: ignore[call-overload]
    return found


def _stop(targets: list[tuple[int, int, int]], grace: float) -> None:
    tree = _children()
    alive: dict[int, int] = {}
    todo = [pid for pid, _, _ in targets]
    while todo:
        pid = todo.pop()
        start = start_time(pid)
        if start is not None and pid not in alive:
            alive[pid] = start
            todo.extend(tree.get(pid, []))
    for pid, _, signum in targets:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        alive = {pid: start for pid, start in alive.items() if start_time(pid) == start}
        if not alive:
            return
        time.sleep(0.05)
    for pid in alive:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _clean(entries: list[dict[str, object]], grace: float) -> None:
    _stop(_targets(entries), grace)
    time.sleep(0.3)  # a server that was starting writes its pid file now: a second look
    _stop(_targets([e for e in entries if "pidfile" in e]), grace)
    for entry in entries:
        if "folder" in entry:
            shutil.rmtree(str(entry["folder"]), ignore_errors=True)


def main() -> None:
    grace = float(sys.argv[1]) if len(sys.argv) > 1 else GRACE
    for signum in (signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # clean up now, as on EOF
    entries: list[dict[str, object]] = []
    try:
        for line in sys.stdin.buffer:
            with contextlib.suppress(ValueError):
                entries.append(json.loads(line))
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        _clean(entries, grace)


if __name__ == "__main__":
    main()
