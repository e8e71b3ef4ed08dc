"""What the stack-level policies share: resource types, and finding resources and their
dependencies in a stack."""

from __future__ import annotations

from pulumi_policy import PolicyResource, StackValidationArgs

OKTA_USER = "okta:user/user:User"
MEMBERSHIPS = "okta:index/groupMemberships:GroupMemberships"


def urns(resources: list[PolicyResource]) -> set[str]:
    return {r.urn for r in resources}


def of_type(args: StackValidationArgs, type_: str) -> list[PolicyResource]:
    return [r for r in args.resources if r.resource_type == type_]


def deps(resource: PolicyResource, prop: str) -> set[str]:
    return urns(resource.property_dependencies.get(prop, []))


def bind_groups(args: StackValidationArgs) -> set[str]:
    """The groups whose membership the stack manages: the bind groups."""
    return {urn for m in of_type(args, MEMBERSHIPS) for urn in deps(m, "groupId")}
