"""The policy pack as the engine runs it: `policy/__main__.py` serving the Analyzer over gRPC."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    proc = subprocess.Popen(
        [sys.executable, "-u", "__main__.py"],
        cwd=ROOT / "policy",
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline().decode().strip() or 0)
    assert port, proc.stderr.read().decode() if proc.stderr else "no port"
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield analyzer_pb2_grpc.AnalyzerStub(channel)
    channel.close()
    proc.terminate()
    proc.wait(10)


def test_pack_lists_its_eight_policies(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "okta-ldap-immuta-guardrails"
    assert {p.name for p in info.policies} == {
        "pg-hba-ldap-rules-use-tls",
        "helm-values-with-bind-password-are-secret",
        "pg-hba-ldap-logins-end-when-okta-stalls",
        "bind-accounts-read-only-admin",
        "immuta-iam-uses-ldaps",
        "bind-account-policy-first-and-only-for-bind-accounts",
        "mfa-rule-exempts-exactly-bind-accounts",
        "bind-account-roles-set-once",
        "bind-accounts-own-password-and-enrollment-policies",
    }
    levels = {p.name: p.enforcementLevel for p in info.policies}
    assert levels.pop("pg-hba-ldap-logins-end-when-okta-stalls") == analyzer_pb2.ADVISORY
    assert set(levels.values()) == {analyzer_pb2.MANDATORY}


def test_analyze_reports_a_rule_without_address_column(
    analyzer: analyzer_pb2_grpc.AnalyzerStub,
) -> None:
    no_address = 'hostssl immuta +okta_user ldap ldapserver="x" ldapscheme=ldaps ldapbasedn="b"'
    props = struct_pb2.Struct()
    props.update({"values": {"queryEngine": {"clientPgHBARules": [no_address]}}})
    response = analyzer.Analyze(
        analyzer_pb2.AnalyzeRequest(
            type="kubernetes:helm.sh/v3:Release",
            properties=props,
            urn="urn:pulumi:dev::okta-ldap-immuta::kubernetes:helm.sh/v3:Release::immuta",
            name="immuta",
            options=analyzer_pb2.AnalyzerResourceOptions(additionalSecretOutputs=["values"]),
        )
    )
    messages = {(d.policyName, d.message) for d in response.diagnostics}
    assert any(
        name == "pg-hba-ldap-rules-use-tls" and "has no address column" in message
        for name, message in messages
    )
