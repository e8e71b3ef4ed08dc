"""How Okta picks a user's PASSWORD and MFA_ENROLL policy, and what an enrollment policy requires.

Pure standard library. The same evaluation as sign-on (Okta Policy API, "Policy evaluation",
cited in signon_model): policies of a type in priority order, the system default policy last;
only ACTIVE policies; a policy applies to a user its `people.groups.include` names (the default
policy holds Everyone); "Policies that have no Rules aren't considered during evaluation and are
never applied". A PASSWORD policy also names the users' authentication provider
(`conditions.authProvider.provider`, OKTA when absent): the bind accounts are Okta users.

An MFA_ENROLL policy lists what a user must enroll: Identity Engine `settings.type:
AUTHENTICATORS` with `settings.authenticators[].enroll.self`, Classic `settings.type: FACTORS`
with `settings.factors.<factor>.enroll.self`; REQUIRED, OPTIONAL or NOT_ALLOWED. A bind account
has its password and nothing else, so any other REQUIRED entry is one it can never satisfy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

OKTA_PROVIDER = "OKTA"
PASSWORD_AUTHENTICATOR = "okta_password"  # the one "factor" a bind account has
REQUIRED = "REQUIRED"


@dataclass(frozen=True, kw_only=True)
class AccountPolicy:
    """One PASSWORD or MFA_ENROLL policy, as far as choosing it goes."""

    id: str
    name: str
    priority: int
    status: str = "ACTIVE"
    system: bool = False
    groups: frozenset[str] = frozenset()
    provider: str = OKTA_PROVIDER
    has_rule: bool = True  # an ACTIVE rule; without one Okta never applies the policy
    # MFA_ENROLL: what must be enrolled (the password aside); settings of an unknown shape.
    requires: frozenset[str] = frozenset()
    unreadable: str = ""
    # PASSWORD: expiry (0: never), lockout (0 attempts: never; 0 minutes: until unlocked by
    # an administrator), expiry after a breach is detected (None: off).
    max_age_days: int = 0
    expire_warn_days: int = 0
    max_attempts: int = 0
    auto_unlock_minutes: int = 0
    breached_expire_days: int | None = None

    kind: str = "PASSWORD"  # or MFA_ENROLL

    def __str__(self) -> str:
        label = "MFA enrollment policy" if self.kind == "MFA_ENROLL" else "password policy"
        return f'{label} "{self.name}" (priority {self.priority})'


def ordered(policies: Iterable[AccountPolicy]) -> list[AccountPolicy]:
    """Okta's evaluation order: by priority, the system default policy last."""
    return sorted(policies, key=lambda p: (p.system, p.priority))


def includes(policy: AccountPolicy, groups: frozenset[str]) -> bool:
    # The default policy holds Everyone, whether or not a group listing shows it.
    return policy.system or bool(policy.groups & groups)


def candidates(policies: Iterable[AccountPolicy], groups: frozenset[str]) -> list[AccountPolicy]:
    """The ACTIVE policies for Okta users that include `groups`, in evaluation order (rules
    not yet considered)."""
    return [
        p
        for p in ordered(policies)
        if p.status == "ACTIVE" and p.provider == OKTA_PROVIDER and includes(p, groups)
    ]


def applicable(policies: Sequence[AccountPolicy], groups: frozenset[str]) -> AccountPolicy | None:
    """The policy Okta applies to an Okta-sourced user in `groups`, or None."""
    return next((p for p in candidates(policies, groups) if p.has_rule), None)


def insert_first(policies: Sequence[AccountPolicy], new: AccountPolicy) -> list[AccountPolicy]:
    """The policies after `new` is created at priority 1: every other non-system policy moves
    down one, priorities stay contiguous, the default policy last."""
    custom = [p for p in ordered(policies) if not p.system]
    system = [p for p in policies if p.system]
    order = [new, *custom]
    out = [replace(p, priority=i) for i, p in enumerate(order, start=1)]
    return out + [replace(p, priority=len(out) + 1 + i) for i, p in enumerate(system)]


# --- Okta Management API JSON ---------------------------------------------------------------


def _enroll(entry: Any) -> str:
    if not isinstance(entry, Mapping):
        return ""
    return str((entry.get("enroll") or {}).get("self") or "")


def enrollment_requires(settings: Mapping[str, Any] | None) -> tuple[frozenset[str], str]:
    """(what must be enrolled besides the password, "" or why the settings are unreadable)."""
    settings = settings or {}
    kind = settings.get("type") or ("AUTHENTICATORS" if "authenticators" in settings else "FACTORS")
    if kind == "AUTHENTICATORS":
        entries = settings.get("authenticators") or []
        if not isinstance(entries, list):
            return frozenset(), "settings.authenticators is not a list"
        keyed = {str(e.get("key")): _enroll(e) for e in entries if isinstance(e, Mapping)}
    elif kind == "FACTORS":
        factors = settings.get("factors") or {}
        if not isinstance(factors, Mapping):
            return frozenset(), "settings.factors is not an object"
        keyed = {str(k): _enroll(v) for k, v in factors.items()}
    else:
        return frozenset(), f"settings.type {kind!r}"
    required = {k for k, v in keyed.items() if v == REQUIRED and k != PASSWORD_AUTHENTICATOR}
    return frozenset(required), ""


def needs_rules(item: Mapping[str, Any], groups: Iterable[frozenset[str]]) -> bool:
    """Whether the rules of this listed policy decide anything for users in one of `groups`:
    an ACTIVE custom policy that includes them (the default policy always has its own rule)."""
    if item.get("system") or item.get("status", "ACTIVE") != "ACTIVE":
        return False
    people = ((item.get("conditions") or {}).get("people") or {}).get("groups") or {}
    include = {str(g) for g in people.get("include") or ()}
    return any(include & g for g in groups)


def account_policy(
    item: Mapping[str, Any], rules: Sequence[Mapping[str, Any]] | None = None
) -> AccountPolicy:
    """One item of GET /api/v1/policies?type=PASSWORD|MFA_ENROLL, with its rules when read
    (None: not read, assumed to have one). KeyError/TypeError/ValueError when odd."""
    conditions = item.get("conditions") or {}
    people = (conditions.get("people") or {}).get("groups") or {}
    provider = (conditions.get("authProvider") or {}).get("provider") or OKTA_PROVIDER
    requires, unreadable = frozenset[str](), ""
    if item.get("type") == "MFA_ENROLL":
        requires, unreadable = enrollment_requires(item.get("settings"))
    has_rule = rules is None or any(r.get("status", "ACTIVE") == "ACTIVE" for r in rules)
    password = (item.get("settings") or {}).get("password") or {}
    age, lockout = password.get("age") or {}, password.get("lockout") or {}
    breached = (password.get("breachedProtection") or {}).get("expireAfterDays")
    return AccountPolicy(
        id=str(item["id"]),
        name=str(item.get("name") or item["id"]),
        priority=int(item.get("priority") or 0),
        status=str(item.get("status") or "ACTIVE"),
        system=bool(item.get("system")),
        groups=frozenset(str(g) for g in people.get("include") or ()),
        provider=str(provider),
        has_rule=has_rule,
        requires=requires,
        unreadable=unreadable,
        max_age_days=int(age.get("maxAgeDays") or 0),
        expire_warn_days=int(age.get("expireWarnDays") or 0),
        max_attempts=int(lockout.get("maxAttempts") or 0),
        auto_unlock_minutes=int(lockout.get("autoUnlockMinutes") or 0),
        breached_expire_days=None if breached is None else int(breached),
        kind=str(item.get("type") or "PASSWORD"),
    )
