"""What `make adopt` writes against the Pulumi CLI's own import-file rules
(pkg/cmd/pulumi/operations/import.go, readImportFile and parseImportFile at v3.259.0, restated
in tests/support/pulumi_cli.py): every file adopt writes is one `pulumi import --file` takes,
and its entries get the URNs the program registers. The rules refuse what they should."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.support.pulumi_cli import CliError, parse_import_file, read_import_file
from tests.unit.adopt.manual_setup import HEALTHY_CHANGES, Run, registrations

PROJECT = "okta-ldap-immuta"
RunAdopt = Callable[..., Run]


@pytest.mark.parametrize("stack", ["prod", "dev", "staging"])
def test_the_import_file_adopt_writes_is_one_the_cli_takes(run_adopt: RunAdopt, stack: str) -> None:
    run = run_adopt(stack=stack, json_out=True)
    assert run.code in (0, 1), run.err
    document = read_import_file(run.import_text)
    urns = parse_import_file(document, stack, PROJECT)
    changes = HEALTHY_CHANGES if stack == "prod" else json.loads(run.out)["config"]
    registered = registrations(stack, changes)
    assert urns, "adopt wrote no entry"
    for name, urn in urns.items():
        assert urn in registered, (
            f"{name}: the CLI would import {urn}, which the program never registers"
        )


GOOD = {
    "resources": [
        {"type": "okta-ldap-immuta:okta:BindAccounts", "name": "accounts", "component": True},
        {"type": "okta:index/user:User", "name": "bind", "id": "00u1", "parent": "accounts"},
    ]
}


def test_the_rules_accept_a_component_and_its_child() -> None:
    urns = parse_import_file(GOOD, "dev", PROJECT)
    assert urns["bind"] == (
        "urn:pulumi:dev::okta-ldap-immuta::okta-ldap-immuta:okta:BindAccounts"
        "$okta:index/user:User::bind"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"id": None}, "resource 'bind' of type 'okta:index/user:User' has no ID"),
        (
            {"parent": "nobody"},
            "the parent 'nobody' for resource 'bind' of type 'okta:index/user:User' "
            "has no entry in 'nameTable'",
        ),
        ({"type": None}, "resource 'bind' has no type"),
        ({"component": True}, "has an ID, but is marked as a component"),
    ],
    ids=["no id", "unknown parent", "no type", "component with an id"],
)
def test_the_rules_refuse_a_broken_entry(change: dict[str, object], message: str) -> None:
    child = {k: v for k, v in {**GOOD["resources"][1], **change}.items() if v is not None}
    with pytest.raises(CliError, match=message):
        parse_import_file({"resources": [GOOD["resources"][0], child]}, "dev", PROJECT)


def test_two_entries_with_one_urn_are_refused() -> None:
    twin = {**GOOD["resources"][1], "name": "bind2", "logicalName": "bind"}
    with pytest.raises(CliError, match="has an ambiguous URN"):
        parse_import_file({"resources": [*GOOD["resources"], twin]}, "dev", PROJECT)


def test_a_field_of_the_wrong_type_is_refused_by_the_json_decoder() -> None:
    with pytest.raises(CliError, match=r"importSpec\.component"):
        read_import_file(
            json.dumps({"resources": [{"type": "t", "name": "n", "component": "yes"}]})
        )
