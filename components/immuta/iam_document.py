"""The LDAP IAM entry of Immuta's App Settings document, as this project targets it (pure).

Every field is in Immuta's API description (`iamConfig`, Swagger 2.0 of a 2023 SaaS tenant;
rehearsal/immuta_contract.py holds our copy of its shape). Inferred (not documented; correct it
here): IAMs sit in the document's `plugins` map, keyed by a name, each entry with its own `id`;
what each value makes Immuta's sync do (rehearsal/immuta_ldap_sync.py models it):

- groups: Okta's LDAP Interface lists groups as `groupOfUniqueNames` under `ou=groups`, the
  group's name in `cn` and each member's DN in `uniqueMember`. So `groupSearchBase` and
  `groupSearchFilter` find them, `schema.group.name` is `cn`, and `groupMembershipAttributes`
  is `["uniquemember"]` (the description: attributes holding a group's members, lower case).
  `userGroupSearchFilter` is left unset: its placeholder syntax is not described.
- `normalizeUserId: true` (lower-case user ids): PostgreSQL compares role names exactly while
  LDAP matches `uid` ignoring case, so the role Immuta creates for `Alice@Acme.example` is
  `alice@acme.example`, and a user logs in to the Query Engine with the login in lower case.
- `connectTimeout`: the description gives a number without a unit; 10000 reads it as
  milliseconds, as the Node.js LDAP client ldapjs (whose option names the entry shares) does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Immuta names the Query Engine role `<id>_user` (documented); the id is case-sensitive and
# cannot change later. pg_hba writes `+<id>_user` unquoted and a PostgreSQL name has at most
# 63 bytes. Whether Immuta quotes the role in its SQL is not documented, so the id is kept to
# what means the same role either way: an unquoted SQL identifier in lower case (no capitals,
# which an unquoted name folds, and no `-`, which it cannot hold).
IAM_ID_RE = re.compile(r"[a-z][a-z0-9_]{0,57}")
IAM_ID_RULE = (
    "1-58 letters (lower case), digits or _, starting with a letter, so that Immuta's role "
    "`<id>_user` is the same PostgreSQL name quoted or not"
)
ROLE_SUFFIX = "_user"

# Resource inputs compared by the provider's diff; the password is compared through a digest.
FIELDS = (
    "iamId",
    "displayName",
    "host",
    "port",
    "useSsl",
    "rejectUnauthorized",
    "userSearchBase",
    "userIdAttribute",
    "groupSearchBase",
    "groupSearchFilter",
    "bindDn",
    "profile",
    "syncCron",
    "pageSize",
    "supportedActions",
    "groupNameAttribute",
    "groupMembershipAttributes",
    "normalizeUserId",
)
# What Immuta binds and searches with: a change of any of these starts one sync.
CONNECTION_FIELDS = (
    "host",
    "port",
    "useSsl",
    "userSearchBase",
    "userIdAttribute",
    "groupSearchBase",
    "groupSearchFilter",
    "bindDn",
    "groupNameAttribute",
    "groupMembershipAttributes",
    "normalizeUserId",
)
SUPPORTED_ACTIONS = ["linkPostgresAccount", "ldapSync", "syncGroups"]
OKTA_PAGE_SIZE = 1000  # Okta's LDAP Interface returns at most 1,000 entries a page
CONNECT_TIMEOUT_MS = 10_000  # inferred unit: milliseconds (see above)
# Okta's LDAP Interface: groups are groupOfUniqueNames, named by cn, members' DNs in uniqueMember.
OKTA_GROUP_FILTER = "(objectClass=groupofUniqueNames)"  # LDAP matches it ignoring case
OKTA_GROUP_NAME_ATTRIBUTE = "cn"
OKTA_GROUP_MEMBERSHIP_ATTRIBUTES = ("uniquemember",)  # lower case, as the description asks


def is_iam_id(value: str) -> bool:
    return IAM_ID_RE.fullmatch(value) is not None


def query_engine_role(iam_id: str) -> str:
    """The PostgreSQL group role Immuta gives the IAM's users."""
    return f"{iam_id}{ROLE_SUFFIX}"


def iam_entry(props: Mapping[str, Any]) -> dict[str, Any]:
    """The LDAP IAM entry of Immuta's App Settings document, from the resource inputs."""
    return {
        "id": props["iamId"],
        "displayName": props["displayName"],
        "type": "ldap",
        "plugin": "ldap",
        "supportedActions": list(props["supportedActions"]),
        "credentials": {"bind_dn": props["bindDn"], "bind_pw": props["bindPassword"]},
        "options": {
            "host": props["host"],
            "port": int(props["port"]),
            "useSSL": bool(props["useSsl"]),
            "rejectUnauthorized": bool(props["rejectUnauthorized"]),
            "userSearchBase": props["userSearchBase"],
            "userIdAttribute": props["userIdAttribute"],
            "groupSearchBase": props["groupSearchBase"],
            "groupSearchFilter": props["groupSearchFilter"],
            "groupMembershipAttributes": list(props["groupMembershipAttributes"]),
            "normalizeUserId": bool(props["normalizeUserId"]),
            "connectTimeout": CONNECT_TIMEOUT_MS,
        },
        "schema": {
            "profile": dict(props["profile"]),
            "group": {"name": props["groupNameAttribute"]},
        },
        "ldapSync": {
            "cronRule": props["syncCron"],
            "paged": True,
            "pageSize": int(props["pageSize"]),
        },
    }


def outputs_of(entry: Mapping[str, Any], digest: str | None) -> dict[str, Any]:
    """Resource outputs from an IAM entry (as sent, or as read back): no password."""
    options = entry.get("options") or {}
    sync = entry.get("ldapSync") or {}
    return {
        "iamId": entry.get("id"),
        "displayName": entry.get("displayName"),
        "host": options.get("host"),
        "port": options.get("port"),
        "useSsl": options.get("useSSL"),
        "rejectUnauthorized": options.get("rejectUnauthorized"),
        "userSearchBase": options.get("userSearchBase"),
        "userIdAttribute": options.get("userIdAttribute"),
        "groupSearchBase": options.get("groupSearchBase"),
        "groupSearchFilter": options.get("groupSearchFilter"),
        "bindDn": (entry.get("credentials") or {}).get("bind_dn"),
        "profile": (entry.get("schema") or {}).get("profile"),
        "groupNameAttribute": ((entry.get("schema") or {}).get("group") or {}).get("name"),
        "groupMembershipAttributes": options.get("groupMembershipAttributes"),
        "normalizeUserId": options.get("normalizeUserId"),
        "syncCron": sync.get("cronRule"),
        "pageSize": sync.get("pageSize"),
        "supportedActions": entry.get("supportedActions"),
        "bindPasswordDigest": digest,
        "queryEngineRole": query_engine_role(str(entry.get("id"))),
    }


def find_iam(document: Mapping[str, Any], iam_id: str) -> tuple[str | None, dict[str, Any] | None]:
    """(key in `plugins`, entry) of the IAM whose `id` is `iam_id`, or (None, None)."""
    plugins = document.get("plugins")
    if isinstance(plugins, dict):
        for key, entry in plugins.items():
            if isinstance(entry, dict) and entry.get("id") == iam_id:
                return str(key), entry
    return None, None
