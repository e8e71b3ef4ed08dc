"""Start the sandbox, step by step with a progress line each, and stop all of it.

Order: a sandbox CA; PostgreSQL 15 (the slowest) starts in the background while the Immuta
emulator starts and the stack's program runs under the mock engine; then slapd with what the
program declared, the IAM through the provider's gRPC server (its dry-run binds to slapd), the
Query Engine's roles and pg_hba.conf, the sign-on model, and `make verify` as a subprocess.
Every process is stopped by its PID and the folder removed, on success, error or signal.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import psycopg
from psycopg import sql

from components.config import OKTA_DOMAIN_KEY, OKTA_ORG_KEY, Settings
from components.okta.ldap_interface import OKTA_DOMAINS
from rehearsal._process import give_to
from rehearsal._watchdog import guard_folder
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.servers import (
    IS_ROOT,
    DirectoryGroup,
    DirectoryUser,
    Postgres,
    Slapd,
    TestCA,
    free_port,
)
from rehearsal.stack_config import StackConfig
from rehearsal.tls import EC
from sandbox.desired import Desired, Local, SandboxError, apply_program
from sandbox.immuta import create_iam, directory_of, immuta_groups, start_emulator, stored_iam
from sandbox.sign_on import BaseOrg, SignOn, evaluate
from sandbox.verify_run import VerifyTarget, run_verify

PREFIX = "okta-ldap-immuta-sandbox-"
SOCKET_PATH_MAX = 107  # bytes in a Unix socket's path (sun_path)
T = TypeVar("T")


class Progress:
    """One line per step on stderr: time since start, what, how long the step took."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def step(self, text: str, since: float) -> None:
        now = time.monotonic()
        with self.lock:
            print(f"[{now - self.started:5.1f}s] {text} ({now - since:.1f}s)", file=self.stream)
            self.stream.flush()

    def timed(self, text: str, call: Callable[[], T]) -> T:
        since = time.monotonic()
        result = call()
        self.step(text, since)
        return result


@dataclass(frozen=True)
class SampleUser:
    login: str
    password: str = field(repr=False)
    member: bool  # of the Immuta group: the LDAP group and the PostgreSQL role <IAM id>_user
    show_once: bool = False  # a generated `--user` password, printed once


@dataclass(frozen=True)
class Request:
    stack: str
    config: StackConfig
    settings: Settings
    samples: tuple[SampleUser, ...]
    org: BaseOrg


@dataclass
class Sandbox:
    request: Request
    root: Path
    private: Path  # 0700: files with secrets
    ca: TestCA
    emulator: ImmutaEmulator
    desired: Desired
    slapd: Slapd
    postgres: Postgres
    iam: dict[str, Any] = field(default_factory=dict)  # as Immuta stores it, password masked
    sign_on: list[SignOn] = field(default_factory=list)
    verify: dict[str, Any] = field(default_factory=dict)
    # per sample login: the groups Immuta's sync recorded (None: the sync did not list the user)
    groups: dict[str, tuple[str, ...] | None] = field(default_factory=dict)
    # per non-member: PostgreSQL's answer to its login ("" when it was let in)
    refusals: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return (
            bool(self.verify.get("passed"))
            and all(s.ok for s in self.sign_on)
            and all(self.refusals.values())
        )

    @property
    def iam_file(self) -> Path:
        return self.root / "immuta-iam.json"

    @property
    def pgpass(self) -> Path:
        return self.private / "pgpass"


def _quiet() -> dict[int, Any]:
    """Ignore Ctrl-C and SIGTERM while stopping, so a second one cannot leave servers behind."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}


def _stop(stop: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):
        stop()


@contextlib.contextmanager
def running(request: Request, progress: Progress) -> Iterator[Sandbox]:
    """The sandbox, started; stopped (every process by PID) and removed on leaving."""
    base = Path(os.environ.get("SANDBOX_TMPDIR") or tempfile.gettempdir()).resolve()
    if IS_ROOT:  # slapd and PostgreSQL run as their own users: they must reach their folders
        closed = [p for p in (base, *base.parents) if not p.stat().st_mode & 0o001]
        if closed:
            raise SandboxError(
                f"{closed[0]} is closed to other users (the openldap and postgres users need to "
                "reach the sandbox): set SANDBOX_TMPDIR to a folder they can reach, e.g. /tmp"
            )
    root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
    guard_folder(root)  # removed even when the sandbox is killed (its servers are guarded too)
    stops: list[Callable[[], object]] = []
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="sandbox")
    umask = os.umask(0o077)  # logs and configs readable by their owner only
    try:
        root.chmod(0o755)  # the openldap and postgres users reach their own folders in it
        (root / "private").mkdir(mode=0o700)
        yield _start(request, root, stops, pool, progress)
    finally:
        handlers = _quiet()
        since = time.monotonic()
        pool.shutdown(wait=True, cancel_futures=True)  # a server still starting, then stopped
        stopping = [threading.Thread(target=_stop, args=(stop,)) for stop in stops]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        shutil.rmtree(root, ignore_errors=True)
        os.umask(umask)
        progress.step(f"stopped every process and removed {root}", since)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


def _start(
    request: Request,
    root: Path,
    stops: list[Callable[[], object]],
    pool: ThreadPoolExecutor,
    progress: Progress,
) -> Sandbox:
    ca = progress.timed("sandbox CA", lambda: TestCA.create(root / "ca", EC))
    socket_dir = _socket_dir(root)
    postgres = Postgres(root / "query-engine", ca, socket_dir=socket_dir)
    stops.append(lambda: _stop_postgres(postgres, socket_dir))
    pg_started = pool.submit(
        progress.timed, f"PostgreSQL 15 on 127.0.0.1:{postgres.port}", postgres.start
    )
    emulator = progress.timed("Immuta emulator", lambda: start_emulator(ca))
    stops.append(emulator.stop)
    local = Local(ldaps_port=free_port(), starttls_port=free_port(), immuta_url=emulator.url)
    desired = progress.timed(
        f"the {request.stack} stack's program under the mock engine, pointed at the sandbox",
        lambda: apply_program(request.config, request.settings, local),
    )
    slapd = _directory(request, root / "directory", ca, desired, local)
    stops.append(slapd.stop)
    emulator.directory = directory_of(slapd)
    slapd_started = pool.submit(
        progress.timed,
        f"slapd (Okta LDAP Interface layout, {slapd.root_dn}) on ldaps://127.0.0.1:{slapd.port}"
        f" and StartTLS ldap://127.0.0.1:{slapd.starttls_port}",
        slapd.start,
    )
    outputs: Future[dict[str, Any]] = pool.submit(
        progress.timed,
        "Immuta IAM created by the project's provider through its gRPC server",
        lambda: create_iam(
            root / "immuta-provider.log", emulator, ca, desired.iam_inputs, slapd_started.result
        ),
    )
    sandbox = Sandbox(request, root, root / "private", ca, emulator, desired, slapd, postgres)
    role = str(outputs.result()["queryEngineRole"])
    if role != desired.role:
        raise SandboxError(f"the IAM's role {role} differs from the program's {desired.role}")
    sandbox.iam = stored_iam(emulator, desired.iam_id)
    sandbox.groups = immuta_groups(emulator, desired.iam_id, (s.login for s in request.samples))
    sandbox.iam_file.write_text(json.dumps(sandbox.iam, indent=2) + "\n")
    sandbox.iam_file.chmod(0o644)
    pg_started.result()
    progress.timed(
        f"Query Engine: role {role}, sample users' roles, pg_hba.conf as the Helm release has "
        "it; each non-member's login tried",
        lambda: _query_engine(sandbox, role),
    )
    base = request.org
    mfa = request.settings.mfa.group_ids if request.settings.mfa else ()
    samples = [(s.login, s.member) for s in request.samples]
    sandbox.sign_on = progress.timed(
        f"Okta sign-on: the stack's policies in {base.source}",
        lambda: evaluate(desired.plan, base, samples, mfa),
    )
    members = [s for s in request.samples if s.member]
    target = VerifyTarget(
        stack=request.stack,
        private=sandbox.private,
        outputs=desired.outputs,
        emulator=emulator,
        ca_file=ca.cert,
        query_engine_port=postgres.port,
        probe_login=members[0].login if members else None,
        probe_password=members[0].password if members else None,
    )
    sandbox.verify = progress.timed("make verify against the sandbox", lambda: run_verify(target))
    return sandbox


def _directory(
    request: Request, workdir: Path, ca: TestCA, desired: Desired, local: Local
) -> Slapd:
    values = request.config.values
    samples = request.samples
    slapd = Slapd(
        workdir,
        ca,
        org=values[OKTA_ORG_KEY],
        domain=values.get(OKTA_DOMAIN_KEY) or OKTA_DOMAINS[0],
        users=tuple(DirectoryUser(s.login, s.password) for s in samples),
        bind_accounts=tuple(DirectoryUser(a.login, a.password) for a in desired.bind_accounts),
        port=local.ldaps_port,
        starttls_port=local.starttls_port,
        groups=(DirectoryGroup(desired.role, tuple(s.login for s in samples if s.member)),),
        users_at_root=True,  # both of Okta's DN forms, for every user
    )
    if slapd.root_dn != desired.settings.directory.root_dn:
        raise SandboxError(
            f"the directory's suffix {slapd.root_dn} is not the stack's "
            f"{desired.settings.directory.root_dn}"
        )
    return slapd


def _socket_dir(root: Path) -> Path | None:
    """A short folder for PostgreSQL's socket when the sandbox's own is too deep for one."""
    if len(str(root / "query-engine" / ".s.PGSQL.65535.lock")) <= SOCKET_PATH_MAX:
        return None
    short = Path(tempfile.mkdtemp(prefix="okta-ldap-immuta-pg-", dir="/tmp"))
    guard_folder(short)
    give_to("postgres", short)
    return short


def _stop_postgres(postgres: Postgres, socket_dir: Path | None) -> None:
    try:
        postgres.stop()
    finally:
        if socket_dir is not None:
            shutil.rmtree(socket_dir, ignore_errors=True)


def _pgpass_field(value: str) -> str:
    return value.replace("\\", "\\\\").replace(":", "\\:")


def _query_engine(sandbox: Sandbox, role: str) -> None:
    pg, desired = sandbox.postgres, sandbox.desired
    ident = sql.Identifier
    with pg.superuser() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(ident(desired.database)))
        conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(ident(role)))
        for user in sandbox.request.samples:
            member = sql.SQL(" IN ROLE {}").format(ident(role)) if user.member else sql.SQL("")
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(ident(user.login)) + member)
    pg.write_hba(list(desired.hba_rules))  # then the chart's catch-all
    pg.reload()
    refused = [r for r in pg.hba_rules() if r.error]
    if refused:
        line, error = refused[0].line_number, refused[0].error
        raise SandboxError(f"PostgreSQL refused pg_hba.conf line {line}: {error}")
    lines = [
        ":".join(_pgpass_field(f) for f in ("127.0.0.1", str(pg.port), desired.database, *u))
        for u in ((s.login, s.password) for s in sandbox.request.samples)
    ]
    sandbox.pgpass.write_text("\n".join(lines) + "\n")  # for psql (PGPASSFILE)
    sandbox.pgpass.chmod(0o600)
    for user in (s for s in sandbox.request.samples if not s.member):
        sandbox.refusals[user.login] = _refusal(pg, user.login, user.password, desired.database)


def _refusal(pg: Postgres, login: str, password: str, database: str) -> str:
    """PostgreSQL's answer to a login as `login` (its FATAL message), or "" if it let it in."""
    try:
        pg.login(login, password, database)
    except psycopg.OperationalError as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return text.rpartition("FATAL:")[2].strip() or text
    return ""
