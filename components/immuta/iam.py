"""Immuta's LDAP IAM component: the dynamic resource and the inputs it gets from the stack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.config import ImmutaSettings
from components.immuta.iam_document import (
    OKTA_GROUP_FILTER,
    OKTA_GROUP_MEMBERSHIP_ATTRIBUTES,
    OKTA_GROUP_NAME_ATTRIBUTE,
    OKTA_PAGE_SIZE,
    SUPPORTED_ACTIONS,
)
from components.immuta.provider import ImmutaIamProvider
from components.okta.bind_accounts import BindCredentials
from components.okta.ldap_interface import LdapDirectory


class LdapIamResource(pulumi.dynamic.Resource):
    """The dynamic resource; outputs are the inputs without the password, plus the role."""

    iamId: pulumi.Output[str]
    queryEngineRole: pulumi.Output[str]
    syncProblem: pulumi.Output[str | None]

    def __init__(
        self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        secret_outs = pulumi.ResourceOptions(additional_secret_outputs=["bindPasswordDigest"])
        super().__init__(
            ImmutaIamProvider(),
            name,
            {
                **props,
                "bindPasswordDigest": None,
                "queryEngineRole": None,
                "syncStarted": None,
                "syncProblem": None,
            },
            pulumi.ResourceOptions.merge(opts, secret_outs),
        )


@dataclass(frozen=True)
class ImmutaLdapIamArgs:
    """IAM settings, the directory, and the credentials Immuta's LDAP sync binds with."""

    settings: ImmutaSettings
    iam_id: str
    directory: LdapDirectory
    bind: BindCredentials


def iam_inputs(args: ImmutaLdapIamArgs) -> dict[str, Any]:
    """The IAM for Okta's LDAP Interface: LDAPS with certificate checks, `uid` as user id."""
    d, s = args.directory, args.settings
    return {
        "iamId": args.iam_id,
        "displayName": s.display_name,
        "host": d.host,
        "port": d.port if d.uses_ldaps else 636,  # Immuta binds over LDAPS even if PG uses StartTLS
        "useSsl": True,
        "rejectUnauthorized": True,
        "userSearchBase": d.users_base_dn,
        "userIdAttribute": "uid",
        "groupSearchBase": d.groups_base_dn,
        "groupSearchFilter": OKTA_GROUP_FILTER,
        "groupNameAttribute": OKTA_GROUP_NAME_ATTRIBUTE,
        "groupMembershipAttributes": list(OKTA_GROUP_MEMBERSHIP_ATTRIBUTES),
        "normalizeUserId": True,  # lower-case user ids: see components/immuta/iam_document.py
        "bindDn": args.bind.bind_dn,
        "bindPassword": args.bind.password,
        "profile": dict(s.profile),
        "syncCron": s.sync_cron,
        "pageSize": OKTA_PAGE_SIZE,
        "supportedActions": list(SUPPORTED_ACTIONS),
        "adopt": s.adopt,
        "testBeforeSave": s.test_before_save,
    }


class ImmutaLdapIam(pulumi.ComponentResource):
    """Immuta's LDAP IAM for Okta's LDAP Interface, bound with Immuta's own bind account."""

    iam_id: pulumi.Output[str]
    sync_problem: pulumi.Output[str | None]  # why the last sync did not start, None when it did

    def __init__(
        self, name: str, args: ImmutaLdapIamArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:immuta:LdapIam", name, None, opts)
        iam = LdapIamResource(
            "immuta-ldap-iam", iam_inputs(args), pulumi.ResourceOptions(parent=self)
        )
        self.iam_id = iam.iamId
        self.sync_problem = iam.syncProblem
        self.register_outputs(
            {
                "iamId": self.iam_id,
                "queryEngineRole": iam.queryEngineRole,
                "syncProblem": self.sync_problem,
            }
        )
