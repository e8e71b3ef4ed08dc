"""Check 7 against the local Okta emulator: a healthy org passes and names the deciding policy
and rule; an org that sends the bind accounts to MFA, denies them or cannot be evaluated fails
with cause and fix; no token skips; a refused token fails; no output ever holds the token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.okta.api_connection import OktaConnection
from components.okta.signon_model import DEFAULT_RULE_NAME, Org, Policy, Rule
from rehearsal.okta_emulator import OktaEmulator
from tests.support import okta_bodies as bodies
from tests.support.okta_oauth import as_cli_config, service_app
from tests.support.okta_orgs import EVERYONE, org_to_api
from tests.support.verify_runs import verify_against
from verify.__main__ import render
from verify.checks import Check, Target
from verify.okta_signon import NAME, check_okta_signon

BIND_GROUP = "00gBindAccounts000001"
STAFF = "00gStaff0000000000001"
IMMUTA = "00uImmutaBind00000001"
QE = "00uQueryEngineBind001"
ALICE = "00uAlice0000000000001"
GROUP_NAME = "Immuta LDAP bind accounts"
POLICY_NAME = "Immuta LDAP bind accounts"
RULE_NAME = "LDAP Interface bind, no MFA"
MFA_POLICY = "Immuta LDAP: require MFA"
MFA_RULE = "Require MFA"
BIND_PASSWORD = "Bind-Password-Canary-1"


def rule(rid: str, name: str, n: int, **kw: Any) -> Rule:
    return Rule(id=rid, name=name, priority=n, **kw)


BIND_POLICY = Policy(
    id="00pBindAccounts000001",
    name=POLICY_NAME,
    priority=1,
    groups_included=frozenset({BIND_GROUP}),
    rules=(
        rule("0prBindLdap", RULE_NAME, 1, authtype="LDAP_INTERFACE"),
        rule("0prBindDeny", "Deny other sign-ins", 2, access="DENY"),
        rule("0prBindDflt", DEFAULT_RULE_NAME, 3),
    ),
)
MFA = Policy(
    id="00pRequireMfa00000001",
    name=MFA_POLICY,
    priority=2,
    groups_included=frozenset({EVERYONE}),
    rules=(rule("0prMfa", MFA_RULE, 1, mfa_required=True),),
)
DEFAULT = Policy(
    id="00pDefault00000000001",
    name="Default Policy",
    priority=3,
    groups_included=frozenset({EVERYONE}),
    rules=(rule("0prDefault", DEFAULT_RULE_NAME, 1, mfa_required=True, system=True),),
    system=True,
)
HEALTHY = Org(policies=(BIND_POLICY, MFA, DEFAULT), everyone_group_id=EVERYONE)


def with_bind_policy(org: Org, policy: Policy | None) -> Org:
    """`org` with the bind policy replaced or gone; priorities stay 1..n, as Okta keeps them."""
    rest = [p for p in org.policies if p.id != BIND_POLICY.id]
    ordered = rest if policy is None else [policy, *rest]
    return replace(org, policies=tuple(replace(p, priority=n) for n, p in enumerate(ordered, 1)))


def bind_rule(**changes: Any) -> Policy:
    first = replace(BIND_POLICY.rules[0], **changes)
    return replace(BIND_POLICY, rules=(first, *BIND_POLICY.rules[1:]))


@pytest.fixture(scope="module")
def okta_server() -> Iterator[OktaEmulator]:
    emu = OktaEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def okta(okta_server: OktaEmulator) -> OktaEmulator:
    seed(okta_server, HEALTHY)
    return okta_server


def enrollment_policy(
    pid: str, priority: int, groups: list[str], *, system: bool = False, **enroll: str
) -> dict[str, Any]:
    """An Identity Engine MFA_ENROLL policy as GET /api/v1/policies?type=MFA_ENROLL lists it."""
    return {
        "id": pid,
        "type": "MFA_ENROLL",
        "name": "Default Policy" if system else f"enrollment {pid}",
        "status": "ACTIVE",
        "priority": priority,
        "system": system,
        "conditions": {"people": {"groups": {"include": groups}}},
        "settings": {
            "type": "AUTHENTICATORS",
            "authenticators": [{"key": k, "enroll": {"self": v}} for k, v in enroll.items()],
        },
    }


ENROLL_RULE = {"id": "0prEnrollRule", "name": "r", "status": "ACTIVE", "priority": 1}
# Real Identity Engine orgs require the password and offer email.
DEFAULT_ENROLLMENT = enrollment_policy(
    "00pEnrollDefault", 1, [EVERYONE], system=True, okta_password="REQUIRED", okta_email="OPTIONAL"
)


def seed(
    emu: OktaEmulator,
    org: Org,
    raw_rules: dict[str, list[dict[str, Any]]] | None = None,
    enrollment: list[dict[str, Any]] | None = None,
) -> None:
    policies, rules = org_to_api(org)
    policies = [*policies, *(enrollment or [DEFAULT_ENROLLMENT])]
    groups = [
        {"id": EVERYONE, "type": "BUILT_IN", "profile": {"name": "Everyone"}},
        {"id": BIND_GROUP, "type": "OKTA_GROUP", "profile": {"name": GROUP_NAME}},
        {"id": STAFF, "type": "OKTA_GROUP", "profile": {"name": "Staff"}},
    ]
    users = [
        {"id": uid, "status": "ACTIVE", "profile": {"login": f"{name}@acme.example"}}
        for uid, name in ((IMMUTA, "svc-immuta"), (QE, "svc-qe"), (ALICE, "alice"))
    ]
    members = {IMMUTA: [EVERYONE, BIND_GROUP], QE: [EVERYONE, BIND_GROUP], ALICE: [EVERYONE, STAFF]}
    emu.seed(
        policies=policies,
        rules={**rules, **(raw_rules or {})},
        users=users,
        groups=groups,
        user_groups=members,
    )


def target(emu: OktaEmulator, token: str | None = None, **changes: Any) -> Target:
    okta = OktaConnection(base_url=emu.url, api_token=token or emu.token, timeout=5)
    base = Target(
        host="127.0.0.1",
        port=636,
        transport="ldaps",
        user_base_dn="ou=users,dc=acme,dc=okta,dc=com",
        accounts=(),
        iam_id=None,
        okta=okta,
        bind_account_ids=(("immuta", IMMUTA), ("queryEngine", QE)),
        bind_group_name=GROUP_NAME,
        bind_policy_name=POLICY_NAME,
        bind_rule_name=RULE_NAME,
    )
    return replace(base, **changes)


def texts(checks: list[Check]) -> str:
    return json.dumps([c.as_dict() for c in checks])


def test_a_healthy_org_passes_and_names_the_deciding_policy_and_rule(okta: OktaEmulator) -> None:
    checks = check_okta_signon(target(okta))
    assert [(c.number, c.status) for c in checks] == [(7, "pass"), (7, "pass")]
    assert "immuta account" in checks[0].name
    assert IMMUTA in checks[0].name
    assert "queryEngine account" in checks[1].name
    lines = render(checks).splitlines()
    for line in lines[:2]:
        assert line.startswith("PASS 7 Okta sign-on decides the ")
        assert f'policy "{POLICY_NAME}" (priority 1), rule "{RULE_NAME}": ALLOW, no MFA' in line
    assert lines[-1] == "OK: 1 passed, 0 skipped, 0 failed of 1 check"
    # Read once: one page of policies, each policy's rules, Everyone, each account's groups.
    assert 'MFA enrollment policy "Default Policy" (priority 1) requires no factor' in lines[0]
    assert len(okta.requests) == 1 + 3 + 1 + 2 + 1  # and the MFA_ENROLL policies once
    assert {r.method for r in okta.requests} == {"GET"}


def test_a_missing_bind_policy_sends_the_accounts_to_mfa(okta: OktaEmulator) -> None:
    seed(okta, with_bind_policy(HEALTHY, None))
    checks = check_okta_signon(target(okta))
    assert [c.status for c in checks] == ["fail", "fail"]
    check = checks[0]
    assert f'policy "{MFA_POLICY}" (priority 1), rule "{MFA_RULE}": ALLOW, requires MFA' in (
        check.detail
    )
    assert check.cause is not None
    assert "requires MFA" in check.cause
    assert "one-time code" in check.cause
    assert f'bind-account policy "{POLICY_NAME}" does not exist in Okta' in check.cause
    assert check.fix is not None
    assert f'"{POLICY_NAME}" must sit above every policy that includes the bind accounts' in (
        check.fix
    )
    assert f'include the bind group "{GROUP_NAME}"' in check.fix
    assert "pulumi up" in check.fix
    assert render(checks).rstrip().endswith("FAILED: 0 passed, 0 skipped, 1 failed of 1 check")


def test_a_bind_rule_that_requires_mfa_fails(okta: OktaEmulator) -> None:
    seed(okta, with_bind_policy(HEALTHY, bind_rule(mfa_required=True)))
    check = check_okta_signon(target(okta))[0]
    assert check.status == "fail"
    assert f'policy "{POLICY_NAME}" (priority 1), rule "{RULE_NAME}": ALLOW, requires MFA' in (
        check.detail
    )
    assert check.cause is not None
    assert f'rule "{RULE_NAME}", which requires MFA' in check.cause


def test_a_bind_policy_below_the_mfa_policy_fails_and_says_so(okta: OktaEmulator) -> None:
    moved = replace(
        HEALTHY, policies=(replace(MFA, priority=1), replace(BIND_POLICY, priority=2), DEFAULT)
    )
    seed(okta, moved)
    check = check_okta_signon(target(okta))[0]
    assert check.status == "fail"
    assert check.cause is not None
    assert f'"{POLICY_NAME}" is at priority 2, after "{MFA_POLICY}"' in check.cause


def test_the_stack_policy_is_found_by_its_output_id_when_renamed(okta: OktaEmulator) -> None:
    renamed = replace(BIND_POLICY, name="Renamed by hand", priority=2)
    seed(okta, replace(HEALTHY, policies=(replace(MFA, priority=1), renamed, DEFAULT)))
    check = check_okta_signon(target(okta, bind_policy_id=BIND_POLICY.id))[0]
    assert check.cause is not None
    assert f'"Renamed by hand" is at priority 2, after "{MFA_POLICY}"' in check.cause


def test_a_bind_rule_shadowed_by_an_earlier_rule_is_named(okta: OktaEmulator) -> None:
    shadow = rule("0prShadow", "Added by hand", 1, mfa_required=True)
    later = tuple(replace(r, priority=r.priority + 1) for r in BIND_POLICY.rules)
    seed(okta, with_bind_policy(HEALTHY, replace(BIND_POLICY, rules=(shadow, *later))))
    check = check_okta_signon(target(okta))[0]
    assert check.detail.endswith('rule "Added by hand": ALLOW, requires MFA')
    assert check.cause is not None
    assert f'the stack\'s rule "{RULE_NAME}" is not the first rule that matches' in check.cause


def test_accounts_outside_the_bind_group_fail(okta: OktaEmulator) -> None:
    seed(okta, HEALTHY)
    okta.user_groups[QE] = [EVERYONE]
    immuta, qe = check_okta_signon(target(okta))
    assert immuta.status == "pass"
    assert qe.status == "fail"
    assert qe.cause is not None
    assert f'not in any group the stack\'s policy "{POLICY_NAME}" includes' in qe.cause


def test_a_denying_rule_fails(okta: OktaEmulator) -> None:
    seed(okta, with_bind_policy(HEALTHY, bind_rule(access="DENY")))
    check = check_okta_signon(target(okta))[0]
    assert check.status == "fail"
    assert check.detail.endswith(f'rule "{RULE_NAME}": DENY')
    assert check.cause is not None
    assert "Okta denies LDAP Interface binds" in check.cause


def test_no_rule_at_all_fails(okta: OktaEmulator) -> None:
    only = replace(BIND_POLICY, rules=BIND_POLICY.rules[:1])
    seed(okta, Org(policies=(only,), everyone_group_id=EVERYONE))
    okta.user_groups[IMMUTA] = [EVERYONE]
    check = check_okta_signon(target(okta))[0]
    assert (check.status, check.detail) == (
        "fail",
        "no sign-on rule applies to its LDAP Interface binds",
    )
    assert check.fix is not None


def test_conditions_the_model_cannot_evaluate_make_it_uncertain(okta: OktaEmulator) -> None:
    _, rules = org_to_api(HEALTHY)
    zoned = rules[BIND_POLICY.id]
    zoned[0]["conditions"]["network"] = {"connection": "ZONE", "include": ["nzoOffice"]}
    seed(okta, HEALTHY, raw_rules={BIND_POLICY.id: zoned})
    check = check_okta_signon(target(okta))[0]
    assert check.status == "fail"
    assert check.detail.startswith("uncertain: ")
    assert check.cause is not None
    assert "rule condition network" in check.cause
    assert "nzoOffice" in check.cause
    assert 'rule "Deny other sign-ins": DENY' in check.cause  # what happens otherwise


def test_uncertainty_that_cannot_change_the_outcome_still_passes(okta: OktaEmulator) -> None:
    _, rules = org_to_api(HEALTHY)
    zoned = rules[BIND_POLICY.id]
    zoned[0]["conditions"]["network"] = {"connection": "ZONE", "include": ["nzoOffice"]}
    zoned[1]["actions"]["signon"]["access"] = "ALLOW"  # otherwise: ALLOW, no MFA as well
    seed(okta, HEALTHY, raw_rules={BIND_POLICY.id: zoned})
    check = check_okta_signon(target(okta))[0]
    assert check.status == "pass"
    assert "every possible rule allows it" in check.detail


def test_a_deleted_bind_account_fails_that_account_only(okta: OktaEmulator) -> None:
    gone = "00uDeleted00000000001"
    checks = check_okta_signon(
        target(okta, bind_account_ids=(("immuta", IMMUTA), ("queryEngine", gone)))
    )
    assert [c.status for c in checks] == ["pass", "fail"]
    assert checks[1].detail == f"Okta has no user {gone}"


def test_shared_mode_reads_and_reports_the_one_account_once(okta: OktaEmulator) -> None:
    checks = check_okta_signon(target(okta, bind_account_ids=(("immuta", QE), ("queryEngine", QE))))
    assert len(checks) == 1
    assert "immuta and queryEngine account" in checks[0].name
    assert okta.count(r"/api/v1/users/.*/groups") == 1


def test_no_token_skips_and_says_how_to_set_one(okta: OktaEmulator) -> None:
    (check,) = check_okta_signon(target(okta, okta=None))
    assert (check.number, check.name, check.status) == (7, NAME, "skip")
    assert "OKTA_API_TOKEN" in check.detail
    assert "pulumi config set --secret okta:apiToken" in check.detail
    assert okta.requests == []


def test_a_refused_token_fails_clearly_without_the_token(okta: OktaEmulator) -> None:
    wrong = "00Wrong-Token-Canary-" + okta.token[-6:]
    checks = check_okta_signon(target(okta, token=wrong))
    (check,) = checks
    assert (check.number, check.name, check.status) == (7, NAME, "fail")
    assert check.cause is not None
    assert "Okta refused the API token" in check.cause
    assert "HTTP 401" in check.cause
    assert check.fix is not None
    assert "Read-Only Administrator" in check.fix
    assert wrong not in texts(checks) + render(checks)


def test_a_forbidden_endpoint_is_named(okta: OktaEmulator) -> None:
    okta.forbid(r"/api/v1/users/[^/]+/groups")
    (check,) = check_okta_signon(target(okta))
    assert check.status == "fail"
    assert check.cause is not None
    assert f"GET /api/v1/users/{IMMUTA}/groups" in check.cause
    assert "Read-Only Administrator" in check.cause


# --- the whole verify run ------------------------------------------------------------------


@pytest.fixture
def run(
    okta: OktaEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """`python -m verify --okta-url <emulator>` in-process: (exit code, printed text)."""
    return verify_against(
        okta, tmp_path, monkeypatch, capsys, root_dn="dc=acme-dev,dc=oktapreview,dc=com",
        account_ids={"immuta": IMMUTA, "queryEngine": QE}, bind_password=BIND_PASSWORD,
    )  # fmt: skip


def secret(value: str) -> dict[str, Any]:
    return {"value": value, "secret": True}


def test_the_rendered_run_names_the_rule_and_holds_no_token(okta: OktaEmulator, run: Any) -> None:
    code, text = run({"okta:apiToken": secret(okta.token)})
    assert code == 1  # check 1: no LDAP server here
    sevens = [line for line in text.splitlines() if " 7 " in line[:8]]
    assert [line[:6] for line in sevens] == ["PASS 7", "PASS 7"]
    assert all(f'rule "{RULE_NAME}": ALLOW, no MFA' in line for line in sevens)
    assert okta.token not in text
    assert BIND_PASSWORD not in text
    seed(okta, with_bind_policy(HEALTHY, None))
    code, text = run({"okta:apiToken": secret(okta.token)}, "--json")
    result = json.loads(text)
    assert [(c["number"], c["status"]) for c in result["checks"] if c["number"] == 7] == [
        (7, "fail"),
        (7, "fail"),
    ]
    assert okta.token not in text


def test_the_token_can_come_from_the_environment(
    okta: OktaEmulator, run: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OKTA_API_TOKEN", okta.token)
    _, text = run({}, "--json")
    assert [c["status"] for c in json.loads(text)["checks"] if c["number"] == 7] == ["pass"] * 2
    assert okta.token not in text


def test_a_refused_token_in_the_whole_run_prints_no_token(okta: OktaEmulator, run: Any) -> None:
    wrong = "00Wrong-Token-Canary-abcdef"
    code, text = run({"okta:apiToken": secret(wrong)})
    assert code == 1
    assert f"FAIL 7 {NAME}: cannot read the org's sign-on policies" in text
    assert "likely cause: Okta refused the API token" in text
    assert wrong not in text
    assert okta.token not in text


def test_the_whole_run_skips_without_credentials_and_refuses_half_an_oauth_config(
    okta: OktaEmulator, run: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    _, text = run({})
    assert f"SKIP 7 {NAME}: no Okta credentials: set OKTA_API_TOKEN" in text
    assert "okta:clientId, okta:privateKeyId, okta:privateKey, okta:scopes" in text
    code, text = run({"okta:privateKey": secret("-----BEGIN PRIVATE KEY-----canary")})
    assert code == 2
    assert "canary" not in text + capsys.readouterr().err
    assert okta.requests == []


def test_a_plain_http_okta_url_off_loopback_is_an_input_error(run: Any) -> None:
    code, _ = run({"okta:apiToken": secret("tok-1234567")}, "--okta-url", "http://okta.example")
    assert code == 2


def test_an_enrollment_policy_that_requires_a_factor_fails(okta: OktaEmulator) -> None:
    strict = enrollment_policy(
        "00pEnrollDefault", 1, [EVERYONE], system=True, okta_password="REQUIRED",
        okta_verify="REQUIRED",
    )  # fmt: skip
    seed(okta, HEALTHY, enrollment=[strict])
    checks = check_okta_signon(target(okta))
    assert [c.status for c in checks] == ["fail", "fail"]
    assert "requires okta_verify" in checks[0].detail
    assert "can never enroll" in (checks[0].cause or "")
    assert f"{POLICY_NAME} (MFA enrollment)" in (checks[0].fix or "")


def test_the_bind_groups_enrollment_policy_decides_when_it_has_a_rule(okta: OktaEmulator) -> None:
    strict = enrollment_policy(
        "00pEnrollDefault", 2, [EVERYONE], system=True, okta_verify="REQUIRED"
    )
    ours = enrollment_policy("00pEnrollBind", 1, [BIND_GROUP], okta_password="REQUIRED")
    seed(okta, HEALTHY, {"00pEnrollBind": [ENROLL_RULE]}, enrollment=[ours, strict])
    checks = check_okta_signon(target(okta))
    assert [c.status for c in checks] == ["pass", "pass"]
    assert '"enrollment 00pEnrollBind" (priority 1) requires no factor' in checks[0].detail
    # Without a rule Okta never applies it: the default one decides again.
    seed(okta, HEALTHY, enrollment=[ours, strict])
    assert [c.status for c in check_okta_signon(target(okta))] == ["fail", "fail"]


def test_enrollment_settings_in_an_unknown_shape_are_unknowable(okta: OktaEmulator) -> None:
    odd = dict(DEFAULT_ENROLLMENT, settings={"type": "SOMETHING_NEW"})
    seed(okta, HEALTHY, enrollment=[odd])
    check = check_okta_signon(target(okta))[0]
    assert check.status == "fail"
    assert check.detail.startswith("unknowable: MFA enrollment policy")


@pytest.mark.parametrize("dpop", [False, True])
def test_checks_7_and_8_give_the_same_results_with_oauth_as_with_an_api_token(
    okta: OktaEmulator, run: Any, dpop: bool
) -> None:
    okta.policies.append(bodies.REAL_DEFAULT_PASSWORD_POLICY)
    by_token = run({"okta:apiToken": secret(okta.token)})
    app = service_app(okta, dpop=dpop)
    by_oauth = run(as_cli_config(app))
    assert by_oauth == by_token
    _, text = by_oauth
    assert "PASS 7 Okta sign-on decides the immuta account" in text
    assert "PASS 8 the immuta account's password does not expire unnoticed" in text
    assert okta.oauth.token_requests == (3 if dpop else 1)  # one token for checks 7 and 8
    for leaked in (app["okta:privateKey"], *okta.oauth.secrets()):
        assert leaked not in text


# --- several stacks of this project in one org -------------------------------------------

OTHER_GROUP = "00gBindStaging0000001"
OTHER_POLICY = "Immuta LDAP bind accounts (staging)"
OTHER_MFA = "Immuta LDAP (staging): require MFA"
OTHERS = (
    (OTHER_POLICY, "stack staging (stacks/Pulumi.staging.yaml)"),
    (OTHER_MFA, "stack staging (stacks/Pulumi.staging.yaml)"),
)


def two_stacks(*, ours: bool = True) -> Org:
    """Another stack's bind policy created after ours (so above it), its Everyone MFA policy
    last; ours, when present, second."""
    other_bind = Policy(
        id="00pBindStaging0000001",
        name=OTHER_POLICY,
        priority=1,
        groups_included=frozenset({OTHER_GROUP}),
        rules=(rule("0prStagingLdap", RULE_NAME, 1, authtype="LDAP_INTERFACE"),),
    )
    other_mfa = replace(MFA, id="00pMfaStaging00000001", name=OTHER_MFA)
    policies = [other_bind, *([BIND_POLICY] if ours else []), other_mfa, DEFAULT]
    return Org(
        policies=tuple(replace(p, priority=n) for n, p in enumerate(policies, 1)),
        everyone_group_id=EVERYONE,
    )


def test_below_another_stacks_bind_policy_it_passes_and_names_that_stack(
    okta_server: OktaEmulator,
) -> None:
    seed(okta_server, two_stacks())
    checks = check_okta_signon(target(okta_server, other_stacks=OTHERS))
    assert [c.status for c in checks] == ["pass", "pass"]
    detail = checks[0].detail
    assert f'policy "{POLICY_NAME}" (priority 2), rule "{RULE_NAME}": ALLOW, no MFA' in detail
    assert f"above it, other stacks' policies: \"{OTHER_POLICY}\" (another stack's: stack " in (
        detail
    )
    assert "stacks/Pulumi.staging.yaml" in detail


def test_another_stacks_mfa_policy_deciding_is_named_as_theirs(okta_server: OktaEmulator) -> None:
    seed(okta_server, two_stacks(ours=False))
    checks = check_okta_signon(target(okta_server, other_stacks=OTHERS))
    assert [c.status for c in checks] == ["fail", "fail"]
    cause = checks[0].cause or ""
    assert f'policy "{OTHER_MFA}" (another stack\'s: stack staging' in cause
    assert f'bind-account policy "{POLICY_NAME}" does not exist in Okta' in cause


def test_verify_reads_the_other_stacks_of_the_org_from_their_stack_files() -> None:
    from verify.inputs import load_config, other_stacks

    found = dict(other_stacks(load_config("example-blue", None), "example-blue"))
    assert found == {
        "Immuta LDAP bind accounts (example-green)": (
            "stack example-green (stacks/Pulumi.example-green.yaml)"
        )
    }
    assert other_stacks(load_config("dev", None), "dev") == ()  # alone in its org
