"""PostgreSQL 15 as the Query Engine: a real cluster on a free loopback port in a temp
directory, with ssl=on, trusting a test CA for LDAPS, stopped by its context manager."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from rehearsal._process import as_user, free_port, give_to, run
from rehearsal._watchdog import guard_pidfile
from rehearsal.tls import TestCA

# The Immuta chart's last pg_hba rule: a login no earlier rule matched is asked for a
# PostgreSQL password (md5), which LDAP users have not.
CHART_CATCH_ALL = "hostssl immuta all 0.0.0.0/0 md5"


@dataclass(frozen=True)
class HbaRow:
    """One row of pg_hba_file_rules."""

    line_number: int
    type: str | None
    database: list[str] | None
    user_name: list[str] | None
    address: str | None
    auth_method: str | None
    options: list[str] | None
    error: str | None

    def option_map(self) -> dict[str, str]:
        return dict(o.split("=", 1) for o in self.options or [])


# --- PostgreSQL 15 -------------------------------------------------------------------------


def pg_bin(tool: str) -> str:
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{tool}"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {tool} not found: run `make system-deps`")
    return found[-1]


@dataclass
class Postgres:
    """A PostgreSQL cluster with ssl=on that trusts the test CA for LDAPS (LDAPTLS_CACERT)."""

    workdir: Path
    ca: TestCA
    port: int = field(default_factory=free_port)
    started: bool = False
    # Extra postgresql.conf settings (e.g. authentication_timeout) and extra environment for the
    # server (e.g. LDAPTIMEOUT); both empty by default.
    settings: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    # Where the Unix socket goes (default: workdir). A socket's path has at most 107 bytes, so a
    # deep workdir needs a short one; it must exist, and the postgres user must write to it.
    socket_dir: Path | None = None

    @property
    def socket_path(self) -> Path:
        return self.socket_dir or self.workdir

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def hba_file(self) -> Path:
        return self.data / "pg_hba.conf"

    def start(self) -> Postgres:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        crt, key = self.ca.server_cert(f"postgres-{self.port}")
        shutil.copy(crt, self.workdir / "server.pem")
        shutil.copy(key, self.workdir / "server.key")
        (self.workdir / "server.key").chmod(0o600)
        give_to("postgres", self.workdir)
        run(as_user("postgres", [pg_bin("initdb"), "-D", str(self.data), "-U", "postgres",
                                 "--auth-local=trust", "--auth-host=reject", "-E", "UTF8",
                                 "--locale=C.UTF-8"]))  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.socket_path}'\nssl = on\n"
                f"ssl_cert_file = '{self.workdir}/server.pem'\n"
                f"ssl_key_file = '{self.workdir}/server.key'\n"
                "log_connections = on\nfsync = off\nshared_buffers = 16MB\n"
            )
            conf.writelines(f"{name} = '{value}'\n" for name, value in self.settings.items())
        self.write_hba([])
        env = {
            **os.environ,
            "LDAPTLS_CACERT": str(self.ca.cert),
            "LDAPTLS_REQCERT": "demand",
            **self.env,
        }
        # Immediate shutdown (SIGQUIT) even when this process is killed: pg_ctl detaches the
        # postmaster (setsid), so nothing else would stop it.
        guard_pidfile(self.data / "postmaster.pid", signal.SIGQUIT)
        run(as_user("postgres", [pg_bin("pg_ctl"), "-D", str(self.data), "-l",
                                 str(self.workdir / "postgres.log"), "-w", "-t", "60", "start"]),
            env=env)  # fmt: skip
        self.started = True
        return self

    def write_hba(self, rules: Sequence[str], catch_all: bool = True) -> None:
        """pg_hba.conf = superuser over the socket, `rules`, then the chart's catch-all."""
        lines = ["local all postgres trust", *rules]
        if catch_all:
            lines.append(CHART_CATCH_ALL)
        self.hba_file.write_text("\n".join(lines) + "\n")
        give_to("postgres", self.hba_file)

    def reload(self, timeout: float = 20.0) -> None:
        """Re-read pg_hba.conf, and wait until new sessions see it (SIGHUP is asynchronous)."""
        with self.superuser() as conn:
            (asked,) = conn.execute("SELECT clock_timestamp()").fetchone() or (None,)
            conn.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.superuser() as conn:  # a new session inherits the postmaster's load time
                (loaded,) = conn.execute("SELECT pg_conf_load_time()").fetchone() or (None,)
            if loaded is not None and asked is not None and loaded >= asked:  # type: ignore[operator]
                return
            time.sleep(0.02)
        raise TimeoutError("PostgreSQL did not reload its configuration")

    @contextlib.contextmanager
    def superuser(
        self, dbname: str = "postgres"
    ) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        conn = psycopg.connect(
            host=str(self.socket_path),
            port=self.port,
            user="postgres",
            dbname=dbname,
            autocommit=True,
        )
        try:
            yield conn
        finally:
            conn.close()

    def hba_rules(self, conn: psycopg.Connection[tuple[object, ...]] | None = None) -> list[HbaRow]:
        """pg_hba_file_rules as PostgreSQL parses the file now (it re-reads it per query)."""
        query = (
            "SELECT line_number, type, database, user_name, address, auth_method, options, error"
            " FROM pg_hba_file_rules ORDER BY line_number"
        )
        if conn is not None:
            return [HbaRow(*row) for row in conn.execute(query).fetchall()]  # type: ignore[arg-type]
        with self.superuser() as own:
            return [HbaRow(*row) for row in own.execute(query).fetchall()]  # type: ignore[arg-type]

    def login(self, user: str, password: str, dbname: str = "immuta") -> None:
        """A TLS login as `user`; raises psycopg.OperationalError when refused."""
        psycopg.connect(
            host="127.0.0.1", port=self.port, user=user, password=password, dbname=dbname,
            sslmode="verify-full", sslrootcert=str(self.ca.cert), connect_timeout=10,
        ).close()  # fmt: skip

    @property
    def log_file(self) -> Path:
        return self.workdir / "postgres.log"

    def log_size(self) -> int:
        """The log's length in bytes now: pass it to `log_text` to read only what follows."""
        return self.log_file.stat().st_size if self.log_file.exists() else 0

    def log_text(self, since: int = 0) -> str:
        """The server log (log_connections is on), from byte `since` on."""
        if not self.log_file.exists():
            return ""
        with self.log_file.open("rb") as log:
            log.seek(since)
            return log.read().decode(errors="replace")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])

    def backends(self, phase: str = "authentication") -> list[int]:
        """PIDs of the postmaster's children whose process title ends with `phase`.

        PostgreSQL 15 lists a backend in pg_stat_activity only once it has authenticated, so
        a login stuck in authentication (e.g. waiting on LDAP) shows only in its process title,
        `postgres: <user> <db> <host>(<port>) authentication`."""
        parent = self.postmaster_pid()
        found = []
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
                title = (
                    (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if ppid == parent and title.strip().endswith(f" {phase}"):
                found.append(int(proc.name))
        return sorted(found)

    def terminate(self, pids: Sequence[int]) -> None:
        """pg_terminate_backend on each PID (SIGTERM; a backend blocked in a library call
        may ignore it until that call returns)."""
        with self.superuser() as conn:
            for pid in pids:
                conn.execute("SELECT pg_terminate_backend(%s)", (pid,))

    def stop(self) -> None:
        if self.started:
            stop = [pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]
            subprocess.run(as_user("postgres", stop), capture_output=True, check=False)
            self.started = False
