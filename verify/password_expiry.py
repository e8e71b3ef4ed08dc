"""Check 8: no bind account's Okta password expires unnoticed.

Okta expires a password `maxAgeDays` after its last change (`passwordChanged`) under the
PASSWORD policy that applies to the user. The user stays ACTIVE until its next sign-in, and then
every LDAP bind as it fails: every Query Engine login, and Immuta's LDAP sync, break at once.

The check reads the org through the read-only Management API: the PASSWORD policies once for all
accounts, then each bind account (status, `passwordChanged`) and its groups. It picks the policy
the way Okta does: priority order, the system default policy last; the first ACTIVE policy for
Okta-sourced users (`conditions.authProvider.provider` OKTA, or none) whose groups include the
account. Fail: the account is not ACTIVE (PASSWORD_EXPIRED, LOCKED_OUT, SUSPENDED, ...), or its
password expired or expires within the warning window (`warn_days`, or the policy's
`expireWarnDays` when larger); pass with a warning when it expires later; pass when the policy
never expires it (maxAgeDays 0). The clock is a parameter (`now`), so tests need no waiting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from components.config import PASSWORD_POLICY_SUFFIX, project_schema
from components.okta.account_policies import (
    OKTA_PROVIDER,
    AccountPolicy,
    account_policy,
    applicable,
    needs_rules,
    ordered,
)
from components.okta.api_connection import SET_TOKEN_HINT
from components.okta.errors import (
    OktaAuthError,
    OktaError,
    OktaForbidden,
    OktaNotFound,
    OktaUnavailable,
)
from components.okta.management_api import OktaClient
from verify.checks import Check, Target, okta_consumers, scrubbed

NUMBER = 8
NAME = "bind account passwords do not expire unnoticed"
WARN_DAYS = 14
DOCS_HINT = "see docs/verify.md, check 8"


@dataclass(frozen=True)
class Account:
    """A bind account as Okta shows it: status, last password change, groups (id -> name)."""

    user_id: str
    consumers: tuple[str, ...]
    status: str
    password_changed: datetime | None
    groups: Mapping[str, str]


def account_name(consumers: Sequence[str], user_id: str) -> str:
    who = " and ".join(consumers)
    return f"the {who} account's password does not expire unnoticed ({user_id})"


def _timestamp(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _when(expiry: datetime, now: datetime) -> str:
    left = expiry - now
    if left > timedelta(0):
        return f"in {_days(left.days)}" if left.days else "within a day"
    return f"{_days((-left).days)} ago" if (-left).days else "less than a day ago"


def _rotate_key() -> str:
    return project_schema().full("bindPasswordRotation")


def _exempt(t: Target) -> str:
    policy = (
        f'"{t.bind_policy_name}{PASSWORD_POLICY_SUFFIX}"'
        if t.bind_policy_name
        else "(bindPolicyName + (passwords))"
    )
    return (
        f"let the stack's own PASSWORD policy {policy} decide for the bind accounts: priority 1 "
        "among PASSWORD policies (authentication provider Okta), including the bind group, "
        "maxAgeDays 0 (never expires) and no lockout: run `pulumi up` (`pulumi refresh` first "
        "shows changes made by hand)"
    )


def _rotate() -> str:
    return (
        f"rotate now: `pulumi config set {_rotate_key()} <date>` (or a new bind password "
        "secret, when the stack sets the passwords), then `pulumi up`"
    )


def _fix(t: Target) -> str:
    return f"{_exempt(t)}; or {_rotate()} ({DOCS_HINT})"


def _why_not_exempt(
    t: Target, account: Account, policies: Sequence[AccountPolicy], chosen: AccountPolicy | None
) -> str:
    """Why a PASSWORD policy that includes the bind group did not apply, when there is one."""
    bind_group = next((g for g, n in account.groups.items() if n == t.bind_group_name), None)
    if not bind_group:
        return ""
    for policy in ordered(policies):
        if policy.system or bind_group not in policy.groups or policy == chosen:
            continue
        if policy.status != "ACTIVE":
            return f"; {policy}, which includes the bind group, is {policy.status}"
        if policy.provider != OKTA_PROVIDER:
            return f"; {policy}, which includes the bind group, is for {policy.provider} users"
        if chosen is not None:
            return f'; {policy}, which includes the bind group, comes after "{chosen.name}"'
    return ""


_STATUS: dict[str, tuple[str, str]] = {
    "PASSWORD_EXPIRED": (
        "Okta expired the account's password (its password policy's age, or an administrator "
        "expired it), so every LDAP bind as it fails, and with it every Query Engine login",
        "{rotate}; then {exempt}",
    ),
    "LOCKED_OUT": (
        "Okta locked the account out after too many failed sign-ins (often a consumer still "
        "binding with an old password); every LDAP bind as it fails until it is unlocked",
        "unlock it (Admin Console: Directory > People > the account > Unlock, or POST "
        "/api/v1/users/{user}/lifecycle/unlock), make sure every consumer (Immuta's IAM, the "
        "Query Engine) binds with the current password, and {exempt}",
    ),
    "PROVISIONED": (
        "Okta's account is PROVISIONED: activated, but it never got a password it can sign in "
        "with (passwordChanged is null), so every LDAP bind as it fails",
        "run `pulumi up`: the stack sets the account's password and status ACTIVE (`pulumi "
        "refresh` first shows the change)",
    ),
    "SUSPENDED": (
        "an administrator suspended the account; Okta refuses every sign-in and LDAP bind",
        "unsuspend it (Admin Console: Directory > People > the account > More Actions > "
        "Unsuspend, or POST /api/v1/users/{user}/lifecycle/unsuspend)",
    ),
}


def _status_check(t: Target, name: str, account: Account, where: str) -> Check:
    cause, fix = _STATUS.get(
        account.status,
        (
            f"Okta's account is {account.status}, not ACTIVE, so it cannot sign in or bind",
            "run `pulumi refresh`, then `pulumi up` (the stack keeps its accounts ACTIVE)",
        ),
    )
    fix = fix.format(rotate=_rotate(), exempt=_exempt(t), user=account.user_id)
    return Check(NUMBER, name, "fail", f"Okta status {account.status}{where}", cause, fix)


def judge(
    t: Target,
    account: Account,
    policies: Sequence[AccountPolicy],
    *,
    now: datetime,
    warn_days: int = WARN_DAYS,
) -> Check:
    """The check of one bind account."""
    name = account_name(account.consumers, account.user_id)
    policy = applicable(policies, frozenset(account.groups))
    if account.status != "ACTIVE":
        return _status_check(t, name, account, f"; {policy} applies" if policy else "")
    why_not = _why_not_exempt(t, account, policies, policy)
    if policy is None:
        return Check(
            NUMBER, name, "fail", "no PASSWORD policy applies to the account",
            "no ACTIVE PASSWORD policy for Okta-sourced users includes it (Okta's default "
            "policy should), so verify cannot tell whether or when its password expires"
            + why_not,
            _fix(t),
        )  # fmt: skip
    return _with_risks(_expiry(t, name, account, policy, why_not, now, warn_days), policy, t)


def _risks(policy: AccountPolicy, t: Target) -> list[str]:
    """What in the applied policy can still take a bind account down: permanent lockout,
    expiry after a breach."""
    out = []
    if policy.max_attempts and not policy.auto_unlock_minutes:
        out.append(
            f"{policy} locks an account out after {policy.max_attempts} bad passwords until an "
            "administrator unlocks it (autoUnlockMinutes 0): a consumer still binding with an "
            "old password, or anyone guessing, locks the bind account and every login with it; "
            + _exempt(t)
        )
    if policy.breached_expire_days is not None:
        out.append(
            f"{policy} expires a password {_days(policy.breached_expire_days)} after Okta "
            "finds it in a breach (breachedProtection.expireAfterDays)"
        )
    return out


def _with_risks(check: Check, policy: AccountPolicy, t: Target) -> Check:
    risks = _risks(policy, t)
    if not risks or check.status != "pass":
        return check
    warning = "; ".join([*([check.warning] if check.warning else []), *risks])
    return dataclasses.replace(check, warning=warning)


def _expiry(
    t: Target,
    name: str,
    account: Account,
    policy: AccountPolicy,
    why_not: str,
    now: datetime,
    warn_days: int,
) -> Check:
    changed = account.password_changed
    if policy.max_age_days == 0:
        since = f"; password last changed {_day(changed)}" if changed else ""
        return Check(NUMBER, name, "pass", f"{policy} never expires it (maxAgeDays 0){since}")
    ages = f"{policy} expires passwords {_days(policy.max_age_days)} after their last change"
    if changed is None:
        return Check(
            NUMBER, name, "fail", f"{ages}; Okta shows no passwordChanged for the account",
            "verify cannot tell when its password expires" + why_not, _fix(t),
        )  # fmt: skip
    expiry = changed + timedelta(days=policy.max_age_days)
    window = max(warn_days, policy.expire_warn_days)
    date = _day(expiry)
    if expiry - now > timedelta(days=window):
        warning = (
            f"the password expires on {date} ({_when(expiry, now)}) under {policy}; this check "
            f"fails from {_day(expiry - timedelta(days=window))} ({_days(window)} before): "
            f"exempt the bind accounts or rotate before then ({DOCS_HINT})"
        )
        detail = f"{ages}: on {date} ({_when(expiry, now)})"
        return Check(NUMBER, name, "pass", detail, warning=warning)
    after = (
        "; the account stays ACTIVE only until its next sign-in, then Okta marks it "
        "PASSWORD_EXPIRED and every LDAP bind as it fails, and with it every Query Engine "
        "login and Immuta's LDAP sync"
    )
    if expiry <= now:
        detail = f"the password expired on {date} ({_when(expiry, now)}) under {policy}"
        cause = f"{ages} (last changed {_day(changed)}){after}"
    else:
        detail = f"the password expires on {date} ({_when(expiry, now)}) under {policy}"
        cause = (
            f"{ages} (last changed {_day(changed)}), within the warning window of "
            f"{_days(window)}{after}"
        )
    return Check(NUMBER, name, "fail", detail, cause + why_not, _fix(t))


def _read_failed(exc: OktaError, t: Target) -> Check:
    if isinstance(exc, OktaAuthError):
        fix = f"{SET_TOKEN_HINT}, made in this org (an Okta token expires after 30 days unused)"
    elif isinstance(exc, OktaForbidden):
        fix = "use the API token of an administrator who may read policies, users and groups"
    elif isinstance(exc, OktaUnavailable):
        fix = "run verify again later; check the network path to Okta"
    else:
        fix = "check okta:orgName and okta:baseUrl (or --okta-url) and the cause above"
    where = f" at {t.okta.base_url}" if t.okta else ""
    detail = f"cannot read the bind accounts' passwords and password policies{where}"
    return Check(NUMBER, NAME, "fail", detail, str(exc), fix)


def check_password_expiry(
    t: Target, *, now: datetime | None = None, warn_days: int = WARN_DAYS
) -> list[Check]:
    """One check per bind account (one when the org cannot be read); scrubbed of secrets."""
    moment = now or datetime.now(UTC)
    return [scrubbed(c, t.secrets()) for c in _checks(t, moment, max(0, warn_days))]


def _read(
    t: Target, user_ids: Iterable[str]
) -> tuple[list[AccountPolicy], dict[str, tuple[dict[str, Any], dict[str, str]] | None]]:
    """The PASSWORD policies (once) and, per user, (user, groups) or None when Okta has none."""
    assert t.okta is not None
    found: dict[str, tuple[dict[str, Any], dict[str, str]] | None] = {}
    with OktaClient(t.okta) as api:
        raw = api.password_policies()
        for user_id in user_ids:
            try:
                user = api.user(user_id)
            except OktaNotFound:
                found[user_id] = None
                continue
            groups = {
                str(g["id"]): str((g.get("profile") or {}).get("name") or "")
                for g in api.user_groups(user_id)
                if "id" in g
            }
            found[user_id] = (user, groups)
        sets = [frozenset(g) for entry in found.values() if entry for g in [entry[1]]]
        try:
            policies = [
                account_policy(p, api.rules(str(p["id"])) if needs_rules(p, sets) else None)
                for p in raw
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            why = (  # Python's own texts (a KeyError's repr, int()'s) are not shown
                f"a policy has no field {exc.args[0]}"
                if isinstance(exc, KeyError)
                else "a policy has a field of a type Okta does not document"
            )
            raise OktaError(f"cannot read the org's PASSWORD policies: {why}") from None
    return policies, found


def _checks(t: Target, now: datetime, warn_days: int) -> list[Check]:
    consumers = okta_consumers(t, NUMBER, NAME)
    if isinstance(consumers, Check):
        return [consumers]
    try:
        policies, found = _read(t, consumers)
    except OktaError as exc:
        return [_read_failed(exc, t)]
    out = []
    for user_id, names in consumers.items():
        entry = found[user_id]
        if entry is None:
            gone = Check(
                NUMBER, account_name(names, user_id), "fail",
                f"Okta has no user {user_id}",
                "the bind account was deleted in Okta, or the stack's outputs are stale",
                "run `pulumi refresh`, then `pulumi up` to create it again",
            )  # fmt: skip
            out.append(gone)
            continue
        user, groups = entry
        try:
            changed = _timestamp(user.get("passwordChanged"))
        except ValueError:
            changed = None
        account = Account(user_id, tuple(names), str(user.get("status") or ""), changed, groups)
        out.append(judge(t, account, policies, now=now, warn_days=warn_days))
    return out
