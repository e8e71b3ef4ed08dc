"""Process helpers for the local servers: free ports, running as a system user (PostgreSQL
refuses root), subprocesses, and a child (a pytest that starts servers) that ends with us."""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

IS_ROOT = os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def system_tool(name: str) -> str:
    """The path of a system program, also from sbin, which a plain PATH such as
    `env -i PATH=/usr/bin:/bin` leaves out (runuser, slapd, slapadd live there)."""
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin") or name


def as_user(user: str, cmd: Sequence[str]) -> list[str]:
    """Run `cmd` as `user` when we are root; as ourselves otherwise."""
    return [system_tool("runuser"), "-u", user, "--", *cmd] if IS_ROOT else list(cmd)


def give_to(user: str, *paths: Path) -> None:
    if IS_ROOT:
        entry = pwd.getpwnam(user)
        for path in paths:
            for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
                os.chown(p, entry.pw_uid, entry.pw_gid)


def run(cmd: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result: subprocess.CompletedProcess[str] = subprocess.run(  # type: ignore[call-overload]
        list(cmd), check=True, capture_output=True, text=True, **kwargs
    )
    return result


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def run_tied(
    cmd: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
) -> subprocess.CompletedProcess[str]:
    """subprocess.run for a child that starts servers (a pytest): it never outlives us.

    The child runs in a process group of its own, and every SIGTERM, SIGINT or SIGHUP we get is
    passed on to it once (a terminal's Ctrl-C and `timeout` signal our group, which no longer
    holds the child): it then cleans up as for its own signal, pytest by tearing its fixtures
    down. A signal we ignore (nohup's SIGHUP) stays ignored, by both. When we die without a
    chance to pass anything on (SIGKILL), the kernel sends the child SIGTERM (PR_SET_PDEATHSIG).
    Call it from the main thread (signal handlers)."""
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def tie() -> None:  # in the child, before exec
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # we died before the line above
            os.kill(os.getpid(), signal.SIGTERM)

    out = subprocess.PIPE if capture else None
    with subprocess.Popen(
        list(cmd), cwd=cwd, env=env, stdout=out, stderr=out, text=True,
        process_group=0, preexec_fn=tie,
    ) as proc:  # fmt: skip

        def forward(signum: int, _frame: object) -> None:
            proc.send_signal(signum)

        previous = {
            signum: signal.signal(signum, forward)
            for signum in FORWARDED
            if signal.getsignal(signum) != signal.SIG_IGN
        }
        try:
            stdout, stderr = proc.communicate()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
