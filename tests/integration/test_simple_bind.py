"""queryEngineLdapMode simpleBind on real servers: the program's rule, PostgreSQL 15 and slapd
with every user at Okta's bind DN form `uid=<login>,dc=<org>,dc=okta,dc=com`.

PostgreSQL builds the DN as prefix + user name + suffix and does not escape the user name. What
the special characters do (measured here, asserted below): a user name that changes the DN (`,`
`=` `"` `\\` at the end, a leading `#`, `uid=` typed in) finds no entry and is refused, even with
a real user's password; `+` makes the RDN multi-valued, so a login holding `+` cannot log in in
this mode at all (use searchBind for such orgs). Variants that LDAP reads as the same DN (case,
a leading or trailing blank, a `\\65` hex escape for `e`) bind as that user, with that user's
password only: a PostgreSQL role named like that would get in with the user's password, so no
such role may be in `<id>_user` (Immuta's sync names roles exactly after Okta logins).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from components.okta.ldap_interface import dn_from_rdns
from rehearsal.postgres import Postgres
from rehearsal.servers import DirectoryUser, Slapd
from rehearsal.tls import TestCA
from tests.support.directory import ALICE, BOB, CAROL, IMMUTA_BIND, ORG, ROLE, program_rules

TAGGED = DirectoryUser("alice+tag@acme.example", "Tagged-Passw0rd!")  # `+` is valid in e-mail


class OktaBindFormSlapd(Slapd):
    """Every user also at the bind DN form (Okta lets every user bind there), DNs escaped."""

    def _ldif(self) -> str:
        dn = f"{dn_from_rdns(('uid', TAGGED.login))},{self.root_dn}"
        return (
            super()._ldif()
            + f"\ndn: {dn}\nobjectClass: inetOrgPerson\nuid: {TAGGED.login}\ncn: t\nsn: t\n"
            f"userPassword: {TAGGED.password}\n"
        )


@pytest.fixture(scope="module")
def directory(workdir: Path, ca: TestCA) -> Iterator[Slapd]:
    server = OktaBindFormSlapd(
        workdir / "slapd-simple-bind", ca, org=ORG, bind_accounts=(ALICE, BOB, IMMUTA_BIND)
    ).start()
    yield server
    server.stop()


# (PostgreSQL role, password, logs in?) for the special characters
SPECIAL = [
    (TAGGED.login, TAGGED.password, False),  # `+`: a multi-valued RDN, never this entry
    (f"{ALICE.login},dc={ORG}", ALICE.password, False),  # `,` adds an RDN: no such entry
    (f"x,uid={ALICE.login}", ALICE.password, False),
    (f"{ALICE.login}=x", ALICE.password, False),
    ('al"ice@acme.example', ALICE.password, False),
    (f"{ALICE.login}\\", ALICE.password, False),
    ("#616c696365", ALICE.password, False),  # a leading `#` is a BER-encoded value
    (f"uid={ALICE.login}", ALICE.password, False),
    ("alic\\65@acme.example", ALICE.password, True),  # the same DN as alice: alice's password
    (f" {ALICE.login}", ALICE.password, True),  # blanks around an RDN value are not part of it
    (f"{ALICE.login} ", ALICE.password, True),
    (ALICE.login.upper(), ALICE.password, True),  # uid matching ignores case
    ("alic\\65@acme.example", BOB.password, False),  # ...but never with somebody else's
    (f" {ALICE.login}", BOB.password, False),
    (ALICE.login.upper(), BOB.password, False),
]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture(scope="module")
def simple_bind(directory: Slapd, postgres: Postgres) -> Iterator[list[str]]:
    rules = program_rules(
        directory,
        queryEngineLdapMode="simpleBind",
        queryEngineBindLogin="",
        ldapTransport="starttls",
        ldapPort=str(directory.starttls_port),
    )
    names = sorted({name for name, _, _ in SPECIAL} | {TAGGED.login})
    with postgres.superuser() as conn:
        for name in names:
            conn.execute(f"CREATE ROLE {_quoted(name)} LOGIN IN ROLE {ROLE}")
    postgres.write_hba(rules)
    postgres.reload()
    yield rules
    postgres.write_hba([])
    postgres.reload()
    with postgres.superuser() as conn:
        for name in names:
            conn.execute(f"DROP ROLE {_quoted(name)}")


def test_the_rule_has_no_bind_account_and_no_password(simple_bind: list[str]) -> None:
    (rule,) = [r for r in simple_bind if "0.0.0.0/0" in r]
    assert f'ldapprefix="uid=" ldapsuffix=",dc={ORG},dc=okta,dc=com"' in rule
    assert "ldapbinddn" not in rule
    assert "ldapbindpasswd" not in rule
    assert 'ldaptls="1"' in rule


def test_a_member_logs_in(simple_bind: list[str], postgres: Postgres) -> None:
    postgres.login(ALICE.login, ALICE.password)


@pytest.mark.parametrize(
    ("user", "password", "why"),
    [
        (ALICE.login, "Wrong-Passw0rd!", "wrong password"),
        (CAROL, "Carol-Passw0rd!", "in the role but not in the directory"),
        (BOB.login, BOB.password, "in the directory but not in the role"),
        (IMMUTA_BIND.login, IMMUTA_BIND.password, "the sync account is not in the role"),
    ],
)
def test_other_logins_are_refused(
    simple_bind: list[str], postgres: Postgres, user: str, password: str, why: str
) -> None:
    with pytest.raises(psycopg.OperationalError):
        postgres.login(user, password)


@pytest.mark.parametrize(
    ("user", "password", "logs_in"), SPECIAL, ids=[repr(s[0]) for s in SPECIAL]
)
def test_special_characters_never_bind_as_somebody_else(
    simple_bind: list[str], postgres: Postgres, user: str, password: str, logs_in: bool
) -> None:
    if logs_in:
        postgres.login(user, password)
    else:
        with pytest.raises(psycopg.OperationalError):
            postgres.login(user, password)


def test_verify_checks_a_simple_bind_stack(
    simple_bind: list[str],
    directory: Slapd,
    postgres: Postgres,
    ca: TestCA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.support.directory import program_plan
    from tests.support.stacks import unwrap_secrets
    from verify.__main__ import main

    plan = program_plan(
        directory, queryEngineLdapMode="simpleBind", queryEngineBindLogin="",
        ldapTransport="starttls", ldapPort=str(directory.starttls_port),
    )  # fmt: skip
    outputs = unwrap_secrets(plan.outputs)
    assert outputs["queryEngineLdapMode"] == "simpleBind"
    assert set(outputs["bindDns"]) == {"immuta"}  # no Query Engine account
    (tmp_path / "outputs.json").write_text(json.dumps(outputs))
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setenv("VERIFY_PROBE_PASSWORD", ALICE.password)
    code = main([
        "--stack", "dev", "--outputs", str(tmp_path / "outputs.json"),
        "--config", str(tmp_path / "config.json"), "--probe-login", ALICE.login,
        "--ldap-ca", str(ca.cert), "--query-engine-host", "127.0.0.1",
        "--query-engine-port", str(postgres.port), "--query-engine-ca", str(ca.cert),
        "--timeout", "5", "--json",
    ])  # fmt: skip
    result = json.loads(capsys.readouterr().out)
    statuses = [(c["number"], c["status"]) for c in result["checks"]]
    assert code == 0, statuses
    assert (4, "pass") in statuses
    assert (6, "pass") in statuses  # a real Query Engine login through the simple-bind rule
    assert (3, "skip") in statuses
