"""Session-wide real servers: a test CA, slapd laid out like Okta's LDAP Interface, PostgreSQL 15.

Started once for the integration tests, stopped at the end; a missing server binary is an
error, never a skip (`make test` installs them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rehearsal.servers import Postgres, Slapd, TestCA
from tests.support.directory import (
    ALICE,
    BOB,
    CAROL,
    IMMUTA_BIND,
    ORG,
    QE_BIND,
    ROLE,
    program_rules,
)

STARTUP: dict[str, float] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def slapd(workdir: Path, ca: TestCA) -> Iterator[Slapd]:
    started = time.monotonic()
    server = Slapd(
        workdir / "slapd", ca, org=ORG, users=(ALICE, BOB), bind_accounts=(QE_BIND, IMMUTA_BIND)
    ).start()
    STARTUP["slapd"] = time.monotonic() - started
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres(workdir: Path, ca: TestCA) -> Iterator[Postgres]:
    started = time.monotonic()
    pg = Postgres(workdir / "postgres", ca).start()
    with pg.superuser() as conn:
        conn.execute("CREATE DATABASE immuta")
        conn.execute(f"CREATE ROLE {ROLE} NOLOGIN")
        conn.execute(f'CREATE ROLE "{ALICE.login}" LOGIN IN ROLE {ROLE}')
        conn.execute(f'CREATE ROLE "{BOB.login}" LOGIN')
        conn.execute(f'CREATE ROLE "{CAROL}" LOGIN IN ROLE {ROLE}')
    STARTUP["postgres"] = time.monotonic() - started
    yield pg
    pg.stop()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """In a pytest-xdist worker: hand the start-up times to the controller (tests/conftest.py
    prints them)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and STARTUP:
        workeroutput["serverStartup"] = dict(STARTUP)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STARTUP:
        parts = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in STARTUP.items())
        terminalreporter.write_line(f"integration servers started in: {parts}")


@pytest.fixture
def deployed(slapd: Slapd, postgres: Postgres) -> Iterator[list[str]]:
    """PostgreSQL running the program's rules (ahead of the chart's catch-all)."""
    rules = program_rules(slapd)
    postgres.write_hba(rules)
    postgres.reload()
    yield rules
    postgres.write_hba([])
    postgres.reload()
