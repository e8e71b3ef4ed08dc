"""The rendered plan: engine plumbing hidden and said so; what a reviewer judges kept."""

from __future__ import annotations

import json
from typing import Any

from offline_plan.render import to_json, to_text
from rehearsal.mock_engine import PlanResult, Registration
from rehearsal.stack_config import StackConfig

DYNAMIC = "pulumi-python:dynamic:Resource"
RELEASE = "kubernetes:helm.sh/v3:Release"


def plan_of(*resources: Registration) -> PlanResult:
    stack = StackConfig("okta-ldap-immuta", "dev", {"okta:orgName": "acme"}, ())
    return PlanResult(stack=stack, resources=list(resources), outputs={}, invokes=[])


def resource(type_: str, name: str, **inputs: Any) -> Registration:
    return Registration(type_, name, f"urn:{name}", "", True, inputs)


def test_dev_hides_the_provider_blob_and_helm_compat_and_says_so(run_stack: Any) -> None:
    plan = run_stack("dev")
    assert "__provider" in plan.only(DYNAMIC).inputs  # the program does register them...
    assert plan.only(RELEASE).inputs["compat"] == "true"
    text = to_text(plan)
    assert "__provider:" not in text  # ...the plan does not show them
    assert "compat:" not in text
    header = text.split("\n\n")[0]
    assert "# Hidden inputs (engine plumbing, not desired state): __provider (" in header
    assert "compat (a constant the Kubernetes SDK adds to every" in header
    doc = json.loads(to_json(plan))
    assert set(doc["omittedInputs"]) == {"__provider", "compat"}
    for r in doc["resources"]:
        assert not {"__provider", "compat"} & set(r["inputs"]), r["name"]


def test_options_a_reviewer_judges_stay(run_stack: Any) -> None:
    text = to_text(run_stack("dev"))
    release = text[text.index(f"+ {RELEASE} immuta") :]
    assert '        additionalSecretOutputs: ["values"]' in release
    assert '        dependsOn: ["immuta-ldap-iam",' in release
    assert '        chart: "immuta"' in release  # the inputs stay


def test_compat_of_another_type_is_desired_state() -> None:
    text = to_text(plan_of(resource("acme:index:Thing", "t", compat="v2")))
    assert '      compat: "v2"' in text
    assert "Hidden inputs" not in text  # nothing hidden, nothing said


def test_the_note_names_only_what_this_plan_hides() -> None:
    text = to_text(plan_of(resource(DYNAMIC, "d", __provider="blob", host="h")))
    assert "# Hidden inputs (engine plumbing, not desired state): __provider (" in text
    assert "compat" not in text
    assert '      host: "h"' in text
    assert json.loads(to_json(plan_of(resource(DYNAMIC, "d", __provider="b"))))[
        "omittedInputs"
    ] == {"__provider": "the dynamic provider's serialized code, stored by the engine"}


def test_the_header_says_plus_means_declared() -> None:
    header = to_text(plan_of()).split("\n\n")[0]
    assert "# `+` marks a resource the stack declares: this is the whole desired state" in header
    assert "`make plan-diff` shows what changes" in header
