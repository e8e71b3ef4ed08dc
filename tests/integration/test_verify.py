"""`make verify` against the real slapd and PostgreSQL and the Immuta emulator: a healthy
stack passes every check; each fault fails at the right check with the right hint."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rehearsal.immuta_emulator import ImmutaEmulator
from rehearsal.servers import Postgres, Slapd, TestCA, free_port
from tests.support.directory import ALICE, IMMUTA_BIND, QE_BIND, program_plan, program_rules
from tests.support.stacks import unwrap_secrets
from verify.__main__ import main


@pytest.fixture
def run_verify(
    slapd: Slapd, postgres: Postgres, emulator: ImmutaEmulator, ca: TestCA, tmp_path: Path,
    deployed: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> Callable[..., tuple[int, dict[str, Any], str]]:  # fmt: skip
    """Run `python -m verify --json` in-process; returns (exit code, result, printed text)."""
    emulator.reset()
    emulator.document["plugins"]["okta"] = {
        "id": "okta",
        "displayName": "Okta LDAP",
        "type": "ldap",
    }
    monkeypatch.setenv("VERIFY_PROBE_PASSWORD", ALICE.password)

    def run(
        outputs: dict[str, Any] | None = None, probe: str = ALICE.login, **changes: Any
    ) -> tuple[int, dict[str, Any], str]:
        out = unwrap_secrets(program_plan(slapd).outputs) if outputs is None else outputs
        for key, value in changes.items():
            out[key] = value
        (tmp_path / "outputs.json").write_text(json.dumps(out))
        (tmp_path / "config.json").write_text(
            json.dumps(
                {
                    "okta-ldap-immuta:immutaUrl": {"value": emulator.url, "secret": False},
                    "okta-ldap-immuta:immutaApiKey": {"value": emulator.api_key, "secret": True},
                    "okta-ldap-immuta:immutaCaCertificate": {"value": ca.cert.read_text()},
                }
            )
        )
        argv = [
            "--stack", "dev", "--outputs", str(tmp_path / "outputs.json"),
            "--config", str(tmp_path / "config.json"), "--probe-login", probe,
            "--ldap-ca", str(ca.cert), "--query-engine-host", "127.0.0.1",
            "--query-engine-port", str(postgres.port), "--query-engine-ca", str(ca.cert),
            "--timeout", "5", "--json",
        ]  # fmt: skip
        code = main(argv)
        printed = capsys.readouterr().out
        return code, json.loads(printed), printed

    return run


def statuses(result: dict[str, Any]) -> list[tuple[int, str]]:
    return [(c["number"], c["status"]) for c in result["checks"]]


def failing(result: dict[str, Any]) -> dict[str, Any]:
    (check,) = [c for c in result["checks"] if c["status"] == "fail"]
    return check


def no_secrets(printed: str) -> None:
    for secret in (QE_BIND.password, IMMUTA_BIND.password, ALICE.password):
        assert secret not in printed


def test_a_healthy_stack_passes_every_check(run_verify: Callable[..., Any]) -> None:
    code, result, printed = run_verify()
    assert code == 0
    assert result["passed"] is True
    assert statuses(result) == [
        (1, "pass"),
        (2, "pass"),
        (2, "pass"),
        (3, "pass"),
        (4, "pass"),
        (5, "pass"),
        (6, "pass"),
        (7, "skip"),  # no Okta API token: the sign-on check is tested against the Okta emulator
        (8, "skip"),  # the same for the password expiry check
    ]
    no_secrets(printed)


def test_wrong_bind_password_fails_the_bind_check(run_verify: Callable[..., Any]) -> None:
    passwords = {"immuta": IMMUTA_BIND.password, "queryEngine": "Wrong-Bind-Pw-0"}
    code, result, printed = run_verify(bindPasswords=passwords)
    check = failing(result)
    assert code == 1
    assert check["number"] == 2
    assert "queryEngine" in check["name"]
    assert "wrong bind DN or password" in check["cause"]
    assert (3, "skip") in statuses(result)  # the search needs that bind
    no_secrets(printed)
    assert "Wrong-Bind-Pw-0" not in printed


def test_a_bind_account_that_does_not_exist_fails_the_bind_check(
    run_verify: Callable[..., Any],
) -> None:
    dns = {
        "immuta": "uid=nobody@acme.example,dc=acme,dc=okta,dc=com",
        "queryEngine": f"uid={QE_BIND.login},dc=acme,dc=okta,dc=com",
    }
    code, result, _ = run_verify(bindDns=dns)
    check = failing(result)
    assert (code, check["number"]) == (1, 2)
    assert "immuta" in check["name"]
    assert "uid=<login>,dc=<org>,dc=okta,dc=com" in check["fix"]


def test_wrong_base_dn_fails_the_search(run_verify: Callable[..., Any]) -> None:
    code, result, _ = run_verify(ldapUserBaseDn="ou=people,dc=acme,dc=okta,dc=com")
    check = failing(result)
    assert (code, check["number"]) == (1, 3)
    assert "does not exist" in check["cause"]
    assert (4, "skip") in statuses(result)


def test_a_missing_probe_login_fails_the_search(run_verify: Callable[..., Any]) -> None:
    code, result, _ = run_verify(probe="ghost@acme.example")
    check = failing(result)
    assert (code, check["number"]) == (1, 3)
    assert "no entry with uid=ghost@acme.example" in check["cause"]


def test_a_certificate_for_another_host_fails_tls(
    run_verify: Callable[..., Any], workdir: Path, ca: TestCA
) -> None:
    other = Slapd(
        workdir / "slapd-other", ca, users=(ALICE,), bind_accounts=(QE_BIND, IMMUTA_BIND),
        cert_names="DNS:ldap.other.example",
    ).start()  # fmt: skip
    try:
        code, result, _ = run_verify(ldapPort=other.port)
    finally:
        other.stop()
    check = failing(result)
    assert (code, check["number"]) == (1, 1)
    assert "not valid for 127.0.0.1" in check["cause"]
    assert [s for n, s in statuses(result) if n in (2, 3, 4)] == ["skip"] * 4


def test_an_ldap_server_that_is_down_fails_tls_with_the_interface_hint(
    run_verify: Callable[..., Any],
) -> None:
    code, result, _ = run_verify(ldapPort=free_port())
    check = failing(result)
    assert (code, check["number"]) == (1, 1)
    assert "nothing listens" in check["cause"]
    assert "Add LDAP Interface" in check["fix"]


def test_a_missing_iam_fails_the_immuta_check(
    run_verify: Callable[..., Any], emulator: ImmutaEmulator
) -> None:
    code, result, _ = run_verify(immutaIamId="okta-missing")
    check = failing(result)
    assert (code, check["number"]) == (1, 5)
    assert "missing in Immuta" in check["cause"]
    assert emulator.count("GET", "/bim/iam") == 1


def test_text_output_has_one_line_per_check_and_a_verdict(
    run_verify: Callable[..., Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_verify()  # writes the input files
    code = main(
        ["--outputs", str(tmp_path / "outputs.json"), "--config", str(tmp_path / "config.json")]
    )
    text = capsys.readouterr().out
    assert code == 1  # the LDAP CA is not trusted without --ldap-ca: TLS fails, clearly
    assert text.splitlines()[0].startswith("FAIL 1 TCP and TLS to 127.0.0.1")
    assert "likely cause: the server's certificate does not chain to a trusted CA" in text
    assert text.rstrip().splitlines()[-1].startswith("FAILED: ")


def test_at_most_three_binds_per_account(
    run_verify: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import ldap3

    binds: dict[str, int] = {}
    real_bind = ldap3.Connection.bind

    def counting(self: ldap3.Connection, *args: Any, **kwargs: Any) -> Any:
        binds[str(self.user)] = binds.get(str(self.user), 0) + 1
        return real_bind(self, *args, **kwargs)

    monkeypatch.setattr(ldap3.Connection, "bind", counting)
    code, _, _ = run_verify()
    assert code == 0
    assert len(binds) == 3  # two bind accounts and the probe user
    assert max(binds.values()) <= 3


def test_starttls_transport_is_checked_the_same_way(
    run_verify: Callable[..., Any], slapd: Slapd
) -> None:
    code, result, _ = run_verify(ldapTransport="starttls", ldapPort=slapd.starttls_port)
    assert code == 0
    assert result["checks"][0]["name"].endswith("(starttls)")
    assert [s for n, s in statuses(result) if n in (1, 2, 3, 4)] == ["pass"] * 5


def test_plain_ldap_without_tls_is_refused_by_the_directory(slapd: Slapd, ca: TestCA) -> None:
    import ldap3

    conn = ldap3.Connection(
        ldap3.Server("127.0.0.1", port=slapd.starttls_port, get_info=ldap3.NONE),
        user=f"uid={QE_BIND.login},dc=acme,dc=okta,dc=com",
        password=QE_BIND.password,
    )
    assert conn.bind() is False  # like Okta: no bind without TLS
    assert conn.result["result"] == 13  # confidentialityRequired


def test_a_wrong_probe_password_gets_its_own_fix(
    run_verify: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERIFY_PROBE_PASSWORD", "Not-Alices-Passw0rd")
    code, result, printed = run_verify()
    check = failing(result)
    assert (code, check["number"]) == (1, 4)
    assert "probe user's password" in check["cause"]
    assert "VERIFY_PROBE_PASSWORD" in check["fix"]
    assert "bind account" not in check["fix"]  # not the service account's advice
    assert "Not-Alices-Passw0rd" not in printed


def test_a_deployed_rule_that_differs_from_the_outputs_is_named(
    run_verify: Callable[..., Any], slapd: Slapd, postgres: Postgres
) -> None:
    # The cluster still runs an older rule (a rotation whose rollout has not finished).
    postgres.write_hba(program_rules(slapd, qe_password="Old-Rotated-Away-Pw-1"))
    postgres.reload()
    code, result, printed = run_verify()
    check = failing(result)
    assert (code, check["number"]) == (1, 6)
    assert all(s == "pass" for n, s in statuses(result) if n in (2, 3, 4))
    assert "differs from them" in check["cause"]
    assert "rollout" in check["fix"]
    assert "Old-Rotated-Away-Pw-1" not in printed


def test_a_sync_that_did_not_start_is_a_warning_with_its_fix(
    run_verify: Callable[..., Any],
) -> None:
    code, result, _ = run_verify()
    immuta = next(c for c in result["checks"] if c["number"] == 5)
    assert (code, immuta["warning"]) == (0, None)
    reason = "start a sync of IAM 'okta': Immuta rejected it (HTTP 400): no"
    code, result, _ = run_verify(immutaSyncProblem=reason)
    immuta = next(c for c in result["checks"] if c["number"] == 5)
    assert (code, immuta["status"]) == (0, "pass")  # the scheduled sync still comes
    assert reason in immuta["warning"]
    assert "wait for the scheduled sync (immutaSyncCron)" in immuta["warning"]
