"""A local stand-in of the Kubernetes API endpoints `make adopt` reads: Secrets, as Helm 3 stores
its release records in them.

Endpoints (GET only; `Authorization: Bearer <token>`):
  /version
  /api/v1/namespaces/{ns}/secrets          a SecretList; `labelSelector` with `k=v`, `k==v`,
                                           `k!=v`, comma-separated (equality-based selectors)
  /api/v1/namespaces/{ns}/secrets/{name}   one Secret
Any other verb is 405, a missing or wrong token 401, `forbid(namespace)` 403 (RBAC), all as
`Status` objects like the API server's. Every request is recorded as (method, path, query,
status); headers, and so the token, never are.

Helm 3's storage (helm.sh/helm/v3/pkg/storage/driver/secrets.go, util.go, and storage.go's
makeKey): one Secret per revision, named `sh.helm.release.v1.<name>.v<revision>`, type
`helm.sh/release.v1`, labels `owner=helm`, `name`, `status`, `version`; its data key `release`
holds base64(gzip(JSON of the release)), and the API base64-encodes Secret data once more.

    kube = KubernetesEmulator().start()
    kube.add_helm_release(name="immuta", namespace="immuta", revision=3, values={...})
    kube.write_kubeconfig(tmp_path / "kubeconfig")       # points a client at it
    kube.stop()
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from rehearsal._http import Query, Served, answer_json

JSON = dict[str, Any]
HELM_SECRET_TYPE = "helm.sh/release.v1"
HELM_KEY_PREFIX = "sh.helm.release.v1"


def helm_release_record(
    *,
    name: str,
    namespace: str,
    revision: int,
    values: Mapping[str, Any],
    status: str = "deployed",
    chart: str = "immuta",
    chart_version: str = "4.13.5",
    app_version: str = "2024.2.3",
) -> JSON:
    """The release as Helm 3 marshals it (pkg/release/release.go): the fields adopt reads."""
    return {
        "name": name,
        "namespace": namespace,
        "version": revision,
        "info": {
            "first_deployed": "2024-03-01T10:00:00Z",
            "last_deployed": "2024-06-01T10:00:00Z",
            "status": status,
            "description": "Upgrade complete" if revision > 1 else "Install complete",
        },
        "chart": {
            "metadata": {"name": chart, "version": chart_version, "appVersion": app_version},
            "values": {"queryEngine": {"clientPgHBARules": []}},  # the chart's defaults
        },
        "config": copy.deepcopy(dict(values)),  # the user-supplied values
        "manifest": "---\n# Source: immuta/templates/query-engine.yaml\n",
    }


def encode_helm_release(record: Mapping[str, Any]) -> str:
    """Helm's encodeRelease: base64(gzip(JSON))."""
    return base64.b64encode(gzip.compress(json.dumps(record).encode())).decode()


def helm_release_secret(record: Mapping[str, Any]) -> JSON:
    """The Secret Helm 3 writes for `record`, as the API returns it (data base64 once more)."""
    name, revision = str(record["name"]), int(record["version"])
    status = str(record["info"]["status"])
    helm_data = encode_helm_release(record).encode()
    return {
        "kind": "Secret",
        "apiVersion": "v1",
        "metadata": {
            "name": f"{HELM_KEY_PREFIX}.{name}.v{revision}",
            "namespace": str(record["namespace"]),
            "labels": {
                "name": name,
                "owner": "helm",
                "status": status,
                "version": str(revision),
                "modifiedAt": "1717236000",
            },
        },
        "type": HELM_SECRET_TYPE,
        "data": {"release": base64.b64encode(helm_data).decode()},
    }


def _status(code: int, reason: str, message: str) -> JSON:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def _selector(text: str) -> list[tuple[str, str, bool]] | None:
    """Equality-based label selector terms (key, value, equal), or None when malformed."""
    terms: list[tuple[str, str, bool]] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        m = re.fullmatch(r"([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)", part)
        if m is None:
            return None
        terms.append((m[1], m[3], m[2] != "!="))
    return terms


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: Mapping[str, tuple[str, ...]]
    status: int


@dataclass
class KubernetesEmulator(Served):
    token: str = field(default_factory=lambda: "emu-kube-" + secrets.token_hex(12))
    cert: Path | None = None  # TLS certificate and key; None serves plain HTTP
    key: Path | None = None
    secrets: dict[tuple[str, str], JSON] = field(default_factory=dict)  # (namespace, name)
    requests: list[Recorded] = field(default_factory=list)
    _forbidden: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None

    # --- control ------------------------------------------------------------------------

    def reset(self) -> KubernetesEmulator:
        """No secrets, no faults, no recorded requests."""
        with self._lock:
            self.secrets.clear()
            self.requests.clear()
            self._forbidden.clear()
        return self

    def add_secret(self, secret: Mapping[str, Any]) -> None:
        meta = secret["metadata"]
        with self._lock:
            self.secrets[(str(meta["namespace"]), str(meta["name"]))] = copy.deepcopy(dict(secret))

    def add_helm_release(self, **record: Any) -> JSON:
        """Store the release record Helm would write (see helm_release_record); returns it."""
        release = helm_release_record(**record)
        self.add_secret(helm_release_secret(release))
        return release

    def forbid(self, namespace: str) -> None:
        """Answer 403 (RBAC) to every request for Secrets of `namespace`."""
        with self._lock:
            self._forbidden.add(namespace)

    def count(self, method: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if method is None or r.method == method)

    def write_kubeconfig(
        self, path: Path, *, ca: Path | None = None, token: str | None = None
    ) -> Path:
        """A kubeconfig whose current context reaches this emulator with its token."""
        cluster: JSON = {"server": self.url}
        if ca is not None:
            cluster["certificate-authority"] = str(ca)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "stand-in", "cluster": cluster}],
            "users": [{"name": "adopt", "user": {"token": self.token if token is None else token}}],
            "contexts": [{"name": "stand-in", "context": {"cluster": "stand-in", "user": "adopt"}}],
            "current-context": "stand-in",
        }
        path.write_text(yaml.safe_dump(config))
        path.chmod(0o600)
        return path

    # --- request handling ---------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        def record(path: str, query: Query, status: int) -> None:
            with self._lock:
                self.requests.append(Recorded(method, path, query, status))

        answer_json(h, method, (lambda *a: (*self._respond(*a), {})), record)

    def _respond(
        self,
        h: BaseHTTPRequestHandler,
        method: str,
        path: str,
        query: Mapping[str, tuple[str, ...]],
    ) -> tuple[int, JSON]:
        auth = h.headers.get("Authorization", "")
        if not secrets.compare_digest(auth.encode(), f"Bearer {self.token}".encode()):
            return 401, _status(401, "Unauthorized", "Unauthorized")
        if method != "GET":
            return 405, _status(405, "MethodNotAllowed", "the stand-in serves GET only")
        if path == "/version":
            return 200, {"major": "1", "minor": "30", "gitVersion": "v1.30.0-stand-in"}
        m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/secrets(?:/([^/]+))?", path)
        if m is None:
            return 404, _status(404, "NotFound", f"the server could not find {path}")
        namespace, name = m[1], m[2]
        with self._lock:
            if namespace in self._forbidden:
                what = f'secrets "{name}"' if name else "secrets"
                verb = "get" if name else "list"
                return 403, _status(
                    403,
                    "Forbidden",
                    f'{what} is forbidden: User "adopt" cannot {verb} resource "secrets" in '
                    f'API group "" in the namespace "{namespace}"',
                )
            if name is not None:
                found = self.secrets.get((namespace, name))
                if found is None:
                    return 404, _status(404, "NotFound", f'secrets "{name}" not found')
                return 200, copy.deepcopy(found)
            terms = _selector(query.get("labelSelector", ("",))[0])
            if terms is None:
                return 400, _status(400, "BadRequest", "unable to parse requirement")
            items = [
                copy.deepcopy(s)
                for (ns, _), s in sorted(self.secrets.items())
                if ns == namespace
                and all(
                    ((s["metadata"].get("labels") or {}).get(k) == v) == equal
                    for k, v, equal in terms
                )
            ]
        return 200, {
            "kind": "SecretList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "1"},
            "items": items,
        }
