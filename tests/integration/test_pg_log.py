"""Issue "The bind password in PostgreSQL's log": on a failed LDAP login PostgreSQL 15 logs the
whole matched pg_hba.conf line, `ldapbindpasswd` included, as
`DETAIL:  Connection matched pg_hba.conf line N: "<line>"`. This documents real behaviour: whoever
reads the Query Engine's log can read the Query Engine's bind password."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest

from rehearsal.servers import Postgres, Slapd
from tests.support.directory import ALICE, QE_BIND, program_rules


def _failed_login_log(postgres: Postgres, rules: list[str], password: str) -> tuple[int, str]:
    """Deploy `rules`, fail one LDAP login as ALICE, return (the rule's line, new log text)."""
    postgres.write_hba(rules)
    postgres.reload()
    (line,) = [
        r.line_number
        for r in postgres.hba_rules()
        if r.auth_method == "ldap" and r.address == "0.0.0.0"
    ]
    since = postgres.log_size()
    with pytest.raises(psycopg.OperationalError, match="LDAP authentication failed"):
        postgres.login(ALICE.login, password)
    return line, postgres.log_text(since)


@pytest.fixture
def restore_hba(postgres: Postgres) -> Iterator[None]:
    yield
    postgres.write_hba([])
    postgres.reload()


def test_wrong_user_password_logs_the_bind_password(
    slapd: Slapd, postgres: Postgres, restore_hba: None
) -> None:
    rules = program_rules(slapd)
    assert f'ldapbindpasswd="{QE_BIND.password}"' in rules[0]
    line, log = _failed_login_log(postgres, rules, "Wrong-Passw0rd!")
    assert f'DETAIL:  Connection matched pg_hba.conf line {line}: "{rules[0]}"' in log
    assert QE_BIND.password in log


def test_a_canary_bind_password_lands_in_the_log(
    slapd: Slapd, postgres: Postgres, restore_hba: None
) -> None:
    """A bind password that occurs nowhere else (the directory refuses it, so the login fails
    at the service account's bind) is in the log afterwards, whole."""
    canary = f"Canary-{secrets.token_hex(12)}!"
    rules = program_rules(slapd, qe_password=canary)
    line, log = _failed_login_log(postgres, rules, ALICE.password)
    assert "could not perform initial LDAP bind" in log
    assert f'Connection matched pg_hba.conf line {line}: "{rules[0]}"' in log
    assert canary in log
