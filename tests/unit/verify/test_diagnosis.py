"""Diagnosis of Okta LDAP Interface refusals, fed the codes and messages Okta sends."""

from __future__ import annotations

import socket
import ssl

import pytest

from verify.checks import Check, passed
from verify.diagnosis import diagnose_bind, diagnose_connect, diagnose_search


@pytest.mark.parametrize(
    ("code", "message", "timed_out", "cause", "fix"),
    [
        (49, "Invalid credentials", False, "wrong bind DN or password", "uid=<login>,dc=<org>"),
        (
            49,
            "MFA required: enter password,passcode",
            False,
            "MFA is required",
            "exempt the bind account",
        ),
        (49, "Okta Verify push rejected", False, "MFA is required", "static bind password"),
        (11, "administrative limit exceeded", False, "rate limit", "bindAccountMode: perConsumer"),
        (
            None,
            "Administrative limit exceeded",
            False,
            "about 4 binds per second",
            "own bind account",
        ),
        (None, "", True, "waiting for an Okta Verify push", "exempt the bind account"),
        (53, "unwilling to perform", False, "unwilling", "ACTIVE"),
        (32, "No such object", False, "does not exist", "no ou=users"),
        (80, "other", False, "LDAP result 80", "check the account"),
    ],
)
def test_bind_refusals_get_their_cause_and_fix(
    code: int | None, message: str, timed_out: bool, cause: str, fix: str
) -> None:
    d = diagnose_bind(code, message, timed_out)
    assert cause in d.cause
    assert fix in d.fix


def test_connection_failures_point_at_the_ldap_interface() -> None:
    missing = diagnose_connect(
        socket.gaierror(-2, "Name or service not known"), "acme.ldap.okta.com", 636
    )
    assert "does not resolve" in missing.cause
    assert "Add LDAP Interface" in missing.fix
    refused = diagnose_connect(ConnectionRefusedError(), "127.0.0.1", 636)
    assert "nothing listens" in refused.cause
    mismatch = ssl.SSLCertVerificationError("certificate verify failed: Hostname mismatch")
    assert "not valid for" in diagnose_connect(mismatch, "x.example", 636).cause


def test_search_results_are_explained() -> None:
    assert "does not exist" in diagnose_search(32, 0, "ou=people,dc=x", "a@x").cause
    assert "no entry with uid=a@x" in diagnose_search(0, 0, "ou=users,dc=x", "a@x").cause
    assert "exactly one" in diagnose_search(0, 2, "ou=users,dc=x", "a@x").cause


def test_exit_status_counts_only_checks_that_ran() -> None:
    assert passed([Check(1, "a", "pass", ""), Check(2, "b", "skip", "")])
    assert not passed([Check(1, "a", "pass", ""), Check(2, "b", "fail", "")])
    assert not passed([Check(1, "a", "skip", "")])  # nothing ran: not a pass
