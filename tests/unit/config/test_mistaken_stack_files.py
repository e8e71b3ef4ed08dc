# ruff: noqa: E501 (one case a line reads best as a table)
"""Mistaken stack files, each through `python -m offline_plan` as a user would run it.

Every refused file gets one report on stderr that names the file, the key and what is
allowed, exit code 2, nothing registered, no traceback and no secret, within 200 MB (an
alias bomb is refused by size, not by a clock: speed lives in bench/). Every accepted file
renders a plan. The cases are the classes users really hit.
"""

from __future__ import annotations

import shutil
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import offline_plan.__main__ as cli
from components.config import PROJECT_ROOT
from rehearsal import mock_engine

CANARY = "CANARY-s3cret-7f3a9"  # in every secret position a case has
FILE = "stacks/Pulumi.t.yaml"
P = "okta-ldap-immuta:"
BASE = {
    "okta:orgName": "acme",
    "okta:baseUrl": "okta.com",
    P + "immutaBindLogin": "svc-immuta-ldap-sync@acme.example",
    P + "queryEngineBindLogin": "svc-immuta-qe-ldap@acme.example",
    P + "immutaIamId": "okta",
    P + "helmChartVersion": '"4.13.5"',
    P + "immutaUrl": "https://immuta.acme.example",
}


def stack(*extra: str, drop: tuple[str, ...] = (), base: dict[str, str] | None = None) -> str:
    lines = [f"  {k}: {v}" for k, v in (base or BASE).items() if k not in drop]
    return "config:\n" + "\n".join([*lines, *(f"  {e}" for e in extra)]) + "\n"


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    key: str | None = None  # None: accepted
    allowed: str = ""


def refused(name: str, text: str, key: str, allowed: str) -> Case:
    return Case(name, text, key, allowed)


def accepted(name: str, text: str) -> Case:
    return Case(name, text)


BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True)
)
CASES = [
    # --- YAML itself ------------------------------------------------------------------------
    refused("alias bomb in helmValues", stack(f"{P}helmValues: &v\n    " + BOMB.replace("\n", "\n    ").rstrip()), FILE, "expands to more than"),
    refused("nesting too deep", stack(f"{P}helmValues: " + "{a: " * 40 + "1" + "}" * 40), FILE, "nested deeper than"),
    refused("a key given twice", stack(f"{P}immutaIamId: other"), FILE, "given twice"),
    refused("tab indentation", "config:\n\tokta:orgName: acme\n", FILE, "indent with spaces"),
    refused("not YAML", "config: [\n", FILE, "not valid YAML"),
    refused("top level is a list", "- okta:orgName: acme\n", FILE, "must be a YAML mapping"),
    refused("config is a list", "config:\n  - okta:orgName: acme\n", FILE, "not a list"),
    refused("keys at the top level", "okta:orgName: acme\nokta-ldap-immuta:immutaIamId: okta\n", "okta:orgName", "go under `config:`"),
    refused("unknown top-level setting", stack() + "confg:\n  x: 1\n", "confg", "not a stack file setting"),
    # --- YAML 1.1 booleans and numbers where text belongs -------------------------------------
    accepted("org name no stays text, as the CLI reads it", stack(drop=("okta:orgName",)) + "  okta:orgName: no\n"),
    refused("org name a YAML boolean", stack(drop=("okta:orgName",)) + "  okta:orgName: false\n", "okta:orgName", "quote it"),
    refused("chart version a float", stack(f"{P}helmChartVersion: 4.10", drop=(P + "helmChartVersion",)), P + "helmChartVersion", "quote it"),
    refused("iam id a number", stack(f"{P}immutaIamId: 1234", drop=(P + "immutaIamId",)), P + "immutaIamId", "must be text"),
    refused("adopt yes", stack(f"{P}immutaIamAdopt: yes"), P + "immutaIamAdopt", "true or false"),
    refused("deny rule off", stack(f"{P}bindDenyOtherSignIns: off"), P + "bindDenyOtherSignIns", "true or false"),
    refused("ldapInterfaceRule off", stack(f"{P}mfaPolicyGroups: [Everyone]", f"{P}ldapInterfaceRule: off"), P + "ldapInterfaceRule", "'none', 'requireMfa' or 'passwordOnly'"),
    refused("port a word", stack(f"{P}ldapPort: six-three-six"), P + "ldapPort", "a whole number"),
    refused("cidrs not a list", stack(f"{P}queryEngineClientCidrs: 10.0.0.0/8"), P + "queryEngineClientCidrs", "a YAML list"),
    refused("helmValues a list", stack(f"{P}helmValues: [a, b]"), P + "helmValues", "a YAML mapping"),
    # --- typos and unknown namespaces ---------------------------------------------------------
    refused("okta:orgname", stack("okta:orgname: acme"), "okta:orgname", "did you mean okta:orgName"),
    refused("okta:apitoken", stack(f"okta:apitoken: {CANARY}"), "okta:apitoken", "did you mean okta:apiToken"),
    refused("typo in the project namespace", stack("okta-ldap-imuta:immutaUrl: https://x.example"), "okta-ldap-imuta:immutaUrl", "did you mean okta-ldap-immuta:immutaUrl"),
    refused("typo namespace holding an api key", stack(f"okta-ldap-imuta:immutaApiKey: {CANARY}"), "okta-ldap-imuta:immutaApiKey", "unknown namespace"),
    refused("typo in a project key", stack(f"{P}immutaBindLgin: x@acme.example"), P + "immutaBindLgin", "did you mean"),
    refused("kubernetes typo", stack("kubernetes:contxt: prod"), "kubernetes:contxt", "did you mean kubernetes:context"),
    refused("removed key", stack(f"{P}mfaPolicyPriority: 1"), P + "mfaPolicyPriority", "fixed and contiguous"),
    # --- required keys ------------------------------------------------------------------------
    refused("org missing", stack(drop=("okta:orgName",)), "okta:orgName", "required"),
    refused("iam id missing", stack(drop=(P + "immutaIamId",)), P + "immutaIamId", "required"),
    refused("chart version missing", stack(drop=(P + "helmChartVersion",)), P + "helmChartVersion", "required"),
    refused("immuta url missing", stack(drop=(P + "immutaUrl",)), P + "immutaUrl", "required"),
    # --- values -------------------------------------------------------------------------------
    refused("chart version a range", stack(f"{P}helmChartVersion: ^4.13", drop=(P + "helmChartVersion",)), P + "helmChartVersion", "one exact chart version"),
    refused("chart version latest", stack(f"{P}helmChartVersion: latest", drop=(P + "helmChartVersion",)), P + "helmChartVersion", "one exact chart version"),
    refused("chart version >=", stack(f'{P}helmChartVersion: ">=4.0.0"', drop=(P + "helmChartVersion",)), P + "helmChartVersion", "one exact chart version"),
    refused("cron minute 61", stack(f'{P}immutaSyncCron: "61 * * * *"'), P + "immutaSyncCron", "five-field cron"),
    refused("cron words", stack(f'{P}immutaSyncCron: "a b c d e"'), P + "immutaSyncCron", "five-field cron"),
    refused("cron six fields", stack(f'{P}immutaSyncCron: "0 0 */6 * * *"'), P + "immutaSyncCron", "five-field cron"),
    refused("immuta url port too large", stack(f"{P}immutaUrl: https://immuta.acme.example:70000", drop=(P + "immutaUrl",)), P + "immutaUrl", "1 to 65535"),
    refused("immuta url plain http", stack(f"{P}immutaUrl: http://immuta.acme.example", drop=(P + "immutaUrl",)), P + "immutaUrl", "TLS only"),
    refused("unbalanced search filter", stack(f'{P}queryEngineSearchFilter: "(&(uid=$username)(objectClass=person)"'), P + "queryEngineSearchFilter", "not a valid LDAP filter"),
    refused("search filter without $username", stack(f'{P}queryEngineSearchFilter: "(uid=alice)"'), P + "queryEngineSearchFilter", "$username"),
    refused("ca that is no certificate", stack(f'{P}immutaCaCertificate: "-----BEGIN CERTIFICATE-----\\nnope\\n-----END CERTIFICATE-----"'), P + "immutaCaCertificate", "does not parse"),
    refused("ca a path", stack(f"{P}immutaCaCertificate: /etc/ssl/ca.pem"), P + "immutaCaCertificate", "PEM text"),
    refused("login with a space", stack(f'{P}queryEngineBindLogin: "svc qe@acme.example"', drop=(P + "queryEngineBindLogin",)), P + "queryEngineBindLogin", "e-mail form"),
    refused("login with a quote", stack(f"{P}queryEngineBindLogin: 'svc\"qe@acme.example'", drop=(P + "queryEngineBindLogin",)), P + "queryEngineBindLogin", "e-mail form"),
    refused("queryEngine values not a mapping", stack(f"{P}helmValues:\n    queryEngine: enabled"), P + "helmValues", "must be a mapping"),
    refused("queryEngine values a list", stack(f"{P}helmValues:\n    queryEngine: [ab]"), P + "helmValues", "must be a mapping"),
    refused("clientPgHBARules set by hand", stack(f"{P}helmValues:\n    queryEngine:\n      clientPgHBARules: []"), P + "helmValues", "built by this stack"),
    refused("cidr with a netmask", stack(f"{P}queryEngineClientCidrs: [10.0.0.0/255.0.0.0]"), P + "queryEngineClientCidrs", "not a CIDR network"),
    refused("extra rule trust", stack(f'{P}queryEngineExtraPgHbaRules: ["hostssl immuta all 0.0.0.0/0 trust"]'), P + "queryEngineExtraPgHbaRules", "trust lets anyone"),
    refused("extra rule method Trust", stack(f'{P}queryEngineExtraPgHbaRules: ["hostssl immuta all 0.0.0.0/0 Trust"]'), P + "queryEngineExtraPgHbaRules", "methods are case-sensitive"),
    refused("extra rule unknown option", stack(f'{P}queryEngineExtraPgHbaRules: ["hostssl immuta all 0.0.0.0/0 scram-sha-256 x=1"]'), P + "queryEngineExtraPgHbaRules", "token 'x=1'"),
    refused("extra rule ldap without tls", stack(f'{P}queryEngineExtraPgHbaRules: ["hostssl immuta all 0.0.0.0/0 ldap ldapserver=x ldapport=389 ldapprefix=uid= ldapsuffix=,dc=x"]'), P + "queryEngineExtraPgHbaRules", "LDAP without TLS"),
    refused("extra rule includes a file", stack(f'{P}queryEngineExtraPgHbaRules: ["hostssl immuta @/etc/passwd 0.0.0.0/0 scram-sha-256"]'), P + "queryEngineExtraPgHbaRules", "includes a file"),
    refused("extra rule ident over tcp", stack(f'{P}queryEngineExtraPgHbaRules: ["host immuta all 10.0.0.0/8 ident"]'), P + "queryEngineExtraPgHbaRules", "ident over TCP"),
    accepted("extra rule local peer", stack(f'{P}queryEngineExtraPgHbaRules: ["local all all peer"]')),
    refused("mfa group not an id", stack(f"{P}mfaPolicyGroups: [data-team]"), P + "mfaPolicyGroups", "not an Okta group id"),
    refused("org with domain", stack(drop=("okta:orgName",)) + "  okta:orgName: acme.okta.com\n", "okta:orgName", "only the subdomain"),
    refused("domain unknown", stack(drop=("okta:baseUrl",)) + "  okta:baseUrl: okta.co\n", "okta:baseUrl", "one of okta.com"),
    # --- secrets in plain ---------------------------------------------------------------------
    refused("okta api token in plain", stack(f"okta:apiToken: {CANARY}"), "okta:apiToken", "pulumi config set --secret"),
    refused("okta private key in plain", stack(f'okta:privateKey: "-----BEGIN PRIVATE KEY-----{CANARY}"'), "okta:privateKey", "pulumi config set --secret"),
    refused("bind password in plain", stack(f"{P}immutaBindPassword: {CANARY}-long"), P + "immutaBindPassword", "must be encrypted"),
    refused("api key in plain", stack(f"{P}immutaApiKey: {CANARY}"), P + "immutaApiKey", "must be encrypted"),
    refused("a bind password half encrypted", stack(f"{P}immutaBindPassword:\n    a:\n      secure: v1:x\n    b: {CANARY}"), P + "immutaBindPassword", "must be one encrypted value"),
    refused("helmSecretValues with a plain leaf", stack(f"{P}helmSecretValues:\n    a:\n      secure: v1:x\n    image:\n      password: {CANARY}"), P + "helmSecretValues", "holds plain values beside encrypted ones"),
    refused("credentials in immutaUrl", stack(f"{P}immutaUrl: https://admin:{CANARY}@immuta.acme.example", drop=(P + "immutaUrl",)), P + "immutaUrl", "must not carry credentials"),
    refused("credentials in helmRepository", stack(f"{P}helmRepository: https://bot:{CANARY}@charts.acme.example"), P + "helmRepository", "helmRepositoryPassword"),
    refused("password in helmValues", stack(f"{P}helmValues:\n    global:\n      imagePullPassword: {CANARY}"), P + "helmValues", "helmSecretValues"),
    refused("token in helmValues", stack(f"{P}helmValues:\n    queryEngine:\n      token: {CANARY}"), P + "helmValues", "looks like a credential"),
    refused("ldapbindpasswd in an extra rule", stack(f'{P}queryEngineExtraPgHbaRules: [\'hostssl immuta all 0.0.0.0/0 ldap ldapserver=x ldapscheme=ldaps ldapbasedn="dc=x" ldapbinddn="cn=y" ldapbindpasswd="{CANARY}"\']'), P + "queryEngineExtraPgHbaRules", "carries ldapbindpasswd"),
    refused("a secret pasted into the wrong key", stack(f"okta:apiToken: {CANARY}", f"{P}bindRuleName: {CANARY * 3}"), P + "bindRuleName", "at most 44"),
    refused("a control character in YAML", stack(f"{P}mfaPolicyName: x\u0007"), FILE, "U+0007"),
    refused("secure value for a key that is not secret", stack(f"{P}immutaIamDisplayName:\n    secure: v1:abc"), P + "immutaIamDisplayName", "not a secret key"),
    refused("secret in a broken extra rule", stack(f"""{P}queryEngineExtraPgHbaRules:\n    - 'host all all 0/0 ldap ldapbindpasswd="{CANARY}" junk'"""), P + "queryEngineExtraPgHbaRules", "carries ldapbindpasswd"),
    refused("secret beside another helmValues problem", stack(f"{P}helmValues:\n    queryEngine: 5\n    global:\n      imagePullPassword: {CANARY}"), P + "helmValues", "must be a mapping"),
    refused("url credentials inside helmValues", stack(f'{P}helmValues:\n    externalDatabase: {{url: "postgres://immuta:{CANARY}@db.example/immuta"}}'), P + "helmValues", "looks like a credential"),
    refused("pwd and accessKey in helmValues", stack(f"{P}helmValues:\n    s3: {{accessKey: {CANARY}}}"), P + "helmValues", "looks like a credential"),
    refused("a date where a group id belongs", stack(f"{P}mfaPolicyGroups: [2001-01-01]"), P + "mfaPolicyGroups", "not an Okta group id"),
    refused("base-60 number", stack(f"{P}bindRotationCount: 1:0"), P + "bindRotationCount", "a whole number"),
    accepted("underscored number is 636 to the CLI (yaml.v3 drops underscores)", stack(f"{P}ldapPort: 6_36")),
    refused("encrypted leaf inside helmValues", stack(f"{P}helmValues:\n    global:\n      pw:\n        secure: v1:abc"), P + "helmValues", "not a secret key"),
    accepted("encrypted leaf inside helmSecretValues", stack(f"{P}helmSecretValues:\n    global:\n      imagePullPassword:\n        secure: v1:abc")),
    refused("an unquoted date is a Go time to the CLI", stack(f"{P}immutaIamDisplayName: 2001-01-01"), P + "immutaIamDisplayName", '"2001-01-01 00:00:00 +0000 UTC": quote it'),
    refused("a leading-zero id is octal to the CLI", stack(f"{P}immutaIamId: 0755", drop=(P + "immutaIamId",)), P + "immutaIamId", 'passes as "493"'),
    # --- accepted -----------------------------------------------------------------------------
    accepted("the minimal stack", stack()),
    accepted("namespace-less key gets the project's", stack("immutaIamDisplayName: Okta via LDAP")),
    accepted("secure bind password", stack(f"{P}immutaBindPassword:\n    secure: v1:abc")),
    accepted("secure okta api token", stack("okta:apiToken:\n    secure: v1:abc")),
    accepted("secure chart credentials", stack(f"{P}helmSecretValues:\n    secure: v1:abc")),
    accepted("references to kubernetes secrets in helmValues", stack(f"{P}helmValues:\n    global:\n      existingSecret: immuta-pull\n      imagePullSecretName: pull")),
    accepted("exact pre-release chart version", stack(f'{P}helmChartVersion: "4.14.0-rc.1"', drop=(P + "helmChartVersion",))),
    accepted("mfa for Everyone", stack(f"{P}mfaPolicyGroups: [Everyone]")),
    accepted("a valid search filter", stack(f'{P}queryEngineSearchFilter: "(&(uid=$username)(memberOf=cn=immuta,ou=groups,dc=acme,dc=okta,dc=com))"')),
    accepted("starttls on 389", stack(f"{P}ldapTransport: starttls")),
    accepted("quoted true for a boolean", stack(f'{P}immutaIamAdopt: "true"')),
    accepted("pulumi namespace", stack("pulumi:tags:\n    team: data")),
]  # fmt: skip


def _project(tmp: Path, text: str) -> Path:
    (tmp / "stacks").mkdir()
    shutil.copy(PROJECT_ROOT / "Pulumi.yaml", tmp / "Pulumi.yaml")
    (tmp / FILE).write_text(text)
    return tmp


def test_the_table_holds_at_least_sixty_files() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_stack_file(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    registered: list[object] = []
    real = mock_engine._RecordingMonitor.RegisterResource
    monkeypatch.setattr(
        mock_engine._RecordingMonitor,
        "RegisterResource",
        lambda self, request: registered.append(request.type) or real(self, request),
    )
    root = _project(tmp_path, case.text)
    tracemalloc.start()
    try:
        code = cli.main(["--stack", "t", "--root", str(root)])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    out, err = capsys.readouterr()
    assert peak < 200 * 1024 * 1024
    assert "Traceback" not in out + err
    assert CANARY not in out + err
    assert "s3cret-7f3a9" not in out + err
    if case.key is None:
        assert code == 0, err
        assert out.startswith("# Offline plan of stack 't'")
        return
    assert code == 2, out[:300]
    assert registered == []  # refused before the program registered anything
    assert out == ""
    assert FILE in err
    assert case.key in err
    assert case.allowed in err, err


def test_starttls_on_the_ldaps_port_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, stack(f"{P}ldapTransport: starttls", f"{P}ldapPort: 636"))
    assert cli.main(["--stack", "t", "--root", str(root)]) == 0
    err = capsys.readouterr().err
    assert "warning: ldapPort 636 is the standard port of ldaps" in err


@dataclass(frozen=True)
class Hint:
    name: str
    text: str
    key: str
    says: tuple[str, ...]  # the real problem and its fix
    not_says: tuple[str, ...] = ()  # what an earlier hint said, pointing the wrong way


def rules(*lines: str) -> str:
    return stack(f"{P}queryEngineExtraPgHbaRules: [" + ", ".join(f'"{r}"' for r in lines) + "]")


CHART = P + "helmChartVersion"
HINTS = [
    Hint("an address without /32 before the method", rules("hostssl immuta monitoring 10.1.2.3 scram-sha-256"), P + "queryEngineExtraPgHbaRules",
         ("token 'scram-sha-256': read as the netmask, not as the method", "10.1.2.3 has no /prefix", 'invalid IP mask "scram-sha-256"', "CIDR length, e.g. 10.1.2.3/32", "a netmask column after it, e.g. 10.1.2.3 255.255.255.255"),
         ("not a netmask", "write it as an address")),
    Hint("an IPv6 address without /128 at the end", rules("hostssl immuta monitoring 2001:db8::7"), P + "queryEngineExtraPgHbaRules",
         ("token '2001:db8::7'", "end-of-line before netmask specification", "CIDR length, e.g. 2001:db8::7/128"), ("not a netmask",)),
    Hint("a zone id after the prefix", rules("hostssl immuta monitoring fe80::/10%eth0 scram-sha-256"), P + "queryEngineExtraPgHbaRules",
         ("token 'fe80::/10%eth0'", "a zone id (%eth0) cannot follow the /prefix", "invalid CIDR mask in address", "leave it out: fe80::/10"),
         ("netmask", "the prefix is 0 to 128")),
    Hint("a zone id before the prefix", rules("hostssl immuta monitoring fe80::1%eth0/64 scram-sha-256"), P + "queryEngineExtraPgHbaRules",
         ("a zone id (%eth0) is not accepted here", "network interface of the Query Engine's server", "without the zone id, e.g. fe80::1/64"), ("netmask",)),
    Hint("an unquoted short chart version", stack(f"{CHART}: 4.13", drop=(CHART,)), CHART,
         ('YAML read a number, which the CLI passes as "4.13": quote it', "the text is refused too", "one exact chart version in full", 'helmChartVersion: "4.13.5"'),
         ('(e.g. helmChartVersion: "4.13")', "(2 problem(s))")),
    Hint("a quoted short chart version", stack(f'{CHART}: "4.13"', drop=(CHART,)), CHART,
         ("one exact chart version in full", 'helmChartVersion: "4.13.5"'), ("quote it",)),
    Hint("trust over TCP", rules("hostssl immuta all 10.0.0.0/8 trust"), P + "queryEngineExtraPgHbaRules",
         ("trust lets anyone who matches the rule in without a password", "use scram-sha-256 on a hostssl line", "or ldap with ldaptls=1")),
    Hint("trust on the local socket", rules("local all all trust"), P + "queryEngineExtraPgHbaRules",
         ("trust lets anyone", "use peer (the operating system user) or scram-sha-256")),
    Hint("every bad rule, not the first alone", rules("hostssl immuta all 10.0.0.0/8 trust", "local all all peer", "hostssl immuta monitoring 10.1.2.3 scram-sha-256"), P + "queryEngineExtraPgHbaRules",
         ("rule [0]", "trust lets anyone", "rule [2]", "read as the netmask"), ("rule [1]",)),
]  # fmt: skip


@pytest.mark.parametrize("hint", HINTS, ids=[h.name for h in HINTS])
def test_a_hint_names_the_real_problem_and_its_fix(
    hint: Hint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path, hint.text)
    assert cli.main(["--stack", "t", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert "(1 problem(s))" in err, err
    assert FILE in err
    assert f"  - {hint.key}" in err, err
    for words in hint.says:
        assert words in err, (words, err)
    for words in hint.not_says:
        assert words not in err, (words, err)
