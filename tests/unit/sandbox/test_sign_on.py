"""The sandbox's sign-on answer: the stack's planned policies inserted into the org before it
(Okta's default policy alone, or `--org FILE`), and the rule that decides each LDAP bind."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from components.okta.signon_model import DEFAULT_RULE_NAME, Decision, Rule
from sandbox.__main__ import running_pid
from sandbox.sign_on import DEFAULT_POLICY, OrgFileError, SignOn, evaluate, load_org
from tests.support.stacks import run_stack

EVERYONE = "00gEveryone0000000001"
DATA_TEAM = "00gDataTeam000000001"
SAMPLES = [("alice@acme.example", True), ("carol@acme.example", False)]


def rule(rid: str, name: str, n: int, *, mfa: bool = False, auth: str = "ANY") -> dict[str, Any]:
    return {
        "id": rid,
        "name": name,
        "priority": n,
        "status": "ACTIVE",
        "conditions": {"authContext": {"authType": auth}},
        "actions": {"signon": {"access": "ALLOW", "requireFactor": mfa}},
    }


def org_file(tmp_path: Path, user_groups: dict[str, list[str]] | None = None) -> Path:
    """An org whose own first policy requires MFA of everybody, for any sign-in."""
    path = tmp_path / "org.json"
    policy = {
        "id": "00pOrgMfa000000000001",
        "name": "Org: MFA for everybody",
        "priority": 1,
        "conditions": {"people": {"groups": {"include": [EVERYONE]}}},
        "rules": [rule("0prOrgMfa", "Everybody: MFA", 1, mfa=True)],
    }
    doc = {"everyoneGroupId": EVERYONE, "policies": [policy], "userGroups": user_groups or {}}
    path.write_text(json.dumps(doc))
    return path


def by_login(found: list[SignOn]) -> dict[str, SignOn]:
    return {s.login: s for s in found}


def test_an_org_with_only_the_default_policy_leaves_everyone_else_to_it() -> None:
    found = evaluate(run_stack("prod"), load_org(None), SAMPLES, ())
    binds = [s for s in found if s.kind == "bind account"]
    assert len(binds) == 2
    assert all(s.ok for s in binds)
    assert {s.decision.rule.name for s in binds if s.decision} == {"LDAP Interface bind, no MFA"}
    alice = by_login(found)["alice@acme.example"]
    assert alice.decision is not None
    assert (alice.decision.policy.name, alice.decision.rule.name) == (
        DEFAULT_POLICY.name,
        DEFAULT_RULE_NAME,
    )
    assert alice.verdict.endswith("ALLOW, no MFA")


def test_an_org_that_requires_mfa_of_everybody_still_lets_the_bind_accounts_in(
    tmp_path: Path,
) -> None:
    found = evaluate(run_stack("prod"), load_org(org_file(tmp_path)), SAMPLES, ())
    assert all(s.ok for s in found if s.kind == "bind account")
    alice = by_login(found)["alice@acme.example"]
    assert alice.decision is not None
    assert alice.decision.policy.name == "Org: MFA for everybody"
    assert alice.decision.policy.priority == 2  # moved down by the stack's bind policy
    assert alice.decision.mfa_required


def test_sample_members_are_in_the_stacks_mfa_groups_unless_the_org_file_says_otherwise(
    tmp_path: Path,
) -> None:
    plan = run_stack("dev", mfaPolicyGroups=f'["{DATA_TEAM}"]')
    found = by_login(evaluate(plan, load_org(None), SAMPLES, (DATA_TEAM,)))
    alice, carol = found["alice@acme.example"], found["carol@acme.example"]
    assert alice.decision is not None
    assert alice.decision.mfa_required
    assert carol.decision is not None
    assert not carol.decision.mfa_required
    listed = load_org(org_file(tmp_path, {"alice@acme.example": []}))
    alice = by_login(evaluate(plan, listed, SAMPLES, (DATA_TEAM,)))["alice@acme.example"]
    assert alice.decision is not None
    assert alice.decision.policy.name == "Org: MFA for everybody"  # not the stack's MFA policy


def test_a_bind_account_that_needs_mfa_fails() -> None:
    (policy,) = load_org(None).org.policies
    mfa_rule = Rule(id="r", name="MFA", priority=1, mfa_required=True)
    sign_on = SignOn("svc@acme.example", "bind account", Decision(policy, mfa_rule))
    assert not sign_on.ok
    assert SignOn("svc@acme.example", "bind account", None).ok is False
    assert SignOn("alice@acme.example", "member", Decision(policy, mfa_rule)).ok  # only shown


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"policies": [{"name": "no id"}]}', 'a policy or rule lacks "id"'),
        ("[1]", "the document is a JSON array, not an object"),
        ('{"policies": 3}', '"policies" must be a list of objects'),
        ('{"policies": [{"id": "p", "rules": 5}]}', 'each policy\'s "rules" must be a list'),
        ('{"userGroups": {"alice@acme.example": "00g1"}}', '"userGroups" must map each login'),
        ("nope", "not JSON (Expecting value at line 1, column 1)"),
        (None, "cannot read it (No such file or directory)"),
    ],
)
def test_a_bad_org_file_is_refused_with_its_path_and_what_is_allowed(
    tmp_path: Path, text: str | None, problem: str
) -> None:
    bad = tmp_path / "org.json"
    if text is not None:
        bad.write_text(text)
    with pytest.raises(OrgFileError) as info:
        load_org(bad)
    message = str(info.value)
    assert message.startswith(f"--org {bad}: {problem}")
    if text is not None and text != "nope":
        assert '{"policies": [Okta sign-on policies' in message
    # no Python internals: class names or a repr of the parsed value
    for python in ("Error:", "' object", "'int'", "'list'", "[Errno"):
        assert python not in message


def test_a_stale_pid_file_names_no_running_sandbox(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.pid"
    path.write_text(json.dumps({"pid": os.getpid()}))  # alive, but not `python -m sandbox`
    assert running_pid(path) is None
    path.write_text("not json")
    assert running_pid(path) is None
    assert running_pid(tmp_path / "missing.pid") is None
