"""`python -m sandbox --stack dev`: see the stack work before it touches Okta, Immuta or a cluster.

Runs the stack's real program under the mock engine with the LDAP host and port and the Immuta
URL pointed at local servers, and applies what it declares: slapd laid out like the org's LDAP
Interface (bind accounts with locally generated passwords, two sample members of the Immuta
group and one non-member), the Immuta emulator with the IAM created by the project's provider
through its gRPC server, PostgreSQL 15 with the Helm release's pg_hba rules and the roles, and
each bind account's and sample user's deciding Okta sign-on rule from the sign-on model. Then
runs `make verify` against it, prints a summary, and stays up until Ctrl-C or `make
sandbox-down`; then every process it started is stopped and its folder removed.

With --check it stops once the summary is printed, so the summary names no file and --json
gives null for every path. The summary also says why the non-member is refused (it tries).

--json prints the connection facts, INCLUDING THE SAMPLE USERS' PASSWORDS: they are local
sandbox credentials, printed on purpose for scripts. Nothing else prints a password, except a
generated --user password, shown once. Exit codes: 0 ok, 1 a check failed or the sandbox could
not start, 2 bad input (stack config, --org, --user). SANDBOX_TMPDIR sets where its folder goes.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import itertools
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import FrameType

from components.config import Settings, SettingsError
from components.config.stack_file import StackFileError
from components.secret_text import scrub
from sandbox.desired import (
    GENERATED,
    SandboxError,
    check_login,
    new_password,
    remember,
    stack_config,
)
from sandbox.report import facts, summary
from sandbox.run import Progress, Request, SampleUser, Sandbox, running
from sandbox.sign_on import OrgFileError, load_org

PID_NAME = "okta-ldap-immuta-sandbox"
SAMPLES = (("alice", True), ("bob", True), ("carol", False))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m sandbox",
        allow_abbrev=False,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--stack", default="dev", help="stack name (stacks/Pulumi.<stack>.yaml; default: dev)"
    )
    p.add_argument(
        "--check", action="store_true", help="start, verify, stop; exit 0 only if all passed"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print connection facts as JSON: hosts, ports, CA path, sample users AND THEIR "
        "PASSWORDS (local sandbox credentials, printed on purpose)",
    )
    p.add_argument(
        "--user",
        action="append",
        default=[],
        metavar="LOGIN",
        help="another sample member of the Immuta group (repeatable); its password is prompted "
        "on a terminal (Enter: generated), otherwise generated, and printed once",
    )
    p.add_argument(
        "--org",
        type=Path,
        metavar="FILE",
        help="the org's other sign-on policies and users' groups, as JSON (format: "
        "docs/sandbox.md); default: an org with only Okta's default policy",
    )
    p.add_argument("--down", action="store_true", help="stop the running sandbox and exit")
    return p


# --- the PID file `make sandbox-down` reads ------------------------------------------------


def pid_file() -> Path:
    if os.environ.get("SANDBOX_PIDFILE"):
        return Path(os.environ["SANDBOX_PIDFILE"])
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isdir(runtime) and os.access(runtime, os.W_OK):
        return Path(runtime) / f"{PID_NAME}.pid"
    return Path(tempfile.gettempdir()) / f"{PID_NAME}-{os.getuid()}.pid"


def _alive_sandbox(pid: int) -> bool:
    """`pid` is a live `python -m sandbox` of this user (not a reused PID, not a zombie)."""
    proc = Path(f"/proc/{pid}")
    try:
        if proc.stat().st_uid != os.getuid():
            return False
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        args = (proc / "cmdline").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return False
    pairs = itertools.pairwise(args)
    return state != "Z" and any(a == b"-m" and b == b"sandbox" for a, b in pairs)


def running_pid(path: Path) -> int | None:
    """The PID of the sandbox `path` names, or None (no file, or a stale one)."""
    try:
        info = path.lstat()
        if not path.is_file() or path.is_symlink() or info.st_uid != os.getuid():
            raise SandboxError(f"{path} is not a PID file of yours: remove it")
        pid = int(json.loads(path.read_text())["pid"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if _alive_sandbox(pid) else None


def claim(path: Path, stack: str) -> Path:
    pid = running_pid(path)
    if pid is not None:
        raise SandboxError(f"a sandbox is already running (pid {pid}): `make sandbox-down` first")
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps({"pid": os.getpid(), "stack": stack}) + "\n")
    os.replace(tmp, path)
    return path


def release(path: Path) -> None:
    with contextlib.suppress(OSError, ValueError, KeyError):
        if int(json.loads(path.read_text())["pid"]) == os.getpid():
            path.unlink()


def down(timeout: float = 60.0) -> int:
    """`make sandbox-down`: SIGTERM to the running sandbox, then wait until it has stopped."""
    path = pid_file()
    pid = running_pid(path)
    if pid is None:
        print("no sandbox is running")
        with contextlib.suppress(OSError):
            path.unlink()
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive_sandbox(pid):
            print(f"stopped the sandbox (pid {pid})")
            return 0
        time.sleep(0.1)
    print(f"the sandbox (pid {pid}) is still stopping after {timeout:.0f}s", file=sys.stderr)
    return 1


# --- sample users -----------------------------------------------------------------------


def sample_users(settings: Settings, extra: list[str], *, may_prompt: bool) -> list[SampleUser]:
    logins = [a.login for a in settings.bind_accounts]
    domain = (logins[0] if logins else "").rpartition("@")[2] or "example.com"
    users = [SampleUser(f"{n}@{domain}", new_password(24), m) for n, m in SAMPLES]
    for login in extra:
        check_login(login)
        taken = {u.login.casefold() for u in users} | {x.casefold() for x in logins}
        if login.casefold() in taken:
            raise SandboxError(f"--user {login}: already a sample user or bind account")
        typed = ""
        if may_prompt:
            typed = getpass.getpass(f"password of {login} (Enter: generate one): ")
            if "\n" in typed or "\r" in typed:
                raise SandboxError(f"--user {login}: a password cannot hold a line break")
        if typed:
            users.append(SampleUser(login, remember(typed), True))
        else:
            users.append(SampleUser(login, new_password(24), True, show_once=True))
    return users


# --- running ------------------------------------------------------------------------------


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: every server stopped, the folder removed


def _tail(path: Path, lines: int = 5) -> str:
    with contextlib.suppress(OSError):
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    return "(no log)"


def wait(sb: Sandbox) -> None:
    """Until a signal; a server that dies meanwhile ends the sandbox with its log's tail."""
    while True:
        time.sleep(0.5)
        proc = sb.slapd.proc
        if proc is not None and proc.poll() is not None:
            log = _tail(sb.slapd.workdir / "slapd.log")
            raise SandboxError(f"slapd exited with {proc.returncode}: {log}")
        try:
            os.kill(sb.postgres.postmaster_pid(), 0)
        except (OSError, ValueError):
            raise SandboxError(f"PostgreSQL stopped: {_tail(sb.postgres.log_file)}") from None


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.down:
        return down()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _interrupt)
        signal.signal(signal.SIGHUP, _interrupt)
    claimed: Path | None = None
    try:
        config, settings = stack_config(args.stack)
        org = load_org(args.org)
        may_prompt = sys.stdin.isatty() and not (args.check or args.json)
        users = sample_users(settings, args.user, may_prompt=may_prompt)
        if not args.check:
            claimed = claim(pid_file(), args.stack)
        request = Request(args.stack, config, settings, tuple(users), org)
        with running(request, Progress(sys.stderr)) as sb:
            if args.json:
                print(json.dumps(facts(sb, staying=not args.check), indent=2), flush=True)
            else:
                sys.stdout.write(summary(sb, staying=not args.check))
                sys.stdout.flush()
            if args.check:
                return 0 if sb.passed else 1
            wait(sb)
    except KeyboardInterrupt:
        return 130 if args.check else 0
    except (SettingsError, StackFileError, OrgFileError) as exc:
        print(f"error: {scrub(str(exc), GENERATED)}", file=sys.stderr)
        return 2
    except SandboxError as exc:
        print(f"error: {scrub(str(exc), GENERATED)}", file=sys.stderr)
        return 2 if str(exc).startswith("--user") else 1
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, subprocess.CalledProcessError) and exc.stderr:
            text += f": {str(exc.stderr).strip()[-400:]}"
        print(f"error: {scrub(text, GENERATED)}", file=sys.stderr)
        return 1
    finally:
        if claimed is not None:
            release(claimed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
