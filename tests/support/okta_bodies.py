"""Okta Management API answers in the shapes real Okta sends them, compact, for the tests.

Each body below is our own condensed copy of an answer Okta documents or a real Identity Engine
org recorded (okta/terraform-provider-okta's acceptance-test cassettes, org `oie-00`; Okta's
OpenAPI description, `components/examples`; developer.okta.com transcripts). Only what the code
reads is kept, with the values that matter as Okta sent them (ids shortened, links dropped):

- `SIGNON_RULES`: one sign-on rule per shape, keyed by where it comes from;
- policies (`REAL_CUSTOM_POLICY`, `REAL_DEFAULT_POLICY`, `SPEC_SIGNON_POLICY`), password
  policies, users, groups, roles, the two-header `Link` pagination and a 429 whose reset lies
  in the past (the transcript's `X-Rate-Limit-Reset: 1447534590` is from 2015).
"""

from __future__ import annotations

import copy
from typing import Any

JSON = dict[str, Any]

# The real org's Everyone group (GET /api/v1/groups?q=Everyone, recorded twice: two orgs).
REAL_EVERYONE = "00grukswgl0PysDmZ1d7"
REAL_EVERYONE_2 = "00gnkw1sdqL30MdGk1d7"


def _everyone(gid: str, date: str) -> JSON:
    return {
        "id": gid,
        "created": date,
        "objectClass": ["okta:user_group"],
        "type": "BUILT_IN",
        "profile": {"name": "Everyone", "description": "All users in your organization"},
    }


GROUPS_Q_EVERYONE = [_everyone(REAL_EVERYONE, "2025-11-14T17:10:50.000Z")]
GROUPS_Q_EVERYONE_2 = [_everyone(REAL_EVERYONE_2, "2025-06-26T15:51:35.000Z")]
# GET /api/v1/groups (spec): an Okta group and an Active Directory (APP_GROUP) one.
SPEC_GROUPS = [
    {
        "id": "00g1emaKYZTWRYYRRTSK",
        "objectClass": ["okta:user_group"],
        "type": "OKTA_GROUP",
        "profile": {"name": "West Coast users", "description": "All users West of The Rockies"},
    },
    {
        "id": "00garwpuyxHaWOkdV0g4",
        "objectClass": ["okta:windows_security_principal"],
        "type": "APP_GROUP",
        "profile": {"name": "Engineering users", "samAccountName": "Engineering users"},
    },
]

_SESSION = {"usePersistentCookie": False, "maxSessionIdleMinutes": 120}


def _signon(access: str, *, factor: str | None, mfa: bool = False, **extra: Any) -> JSON:
    body: JSON = {"access": access, "requireFactor": mfa, "session": dict(_SESSION), **extra}
    if factor:
        body["primaryFactor"] = factor
    return body


_ANYWHERE_ANY = {
    "people": {"users": {"exclude": []}},
    "network": {"connection": "ANYWHERE"},
    "authContext": {"authType": "ANY"},
    "identityProvider": {"provider": "ANY"},
}

SIGNON_RULES: dict[str, JSON] = {
    # Created with no primaryFactor in the request; Identity Engine filled it in.
    "real_oie.no_primary_factor_sent": {
        "id": "0prrw4zj58f4db1rL1d7",
        "status": "ACTIVE",
        "name": "test_policy_NEITHER",
        "priority": 1,
        "system": False,
        "type": "SIGN_ON",
        "conditions": copy.deepcopy(_ANYWHERE_ANY),
        "actions": {"signon": _signon("ALLOW", factor="PASSWORD_IDP_ANY_FACTOR")},
    },
    # A rule of the org's default policy, at priority 1 (the Default Rule stays last).
    "real_oie.in_default_policy": {
        "id": "0prrw51bgwxTZweK41d7",
        "status": "ACTIVE",
        "name": "test_policy_NEITHER",
        "priority": 1,
        "system": False,
        "type": "SIGN_ON",
        "conditions": copy.deepcopy(_ANYWHERE_ANY),
        "actions": {"signon": _signon("ALLOW", factor="PASSWORD_IDP_ANY_FACTOR")},
    },
    "real_oie.risk_any": {
        "id": "0prpe91fo1EOIeDLM1d7",
        "status": "ACTIVE",
        "name": "test_policy_risk_ONLY",
        "priority": 1,
        "system": False,
        "type": "SIGN_ON",
        "conditions": {
            **copy.deepcopy(_ANYWHERE_ANY),
            "risk": {"behaviors": []},
            "riskScore": {"level": "ANY"},
        },
        "actions": {"signon": _signon("ALLOW", factor="PASSWORD_IDP_ANY_FACTOR")},
    },
    "real_oie.risk_low": {
        "id": "0prpe8zkfsNxTLij71d7",
        "status": "ACTIVE",
        "name": "test_policy_BOTH",
        "priority": 2,
        "system": False,
        "type": "SIGN_ON",
        "conditions": {
            **copy.deepcopy(_ANYWHERE_ANY),
            "risk": {"behaviors": []},
            "riskScore": {"level": "LOW"},
        },
        "actions": {"signon": _signon("ALLOW", factor="PASSWORD_IDP_ANY_FACTOR")},
    },
    # Okta's own example: an empty group condition, a network zone, MFA always.
    "spec.cloud_rule": {
        "id": "rule8jjozjGMGbHyC1d6",
        "status": "ACTIVE",
        "type": "SIGN_ON",
        "name": "Challenge Cloud Users",
        "priority": 0,
        "system": False,
        "conditions": {
            "people": {
                "users": {"include": [], "exclude": []},
                "groups": {"include": [], "exclude": []},
            },
            "network": {"connection": "ZONE", "include": ["00u7yq5goxNFTiMjW1d7"]},
            "authContext": {"authType": "ANY"},
            "risk": {"behaviors": []},
            "riskScore": {"level": "ANY"},
            "identityProvider": {"provider": "ANY"},
        },
        "actions": {
            "signon": _signon(
                "ALLOW", factor="PASSWORD_IDP_ANY_FACTOR", mfa=True, factorPromptMode="ALWAYS"
            )
        },
    },
    "spec.deny_rule": {
        "id": "rule8jjozjGMGbHyC1d7",
        "status": "ACTIVE",
        "type": "SIGN_ON",
        "name": "Deny",
        "priority": 0,
        "system": False,
        "conditions": {
            **copy.deepcopy(_ANYWHERE_ANY),
            "risk": {"behaviors": []},
            "riskScore": {"level": "ANY"},
        },
        "actions": {"signon": _signon("DENY", factor="PASSWORD_IDP")},
    },
    # No people condition at all; RADIUS sign-ins only.
    "spec.radius_rule": {
        "id": "rule8jjozjGMGbHyC1d8",
        "status": "ACTIVE",
        "type": "SIGN_ON",
        "name": "Challenge VPN users",
        "priority": 0,
        "system": False,
        "conditions": {
            "network": {"connection": "ANYWHERE"},
            "authContext": {"authType": "RADIUS"},
        },
        "actions": {"signon": _signon("ALLOW", factor=None, mfa=True, factorPromptMode="ALWAYS")},
    },
    "spec.sign_on_policy_rule": {
        "type": "SIGN_ON",
        "name": "Test Sign On",
        "id": "0prh1sd28q5sXGW08697",
        "priority": 0,
        "system": False,
        "status": "ACTIVE",
        "conditions": {
            "network": {"connection": "ANYWHERE"},
            "riskScore": {"level": "ANY"},
            "identityProvider": {"provider": "ANY"},
            "authContext": {"authType": "ANY"},
            "people": {"users": {"exclude": []}},
        },
        "actions": {
            "signon": _signon(
                "ALLOW",
                factor="PASSWORD_IDP_ANY_FACTOR",
                factorPromptMode="ALWAYS",
                factorLifetime=15,
            )
        },
    },
    "spec.skip_factor_challenge_on_prem_rule": {
        "id": "rule8jjozjGMGbHyC1d9",
        "status": "ACTIVE",
        "type": "SIGN_ON",
        "name": "Skip Factor Challenge when On-Prem",
        "priority": 0,
        "system": False,
        "conditions": {
            "network": {"connection": "ZONE", "include": ["00u7yq5goxNFTiMjW1d7"]},
            "authContext": {"authType": "ANY"},
            "people": {"users": {"exclude": []}},
            "risk": {"behaviors": []},
            "riskScore": {"level": "ANY"},
            "identityProvider": {"provider": "ANY"},
        },
        "actions": {"signon": _signon("ALLOW", factor="PASSWORD_IDP_ANY_FACTOR")},
    },
    # The list example: no authContext at all (authType defaults to ANY).
    "spec.rules_list_item": {
        "id": "0prh1sd28q5sXGW08698",
        "status": "ACTIVE",
        "name": "Test rule",
        "priority": 0,
        "system": False,
        "type": "SIGN_ON",
        "conditions": {
            "people": {"users": {"exclude": []}},
            "network": {"connection": "ANYWHERE"},
            "risk": {"behaviors": []},
            "riskScore": {"level": "ANY"},
            "identityProvider": {"provider": "ANY"},
        },
        "actions": {
            "signon": _signon(
                "ALLOW",
                factor="PASSWORD_IDP_ANY_FACTOR",
                factorPromptMode="ALWAYS",
                factorLifetime=15,
            )
        },
    },
    # Constructed (not recorded): a Classic passwordless rule, access CHALLENGE.
    "constructed.challenge": {
        "id": "0prCONSTRUCTED000001",
        "type": "SIGN_ON",
        "name": "Passwordless",
        "priority": 1,
        "status": "ACTIVE",
        "system": False,
        "conditions": {
            "people": {"users": {"exclude": []}},
            "network": {"connection": "ANYWHERE"},
            "authContext": {"authType": "ANY"},
        },
        "actions": {
            "signon": _signon(
                "CHALLENGE",
                factor=None,
                challenge={
                    "chain": [
                        {"criteria": [{"provider": "OKTA", "factorType": "token:software:totp"}]}
                    ]
                },
            )
        },
    },
}


def signon_rule(key: str, **changes: Any) -> JSON:
    """A deep copy of one rule body, with top-level fields changed."""
    return {**copy.deepcopy(SIGNON_RULES[key]), **changes}


def _signon_policy(pid: str, name: str, *, system: bool, include: list[str]) -> JSON:
    return {
        "id": pid,
        "status": "ACTIVE",
        "name": name,
        "priority": 1,  # the real default policy reads priority 1 too: it is last anyway
        "system": system,
        "conditions": {"people": {"groups": {"include": include}}},
        "type": "OKTA_SIGN_ON",
    }


REAL_CUSTOM_POLICY = _signon_policy(
    "00prw55xxkluwsGLQ1d7", "testAcc_1625807964", system=False, include=[REAL_EVERYONE]
)
REAL_DEFAULT_POLICY = _signon_policy(
    "00prukswgnhk46Is91d7", "Default Policy", system=True, include=[REAL_EVERYONE]
)
# The spec's list example: a system policy with placeholder ids.
SPEC_SIGNON_POLICY = _signon_policy("policyId", "Policy name", system=True, include=["groupId"])


def _password_policy(
    pid: str,
    name: str,
    *,
    system: bool,
    include: list[str],
    provider: str,
    history: int,
    attempts: int,
    breached: JSON | None = None,
) -> JSON:
    password: JSON = {
        "complexity": {"minLength": 8, "minLowerCase": 1, "minUpperCase": 1, "minNumber": None},
        "age": {"maxAgeDays": 0, "expireWarnDays": 0, "minAgeMinutes": 0, "historyCount": history},
        "lockout": {
            "maxAttempts": attempts,
            "autoUnlockMinutes": 0,
            "userLockoutNotificationChannels": [],
            "showLockoutFailures": False,
        },
    }
    if breached is not None:
        password["breachedProtection"] = breached
    return {
        "id": pid,
        "status": "ACTIVE",
        "name": name,
        "priority": 1,
        "system": system,
        "conditions": {
            "people": {"groups": {"include": include}},
            "authProvider": {"provider": provider},
        },
        "settings": {"password": password, "delegation": {"options": {"skipUnlock": False}}},
        "type": "PASSWORD",
    }


REAL_PASSWORD_GROUP = "00g5qwjvgrD3WR89l1d7"  # that org's Everyone
# GET /api/v1/policies?type=PASSWORD of a real Identity Engine org: its default policy locks
# an account after 10 bad passwords until an administrator unlocks it.
REAL_DEFAULT_PASSWORD_POLICY = _password_policy(
    "00p5qwjvh5thKvnPl1d7",
    "Default Policy",
    system=True,
    include=[REAL_PASSWORD_GROUP],
    provider="OKTA",
    history=5,
    attempts=10,
)
REAL_CUSTOM_PASSWORD_POLICY = _password_policy(
    "00pzpomjopOCPjpEE1d7",
    "testAcc_3624467569",
    system=False,
    include=[REAL_EVERYONE_2],
    provider="OKTA",
    history=5,
    attempts=10,
    breached={"expireAfterDays": None, "logoutEnabled": False, "delegatedWorkflowId": None},
)
# The spec's example: placeholders, lockout off (maxAttempts 0), provider "provider".
SPEC_PASSWORD_POLICY = _password_policy(
    "policyId",
    "Policy name",
    system=True,
    include=["groupId"],
    provider="provider",
    history=4,
    attempts=0,
)

# GET /api/v1/users/{id} of a real org: never activated by password (PROVISIONED), and
# `passwordChanged: null`; profile values that are not strings.
REAL_USER: JSON = {
    "id": "00uvoxb2x3hV9LWwK1d7",
    "status": "PROVISIONED",
    "created": "2026-03-02T10:43:27.000Z",
    "activated": "2026-03-02T10:43:27.000Z",
    "lastLogin": None,
    "passwordChanged": None,
    "type": {"id": "otytivnus5k8rPk4X1d7"},
    "profile": {
        "firstName": "TestAcc",
        "lastName": "Smith",
        "mobilePhone": None,
        "array123": ["test"],
        "secondEmail": None,
        "login": "testAcc-534478790@example.com",
        "number123": 1,
        "email": "testAcc-534478790@example.com",
    },
    "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
}
SPEC_USER: JSON = {
    "id": "00ub0oNGTSWTBKOLGLNR",
    "status": "ACTIVE",
    "passwordChanged": "2013-07-02T21:36:25.344Z",
    "profile": {
        "login": "isaac.brock@example.com",
        "firstName": "Isaac",
        "lastName": "Brock",
        "email": "isaac.brock@example.com",
        "nickName": "issac",
    },
    "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
}
# GET /api/v1/users/{id}/groups: real (with types) and the spec's (no `type` at all).
REAL_USER_GROUPS = [
    _everyone(REAL_PASSWORD_GROUP, "2022-10-07T23:16:57.000Z"),
    {
        "id": "00gkwqppbseFxHtav1d7",
        "objectClass": ["okta:user_group"],
        "type": "OKTA_GROUP",
        "profile": {"name": "testAcc-3047213582", "description": "A Group"},
    },
]
SPEC_USER_GROUPS = [
    {"id": "0gabcd1234", "profile": {"name": "Cloud app users"}},
    {"id": "0gefgh5678", "profile": {"name": "Internal app users"}},
]


def _role(rid: str, label: str, kind: str, assignment: str, **extra: Any) -> JSON:
    return {
        "id": rid,
        "label": label,
        "type": kind,
        "status": "ACTIVE",
        "assignmentType": assignment,
        **extra,
    }


REAL_USER_ROLES = [
    _role("IFIFAX2BIRGUSTQ", "Application Administrator", "APP_ADMIN", "USER"),
    _role("ra1kwqsz2eCdSNv8D1d7", "Super Administrator", "SUPER_ADMIN", "USER"),
]
REAL_USER_ROLES_NONE: list[JSON] = []
SPEC_USER_ROLES = [
    _role("IFIFAX2BIRGUSTQ", "Application administrator", "APP_ADMIN", "USER"),
    _role("gra25fapn1prGTBKV0g4", "API Access Management administrator",
          "API_ACCESS_MANAGEMENT_ADMIN", "GROUP"),
    _role("irb1q92TFAHzySt3x0g4", "UserCreatorRole", "CUSTOM", "USER",
          role="cr0Yq6IJxGIr0ouum0g3", **{"resource-set": "iamoJDFKaJxGIr0oamd9g"}),
]  # fmt: skip
# The spec's `StandardRolesListResponse`: the last item's keys carry a stray quote.
SPEC_USER_ROLES_MALFORMED = [
    _role("IFIFAX2BIRGUSTQ", "Application administrator", "APP_ADMIN", "USER"),
    {
        "id": "gra25fapn1prGTBKV0g4",
        "label": "API Access Management administrator",
        "type": "API_ACCESS_MANAGEMENT_ADMIN",
        "status": "ACTIVE",
        'assignmentType"': "GROUP",
    },
]

# developer.okta.com "Link header": one header line per relation.
PAGINATION_LINKS = [
    '<{base}/api/v1/logs?limit=20>; rel="self"',
    '<{base}/api/v1/logs?limit=20&after=1627500044869_1>; rel="next"',
]
# The 429 transcript: no Date header, and a reset long past.
RATE_LIMITED_HEADERS = {
    "Content-Type": "application/json",
    "X-Rate-Limit-Limit": "1",
    "X-Rate-Limit-Remaining": "0",
    "X-Rate-Limit-Reset": "1447534590",
}
RATE_LIMITED_BODY = {
    "errorCode": "E0000047",
    "errorSummary": "API call exceeded rate limit due to too many requests.",
    "errorLink": "E0000047",
    "errorId": "oaeWaNHfOyQSES34-a2Dw6Phw",
    "errorCauses": [],
}
