"""Immuta's LDAP sync as the emulator performs it, against a slapd laid out as Okta's LDAP
Interface (groupOfUniqueNames under ou=groups, members' DNs in uniqueMember): the IAM the
program declares gives each user their groups; a wrong or missing group setting gives none.
And the user id case, measured: LDAP matches uid ignoring case, PostgreSQL role names do not."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ldap3
import psycopg
import pytest
from psycopg import sql

from components.immuta.client import ImmutaClient, ImmutaRejected
from components.immuta.connection import ImmutaConnection
from components.immuta.iam_document import iam_entry
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.immuta_ldap_sync import SyncedUser, ldap_sync
from rehearsal.mock_engine import Registration
from rehearsal.servers import DirectoryGroup, DirectoryUser, Postgres, Slapd, TestCA
from tests.support.directory import ALICE, BOB, IMMUTA_BIND, QE_BIND, ROLE, program_plan

IAM_RESOURCE = "pulumi-python:dynamic:Resource"
DANA = DirectoryUser("Dana.Upper@Acme.example", "Dana-Passw0rd!")  # an Okta login with capitals


@pytest.fixture(scope="module")
def directory(workdir: Path, ca: TestCA) -> Iterator[Slapd]:
    server = Slapd(
        workdir / "slapd-groups", ca, org="acme", users=(ALICE, BOB, DANA),
        bind_accounts=(QE_BIND, IMMUTA_BIND),
        groups=(
            DirectoryGroup(ROLE, (ALICE.login, DANA.login)),
            DirectoryGroup("analysts", (BOB.login, DANA.login)),
        ),
    ).start()  # fmt: skip
    yield server
    server.stop()


@pytest.fixture(scope="module")
def entry(directory: Slapd) -> dict[str, Any]:
    """The IAM entry the program declares for this directory (bind password included)."""
    plan = program_plan(directory)
    iam: Registration = next(r for r in plan.resources if r.type == IAM_RESOURCE)
    props = {k: v for k, v in iam.inputs.items() if k != "__provider"}
    props["bindPassword"] = IMMUTA_BIND.password  # secret inputs arrive wrapped
    return iam_entry(props)


def groups(users: list[SyncedUser]) -> dict[str, tuple[str, ...]]:
    return {u.user_id: u.groups for u in users if not u.user_id.startswith("svc-")}


def test_the_programs_iam_gives_each_user_their_groups(
    directory: Slapd, entry: dict[str, Any]
) -> None:
    synced = ldap_sync(entry, ca_file=str(directory.ca.cert))
    assert groups(synced) == {
        ALICE.login: (ROLE,),
        BOB.login: ("analysts",),
        DANA.login.lower(): ("analysts", ROLE),  # normalizeUserId: the id in lower case
    }


def _without(path: str) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(e: dict[str, Any]) -> None:
        for key in parents:
            e = e[key]
        del e[last]

    return change


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split(".")

    def change(e: dict[str, Any]) -> None:
        for key in parents:
            e = e[key]
        e[last] = value

    return change


USERS_BASE = "ou=users,dc=acme,dc=okta,dc=com"
WRONG = {
    "no syncGroups action": _set("supportedActions", ["linkPostgresAccount", "ldapSync"]),
    "no group name mapping": _without("schema.group"),
    "no groupMembershipAttributes": _without("options.groupMembershipAttributes"),
    "member, not uniquemember": _set("options.groupMembershipAttributes", ["member"]),
    "not lower case": _set("options.groupMembershipAttributes", ["uniqueMember"]),
    "groupOfNames": _set("options.groupSearchFilter", "(objectClass=groupOfNames)"),
    "no groupSearchFilter": _without("options.groupSearchFilter"),
    "no groupSearchBase": _without("options.groupSearchBase"),
    "groups searched under users": _set(
        "options.groupSearchBase", "ou=users,dc=acme,dc=okta,dc=com"
    ),
}


@pytest.mark.parametrize("change", list(WRONG.values()), ids=list(WRONG))
def test_a_wrong_or_missing_group_setting_gives_no_groups(
    directory: Slapd, entry: dict[str, Any], change: Callable[[dict[str, Any]], None]
) -> None:
    wrong = copy.deepcopy(entry)
    change(wrong)
    found = groups(ldap_sync(wrong, ca_file=str(directory.ca.cert)))
    assert set(found) == {ALICE.login, BOB.login, DANA.login.lower()}  # users, still
    assert all(g == () for g in found.values())


def test_the_emulators_sync_and_dry_run_search_the_directory(
    directory: Slapd, entry: dict[str, Any], emulator: ImmutaEmulator, ca: TestCA
) -> None:
    emulator.reset()
    emulator.directory = lambda e: ldap_sync(e, ca_file=str(directory.ca.cert))
    connection = ImmutaConnection(
        url=emulator.url, api_key=emulator.api_key, ca_pem=ca.cert.read_text(), timeout=10
    )
    with ImmutaClient(connection) as client:
        client.test_iam(entry)
        assert emulator.synced == {}  # a dry run saves nothing
        (dry_run,) = [r for r in emulator.requests if r.path == "/iam/okta/sync"]
        assert {"userId": ALICE.login, "groups": [ROLE]} in dry_run.answer["users"]
        client.upsert_iam(entry, create_only=True)
        client.start_sync("okta")
        wrong = copy.deepcopy(entry)
        wrong["credentials"]["bind_pw"] = "Not-The-Password-1"
        with pytest.raises(ImmutaRejected, match="invalidCredentials"):
            client.test_iam(wrong)
    assert groups(emulator.synced["okta"])[ALICE.login] == (ROLE,)
    assert emulator.invalid_requests() == []
    emulator.reset()


def test_user_id_case_ldap_ignores_it_postgresql_does_not(
    directory: Slapd, entry: dict[str, Any], postgres: Postgres
) -> None:
    """The measurement behind normalizeUserId: true (docs/immuta-iam.md: Logins with capitals)."""
    typed = DANA.login.lower()
    # LDAP (uid has caseIgnoreMatch): PostgreSQL's search for the typed login finds Dana's entry.
    tls = ldap3.Tls(ca_certs_file=str(directory.ca.cert))
    server = ldap3.Server("127.0.0.1", port=directory.port, use_ssl=True, tls=tls)
    bind_dn = f"uid={IMMUTA_BIND.login},{directory.root_dn}"
    with ldap3.Connection(
        server, user=bind_dn, password=IMMUTA_BIND.password, auto_bind=True
    ) as conn:
        conn.search(f"ou=users,{directory.root_dn}", f"(uid={typed})", attributes=["uid"])
        assert [str(e.uid) for e in conn.entries] == [DANA.login]
    # Immuta's sync: the role it would create is the id in lower case only with normalizeUserId.
    raw = copy.deepcopy(entry)
    raw["options"]["normalizeUserId"] = False
    ids = {u.user_id for u in ldap_sync(raw, ca_file=str(directory.ca.cert))}
    assert DANA.login in ids
    assert typed not in ids
    # PostgreSQL: role names compare exactly, so only the lower-case role matches what is typed.
    with postgres.superuser() as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(typed)))
        try:
            found = conn.execute(
                "SELECT rolname FROM pg_roles WHERE rolname IN (%s, %s)", (typed, DANA.login)
            ).fetchall()
            assert found == [(typed,)]
        finally:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(typed)))


def test_the_iam_id_rule_measured_capitals_fold_and_hyphens_fail_unquoted(
    postgres: Postgres,
) -> None:
    """Why ids are lower case without `-`: Immuta does not say whether it quotes `<id>_user`."""
    with postgres.superuser() as conn:
        conn.execute("CREATE ROLE Okta_Probe_user NOLOGIN")  # unquoted: PostgreSQL folds it
        try:
            names = conn.execute(
                "SELECT rolname FROM pg_roles WHERE lower(rolname) = 'okta_probe_user'"
            ).fetchall()
            assert names == [("okta_probe_user",)]  # not the `+Okta_Probe_user` pg_hba names
        finally:
            conn.execute("DROP ROLE okta_probe_user")
        with pytest.raises(psycopg.errors.SyntaxError):
            conn.execute("CREATE ROLE okta-probe_user NOLOGIN")
