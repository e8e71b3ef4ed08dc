"""Immuta's LDAP sync as the emulator performs it: bind and search a real directory with the
IAM entry's own settings, and nothing else, and say which users and groups Immuta would record.

What each setting means follows Immuta's API description (`iamConfig.options`, `schema`); how
the sync combines them is our model, since Immuta documents no algorithm, and it takes the
strict reading wherever a default is undocumented (a missing setting finds nothing):

- users: `userSearchBase`, filter `userSearchFilter` or `(<userIdAttribute>=*)`; the user id is
  the `userIdAttribute` value, lower-cased when `normalizeUserId` is true;
- groups, only with `syncGroups` among `supportedActions`: `groupSearchBase` with
  `groupSearchFilter` (both needed); a group's name is the attribute `schema.group.name` maps
  to (no mapping, no name, no group);
- membership: a group's values of the `groupMembershipAttributes` (which the description says
  must be lower case: other spellings match nothing) that equal a user's DN (compared as DNs)
  or user id.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import safe_dn


class LdapSyncError(Exception):
    """The sync could not bind or search: the message is what Immuta would report."""


@dataclass(frozen=True)
class SyncedUser:
    user_id: str
    dn: str
    groups: tuple[str, ...]


def _dn_key(dn: str) -> str:
    try:
        return str(safe_dn(dn)).lower()
    except LDAPException:
        return dn.strip().lower()


def _values(attributes: Mapping[str, Any], name: str) -> list[str]:
    """An entry's values of `name` (attribute names are case-insensitive in LDAP)."""
    for key, value in attributes.items():
        if key.lower() == name.lower():
            return [str(v) for v in (value if isinstance(value, list) else [value])]
    return []


def ldap_sync(
    entry: Mapping[str, Any],
    *,
    ca_file: str,
    port_for: Callable[[int], int] = lambda port: port,
) -> list[SyncedUser]:
    """Bind as the entry's credentials, list its users and each user's groups. `port_for` maps
    the entry's port to the test directory's (Okta's 636 to a free port)."""
    options = entry.get("options") or {}
    creds = entry.get("credentials") or {}
    host, port = str(options.get("host")), port_for(int(options.get("port") or 636))
    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED if options.get("rejectUnauthorized") else ssl.CERT_NONE,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_file=ca_file,
    )
    timeout_ms = options.get("connectTimeout")
    server = ldap3.Server(
        host,
        port=port,
        use_ssl=bool(options.get("useSSL")),
        tls=tls,
        get_info=ldap3.NONE,
        connect_timeout=(float(timeout_ms) / 1000) if timeout_ms else 5,
    )
    dn = str(creds.get("bind_dn"))
    conn = ldap3.Connection(
        server, user=dn, password=str(creds.get("bind_pw")), receive_timeout=5,
        raise_exceptions=False, auto_bind=ldap3.AUTO_BIND_NONE,
    )  # fmt: skip
    try:
        if not conn.bind():
            raise LdapSyncError(
                f"LDAP bind as {dn} refused: {(conn.result or {}).get('description')}"
            )
        return _sync(conn, entry)
    except LDAPException as exc:
        raise LdapSyncError(f"LDAP to {host}:{port} failed: {type(exc).__name__}") from None
    finally:
        conn.unbind()


def _search(conn: ldap3.Connection, base: str, query: str, attributes: list[str]) -> list[Any]:
    if not conn.search(base, query, attributes=attributes):
        result = conn.result or {}
        if result.get("result") not in (0, 32):  # 32: no such object -> nothing found
            raise LdapSyncError(f"search of {base} for {query} failed: {result.get('description')}")
        return []
    return list(conn.response or [])


def _sync(conn: ldap3.Connection, entry: Mapping[str, Any]) -> list[SyncedUser]:
    options = entry.get("options") or {}
    id_attribute = str(options.get("userIdAttribute") or "")
    user_filter = options.get("userSearchFilter") or (
        f"({escape_filter_chars(id_attribute)}=*)" if id_attribute else None
    )
    if not user_filter or not id_attribute:
        raise LdapSyncError("the IAM names no userIdAttribute: no user can be identified")
    users: list[tuple[str, str]] = []  # (user id, dn)
    for found in _search(conn, str(options.get("userSearchBase")), user_filter, [id_attribute]):
        ids = _values(found.get("attributes") or {}, id_attribute)
        if found.get("type") == "searchResEntry" and ids:
            user_id = ids[0].lower() if options.get("normalizeUserId") is True else ids[0]
            users.append((user_id, str(found["dn"])))
    memberships = _groups(conn, entry)
    return [
        SyncedUser(
            user_id,
            dn,
            tuple(
                sorted(
                    name
                    for name, members in memberships
                    if _dn_key(dn) in members or user_id.lower() in members
                )
            ),
        )
        for user_id, dn in users
    ]


def _groups(conn: ldap3.Connection, entry: Mapping[str, Any]) -> list[tuple[str, set[str]]]:
    """(group name, lower-cased member values) of every group the IAM's settings find."""
    options = entry.get("options") or {}
    base, query = options.get("groupSearchBase"), options.get("groupSearchFilter")
    name_attribute = ((entry.get("schema") or {}).get("group") or {}).get("name")
    attributes = [a for a in options.get("groupMembershipAttributes") or [] if a == a.lower()]
    syncs_groups = "syncGroups" in (entry.get("supportedActions") or [])
    if not (syncs_groups and base and query and name_attribute and attributes):
        return []
    groups = []
    for found in _search(conn, str(base), str(query), [str(name_attribute), *attributes]):
        values = found.get("attributes") or {}
        names = _values(values, str(name_attribute))
        if found.get("type") != "searchResEntry" or not names:
            continue
        members = {_dn_key(v) for a in attributes for v in _values(values, a)}
        groups.append((names[0], members))
    return groups
