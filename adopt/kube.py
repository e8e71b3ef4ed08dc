"""The user's kubeconfig, and a Kubernetes API client that only reads (no kubectl, no helm).

kubeconfig (Kubernetes docs, "Organizing cluster access using kubeconfig files"): the file is
`--kubeconfig`, else the first existing file of `$KUBECONFIG` (a path list), else
`~/.kube/config`; the context is `--kube-context` or `current-context`. From its cluster:
`server`, `certificate-authority` / `certificate-authority-data`; from its user: `token` /
`tokenFile`, `client-certificate(-data)` + `client-key(-data)`, or an `exec` credential plugin
(client.authentication.k8s.io ExecCredential: its `status.token` or client certificate).
`insecure-skip-tls-verify` is refused: reading Helm's release record sends the credential and
returns the bind password. Plain http is accepted only on loopback (a local stand-in).
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import yaml

from adopt.readonly import ReadOnlyTransport
from components.secret_text import scrub

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class KubeError(Exception):
    """The cluster could not be read; says what to do and never holds a credential."""


@dataclass(frozen=True)
class KubeTarget:
    server: str
    context: str
    source: str  # the kubeconfig file
    ca_pem: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    cert_pem: str | None = field(default=None, repr=False)
    key_pem: str | None = field(default=None, repr=False)
    exec_spec: Mapping[str, Any] | None = field(default=None, repr=False)  # not yet run

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.token, self.key_pem) if s)


def kubeconfig_path(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit).expanduser()
    for item in filter(None, os.environ.get("KUBECONFIG", "").split(os.pathsep)):
        if Path(item).expanduser().exists():
            return Path(item).expanduser()
    return Path("~/.kube/config").expanduser()


def _named(items: Any, name: str, kind: str, source: Path) -> Mapping[str, Any]:
    for item in items or []:
        if isinstance(item, Mapping) and item.get("name") == name:
            body = item.get(kind)
            return body if isinstance(body, Mapping) else {}
    raise KubeError(f'{source}: no {kind} named "{name}"')


def _file_or_data(entry: Mapping[str, Any], key: str, base: Path) -> str | None:
    data = entry.get(f"{key}-data")
    if data:
        return base64.b64decode(str(data)).decode()
    path = entry.get(key)
    if path:
        p = Path(str(path)).expanduser()
        return (p if p.is_absolute() else base / p).read_text()
    return None


def _exec_credential(spec: Mapping[str, Any], source: Path) -> Mapping[str, Any]:
    """Run the user's credential plugin (as kubectl would) and return its ExecCredential status."""
    command = str(spec.get("command") or "")
    if not command:
        raise KubeError(f"{source}: the user's exec plugin names no command")
    env = dict(os.environ)
    for item in spec.get("env") or []:
        env[str(item.get("name"))] = str(item.get("value"))
    api_version = str(spec.get("apiVersion") or "client.authentication.k8s.io/v1")
    info = {"apiVersion": api_version, "kind": "ExecCredential", "spec": {"interactive": False}}
    env["KUBERNETES_EXEC_INFO"] = json.dumps(info)
    args = [command, *(str(a) for a in spec.get("args") or [])]
    try:
        done = subprocess.run(
            args, capture_output=True, text=True, env=env, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        why = (exc.strerror or "cannot run") if isinstance(exc, OSError) else "no answer in 60 s"
        raise KubeError(
            f'{source}: the exec credential plugin "{command}" failed ({why})'
        ) from None
    if done.returncode != 0:
        raise KubeError(
            f'{source}: the exec credential plugin "{command}" exited with {done.returncode}; '
            "run it yourself (kubectl get ns) to see why"
        )
    try:
        status = json.loads(done.stdout).get("status") or {}
    except (ValueError, AttributeError):
        raise KubeError(
            f"{source}: the exec credential plugin did not print ExecCredential JSON"
        ) from None
    return status if isinstance(status, Mapping) else {}


def check_kubeconfig(explicit: str | None = None, context: str | None = None) -> KubeTarget:
    """The kubeconfig's target as far as reading files takes it: no credential plugin runs and
    nothing is sent. A user with an `exec` plugin has no credential yet (load_target runs it)."""
    path = kubeconfig_path(explicit)
    try:
        config = yaml.safe_load(path.read_text())
    except IsADirectoryError:
        raise KubeError(f"{path} is a folder, not a kubeconfig; pass --kubeconfig FILE") from None
    except OSError as exc:
        none = "none of the files in KUBECONFIG exists; " if os.environ.get("KUBECONFIG") else ""
        raise KubeError(
            f"cannot read the kubeconfig {path} ({exc.strerror}); {none}set KUBECONFIG or "
            "--kubeconfig FILE"
        ) from None
    except (yaml.YAMLError, UnicodeDecodeError):
        raise KubeError(f"{path} is not a YAML kubeconfig") from None
    if not isinstance(config, Mapping):
        raise KubeError(f"{path} is not a kubeconfig (not a mapping)")
    name = context or str(config.get("current-context") or "")
    if not name:
        raise KubeError(f"{path} has no current-context; pass --kube-context")
    ctx = _named(config.get("contexts"), name, "context", path)
    cluster = _named(config.get("clusters"), str(ctx.get("cluster")), "cluster", path)
    user = _named(config.get("users"), str(ctx.get("user")), "user", path)
    server = str(cluster.get("server") or "").rstrip("/")
    parts = urlsplit(server)
    secure = parts.scheme == "https" and bool(parts.hostname)
    if not (secure or (parts.scheme == "http" and (parts.hostname or "") in LOOPBACK)):
        raise KubeError(
            f'{path}: cluster server "{server}" must be https:// (http only on loopback)'
        )
    if cluster.get("insecure-skip-tls-verify"):
        raise KubeError(
            f'{path}: context "{name}" skips TLS verification; adopt reads secrets, so it needs '
            "the cluster's CA (certificate-authority or certificate-authority-data)"
        )
    base = path.parent
    try:
        token = str(user.get("token") or "") or None
        if token is None and user.get("tokenFile"):
            token = Path(str(user["tokenFile"])).expanduser().read_text().strip()
        cert = _file_or_data(user, "client-certificate", base)
        key = _file_or_data(user, "client-key", base)
        ca = _file_or_data(cluster, "certificate-authority", base)
    except (OSError, ValueError) as exc:
        why = (exc.strerror or "unreadable") if isinstance(exc, OSError) else "not base64 PEM"
        raise KubeError(
            f'{path}: context "{name}": a credential or CA file cannot be read ({why})'
        ) from None
    plugin = token is None and cert is None and isinstance(user.get("exec"), Mapping)
    if token is None and not (cert and key) and not plugin:
        raise KubeError(
            f'{path}: user "{ctx.get("user")}" has no token, client certificate or exec plugin '
            "adopt can use (auth-provider and basic auth are not supported)"
        )
    return KubeTarget(
        server=server, context=name, source=str(path), ca_pem=ca, token=token, cert_pem=cert,
        key_pem=key, exec_spec=user["exec"] if plugin else None,
    )  # fmt: skip


def load_target(explicit: str | None = None, context: str | None = None) -> KubeTarget:
    """The kubeconfig's target with its credential (running the user's exec plugin if any)."""
    target = check_kubeconfig(explicit, context)
    if target.exec_spec is None:
        return target
    status = _exec_credential(target.exec_spec, Path(target.source))
    token = str(status.get("token") or "") or None
    cert = str(status.get("clientCertificateData") or "") or None
    key = str(status.get("clientKeyData") or "") or None
    if token is None and not (cert and key):
        raise KubeError(
            f"{target.source}: the exec credential plugin gave no token or client certificate"
        )
    return replace(target, token=token, cert_pem=cert, key_pem=key, exec_spec=None)


def _ssl_context(target: KubeTarget) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if target.ca_pem:
        context.load_verify_locations(cadata=target.ca_pem)
    if target.cert_pem and target.key_pem:
        # load_cert_chain reads files only: a private temp folder, removed right after.
        with tempfile.TemporaryDirectory(prefix="adopt-kube-") as tmp:
            cert, key = Path(tmp) / "client.crt", Path(tmp) / "client.key"
            cert.write_text(target.cert_pem)
            key.touch(mode=0o600)
            key.write_text(target.key_pem)
            context.load_cert_chain(cert, key)
    return context


class KubeClient:
    """GET requests to the API server, with the kubeconfig's credentials."""

    def __init__(
        self, target: KubeTarget, *, timeout: float, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._target = target
        inner = transport or httpx.HTTPTransport(verify=_ssl_context(target))
        self.guard = ReadOnlyTransport(inner)
        headers = {"Accept": "application/json", "User-Agent": "okta-ldap-immuta-adopt"}
        if target.token:
            headers["Authorization"] = f"Bearer {target.token}"
        self._http = httpx.Client(
            base_url=target.server,
            transport=self.guard,
            timeout=httpx.Timeout(timeout),
            headers=headers,
            follow_redirects=False,
        )

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *_: object) -> None:
        self._http.close()

    def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        what = f"GET {path}"
        try:
            response = self._http.get(path, params=params)
        except httpx.TransportError as exc:
            raise KubeError(
                scrub(
                    f"cannot reach the cluster at {self._target.server} ({type(exc).__name__}: "
                    f'{exc}); check the kubeconfig context "{self._target.context}"',
                    self._target.secrets(),
                )
            ) from None
        if response.status_code == 200:
            try:
                return response.json()
            except ValueError:
                raise KubeError(
                    f"{what}: the API server answered something that is not JSON"
                ) from None
        message = ""
        try:
            body = response.json()
            if isinstance(body, Mapping) and isinstance(body.get("message"), str):
                message = f": {body['message'][:300]}"
        except ValueError:
            pass
        hint = {
            401: "the kubeconfig's credential was refused (expired token?)",
            403: "the kubeconfig's user may not read it; adopt needs `list` on secrets in the "
            "release's namespace (Helm keeps its release records there)",
        }.get(response.status_code, "")
        detail = scrub(message, self._target.secrets())
        raise KubeError(
            f"{what}: HTTP {response.status_code}{detail}" + (f"; {hint}" if hint else "")
        )

    def helm_release_secrets(self, namespace: str, name: str) -> list[Mapping[str, Any]]:
        """Every revision Helm 3 recorded for release `name` (Secrets labelled owner=helm)."""
        path = f"/api/v1/namespaces/{quote(namespace, safe='')}/secrets"
        body = self.get(path, {"labelSelector": f"owner=helm,name={name}"})
        items = body.get("items") if isinstance(body, Mapping) else None
        return [i for i in items or [] if isinstance(i, Mapping)]
