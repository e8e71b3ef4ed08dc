"""Real servers for the integration tests: a test CA, slapd laid out like Okta's LDAP Interface,
and PostgreSQL 15. Each runs on a free loopback port in a temp directory, as its own system user
when the suite runs as root (PostgreSQL refuses root), and is stopped by its context manager."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from components.okta.ldap_interface import okta_root_dn
from rehearsal._process import IS_ROOT, as_user, free_port, give_to, run, system_tool, wait_for_port
from rehearsal._watchdog import guard_process
from rehearsal.postgres import CHART_CATCH_ALL, HbaRow, Postgres, pg_bin
from rehearsal.tls import TestCA

__all__ = [
    "CHART_CATCH_ALL",
    "IS_ROOT",
    "DirectoryGroup",
    "DirectoryUser",
    "HbaRow",
    "Postgres",
    "SilentListener",
    "Slapd",
    "TestCA",
    "free_port",
    "pg_bin",
    "wait_for_port",
]


@dataclass(frozen=True)
class DirectoryUser:
    login: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class DirectoryGroup:
    """A group under `ou=groups` (groupOfUniqueNames, as Okta's LDAP Interface lists groups)."""

    name: str
    members: tuple[str, ...]  # logins of `users`


def _attribute(name: str, value: str) -> str:
    """One LDIF line; a value LDIF cannot carry as is (RFC 2849 SAFE-STRING) goes base64."""
    safe = value.isascii() and value.isprintable() and not value.startswith((" ", ":", "<"))
    if safe and not value.endswith(" "):
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


@dataclass
class Slapd:
    """OpenLDAP with `dc=<org>,dc=okta,dc=com` (the `dc=` parts after the org follow `domain`,
    e.g. `oktapreview.com`): users under `ou=users` with `uid` = login, bind
    accounts also at `uid=<login>,dc=...` (Okta's bind DN form), anonymous bind refused (slapd
    answers 48 where Okta answers 53), optional groups under `ou=groups`,
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
    domain: str = "okta.com"
    groups: tuple[DirectoryGroup, ...] = ()
    users_at_root: bool = False  # users too bind at `uid=<login>,dc=...`, as every Okta user can

    @property
    def root_dn(self) -> str:
        return okta_root_dn(self.org, self.domain)

    def _ldif(self) -> str:
        entries = [
            f"dn: {self.root_dn}\nobjectClass: dcObject\nobjectClass: organization\n"
            f"dc: {self.org}\no: {self.org}\n",
            f"dn: ou=users,{self.root_dn}\nobjectClass: organizationalUnit\nou: users\n",
            f"dn: ou=groups,{self.root_dn}\nobjectClass: organizationalUnit\nou: groups\n",
        ]
        everyone = [(f"uid={u.login},ou=users,{self.root_dn}", u) for u in self.users]
        everyone += [(f"uid={u.login},ou=users,{self.root_dn}", u) for u in self.bind_accounts]
        at_root = (*self.users, *self.bind_accounts) if self.users_at_root else self.bind_accounts
        everyone += [(f"uid={u.login},{self.root_dn}", u) for u in at_root]
        for dn, user in everyone:
            entries.append(
                f"dn: {dn}\nobjectClass: inetOrgPerson\nuid: {user.login}\ncn: {user.login}\n"
                f"sn: {user.login.split('@')[0]}\nmail: {user.login}\n"
                + _attribute("userPassword", user.password)
            )
        for group in (g for g in self.groups if g.members):  # uniqueMember is required
            members = "".join(
                f"uniqueMember: uid={login},ou=users,{self.root_dn}\n" for login in group.members
            )
            entries.append(
                f"dn: cn={group.name},ou=groups,{self.root_dn}\n"
                f"objectClass: groupOfUniqueNames\ncn: {group.name}\n{members}"
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
        slapadd = [system_tool("slapadd"), "-f", str(conf), "-l", str(self.workdir / "data.ldif")]
        run(as_user("openldap", slapadd))
        urls = f"ldaps://127.0.0.1:{self.port}/ ldap://127.0.0.1:{self.starttls_port}/"
        cmd = ["slapd", "-d", "0", "-f", str(conf), "-h", urls]
        if IS_ROOT:
            cmd += ["-u", "openldap", "-g", "openldap"]
        log = (self.workdir / "slapd.log").open("wb")
        self.proc = subprocess.Popen([system_tool("slapd"), *cmd[1:]], stdout=log, stderr=log)
        guard_process(self.proc.pid)  # stopped even when this process is killed
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
