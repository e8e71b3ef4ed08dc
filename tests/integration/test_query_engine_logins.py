"""The rules rendered by the real program, parsed by PostgreSQL 15 and used for real logins
against slapd laid out like Okta's LDAP Interface (LDAPS with a test CA)."""

from __future__ import annotations

import psycopg
import pytest

from components.query_engine.pg_hba import LdapSearchBindRule
from rehearsal.servers import Postgres, Slapd
from tests.support.directory import ALICE, BOB, CAROL, ORG, QE_BIND, ROLE, program_rules

ROOT_DN = f"dc={ORG},dc=okta,dc=com"


def test_each_rule_parses_into_exactly_the_intended_entry(
    deployed: list[str], postgres: Postgres, slapd: Slapd
) -> None:
    rows = postgres.hba_rules()
    ours = [r for r in rows if r.auth_method == "ldap"]
    assert len(ours) == len(deployed) == 2
    assert all(r.error is None for r in rows)
    for row, address in zip(ours, ("0.0.0.0", "::"), strict=True):
        assert (row.type, row.database, row.user_name, row.address) == (
            "hostssl",
            ["immuta"],
            [f"+{ROLE}"],
            address,
        )
        assert row.option_map() == {
            "ldapserver": "127.0.0.1",
            "ldapport": str(slapd.port),
            "ldapscheme": "ldaps",
            "ldapbasedn": f"ou=users,{ROOT_DN}",
            "ldapsearchattribute": "uid",
            "ldapbinddn": f"uid={QE_BIND.login},{ROOT_DN}",
            "ldapbindpasswd": QE_BIND.password,
            "ldapscope": "2",  # PostgreSQL's own default: search the whole subtree
        }
    catch_all = rows[-1]
    assert (catch_all.auth_method, catch_all.user_name) == ("md5", ["all"])
    assert catch_all.line_number > max(r.line_number for r in ours)


def test_directory_user_in_the_role_logs_in_over_tls(
    deployed: list[str], postgres: Postgres
) -> None:
    postgres.login(ALICE.login, ALICE.password)


@pytest.mark.parametrize(
    ("user", "password", "why"),
    [
        (ALICE.login, "Wrong-Passw0rd!", "wrong password"),
        (CAROL, "Carol-Passw0rd!", "in the role but not in the directory"),
        (BOB.login, BOB.password, "in the directory but not in the role"),
    ],
)
def test_other_logins_fail(
    deployed: list[str], postgres: Postgres, user: str, password: str, why: str
) -> None:
    with pytest.raises(psycopg.OperationalError, match="authentication failed"):
        postgres.login(user, password)


def test_wrong_bind_password_makes_every_login_fail(
    slapd: Slapd, postgres: Postgres, deployed: list[str]
) -> None:
    postgres.write_hba(program_rules(slapd, qe_password="Not-The-Bind-Passw0rd"))
    postgres.reload()
    with pytest.raises(psycopg.OperationalError, match="authentication failed"):
        postgres.login(ALICE.login, ALICE.password)
    log = (postgres.workdir / "postgres.log").read_text(errors="replace")
    assert "could not perform initial LDAP bind" in log


def test_the_source_docs_line_does_not_parse(postgres: Postgres) -> None:
    doc_line = (
        f'hostssl immuta +{ROLE} ldap ldapserver="127.0.0.1" ldapscheme=ldaps'
        f' ldapbasedn="ou=users,{ROOT_DN}" ldapsearchattribute="uid"'
    )
    postgres.write_hba([doc_line], catch_all=False)
    (row,) = [r for r in postgres.hba_rules() if r.line_number == 2]
    assert row.error is not None
    assert "invalid authentication method" in row.error


def test_a_quote_in_the_password_cannot_redirect_the_server(
    postgres: Postgres, slapd: Slapd
) -> None:
    evil = 'x" ldapserver="10.9.9.9'
    line = LdapSearchBindRule(
        role=ROLE,
        address="0.0.0.0/0",
        server="127.0.0.1",
        port=slapd.port,
        transport="ldaps",
        base_dn=f"ou=users,{ROOT_DN}",
        bind_dn=f"uid={QE_BIND.login},{ROOT_DN}",
        bind_password=evil,
    ).render()
    postgres.write_hba([line], catch_all=False)
    (row,) = [r for r in postgres.hba_rules() if r.line_number == 2]
    assert row.error is None
    assert row.option_map()["ldapserver"] == "127.0.0.1"
    assert row.option_map()["ldapbindpasswd"] == evil
    # and the naive line the source doc suggests is redirected:
    naive = line.replace('ldapbindpasswd="x"" ldapserver=""10.9.9.9"', f'ldapbindpasswd="{evil}"')
    postgres.write_hba([naive], catch_all=False)
    (row,) = [r for r in postgres.hba_rules() if r.line_number == 2]
    assert row.option_map()["ldapserver"] == "10.9.9.9"


def test_starttls_rule_logs_in_too(slapd: Slapd, postgres: Postgres, deployed: list[str]) -> None:
    rules = program_rules(slapd, ldapTransport="starttls", ldapPort=str(slapd.starttls_port))
    assert all('ldaptls="1"' in r and "ldapscheme" not in r for r in rules)
    postgres.write_hba(rules)
    postgres.reload()
    postgres.login(ALICE.login, ALICE.password)
    with pytest.raises(psycopg.OperationalError, match="authentication failed"):
        postgres.login(ALICE.login, "Wrong-Passw0rd!")
