"""Property: every value the renderer accepts, PostgreSQL 15 reads back exactly, as one entry;
every value it refuses gets the clear error, and PostgreSQL indeed could not carry it (CR and the
other YAML line breaks are the refusals by policy: PostgreSQL keeps them, YAML on the way through
Helm does not)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from components.query_engine.pg_hba import (
    MAX_TOKEN_BYTES,
    YAML_LINE_BREAKS,
    LdapSearchBindRule,
    PgHbaError,
)
from rehearsal.servers import HbaRow, Postgres

EXAMPLES = int(os.environ.get("PG_HBA_EXAMPLES", "500"))  # bench/pg_hba_fuzz.py runs more
NAME = len("ldapbindpasswd=")
REFUSALS = {  # every text the renderer may refuse a value with: none holds any part of it
    "must not be empty",
    "must not contain a NUL byte (it would end the rule and start another)",
    "must not contain a newline (it would end the rule and start another)",
    "must not contain a carriage return (a YAML line break on its way through Helm)",
    *(f"must not contain U+{ord(c):04X} (a YAML line break on its way through Helm)"
      for c in YAML_LINE_BREAKS),
    "must be valid Unicode text (no lone surrogates)",
    f"is too long for one pg_hba.conf token ({MAX_TOKEN_BYTES} bytes at most)",
}  # fmt: skip
SPECIALS = list("\"\\#, \t=+;<>'()*é€𝄞\x0b\x0c\x1f\x7f\x85\u2028")
_text = st.characters(codec="utf-8", exclude_characters="\r\n\x00")
values = st.one_of(
    st.text(st.one_of(st.sampled_from(SPECIALS), _text), min_size=1, max_size=40),
    st.text(st.sampled_from([*SPECIALS, "\r", "\n", "\x00", "a"]), min_size=1, max_size=12),
    st.integers(MAX_TOKEN_BYTES - NAME - 3, MAX_TOKEN_BYTES - NAME + 3).map(lambda n: "p" * n),
)


@pytest.fixture(scope="module")
def conn(postgres: Postgres) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with postgres.superuser() as connection:
        yield connection


def rule(password: str, base_dn: str, bind_dn: str) -> LdapSearchBindRule:
    return LdapSearchBindRule(
        role="okta_user",
        address="0.0.0.0/0",
        server="127.0.0.1",
        port=636,
        transport="ldaps",
        base_dn=base_dn,
        bind_dn=bind_dn,
        bind_password=password,
    )


def parsed(
    postgres: Postgres, conn: psycopg.Connection[tuple[object, ...]], line: str
) -> list[HbaRow]:
    """The entries PostgreSQL makes of `line` (written after the superuser line)."""
    postgres.hba_file.write_bytes(b"local all postgres trust\n" + line.encode("utf-8") + b"\n")
    return [r for r in postgres.hba_rules(conn) if r.line_number >= 2]


def naive(r: LdapSearchBindRule) -> str:
    """The same line with quotes doubled but nothing refused: what a careless renderer writes."""
    opts = " ".join(f'{n}="{v.replace(chr(34), chr(34) * 2)}"' for n, v in r.options())
    return f"hostssl {r.database} +{r.role} {r.address} ldap {opts}"


def carried_exactly(rows: list[HbaRow], r: LdapSearchBindRule) -> bool:
    return (
        len(rows) == 1
        and rows[0].error is None
        and all(rows[0].option_map().get(n) == v for n, v in r.options())
    )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(password=values, base_dn=values, bind_dn=values)
def test_renderer_accepts_exactly_what_postgres_carries(
    postgres: Postgres,
    conn: psycopg.Connection[tuple[object, ...]],
    password: str,
    base_dn: str,
    bind_dn: str,
) -> None:
    r = rule(password, base_dn, bind_dn)
    try:
        line = r.render()
    except PgHbaError as exc:
        message = str(exc)
        event("refused: " + message.split(": the value ", 1)[-1].split(" (")[0])
        assert message.startswith("pg_hba option ldap")
        # A fixed text naming the option: no part of the value (whatever its length) in it.
        assert message.split(": the value ", 1)[1] in REFUSALS, message
        if "carriage return" in message or "YAML line break" in message:
            return  # refused by policy (YAML line breaks); PostgreSQL alone would keep it
        assert not carried_exactly(parsed(postgres, conn, naive(r)), r)
        return
    event("accepted" + (" near the token limit" if len(password) > 10_000 else ""))
    rows = parsed(postgres, conn, line)
    assert carried_exactly(rows, r), (rows, line[:200])
