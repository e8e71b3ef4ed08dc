"""The Immuta Helm release whose Query Engine carries the LDAP search+bind pg_hba rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.config import QueryEngineSettings
from components.immuta.iam_document import query_engine_role
from components.okta.bind_accounts import BindCredentials
from components.okta.ldap_interface import LdapDirectory
from components.query_engine.rules import helm_values, query_engine_rules


@dataclass(frozen=True)
class QueryEngineArgs:
    """Chart settings, the directory, the IAM id and the Query Engine's bind account."""

    settings: QueryEngineSettings
    directory: LdapDirectory
    iam_id: pulumi.Input[str]
    bind: BindCredentials | None  # None: simpleBind, no bind account


class ImmutaQueryEngine(pulumi.ComponentResource):
    """`kubernetes.helm.v3.Release` of the Immuta chart; its whole `values` is secret."""

    role: pulumi.Output[str]
    pg_hba_rules: pulumi.Output[list[str]]  # secret: they carry the bind password

    def __init__(
        self, name: str, args: QueryEngineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("okta-ldap-immuta:immuta:QueryEngine", name, None, opts)
        qe = args.settings

        bind = args.bind

        def render(parts: list[Any]) -> list[str]:
            iam_id, password = parts
            dn = bind.bind_dn if bind else None
            return query_engine_rules(qe, args.directory, iam_id, dn, password)

        self.pg_hba_rules = pulumi.Output.secret(
            pulumi.Output.all(args.iam_id, bind.password if bind else None).apply(render)
        )
        self.role = pulumi.Output.from_input(args.iam_id).apply(query_engine_role)
        repository = k8s.helm.v3.RepositoryOptsArgs(
            repo=qe.repository,
            username=qe.repository_username,  # not a secret: shown like the config key
            password=pulumi.Output.secret(qe.repository_password.get_secret_value())
            if qe.repository_password
            else None,
        )
        k8s.helm.v3.Release(
            "immuta",
            name=qe.release_name,
            chart=qe.chart,
            version=qe.chart_version,
            namespace=qe.namespace,
            repository_opts=repository,
            values=self.pg_hba_rules.apply(
                lambda rules: helm_values(qe.base_values, rules, qe.secret_values)
            ),
            atomic=True,
            cleanup_on_fail=True,
            opts=pulumi.ResourceOptions(parent=self, additional_secret_outputs=["values"]),
        )
        self.register_outputs({"role": self.role})
