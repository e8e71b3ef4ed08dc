"""The program's Okta resources mapped to what exists, with import ids as pulumi-okta expects.

Import ids (pulumi-okta 7.x, each resource's `## Import` section): User, UserAdminRoles: the
user id; Group: the group id; GroupMemberships: `<group id>/true`, which with trackAllUsers
reads every member into the state (as the program manages them); policy Signon: the policy
id; RuleSignon: `<policy id>/<rule id>`. A user with no admin role at all is not imported as
UserAdminRoles (there is no assignment to read): the first up creates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from adopt.context import Ctx, plain, subject
from adopt.model import shown
from adopt.okta_read import OktaUser
from rehearsal.mock_engine import Registration

USER = "okta:user/user:User"
ROLES = "okta:index/userAdminRoles:UserAdminRoles"
GROUP = "okta:group/group:Group"
MEMBERS = "okta:index/groupMemberships:GroupMemberships"
SIGNON = "okta:policy/signon:Signon"
RULE = "okta:policy/ruleSignon:RuleSignon"
PASSWORD = "random:index/randomPassword:RandomPassword"


def _get(item: Mapping[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(item, Mapping):
            return None
        item = item.get(key)  # type: ignore[assignment]
    return item


def _quoted(names: Iterable[str]) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _change(what: str, now: Any, want: Any) -> str:
    return f"{what}: {shown(now)} -> {shown(want)}"


def map_users(ctx: Ctx) -> None:
    passwords = {r.name for r in ctx.of_type(PASSWORD)}
    for reg in ctx.of_type(USER):
        want = plain(reg.inputs)
        login = str(want["login"])
        lookup = ctx.okta.lookup(login)
        users = lookup.users if lookup else ()
        if not users:
            ctx.out.add("create", subject(reg), f"Okta user {login}: no user has this login")
            continue
        if len(users) > 1:
            names = ", ".join(f"{u.login} ({u.id}, {u.status})" for u in users)
            ctx.out.add(
                "decide",
                subject(reg),
                f"{len(users)} Okta users match login {login}: "
                f"{names}; Okta logins are unique, so which one is meant is yours to say "
                "(remove or rename the other, then run adopt again)",
            )
            continue
        user = users[0]
        ctx.adopt(reg, user.id, user.id, f"Okta user {user.login} ({user.id}, {user.status})")
        _user_changes(ctx, reg, user, want, f"{reg.name}-password" in passwords)


def _user_changes(
    ctx: Ctx, reg: Registration, user: OktaUser, want: Mapping[str, Any], generated: bool
) -> None:
    lines = [
        _change(k, user.profile.get(k), want[k])
        for k in ("login", "email", "firstName", "lastName")
        if k in want and user.profile.get(k) != want[k]
    ]
    if user.status != want.get("status", "ACTIVE"):
        lines.append(_change("status", user.status, want.get("status", "ACTIVE")))
    source = (
        "the stack's generated password (random:RandomPassword)"
        if generated
        else "the configured bind password"
    )
    lines.append(
        f"password: set to {source}; Immuta's IAM and the Query Engine rule take the same "
        "value in the same up, so consumers binding meanwhile may fail briefly"
    )
    if user.other_profile:
        lines.append(
            "profile attributes the stack does not set: "
            + ", ".join(user.other_profile)
            + " (`pulumi preview --diff` shows whether the first up clears them)"
        )
    ctx.out.add("change", subject(reg), f"Okta user {user.login}", lines)


def map_roles(ctx: Ctx) -> None:
    for reg in ctx.of_type(ROLES):
        want = sorted(plain(reg.inputs).get("adminRoles") or [])
        user_reg = ctx.referenced(reg.inputs.get("userId"))
        uid = ctx.real(user_reg) if user_reg else None
        user = ctx.okta.users().get(uid or "")
        if user is None:
            ctx.out.add("create", subject(reg), f"admin roles {want} of the new bind user")
            continue
        if user.group_roles:
            ctx.out.add(
                "keep",
                subject(reg),
                f"{user.login} also holds {list(user.group_roles)} "
                "through a group: not managed here; remove that group's role assignment "
                "for least privilege",
            )
        if not user.roles:
            ctx.out.add(
                "create",
                subject(reg),
                f"{user.login} holds no admin role today (missing "
                f"{', '.join(want)}): nothing to import; the first up grants {want}",
            )
            continue
        ctx.adopt(reg, user.id, user.id, f"admin roles of {user.login}: {list(user.roles)}")
        if sorted(user.roles) != want:
            removed = sorted(set(user.roles) - set(want))
            added = sorted(set(want) - set(user.roles))
            detail = [_change("adminRoles", list(user.roles), want)]
            detail += [f"removes {removed}"] if removed else []
            detail += [f"grants {added} (missing today)"] if added else []
            ctx.out.add("change", subject(reg), f"admin roles of {user.login}", detail)


def map_groups(ctx: Ctx) -> None:
    for reg in ctx.of_type(GROUP):
        name = str(reg.inputs["name"])
        same = ctx.okta.groups_named.get(name.casefold(), ())
        own = [g for g in same if g.type == "OKTA_GROUP"]
        for g in (g for g in same if g.type != "OKTA_GROUP"):
            ctx.out.add(
                "keep",
                subject(reg),
                f'{g.type} "{g.name}" ({g.id}) shares the name; '
                "it is not an Okta group the stack can manage",
            )
        if not own:
            ctx.out.add("create", subject(reg), f'Okta group "{name}"')
        elif len(own) > 1:
            ids = ", ".join(g.id for g in own)
            ctx.out.add(
                "decide",
                subject(reg),
                f'{len(own)} Okta groups are named "{name}" '
                f"({ids}); rename or remove the extra ones, or set bindGroupName",
            )
        else:
            ctx.adopt(reg, own[0].id, own[0].id, f'Okta group "{own[0].name}" ({own[0].id})')
    for reg in ctx.of_type(MEMBERS):
        group_reg = ctx.referenced(reg.inputs.get("groupId"))
        gid = ctx.real(group_reg) if group_reg else None
        group = next((g for gs in ctx.okta.groups_named.values() for g in gs if g.id == gid), None)
        if group is None:
            ctx.out.add("create", subject(reg), "memberships of the new bind group")
            continue
        ctx.adopt(
            reg,
            f"{group.id}/true",
            group.id,
            f'members of "{group.name}": '
            + (", ".join(login for _, login in group.members) or "(none)"),
        )
        want = {ctx.resolve(u) for u in plain(reg.inputs).get("users") or []}
        now = {uid for uid, _ in group.members}
        lines = [f"adds {ctx.names(want - now)}"] if want - now else []
        if now - want:
            lines.append(
                f"removes {ctx.names(now - want)} (trackAllUsers: exactly the bind accounts)"
            )
        if lines:
            ctx.out.add("change", subject(reg), f'members of "{group.name}"', lines)


def _priority(reg: Registration) -> int | None:
    """The priority the program registers (None: none, Okta puts the policy last)."""
    value = plain(reg.inputs).get("priority")
    return None if value is None else int(value)


def _enforced(reg: Registration) -> bool:
    """An up puts the policy back at its priority (components/okta/sign_on.py: not when the
    org holds several of this project's stacks, or when none is registered)."""
    ignored = "priority" in reg.options.get("ignoreChanges", [])
    return _priority(reg) is not None and not ignored


def _order_key(reg: Registration) -> float:
    priority = _priority(reg)
    return float("inf") if priority is None else priority


def _at(reg: Registration) -> str:
    priority = _priority(reg)
    if priority is None:
        return "last (just above the default policy)"
    return f"at priority {priority}" + ("" if _enforced(reg) else " (the top), not moved after")


def _policy_changes(ctx: Ctx, reg: Registration, policy: Mapping[str, Any]) -> list[str]:
    want = plain(reg.inputs)
    lines = []
    if _enforced(reg) and int(policy.get("priority", 0)) != int(want["priority"]):
        lines.append(_change("priority", int(policy.get("priority", 0)), int(want["priority"])))
    if policy.get("status") != want.get("status", "ACTIVE"):
        lines.append(_change("status", policy.get("status"), want.get("status", "ACTIVE")))
    now = set(_get(policy, "conditions", "people", "groups", "include") or [])
    new = {ctx.resolve(g) for g in want.get("groupsIncluded") or []}
    if now != new:
        lines.append(f"applies to: {ctx.names(now) if now else 'Everyone'} -> {ctx.names(new)}")
    if (policy.get("description") or "") != want.get("description", ""):
        lines.append("description: replaced by the stack's")
    return lines


def map_policies(ctx: Ctx) -> None:
    for reg in sorted(ctx.of_type(SIGNON), key=_order_key):
        name = str(reg.inputs["name"])
        same = [
            p for p in ctx.okta.policies if str(p.get("name", "")).casefold() == name.casefold()
        ]
        if not same:
            ctx.out.add("create", subject(reg), f"sign-on policy '{name}' {_at(reg)}")
            continue
        if len(same) > 1 or same[0].get("system"):
            where = ", ".join(f"{p.get('id')} at priority {p.get('priority')}" for p in same)
            why = (
                "Okta's default policy cannot be managed"
                if same[0].get("system")
                else f"{len(same)} policies have this name"
            )
            ctx.out.add(
                "decide",
                subject(reg),
                f"sign-on policy '{name}': {why} ({where}); "
                "set a name of its own (bindPolicyName / mfaPolicyName) or rename it",
            )
            continue
        policy = same[0]
        pid = str(policy["id"])
        ctx.adopt(
            reg, pid, pid, f"sign-on policy '{name}' ({pid}, priority {policy.get('priority')})"
        )
        lines = _policy_changes(ctx, reg, policy)
        if lines:
            ctx.out.add("change", subject(reg), f"sign-on policy '{name}'", lines)
    _map_rules(ctx)


def _rule_changes(ctx: Ctx, reg: Registration, rule: Mapping[str, Any]) -> list[str]:
    want = plain(reg.inputs)
    signon = _get(rule, "actions", "signon") or {}
    pairs = [
        ("priority", rule.get("priority"), want.get("priority")),
        ("status", rule.get("status"), want.get("status", "ACTIVE")),
        ("access", signon.get("access", "ALLOW"), want.get("access", "ALLOW")),
        (
            "authtype",
            _get(rule, "conditions", "authContext", "authType") or "ANY",
            want.get("authtype", "ANY"),
        ),
        ("mfaRequired", bool(signon.get("requireFactor")), bool(want.get("mfaRequired"))),
    ]
    if want.get("mfaRequired"):
        pairs.append(("mfaPrompt", signon.get("factorPromptMode"), want.get("mfaPrompt")))
    if "primaryFactor" in want:
        pairs.append(("primaryFactor", signon.get("primaryFactor"), want.get("primaryFactor")))
    lines = [_change(k, a, b) for k, a, b in pairs if a != b]
    now = set(_get(rule, "conditions", "people", "users", "exclude") or [])
    new = {ctx.resolve(u) for u in want.get("usersExcluded") or []}
    if now != new:
        lines.append(f"usersExcluded: {ctx.names(now)} -> {ctx.names(new)}")
    return lines


def _map_rules(ctx: Ctx) -> None:
    mapped: set[str] = set()
    for reg in sorted(
        ctx.of_type(RULE), key=lambda r: (r.inputs["policyId"], r.inputs["priority"])
    ):
        name = str(reg.inputs["name"])
        policy_reg = ctx.referenced(reg.inputs.get("policyId"))
        pid = ctx.real(policy_reg) if policy_reg else None
        if pid is None:
            ctx.out.add("create", subject(reg), f"rule '{name}' of the new policy")
            continue
        same = [
            r
            for r in ctx.okta.rules.get(pid, ())
            if str(r.get("name", "")).casefold() == name.casefold()
        ]
        if not same:
            ctx.out.add("create", subject(reg), f"rule '{name}' in the adopted policy {pid}")
        elif len(same) > 1:
            ids = ", ".join(str(r.get("id")) for r in same)
            ctx.out.add(
                "decide",
                subject(reg),
                f"policy {pid} has {len(same)} rules named "
                f"'{name}' ({ids}); rename or remove the extra ones",
            )
        else:
            rid = str(same[0]["id"])
            mapped.add(rid)
            ctx.adopt(reg, f"{pid}/{rid}", rid, f"rule '{name}' ({rid}) of policy {pid}")
            lines = _rule_changes(ctx, reg, same[0])
            if lines:
                ctx.out.add("change", subject(reg), f"rule '{name}'", lines)
    adopted = {ctx.real(r) for r in ctx.of_type(SIGNON)} - {None}
    bind_users = {u for u in (ctx.real(r) for r in ctx.of_type(USER)) if u}
    for policy in ctx.okta.policies:
        pid = str(policy.get("id"))
        for rule in ctx.okta.rules.get(pid, ()):
            rid, rname = str(rule.get("id")), rule.get("name")
            where = (
                f"rule '{rname}' (priority {rule.get('priority')}) of policy '{policy.get('name')}'"
            )
            if pid in adopted and rid not in mapped:
                ctx.out.add(
                    "keep", where, "stays; not in the program, it follows the stack's rules"
                )
            excluded = bind_users & set(
                _get(rule, "conditions", "people", "users", "exclude") or []
            )
            if excluded and pid not in adopted:
                ctx.out.add(
                    "keep",
                    where,
                    f"excludes bind account(s) {ctx.names(excluded)}: stays "
                    "as is; the bind-account policy at the top decides for them first, so "
                    "the exclusion no longer matters (remove it by hand when you like)",
                )
    _signon_order(ctx)


def _signon_order(ctx: Ctx) -> None:
    """Okta's policy order before and after the first up, and every policy that moves."""
    ours = sorted(ctx.of_type(SIGNON), key=_order_key)
    custom = sorted(
        (p for p in ctx.okta.policies if not p.get("system")),
        key=lambda p: int(p.get("priority", 0)),
    )
    by_id = {str(p.get("id")): p for p in custom}
    # As Okta places them (components/okta/signon_priority.py): a policy the up writes with a
    # priority moves there, one without goes last, an adopted one whose priority is not
    # enforced stays where it is.
    after: list[tuple[str, Mapping[str, Any] | None]] = [(str(p.get("name")), p) for p in custom]
    for reg in ours:
        policy = by_id.get(str(ctx.real(reg)))
        if policy is not None and not _enforced(reg):
            continue
        entry = (str(reg.inputs["name"]), policy)
        after = [e for e in after if e[1] is None or e[1] is not policy]
        priority = _priority(reg)
        after.insert(len(after) if priority is None else min(priority - 1, len(after)), entry)
    lines = []
    for position, (name, policy) in enumerate(after, 1):
        now = int(policy.get("priority", 0)) if policy else None
        note = " (new)" if now is None else f" (today {now})" if now != position else ""
        whose = ctx.owner(name)
        note += f" (another stack's: {whose})" if whose else ""
        lines.append(f"{position}. '{name}'{note}")
    ctx.out.add(
        "change",
        "Okta sign-on policy order",
        "after the first up (Okta keeps priorities contiguous; the default policy stays last)",
        lines,
    )
    for reg in ours:
        policy = by_id.get(str(ctx.real(reg)))
        if policy is None:
            continue
        name, now = str(policy.get("name")), int(policy.get("priority", 0))
        position = next(i for i, (_, p) in enumerate(after, 1) if p is policy)
        if now == position:
            continue
        ahead_today = {str(p.get("name")) for p in custom if int(p.get("priority", 0)) < now}
        ahead_after = {n for n, _ in after[: position - 1]}
        text = f"policy '{name}' exists at priority {now}; the stack puts it at {position}"
        if passed := sorted(ahead_today - ahead_after):
            text += f": it then decides before {_quoted(passed)} for everyone it includes"
        if behind := sorted(ahead_after - ahead_today):
            text += f"; {_quoted(behind)} then decide before it"
        ctx.out.add(
            "review",
            subject(reg),
            text + ". If it is not this stack's policy, give the "
            "stack's policy another name (bindPolicyName / mfaPolicyName) and run adopt again",
        )
