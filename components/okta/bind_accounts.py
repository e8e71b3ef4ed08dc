"""Okta LDAP bind service accounts: active users holding exactly the Read-Only Admin role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_okta as okta
import pulumi_random as random

from components.config import BindAccount, Consumer, RotationSettings
from components.okta.ldap_interface import LdapDirectory

READ_ONLY_ADMIN = "READ_ONLY_ADMIN"
# Generated passwords: long, every character class Okta's default policy asks for, and no
# character that needs quoting in pg_hba.conf or a shell (`"`, `\`, `#`, `,`, blanks).
GENERATED_PASSWORD_LENGTH = 40
GENERATED_PASSWORD_SPECIALS = "-_.~!@%^*+="


@dataclass(frozen=True, kw_only=True)
class BindAccountsArgs:
    """The accounts to create, the directory they bind to, and how passwords rotate."""

    accounts: Sequence[BindAccount]
    directory: LdapDirectory
    rotation: RotationSettings = field(default_factory=lambda: RotationSettings(mode="single"))


@dataclass(frozen=True)
class BindCredentials:
    """What a consumer needs to bind: the active account's DN and its (secret) password."""

    account: BindAccount
    user_id: pulumi.Output[str]
    bind_dn: str
    login: str  # the active account's login (A or B with alternating rotation)
    password: pulumi.Output[str]  # secret; resolves only once Okta holds it (see OktaBindAccounts)


class OktaBindAccounts(pulumi.ComponentResource):
    """One Okta user per bind account (two with alternating rotation), each with
    `READ_ONLY_ADMIN` and nothing more.

    Consumers (Immuta, the Query Engine) take the password *through* the active Okta user, so
    a new password reaches them only after Okta accepted it, never before, and not at all when
    Okta refuses it. With alternating rotation the newly active account is the one whose
    password just changed; the other keeps the password its consumers held until now.
    """

    credentials: tuple[BindCredentials, ...]
    user_ids: list[pulumi.Output[str]]  # every bind user (both of a pair): group, exemptions

    def __init__(
        self, name: str, args: BindAccountsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:okta:BindAccounts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        rotation = args.rotation
        self.user_ids = []
        created = []
        for account in args.accounts:
            slots: list[tuple[str, str, str]] = [("", account.login, rotation.trigger)]
            if rotation.mode == "alternating" and account.alternate_login:
                # A keeps the single-mode names (no replacement when a stack switches over) and,
                # at generation 1, the single-mode keeper: its password does not change then.
                gen_a, gen_b = rotation.generation("a"), rotation.generation("b")
                slots = [
                    ("", account.login, "" if gen_a == 1 else f"a{gen_a}"),
                    ("-b", account.alternate_login, f"b{gen_b}"),
                ]
            users = []
            for suffix, login, keeper in slots:
                password = self._password(account, suffix, keeper, child)
                user = okta.user.User(
                    f"ldap-bind-{account.key}{suffix}",
                    login=login,
                    email=login,
                    first_name="LDAP Bind",
                    last_name=account.last_name + (" B" if suffix else ""),
                    password=password,
                    status="ACTIVE",
                    opts=child,
                )
                okta.UserAdminRoles(
                    f"ldap-bind-{account.key}{suffix}-roles",
                    user_id=user.id,
                    admin_roles=[READ_ONLY_ADMIN],
                    disable_notifications=True,
                    opts=child,
                )
                self.user_ids.append(user.id)
                users.append((login, user, password))
            active = users[1] if len(users) == 2 and rotation.active_slot == "b" else users[0]
            login, user, password = active
            created.append(
                BindCredentials(
                    account=account,
                    user_id=user.id,
                    bind_dn=args.directory.bind_dn(login),
                    login=login,
                    password=pulumi.Output.all(user.id, password).apply(lambda v: str(v[1])),
                )
            )
        self.credentials = tuple(created)
        self.register_outputs({"userIds": self.user_ids})

    @staticmethod
    def _password(
        account: BindAccount, suffix: str, keeper: str, opts: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        if account.password is not None:
            return pulumi.Output.secret(account.password.get_secret_value())
        generated = random.RandomPassword(
            f"ldap-bind-{account.key}{suffix}-password",
            length=GENERATED_PASSWORD_LENGTH,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            override_special=GENERATED_PASSWORD_SPECIALS,
            keepers={"rotation": keeper},  # a new value, a new password
            opts=opts,
        )
        return pulumi.Output.secret(generated.result)

    def for_consumer(self, consumer: Consumer) -> BindCredentials | None:
        """The credentials the given consumer binds with (None: it binds with none)."""
        return next((c for c in self.credentials if consumer in c.account.consumers), None)
