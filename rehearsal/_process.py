"""Process helpers for the local servers: free ports, running as a system user (PostgreSQL
refuses root), subprocesses."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from collections.abc import Sequence
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
