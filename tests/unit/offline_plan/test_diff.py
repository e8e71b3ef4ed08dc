"""`make plan-diff`: the change of the desired state against the snapshot committed at a git ref,
in a throwaway git repository holding a project of one stack."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

import offline_plan.__main__ as plan_cli
from components.config import PROJECT_ROOT
from offline_plan.__main__ import main
from offline_plan.diff import summary
from rehearsal.stack_config import StackConfig, load_stack_config

P = "okta-ldap-immuta:"
BASE = {
    "okta:orgName": "acme",
    "okta:baseUrl": "okta.com",
    P + "immutaBindLogin": "svc-immuta@acme.example",
    P + "queryEngineBindLogin": "svc-qe@acme.example",
    P + "immutaIamId": "okta",
    P + "helmChartVersion": "4.13.5",
    P + "immutaUrl": "https://immuta.acme.example",
}
# The second commit: an MFA policy and its rule added, the deny rule removed, a rule renamed,
# and the (encrypted) API key changed.
CHANGED = {
    P + "mfaPolicyGroups": ["00g9d8c7b6a5z4y3x2w1"],
    P + "bindDenyOtherSignIns": False,
    P + "bindRuleName": "LDAP bind",
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com",
         "-c", "commit.gpgsign=false", *args],
        check=True, capture_output=True,
    )  # fmt: skip


def _stack_file(root: Path, config: dict[str, object], api_key: str) -> None:
    text = yaml.safe_dump({"config": config}, sort_keys=True)
    text += f"  {P}immutaApiKey:\n    secure: {api_key}\n"
    (root / "stacks" / "Pulumi.s.yaml").write_text(text)


def _commit(root: Path, message: str, tag: str = "") -> None:
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", message)
    if tag:
        _git(root, "tag", tag)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Commits: `no-snapshot` (a stack, no snapshot), `before` (its snapshot), HEAD (changed)."""
    root = tmp_path_factory.mktemp("project")
    (root / "stacks").mkdir()
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    _git(root, "init", "-q")
    _stack_file(root, BASE, "v1:CANARY-ciphertext-before")
    _commit(root, "a stack", "no-snapshot")
    assert main(["--write", "--root", str(root)]) == 0
    _commit(root, "its snapshot", "before")
    _stack_file(root, BASE | CHANGED, "v1:CANARY-ciphertext-after")
    assert main(["--write", "--root", str(root)]) == 0
    _commit(root, "changed")
    return root


def _diff(
    repo: Path, capsys: pytest.CaptureFixture[str], ref: str | None = None
) -> tuple[int, str, str]:
    code = main(["--stack", "s", "--root", str(repo), "--diff" if ref is None else f"--diff={ref}"])
    printed = capsys.readouterr()
    assert "CANARY" not in printed.out + printed.err
    return code, printed.out, printed.err


def test_no_change_against_head(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _diff(repo, capsys)  # REF left out: HEAD
    assert code == 0
    assert out == "No change: the desired state of stack 's' equals stacks/plans/s.txt at HEAD.\n"


def test_the_change_by_resource_config_and_output_then_the_text(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _diff(repo, capsys, "before")
    assert code == 0  # a change is not an error
    summary_part, _, diff_part = out.partition("\n--- ")
    assert summary_part.splitlines() == [
        "Change of stack 's': the working tree against stacks/plans/s.txt at before",
        "Resources: 3 added, 1 removed, 1 changed",
        "  + okta-ldap-immuta:okta:MfaSignOnPolicy mfa-sign-on",
        "  + okta:policy/ruleSignon:RuleSignon mfa-rule",
        "  + okta:policy/signon:Signon mfa-policy",
        "  - okta:policy/ruleSignon:RuleSignon bind-sign-on-deny-other",
        "  ~ okta:policy/ruleSignon:RuleSignon bind-sign-on-ldap-bind: name",
        "Config: 3 key(s) changed",
        "  ~ okta-ldap-immuta:bindDenyOtherSignIns: true -> false",
        '  ~ okta-ldap-immuta:bindRuleName: "LDAP Interface bind, no MFA" -> "LDAP bind"',
        '  ~ okta-ldap-immuta:mfaPolicyGroups: [] -> ["00g9d8c7b6a5z4y3x2w1"]',
        "Outputs: 1 changed",
        "  ~ mfaPolicyId",
        "Okta sign-on summary: changed (see the diff below)",
    ]
    assert diff_part.startswith(
        "stacks/plans/s.txt (before)\n+++ stacks/plans/s.txt (working tree)"
    )
    assert '-        name: "LDAP Interface bind, no MFA"' in diff_part
    assert '+        name: "LDAP bind"' in diff_part


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        ("no-such-branch", "unknown git ref 'no-such-branch'"),
        ("--output=x", "'--output=x' is not a git ref"),
        ("no-snapshot", "stacks/plans/s.txt does not exist at no-snapshot"),
    ],
)
def test_a_bad_ref_is_one_message_and_exit_code_2(
    repo: Path, capsys: pytest.CaptureFixture[str], ref: str, says: str
) -> None:
    code, out, err = _diff(repo, capsys, ref)
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {says}")
    assert len(err.splitlines()) == 1  # no traceback


def test_an_unknown_stack_names_the_stacks(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--stack", "nope", "--root", str(repo), "--diff", "HEAD"])
    assert code == 2
    assert capsys.readouterr().err == "error: no stack file stacks/Pulumi.nope.yaml (stacks: s)\n"


def test_outside_a_git_clone(
    tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(repo, tmp_path / "copy", ignore=shutil.ignore_patterns(".git"))
    code = main(["--stack", "s", "--root", str(tmp_path / "copy"), "--diff"])
    assert code == 2
    assert "git cannot read" in capsys.readouterr().err


PLAN = """\
# header
Config
  p:a = 1

Resources (1)
  + t:x:Y one
      parent: (stack)
      name: "one"
      values:
        - a

Outputs (1)
  out: 1
"""


def test_only_the_wording_changed() -> None:
    reworded = PLAN.replace("# header", "# another header")
    assert summary(PLAN, reworded) == [
        "No resource, config key or output changed: only the plan's wording"
    ]


def test_a_nested_value_an_added_key_and_an_output() -> None:
    after = (
        PLAN.replace("        - a", "        - b")
        .replace("  p:a = 1", "  p:a = 1\n  p:b = true")
        .replace("  out: 1", "  out: 2")
    )
    assert summary(PLAN, after) == [
        "Resources: 0 added, 0 removed, 1 changed",
        "  ~ t:x:Y one: values",
        "Config: 1 key(s) changed",
        "  + p:b = true",
        "Outputs: 1 changed",
        "  ~ out",
    ]


def test_secrets_the_program_gets_stay_out_of_the_diff(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the CLI would hand them decrypted: a bind password and secret Helm values."""

    def decrypted(stack: str, root: Path) -> StackConfig:
        secrets = {
            P + "immutaBindPassword": "CANARY-bind-pw-1",
            P + "helmSecretValues": json.dumps({"global": {"pullSecret": "CANARY-pull-2"}}),
        }
        return load_stack_config(stack, root).with_values(secrets, secret=True)

    monkeypatch.setattr(plan_cli, "load_stack_config", decrypted)
    code, out, _ = _diff(repo, capsys, "before")  # asserts no CANARY printed
    assert code == 0
    assert "  - random:index/randomPassword:RandomPassword ldap-bind-immuta-password" in out


def test_a_ref_that_names_no_commit_is_told_so(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blob = ["git", "-C", str(repo), "tag", "blobtag", "HEAD:stacks/plans/s.txt"]
    subprocess.run(blob, check=True, capture_output=True)
    assert main(["--stack", "s", "--root", str(repo), "--diff", "blobtag"]) == 2
    assert "git ref 'blobtag' names no commit" in capsys.readouterr().err
