"""Every resource the program registers under mocks, mapped to what exists (or to be created).

The program's registrations are the source of truth: type, logical name and parent come from
them, so the import file lines up with the URNs the first `up` registers. Okta objects are in
okta_map.py; here the Immuta IAM (a Python dynamic resource: adopted with immutaIamAdopt,
never listed in the import file), the Helm release (import id `<namespace>/<name>`,
pulumi-kubernetes' Release docs), generated passwords, and the components that parent
anything imported.
"""

from __future__ import annotations

from collections.abc import Sequence

from adopt import okta_map
from adopt.context import Ctx, plain, subject
from adopt.hba_compare import compare
from adopt.helm_release import PENDING, HelmRelease, values_changes
from adopt.immuta_read import ImmutaFacts, key_paths
from adopt.model import ImportEntry, Outcome, shown
from adopt.okta_account_policies import map_account_policies
from adopt.okta_read import OktaFacts
from adopt.proposals import our_lines
from components.config import Settings
from components.immuta.iam_document import FIELDS, iam_entry, outputs_of, query_engine_role
from rehearsal.mock_engine import PlanResult

IAM = "pulumi-python:dynamic:Resource"
RELEASE = "kubernetes:helm.sh/v3:Release"
HBA_PATH = "queryEngine.clientPgHBARules"


def map_iam(ctx: Ctx, immuta: ImmutaFacts) -> None:
    for reg in ctx.of_type(IAM):
        want = plain(reg.inputs)
        iam_id = str(want.get("iamId"))
        if not immuta.exists or immuta.listed is None:
            ctx.out.add("create", subject(reg), f"Immuta LDAP IAM '{iam_id}'")
            continue
        if immuta.listed.get("type") != "ldap" or immuta.entry is None:
            continue  # proposals.py reports the decision
        name = immuta.listed.get("displayName")
        ctx.out.add(
            "adopt-config",
            subject(reg),
            f"Immuta IAM '{iam_id}'" + (f" ('{name}')" if name else "") + ": "
            "immutaIamAdopt: true (Python dynamic resources cannot be imported)",
        )
        now = outputs_of(immuta.entry, None)
        lines = [
            f"{f}: {shown(now.get(f))} -> {shown(want.get(f))}"
            for f in FIELDS
            if f != "iamId" and plain(now.get(f)) != want.get(f)
        ]
        lines.append(
            "bind password: set to the stack's"
            + ("" if immuta.has_password else " (none is stored today)")
        )
        sample = iam_entry({**want, "bindPassword": "x"})
        dropped = sorted(key_paths(immuta.entry) - key_paths(sample) - {"credentials"})
        if dropped:
            lines.append(
                "stored today but not written by the stack (gone after the first up): "
                + ", ".join(dropped)
            )
        if want.get("testBeforeSave"):
            lines.append(
                "tested first with Immuta's dry-run sync; a wrong bind DN or password "
                "fails the up before Immuta saves anything"
            )
        ctx.out.add("change", subject(reg), f"Immuta IAM '{iam_id}'", lines)


def map_release(
    ctx: Ctx, release: HelmRelease | None, settings: Settings, secrets: Sequence[str]
) -> None:
    for reg in ctx.of_type(RELEASE):
        want = plain(reg.inputs)
        where = f"{want.get('namespace')}/{want.get('name')}"
        if release is None:
            ctx.out.add(
                "create",
                subject(reg),
                f"Helm release {where} (chart {want.get('chart')} "
                f"{want.get('version')}); if Immuta runs under another release name, set "
                "helmReleaseName / helmNamespace and run adopt again",
            )
            continue
        seen = (
            f"Helm release {release.import_id}: chart {release.chart} "
            f"{release.chart_version}, revision {release.revision}, {release.status}"
        )
        if release.status in (*PENDING, "uninstalled") or release.chart != want.get("chart"):
            why = (
                f"its chart is '{release.chart}', not '{want.get('chart')}'"
                if release.chart != want.get("chart")
                else f"it is {release.status}: Helm refuses another upgrade until that is "
                "resolved (`helm history`, `helm rollback`)"
            )
            ctx.out.add("decide", subject(reg), f"{seen}: {why}; run adopt again after")
            continue
        ctx.adopt(reg, release.import_id, release.import_id, seen)
        lines = []
        if release.status == "failed":
            lines.append(
                "its last revision failed: the first up upgrades it (atomic, rolled "
                "back if the upgrade fails)"
            )
        if release.chart_version != want.get("version"):
            lines.append(f"chart version: {release.chart_version} -> {want.get('version')}")
        changed = values_changes(release.values, want.get("values") or {}, HBA_PATH)
        labels = {
            "dropped": "values set today that the stack does not set (dropped; add them to "
            "helmValues, credentials to helmSecretValues)",
            "changed": "values the stack sets differently",
            "added": "values the stack adds",
        }
        lines += [f"{labels[k]}: {', '.join(v)}" for k, v in changed.items() if v]
        if lines:
            ctx.out.add("change", subject(reg), f"Helm release {release.import_id}", lines)
        _pg_hba(ctx, reg.type + " " + reg.name, release, want, settings, secrets)


def _pg_hba(
    ctx: Ctx,
    about: str,
    release: HelmRelease,
    want: dict[str, object],
    settings: Settings,
    secrets: Sequence[str],
) -> None:
    values = want.get("values")
    rendered = list(values["queryEngine"]["clientPgHBARules"]) if isinstance(values, dict) else []
    ours_after = rendered[: len(settings.query_engine.client_cidrs)]
    today = release.pg_hba_rules() or []
    ours, _ = our_lines(today, query_engine_role(settings.iam_id))
    if not ours:
        listed = (
            f"{len(today)} line(s), none an LDAP rule for +{query_engine_role(settings.iam_id)}"
        )
        ctx.out.add("change", about, f"clientPgHBARules: {listed}; the stack's rules are added")
        return
    cmp = compare(ours[0], ours_after, secrets)
    detail = [f"today:    {cmp.today}"]
    detail += [f"after up: {line}" for line in cmp.after]
    detail += [f"|{a}|{b}|{c}|{d}" for a, b, c, d in cmp.rows]  # a table, laid out by the report
    if len(ours) > 1:
        detail.append(
            f"|other LDAP lines for this role|{len(ours) - 1} more|replaced|the stack "
            "writes one rule per client network"
        )
    ctx.out.add(
        "change", about, "the hand-written pg_hba line is replaced by the rendered one", detail
    )


def _components(ctx: Ctx) -> None:
    """Components that parent an imported resource, declared `component: true`."""
    needed: set[str] = set()
    for entry in list(ctx.out.entries):
        parent = entry.parent
        while parent is not None and parent not in needed:
            needed.add(parent)
            reg = next(r for r in ctx.plan.resources if r.name == parent and not r.custom)
            parent = ctx.parent_name(reg)
    for reg in ctx.plan.resources:
        if not reg.custom and reg.name in needed:
            ctx.out.entries.append(
                ImportEntry(
                    type=reg.type, name=reg.name, parent=ctx.parent_name(reg), component=True
                )
            )


def build(
    plan: PlanResult,
    *,
    okta: OktaFacts,
    immuta: ImmutaFacts,
    release: HelmRelease | None,
    settings: Settings,
    secrets: Sequence[str] = (),
) -> Outcome:
    ctx = Ctx(plan=plan, okta=okta)
    okta_map.map_users(ctx)
    okta_map.map_roles(ctx)
    okta_map.map_groups(ctx)
    okta_map.map_policies(ctx)
    map_account_policies(ctx)
    map_iam(ctx, immuta)
    map_release(ctx, release, settings, secrets)
    for reg in ctx.of_type(okta_map.PASSWORD):
        ctx.out.add("create", subject(reg), "generated at the first up (local; no remote object)")
    _components(ctx)
    return ctx.out
