"""What every mapping step shares: the program's registrations, the outcome so far, and how a
mock reference (`<id of NAME>`) becomes the real object's id or names the object to create."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from adopt.model import ROOT_STACK, ImportEntry, Outcome, provider_version
from adopt.okta_read import OktaFacts
from components.config import claims_of, project_schema
from rehearsal.mock_engine import PlanResult, Registration, is_secret_wrapper

EVERYONE_STAND_IN = "<id of the org's Everyone group>"  # rehearsal.mock_engine's invoke result


def mock_id(reg: Registration) -> str:
    """The id the mock engine gives a resource (rehearsal.mock_engine: `<id of NAME>`)."""
    return f"<id of {reg.name}>"


def plain(value: Any) -> Any:
    """A registration input without secret wrappers; whole numbers as int (mocks send floats)."""
    if is_secret_wrapper(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def subject(reg: Registration) -> str:
    return f"{reg.type} {reg.name}"


@dataclass
class Ctx:
    plan: PlanResult
    okta: OktaFacts
    out: Outcome = field(default_factory=Outcome)

    def __post_init__(self) -> None:
        self.by_mock = {mock_id(r): r for r in self.plan.resources}
        self.by_urn = {r.urn: r for r in self.plan.resources}
        cfg = self.plan.stack
        me = claims_of(project_schema(), cfg.stack, cfg.values, cfg.source)
        self.owners = {  # Okta object name (casefolded) -> the other stack of this org
            name.casefold(): f"stack {peer.stack} ({peer.source})"
            for peer in cfg.peers
            if me.okta_org and peer.okta_org == me.okta_org
            for name in peer.names.values()
        }

    def owner(self, name: str) -> str | None:
        """Which other stack file of this Okta org creates an object of this name, if any."""
        return self.owners.get(name.casefold())

    def of_type(self, type_: str) -> list[Registration]:
        return sorted(self.plan.of_type(type_), key=lambda r: r.name)

    def parent_name(self, reg: Registration) -> str | None:
        parent = self.by_urn.get(reg.parent_urn)
        return None if parent is None or parent.type == ROOT_STACK else parent.name

    def adopt(
        self, reg: Registration, import_id: str, real_id: str, text: str, detail: Iterable[str] = ()
    ) -> None:
        self.out.entries.append(
            ImportEntry(
                type=reg.type,
                name=reg.name,
                id=import_id,
                parent=self.parent_name(reg),
                version=provider_version(reg.type),
            )
        )
        self.out.real_ids[reg.urn] = real_id
        self.out.add("adopt", subject(reg), text, detail)

    def real(self, reg: Registration) -> str | None:
        return self.out.real_ids.get(reg.urn)

    def referenced(self, value: Any) -> Registration | None:
        return self.by_mock.get(value) if isinstance(value, str) else None

    def resolve(self, value: Any) -> str:
        """A reference as the org will know it: a real id, `(new NAME)`, or the value."""
        if value == EVERYONE_STAND_IN:
            return self.okta.everyone_id or "Everyone"
        reg = self.referenced(value)
        if reg is None:
            return str(value)
        return self.real(reg) or f"(new {reg.name})"

    def name_of(self, ident: str) -> str:
        """An Okta id with the name the reads showed for it."""
        if ident.startswith("(new "):
            return ident
        logins = {u.id: u.login for u in self.okta.users().values()}
        for groups in self.okta.groups_named.values():
            logins.update({uid: login for g in groups for uid, login in g.members})
        if ident in logins:
            return f"{logins[ident]} ({ident})"
        name = self.okta.group_names.get(ident)
        return f'"{name}" ({ident})' if name else ident

    def names(self, idents: Iterable[str]) -> str:
        shown = [self.name_of(i) for i in sorted(idents)]
        return ", ".join(shown) if shown else "(none)"
