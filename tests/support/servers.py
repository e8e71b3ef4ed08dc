"""Real servers for the integration tests: a test CA, slapd laid out like Okta's LDAP Interface,
and PostgreSQL 15. Each runs on a free loopback port in a temp directory, as its own system user
when the suite runs as root (PostgreSQL refuses root), and is stopped by its context manager."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

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


def as_user(user: str, cmd: Sequence[str]) -> list[str]:
    """Run `cmd` as `user` when we are root; as ourselves otherwise."""
    return ["runuser", "-u", user, "--", *cmd] if IS_ROOT else list(cmd)


def give_to(user: str, *paths: Path) -> None:
    if IS_ROOT:
        entry = pwd.getpwnam(user)
        for path in paths:
            for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
                os.chown(p, entry.pw_uid, entry.pw_gid)


def run(cmd: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


# --- TLS ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCA:
    """A CA plus server certificates; files are world-readable, keys readable by their owner."""

    __test__ = False  # not a pytest test class
    root: Path

    @property
    def cert(self) -> Path:
        return self.root / "ca.pem"

    @classmethod
    def create(cls, root: Path) -> TestCA:
        root.mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=okta-ldap-immuta test CA", "-keyout", str(root / "ca.key"),
             "-out", str(root / "ca.pem"), "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
        )  # fmt: skip
        (root / "ca.pem").chmod(0o644)
        return cls(root)

    def server_cert(self, name: str, sans: str = "IP:127.0.0.1,DNS:localhost") -> tuple[Path, Path]:
        """(certificate, key) for a server whose names are `sans`."""
        key, csr, crt = (self.root / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        ext = self.root / f"{name}.ext"
        ext.write_text(f"subjectAltName={sans}\nextendedKeyUsage=serverAuth\n")
        run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(key), "-out", str(csr)])  # fmt: skip
        run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.cert), "-CAkey",
             str(self.root / "ca.key"), "-CAcreateserial", "-days", "2", "-extfile", str(ext),
             "-out", str(crt)])  # fmt: skip
        crt.chmod(0o644)
        key.chmod(0o600)
        return crt, key


# --- slapd, laid out like Okta's LDAP Interface -----------------------------------------------


@dataclass(frozen=True)
class DirectoryUser:
    login: str
    password: str = field(repr=False)


@dataclass
class Slapd:
    """OpenLDAP with `dc=<org>,dc=okta,dc=com`: users under `ou=users` with `uid` = login, bind
    accounts also at `uid=<login>,dc=...` (Okta's bind DN form), anonymous bind refused (slapd
    answers 48 where Okta answers 53),
    TLS only (LDAPS, TLS 1.2+)."""

    workdir: Path
    ca: TestCA
    org: str = "acme"
    users: tuple[DirectoryUser, ...] = ()
    bind_accounts: tuple[DirectoryUser, ...] = ()
    port: int = field(default_factory=free_port)
    starttls_port: int = field(default_factory=free_port)  # ldap:// where only StartTLS binds
    cert_names: str = "IP:127.0.0.1,DNS:localhost"
    proc: subprocess.Popen[bytes] | None = None

    @property
    def root_dn(self) -> str:
        return f"dc={self.org},dc=okta,dc=com"

    def _ldif(self) -> str:
        entries = [
            f"dn: {self.root_dn}\nobjectClass: dcObject\nobjectClass: organization\n"
            f"dc: {self.org}\no: {self.org}\n",
            f"dn: ou=users,{self.root_dn}\nobjectClass: organizationalUnit\nou: users\n",
            f"dn: ou=groups,{self.root_dn}\nobjectClass: organizationalUnit\nou: groups\n",
        ]
        everyone = [(f"uid={u.login},ou=users,{self.root_dn}", u) for u in self.users]
        everyone += [(f"uid={u.login},ou=users,{self.root_dn}", u) for u in self.bind_accounts]
        everyone += [(f"uid={u.login},{self.root_dn}", u) for u in self.bind_accounts]
        for dn, user in everyone:
            entries.append(
                f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: {user.login}\ncn: {user.login}\n"
                f"sn: {user.login.split('@')[0]}\nmail: {user.login}\n"
                f"userPassword: {user.password}\n"
            )
        return "\n".join(entries)

    def _config(self, crt: Path, key: Path) -> str:
        d = self.workdir
        return f"""
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {d}/slapd.pid
argsfile {d}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
TLSCACertificateFile {self.ca.cert}
TLSCertificateFile {crt}
TLSCertificateKeyFile {key}
TLSProtocolMin 3.3
disallow bind_anon
security tls=1
database mdb
maxsize 104857600
suffix "{self.root_dn}"
rootdn "cn=admin,{self.root_dn}"
rootpw {secrets.token_hex(16)}
directory {d}/db
access to attrs=userPassword by anonymous auth by self read by * none
access to * by users read by * none
"""

    def start(self) -> Slapd:
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "db").mkdir(exist_ok=True)
        crt, key = self.ca.server_cert(f"slapd-{self.port}", self.cert_names)
        conf = self.workdir / "slapd.conf"
        conf.write_text(self._config(crt, key))
        (self.workdir / "data.ldif").write_text(self._ldif())
        give_to("openldap", self.workdir, key)
        run(
            as_user("openldap", ["slapadd", "-f", str(conf), "-l", str(self.workdir / "data.ldif")])
        )
        urls = f"ldaps://127.0.0.1:{self.port}/ ldap://127.0.0.1:{self.starttls_port}/"
        cmd = ["slapd", "-d", "0", "-f", str(conf), "-h", urls]
        if IS_ROOT:
            cmd += ["-u", "openldap", "-g", "openldap"]
        log = (self.workdir / "slapd.log").open("wb")
        self.proc = subprocess.Popen(
            [shutil.which("slapd") or "/usr/sbin/slapd", *cmd[1:]], stdout=log, stderr=log
        )
        wait_for_port(self.port)
        wait_for_port(self.starttls_port)
        return self

    def stall(self) -> None:
        """Freeze slapd (SIGSTOP): the kernel still completes TCP handshakes on its ports, but
        nothing answers, like a hung directory behind a load balancer. Undo with `resume`."""
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("slapd is not running")
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Undo `stall` (SIGCONT); harmless when slapd runs."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)

    @contextlib.contextmanager
    def stalled(self) -> Iterator[Slapd]:
        """slapd frozen inside the block, always resumed after it."""
        self.stall()
        try:
            yield self
        finally:
            self.resume()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class SilentListener:
    """A TCP port on 127.0.0.1 that accepts every connection and never sends a byte: a hung
    directory or a black-holing load balancer. `close` drops the port and every connection."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0), backlog=512)
        self.port = int(self._server.getsockname()[1])
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return  # closed
            self.accepted.append(conn)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        self._thread.join(5)
        for conn in self.accepted:
            conn.close()

    def __enter__(self) -> SilentListener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


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
                f"unix_socket_directories = '{self.workdir}'\nssl = on\n"
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
        run(as_user("postgres", [pg_bin("pg_ctl"), "-D", str(self.data), "-l",
                                 str(self.workdir / "postgres.log"), "-w", "-t", "60", "start"]),
            env=env)  # fmt: skip
        self.started = True
        return self

    def write_hba(self, rules: Sequence[str], catch_all: bool = True) -> None:
        """pg_hba.conf = superuser over the socket, `rules`, then the chart's catch-all."""
        lines = ["local all postgres trust", *rules]
        if catch_all:
            lines.append("hostssl immuta all 0.0.0.0/0 md5")
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
            if loaded is not None and asked is not None and loaded >= asked:
                return
            time.sleep(0.02)
        raise TimeoutError("PostgreSQL did not reload its configuration")

    @contextlib.contextmanager
    def superuser(
        self, dbname: str = "postgres"
    ) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
        conn = psycopg.connect(
            host=str(self.workdir), port=self.port, user="postgres", dbname=dbname, autocommit=True
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
            return [HbaRow(*row) for row in conn.execute(query).fetchall()]
        with self.superuser() as own:
            return [HbaRow(*row) for row in own.execute(query).fetchall()]

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
