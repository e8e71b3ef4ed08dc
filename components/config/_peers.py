"""The project's other stack files: what each would create where, so that two stacks sharing one
Okta org, one Immuta or one cluster never collide, and so a stack knows how many stacks share
its Okta org (components/okta/sign_on.py places the sign-on policies by that count).

A stack file's claims are read from its text values over `Pulumi.yaml`'s defaults, leniently: a
value that does not validate is that file's own problem, reported when that stack runs.

- Okta org: `okta:orgName` + `okta:baseUrl`. Two stacks of one org must differ in the bind
  group's name (Okta refuses a second group of a name, signon_model.py [NAMES]), in their
  sign-on policies' names, and in every bind login (an Okta login is unique in the org).
- Immuta: `immutaUrl` (scheme and host case-insensitive, default port and trailing `/` dropped).
  Two stacks of one Immuta must differ in `immutaIamId` (Immuta keys IAMs and the Query Engine
  role `<id>_user` by it).
- Cluster: `kubernetes:context`, `kubernetes:cluster` and `kubernetes:kubeconfig` as written.
  Only stack files that name their cluster this way can be compared (a deploy's ambient
  kubeconfig is not in the file); two of one cluster must differ in the Helm release's
  namespace or name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from components.config._problems import Problem
from components.config._rules import OKTA_DOMAIN_KEY, OKTA_ORG_KEY
from components.config._schema import PROJECT_ROOT, ProjectSchema, load_schema
from components.config.stack_file import StackFileError, list_stacks, read_stack_file

STACK_PLACEHOLDER = "{stack}"  # in an Okta object's name: the stack's name
CLUSTER_KEYS = ("kubernetes:context", "kubernetes:cluster", "kubernetes:kubeconfig")
LOGIN_KEYS = ("immutaBindLogin", "queryEngineBindLogin", "sharedBindLogin")
GROUP_KEYS = ("bindGroupName",)
POLICY_KEYS = ("bindPolicyName", "mfaPolicyName")


def stack_named(template: str, stack: str) -> str:
    """An Okta object's name with `{stack}` replaced by the stack's name (plain replacement:
    any other brace is kept as written)."""
    return template.replace(STACK_PLACEHOLDER, stack)


@dataclass(frozen=True)
class StackClaims:
    """What one stack file would create, keyed by where it would create it."""

    stack: str
    source: str  # the stack file, relative to the project
    okta_org: str | None  # "<orgName>.<baseUrl>"
    names: Mapping[str, str]  # project key -> the Okta object's name (casefolded compare)
    logins: Mapping[str, str]  # project key -> a bind login (A and, alternating, B)
    immuta: str | None  # normalised immutaUrl
    iam_id: str
    cluster: tuple[str, ...] | None  # the CLUSTER_KEYS' values, None when none is set
    release: tuple[str, str]  # (namespace, release name)


def _immuta(url: str) -> str | None:
    with contextlib.suppress(ValueError):
        parts = urlsplit(url.strip())
        if parts.hostname:
            port = parts.port
            default = {"https": 443, "http": 80}.get(parts.scheme.lower())
            netloc = parts.hostname.lower() + (f":{port}" if port and port != default else "")
            return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"
    return None


def _alternate(login: str) -> str:
    local, at, domain = login.rpartition("@")
    return f"{local}-b@{domain}" if at else f"{login}-b"


def claims_of(
    schema: ProjectSchema, stack: str, values: Mapping[str, str], source: str
) -> StackClaims:
    """The claims of a config map that already carries `Pulumi.yaml`'s defaults."""

    def get(key: str) -> str:
        return str(values.get(schema.full(key), ""))

    org = values.get(OKTA_ORG_KEY, "").strip().lower()
    domain = values.get(OKTA_DOMAIN_KEY, "okta.com").strip().lower()
    mfa = get("mfaPolicyGroups") not in ("", "[]")
    names = {key: stack_named(get(key), stack) for key in (*GROUP_KEYS, *POLICY_KEYS)}
    if not mfa:
        names.pop("mfaPolicyName")
    shared = get("bindAccountMode") == "shared"
    simple = get("queryEngineLdapMode") == "simpleBind"
    used = ["sharedBindLogin"] if shared else ["immutaBindLogin"]
    if not shared and not simple:
        used.append("queryEngineBindLogin")
    logins: dict[str, str] = {}
    for key in used:
        if login := get(key).strip():
            logins[key] = login
            if get("bindAccountRotation") == "alternating":
                logins[f"{key} (B account)"] = _alternate(login)
    cluster = tuple(str(values.get(k, "")) for k in CLUSTER_KEYS)
    return StackClaims(
        stack=stack,
        source=source,
        okta_org=f"{org}.{domain}" if org else None,
        names=names,
        logins=logins,
        immuta=_immuta(get("immutaUrl")),
        iam_id=get("immutaIamId"),
        cluster=cluster if any(cluster) else None,
        release=(get("helmNamespace"), get("helmReleaseName")),
    )


def read_peer_claims(stack: str, root: Path = PROJECT_ROOT) -> tuple[StackClaims, ...]:
    """The claims of every other stack file of the project (unreadable ones skipped: they
    report themselves when their stack runs)."""
    schema = load_schema(root)
    out = []
    for other in list_stacks(root):
        if other == stack:
            continue
        with contextlib.suppress(StackFileError):
            file = read_stack_file(other, root)
            out.append(claims_of(schema, other, schema.with_defaults(file.values), str(file.path)))
    return tuple(out)


def org_stacks(me: StackClaims, peers: Iterable[StackClaims]) -> tuple[str, ...]:
    """The stacks of my Okta org (me included), sorted."""
    same = [p.stack for p in peers if me.okta_org and p.okta_org == me.okta_org]
    return tuple(sorted({me.stack, *same}))


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def peer_problems(
    schema: ProjectSchema, me: StackClaims, peers: Sequence[StackClaims]
) -> list[Problem]:
    """One problem per key of mine that clashes with another stack file, naming that file."""
    problems: list[Problem] = []
    for peer in peers:
        if me.okta_org and peer.okta_org == me.okta_org:
            kinds = (
                (GROUP_KEYS, "Okta group", "Okta refuses a second group of one name"),
                (POLICY_KEYS, "Okta sign-on policy", "neither stack could tell whose it is"),
            )
            for keys, what, why in kinds:
                theirs = {k: v for k, v in peer.names.items() if k in keys}
                for key, name in me.names.items():
                    if key not in keys:
                        continue
                    for their_key, their_name in theirs.items():
                        if _same(name, their_name):
                            problems.append(
                                Problem(
                                    schema.full(key),
                                    f"{peer.source} also creates the {what} {name!r} (its "
                                    f"{their_key}) in the same Okta org {me.okta_org}: {why}; "
                                    f"give one of the stacks another name (the default "
                                    f"carries the stack: ...({STACK_PLACEHOLDER}))",
                                    name,
                                )
                            )
            for key, login in me.logins.items():
                for their_key, theirs_login in peer.logins.items():
                    if _same(login, theirs_login):
                        problems.append(
                            Problem(
                                schema.full(key.split(" ")[0]),
                                f"{peer.source} uses the bind login {login!r} too (its "
                                f"{their_key}) in the same Okta org {me.okta_org}: an Okta "
                                "login is one user, and each stack manages its own; give "
                                "each stack its own bind accounts",
                                login,
                            )
                        )
        if me.immuta and peer.immuta == me.immuta and me.iam_id and me.iam_id == peer.iam_id:
            problems.append(
                Problem(
                    schema.full("immutaIamId"),
                    f"{peer.source} manages the IAM {me.iam_id!r} of the same Immuta "
                    f"({me.immuta}) too: one IAM (and one Query Engine role "
                    f"{me.iam_id}_user) per stack; give each stack its own immutaIamId",
                    me.iam_id,
                )
            )
        if me.cluster and peer.cluster == me.cluster and me.release == peer.release:
            namespace, release = me.release
            problems.append(
                Problem(
                    schema.full("helmReleaseName"),
                    f"{peer.source} deploys the Helm release {release!r} in namespace "
                    f"{namespace!r} of the same cluster too: one release per stack; give each "
                    "stack its own helmReleaseName or helmNamespace",
                    release,
                )
            )
    return problems
