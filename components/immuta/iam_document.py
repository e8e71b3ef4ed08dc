"""The LDAP IAM entry of Immuta's App Settings document, as this project targets it (pure).

Field names follow Immuta's 2023 OpenAPI description. Inferred (not documented; correct it
here): IAMs sit in the document's `plugins` map, keyed by a name, each entry with its own `id`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Immuta names the Query Engine role `<id>_user`; pg_hba writes `+<id>_user` unquoted, and a
# PostgreSQL name has at most 63 bytes. The id is case-sensitive and cannot change later.
IAM_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,57}")
IAM_ID_RULE = "1-58 letters, digits, _ or -, starting with a letter or digit"
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
)
SUPPORTED_ACTIONS = ["linkPostgresAccount", "ldapSync", "syncGroups"]
OKTA_PAGE_SIZE = 1000  # Okta's LDAP Interface returns at most 1,000 entries a page
CONNECT_TIMEOUT_MS = 10_000


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
            "connectTimeout": CONNECT_TIMEOUT_MS,
        },
        "schema": {"profile": dict(props["profile"])},
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
