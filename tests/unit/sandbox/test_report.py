"""What the sandbox tells people: checks counted as checks (passed, skipped and why, failed),
no path that --check removes, the IAM's port as the sandbox really reached it, and why the
non-member is refused."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from sandbox.report import facts, refusal_line, summary, tally, verify_lines
from sandbox.run import SampleUser, Sandbox

OKTA_SKIP = "no Okta credentials: set OKTA_API_TOKEN to a Read-Only Administrator's API token"
ROOT = Path("/tmp/okta-ldap-immuta-sandbox-x1")
CHECKS: list[dict[str, Any]] = [
    {"number": 1, "name": "TCP and TLS", "status": "pass", "detail": "TLSv1.3"},
    {"number": 2, "name": "bind as the immuta account", "status": "pass", "detail": "bound"},
    {"number": 2, "name": "bind as the queryEngine account", "status": "pass", "detail": "bound"},
    *({"number": n, "name": f"check {n}", "status": "pass", "detail": "ok"} for n in (3, 4, 5, 6)),
    {"number": 7, "name": "Okta sign-on", "status": "skip", "detail": OKTA_SKIP},
    {"number": 8, "name": "password expiry", "status": "skip", "detail": OKTA_SKIP},
]


def test_checks_are_counted_by_number_with_the_reason_for_each_skip() -> None:
    assert tally(CHECKS) == (
        "6 passed, 2 skipped (7, 8: the sandbox has no Okta Management API), 0 failed of 8 checks"
    )


def test_a_check_fails_when_one_of_its_lines_fails() -> None:
    checks = [*CHECKS[:2], {**CHECKS[2], "status": "fail"}, *CHECKS[3:]]
    checks[3] = {**checks[3], "status": "skip", "detail": "needs check 2"}
    assert tally(checks) == (
        "4 passed, 3 skipped (3: needs check 2; 7, 8: the sandbox has no Okta Management API), "
        "1 failed of 8 checks"
    )


def test_verify_lines_end_with_the_verdict_and_shorten_the_okta_advice() -> None:
    lines = verify_lines({"passed": True, "checks": CHECKS})
    assert lines[-1] == "  OK: " + tally(CHECKS)
    assert "of 7 checks passed" not in "\n".join(lines)
    assert "OKTA_API_TOKEN" not in "\n".join(lines)
    assert lines[-2].startswith("  SKIP 8 password expiry: the sandbox has no Okta Management API")


MEMBER = SampleUser("alice@acme.example", "pw-a", True)
OUTSIDER = SampleUser("carol@acme.example", "pw-c", False)
REFUSED = 'password authentication failed for user "carol@acme.example"'


def fake_sandbox(refusal: str = REFUSED, iam_port: int = 636) -> Sandbox:
    """The attributes the report reads, without servers."""
    desired = SimpleNamespace(
        settings=SimpleNamespace(
            query_engine=SimpleNamespace(client_cidrs=("10.0.0.0/8",)),
            directory=SimpleNamespace(
                transport="starttls", port=40389, users_base_dn="ou=users", groups_base_dn="ou=g"
            ),
        ),
        database="immuta", role="okta_user", hba_rules=("r1", "r2"), iam_id="okta",
        added_client=None, bind_accounts=(SimpleNamespace(login="svc@acme.example"),),
    )  # fmt: skip
    request = SimpleNamespace(
        stack="dev", samples=(MEMBER, OUTSIDER), settings=SimpleNamespace(mfa=None),
        org=SimpleNamespace(source="an org", user_groups={}),
    )  # fmt: skip
    sb = SimpleNamespace(
        desired=desired, request=request, root=ROOT, iam_file=ROOT / "immuta-iam.json",
        pgpass=ROOT / "private" / "pgpass", ca=SimpleNamespace(cert=ROOT / "ca" / "ca.pem"),
        postgres=SimpleNamespace(port=5433, postmaster_pid=lambda: 42),
        slapd=SimpleNamespace(proc=None, port=40636, starttls_port=40389, root_dn="dc=acme"),
        emulator=SimpleNamespace(url="https://127.0.0.1:8443"),
        iam={"options": {"host": "127.0.0.1", "port": iam_port, "useSSL": True}},
        sign_on=[], verify={"passed": True, "checks": CHECKS},
        groups={MEMBER.login: ("okta_user",), OUTSIDER.login: ()},
        refusals={OUTSIDER.login: refusal}, passed=bool(refusal),
    )  # fmt: skip
    return cast(Sandbox, sb)


def test_check_mode_names_no_path_it_removes() -> None:
    text = summary(fake_sandbox(), staying=False)
    assert str(ROOT) not in text
    assert "its folder is removed as it exits, so no file is named here" in text
    assert "  OK: 6 passed, 2 skipped" in text
    data = facts(fake_sandbox(), staying=False)
    assert str(ROOT) not in str(data)
    assert data["folder"] is None
    assert data["caFile"] is None
    assert data["queryEngine"]["pgpassFile"] is None
    assert data["immuta"]["iamFile"] is None


def test_a_running_sandbox_names_its_files() -> None:
    text = summary(fake_sandbox(), staying=True)
    for path in (ROOT, ROOT / "immuta-iam.json", ROOT / "ca" / "ca.pem", ROOT / "private"):
        assert str(path) in text
    assert facts(fake_sandbox(), staying=True)["caFile"] == str(ROOT / "ca" / "ca.pem")


def test_the_iams_port_636_is_shown_with_the_port_the_sandbox_reached() -> None:
    text = summary(fake_sandbox(), staying=False)
    assert "IAM okta binds to ldaps://127.0.0.1:636 (Okta's LDAPS port" in text
    assert (
        "nothing listens on 636 here: the sandbox's Immuta reaches slapd's LDAPS port 40636" in text
    )
    reached = facts(fake_sandbox(), staying=False)["immuta"]["iamLdapReachedAt"]
    assert reached == {"host": "127.0.0.1", "port": 40636}
    own = summary(fake_sandbox(iam_port=40636), staying=False)
    assert "binds to ldaps://127.0.0.1:40636\n" in own


def test_the_refused_non_member_is_explained() -> None:
    line = refusal_line(fake_sandbox(), OUTSIDER.login, len(OUTSIDER.login))
    assert "refused, as intended: not in the role okta_user, so no LDAP rule (+okta_user)" in line
    assert "the chart's catch-all `hostssl immuta all 0.0.0.0/0 md5`" in line
    assert line.endswith(REFUSED)
    assert line in summary(fake_sandbox(), staying=False)
    (outsider,) = [u for u in facts(fake_sandbox())["sampleUsers"] if not u["member"]]
    assert outsider["queryEngineRefusal"] == REFUSED


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("", "LET IN  <- FAILS: only members of okta_user may log in"),
        ('no pg_hba.conf entry for host "127.0.0.1"', "refused, as intended (not in the role"),
    ],
)
def test_other_answers_to_the_non_member(answer: str, says: str) -> None:
    assert says in refusal_line(fake_sandbox(answer), OUTSIDER.login, 20)
