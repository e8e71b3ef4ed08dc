"""adopt's Okta reads on real and documented answers (tests/support/okta_bodies.py): roles
split into direct and inherited as Okta marks them, a PROVISIONED user with non-string
profile values, groups with and without `type`."""

from __future__ import annotations

from adopt.okta_read import read_okta
from components.okta.api_connection import OktaConnection
from rehearsal.okta_emulator import OktaEmulator
from tests.support import okta_bodies as bodies

USER = bodies.REAL_USER
LOGIN = USER["profile"]["login"]


def read(emu: OktaEmulator, roles: list[dict[str, object]], groups: list[dict[str, object]]):
    emu.seed(
        users=[USER],
        groups=groups,
        user_groups={USER["id"]: [str(g["id"]) for g in groups]},
        roles={USER["id"]: roles},
    )
    conn = OktaConnection(base_url=emu.url, api_token=emu.token, timeout=5)
    facts = read_okta(conn, logins=[LOGIN], group_names=[])
    lookup = facts.lookup(LOGIN)
    assert lookup is not None
    (user,) = lookup.users
    return facts, user


def test_real_roles_and_a_provisioned_user(okta_emu: OktaEmulator) -> None:
    facts, user = read(okta_emu, bodies.REAL_USER_ROLES, bodies.REAL_USER_GROUPS)
    assert user.status == "PROVISIONED"
    assert user.roles == ("APP_ADMIN", "SUPER_ADMIN")
    assert user.group_roles == ()
    assert {"array123", "number123"} <= set(user.other_profile)
    assert facts.everyone_id == bodies.REAL_PASSWORD_GROUP


def test_no_roles_at_all(okta_emu: OktaEmulator) -> None:
    _, user = read(okta_emu, bodies.REAL_USER_ROLES_NONE, bodies.SPEC_USER_GROUPS)
    assert (user.roles, user.group_roles) == ((), ())
    assert dict(user.groups) == {
        "0gabcd1234": "Cloud app users",
        "0gefgh5678": "Internal app users",
    }


def test_spec_roles_split_direct_from_inherited(okta_emu: OktaEmulator) -> None:
    _, user = read(okta_emu, bodies.SPEC_USER_ROLES, bodies.REAL_USER_GROUPS)
    assert user.roles == ("APP_ADMIN", "CUSTOM")
    assert user.group_roles == ("API_ACCESS_MANAGEMENT_ADMIN",)
    # The spec's malformed example: no readable assignmentType counts as a direct role.
    _, user = read(okta_emu, bodies.SPEC_USER_ROLES_MALFORMED, bodies.REAL_USER_GROUPS)
    assert user.roles == ("API_ACCESS_MANAGEMENT_ADMIN", "APP_ADMIN")
