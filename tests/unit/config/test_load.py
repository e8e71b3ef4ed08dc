"""Settings validation: each bad value names its key and what is allowed; secrets never leak."""

from __future__ import annotations

import pytest

from components.config import Consumer, SettingsError, load_settings
from tests.support.stacks import P, config_for

SECRET = "Sup3r-Secret-Bind-Pw"


def settings_with(**overrides: str | None):
    return load_settings(config_for("dev", **overrides).values)


def problems_of(**overrides: str | None) -> SettingsError:
    with pytest.raises(SettingsError) as info:
        settings_with(**overrides)
    return info.value


def test_dev_stack_loads_with_derived_ldap_facts() -> None:
    s = settings_with()
    assert s.directory.root_dn == "dc=acme-dev,dc=oktapreview,dc=com"
    assert s.directory.host == "acme-dev.ldap.oktapreview.com"
    assert s.directory.port == 389  # StartTLS by default: docs/query-engine.md, When Okta stalls
    assert [a.key for a in s.bind_accounts] == ["immuta", "query-engine"]
    assert all(a.password is None for a in s.bind_accounts)  # generated
    assert s.mfa is not None
    assert s.mfa.group_ids == ("00g9d8c7b6a5z4y3x2w1",)
    assert s.bind_policy.deny_other_sign_ins
    assert s.bind_policy.engine == "identity"


def test_no_mfa_policy_unless_a_stack_names_groups() -> None:
    assert settings_with(mfaPolicyGroups="[]").mfa is None
    everyone = settings_with(mfaPolicyGroups='["Everyone"]').mfa
    assert everyone is not None
    assert everyone.everyone


def test_shared_mode_gives_one_account_for_both_consumers() -> None:
    s = settings_with(
        bindAccountMode="shared",
        immutaBindLogin="",
        queryEngineBindLogin="",
        sharedBindLogin="svc-ldap@acme.example",
    )
    (account,) = s.bind_accounts
    assert set(account.consumers) == set(Consumer)


def test_passwords_from_config_stay_secret_strings() -> None:
    s = settings_with(immutaBindPassword=SECRET)
    account = s.bind_accounts[0]
    assert account.password is not None
    assert account.password.get_secret_value() == SECRET
    assert SECRET not in repr(s)
    assert SECRET not in str(s)


BAD_CASES = [
    # (overrides, key named in the error, fragment of what is allowed)
    ({"okta__orgName": None}, "okta:orgName", "required"),
    ({"okta__orgName": ""}, "okta:orgName", "required"),
    ({"okta__orgName": "acme.okta.com"}, "okta:orgName", "only the subdomain ('acme')"),
    ({"okta__orgName": "https://acme.okta.com"}, "okta:orgName", "('acme')"),
    ({"okta__orgName": "Acme"}, "okta:orgName", "lowercase"),
    ({"okta__orgName": "-acme"}, "okta:orgName", "inner hyphens"),
    (
        {"okta__baseUrl": "okta.co"},
        "okta:baseUrl",
        "okta.com, oktapreview.com, okta-emea.com, okta-gov.com",
    ),
    ({"ldapTransport": "ldap"}, P + "ldapTransport", "'ldaps' or 'starttls'"),
    ({"ldapTransport": "LDAPS"}, P + "ldapTransport", "'ldaps' or 'starttls'"),
    ({"ldapPort": "70000"}, P + "ldapPort", "1 to 65535"),
    ({"ldapPort": "-1"}, P + "ldapPort", "1 to 65535"),
    ({"ldapPort": "six-three-six"}, P + "ldapPort", "integer"),
    ({"ldapHost": "ldaps://acme.ldap.okta.com"}, P + "ldapHost", "no scheme"),
    ({"ldapHost": "acme.ldap.okta.com:636"}, P + "ldapHost", "use ldapPort"),
    ({"ldapHost": "bad_host!"}, P + "ldapHost", "valid DNS host name"),
    ({"bindAccountMode": "both"}, P + "bindAccountMode", "'perConsumer' or 'shared'"),
    ({"immutaBindLogin": ""}, P + "immutaBindLogin", "required"),
    ({"queryEngineBindLogin": "not-an-email"}, P + "queryEngineBindLogin", "e-mail form"),
    ({"immutaBindLogin": "a" * 95 + "@x.example"}, P + "immutaBindLogin", "at most 100"),
    (
        {"queryEngineBindLogin": "SVC-IMMUTA-LDAP-SYNC@acme.example"},
        P + "queryEngineBindLogin",
        "duplicates immutaBindLogin",
    ),
    (
        {"bindAccountMode": "shared", "immutaBindLogin": "", "queryEngineBindLogin": ""},
        P + "sharedBindLogin",
        "required when bindAccountMode is 'shared'",
    ),
    (
        {
            "bindAccountMode": "shared",
            "sharedBindLogin": "s@acme.example",
            "queryEngineBindLogin": "",
        },
        P + "immutaBindLogin",
        "not used when",
    ),
    ({"sharedBindLogin": "s@acme.example"}, P + "sharedBindLogin", "not used when"),
    ({"mfaPolicyPriority": "1"}, P + "mfaPolicyPriority", "priorities are fixed and contiguous"),
    ({"mfaPolicyGroups": '["everyone"]'}, P + "mfaPolicyGroups", "not an Okta group id"),
    (
        {"mfaPolicyGroups": '["Everyone", "00g1a2b3c4d5e6f7g8h9"]'},
        P + "mfaPolicyGroups",
        "name it alone",
    ),
    (
        {"mfaPolicyGroups": "[]", "ldapInterfaceRule": "requireMfa"},
        P + "ldapInterfaceRule",
        "set mfaPolicyGroups",
    ),
    (
        {"ldapInterfaceRule": "requireMfa", "mfaRuleName": "x" * 40},
        P + "mfaRuleName",
        "at most 37 characters",
    ),
    ({"mfaPolicyName": "Immuta LDAP bind accounts"}, P + "mfaPolicyName", "must differ"),
    ({"oktaEngine": "oie"}, P + "oktaEngine", "'identity' or 'classic'"),
    ({"bindPolicyName": "Default Policy"}, P + "bindPolicyName", "Okta gives its own default"),
    ({"mfaRuleName": "default rule"}, P + "mfaRuleName", "Okta gives its own automatic rule"),
    ({"bindRuleName": "y" * 45}, P + "bindRuleName", "at most 44"),
    ({"bindDenyOtherSignIns": "no"}, P + "bindDenyOtherSignIns", "true or false"),
    ({"mfaPolicyGroups": "00g1a2b3c4d5e6f7g8h9"}, P + "mfaPolicyGroups", "type 'array'"),
    (
        {"mfaPolicyGroups": '["00g1a2b3c4d5e6f7g8h9","00g1a2b3c4d5e6f7g8h9"]'},
        P + "mfaPolicyGroups",
        "must not repeat",
    ),
    ({"mfaPrompt": "NEVER"}, P + "mfaPrompt", "'DEVICE', 'SESSION' or 'ALWAYS'"),
    (
        {"ldapInterfaceRule": "off"},
        P + "ldapInterfaceRule",
        "'none', 'requireMfa' or 'passwordOnly'",
    ),
    ({"mfaRuleName": "x" * 45}, P + "mfaRuleName", "at most 44"),
    ({"mfaPolicyName": "two\nlines"}, P + "mfaPolicyName", "control characters"),
    (
        {"immutaBindLgin": "x@acme.example"},
        P + "immutaBindLgin",
        f"did you mean {P}immutaBindLogin",
    ),
    ({"immutaIamId": ""}, P + "immutaIamId", "required: the Immuta IAM id"),
    ({"immutaIamId": "okta user"}, P + "immutaIamId", "written unquoted in pg_hba.conf"),
    ({"immutaIamId": "x" * 59}, P + "immutaIamId", "1-58 letters"),
    ({"queryEngineClientCidrs": "[]"}, P + "queryEngineClientCidrs", "at least one client CIDR"),
    ({"queryEngineClientCidrs": '["10.0.0.1/8"]'}, P + "queryEngineClientCidrs", "host bits set"),
    ({"queryEngineClientCidrs": '["10.0.0.0"]'}, P + "queryEngineClientCidrs", "prefix length"),
    ({"queryEngineDatabase": "all"}, P + "queryEngineDatabase", "pg_hba keyword"),
    ({"queryEngineSearchFilter": "(uid=alice)"}, P + "queryEngineSearchFilter", "$username"),
    (
        {"queryEngineExtraPgHbaRules": '["hostssl immuta all 0.0.0.0/0 trust"]'},
        P + "queryEngineExtraPgHbaRules",
        "trust lets anyone",
    ),
    (
        {"queryEngineExtraPgHbaRules": '["hostssl immuta all 0.0.0.0/0 md5 x=\\"open"]'},
        P + "queryEngineExtraPgHbaRules",
        "never closed",
    ),
    ({"helmChartVersion": ""}, P + "helmChartVersion", "pin the Immuta chart version"),
    ({"helmRepository": "http://charts.example"}, P + "helmRepository", "plain http is refused"),
    ({"helmNamespace": "Immuta_NS"}, P + "helmNamespace", "DNS-1123"),
    (
        {"helmValues": '{"queryEngine": {"clientPgHBARules": []}}'},
        P + "helmValues",
        "put your own rules in queryEngineExtraPgHbaRules",
    ),
    ({"helmValues": "[1, 2]"}, P + "helmValues", "type 'object'"),
    ({"immutaUrl": ""}, P + "immutaUrl", "required: the https:// address of Immuta"),
    ({"immutaUrl": "http://immuta.acme.example"}, P + "immutaUrl", "TLS only"),
    ({"immutaUrl": "https://immuta.acme.example/?x=1"}, P + "immutaUrl", "no query"),
    ({"immutaApiKey": ""}, P + "immutaApiKey", "pulumi config set --secret"),
    ({"immutaCaCertificate": "/etc/ssl/ca.pem"}, P + "immutaCaCertificate", "PEM text"),
    ({"immutaSyncCron": "hourly"}, P + "immutaSyncCron", "five-field cron"),
    ({"immutaTimeoutSeconds": "0"}, P + "immutaTimeoutSeconds", "greater than or equal to 1"),
    ({"immutaIamAdopt": "maybe"}, P + "immutaIamAdopt", "true or false"),
    # a trailing newline (a YAML block scalar) must not slip past `$`
    ({"queryEngineDatabase": "immuta\n"}, P + "queryEngineDatabase", "plain PostgreSQL database"),
    ({"immutaIamId": "okta\n"}, P + "immutaIamId", "1-58 letters"),
    ({"helmNamespace": "immuta\n"}, P + "helmNamespace", "DNS-1123"),
    ({"ldapHost": "ldap.acme.example\n"}, P + "ldapHost", "valid DNS host name"),
    (
        {"mfaPolicyGroups": '["00g1a2b3c4d5e6f7g8h9\\n"]'},
        P + "mfaPolicyGroups",
        "not an Okta group",
    ),
    ({"okta__orgName": "acme\n"}, "okta:orgName", "subdomain"),
    ({"helmChartVersion": "4.13.5\n"}, P + "helmChartVersion", "one exact chart version"),
    (
        {"queryEngineClientCidrs": '["10.0.0.0/255.0.0.0"]'},
        P + "queryEngineClientCidrs",
        "not a netmask",
    ),
    ({"immutaBindPassword": "Okta-Bind-Pw\u2028-x"}, P + "immutaBindPassword", "YAML line breaks"),
    ({"queryEngineBindPassword": "Okta-Bind-Pw\u0085-x"}, P + "queryEngineBindPassword", "control"),
    ({"ldapHost": "[2001:db8::1]"}, P + "ldapHost", "no port"),
]


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    BAD_CASES,
    ids=[c[1] + ":" + str(i) for i, c in enumerate(BAD_CASES)],
)
def test_bad_value_names_key_and_what_is_allowed(
    overrides: dict[str, str | None], key: str, allowed: str
) -> None:
    error = problems_of(**overrides)
    matching = [p for p in error.problems if p.key == key]
    assert matching, f"no problem names {key}: {error}"
    assert any(allowed in str(p) for p in matching), str(error)
    assert key in str(error)


@pytest.mark.parametrize("host", ["127.0.0.1", "ldap.acme.example", "10.1.2.3"])
def test_ipv4_addresses_and_host_names_are_hosts(host: str) -> None:
    assert settings_with(ldapHost=host).directory.host == host


@pytest.mark.parametrize("host", ["2001:db8::1", "::1", "fe80::1%eth0", "fe80::1%a b ldapbinddn=x"])
def test_ipv6_literals_are_refused_with_the_reason_not_a_port_hint(host: str) -> None:
    error = problems_of(ldapHost=host)
    assert "IPv6 address cannot be PostgreSQL's ldapserver" in str(error)
    assert "use ldapPort" not in str(error)


def test_render_problems_name_the_key_they_come_from() -> None:
    long_filter = "(&(uid=$username)(description=" + "x" * 11_000 + "))"
    error = problems_of(queryEngineSearchFilter=long_filter)
    assert [p.key for p in error.problems] == [P + "queryEngineSearchFilter"]
    assert "too long for one pg_hba.conf token" in str(error)


def test_non_secret_value_is_quoted_in_the_error() -> None:
    error = problems_of(ldapPort="70000")
    assert f"{P}ldapPort = 70000:" in str(error)


def test_helm_repository_password_is_masked() -> None:
    error = problems_of(helmRepository="http://x.example", helmRepositoryPassword=SECRET)
    assert SECRET not in str(error)
    assert f"{P}helmRepository = " in str(error)


@pytest.mark.parametrize(
    "password",
    ["short-1A", "new\nline-is-not-allowed-in-pg_hba", "tab\there-is-a-control-char", "x" * 200],
)
@pytest.mark.parametrize("key", ["immutaBindPassword", "queryEngineBindPassword"])
def test_bad_secret_is_named_but_never_printed(key: str, password: str) -> None:
    error = problems_of(**{key: password})
    text = str(error) + repr(error) + repr(error.problems)
    assert f"{P}{key} = [secret]" in text
    assert password not in text
    assert password[:8] not in text


def test_secret_in_the_wrong_mode_is_named_but_not_printed() -> None:
    error = problems_of(sharedBindPassword=SECRET)
    assert f"{P}sharedBindPassword = [secret]: not used when" in str(error)
    assert SECRET not in str(error)


def test_every_problem_is_reported_at_once() -> None:
    error = problems_of(okta__orgName="", ldapPort="0x", mfaPrompt="x", immutaBindLogin="")
    keys = {p.key for p in error.problems}
    assert {"okta:orgName", P + "ldapPort", P + "mfaPrompt", P + "immutaBindLogin"} <= keys
    assert f"({len(error.problems)} problem(s))" in str(error)


def test_simple_bind_has_only_immutas_account() -> None:
    s = settings_with(queryEngineLdapMode="simpleBind", queryEngineBindLogin="")
    assert [a.key for a in s.bind_accounts] == ["immuta"]
    assert s.query_engine.ldap_mode == "simpleBind"


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"queryEngineBindLogin": "svc-qe@acme.example"}, P + "queryEngineBindLogin", "simpleBind"),
        (
            {"queryEngineSearchFilter": "(&(uid=$username)(objectClass=person))"},
            P + "queryEngineSearchFilter",
            "not used when",
        ),
        (
            {"bindAccountMode": "shared", "sharedBindLogin": "s@acme.example",
             "immutaBindLogin": "", "queryEngineBindLogin": ""},
            P + "bindAccountMode",
            "nothing is shared",
        ),
    ],
)  # fmt: skip
def test_simple_bind_refuses_what_it_does_not_use(
    overrides: dict[str, str], key: str, allowed: str
) -> None:
    error = problems_of(
        queryEngineLdapMode="simpleBind", **{"queryEngineBindLogin": ""} | overrides
    )
    assert any(p.key == key and allowed in str(p) for p in error.problems), str(error)


def test_alternating_rotation_pairs_each_account_with_its_b_login() -> None:
    s = settings_with(bindAccountRotation="alternating", bindRotationCount="3")
    assert [(a.login, a.alternate_login) for a in s.bind_accounts] == [
        ("svc-immuta-ldap-sync@acme.example", "svc-immuta-ldap-sync-b@acme.example"),
        ("svc-immuta-qe-ldap@acme.example", "svc-immuta-qe-ldap-b@acme.example"),
    ]
    assert s.rotation.active_slot == "b"
    assert (s.rotation.generation("a"), s.rotation.generation("b")) == (2, 2)


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"bindRotationCount": "2"}, P + "bindRotationCount", "only with bindAccountRotation"),
        (
            {"bindAccountRotation": "alternating", "bindPasswordRotation": "2026-12"},
            P + "bindPasswordRotation",
            "add one to bindRotationCount",
        ),
        (
            {"bindAccountRotation": "alternating", "immutaBindPassword": "Configured-Pw-123"},
            P + "immutaBindPassword",
            "generates both",
        ),
        ({"bindAccountRotation": "sometimes"}, P + "bindAccountRotation", "'single' or"),
    ],
)
def test_alternating_rotation_refuses_what_it_does_not_use(
    overrides: dict[str, str], key: str, allowed: str
) -> None:
    error = problems_of(**overrides)
    assert any(p.key == key and allowed in str(p) for p in error.problems), str(error)
    assert "Configured-Pw-123" not in str(error)
