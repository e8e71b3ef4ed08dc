"""Helm 3's release record, read from the Secrets Helm keeps it in (no helm binary).

helm.sh/helm/v3/pkg/storage/driver: one Secret per revision, `sh.helm.release.v1.<name>.v<n>`,
labels owner=helm, name, status, version; `data.release` is base64(gzip(JSON)) (encodeRelease;
records older than compression are base64(JSON), told apart by gzip's magic bytes, as
decodeRelease does), and the Kubernetes API base64-encodes Secret data once more. The record's
`config` holds the user-supplied values (what `helm get values` shows), `chart.metadata` the
chart, `info.status` the state.

The values hold credentials (the bind password in `clientPgHBARules`, others in the chart's
values): nothing here is ever printed; callers show paths and redacted pg_hba lines only.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

GZIP_MAGIC = b"\x1f\x8b\x08"
# Statuses in which Helm refuses another upgrade until the operation is resolved.
PENDING = ("pending-install", "pending-upgrade", "pending-rollback", "uninstalling")


class ReleaseRecordError(ValueError):
    """A Secret that should hold a Helm release record does not decode as one."""


@dataclass(frozen=True)
class HelmRelease:
    name: str
    namespace: str
    revision: int
    status: str
    chart: str
    chart_version: str
    app_version: str
    values: Mapping[str, Any] = field(repr=False)  # user-supplied values: secret as a whole
    revisions: tuple[tuple[int, str], ...] = ()  # every (revision, status) recorded

    @property
    def import_id(self) -> str:
        """pulumi-kubernetes' import id of a Helm release: `<namespace>/<name>`."""
        return f"{self.namespace}/{self.name}"

    def pg_hba_rules(self) -> list[str] | None:
        """queryEngine.clientPgHBARules as deployed, or None when the values have none."""
        query_engine = self.values.get("queryEngine")
        rules = query_engine.get("clientPgHBARules") if isinstance(query_engine, Mapping) else None
        if not isinstance(rules, list):
            return None
        return [str(r) for r in rules]


def decode_record(secret: Mapping[str, Any]) -> dict[str, Any]:
    """The release JSON of one Helm release Secret as the Kubernetes API returns it."""
    name = str((secret.get("metadata") or {}).get("name", "?"))
    try:
        helm_text = base64.b64decode(str((secret.get("data") or {})["release"]), validate=True)
        raw = base64.b64decode(helm_text, validate=True)
        if raw[:3] == GZIP_MAGIC:
            raw = gzip.decompress(raw)
        record = json.loads(raw)
    except (KeyError, binascii.Error, OSError, EOFError, ValueError):
        raise ReleaseRecordError(f'secret "{name}" does not hold a Helm 3 release record') from None
    if not isinstance(record, dict):
        raise ReleaseRecordError(f'secret "{name}" does not hold a Helm 3 release record')
    return record


def current_release(secrets: Sequence[Mapping[str, Any]]) -> HelmRelease | None:
    """The latest revision of the release (Helm's `history` order), or None when none exists."""
    records = [decode_record(s) for s in secrets]
    if not records:
        return None
    records.sort(key=lambda r: int(r.get("version", 0)))
    latest = records[-1]
    meta = (latest.get("chart") or {}).get("metadata") or {}
    values = latest.get("config")
    return HelmRelease(
        name=str(latest.get("name", "")),
        namespace=str(latest.get("namespace", "")),
        revision=int(latest.get("version", 0)),
        status=str((latest.get("info") or {}).get("status", "unknown")),
        chart=str(meta.get("name", "")),
        chart_version=str(meta.get("version", "")),
        app_version=str(meta.get("appVersion", "")),
        values=values if isinstance(values, dict) else {},
        revisions=tuple(
            (int(r.get("version", 0)), str((r.get("info") or {}).get("status", "unknown")))
            for r in records
        ),
    )


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted path -> leaf value of nested mappings (lists are leaves)."""
    if isinstance(value, Mapping) and value:
        out: dict[str, Any] = {}
        for key in sorted(value, key=str):
            out.update(leaves(value[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value} if prefix else {}


def values_changes(
    today: Mapping[str, Any], stack: Mapping[str, Any], skip: str
) -> dict[str, list[str]]:
    """Paths (never values) of user-supplied values the first up drops, changes or adds.

    helm.sh/helm/v3/pkg/action/upgrade.go (reuseValues): without --reuse-values, an upgrade
    that supplies values uses exactly those over the chart's defaults; the release's own
    earlier values are carried over only when none are supplied. The stack always supplies
    its values, so a value set by hand that the stack lacks is gone after the first up.
    """
    now = {k: v for k, v in leaves(today).items() if not k.startswith(skip)}
    want = {k: v for k, v in leaves(stack).items() if not k.startswith(skip)}
    return {
        "dropped": sorted(set(now) - set(want)),
        "changed": sorted(
            k for k in set(now) & set(want) if json.dumps(now[k]) != json.dumps(want[k])
        ),
        "added": sorted(set(want) - set(now)),
    }
