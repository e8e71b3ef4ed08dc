"""Check 8 against the local Okta emulator, with the clock injected: a never-expiring policy
passes and is named; a far expiry passes with a dated warning; a near or past expiry, or an
account Okta expired, locked or suspended, fails with cause and fix; policies are picked as Okta
picks them (priority, groups, status, authentication provider); no token skips; a refused token
fails; nothing printed holds the token."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from components.okta.account_policies import AccountPolicy, applicable
from components.okta.account_policies import account_policy as password_policy
from components.okta.api_connection import OktaConnection
from rehearsal.okta_emulator import OktaEmulator
from tests.support import okta_bodies as bodies
from tests.support.verify_runs import verify_against
from verify.__main__ import render
from verify.checks import Check, Target
from verify.password_expiry import NAME, check_password_expiry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EVERYONE = "00gEveryone0000000001"
BIND_GROUP = "00gBindAccounts000001"
STAFF = "00gStaff0000000000001"
IMMUTA = "00uImmutaBind00000001"
QE = "00uQueryEngineBind001"
GROUP_NAME = "Immuta LDAP bind accounts"
NEVER_NAME = "Immuta LDAP bind accounts: never expire"
BIND_PASSWORD = "Bind-Password-Canary-1"


def policy(
    pid: str,
    name: str,
    priority: int,
    groups: list[str],
    *,
    max_age: int,
    warn: int = 0,
    status: str = "ACTIVE",
    provider: str = "OKTA",
    system: bool = False,
    attempts: int = 0,
    unlock: int = 0,
) -> dict[str, Any]:
    """A PASSWORD policy as GET /api/v1/policies?type=PASSWORD shows it (lockout off unless
    `attempts`)."""
    return {
        "id": pid,
        "type": "PASSWORD",
        "name": name,
        "status": status,
        "priority": priority,
        "system": system,
        "conditions": {
            "people": {"groups": {"include": groups}},
            "authProvider": {"provider": provider},
        },
        "settings": {
            "password": {
                "complexity": {"minLength": 8},
                "age": {
                    "maxAgeDays": max_age,
                    "expireWarnDays": warn,
                    "minAgeMinutes": 0,
                    "historyCount": 4,
                },
                "lockout": {"maxAttempts": attempts, "autoUnlockMinutes": unlock},
            },
            "recovery": {},
            "delegation": {"options": {"skipUnlock": False}},
        },
    }


PASSWORD_RULE = {"id": "0prPasswordRule", "name": "r", "status": "ACTIVE", "priority": 1}
NEVER = policy("00pNeverExpire0000001", NEVER_NAME, 1, [BIND_GROUP], max_age=0)
DEFAULT = policy("00pDefault00000000001", "Default Policy", 2, [EVERYONE], max_age=90, system=True)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def user(uid: str, login: str, changed: datetime | None, status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "id": uid,
        "status": status,
        "created": "2025-01-01T00:00:00.000Z",
        "passwordChanged": iso(changed) if changed else None,
        "profile": {"login": login},
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
    }


@pytest.fixture(scope="module")
def okta_server() -> Iterator[OktaEmulator]:
    emu = OktaEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture
def okta(okta_server: OktaEmulator) -> OktaEmulator:
    okta_server.default_limit = 20
    seed(okta_server, [NEVER, DEFAULT])
    return okta_server


def seed(
    emu: OktaEmulator,
    policies: list[dict[str, Any]],
    *,
    age: timedelta = timedelta(days=30),
    status: str = "ACTIVE",
    groups: list[str] | None = None,
) -> None:
    """Both bind accounts, passwords changed `age` before NOW; the immuta account in `status`."""
    users = [
        user(IMMUTA, "svc-immuta@acme.example", NOW - age, status),
        user(QE, "svc-qe@acme.example", NOW - age),
    ]
    member_of = groups if groups is not None else [EVERYONE, BIND_GROUP]
    emu.seed(
        policies=policies,
        rules={p["id"]: [PASSWORD_RULE] for p in policies if not p["system"]},
        users=users,
        groups=[
            {"id": EVERYONE, "type": "BUILT_IN", "profile": {"name": "Everyone"}},
            {"id": BIND_GROUP, "type": "OKTA_GROUP", "profile": {"name": GROUP_NAME}},
            {"id": STAFF, "type": "OKTA_GROUP", "profile": {"name": "Staff"}},
        ],
        user_groups={IMMUTA: member_of, QE: member_of},
    )


def target(emu: OktaEmulator, token: str | None = None, **changes: Any) -> Target:
    okta = OktaConnection(base_url=emu.url, api_token=token or emu.token, timeout=5)
    base = Target(
        host="127.0.0.1",
        port=636,
        transport="ldaps",
        user_base_dn="ou=users,dc=acme,dc=okta,dc=com",
        accounts=(),
        iam_id=None,
        okta=okta,
        bind_account_ids=(("immuta", IMMUTA), ("queryEngine", QE)),
        bind_group_name=GROUP_NAME,
    )
    return replace(base, **changes)


def run_check(emu: OktaEmulator, **options: Any) -> list[Check]:
    return check_password_expiry(target(emu), now=NOW, **options)


def texts(checks: list[Check]) -> str:
    return json.dumps([c.as_dict() for c in checks]) + render(checks)


def test_a_never_expiring_policy_passes_and_is_named(okta: OktaEmulator) -> None:
    checks = run_check(okta)
    assert [(c.number, c.status, c.warning) for c in checks] == [(8, "pass", None)] * 2
    assert checks[0].name == (f"the immuta account's password does not expire unnoticed ({IMMUTA})")
    assert checks[0].detail == (
        f'password policy "{NEVER_NAME}" (priority 1) never expires it (maxAgeDays 0); '
        "password last changed 2026-01-30 12:00 UTC"
    )
    assert render(checks).splitlines()[-1] == "OK: 1 passed, 0 skipped, 0 failed of 1 check"
    # Read once: the PASSWORD policies for both accounts, then each account and its groups,
    # then the rules of the one custom policy that includes them.
    assert okta.count("/api/v1/policies") == 1
    assert okta.count(f"/api/v1/users/{IMMUTA}") == okta.count(f"/api/v1/users/{QE}") == 1
    assert okta.count(r"/api/v1/users/[^/]+/groups") == 2
    assert okta.count(r"/api/v1/policies/[^/]+/rules") == 1
    assert len(okta.requests) == 6
    assert {r.method for r in okta.requests} == {"GET"}
    assert okta.requests[0].query == {"type": ("PASSWORD",)}


def test_an_expiry_60_days_away_passes_with_a_dated_warning(okta: OktaEmulator) -> None:
    seed(okta, [DEFAULT])  # 90 days, changed 30 days ago
    checks = run_check(okta)
    assert [c.status for c in checks] == ["pass", "pass"]
    check = checks[0]
    assert check.detail == (
        'password policy "Default Policy" (priority 2) expires passwords 90 days after their '
        "last change: on 2026-04-30 12:00 UTC (in 60 days)"
    )
    assert check.warning is not None
    assert "expires on 2026-04-30 12:00 UTC (in 60 days)" in check.warning
    assert "fails from 2026-04-16 12:00 UTC (14 days before)" in check.warning
    assert "exempt the bind accounts or rotate" in check.warning
    lines = render(checks).splitlines()
    assert lines[0].startswith("PASS 8 the immuta account's password does not expire unnoticed")
    assert lines[1].startswith("       warning: the password expires on 2026-04-30 12:00 UTC")
    assert lines[-1] == "OK: 1 passed, 0 skipped, 0 failed of 1 check"


def test_an_expiry_3_days_away_fails_with_the_date_and_the_fix(okta: OktaEmulator) -> None:
    seed(okta, [DEFAULT], age=timedelta(days=87))
    checks = run_check(okta)
    assert [c.status for c in checks] == ["fail", "fail"]
    check = checks[0]
    assert check.detail == (
        "the password expires on 2026-03-04 12:00 UTC (in 3 days) under password policy "
        '"Default Policy" (priority 2)'
    )
    assert check.cause is not None
    assert "90 days after their last change (last changed 2025-12-04 12:00 UTC)" in check.cause
    assert "within the warning window of 14 days" in check.cause
    assert "every LDAP bind as it fails" in check.cause
    assert check.fix is not None
    assert "the stack's own PASSWORD policy" in check.fix
    assert "priority 1 among PASSWORD policies" in check.fix
    assert "maxAgeDays 0" in check.fix
    assert "no lockout" in check.fix
    assert "`pulumi config set okta-ldap-immuta:bindPasswordRotation <date>`" in check.fix
    assert "then `pulumi up`" in check.fix
    assert render(checks).rstrip().endswith("FAILED: 0 passed, 0 skipped, 1 failed of 1 check")


def test_an_expired_password_of_an_active_account_fails(okta: OktaEmulator) -> None:
    seed(okta, [DEFAULT], age=timedelta(days=95))
    check = run_check(okta)[0]
    assert check.status == "fail"
    assert check.detail.startswith(
        "the password expired on 2026-02-24 12:00 UTC (5 days ago) under password policy"
    )
    assert check.cause is not None
    assert "stays ACTIVE only until its next sign-in" in check.cause


@pytest.mark.parametrize(
    ("status", "cause", "fix"),
    [
        ("PASSWORD_EXPIRED", "Okta expired the account's password", "bindPasswordRotation"),
        ("LOCKED_OUT", "locked the account out", f"/api/v1/users/{IMMUTA}/lifecycle/unlock"),
        ("SUSPENDED", "suspended the account", "Unsuspend"),
        ("DEPROVISIONED", "DEPROVISIONED, not ACTIVE", "pulumi up"),
    ],
)
def test_an_account_okta_expired_locked_or_suspended_fails(
    okta: OktaEmulator, status: str, cause: str, fix: str
) -> None:
    seed(okta, [NEVER, DEFAULT], status=status)  # even under a policy that never expires
    immuta, qe = run_check(okta)
    assert (immuta.status, qe.status) == ("fail", "pass")
    assert immuta.detail == (
        f'Okta status {status}; password policy "{NEVER_NAME}" (priority 1) applies'
    )
    assert immuta.cause is not None
    assert cause in immuta.cause
    assert immuta.fix is not None
    assert fix in immuta.fix


def test_a_policy_that_does_not_include_the_accounts_is_skipped(okta: OktaEmulator) -> None:
    staff = policy("00pStaff000000000001", "Staff: never expire", 1, [STAFF], max_age=0)
    seed(okta, [staff, replace_priority(NEVER, 2), replace_priority(DEFAULT, 3)])
    check = run_check(okta)[0]
    assert check.detail.startswith(f'password policy "{NEVER_NAME}" (priority 2) never expires')
    seed(okta, [staff, replace_priority(DEFAULT, 2)])
    check = run_check(okta)[0]
    assert check.detail.startswith('password policy "Default Policy" (priority 2) expires')


def replace_priority(item: dict[str, Any], priority: int) -> dict[str, Any]:
    return {**item, "priority": priority}


def test_an_inactive_policy_is_skipped_and_named(okta: OktaEmulator) -> None:
    seed(okta, [{**NEVER, "status": "INACTIVE"}, DEFAULT], age=timedelta(days=80))
    check = run_check(okta)[0]
    assert check.status == "fail"
    assert 'under password policy "Default Policy" (priority 2)' in check.detail
    assert check.cause is not None
    assert f'password policy "{NEVER_NAME}" (priority 1), which includes the bind group, is ' in (
        check.cause
    )
    assert check.cause.endswith("is INACTIVE")


def test_a_policy_for_another_authentication_provider_is_skipped(okta: OktaEmulator) -> None:
    ad = policy("00pAd000000000000001", "Active Directory Policy", 1, [EVERYONE], max_age=0)
    ad["conditions"]["authProvider"]["provider"] = "ACTIVE_DIRECTORY"
    seed(okta, [ad, replace_priority(DEFAULT, 2)])
    check = run_check(okta)[0]
    assert check.detail.startswith('password policy "Default Policy" (priority 2) expires')


def test_an_exemption_below_an_expiring_policy_is_named(okta: OktaEmulator) -> None:
    everyone = policy("00pEveryone000000001", "Everyone: 60 days", 1, [EVERYONE], max_age=60)
    seed(okta, [everyone, replace_priority(NEVER, 2), replace_priority(DEFAULT, 3)])
    check = run_check(okta)[0]  # changed 30 days ago: expires in 30 days, a warning
    assert check.status == "pass"
    assert check.detail.startswith('password policy "Everyone: 60 days" (priority 1) expires')
    seed(okta, [everyone, replace_priority(NEVER, 2)], age=timedelta(days=50))
    check = run_check(okta)[0]
    assert check.status == "fail"
    assert check.cause is not None
    assert check.cause.endswith(
        f'password policy "{NEVER_NAME}" (priority 2), which includes the bind group, comes '
        'after "Everyone: 60 days"'
    )


def test_a_larger_expire_warn_days_of_the_policy_widens_the_window(okta: OktaEmulator) -> None:
    warned = {
        **DEFAULT,
        "settings": {"password": {"age": {"maxAgeDays": 90, "expireWarnDays": 30}}},
    }
    seed(okta, [warned], age=timedelta(days=70))  # 20 days left
    check = run_check(okta)[0]
    assert check.status == "fail"
    assert check.cause is not None
    assert "within the warning window of 30 days" in check.cause
    seed(okta, [DEFAULT], age=timedelta(days=70))
    assert run_check(okta)[0].status == "pass"
    assert run_check(okta, warn_days=21)[0].status == "fail"


def test_the_window_edge(okta: OktaEmulator) -> None:
    seed(okta, [DEFAULT], age=timedelta(days=76))  # exactly 14 days left: fails
    assert run_check(okta)[0].status == "fail"
    seed(okta, [DEFAULT], age=timedelta(days=76) - timedelta(minutes=1))
    check = run_check(okta)[0]
    assert (check.status, check.warning is not None) == ("pass", True)


def test_no_password_change_date_under_an_expiring_policy_fails(okta: OktaEmulator) -> None:
    seed(okta, [DEFAULT])
    okta.users[0]["passwordChanged"] = None
    check = run_check(okta)[0]
    assert check.status == "fail"
    assert check.detail.endswith("Okta shows no passwordChanged for the account")


def test_a_deleted_account_fails_that_account_only(okta: OktaEmulator) -> None:
    gone = "00uDeleted00000000001"
    checks = check_password_expiry(
        target(okta, bind_account_ids=(("immuta", IMMUTA), ("queryEngine", gone))), now=NOW
    )
    assert [c.status for c in checks] == ["pass", "fail"]
    assert checks[1].detail == f"Okta has no user {gone}"
    assert okta.count(f"/api/v1/users/{gone}/groups") == 0


def test_shared_mode_reads_and_reports_the_one_account_once(okta: OktaEmulator) -> None:
    shared = target(okta, bind_account_ids=(("immuta", QE), ("queryEngine", QE)))
    (check,) = check_password_expiry(shared, now=NOW)
    assert "immuta and queryEngine account" in check.name
    assert okta.count(f"/api/v1/users/{QE}") == 1


def test_policies_on_several_pages_are_read_once_for_all_accounts(okta: OktaEmulator) -> None:
    staff = policy("00pStaff000000000001", "Staff", 1, [STAFF], max_age=0)
    seed(okta, [staff, replace_priority(NEVER, 2), replace_priority(DEFAULT, 3)])
    okta.default_limit = 1
    checks = run_check(okta)
    assert [c.status for c in checks] == ["pass", "pass"]
    assert okta.count("/api/v1/policies") == 3  # three pages, once
    assert okta.count(r"/api/v1/users/[^/]+") == 2


def test_no_token_skips_and_says_how_to_set_one(okta: OktaEmulator) -> None:
    (check,) = check_password_expiry(target(okta, okta=None), now=NOW)
    assert (check.number, check.name, check.status) == (8, NAME, "skip")
    assert "OKTA_API_TOKEN" in check.detail
    assert okta.requests == []


def test_a_refused_token_fails_clearly_without_the_token(okta: OktaEmulator) -> None:
    wrong = "00Wrong-Token-Canary-" + okta.token[-6:]
    checks = check_password_expiry(target(okta, token=wrong), now=NOW)
    (check,) = checks
    assert (check.number, check.name, check.status) == (8, NAME, "fail")
    assert check.detail.startswith("cannot read the bind accounts' passwords")
    assert check.cause is not None
    assert "Okta refused the API token" in check.cause
    assert "HTTP 401" in check.cause
    assert check.fix is not None
    assert "Read-Only Administrator" in check.fix
    assert wrong not in texts(checks)


def test_a_forbidden_policy_list_is_named(okta: OktaEmulator) -> None:
    okta.forbid("/api/v1/policies")
    (check,) = run_check(okta)
    assert check.status == "fail"
    assert check.cause is not None
    assert "GET /api/v1/policies" in check.cause
    assert "HTTP 403" in check.cause


def test_a_malformed_policy_fails_as_unreadable(okta: OktaEmulator) -> None:
    bad = {**DEFAULT, "settings": {"password": {"age": {"maxAgeDays": "ninety"}}}}
    seed(okta, [bad])
    (check,) = run_check(okta)
    assert check.status == "fail"
    assert check.cause is not None
    assert "cannot read the org's PASSWORD policies" in check.cause


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"settings": {"password": {"age": {"maxAgeDays": "ninety"}}}}, "of a type"),
        ({"settings": {"password": {"age": ["x"]}}}, "of a type"),
        ({"id": None}, "no field id"),
    ],
    ids=["a number that is text", "a list for a map", "no id"],
)
def test_a_malformed_policy_is_named_without_a_python_repr(
    okta: OktaEmulator, change: dict[str, Any], named: str
) -> None:
    seed(okta, [{k: v for k, v in {**DEFAULT, **change}.items() if v is not None}])
    (check,) = run_check(okta)
    assert check.cause is not None
    assert check.cause.startswith("cannot read the org's PASSWORD policies: ")
    assert named in check.cause
    assert "Error" not in check.cause
    assert "'" not in check.cause.removeprefix("cannot read the org's")


def test_the_system_default_policy_comes_last_whatever_its_number() -> None:
    default = password_policy({**DEFAULT, "priority": 1})
    staff = password_policy(policy("00pS", "Staff", 2, [STAFF], max_age=0))
    chosen = applicable([default, staff], frozenset({STAFF}))
    assert chosen is not None
    assert chosen.name == "Staff"
    # The default policy holds Everyone even when a group listing leaves it out.
    assert applicable([default, staff], frozenset()) == default
    assert isinstance(default, AccountPolicy)


# --- the whole verify run ------------------------------------------------------------------


@pytest.fixture
def run(
    okta: OktaEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Any:
    """`python -m verify --okta-url <emulator>` in-process: (exit code, printed text)."""
    return verify_against(
        okta, tmp_path, monkeypatch, capsys, root_dn="dc=acme,dc=okta,dc=com",
        account_ids={"immuta": IMMUTA, "queryEngine": QE}, bind_password=BIND_PASSWORD,
    )  # fmt: skip


def token(emu: OktaEmulator) -> dict[str, Any]:
    return {"okta:apiToken": {"value": emu.token, "secret": True}}


def test_the_rendered_run_shows_check_8_and_holds_no_token(okta: OktaEmulator, run: Any) -> None:
    now = datetime.now(UTC)
    seed(okta, [DEFAULT], age=NOW - now + timedelta(days=30))  # changed 30 days before today
    _, text = run(token(okta))
    eights = [line for line in text.splitlines() if line.startswith(("PASS 8", "FAIL 8"))]
    assert [line[:6] for line in eights] == ["PASS 8", "PASS 8"]
    assert text.count("       warning: the password expires on ") >= 2
    assert okta.token not in text
    assert BIND_PASSWORD not in text
    _, text = run(token(okta), "--password-warn-days", "90", "--json")
    result = json.loads(text)
    assert [c["status"] for c in result["checks"] if c["number"] == 8] == ["fail", "fail"]
    assert okta.token not in text


def test_the_whole_run_skips_check_8_without_a_token(okta: OktaEmulator, run: Any) -> None:
    _, text = run({})
    assert f"SKIP 8 {NAME}: no Okta credentials: set OKTA_API_TOKEN" in text
    assert okta.requests == []


def test_a_negative_warn_window_is_refused_before_okta_is_read(
    okta: OktaEmulator, run: Any
) -> None:
    code, text = run({}, "--password-warn-days", "-1", "--json")
    assert code == 2
    assert json.loads(text)["errors"] == [
        {"input": "--password-warn-days", "message": "must be 0 or more"}
    ]
    assert okta.requests == []


# --- real and documented answers (tests/support/okta_bodies.py) ------------------------------


def test_the_real_default_policy_passes_but_warns_it_can_lock_an_account_for_good(
    okta: OktaEmulator,
) -> None:
    seed(okta, [bodies.REAL_DEFAULT_PASSWORD_POLICY])
    checks = check_password_expiry(target(okta), now=NOW)
    assert [c.status for c in checks] == ["pass", "pass"]
    assert "never expires it" in checks[0].detail
    assert "after 10 bad passwords until an administrator unlocks it" in (checks[0].warning or "")


def test_a_lockout_that_unlocks_itself_is_no_warning(okta: OktaEmulator) -> None:
    seed(okta, [policy("00pA", "auto", 1, [BIND_GROUP], max_age=0, attempts=10, unlock=5), DEFAULT])
    check = check_password_expiry(target(okta), now=NOW)[0]
    assert (check.status, check.warning) == ("pass", None)


def test_the_real_custom_policy_with_breach_protection_off_applies(okta: OktaEmulator) -> None:
    # That org's Everyone is this org's Everyone.
    people = {"people": {"groups": {"include": [EVERYONE]}}, "authProvider": {"provider": "OKTA"}}
    custom = dict(bodies.REAL_CUSTOM_PASSWORD_POLICY, conditions=people)
    seed(okta, [custom, DEFAULT])
    check = check_password_expiry(target(okta), now=NOW)[0]
    assert check.status == "pass"
    assert '"testAcc_3624467569" (priority 1) never expires it' in check.detail
    assert "breach" not in (check.warning or "")  # expireAfterDays null
    breached = dict(custom, settings={"password": {"breachedProtection": {"expireAfterDays": 3}}})
    seed(okta, [breached, DEFAULT])
    check = check_password_expiry(target(okta), now=NOW)[0]
    assert "3 days after Okta finds it in a breach" in (check.warning or "")


def test_a_custom_policy_without_a_rule_never_applies(okta: OktaEmulator) -> None:
    seed(okta, [NEVER, DEFAULT])
    okta.rules.clear()
    check = check_password_expiry(target(okta), now=NOW)[0]
    assert '"Default Policy"' in check.detail


def test_the_real_provisioned_user_with_no_password_change_fails_clearly(
    okta: OktaEmulator,
) -> None:
    seed(okta, [bodies.REAL_DEFAULT_PASSWORD_POLICY])
    okta.users[0] = {**bodies.REAL_USER, "id": IMMUTA}
    check = check_password_expiry(target(okta), now=NOW)[0]
    assert check.status == "fail"
    assert check.detail.startswith("Okta status PROVISIONED")
    assert "never got a password" in (check.cause or "")


def test_the_spec_example_with_placeholders_applies_to_no_okta_user(okta: OktaEmulator) -> None:
    seed(okta, [bodies.SPEC_PASSWORD_POLICY])
    check = check_password_expiry(target(okta), now=NOW)[0]
    assert check.status == "fail"
    assert check.detail == "no PASSWORD policy applies to the account"
