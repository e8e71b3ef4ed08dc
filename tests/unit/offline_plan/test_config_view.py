"""The plan's Config section prints each key by the type Pulumi.yaml declares; secrets masked."""

from __future__ import annotations

import json
from typing import Any

from offline_plan.config_view import config_lines, config_values
from offline_plan.render import to_json
from rehearsal.mock_engine import PlanResult
from rehearsal.stack_config import StackConfig

P = "okta-ldap-immuta:"


def plan_of(values: dict[str, str], secret_keys: tuple[str, ...] = ()) -> PlanResult:
    """A plan of config alone (the Config section needs no resource)."""
    stack = StackConfig("okta-ldap-immuta", "dev", values, secret_keys)
    return PlanResult(stack=stack, resources=[], outputs={}, invokes=[])


def shown(values: dict[str, str], secret_keys: tuple[str, ...] = ()) -> dict[str, str]:
    lines = config_lines(plan_of(values, secret_keys))
    return dict(line.strip().split(" = ", 1) for line in lines)


def test_each_declared_type_prints_as_its_type() -> None:
    assert shown(
        {
            P + "bindDenyOtherSignIns": "true",  # boolean
            P + "immutaIamAdopt": "false",
            P + "ldapPort": "0",  # integer
            P + "immutaTimeoutSeconds": "30",
            P + "ldapTransport": "starttls",  # string
            P + "mfaPolicyGroups": '["00gA", "00gB"]',  # array
            P + "helmValues": '{"queryEngine": {"replicaCount": 1}}',  # object
        }
    ) == {
        P + "bindDenyOtherSignIns": "true",
        P + "immutaIamAdopt": "false",
        P + "ldapPort": "0",
        P + "immutaTimeoutSeconds": "30",
        P + "ldapTransport": '"starttls"',
        P + "mfaPolicyGroups": '["00gA", "00gB"]',
        P + "helmValues": '{"queryEngine": {"replicaCount": 1}}',
    }


def test_a_string_that_reads_as_another_type_stays_a_string() -> None:
    assert shown({P + "immutaIamDisplayName": "true", P + "immutaIamId": "[1]"}) == {
        P + "immutaIamDisplayName": '"true"',
        P + "immutaIamId": '"[1]"',
    }


def test_empty_arrays_and_objects_and_undeclared_keys() -> None:
    assert shown({P + "mfaPolicyGroups": "", P + "helmValues": "", "okta:orgName": "true"}) == {
        P + "mfaPolicyGroups": "[]",
        P + "helmValues": "{}",
        "okta:orgName": '"true"',  # a provider's key: not in Pulumi.yaml, text
    }


def test_a_value_not_of_its_type_is_shown_as_text() -> None:
    """The loader refuses it before a plan is rendered; were it shown, it is not disguised."""
    assert shown({P + "ldapPort": "389x", P + "bindDenyOtherSignIns": "yes"}) == {
        P + "ldapPort": '"389x"',
        P + "bindDenyOtherSignIns": '"yes"',
    }


def test_secrets_are_masked_whatever_their_type_and_whether_set() -> None:
    values = {
        P + "immutaBindPassword": "CANARY-set-with-secret",  # set with --secret
        P + "sharedBindPassword": "",  # an optional secret, unset: still masked
        P + "helmSecretValues": '{"pull": "CANARY-object"}',  # an object secret
        P + "immutaApiKey": "CANARY-declared-secret",  # declared `secret: true`
        "okta:apiToken": "CANARY-provider-token",  # a provider's secret key
    }
    plan = plan_of(values, (P + "immutaBindPassword",))
    assert set(shown(values, (P + "immutaBindPassword",)).values()) == {"[secret]"}
    assert set(config_values(plan).values()) == {"[secret]"}
    assert "CANARY" not in "\n".join(config_lines(plan))


def test_json_config_carries_real_booleans_numbers_lists_and_objects(run_stack: Any) -> None:
    config = json.loads(to_json(run_stack("dev")))["config"]
    assert config[P + "bindDenyOtherSignIns"] is True
    assert config[P + "ldapPort"] == 0
    assert config[P + "mfaPolicyGroups"] == ["00g9d8c7b6a5z4y3x2w1"]
    assert config[P + "helmValues"] == {"queryEngine": {"replicaCount": 1}}
    assert config[P + "ldapTransport"] == "starttls"
    assert config[P + "immutaApiKey"] == "[secret]"
