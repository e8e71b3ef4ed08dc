"""The Immuta Helm release under mocks: rules built from the same facts, secrets kept secret."""

from __future__ import annotations

from typing import Any

from components.query_engine.pg_hba import parse_line
from offline_plan.render import to_json, to_text
from rehearsal.mock_engine import PlanResult, Registration, is_secret_wrapper
from tests.support.stacks import HELM_RELEASE

QE_PASSWORD = "Query-Engine-Bind-Pw-1"
REPO_PASSWORD = "Chart-Repo-Password-9"


def release_of(plan: PlanResult) -> Registration:
    return plan.only(HELM_RELEASE)


def rules_of(release: Registration) -> list[str]:
    assert is_secret_wrapper(release.inputs["values"])
    return list(release.inputs["values"]["value"]["queryEngine"]["clientPgHBARules"])


def test_release_takes_chart_settings_from_config(run_stack: Any) -> None:
    release = release_of(run_stack(helmNamespace="data", helmReleaseName="immuta-dev"))
    i = release.inputs
    assert (i["chart"], i["version"], i["namespace"], i["name"]) == (
        "immuta",
        "4.13.5",
        "data",
        "immuta-dev",
    )
    assert i["repositoryOpts"]["repo"] == "https://archives.immuta.com/charts"
    assert i["atomic"] is True
    assert "valueYamlFiles" not in i  # its content would be stored in plain text
    assert "values" in release.options["additionalSecretOutputs"]


def test_rules_use_the_query_engine_account_and_the_same_ldap_facts(run_stack: Any) -> None:
    plan = run_stack(secret_keys={"queryEngineBindPassword": QE_PASSWORD})
    rules = rules_of(release_of(plan))
    assert len(rules) == 1  # dev allows one client network
    parsed = parse_line(rules[0])
    out = plan.outputs
    assert parsed.conn_type == "hostssl"
    assert [t.text for t in parsed.users] == [f"+{out['queryEngineRole']}"]
    assert out["queryEngineRole"] == "okta_user"
    assert parsed.address == "10.0.0.0/8"
    assert parsed.option("ldapserver") == out["ldapHost"]
    assert parsed.option("ldapport") == str(out["ldapPort"])
    assert parsed.option("ldaptls") == "1"  # StartTLS by default: docs/query-engine.md
    assert parsed.option("ldapscheme") is None
    assert parsed.option("ldapbasedn") == out["ldapUserBaseDn"]
    assert parsed.option("ldapbinddn") == out["bindDns"]["queryEngine"]
    assert parsed.option("ldapbinddn") != out["bindDns"]["immuta"]
    assert parsed.option("ldapbindpasswd") == QE_PASSWORD


def test_default_cidrs_give_one_rule_each_then_extra_rules(run_stack: Any) -> None:
    extra = "hostssl immuta +okta_user 192.0.2.0/24 scram-sha-256"
    release = release_of(
        run_stack(
            queryEngineClientCidrs='["0.0.0.0/0", "::/0"]',
            queryEngineExtraPgHbaRules=f'["{extra}"]',
        )
    )
    rules = rules_of(release)
    assert [parse_line(r).address for r in rules] == ["0.0.0.0/0", "::/0", "192.0.2.0/24"]
    assert rules[-1] == extra
    assert all(parse_line(r).method == "ldap" for r in rules[:2])


def test_starttls_and_search_filter_reach_the_rule(run_stack: Any) -> None:
    rule = parse_line(
        rules_of(
            release_of(
                run_stack(
                    ldapTransport="starttls",
                    queryEngineSearchFilter="(&(uid=$username)(objectClass=inetOrgPerson))",
                )
            )
        )[0]
    )
    assert (rule.option("ldapport"), rule.option("ldaptls"), rule.option("ldapscheme")) == (
        "389",
        "1",
        None,
    )
    assert rule.option("ldapsearchfilter") == "(&(uid=$username)(objectClass=inetOrgPerson))"
    assert rule.option("ldapsearchattribute") is None


def test_base_values_are_kept_and_rules_added(run_stack: Any) -> None:
    values = release_of(
        run_stack(helmValues='{"queryEngine": {"replicaCount": 3}, "web": {"x": 1}}')
    ).inputs["values"]["value"]
    assert values["queryEngine"]["replicaCount"] == 3
    assert values["web"] == {"x": 1}
    assert len(values["queryEngine"]["clientPgHBARules"]) == 1


def test_secrets_stay_secret_in_release_plan_and_outputs(run_stack: Any) -> None:
    plan = run_stack(
        helmRepositoryUsername="chart-user",
        secret_keys={
            "queryEngineBindPassword": QE_PASSWORD,
            "helmRepositoryPassword": REPO_PASSWORD,
        },
    )
    repo = release_of(plan).inputs["repositoryOpts"]
    assert is_secret_wrapper(repo)  # one secret field makes the whole object secret
    assert repo["value"]["password"] == REPO_PASSWORD
    assert is_secret_wrapper(plan.outputs["pgHbaRules"])
    text, doc = to_text(plan), to_json(plan)
    for secret in (QE_PASSWORD, REPO_PASSWORD):
        assert secret not in text
        assert secret not in doc
    assert "ldapbindpasswd=[secret]" in text  # the rule itself stays reviewable
    assert "+okta_user 10.0.0.0/8 ldap" in text
