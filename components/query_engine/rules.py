"""The Query Engine's pg_hba rules and Helm values, from the stack's facts (pure, no Pulumi)."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from components.immuta.iam_document import query_engine_role
from components.okta.ldap_interface import LdapDirectory
from components.query_engine.pg_hba import LdapSearchBindRule, LdapSimpleBindRule

if TYPE_CHECKING:
    from components.config import QueryEngineSettings


def query_engine_rules(
    qe: QueryEngineSettings,
    directory: LdapDirectory,
    iam_id: str,
    bind_dn: str | None,
    bind_password: str | None,
) -> list[str]:
    """Our LDAP rules, one per client CIDR, then the extra rules from config. searchBind needs
    the bind account's DN and password; simpleBind binds as `uid=<login>,<root DN>`, Okta's
    bind DN form, and needs neither."""
    if qe.ldap_mode == "simpleBind":
        prefix, _, suffix = directory.bind_dn("{login}").partition("{login}")
        simple = [
            LdapSimpleBindRule(
                role=query_engine_role(iam_id),
                address=cidr,
                server=directory.host,
                port=directory.port,
                transport=directory.transport,
                prefix=prefix,
                suffix=suffix,
                database=qe.database,
            ).render()
            for cidr in qe.client_cidrs
        ]
        return simple + list(qe.extra_rules)
    if bind_dn is None or bind_password is None:
        raise ValueError("searchBind needs the Query Engine's bind DN and password")
    search_filter = qe.search_filter
    ours = [
        LdapSearchBindRule(
            role=query_engine_role(iam_id),
            address=cidr,
            server=directory.host,
            port=directory.port,
            transport=directory.transport,
            base_dn=directory.users_base_dn,
            bind_dn=bind_dn,
            bind_password=bind_password,
            search_attribute=None if search_filter else "uid",
            search_filter=search_filter,
            database=qe.database,
        ).render()
        for cidr in qe.client_cidrs
    ]
    return ours + list(qe.extra_rules)


def _merged(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` deep-merged into a copy of `base` (mappings merge, anything else replaces)."""
    out = copy.deepcopy(dict(base))
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def helm_values(
    base: Mapping[str, Any], rules: Sequence[str], secret: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The chart's base values, the secret values over them, and `queryEngine.clientPgHBARules`
    set to `rules`. The chart appends its own catch-all after these lines, so ours match first.
    """
    values = _merged(base, secret or {})
    query_engine = dict(values.get("queryEngine") or {})
    query_engine["clientPgHBARules"] = list(rules)
    values["queryEngine"] = query_engine
    return values
