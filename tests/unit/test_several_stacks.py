"""Several stacks of this project side by side: one Okta org, one Immuta, one cluster.

Stack files are written into a temporary project (Pulumi.yaml copied), so every case names its
own pair; the committed example pair (stacks/Pulumi.example-*.yaml) is checked as it stands.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from components.config import PROJECT_ROOT, SettingsError
from offline_plan.__main__ import main as offline_plan
from rehearsal import mock_engine
from rehearsal.mock_engine import run_program
from rehearsal.okta_plan import SIGNON
from rehearsal.stack_config import load_stack_config

P = "okta-ldap-immuta:"
BASE = {
    "okta:orgName": "shared",
    "okta:baseUrl": "oktapreview.com",
    P + "immutaIamId": "okta_a",
    P + "helmChartVersion": "4.13.5",
    P + "immutaUrl": "https://immuta.example.com",
}


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "stack_matrix", PROJECT_ROOT / "scripts" / "stack_matrix.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


stack_matrix = _load_script()


def project(tmp: Path, stacks: dict[str, dict[str, object]], header: str = "") -> Path:
    (tmp / "stacks").mkdir()
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp / "Pulumi.yaml")
    for name, config in stacks.items():
        text = header + yaml.safe_dump({"config": config}, sort_keys=True)
        (tmp / "stacks" / f"Pulumi.{name}.yaml").write_text(text)
    return tmp


def pair(**b: object) -> dict[str, dict[str, object]]:
    """Stack a and stack b of one org, Immuta and cluster, distinct unless `b` overrides."""
    a = {**BASE, P + "immutaBindLogin": "svc-a@example.com", "kubernetes:context": "nonprod"}
    other = {
        **BASE,
        P + "immutaBindLogin": "svc-b@example.com",
        P + "immutaIamId": "okta_b",
        P + "helmNamespace": "immuta-b",
        "kubernetes:context": "nonprod",
    }
    a[P + "queryEngineBindLogin"] = "svc-qe-a@example.com"
    other[P + "queryEngineBindLogin"] = "svc-qe-b@example.com"
    other.update({(k if ":" in k else P + k): v for k, v in b.items()})
    return {"a": a, "b": other}


def problems_of(root: Path, stack: str) -> list[str]:
    try:
        load_stack_config(stack, root).settings()
    except SettingsError as exc:
        return [str(p) for p in exc.problems]
    return []


# --- names carry the stack; a deployed stack keeps its own ----------------------------------


def test_two_stacks_of_one_org_plan_with_distinct_names(tmp_path: Path) -> None:
    root = project(tmp_path, pair(mfaPolicyGroups=["Everyone"]))
    names = {}
    for stack in ("a", "b"):
        assert problems_of(root, stack) == []
        plan = run_program(load_stack_config(stack, root))
        names[stack] = {r.inputs["name"] for r in plan.resources if "name" in r.inputs}
        assert f"Immuta LDAP bind accounts ({stack})" in names[stack]
    okta_objects = {n for n in names["a"] | names["b"] if "Immuta LDAP" in n}
    assert names["a"] & names["b"] & okta_objects == set()
    assert "Immuta LDAP (b): require MFA" in names["b"]


def test_the_committed_example_pair_shares_an_org_and_nothing_else() -> None:
    blue, green = (load_stack_config(s) for s in ("example-blue", "example-green"))
    for cfg in (blue, green):
        assert cfg.settings()  # no clash, each with the other as a peer
        assert {p.stack for p in cfg.peers} >= {"example-blue", "example-green"} - {cfg.stack}
    b, g = blue.settings(), green.settings()
    assert b.bind_policy.org_stacks == g.bind_policy.org_stacks == 2
    assert b.bind_policy.group_name != g.bind_policy.group_name
    assert b.bind_policy.policy_name != g.bind_policy.policy_name


def test_dev_and_prod_keep_the_names_they_were_deployed_with() -> None:
    for stack in ("dev", "prod"):
        settings = load_stack_config(stack).settings()
        assert settings.bind_policy.group_name == "Immuta LDAP bind accounts"
        assert settings.bind_policy.policy_name == "Immuta LDAP bind accounts"
        assert settings.bind_policy.org_stacks == 1  # alone in its org: placement unchanged


def test_a_stack_name_placeholder_in_an_explicit_name(tmp_path: Path) -> None:
    root = project(tmp_path, {"a": {**pair()["a"], P + "bindGroupName": "LDAP {stack} {x}"}})
    assert load_stack_config("a", root).settings().bind_policy.group_name == "LDAP a {x}"


# --- where the policies sit ------------------------------------------------------------------


def _policies(root: Path, stack: str) -> dict[str, tuple[object, list[str]]]:
    plan = run_program(load_stack_config(stack, root))
    return {
        r.inputs["name"]: (r.inputs.get("priority"), r.options.get("ignoreChanges", []))
        for r in plan.of_type(SIGNON)
    }


def test_alone_in_its_org_the_stack_enforces_priorities_1_and_2(tmp_path: Path) -> None:
    root = project(tmp_path, {"a": {**pair()["a"], P + "mfaPolicyGroups": ["Everyone"]}})
    assert _policies(root, "a") == {
        "Immuta LDAP bind accounts (a)": (1, []),
        "Immuta LDAP (a): require MFA": (2, []),
    }


def test_beside_another_stack_the_priorities_are_placed_not_forced(tmp_path: Path) -> None:
    root = project(tmp_path, pair(mfaPolicyGroups=["Everyone"]))
    assert _policies(root, "b") == {
        "Immuta LDAP bind accounts (b)": (1, ["priority"]),  # created at the top, then left
        "Immuta LDAP (b): require MFA": (None, []),  # Okta puts it last
    }


def test_the_plan_summary_says_where_the_policies_sit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(tmp_path, pair(mfaPolicyGroups=["Everyone"]))
    assert offline_plan(["--stack", "b", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    assert "this Okta org holds 2 stacks of this project (a, b)" in out
    assert "at priority 1 when created (the top), then left where Okta moves it" in out
    assert "'Immuta LDAP (b): require MFA' at the bottom (just above Okta's default" in out


# --- clashes across stack files, refused before anything runs --------------------------------


@pytest.mark.parametrize(
    ("b", "key", "words"),
    [
        ({"bindGroupName": "Immuta LDAP bind accounts (a)"}, "bindGroupName", "Okta group"),
        ({"bindPolicyName": "immuta ldap BIND accounts (a)"}, "bindPolicyName", "policy"),
        (
            {"mfaPolicyGroups": ["Everyone"], "mfaPolicyName": "Immuta LDAP bind accounts (a)"},
            "mfaPolicyName",
            "policy",
        ),
        ({"immutaBindLogin": "SVC-A@example.com"}, "immutaBindLogin", "bind login"),
        (
            {"bindAccountRotation": "alternating", "queryEngineBindLogin": "svc-qe-a@example.com"},
            "queryEngineBindLogin",
            "bind login",
        ),
        (
            {"immutaIamId": "okta_a", "immutaUrl": "HTTPS://Immuta.example.com:443/"},
            "immutaIamId",
            "IAM",
        ),
        ({"helmNamespace": "immuta"}, "helmReleaseName", "Helm release"),
    ],
)
def test_a_clash_is_refused_naming_both_files(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    b: dict[str, object],
    key: str,
    words: str,
) -> None:
    root = project(tmp_path, pair(**b))
    assert offline_plan(["--stack", "b", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "stacks/Pulumi.b.yaml" in err
    assert "stacks/Pulumi.a.yaml" in err
    assert f"{P}{key}" in err
    assert words in err
    assert "Traceback" not in err


def test_an_alternating_stack_claims_its_b_logins_too(tmp_path: Path) -> None:
    stacks = pair(queryEngineBindLogin="svc-qe-a-b@example.com")
    stacks["a"][P + "bindAccountRotation"] = "alternating"
    problems = problems_of(project(tmp_path, stacks), "b")
    assert len(problems) == 1
    assert "queryEngineBindLogin (B account)" in problems[0]
    assert "stacks/Pulumi.a.yaml" in problems[0]


def test_the_program_refuses_a_clash_before_registering_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[str] = []
    real = mock_engine._RecordingMonitor.RegisterResource
    monkeypatch.setattr(
        mock_engine._RecordingMonitor,
        "RegisterResource",
        lambda self, request: registered.append(request.type) or real(self, request),
    )
    root = project(tmp_path, pair(immutaIamId="okta_a"))
    # The program itself (not the offline check first): it reads the other stack files there.
    config = dataclasses.replace(load_stack_config("b", root), peers=())
    with pytest.raises(Exception, match="immutaIamId") as caught:
        run_program(config)
    assert "stacks/Pulumi.a.yaml" in str(caught.value)
    assert "stacks/Pulumi.b.yaml" in str(caught.value)
    assert [t for t in registered if t != "pulumi:pulumi:Stack"] == []


@pytest.mark.parametrize(
    "b",
    [
        {"okta:orgName": "other"},  # another org: the same names are fine
        {"okta:baseUrl": "okta.com"},  # same subdomain, another Okta cell: another org
        {"immutaUrl": "https://immuta-2.example.com", "immutaIamId": "okta_a"},
        {"kubernetes:context": "prod", "helmNamespace": "immuta"},  # another cluster
    ],
)
def test_what_is_not_a_clash(tmp_path: Path, b: dict[str, object]) -> None:
    same_names = {"bindGroupName": "Immuta LDAP bind accounts (a)"} if "okta:" in str(b) else {}
    if same_names:
        b = {**b, **same_names, "immutaBindLogin": "svc-a@example.com"}
    root = project(tmp_path, pair(**b))
    assert problems_of(root, "b") == []


def test_stacks_without_a_named_cluster_are_not_compared(tmp_path: Path) -> None:
    stacks = pair(helmNamespace="immuta")
    for config in stacks.values():
        config.pop("kubernetes:context")
    assert problems_of(project(tmp_path, stacks), "b") == []


# --- the CI matrix comes from the stack files ------------------------------------------------


def test_the_matrix_lists_every_stack_file_but_the_examples() -> None:
    found = stack_matrix.matrix(PROJECT_ROOT)
    files = sorted(p.name for p in (PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml"))
    examples = [
        f for f in files if "# stack-role: example" in (PROJECT_ROOT / "stacks" / f).read_text()
    ]
    assert examples == ["Pulumi.example-blue.yaml", "Pulumi.example-green.yaml"]
    listed = [f"Pulumi.{s['stack']}.yaml" for s in found["preview"]]
    assert listed == [f for f in files if f not in examples]
    assert "Pulumi.staging.yaml" in listed
    assert found["deploy"] == [
        {"stack": "dev", "environment": "dev"},
        {"stack": "prod", "environment": "production"},
    ]


def test_a_new_stack_file_joins_the_matrix(tmp_path: Path) -> None:
    root = project(tmp_path, {"qa": BASE, "zeta": BASE}, header="# deploy-environment: qa-env\n")
    (root / "stacks" / "Pulumi.demo.yaml").write_text("# stack-role: example\nconfig: {}\n")
    (root / "stacks" / "Pulumi.live.yaml").write_text(
        "# deploy-environment: production\nconfig: {}\n"
    )
    found = stack_matrix.matrix(root)
    assert [s["stack"] for s in found["preview"]] == ["live", "qa", "zeta"]
    assert [d["stack"] for d in found["deploy"]] == ["qa", "zeta", "live"]  # production last


@pytest.mark.parametrize(
    ("workflow", "output"), [("preview", "preview"), ("drift", "preview"), ("deploy", "deploy")]
)
def test_the_workflows_take_their_matrix_from_the_stack_files(workflow: str, output: str) -> None:
    doc = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / f"{workflow}.yml").read_text())
    jobs = doc["jobs"]
    assert "scripts/stack_matrix.py --github-output" in json.dumps(jobs["stacks"])
    matrixed = [j for j in jobs.values() if "matrix" in j.get("strategy", {})]
    assert len(matrixed) == 1
    (job,) = matrixed
    assert job["strategy"]["matrix"] == {
        "include": f"${{{{ fromJSON(needs.stacks.outputs.{output}) }}}}"
    }
    assert "stacks" in ([job["needs"]] if isinstance(job["needs"], str) else job["needs"])


def test_a_name_too_long_once_the_stack_is_filled_in_is_refused(tmp_path: Path) -> None:
    config = {**pair()["a"], P + "bindGroupName": "x" * 90 + " {stack}"}
    root = project(tmp_path, {"a" * 10: config})
    (problem,) = problems_of(root, "a" * 10)
    assert f"{P}bindGroupName" in problem
    assert "at most 100 characters once {stack} is filled in (101 with stack" in problem
