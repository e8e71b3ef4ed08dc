"""Session-wide real servers: a test CA, slapd laid out like Okta's LDAP Interface, PostgreSQL 15.

Started once for the integration tests, stopped at the end; a missing server binary is an
error, never a skip (`make test` installs them)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from offline_plan.engine import PlanResult, run_program
from offline_plan.stack_config import StackConfig
from tests.conftest import P, config_for, helm_rules
from tests.integration.servers import DirectoryUser, Postgres, Slapd, TestCA

ORG = "acme"
IAM_ID = "okta"
ROLE = f"{IAM_ID}_user"
QE_BIND = DirectoryUser("svc-immuta-qe-ldap@acme.example", "Qe-Bind-Passw0rd!")
IMMUTA_BIND = DirectoryUser("svc-immuta-ldap-sync@acme.example", "Sync-Bind-Passw0rd!")
ALICE = DirectoryUser("alice@acme.example", "Alice-Passw0rd!")  # in the directory and the role
BOB = DirectoryUser("bob@acme.example", "Bob-Passw0rd!")  # in the directory, not the role
CAROL = "carol@acme.example"  # in the role, not in the directory
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if STARTUP:
        parts = ", ".join(f"{name} {seconds:.2f}s" for name, seconds in STARTUP.items())
        terminalreporter.write_line(f"integration servers started in: {parts}")


def program_plan(slapd: Slapd, qe_password: str = QE_BIND.password, **overrides: str) -> PlanResult:
    """The real program under mocks, pointed at the test slapd, with the bind passwords set."""
    settings = {
        "okta__orgName": ORG,
        "okta__baseUrl": "okta.com",
        "ldapHost": "127.0.0.1",
        "ldapPort": str(slapd.port),
        "immutaBindLogin": IMMUTA_BIND.login,
        "queryEngineBindLogin": QE_BIND.login,
        "immutaIamId": IAM_ID,
        "queryEngineClientCidrs": '["0.0.0.0/0", "::/0"]',
    }
    cfg = config_for("dev", **{**settings, **overrides})
    values = dict(cfg.values)
    values[P + "queryEngineBindPassword"] = qe_password
    values[P + "immutaBindPassword"] = IMMUTA_BIND.password
    secrets = (P + "queryEngineBindPassword", P + "immutaBindPassword")
    return run_program(StackConfig(cfg.project, cfg.stack, values, secrets))


def program_rules(slapd: Slapd, qe_password: str = QE_BIND.password, **overrides: str) -> list[str]:
    """queryEngine.clientPgHBARules of the Helm release, as the real program renders them."""
    return helm_rules(program_plan(slapd, qe_password, **overrides))


@pytest.fixture
def deployed(slapd: Slapd, postgres: Postgres) -> Iterator[list[str]]:
    """PostgreSQL running the program's rules (ahead of the chart's catch-all)."""
    rules = program_rules(slapd)
    postgres.write_hba(rules)
    postgres.reload()
    yield rules
    postgres.write_hba([])
    postgres.reload()
