"""The manual setup /work/shared/seeds/000 (Immuta's "Okta LDAP Interface" page) produces, as
the local emulators serve it: one Okta bind user holding Read-Only Admin, an MFA sign-on policy
whose rule exempts it, Immuta's LDAP IAM, and the Immuta Helm release carrying the page's
example pg_hba line (placeholders filled in, no address column).

`Org` seeds all three emulators and writes the config and kubeconfig `python -m adopt` reads,
so a test can change one fact (a second user, a missing role, a policy moved) and run again.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from adopt.inputs import StackInputs
from adopt.model import engine_urn, implied_urns
from components.immuta.iam_document import iam_entry
from components.okta.signon_model import DEFAULT_RULE_NAME, Policy, Rule
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.kubernetes_emulator import KubernetesEmulator
from rehearsal.mock_engine import run_program
from rehearsal.okta_emulator import OktaEmulator
from rehearsal.stack_config import load_stack_config
from tests.support.okta_orgs import EVERYONE, policy_to_api, rule_to_api

P = "okta-ldap-immuta:"
ROOT_DN = "dc=acme,dc=okta,dc=com"  # the prod stack's org: acme on okta.com
BIND_ID = "00uManualBind0000001"
BIND_LOGIN = "svc-immuta-ldap@acme.example"
ALICE_ID = "00uAlice000000000001"
BIND_PASSWORD = "Manual-Bind-Canary-7f3a"  # appears in Okta, Immuta and the pg_hba line
MFA_POLICY = "00pManualMfa00000001"
MFA_RULE = "0prManualMfa00000001"
DEFAULT_POLICY = "00pDefault0000000001"
IAM_ID = "okta"
# The page's example, placeholders filled in: <HOST>, <BASE_DN> as its table writes it
# (blanks after the commas), the bind user's DN and password; the backquotes around them
# are the page's formatting, which a careful reader leaves out (PAGE_LINE keeps them).
HAND_LINE = (
    'hostssl immuta +okta_user ldap ldapserver="acme.ldap.okta.com" ldapscheme=ldaps '
    'ldapbasedn="ou=users, dc=acme, dc=okta, dc=com" ldapsearchattribute="uid" '
    f'ldapbinddn="uid={BIND_LOGIN},{ROOT_DN}" ldapbindpasswd="{BIND_PASSWORD}" ldapport="636"'
)
PAGE_LINE = (
    'hostssl immuta +okta_user ldap ldapserver="acme.ldap.okta.com" ldapscheme=ldaps '
    'ldapbasedn="ou=users, dc=acme, dc=okta, dc=com" ldapsearchattribute="uid" '
    f'ldapbinddn="uid=`{BIND_LOGIN}`,dc=`acme`,dc=okta,dc=com" '
    f'ldapbindpasswd="`{BIND_PASSWORD}`" ldapport="636"'
)
READ_ONLY_ADMIN = {
    "id": "ra1ManualReadOnly001",
    "label": "Read-Only Administrator",
    "type": "READ_ONLY_ADMIN",
    "status": "ACTIVE",
    "assignmentType": "USER",
}


def user(uid: str, login: str, first: str = "Immuta", last: str = "LDAP Bind") -> dict[str, Any]:
    return {
        "id": uid,
        "status": "ACTIVE",
        "created": "2024-03-01T10:00:00.000Z",
        "passwordChanged": "2024-03-01T10:00:00.000Z",
        "profile": {"login": login, "email": login, "firstName": first, "lastName": last},
    }


def mfa_policy(name: str = "Require MFA", priority: int = 1) -> Policy:
    """The page's step 3: MFA for everyone, the bind user exempt."""
    return Policy(
        id=MFA_POLICY,
        name=name,
        priority=priority,
        groups_included=frozenset({EVERYONE}),
        rules=(
            Rule(
                id=MFA_RULE,
                name="Require MFA; LDAP bind user exempt",
                priority=1,
                mfa_required=True,
                users_excluded=frozenset({BIND_ID}),
            ),
            Rule(id="0prManualMfaDefault1", name=DEFAULT_RULE_NAME, priority=2),
        ),
    )


def default_policy(priority: int) -> Policy:
    return Policy(
        id=DEFAULT_POLICY,
        name="Default Policy",
        priority=priority,
        groups_included=frozenset({EVERYONE}),
        rules=(Rule(id="0prDefault0000000001", name=DEFAULT_RULE_NAME, priority=1, system=True),),
        system=True,
    )


def iam(bind_login: str = BIND_LOGIN) -> dict[str, Any]:
    """The IAM as App Settings stores it after the page's step 2.1 (one hand-set option too)."""
    entry = iam_entry(
        {
            "iamId": IAM_ID,
            "displayName": "Okta",
            "host": "acme.ldap.okta.com",
            "port": 636,
            "useSsl": True,
            "rejectUnauthorized": True,
            "userSearchBase": f"ou=users,{ROOT_DN}",
            "userIdAttribute": "uid",
            "groupSearchBase": f"ou=groups,{ROOT_DN}",
            "groupSearchFilter": "(objectClass=groupofUniqueNames)",
            "bindDn": f"uid={bind_login},{ROOT_DN}",
            "bindPassword": BIND_PASSWORD,
            "profile": {"name": "displayName", "email": "mail"},
            "syncCron": "0 0 * * *",
            "pageSize": 1000,
            "supportedActions": ["linkPostgresAccount", "ldapSync"],
            "groupNameAttribute": "cn",
            "groupMembershipAttributes": [],
            "normalizeUserId": False,
        }
    )
    del entry["schema"]["group"]  # the page maps no groups and sets no case rule
    del entry["options"]["groupMembershipAttributes"]
    del entry["options"]["normalizeUserId"]
    entry["options"]["debug"] = True
    return entry


@dataclass
class Org:
    """One seeded world; change a field, then `seed()` again."""

    users: list[dict[str, Any]] = field(
        default_factory=lambda: [user(BIND_ID, BIND_LOGIN), user(ALICE_ID, "alice@acme.example")]
    )
    roles: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {BIND_ID: [dict(READ_ONLY_ADMIN)]}
    )
    groups: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"id": EVERYONE, "type": "BUILT_IN", "profile": {"name": "Everyone"}},
        ]
    )
    user_groups: dict[str, list[str]] = field(
        default_factory=lambda: {BIND_ID: [EVERYONE], ALICE_ID: [EVERYONE]}
    )
    policies: list[Policy] = field(default_factory=lambda: [mfa_policy(), default_policy(2)])
    iam: dict[str, Any] | None = field(default_factory=iam)
    release_values: dict[str, Any] | None = field(
        default_factory=lambda: {
            "global": {"imageRegistry": "registry.acme.example"},
            "queryEngine": {"replicaCount": 2, "clientPgHBARules": [HAND_LINE]},
        }
    )
    chart_version: str = "4.13.5"
    release_status: str = "deployed"

    def with_policies(self, *policies: Policy) -> Org:
        ordered = sorted(policies, key=lambda p: (p.system, p.priority))
        return replace(self, policies=[replace(p, priority=n) for n, p in enumerate(ordered, 1)])

    def seed(self, okta: OktaEmulator, immuta: ImmutaEmulator, kube: KubernetesEmulator) -> None:
        ordered = sorted(self.policies, key=lambda p: (p.system, p.priority))
        okta.seed(
            policies=[policy_to_api(p) for p in ordered],
            rules={p.id: [rule_to_api(r) for r in p.rules] for p in ordered},
            users=self.users,
            groups=self.groups,
            user_groups=self.user_groups,
            roles=self.roles,
        )
        immuta.reset()
        if self.iam is not None:
            immuta.document["plugins"]["okta-ldap"] = copy.deepcopy(self.iam)
        kube.reset()
        if self.release_values is not None:
            for revision in (1, 2, 3):
                kube.add_helm_release(
                    name="immuta",
                    namespace="immuta",
                    revision=revision,
                    status=self.release_status if revision == 3 else "superseded",
                    chart_version=self.chart_version if revision == 3 else "4.13.3",
                    values=self.release_values,
                )


@dataclass
class Run:
    code: int
    out: str
    err: str
    import_file: dict[str, Any]
    import_text: str
    config_path: Path


def write_config(
    path: Path,
    okta: OktaEmulator,
    immuta: ImmutaEmulator,
    ca_pem: str,
    okta_token: str | None = None,
    okta_oauth: dict[str, Any] | None = None,
    **extra: str,
) -> Path:
    """`pulumi config --json --show-secrets` as the CLI would print it for the test stack
    (Okta: an API token, or `okta_oauth`'s OAuth keys)."""
    okta_auth = okta_oauth or {"okta:apiToken": {"value": okta_token or okta.token, "secret": True}}
    config: dict[str, Any] = {
        **okta_auth,
        f"{P}immutaUrl": {"value": immuta.url, "secret": False},
        f"{P}immutaApiKey": {"value": immuta.api_key, "secret": True},
        f"{P}immutaCaCertificate": {"value": ca_pem, "secret": False},
    }
    config.update({P + k: {"value": v, "secret": False} for k, v in extra.items()})
    path.write_text(json.dumps(config))
    return path


HEALTHY_CHANGES = {f"{P}immutaBindLogin": BIND_LOGIN, f"{P}immutaIamAdopt": "true"}


def registrations(stack: str, changes: dict[str, str]) -> dict[str, Any]:
    """The program's registrations under mocks for the stack with `changes`: engine URN -> reg."""
    cfg = StackInputs(config=load_stack_config(stack), live={}).with_changes(changes).config
    return {engine_urn(r.urn): r for r in run_program(cfg).resources}


def assert_lines_up(run: Run, stack: str, changes: dict[str, str]) -> None:
    """Every import entry's URN is one the program registers, with its type and parent."""
    regs = registrations(stack, changes)
    urns = implied_urns(run.import_file, "okta-ldap-immuta", stack)
    for entry in run.import_file["resources"]:
        urn = urns[entry["name"]]
        assert urn in regs, f"{entry['name']}: {urn} is not a URN the program registers"
        reg = regs[urn]
        assert reg.type == entry["type"]
        assert reg.custom is not bool(entry.get("component"))
        parent = regs.get(engine_urn(reg.parent_urn))
        assert entry.get("parent") == (parent.name if parent else None)
        if reg.custom:
            assert entry["version"]  # the provider version the SDK registers with
