"""The Immuta IAM under mocks: wired to Immuta's own bind account, its id feeding the rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

import rehearsal.mock_engine as engine
from components.immuta.iam_document import is_iam_id, query_engine_role
from components.query_engine.pg_hba import parse_line
from rehearsal.mock_engine import is_secret_wrapper
from tests.support.stacks import helm_rules

IAM = "pulumi-python:dynamic:Resource"
SYNC_PW = "Immuta-Sync-Bind-Pw-1"
QE_PW = "Query-Engine-Bind-Pw-2"
API_KEY = "immuta-api-key-do-not-leak"


def test_iam_binds_with_immutas_account_not_the_query_engines(run_stack: Any) -> None:
    plan = run_stack(
        secret_keys={
            "immutaBindPassword": SYNC_PW,
            "queryEngineBindPassword": QE_PW,
            "immutaApiKey": API_KEY,
        },
        ldapTransport="ldaps",  # both on the LDAPS port: one port fact for both
    )
    i = plan.only(IAM).inputs
    out = plan.outputs
    assert i["bindDn"] == out["bindDns"]["immuta"] != out["bindDns"]["queryEngine"]
    assert is_secret_wrapper(i["bindPassword"])
    assert i["bindPassword"]["value"] == SYNC_PW
    assert (i["host"], i["port"], i["useSsl"], i["rejectUnauthorized"]) == (
        out["ldapHost"],
        out["ldapPort"],
        True,
        True,
    )
    assert (i["userSearchBase"], i["groupSearchBase"]) == (
        out["ldapUserBaseDn"],
        out["ldapGroupBaseDn"],
    )
    assert i["userIdAttribute"] == "uid"
    assert "linkPostgresAccount" in i["supportedActions"]
    assert i["pageSize"] == 1000
    assert i["profile"] == {"name": "cn", "email": "mail"}
    # Okta's LDAP Interface: groupOfUniqueNames named by cn, members' DNs in uniqueMember.
    assert (i["groupNameAttribute"], i["groupMembershipAttributes"]) == ("cn", ["uniquemember"])
    assert i["normalizeUserId"] is True
    assert "bindPasswordDigest" in plan.only(IAM).options["additionalSecretOutputs"]


def test_api_key_and_url_are_never_resource_inputs(run_stack: Any) -> None:
    plan = run_stack(secret_keys={"immutaApiKey": API_KEY})
    everything = json.dumps([r.inputs for r in plan.resources], default=str)
    assert API_KEY not in everything
    assert "immuta-dev.acme.example" not in everything  # read by the provider's configure()


def test_rules_take_the_role_from_the_iam_resource(
    run_stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The mock engine answers with an id that differs from config: the rules must follow it.
    monkeypatch.setitem(engine.COMPUTED_OUTPUTS, IAM, {"iamId": "from-immuta"})
    plan = run_stack()
    assert [t.text for t in parse_line(helm_rules(plan)[0]).users] == ["+from-immuta_user"]
    assert plan.outputs["queryEngineRole"] == "from-immuta_user"
    assert plan.outputs["immutaIamId"] == "from-immuta"


def test_starttls_for_postgres_keeps_ldaps_for_immuta(run_stack: Any) -> None:
    plan = run_stack(ldapTransport="starttls")
    assert plan.only(IAM).inputs["port"] == 636
    assert parse_line(helm_rules(plan)[0]).option("ldapport") == "389"


def test_adopt_and_dry_run_settings_reach_the_iam(run_stack: Any) -> None:
    plan = run_stack(immutaIamAdopt="true", immutaTestBeforeSave="false")
    i = plan.only(IAM).inputs
    assert (i["adopt"], i["testBeforeSave"]) == (True, False)


def test_one_set_of_facts_reaches_both_the_iam_and_the_rules(run_stack: Any) -> None:
    plan = run_stack(queryEngineClientCidrs='["0.0.0.0/0", "::/0"]', ldapTransport="ldaps")
    iam = plan.only(IAM).inputs
    rules = [parse_line(r) for r in helm_rules(plan)]
    assert len(rules) == 2
    for rule in rules:
        assert [t.text for t in rule.users] == [f"+{iam['iamId']}_user"]
        assert rule.option("ldapserver") == iam["host"] == plan.outputs["ldapHost"]
        assert rule.option("ldapport") == str(int(iam["port"]))
        assert rule.option("ldapbasedn") == iam["userSearchBase"] == plan.outputs["ldapUserBaseDn"]
        assert rule.option("ldapsearchattribute") == iam["userIdAttribute"] == "uid"
        # the same directory, two accounts: Immuta's for the IAM, the Query Engine's for the rules
        assert rule.option("ldapbinddn") == plan.outputs["bindDns"]["queryEngine"]
    assert iam["bindDn"] == plan.outputs["bindDns"]["immuta"]
    assert plan.outputs["queryEngineRole"] == f"{iam['iamId']}_user"


@pytest.mark.parametrize("iam_id", ["okta", "okta_ldap", "o", "okta2", "a" * 58])
def test_ids_that_name_one_role_quoted_or_not_are_accepted(iam_id: str) -> None:
    assert is_iam_id(iam_id)
    assert len(query_engine_role(iam_id).encode()) <= 63  # PostgreSQL's NAMEDATALEN - 1


@pytest.mark.parametrize(
    "iam_id",
    ["Okta", "okta-ldap", "1okta", "_okta", "okta ldap", "okta.ldap", "ökta", "a" * 59, ""],
)
def test_ids_that_are_not_an_unquoted_lower_case_identifier_are_refused(iam_id: str) -> None:
    assert not is_iam_id(iam_id)
