"""Bind password rotation: consumers update only after Okta holds the new password."""

from __future__ import annotations

from typing import Any

from rehearsal.mock_engine import PlanResult
from tests.support.stacks import HELM_RELEASE

USER = "okta:user/user:User"
IAM = "pulumi-python:dynamic:Resource"
PASSWORD = "random:index/randomPassword:RandomPassword"


def urn_of(plan: PlanResult, name: str) -> str:
    return next(r.urn for r in plan.resources if r.name == name)


def test_immuta_and_the_query_engine_wait_for_their_okta_user(run_stack: Any) -> None:
    plan = run_stack()
    iam_deps = plan.only(IAM).property_dependencies["bindPassword"]
    assert urn_of(plan, "ldap-bind-immuta") in iam_deps
    assert urn_of(plan, "ldap-bind-query-engine") not in iam_deps
    values_deps = plan.only(HELM_RELEASE).property_dependencies["values"]
    assert urn_of(plan, "ldap-bind-query-engine") in values_deps
    assert urn_of(plan, "immuta-ldap-iam") in values_deps  # the role follows the IAM
    assert urn_of(plan, "ldap-bind-immuta") not in values_deps


def test_rotation_trigger_renews_only_generated_passwords(run_stack: Any) -> None:
    before = run_stack(secret_keys={"queryEngineBindPassword": "Configured-Bind-Pw-1"})
    after = run_stack(
        bindPasswordRotation="2026-12",
        secret_keys={"queryEngineBindPassword": "Configured-Bind-Pw-1"},
    )
    (old,) = before.of_type(PASSWORD)  # only the Immuta account's password is generated
    (new,) = after.of_type(PASSWORD)
    assert old.inputs["keepers"] == {"rotation": ""}
    assert new.inputs["keepers"] == {"rotation": "2026-12"}
    assert {k: v for k, v in old.inputs.items() if k != "keepers"} == {
        k: v for k, v in new.inputs.items() if k != "keepers"
    }


def test_alternating_rotation_switches_consumers_to_the_renewed_account(run_stack: Any) -> None:
    before = run_stack(bindAccountRotation="alternating", bindRotationCount="0")
    after = run_stack(bindAccountRotation="alternating", bindRotationCount="1")
    keepers = {r.name: r.inputs["keepers"] for r in after.of_type(PASSWORD)}
    old = {r.name: r.inputs["keepers"] for r in before.of_type(PASSWORD)}
    renewed = {name for name in keepers if keepers[name] != old[name]}
    assert renewed == {"ldap-bind-immuta-b-password", "ldap-bind-query-engine-b-password"}
    assert before.outputs["bindActiveLogins"]["queryEngine"] == "svc-immuta-qe-ldap@acme.example"
    assert after.outputs["bindActiveLogins"]["queryEngine"] == "svc-immuta-qe-ldap-b@acme.example"
    # The consumers take the password through the renewed user, so Okta has it first.
    iam = after.only(IAM)
    assert urn_of(after, "ldap-bind-immuta-b") in iam.property_dependencies["bindPassword"]
    release = after.only(HELM_RELEASE)
    assert urn_of(after, "ldap-bind-query-engine-b") in release.property_dependencies["values"]
    # Switching from single mode keeps account A and its password (same names and keepers).
    single = run_stack()
    assert {r.name: r.inputs["keepers"] for r in single.of_type(PASSWORD)} == {
        k: v for k, v in old.items() if "-b-" not in k
    }
