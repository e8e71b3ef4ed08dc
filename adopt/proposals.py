"""The config changes that let the stack take over what exists, decided from the facts alone.

- `immutaIamAdopt: true` when Immuta has an LDAP IAM with the stack's id (a Python dynamic
  resource cannot be `pulumi import`ed; components/immuta/provider.py adopts it instead).
- A bind login, when the configured one does not exist in Okta but the account the consumer
  binds with today (the IAM's bind DN for Immuta, the pg_hba `ldapbinddn` for the Query
  Engine) is exactly one Okta user. Several candidates are a decision for a person.
- `queryEngineExtraPgHbaRules`, when today's clientPgHBARules hold lines besides our LDAP
  rule that pass the extra-rule checks (the stack replaces the whole list).
Nothing is proposed for a secret: the report says which `--secret` keys would keep a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from adopt.hba_compare import mask_line, read_line
from adopt.helm_release import HelmRelease
from adopt.immuta_read import ImmutaFacts
from adopt.okta_read import OktaFacts
from components.config import Consumer, Settings, project_schema
from components.immuta.iam_document import query_engine_role
from components.query_engine.hba_policy import extra_rule_problems

LOGIN_KEYS = {
    "immuta": "immutaBindLogin",
    "query-engine": "queryEngineBindLogin",
    "shared": "sharedBindLogin",
}


@dataclass(frozen=True)
class InUse:
    """The account a consumer binds with today, read from a bind DN."""

    consumer: Consumer
    login: str
    source: str  # where the DN was read
    note: str = ""  # e.g. stray backquotes removed


@dataclass
class Proposals:
    changes: dict[str, str] = field(default_factory=dict)  # full key -> config text
    why: dict[str, str] = field(default_factory=dict)
    decisions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def login_of_dn(dn: str) -> tuple[str, str] | None:
    """(login, note) from a bind DN `uid=<login>,...`, or None when it names no uid."""
    first = re.split(r"(?<!\\),", dn, maxsplit=1)[0]
    attr, sep, value = first.partition("=")
    if not sep or attr.strip().casefold() != "uid":
        return None
    value = re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m[1], 16)), value.strip())
    value = re.sub(r"\\(.)", r"\1", value)
    note = ""
    if "`" in value:
        value, note = value.replace("`", ""), "backquotes from the page's formatting removed"
    return (value, note) if value else None


def our_lines(rules: Sequence[str], role: str) -> tuple[list[str], list[str]]:
    """(LDAP lines for `role`, every other line) of a clientPgHBARules list."""
    ours, others = [], []
    for line in rules:
        view = read_line(line)
        if view is not None and view.method == "ldap" and view.user.lstrip("+") == role:
            ours.append(line)
        else:
            others.append(line)
    return ours, others


def in_use(immuta: ImmutaFacts, release: HelmRelease | None, iam_id: str) -> list[InUse]:
    found: list[InUse] = []
    bind_dn = ((immuta.entry or {}).get("credentials") or {}).get("bind_dn")
    if isinstance(bind_dn, str) and (hit := login_of_dn(bind_dn)):
        found.append(InUse(Consumer.IMMUTA, hit[0], f"Immuta IAM '{iam_id}' bind DN", hit[1]))
    ours = our_lines(release.pg_hba_rules() or [], query_engine_role(iam_id))[0] if release else []
    for line in ours[:1]:
        view = read_line(line)
        dn = view.options.get("ldapbinddn") if view else None
        if dn is not None and (hit := login_of_dn(dn.value)):
            found.append(InUse(Consumer.QUERY_ENGINE, hit[0], "the pg_hba ldapbinddn", hit[1]))
    return found


def propose(
    settings: Settings,
    okta: OktaFacts,
    immuta: ImmutaFacts,
    release: HelmRelease | None,
    uses: Sequence[InUse],
    secrets: Sequence[str] = (),
) -> Proposals:
    schema = project_schema()
    out = Proposals()
    if immuta.exists and immuta.listed is not None:
        kind = str(immuta.listed.get("type", ""))
        if kind != "ldap":
            out.decisions.append(
                f"Immuta IAM '{immuta.iam_id}' is a {kind or 'typeless'} IAM, not LDAP: "
                "the stack would replace it. Choose another immutaIamId, or remove that IAM "
                "yourself."
            )
        elif not settings.immuta.adopt:
            key = schema.full("immutaIamAdopt")
            out.changes[key] = "true"
            out.why[key] = f"Immuta already has LDAP IAM '{immuta.iam_id}': take it over"
    elif settings.immuta.adopt:
        out.notes.append(
            f"immutaIamAdopt is true, but Immuta has no IAM '{settings.iam_id}': it is created"
        )
    taken = {a.login.casefold() for a in settings.bind_accounts}
    by_consumer: dict[Consumer, InUse] = {u.consumer: u for u in uses}
    for account in settings.bind_accounts:
        lookup = okta.lookup(account.login)
        if lookup is not None and lookup.users:
            continue  # found (once: adopted; several: mapping.py reports the decision)
        key = schema.full(LOGIN_KEYS[account.key])
        for consumer in account.consumers:
            use = by_consumer.get(consumer)
            if use is None or use.login.casefold() == account.login.casefold():
                continue
            found = okta.lookup(use.login)
            users = found.users if found else ()
            if len(users) > 1:
                names = ", ".join(f"{u.login} ({u.id})" for u in users)
                out.decisions.append(
                    f"{consumer.value} binds today as '{use.login}' ({use.source}), which "
                    f"matches {len(users)} Okta users: {names}. Set {key} to the one it binds as; "
                    "adopt does not pick one."
                )
                break
            if len(users) == 1 and users[0].login.casefold() in taken:
                out.notes.append(
                    f"{consumer.value} binds today as {users[0].login} ({use.source}), which this "
                    f"stack gives to another consumer; {account.login} is created for "
                    f"{consumer.value}. To keep one account for both instead: bindAccountMode "
                    f"shared and sharedBindLogin {users[0].login}."
                )
                break
            if len(users) == 1:
                out.changes[key] = users[0].login
                why = f"{consumer.value} binds as this Okta user today ({use.source})"
                out.why[key] = why + (f"; {use.note}" if use.note else "")
                taken.add(users[0].login.casefold())
                break
    final = {a.login.casefold() for a in settings.bind_accounts}
    final |= {v.casefold() for k, v in out.changes.items() if k.endswith("BindLogin")}
    for use in uses:
        found = okta.lookup(use.login)
        users = found.users if found else ()
        if len(users) == 1 and users[0].login.casefold() not in final:
            out.notes.append(
                f"{use.consumer.value} binds today as {users[0].login} ({use.source}); after the "
                "first up it binds with the stack's account, and this user stays in Okta, not "
                "managed: deactivate it by hand once logins and Immuta's sync work"
            )
    if release is not None:
        role = query_engine_role(settings.iam_id)
        _, others = our_lines(release.pg_hba_rules() or [], role)
        keep = list(settings.query_engine.extra_rules)
        for line in others:
            if line in keep:
                continue
            problems = extra_rule_problems(len(keep), line)
            if problems:
                out.notes.append(
                    f"clientPgHBARules line '{mask_line(line, secrets)}' is removed on the "
                    f"first up; it cannot be an extra rule: {problems[0]}"
                )
            else:
                keep.append(line)
        if keep != list(settings.query_engine.extra_rules):
            key = schema.full("queryEngineExtraPgHbaRules")
            out.changes[key] = json.dumps(keep)
            out.why[key] = "keep today's other pg_hba lines (the stack replaces clientPgHBARules)"
    return out


def _sh(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


def config_commands(stack: str, changes: Mapping[str, str]) -> list[str]:
    """`pulumi config set` lines for the changes; a list is set element by element (--path)."""
    lines = []
    for key in sorted(changes):
        value = changes[key]
        items = json.loads(value) if value.startswith("[") else None
        if isinstance(items, list):
            for i, item in enumerate(items):
                path = _sh(f"{key}[{i}]")
                lines.append(f"pulumi config set --stack {stack} --path {path} -- {_sh(str(item))}")
        else:
            lines.append(f"pulumi config set --stack {stack} {key} -- {_sh(value)}")
    return lines
