"""`python -m adopt` against the manual setup the seed document produces, served by the local
emulators: every resource of the program that exists is mapped, the import file lines up with
what the program registers under mocks, nothing is written, every object is read at most once,
secrets stay masked, and a second run says the same."""

from __future__ import annotations

import collections
import json
from collections.abc import Callable
from typing import Any

import pytest

from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.kubernetes_emulator import KubernetesEmulator
from rehearsal.okta_emulator import OktaEmulator
from tests.support.okta_oauth import as_cli_config, service_app
from tests.unit.adopt.manual_setup import (
    BIND_ID,
    BIND_PASSWORD,
    HEALTHY_CHANGES,
    P,
    Run,
    assert_lines_up,
    registrations,
)

RunAdopt = Callable[..., Run]


def test_the_manual_setup_is_mapped_onto_the_programs_resources(run_adopt: RunAdopt) -> None:
    run = run_adopt(json_out=True)
    assert run.code == 0, run.err
    body = json.loads(run.out)
    assert body["written"] is False
    assert body["blocked"] is False
    assert body["config"] == HEALTHY_CHANGES
    ids = {r["name"]: r.get("id") for r in run.import_file["resources"]}
    assert ids == {
        "ldap-bind-accounts": None,
        "query-engine": None,
        "ldap-bind-immuta": BIND_ID,
        "ldap-bind-immuta-roles": BIND_ID,
        "immuta": "immuta/immuta",
    }
    components = {r["name"] for r in run.import_file["resources"] if r.get("component")}
    assert components == {"ldap-bind-accounts", "query-engine"}
    # The IAM is a dynamic resource: adopted through config, never in the import file.
    assert not any(
        r["type"] == "pulumi-python:dynamic:Resource" for r in run.import_file["resources"]
    )
    adopted_by_config = body["findings"]["adopt-config"]
    assert [f["subject"] for f in adopted_by_config] == [
        "pulumi-python:dynamic:Resource immuta-ldap-iam"
    ]


def test_the_import_files_names_and_parents_are_what_the_program_registers(
    run_adopt: RunAdopt,
) -> None:
    run = run_adopt()
    assert_lines_up(run, "prod", HEALTHY_CHANGES)


def test_every_custom_resource_of_the_program_has_one_verdict(run_adopt: RunAdopt) -> None:
    body = json.loads(run_adopt(json_out=True).out)
    verdicts: collections.Counter[str] = collections.Counter()
    for section in ("adopt", "adopt-config", "create", "decide"):
        verdicts.update(f["subject"] for f in body["findings"][section])
    regs = registrations("prod", HEALTHY_CHANGES)
    customs = {f"{r.type} {r.name}" for r in regs.values() if r.custom}
    assert {s: n for s, n in verdicts.items() if s in customs} == dict.fromkeys(customs, 1)


def test_nothing_is_written_and_each_object_is_read_once(
    run_adopt: RunAdopt,
    okta_emu: OktaEmulator,
    emulator: ImmutaEmulator,
    kube_emu: KubernetesEmulator,
) -> None:
    assert run_adopt().code == 0
    assert {r.method for r in okta_emu.requests} == {"GET"}
    assert {r.method for r in kube_emu.requests} == {"GET"}
    writes = [(r.method, r.path) for r in emulator.requests if r.method != "GET"]
    assert set(writes) <= {("POST", "/bim/apikey/authenticate")}
    assert not emulator.syncs
    okta_reads = collections.Counter(
        (r.path, tuple(sorted(r.query.items()))) for r in okta_emu.requests
    )
    assert max(okta_reads.values()) == 1, okta_reads
    assert collections.Counter(r.path for r in emulator.requests if r.method == "GET") == {
        "/bim/iam": 1,
        "/configuration": 1,
    }
    assert len(kube_emu.requests) == 1


def test_the_report_shows_the_hand_written_line_beside_the_rendered_one(
    run_adopt: RunAdopt,
) -> None:
    out = run_adopt().out
    today = next(line for line in out.splitlines() if line.strip().startswith("today:"))
    assert "+okta_user ldap ldapserver=" in today  # no address column
    assert "ldapbindpasswd=[secret]" in today
    after = [line for line in out.splitlines() if line.strip().startswith("after up:")]
    assert [a.split()[5] for a in after] == ["0.0.0.0/0", "::/0"]
    for aspect in (
        "address column",
        "(missing)",
        "TLS",
        "ldaps",
        "starttls",
        "quoting",
        "PostgreSQL 15",
        "not a method PostgreSQL knows",
    ):
        assert aspect in out, aspect
    assert "the same DN (blanks only)" in out  # ldapbasedn "ou=users, dc=acme, ..."


def test_the_report_says_what_is_adopted_created_and_changed(run_adopt: RunAdopt) -> None:
    out = run_adopt().out
    flat = " ".join(out.split())
    sections = [line for line in out.splitlines() if line and not line.startswith(" ")]
    assert sections[:1] == [
        "Adoption of stack 'prod' (project okta-ldap-immuta): read only, nothing was written"
    ]
    for title in (
        "Adopted with `pulumi import`",
        "Adopted through stack config",
        "Created by the first `pulumi up`",
        "Changed by the first `pulumi up`",
        "Stays as it is",
        "Config changes the stack needs",
        "Next",
    ):
        assert any(s.startswith(title) for s in sections), title
    assert "Needs your decision" not in out
    assert "1. 'Immuta LDAP bind accounts' (new)" in out
    assert "2. 'Require MFA' (today 1)" in out
    assert "excludes bind account(s) svc-immuta-ldap@acme.example" in flat
    assert "global.imageRegistry" in out  # a hand-set Helm value the stack would drop
    assert "options.debug" in out  # an IAM option the stack does not write
    assert 'groupMembershipAttributes: null -> ["uniquemember"]' in out  # groups come through
    assert "pulumi config set --stack prod okta-ldap-immuta:immutaIamAdopt -- 'true'" in out
    assert "--generate-code=false" in out
    assert "pulumi preview --stack prod --diff" in out


def test_secrets_stay_masked_everywhere(
    run_adopt: RunAdopt, okta_emu: OktaEmulator, emulator: ImmutaEmulator
) -> None:
    text, as_json = run_adopt(), run_adopt(json_out=True)
    for output in (text.out, text.err, text.import_text, as_json.out):
        for secret in (BIND_PASSWORD, okta_emu.token, emulator.api_key, *emulator.issued_tokens):
            assert secret not in output
    assert "[secret]" in text.out


def test_a_second_run_gives_the_same_output(run_adopt: RunAdopt) -> None:
    first, second = run_adopt(), run_adopt(reseed=False)
    assert (second.code, second.out, second.import_text) == (
        first.code,
        first.out,
        first.import_text,
    )


def test_once_the_config_changes_are_applied_nothing_more_is_proposed(run_adopt: RunAdopt) -> None:
    first = run_adopt(json_out=True)
    changes = {k.removeprefix(P): v for k, v in json.loads(first.out)["config"].items()}
    again = run_adopt(extra=changes, json_out=True)
    assert json.loads(again.out)["config"] == {}
    assert again.import_file == first.import_file


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_other_stacks_line_up_too(run_adopt: RunAdopt, stack: str) -> None:
    """Other orgs (acme-dev, acme-staging): the seeded objects mostly do not match their facts,
    and whatever is mapped still lines up with the program's URNs."""
    run = run_adopt(stack=stack, json_out=True)
    assert run.code in (0, 1), run.err
    assert_lines_up(run, stack, json.loads(run.out)["config"])


@pytest.mark.parametrize("dpop", [False, True])
def test_adopt_reads_the_same_with_oauth_as_with_an_api_token(
    run_adopt: RunAdopt, okta_emu: OktaEmulator, dpop: bool
) -> None:
    by_token = run_adopt()
    app: dict[str, str] = {}

    def oauth(emu: OktaEmulator) -> dict[str, Any]:
        app.update(service_app(emu, dpop=dpop))
        return as_cli_config(app)

    by_oauth = run_adopt(oauth=oauth)
    assert (by_oauth.code, by_oauth.out, by_oauth.import_text) == (
        by_token.code,
        by_token.out,
        by_token.import_text,
    )
    # One POST, the token request; everything else read with GET.
    posts = [r.path for r in okta_emu.requests if r.method != "GET"]
    assert posts == ["/oauth2/v1/token"] * (3 if dpop else 1)
    for leaked in (app["okta:privateKey"], *okta_emu.oauth.secrets()):
        assert leaked not in by_oauth.out + by_oauth.err
