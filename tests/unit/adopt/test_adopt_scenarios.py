"""Manual setups that are not quite the page's: adopt reports each clearly and never guesses.

Two users a login (or a bind DN's short name) could mean, a missing or an extra admin role, a
policy with the stack's name in another position, an existing bind group with a stranger in
it, the page's backquotes copied into the line, a release Helm cannot upgrade now, an IAM of
another kind, and failures to read that end with exit code 2 and no secret in the message.
"""

from __future__ import annotations

import collections
import errno
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adopt.__main__ import main
from components.okta.signon_model import DEFAULT_RULE_NAME, Policy, Rule
from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.kubernetes_emulator import KubernetesEmulator
from rehearsal.okta_emulator import OktaEmulator
from tests.support.okta_orgs import EVERYONE
from tests.unit.adopt.manual_setup import (
    ALICE_ID,
    BIND_ID,
    BIND_LOGIN,
    BIND_PASSWORD,
    HAND_LINE,
    HEALTHY_CHANGES,
    PAGE_LINE,
    READ_ONLY_ADMIN,
    ROOT_DN,
    Org,
    Run,
    assert_lines_up,
    default_policy,
    iam,
    mfa_policy,
    user,
)

RunAdopt = Callable[..., Run]
ADOPTED = {k.split(":", 1)[1]: v for k, v in HEALTHY_CHANGES.items()}
GROUP_ID = "00gManualBindGroup01"
BIND_POLICY = "00pManualBindPolicy1"


def flat(text: str) -> str:
    return " ".join(text.split())


def findings(run: Run, section: str) -> list[dict[str, Any]]:
    return list(json.loads(run.out)["findings"][section])


def entry(run: Run, name: str) -> dict[str, Any] | None:
    return next((r for r in run.import_file["resources"] if r["name"] == name), None)


def test_a_bind_dn_short_name_two_users_could_be_is_a_decision(run_adopt: RunAdopt) -> None:
    short = f"uid=svc-immuta-ldap,{ROOT_DN}"
    contractor = user("00uContractor0000001", "svc-immuta-ldap@acme-contractors.example")
    line = HAND_LINE.replace(f"uid={BIND_LOGIN},{ROOT_DN}", short)
    entry_ = iam()
    entry_["credentials"]["bind_dn"] = short
    org = Org(iam=entry_, users=[*Org().users, contractor])
    org.release_values = {"queryEngine": {"clientPgHBARules": [line]}}
    run = run_adopt(org, json_out=True)
    assert run.code == 1
    body = json.loads(run.out)
    assert body["blocked"] is True
    decided = flat(" ".join(d["text"] for d in body["findings"]["decide"]))
    assert "matches 2 Okta users: svc-immuta-ldap@acme-contractors.example" in decided
    assert "svc-immuta-ldap@acme.example" in decided
    assert "adopt does not pick one" in decided
    assert "okta-ldap-immuta:immutaBindLogin" not in body["config"]
    assert not any(r["type"] == "okta:user/user:User" for r in run.import_file["resources"])


def test_two_users_answering_to_the_configured_login_is_a_decision(run_adopt: RunAdopt) -> None:
    twin = user("00uTwin000000000001", BIND_LOGIN.upper())  # Okta itself would refuse this twin
    run = run_adopt(Org(users=[*Org().users, twin]), extra=ADOPTED, json_out=True)
    assert run.code == 1
    (decision,) = [d for d in findings(run, "decide") if "ldap-bind-immuta" in d["subject"]]
    assert "2 Okta users match login svc-immuta-ldap@acme.example" in decision["text"]
    assert entry(run, "ldap-bind-immuta") is None
    assert entry(run, "ldap-bind-immuta-roles") is None


def test_a_missing_admin_role_is_created_not_imported(run_adopt: RunAdopt) -> None:
    run = run_adopt(Org(roles={}), extra=ADOPTED, json_out=True)
    assert run.code == 0
    assert entry(run, "ldap-bind-immuta") is not None
    assert entry(run, "ldap-bind-immuta-roles") is None
    (created,) = [c for c in findings(run, "create") if "ldap-bind-immuta-roles" in c["subject"]]
    assert "holds no admin role today (missing READ_ONLY_ADMIN)" in created["text"]
    assert_lines_up(run, "prod", HEALTHY_CHANGES)


def test_extra_admin_roles_are_imported_and_reported_as_removed(run_adopt: RunAdopt) -> None:
    super_admin = {**READ_ONLY_ADMIN, "id": "ra1Super", "type": "SUPER_ADMIN"}
    inherited = {
        **READ_ONLY_ADMIN,
        "id": "ra1Group",
        "type": "ORG_ADMIN",
        "assignmentType": "GROUP",
    }
    org = Org(roles={BIND_ID: [dict(READ_ONLY_ADMIN), super_admin, inherited]})
    run = run_adopt(org, extra=ADOPTED, json_out=True)
    assert entry(run, "ldap-bind-immuta-roles") == {
        "type": "okta:index/userAdminRoles:UserAdminRoles",
        "name": "ldap-bind-immuta-roles",
        "id": BIND_ID,
        "parent": "ldap-bind-accounts",
        "version": entry(run, "ldap-bind-immuta")["version"],  # type: ignore[index]
    }
    (change,) = [c for c in findings(run, "change") if "ldap-bind-immuta-roles" in c["subject"]]
    assert "removes ['SUPER_ADMIN']" in change["detail"]
    kept = " ".join(k["text"] for k in findings(run, "keep"))
    assert "also holds ['ORG_ADMIN'] through a group" in kept


def bind_policy_at(priority: int) -> Policy:
    """A hand-made policy with the stack's bind-policy name, its LDAP rule, and Okta's own."""
    return Policy(
        id=BIND_POLICY,
        name="Immuta LDAP bind accounts",
        priority=priority,
        groups_included=frozenset({GROUP_ID}),
        rules=(
            Rule(
                id="0prManualLdap0000001",
                name="LDAP Interface bind, no MFA",
                priority=1,
                authtype="LDAP_INTERFACE",
            ),
            Rule(id="0prManualBindDflt001", name=DEFAULT_RULE_NAME, priority=2, mfa_required=True),
        ),
    )


def test_a_policy_with_the_stacks_name_in_another_position_is_reported(
    run_adopt: RunAdopt, okta_emu: OktaEmulator
) -> None:
    org = Org().with_policies(mfa_policy(priority=1), bind_policy_at(2), default_policy(3))
    org.groups = [
        *org.groups,
        {"id": GROUP_ID, "type": "OKTA_GROUP", "profile": {"name": "Immuta LDAP bind accounts"}},
    ]
    org.user_groups = {BIND_ID: [EVERYONE, GROUP_ID], ALICE_ID: [EVERYONE, GROUP_ID]}
    run = run_adopt(org, extra=ADOPTED, json_out=True)
    assert run.code == 0, run.err
    assert entry(run, "bind-sign-on")["component"] is True  # type: ignore[index]
    assert entry(run, "bind-sign-on-policy")["id"] == BIND_POLICY  # type: ignore[index]
    assert entry(run, "bind-sign-on-ldap-bind")["id"] == f"{BIND_POLICY}/0prManualLdap0000001"  # type: ignore[index]
    assert entry(run, "bind-sign-on-group")["id"] == GROUP_ID  # type: ignore[index]
    assert entry(run, "bind-sign-on-members")["id"] == f"{GROUP_ID}/true"  # type: ignore[index]
    assert entry(run, "bind-sign-on-deny-other") is None  # no such rule yet: created
    (review,) = findings(run, "review")
    assert review["subject"] == "okta:policy/signon:Signon bind-sign-on-policy"
    assert "exists at priority 2; the stack puts it at 1" in review["text"]
    assert "decides before 'Require MFA' for everyone it includes" in review["text"]
    changes = {c["subject"]: c for c in findings(run, "change")}
    members = changes["okta:index/groupMemberships:GroupMemberships bind-sign-on-members"]
    assert any(d.startswith("removes alice@acme.example") for d in members["detail"]), members
    assert "priority: 2 -> 1" in changes["okta:policy/signon:Signon bind-sign-on-policy"]["detail"]
    kept = " ".join(k["subject"] for k in findings(run, "keep"))
    assert "rule 'Default Rule' (priority 2) of policy 'Immuta LDAP bind accounts'" in kept
    assert_lines_up(run, "prod", HEALTHY_CHANGES)
    reads = collections.Counter((r.path, tuple(sorted(r.query.items()))) for r in okta_emu.requests)
    assert max(reads.values()) == 1
    assert reads[(f"/api/v1/groups/{GROUP_ID}/users", ())] == 1
    assert reads[(f"/api/v1/policies/{BIND_POLICY}/rules", ())] == 1


def test_the_stacks_mfa_policy_at_priority_1_moves_behind_the_bind_policy(
    run_adopt: RunAdopt,
) -> None:
    named = mfa_policy(name="Immuta LDAP (dev): require MFA", priority=1)
    run = run_adopt(Org().with_policies(named, default_policy(2)), stack="dev", json_out=True)
    assert entry(run, "mfa-policy")["id"] == named.id  # type: ignore[index]
    (review,) = findings(run, "review")
    assert "exists at priority 1; the stack puts it at 2" in review["text"]
    assert "'Immuta LDAP bind accounts' then decide before it" in review["text"]
    change = next(c for c in findings(run, "change") if c["subject"].endswith(" mfa-policy"))
    assert any(
        d.startswith("applies to: ") and "00g9d8c7b6a5z4y3x2w1" in d for d in change["detail"]
    )
    assert_lines_up(run, "dev", json.loads(run.out)["config"])


def test_the_pages_backquotes_are_called_out(run_adopt: RunAdopt) -> None:
    org = Org()
    org.release_values = {"queryEngine": {"clientPgHBARules": [PAGE_LINE]}}
    run = run_adopt(org)
    out = flat(run.out)
    assert "queryEngine binds as svc-immuta-ldap@acme.example (the pg_hba ldapbinddn; " in out
    assert "backquotes from the page's formatting removed" in out
    assert "holds backquotes copied from the page's formatting" in out
    assert BIND_PASSWORD not in run.out


def test_other_pg_hba_lines_are_kept_as_extra_rules_when_they_pass(run_adopt: RunAdopt) -> None:
    keep, unsafe = "hostssl immuta all 10.1.0.0/16 scram-sha-256", "host all all 0.0.0.0/0 trust"
    org = Org()
    org.release_values = {"queryEngine": {"clientPgHBARules": [HAND_LINE, keep, unsafe]}}
    run = run_adopt(org, json_out=True)
    body = json.loads(run.out)
    assert json.loads(body["config"]["okta-ldap-immuta:queryEngineExtraPgHbaRules"]) == [keep]
    assert any(unsafe in n and "removed on the first up" in n for n in body["notes"])
    assert any(
        "--path 'okta-ldap-immuta:queryEngineExtraPgHbaRules[0]'" in c
        for c in body["configCommands"]
    )


def test_a_release_helm_cannot_upgrade_now_is_a_decision(run_adopt: RunAdopt) -> None:
    run = run_adopt(Org(release_status="pending-upgrade"), extra=ADOPTED, json_out=True)
    assert run.code == 1
    assert entry(run, "immuta") is None
    assert any("pending-upgrade" in d["text"] for d in findings(run, "decide"))


def test_nothing_there_means_everything_is_created(run_adopt: RunAdopt) -> None:
    org = Org(users=[], roles={}, iam=None, release_values=None)
    org.policies = [default_policy(1)]
    run = run_adopt(org, json_out=True)
    assert run.code == 0
    assert run.import_file == {"nameTable": {}, "resources": []}
    assert json.loads(run.out)["config"] == {}
    created = {c["subject"].split()[1] for c in findings(run, "create")}
    assert {"ldap-bind-immuta", "immuta-ldap-iam", "immuta", "bind-sign-on-policy"} <= created


def test_an_iam_of_another_kind_is_a_decision(run_adopt: RunAdopt) -> None:
    saml = {
        "id": "okta",
        "displayName": "Okta SAML",
        "type": "saml",
        "plugin": "saml",
        "config": {"privateKey": "saml-private-key-canary"},
    }
    run = run_adopt(Org(iam=saml), json_out=True)
    assert run.code == 1
    assert "okta-ldap-immuta:immutaIamAdopt" not in json.loads(run.out)["config"]
    assert any("is a saml IAM, not LDAP" in d["text"] for d in findings(run, "decide"))
    assert "saml-private-key-canary" not in run.out


def test_a_suspended_bind_user_is_adopted_and_reactivated(run_adopt: RunAdopt) -> None:
    org = Org()
    org.users = [replace_status(u, "SUSPENDED") if u["id"] == BIND_ID else u for u in org.users]
    run = run_adopt(org, extra=ADOPTED, json_out=True)
    change = next(c for c in findings(run, "change") if c["subject"].endswith(" ldap-bind-immuta"))
    assert 'status: "SUSPENDED" -> "ACTIVE"' in change["detail"]


def replace_status(raw: dict[str, Any], status: str) -> dict[str, Any]:
    return {**raw, "status": status}


def test_a_refused_okta_token_exits_2_without_the_token(run_adopt: RunAdopt) -> None:
    wrong = "wrong-okta-token-canary-42"
    run = run_adopt(okta_token=wrong)
    assert run.code == 2
    assert "Okta refused the API token" in run.err
    assert wrong not in run.err
    assert not run.out


def test_a_failed_read_with_json_is_a_json_error_without_the_token(run_adopt: RunAdopt) -> None:
    wrong = "wrong-okta-token-canary-43"
    run = run_adopt(okta_token=wrong, json_out=True)
    assert run.code == 2
    assert not run.err
    (error,) = json.loads(run.out)["errors"]
    assert error["input"] == "Okta"
    assert "Okta refused the API token" in error["message"]
    assert wrong not in run.out


def test_a_cluster_that_refuses_secrets_exits_2_with_the_rbac_hint(
    run_adopt: RunAdopt,
    okta_emu: OktaEmulator,
    kube_emu: KubernetesEmulator,
    emulator: ImmutaEmulator,
) -> None:
    Org().seed(okta_emu, emulator, kube_emu)
    kube_emu.forbid("immuta")
    run = run_adopt(reseed=False)
    assert run.code == 2
    assert "HTTP 403" in run.err
    assert "needs `list` on secrets" in run.err
    assert kube_emu.token not in run.err


def test_without_okta_credentials_adopt_says_how_to_give_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OKTA_API_TOKEN", raising=False)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"okta:privateKey": {"value": "PEM-canary-key", "secret": True}}))
    assert main(["--stack", "prod", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "OAuth for Okta needs okta:clientId, okta:scopes as well" in err
    assert "PEM-canary-key" not in err
    config.write_text("{}")
    assert main(["--stack", "prod", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "Okta credentials: none given: set OKTA_API_TOKEN" in err
    assert "okta:privateKeyId" in err


# --- an org holding several stacks' objects ---------------------------------------------------


def stack_bind_policy(stack: str, priority: int) -> Policy:
    """What the program creates for `stack` (one of the committed example pair)."""
    return Policy(
        id=f"00pBind{stack.title().replace('-', '')}"[:20],
        name=f"Immuta LDAP bind accounts ({stack})",
        priority=priority,
        groups_included=frozenset({f"00gBind{stack.title().replace('-', '')}"[:20]}),
        rules=(
            Rule(
                id=f"0prLdap{stack.title().replace('-', '')}"[:20],
                name="LDAP Interface bind, no MFA",
                priority=1,
                authtype="LDAP_INTERFACE",
            ),
        ),
    )


def two_stacks_org() -> Org:
    green, blue = stack_bind_policy("example-green", 1), stack_bind_policy("example-blue", 2)
    org = Org().with_policies(green, blue, default_policy(3))
    org.groups = [
        *org.groups,
        *(
            {"id": next(iter(p.groups_included)), "type": "OKTA_GROUP", "profile": {"name": p.name}}
            for p in (green, blue)
        ),
    ]
    return org


def test_each_stack_adopts_its_own_policy_and_names_the_other_stacks(
    run_adopt: RunAdopt,
) -> None:
    runs = {
        s: run_adopt(two_stacks_org(), stack=s, json_out=True)
        for s in ("example-green", "example-blue")
    }
    for stack, other in (("example-green", "example-blue"), ("example-blue", "example-green")):
        run = runs[stack]
        assert run.code == 0, run.err
        own = stack_bind_policy(stack, 1)
        assert entry(run, "bind-sign-on-policy")["id"] == own.id  # type: ignore[index]
        assert entry(run, "bind-sign-on-group")["id"] == next(iter(own.groups_included))  # type: ignore[index]
        (order,) = [
            c for c in findings(run, "change") if c["subject"] == "Okta sign-on policy order"
        ]
        theirs = next(line for line in order["detail"] if f"({other})'" in line)
        assert f"(another stack's: stack {other} (stacks/Pulumi.{other}.yaml))" in theirs
        assert not any(
            f"({stack})'" in line and "another stack" in line for line in order["detail"]
        )
        # Neither stack moves its (placed, not enforced) bind policy: nothing to review.
        assert not any("bind-sign-on-policy" in r["subject"] for r in findings(run, "review"))
    blue_mfa = next(
        c for c in findings(runs["example-blue"], "create") if "mfa-policy" in c["subject"]
    )
    assert "last (just above the default policy)" in blue_mfa["text"]


def test_an_import_file_that_cannot_be_written_after_the_reads_says_the_reads_were_made(
    run_adopt: RunAdopt, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The folder passed the check before the reads, then the disk filled up.
    write_text = Path.write_text

    def full(self: Path, data: str, *args: Any, **kwargs: Any) -> int:
        if self.name.startswith("pulumi-import"):
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, data, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    run = run_adopt()
    assert run.code == 2
    assert "cannot start" not in run.err
    assert "nothing was sent" not in run.err
    assert "cannot write the import file" in run.err
    assert "No space left on device" in run.err
    assert "the reads were made and nothing was changed anywhere" in run.err
