"""Okta LDAP bind service accounts: active users holding exactly the Read-Only Admin role."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_okta as okta
import pulumi_random as random

from components.config import BindAccount, Consumer
from components.okta.ldap_interface import LdapDirectory

READ_ONLY_ADMIN = "READ_ONLY_ADMIN"
# Generated passwords: long, every character class Okta's default policy asks for, and no
# character that needs quoting in pg_hba.conf or a shell (`"`, `\`, `#`, `,`, blanks).
GENERATED_PASSWORD_LENGTH = 40
GENERATED_PASSWORD_SPECIALS = "-_.~!@%^*+="


@dataclass(frozen=True)
class BindAccountsArgs:
    """The accounts to create and the directory they bind to."""

    accounts: Sequence[BindAccount]
    directory: LdapDirectory
    rotation: str = ""  # a new value generates new passwords (accounts without a configured one)


@dataclass(frozen=True)
class BindCredentials:
    """What a consumer needs to bind: the account's DN and its (secret) password."""

    account: BindAccount
    user_id: pulumi.Output[str]
    bind_dn: str
    password: pulumi.Output[str]  # secret; resolves only once Okta holds it (see OktaBindAccounts)


class OktaBindAccounts(pulumi.ComponentResource):
    """One Okta user per bind account, each with `READ_ONLY_ADMIN` and nothing more."""

    credentials: tuple[BindCredentials, ...]

    def __init__(
        self, name: str, args: BindAccountsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:okta:BindAccounts", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        created = []
        for account in args.accounts:
            password = self._password(account, args.rotation, child)
            user = okta.user.User(
                f"ldap-bind-{account.key}",
                login=account.login,
                email=account.login,
                first_name="LDAP Bind",
                last_name=account.last_name,
                password=password,
                status="ACTIVE",
                opts=child,
            )
            okta.UserAdminRoles(
                f"ldap-bind-{account.key}-roles",
                user_id=user.id,
                admin_roles=[READ_ONLY_ADMIN],
                disable_notifications=True,
                opts=child,
            )
            created.append(
                BindCredentials(
                    account=account,
                    user_id=user.id,
                    bind_dn=args.directory.bind_dn(account.login),
                    # Consumers (Immuta, the Query Engine) take the password through the Okta
                    # user: on rotation they update only after Okta accepted the new one, and
                    # not at all when Okta refuses it.
                    password=pulumi.Output.all(user.id, password).apply(lambda v: str(v[1])),
                )
            )
        self.credentials = tuple(created)
        self.register_outputs({"userIds": self.user_ids})

    @staticmethod
    def _password(
        account: BindAccount, rotation: str, opts: pulumi.ResourceOptions
    ) -> pulumi.Output[str]:
        if account.password is not None:
            return pulumi.Output.secret(account.password.get_secret_value())
        generated = random.RandomPassword(
            f"ldap-bind-{account.key}-password",
            length=GENERATED_PASSWORD_LENGTH,
            min_lower=2,
            min_upper=2,
            min_numeric=2,
            min_special=2,
            override_special=GENERATED_PASSWORD_SPECIALS,
            keepers={"rotation": rotation},
            opts=opts,
        )
        return pulumi.Output.secret(generated.result)

    @property
    def user_ids(self) -> list[pulumi.Output[str]]:
        return [c.user_id for c in self.credentials]

    def for_consumer(self, consumer: Consumer) -> BindCredentials | None:
        """The credentials the given consumer binds with (None: it binds with none)."""
        return next((c for c in self.credentials if consumer in c.account.consumers), None)
