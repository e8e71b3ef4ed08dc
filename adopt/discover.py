"""One adoption run: read the three systems, decide the config changes, run the program under
mocks with them, and map its registrations to what exists. Read only, end to end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from adopt.hba_compare import SECRETS, read_line
from adopt.helm_release import HelmRelease, current_release
from adopt.immuta_read import ImmutaFacts, read_immuta
from adopt.inputs import InputError, StackInputs
from adopt.kube import KubeClient, KubeTarget
from adopt.mapping import build
from adopt.model import Outcome, import_file
from adopt.okta_read import OktaFacts, read_okta
from adopt.proposals import InUse, Proposals, in_use, propose
from components.config import Settings, SettingsError
from components.immuta.connection import ImmutaConnection
from components.okta.api_connection import OktaConnection
from rehearsal.mock_engine import PlanResult, run_program


@dataclass(frozen=True)
class Connections:
    okta: OktaConnection
    immuta: ImmutaConnection
    kube: KubeTarget
    timeout: float = 30.0
    # Test seams: transports to send the requests through (default: the network).
    okta_transport: httpx.BaseTransport | None = None
    immuta_transport: httpx.BaseTransport | None = None
    kube_transport: httpx.BaseTransport | None = None


@dataclass
class Adoption:
    stack: str
    project: str
    okta: OktaFacts
    immuta: ImmutaFacts
    release: HelmRelease | None
    kube: KubeTarget
    kube_reads: int
    uses: list[InUse]
    proposals: Proposals
    outcome: Outcome
    plan: PlanResult = field(repr=False)
    secrets: list[str] = field(default_factory=list, repr=False)

    def import_document(self) -> dict[str, Any]:
        return import_file(self.outcome.entries)

    def blocked(self) -> bool:
        return bool(self.proposals.decisions or self.outcome.decisions())


def _settings(inputs: StackInputs) -> Settings:
    try:
        return inputs.config.settings()
    except SettingsError as exc:
        raise InputError(str(exc)) from None


def adopt(inputs: StackInputs, connections: Connections) -> Adoption:
    settings = _settings(inputs)
    secrets = [*inputs.secrets(), *connections.kube.secrets()]
    immuta = read_immuta(
        connections.immuta, settings.iam_id, transport=connections.immuta_transport
    )
    qe = settings.query_engine
    with KubeClient(
        connections.kube, timeout=connections.timeout, transport=connections.kube_transport
    ) as kube:
        release = current_release(kube.helm_release_secrets(qe.namespace, qe.release_name))
        kube_reads = kube.guard.reads
    uses = in_use(immuta, release, settings.iam_id)
    logins = [a.login for a in settings.bind_accounts]
    logins += [a.alternate_login for a in settings.bind_accounts if a.alternate_login]
    for use in uses:  # a login adopt may propose, and its account B with alternating rotation
        logins.append(use.login)
        if settings.rotation.mode == "alternating" and "@" in use.login:
            local, _, domain = use.login.rpartition("@")
            logins.append(f"{local}-b@{domain}")
    okta = read_okta(
        connections.okta,
        logins=logins,
        group_names=[settings.bind_policy.group_name],
        policy_names=[
            settings.bind_policy.password_policy_name,
            settings.bind_policy.enrollment_policy_name,
        ],
        transport=connections.okta_transport,
    )
    for line in (release.pg_hba_rules() or []) if release else []:
        view = read_line(line)  # the deployed password: masked wherever it could appear
        if view is not None:
            secrets += [view.options[n].value for n in sorted(SECRETS) if n in view.options]
    proposals = propose(settings, okta, immuta, release, uses, secrets)
    proposed = inputs.with_changes(proposals.changes)
    proposed_settings = _settings(proposed)
    plan = run_program(proposed.config)
    outcome = build(
        plan, okta=okta, immuta=immuta, release=release, settings=proposed_settings, secrets=secrets
    )
    return Adoption(
        stack=inputs.config.stack,
        project=inputs.config.project,
        okta=okta,
        immuta=immuta,
        release=release,
        kube=connections.kube,
        kube_reads=kube_reads,
        uses=uses,
        proposals=proposals,
        outcome=outcome,
        plan=plan,
        secrets=sorted({s for s in secrets if len(s) >= 4}),
    )
