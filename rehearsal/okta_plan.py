"""The sign-on policies a plan declares, as the Okta sign-on model sees them.

The mock engine gives each resource the id `<id of NAME>`, so references between registrations
(policyId, groupsIncluded, usersExcluded, the bind group's users) resolve by that id.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.okta.signon_model import LAST, Policy, Rule
from rehearsal.mock_engine import PlanResult, Registration

SIGNON = "okta:policy/signon:Signon"
RULE = "okta:policy/ruleSignon:RuleSignon"
USER = "okta:user/user:User"
MEMBERSHIPS = "okta:index/groupMemberships:GroupMemberships"
EVERYONE_STAND_IN = "<id of the org's Everyone group>"  # the offline plan's invoke result


def mock_id(r: Registration) -> str:
    return f"<id of {r.name}>"


@dataclass(frozen=True)
class PlannedSignOn:
    policies: tuple[Policy, ...]
    bind_user_ids: tuple[str, ...]
    bind_group_id: str
    bind_policy_id: str
    bind_rule_id: str
    mfa_policy_id: str | None


def planned_sign_on(plan: PlanResult, *, everyone_group_id: str) -> PlannedSignOn:
    """The plan's sign-on policies and rules as model objects, in the org's group ids."""

    def group(value: str) -> str:
        return everyone_group_id if value == EVERYONE_STAND_IN else value

    rules = plan.of_type(RULE)
    policies = []
    for p in plan.of_type(SIGNON):
        own = [r for r in rules if r.inputs["policyId"] == mock_id(p)]
        policies.append(
            Policy(
                id=mock_id(p),
                name=p.inputs["name"],
                priority=int(p.inputs.get("priority") or LAST),  # none sent: Okta puts it last
                status=p.inputs.get("status", "ACTIVE"),
                groups_included=frozenset(group(g) for g in p.inputs["groupsIncluded"]),
                rules=tuple(
                    Rule(
                        id=mock_id(r),
                        name=r.inputs["name"],
                        priority=int(r.inputs["priority"]),
                        status=r.inputs.get("status", "ACTIVE"),
                        access=r.inputs.get("access", "ALLOW"),
                        authtype=r.inputs.get("authtype", "ANY"),
                        mfa_required=bool(r.inputs.get("mfaRequired", False)),
                        users_excluded=frozenset(r.inputs.get("usersExcluded") or ()),
                    )
                    for r in own
                ),
            )
        )
    (members,) = plan.of_type(MEMBERSHIPS)
    bind_group = members.inputs["groupId"]
    (bind_policy,) = [p for p in policies if bind_group in p.groups_included]
    (bind_rule,) = [r for r in bind_policy.rules if r.authtype == "LDAP_INTERFACE"]
    others = [p.id for p in policies if p is not bind_policy]
    return PlannedSignOn(
        policies=tuple(policies),
        bind_user_ids=tuple(members.inputs["users"]),
        bind_group_id=bind_group,
        bind_policy_id=bind_policy.id,
        bind_rule_id=bind_rule.id,
        mfa_policy_id=others[0] if others else None,
    )
