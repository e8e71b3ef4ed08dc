"""Issue "A stalled directory holds connection slots", reproduced on real servers.

PostgreSQL 15 authenticates LDAP logins synchronously (auth.c: `ldap_start_tls_s`,
`ldap_simple_bind_s`, `ldap_search_s`, no LDAP timeouts of its own). When the directory stops
answering but its TCP port still accepts (slapd frozen with SIGSTOP, or a black-holing load
balancer, here `SilentListener`), each login's backend waits inside libldap, in the process title
state "authentication" (PostgreSQL 15 lists it in pg_stat_activity only once authenticated), and
holds a connection slot (a PGPROC out of max_connections) while it waits.

What was measured here (20 concurrent logins, clients giving up after 3 s), for both stall kinds:

- StartTLS (`ldaptls=1`): every backend ends at `LDAPTIMEOUT` (2.0-2.1 s with LDAPTIMEOUT=2 in
  the server's environment), or at `authentication_timeout` without it (4.0-4.1 s with 4s):
  "could not start LDAP TLS session: Can't contact LDAP server". LDAPNETWORK_TIMEOUT changes
  nothing (the TCP connect itself succeeds).
- LDAPS (`ldapscheme=ldaps`): the TLS handshake inside the first bind never ends. Neither
  authentication_timeout, nor LDAPTIMEOUT / LDAPNETWORK_TIMEOUT, nor pg_terminate_backend ends
  it; the backends stay in "authentication" until the directory answers or drops the connection
  (all 20 still there after 151 s in a longer run).

So the stack's default transport is StartTLS, with the bound `LDAPTIMEOUT` when the Query
Engine's environment can set it, `authentication_timeout` (PostgreSQL default 60 s) otherwise.
Timings are measured on the server side: from the start of the burst to each backend's exit.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import psycopg
import pytest

from rehearsal.servers import Postgres, SilentListener, Slapd, TestCA
from tests.support.directory import ALICE, BOB, IMMUTA_BIND, ORG, QE_BIND, ROLE, program_rules

LOGINS = 20
AUTH_TIMEOUT = 4.0  # s, PostgreSQL authentication_timeout on both test clusters
LDAP_TIMEOUT = 2.0  # s, LDAPTIMEOUT (and LDAPNETWORK_TIMEOUT) in one cluster's environment
CLIENT_TIMEOUT = 3  # s, libpq connect_timeout: clients leave before the server ends the login
EARLY = 0.3  # s, a login may end this much before its timeout (poll and clock granularity)
MARGIN = 5.0  # s, for a loaded 2-core machine: 20 TLS handshakes, process starts, /proc scans
POLL = 0.05  # s

Kind = Literal["sigstop", "silent"]
Transport = Literal["ldaps", "starttls"]
KINDS: tuple[Kind, ...] = ("sigstop", "silent")


# --- servers of this module (their own, so stalling them disturbs no other test) -------------


@pytest.fixture(scope="module")
def stall_slapd(workdir: Path, ca: TestCA) -> Iterator[Slapd]:
    server = Slapd(
        workdir / "stall-slapd",
        ca,
        org=ORG,
        users=(ALICE, BOB),
        bind_accounts=(QE_BIND, IMMUTA_BIND),
    ).start()
    try:
        yield server
    finally:
        server.resume()
        server.stop()


def _cluster(root: Path, ca: TestCA, env: dict[str, str]) -> Postgres:
    pg = Postgres(root, ca, settings={"authentication_timeout": f"{AUTH_TIMEOUT:.0f}s"}, env=env)
    pg.start()
    try:
        with pg.superuser() as conn:
            conn.execute("CREATE DATABASE immuta")
            conn.execute(f"CREATE ROLE {ROLE} NOLOGIN")
            conn.execute(f'CREATE ROLE "{ALICE.login}" LOGIN IN ROLE {ROLE}')
    except BaseException:
        pg.stop()
        raise
    return pg


@pytest.fixture(scope="module")
def pg_auth_timeout(workdir: Path, ca: TestCA) -> Iterator[Postgres]:
    """authentication_timeout=4s, no LDAP timeouts in the environment."""
    pg = _cluster(workdir / "stall-pg-auth-timeout", ca, env={})
    yield pg
    pg.stop()


@pytest.fixture(scope="module")
def pg_ldap_timeouts(workdir: Path, ca: TestCA) -> Iterator[Postgres]:
    """authentication_timeout=4s and libldap's LDAPTIMEOUT=2, LDAPNETWORK_TIMEOUT=2."""
    seconds = f"{LDAP_TIMEOUT:.0f}"
    env = {"LDAPTIMEOUT": seconds, "LDAPNETWORK_TIMEOUT": seconds}
    pg = _cluster(workdir / "stall-pg-ldap-timeouts", ca, env=env)
    yield pg
    pg.stop()


@pytest.fixture(autouse=True)
def no_backend_left(request: pytest.FixtureRequest, stall_slapd: Slapd) -> Iterator[None]:
    """After each test: slapd running and no login of the test still in authentication."""
    yield
    stall_slapd.resume()
    for name in ("pg_auth_timeout", "pg_ldap_timeouts"):
        if name in request.fixturenames:
            _drain(request.getfixturevalue(name))


def _drain(pg: Postgres) -> None:
    """Wait for the backends in authentication to end, terminate them if they do not."""
    if not _wait(lambda: not pg.backends(), 10):
        pg.terminate(pg.backends())
        _wait(lambda: not pg.backends(), 10)
    assert pg.backends() == [], "backends still in authentication"


def _wait(done: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(POLL)
    return True


# --- a stalled directory and a burst of logins -----------------------------------------------


@contextlib.contextmanager
def stalled_directory(
    kind: Kind, slapd: Slapd, pg: Postgres, transport: Transport
) -> Iterator[None]:
    """pg_hba rules (the program's) for `transport`, pointed at a directory that accepts TCP
    connections and never answers; released (slapd resumed, listener closed) on exit."""
    if kind == "sigstop":
        port = slapd.port if transport == "ldaps" else slapd.starttls_port
        pg.write_hba(program_rules(slapd, ldapTransport=transport, ldapPort=str(port)))
        pg.reload()
        pg.login(ALICE.login, ALICE.password)  # the rules work while the directory answers
        with slapd.stalled():
            yield
    else:
        with SilentListener() as listener:
            pg.write_hba(program_rules(slapd, ldapTransport=transport, ldapPort=str(listener.port)))
            pg.reload()
            yield


@dataclass
class Burst:
    """LOGINS concurrent logins; their backends watched through /proc until `done`."""

    pg: Postgres
    started: float = 0.0
    first_seen: dict[int, float] = field(default_factory=dict)
    last_seen: dict[int, float] = field(default_factory=dict)
    clients: list[str] = field(default_factory=list)
    present: list[int] = field(default_factory=list)  # in authentication when watching stopped
    _threads: list[threading.Thread] = field(default_factory=list)

    def _login(self) -> None:
        try:
            psycopg.connect(
                host="127.0.0.1", port=self.pg.port, user=ALICE.login, password=ALICE.password,
                dbname="immuta", sslmode="verify-full", sslrootcert=str(self.pg.ca.cert),
                connect_timeout=CLIENT_TIMEOUT,
            ).close()  # fmt: skip
            self.clients.append("logged in")
        except psycopg.errors.ConnectionTimeout:
            self.clients.append("client timeout")
        except psycopg.OperationalError as e:
            self.clients.append("refused" if "authentication failed" in str(e) else str(e))

    def run(self, done: Callable[[Burst], bool], limit: float) -> Burst:
        self.started = time.monotonic()
        self._threads = [threading.Thread(target=self._login) for _ in range(LOGINS)]
        for thread in self._threads:
            thread.start()
        while True:
            now = self.elapsed()
            self.present = self.pg.backends()
            for pid in self.present:
                self.first_seen.setdefault(pid, now)
                self.last_seen[pid] = now
            if done(self) or now > limit:
                break
            time.sleep(POLL)
        for thread in self._threads:
            thread.join(CLIENT_TIMEOUT + MARGIN)
        return self

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def ends(self) -> list[float]:
        """Seconds from the burst's start to each ended backend's last sighting."""
        return [t for pid, t in self.last_seen.items() if pid not in self.present]

    def all_ended(self) -> bool:
        return len(self.first_seen) >= LOGINS and not self.present

    def summary(self, label: str) -> str:
        ends = self.ends
        ended = (
            f"{len(ends)} ended (first {min(ends):.2f} s, all by {max(ends):.2f} s)"
            if ends
            else "none ended"
        )
        return (
            f"{label}: {len(self.first_seen)} backends in authentication, {ended}, "
            f"{len(self.present)} still there at {self.elapsed():.2f} s; "
            f"clients: {dict(Counter(self.clients))}"
        )


def _log_lines(pg: Postgres, pid: int) -> list[str]:
    return [line for line in pg.log_text().splitlines() if f"[{pid}] " in line]


# --- StartTLS: the recommended transport --------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_starttls_logins_end_at_ldaptimeout(
    kind: Kind, stall_slapd: Slapd, pg_ldap_timeouts: Postgres
) -> None:
    """The recommended configuration: every login ends within LDAPTIMEOUT (+ margin)."""
    pg = pg_ldap_timeouts
    with stalled_directory(kind, stall_slapd, pg, "starttls"):
        burst = Burst(pg).run(Burst.all_ended, limit=LDAP_TIMEOUT + MARGIN)
    print(f"\n{burst.summary(f'starttls, {kind}, LDAPTIMEOUT=2, authentication_timeout=4s')}")
    assert len(burst.first_seen) == LOGINS
    assert burst.present == []
    assert all(LDAP_TIMEOUT - EARLY <= end <= LDAP_TIMEOUT + MARGIN for end in burst.ends)
    assert Counter(burst.clients) == {"refused": LOGINS}  # before their own 3 s timeout
    for pid in burst.first_seen:
        assert any("could not start LDAP TLS session" in line for line in _log_lines(pg, pid))


@pytest.mark.parametrize("kind", KINDS)
def test_starttls_logins_end_at_authentication_timeout_without_ldaptimeout(
    kind: Kind, stall_slapd: Slapd, pg_auth_timeout: Postgres
) -> None:
    """Without LDAPTIMEOUT the bound is authentication_timeout; the backends outlive their
    clients (gone at 3 s) by about a second."""
    pg = pg_auth_timeout
    with stalled_directory(kind, stall_slapd, pg, "starttls"):
        burst = Burst(pg).run(Burst.all_ended, limit=AUTH_TIMEOUT + MARGIN)
    print(f"\n{burst.summary(f'starttls, {kind}, authentication_timeout=4s')}")
    assert len(burst.first_seen) == LOGINS
    assert burst.present == []
    assert all(AUTH_TIMEOUT - EARLY <= end <= AUTH_TIMEOUT + MARGIN for end in burst.ends)
    assert Counter(burst.clients) == {"client timeout": LOGINS}
    for pid in burst.first_seen:
        assert any("could not start LDAP TLS session" in line for line in _log_lines(pg, pid))


# --- LDAPS: the failure mode ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_ldaps_logins_hang_past_every_timeout(
    kind: Kind, stall_slapd: Slapd, pg_ldap_timeouts: Postgres
) -> None:
    """ldapscheme=ldaps: 20 backends stay in authentication after authentication_timeout,
    LDAPTIMEOUT, LDAPNETWORK_TIMEOUT, their clients leaving and pg_terminate_backend; only the
    directory answering or dropping the connections ends them. (Measured once for longer:
    all 20 still there after 151 s; when slapd was resumed they completed the LDAP search+bind
    for their long-gone clients, "connection authenticated" 154 s late, then ended with
    "canceling authentication due to timeout".)"""
    pg = pg_ldap_timeouts
    hang = AUTH_TIMEOUT + 1  # every backend watched this long after it was first seen

    def hung_long_enough(b: Burst) -> bool:
        return len(b.first_seen) >= LOGINS and all(
            b.elapsed() - t >= hang for t in b.first_seen.values()
        )

    with stalled_directory(kind, stall_slapd, pg, "ldaps"):
        burst = Burst(pg).run(hung_long_enough, limit=hang + MARGIN)
        print(f"\n{burst.summary(f'ldaps, {kind}, LDAPTIMEOUT=2, authentication_timeout=4s')}")
        assert sorted(burst.present) == sorted(burst.first_seen)
        assert len(burst.present) == LOGINS
        assert Counter(burst.clients) == {"client timeout": LOGINS}
        with pg.superuser() as conn:  # PostgreSQL 15 does not list them there
            (listed,) = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (burst.present,)
            ).fetchone() or (None,)
        assert listed == 0
        pg.terminate(burst.present)
        time.sleep(0.5)
        assert pg.backends() == sorted(burst.present)  # SIGTERM does not reach them either
        released = time.monotonic()
    # released: slapd resumed / the listener closed with every connection
    assert _wait(lambda: not pg.backends(), MARGIN)
    print(f"released: all ended {time.monotonic() - released:.2f} s after the directory did")
