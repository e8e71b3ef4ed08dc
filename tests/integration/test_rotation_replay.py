"""Bind password rotation replayed on real servers, in the order the program's dependency graph
gives, while a client logs in to PostgreSQL and binds as Immuta's account without pause.

The directory is slapd with the ppolicy overlay as a strict Okta org would set it up (lockout
after 3 failed binds, DISA STIG style). For each rotation, the plan before and after it (the
real program under mocks) tells which resources change: a RandomPassword whose keepers change
is replaced, and everything that takes its value changes with it. They are applied in
dependency order: an Okta user's new password into slapd, the Helm release's rules into
PostgreSQL, the IAM into the Immuta emulator through the project's Immuta client (Immuta's
sync binds with the credentials stored there).

Alternating accounts: 0 failed logins and 0 lockouts over three rotations, and the oldest
password no longer binds. Single account: the gap between Okta and the consumers fails logins,
and the Query Engine's stale password locks its account (docs/credentials.md, "Measured:
alternating against single", quotes both).
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ldap3
import psycopg
import pytest

from components.config import project_schema
from components.immuta.client import ImmutaClient
from components.immuta.connection import ImmutaConnection
from components.immuta.iam_document import find_iam, iam_entry
from components.okta.ldap_interface import dn_from_rdns
from components.query_engine.pg_hba import LdapSearchBindRule
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.mock_engine import PlanResult, Registration, run_program, unwrap_secrets
from rehearsal.postgres import Postgres
from rehearsal.servers import DirectoryUser, Slapd
from rehearsal.tls import TestCA
from tests.support.directory import ALICE, ORG, ROLE
from tests.support.stacks import config_for

RANDOM = "random:index/randomPassword:RandomPassword"
USER = "okta:user/user:User"
IAM = "pulumi-python:dynamic:Resource"
RELEASE = "kubernetes:helm.sh/v3:Release"
ROOT_PW = "Replay-Root-Passw0rd"
STEP = 0.3  # s between two operations of one `pulumi up`, like the engine's round trips
# `make test` replays one rotation per strategy; `make bench` replays three (the figures).
ROTATIONS = int(os.environ.get("ROTATION_REPLAY_ROTATIONS", "1"))


class PolicySlapd(Slapd):
    """slapd with ppolicy: 3 failed binds lock an account until an administrator unlocks it."""

    def _config(self, crt: Path, key: Path) -> str:
        conf = super()._config(crt, key)
        conf = conf.replace("moduleload back_mdb", "moduleload back_mdb\nmoduleload ppolicy")
        conf = re.sub(r"rootpw \S+", f"rootpw {ROOT_PW}", conf)
        return conf + (
            f'overlay ppolicy\nppolicy_default "cn=default,ou=policies,{self.root_dn}"\n'
            "ppolicy_use_lockout\n"
        )

    def _ldif(self) -> str:
        return super()._ldif() + (
            f"\ndn: ou=policies,{self.root_dn}\nobjectClass: organizationalUnit\nou: policies\n"
            f"\ndn: cn=default,ou=policies,{self.root_dn}\nobjectClass: device\n"
            "objectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\n"
            "pwdMaxFailure: 3\npwdLockout: TRUE\npwdLockoutDuration: 0\n"
            "pwdFailureCountInterval: 900\n"
        )

    def admin(self) -> ldap3.Connection:
        server = ldap3.Server("127.0.0.1", port=self.port, use_ssl=True, tls=ldap3.Tls(
            ca_certs_file=str(self.ca.cert)))  # fmt: skip
        return ldap3.Connection(
            server, f"cn=admin,{self.root_dn}", ROOT_PW, auto_bind=True, raise_exceptions=True
        )


def _config(mode: str, n: int) -> Any:
    """The dev stack pointed at nothing real (the replay renders rules itself), rotation n."""
    if mode == "alternating":
        return config_for("dev", okta__orgName=ORG, okta__baseUrl="okta.com",
                          bindAccountRotation="alternating", bindRotationCount=str(n))  # fmt: skip
    return config_for("dev", okta__orgName=ORG, okta__baseUrl="okta.com",
                      bindPasswordRotation=f"2026-{n + 1:02d}")  # fmt: skip


def _deps(r: Registration) -> set[str]:
    found = set(r.options.get("dependsOn", []))
    for urns in r.property_dependencies.values():
        found |= set(urns)
    return found


def changes(before: PlanResult, after: PlanResult) -> list[Registration]:
    """What one `pulumi up` from `before` to `after` changes, in the order the engine applies
    it: a RandomPassword with new keepers is replaced; a resource whose inputs differ or that
    takes a changed resource's value (a property dependency) is updated; dependencies first."""
    old = {r.urn: r for r in before.resources}
    by_urn = {r.urn: r for r in after.resources}
    changed = {
        urn for urn, r in by_urn.items()
        if r.type == RANDOM
        and (urn not in old or old[urn].inputs.get("keepers") != r.inputs.get("keepers"))
    }  # fmt: skip
    grew = True
    while grew:
        grew = False
        for urn, r in by_urn.items():
            takes = any(set(u) & changed for u in r.property_dependencies.values())
            differs = urn in old and old[urn].inputs != r.inputs and r.type in (IAM, RELEASE)
            if urn not in changed and r.custom and (takes or differs):
                changed.add(urn)
                grew = True
    ordered: list[Registration] = []
    done: set[str] = set()

    def visit(urn: str) -> None:
        if urn in done or urn not in by_urn:
            return
        done.add(urn)
        for dep in sorted(_deps(by_urn[urn])):
            visit(dep)
        if urn in changed:
            ordered.append(by_urn[urn])

    for urn in sorted(changed):
        visit(urn)
    return ordered


@dataclass
class World:
    """The real servers, and what each consumer holds now."""

    slapd: PolicySlapd
    postgres: Postgres
    immuta: ImmutaEmulator  # the IAM document Immuta stores; its sync binds with what it holds
    immuta_connection: ImmutaConnection
    passwords: dict[str, str] = field(default_factory=dict)  # RandomPassword name -> value
    generation: int = 0

    def immuta_credentials(self) -> tuple[str, str]:
        """(bind DN, password) of the IAM as the Immuta emulator stores it now."""
        _, entry = find_iam(self.immuta.document, "okta")
        credentials = (entry or {}).get("credentials") or {}
        return str(credentials.get("bind_dn", "")), str(credentials.get("bind_pw", ""))

    def root_dn(self) -> str:
        return self.slapd.root_dn

    def dns(self, login: str) -> list[str]:
        rdn = dn_from_rdns(("uid", login))
        return [f"{rdn},{self.root_dn()}", f"{rdn},ou=users,{self.root_dn()}"]

    def rules(self, bind_dn: str, password: str) -> list[str]:
        return [LdapSearchBindRule(
            role=ROLE, address="0.0.0.0/0", server="127.0.0.1", port=self.slapd.port,
            transport="ldaps", base_dn=f"ou=users,{self.root_dn()}", bind_dn=bind_dn,
            bind_password=password,
        ).render()]  # fmt: skip

    def apply(self, r: Registration, plan: PlanResult) -> None:
        """One step of the engine, on the real servers."""
        if r.type == RANDOM:
            self.generation += 1
            self.passwords[r.name] = f"Gen{self.generation}-{r.name[-12:]}-Pw!"
        elif r.type == USER:
            password = self.passwords[self._password_of(r, plan)]
            with self.slapd.admin() as admin:
                for dn in self.dns(r.inputs["login"]):
                    admin.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [password])]})
        elif r.type == IAM:  # the provider's write, through the project's Immuta client
            props = {
                **unwrap_secrets(r.inputs),
                "bindPassword": self._through(r, plan, "bindPassword"),
            }
            with ImmutaClient(self.immuta_connection) as client:
                client.upsert_iam(iam_entry(props))
        elif r.type == RELEASE:
            qe_dn = plan.outputs["bindDns"]["queryEngine"]
            self.postgres.write_hba(self.rules(qe_dn, self._through(r, plan, "values")))
            self.postgres.reload()

    def _password_of(self, user: Registration, plan: PlanResult) -> str:
        by_urn = {x.urn: x for x in plan.resources}
        (name,) = [by_urn[u].name for u in user.property_dependencies["password"]]
        return name

    def _through(self, r: Registration, plan: PlanResult, prop: str) -> str:
        """The password a consumer takes through the Okta user it depends on."""
        by_urn = {x.urn: x for x in plan.resources}
        names = [by_urn[u].name for u in r.property_dependencies[prop] if u in by_urn]
        (password,) = [n for n in names if by_urn_type(plan, n) == RANDOM]
        return self.passwords[password]

    def locked(self) -> list[str]:
        with self.slapd.admin() as admin:
            admin.search(self.root_dn(), "(pwdAccountLockedTime=*)", attributes=["uid"])
            return [str(e.entry_dn) for e in admin.entries]


def by_urn_type(plan: PlanResult, name: str) -> str:
    return next(r.type for r in plan.resources if r.name == name)


@dataclass
class Traffic:
    """Logins to PostgreSQL (as alice) and binds as Immuta's account, each in its own thread,
    back to back for as long as the replay runs."""

    world: World
    logins: int = 0
    failed_logins: int = 0
    binds: int = 0
    failed_binds: int = 0
    seconds: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    refusals: list[str] = field(default_factory=list)  # what the client was told, per failure
    log_since: int = 0

    def server_reasons(self) -> list[str]:
        """Why PostgreSQL refused each failed LDAP login (its log says; the client is told
        only "LDAP authentication failed")."""
        log = self.world.postgres.log_text(self.log_since)
        return re.findall(r"LOG:\s+((?:LDAP login failed|could not)[^\n]*)", log)

    def refused_credentials(self) -> list[str]:
        """The failures a rotation can cause: a password the directory no longer accepts.
        A login whose LDAP connection failed ("Can't contact LDAP server", seen on a loaded
        machine) says nothing about the rotation; the report counts it apart."""
        return [r for r in self.server_reasons() if "Can't contact LDAP server" not in r]

    def log_in(self) -> None:
        while not self.stop.is_set():
            try:
                self.world.postgres.login(ALICE.login, ALICE.password)
            except psycopg.OperationalError as exc:
                self.failed_logins += 1
                self.refusals.append(str(exc).strip())
            self.logins += 1

    def bind(self) -> None:
        tls = ldap3.Tls(ca_certs_file=str(self.world.slapd.ca.cert))
        server = ldap3.Server("127.0.0.1", port=self.world.slapd.port, use_ssl=True, tls=tls)
        while not self.stop.is_set():
            dn, password = self.world.immuta_credentials()
            conn = ldap3.Connection(server, dn, password)
            if not conn.bind():
                self.failed_binds += 1
            conn.unbind()
            self.binds += 1
            time.sleep(0.05)


@pytest.fixture
def world(
    workdir: Path, ca: TestCA, postgres: Postgres, emulator: ImmutaEmulator, request: Any
) -> Iterator[World]:
    mode = request.param
    plan0 = run_program(_config(mode, 0))
    accounts = tuple(
        DirectoryUser(r.inputs["login"], "Initial-Unused-Pw-1") for r in plan0.of_type(USER)
    )
    slapd = PolicySlapd(workdir / f"slapd-replay-{mode}", ca, org=ORG, users=(ALICE,),
                        bind_accounts=accounts).start()  # fmt: skip
    emulator.reset()
    connection = ImmutaConnection(
        url=emulator.url, api_key=emulator.api_key, ca_pem=ca.cert.read_text(), timeout=5
    )
    w = World(slapd, postgres, emulator, connection)
    for r in changes(type(plan0)(plan0.stack, [], {}, []), plan0):  # the first `pulumi up`
        w.apply(r, plan0)
    yield w
    postgres.write_hba([])
    postgres.reload()
    slapd.stop()


def replay(world: World, mode: str) -> Traffic:
    plans = [run_program(_config(mode, n)) for n in range(ROTATIONS + 1)]
    traffic = Traffic(world)
    traffic.log_since = world.postgres.log_size()
    threads = [threading.Thread(target=f, daemon=True) for f in (traffic.log_in, traffic.bind)]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    try:
        for before, after in itertools.pairwise(plans):
            for r in changes(before, after):
                time.sleep(STEP)
                world.apply(r, after)
            time.sleep(STEP)
    finally:
        traffic.seconds = time.monotonic() - started
        traffic.stop.set()
        for thread in threads:
            thread.join(10)
    return traffic


def report(mode: str, t: Traffic, locked: list[str]) -> str:
    rate = t.logins / t.seconds
    return (f"{mode}: {ROTATIONS} rotations, {t.logins} logins ({rate:.1f}/s), "
            f"{t.failed_logins} failed ({len(t.refused_credentials())} for the password); "
            f"{t.binds} Immuta binds, {t.failed_binds} failed; "
            f"{len(locked)} account(s) locked")  # fmt: skip


@pytest.mark.parametrize("world", ["alternating"], indirect=True)
def test_alternating_accounts_rotate_without_a_failed_login(world: World) -> None:
    oldest = dict(world.passwords)
    traffic = replay(world, "alternating")
    locked = world.locked()
    print("\n" + report("alternating", traffic, locked))
    assert traffic.logins / traffic.seconds >= 10
    refused = traffic.refused_credentials()
    assert (refused, traffic.failed_binds, locked) == ([], 0, []), traffic.refusals
    assert traffic.failed_logins == len(traffic.server_reasons())  # each failure is explained
    # The oldest password in use was renewed and binds no more: B's first after one rotation,
    # A's first after two.
    slot, login = ("", "svc-immuta-qe-ldap") if ROTATIONS >= 2 else ("-b", "svc-immuta-qe-ldap-b")
    oldest_password = oldest[f"ldap-bind-query-engine{slot}-password"]
    tls = ldap3.Tls(ca_certs_file=str(world.slapd.ca.cert))
    server = ldap3.Server("127.0.0.1", port=world.slapd.port, use_ssl=True, tls=tls)
    dn = world.dns(f"{login}@acme.example")[0]
    assert not ldap3.Connection(server, dn, oldest_password).bind()


@pytest.mark.parametrize("world", ["single"], indirect=True)
def test_single_account_rotation_fails_logins_and_locks_the_account(world: World) -> None:
    traffic = replay(world, "single")
    locked = world.locked()
    print("\n" + report("single", traffic, locked))
    assert traffic.refused_credentials()  # the gap docs/credentials.md warns about
    assert locked  # a stale password locked the Query Engine's account


def test_the_replay_order_comes_from_the_dependency_graph() -> None:
    before = run_program(_config("alternating", 0))
    after = run_program(_config("alternating", 1))
    names = [r.name for r in changes(before, after)]
    for consumer in ("immuta", "query-engine"):
        assert names.index(f"ldap-bind-{consumer}-b-password") < names.index(
            f"ldap-bind-{consumer}-b"
        )
    assert names.index("ldap-bind-query-engine-b") < names.index("immuta")  # the release
    assert names.index("ldap-bind-immuta-b") < names.index("immuta-ldap-iam")
    assert not any(n in names for n in ("ldap-bind-immuta", "ldap-bind-query-engine"))  # A kept
    assert project_schema().name == before.stack.project
