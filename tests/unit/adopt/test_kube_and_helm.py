"""The cluster side of adopt: the kubeconfig as kubectl reads it, a client that can only read,
and Helm 3's release record decoded from the Secrets Helm keeps it in (no helm binary)."""

from __future__ import annotations

import base64
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from adopt.helm_release import ReleaseRecordError, current_release, decode_record, values_changes
from adopt.kube import KubeClient, KubeError, load_target
from adopt.readonly import ReadOnlyTransport, WriteRefused
from rehearsal.kubernetes_emulator import (
    KubernetesEmulator,
    helm_release_record,
    helm_release_secret,
)
from rehearsal.tls import TestCA

VALUES = {"queryEngine": {"clientPgHBARules": ["hostssl immuta +okta_user 10.0.0.0/8 ldap"]}}


@pytest.fixture
def kube() -> Iterator[KubernetesEmulator]:
    emu = KubernetesEmulator().start()
    yield emu
    emu.stop()


def kubeconfig(path: Path, cluster: dict[str, Any], user: dict[str, Any]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "clusters": [{"name": "c", "cluster": cluster}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "ctx", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "ctx",
            }
        )
    )
    return path


def test_the_release_record_decodes_as_helm_encodes_it() -> None:
    record = helm_release_record(name="immuta", namespace="immuta", revision=2, values=VALUES)
    secret = helm_release_secret(record)
    assert secret["metadata"]["name"] == "sh.helm.release.v1.immuta.v2"
    assert secret["type"] == "helm.sh/release.v1"
    assert secret["metadata"]["labels"]["owner"] == "helm"
    assert decode_record(secret) == record
    # Records written before Helm compressed them are base64(JSON): still read.
    legacy = base64.b64encode(base64.b64encode(json.dumps(record).encode())).decode()
    assert decode_record({"data": {"release": legacy}}) == record
    gz = base64.b64encode(base64.b64encode(gzip.compress(b"not json"))).decode()
    with pytest.raises(ReleaseRecordError):
        decode_record({"metadata": {"name": "x"}, "data": {"release": gz}})


def test_the_latest_revision_is_the_release() -> None:
    secrets = [
        helm_release_secret(
            helm_release_record(
                name="immuta",
                namespace="immuta",
                revision=n,
                values=VALUES,
                status=s,
                chart_version=v,
            )
        )
        for n, s, v in (
            (3, "failed", "4.13.5"),
            (1, "superseded", "4.13.1"),
            (2, "deployed", "4.13.3"),
        )
    ]
    release = current_release(secrets)
    assert release is not None
    assert (release.revision, release.status, release.chart_version) == (3, "failed", "4.13.5")
    assert release.revisions == ((1, "superseded"), (2, "deployed"), (3, "failed"))
    assert release.import_id == "immuta/immuta"
    assert release.pg_hba_rules() == VALUES["queryEngine"]["clientPgHBARules"]
    assert current_release([]) is None


def test_values_changes_name_paths_never_values() -> None:
    today = {"a": {"b": 1, "secret": "hunter2"}, "queryEngine": {"clientPgHBARules": ["x"]}}
    stack = {"a": {"b": 2}, "c": True, "queryEngine": {"clientPgHBARules": ["y"]}}
    assert values_changes(today, stack, "queryEngine.clientPgHBARules") == {
        "dropped": ["a.secret"],
        "changed": ["a.b"],
        "added": ["c"],
    }


def test_a_kubeconfig_with_a_token_reads_the_release_over_tls(tmp_path: Path, ca: TestCA) -> None:
    cert, key = ca.server_cert("kube-stand-in")
    emu = KubernetesEmulator(cert=cert, key=key).start()
    try:
        emu.add_helm_release(name="immuta", namespace="immuta", revision=1, values=VALUES)
        target = load_target(str(emu.write_kubeconfig(tmp_path / "kc", ca=ca.cert)))
        assert target.server.startswith("https://")
        with KubeClient(target, timeout=5) as client:
            found = client.helm_release_secrets("immuta", "immuta")
        assert [s["metadata"]["name"] for s in found] == ["sh.helm.release.v1.immuta.v1"]
        assert [(r.method, r.query["labelSelector"]) for r in emu.requests] == [
            ("GET", ("owner=helm,name=immuta",))
        ]
    finally:
        emu.stop()


def test_credentials_from_files_data_and_exec_plugins(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("file-token-1234\n")
    server = {
        "server": "https://k8s.example:6443",
        "certificate-authority-data": base64.b64encode(b"PEM").decode(),
    }
    t = load_target(str(kubeconfig(tmp_path / "a", server, {"tokenFile": str(token_file)})))
    assert (t.token, t.ca_pem, t.context) == ("file-token-1234", "PEM", "ctx")
    data = {
        "client-certificate-data": base64.b64encode(b"CERT").decode(),
        "client-key-data": base64.b64encode(b"KEY").decode(),
    }
    t = load_target(str(kubeconfig(tmp_path / "b", server, data)))
    assert (t.cert_pem, t.key_pem, t.token) == ("CERT", "KEY", None)
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import json, os\n"
        "info = json.loads(os.environ['KUBERNETES_EXEC_INFO'])\n"
        "print(json.dumps({'apiVersion': info['apiVersion'], 'kind': 'ExecCredential',"
        " 'status': {'token': 'exec-token-' + os.environ['EXTRA']}}))\n"
    )
    spec = {
        "exec": {
            "apiVersion": "client.authentication.k8s.io/v1",
            "command": sys.executable,
            "args": [str(plugin)],
            "env": [{"name": "EXTRA", "value": "5678"}],
        }
    }
    t = load_target(str(kubeconfig(tmp_path / "c", server, spec)))
    assert t.token == "exec-token-5678"
    assert "exec-token" not in repr(t)


@pytest.mark.parametrize(
    ("cluster", "user", "message"),
    [
        ({"server": "https://k", "insecure-skip-tls-verify": True}, {"token": "t"}, "skips TLS"),
        ({"server": "http://k8s.example"}, {"token": "t"}, "must be https://"),
        ({"server": "https://k"}, {"auth-provider": {"name": "gcp"}}, "no token"),
    ],
)
def test_kubeconfigs_adopt_cannot_use_are_refused(
    tmp_path: Path, cluster: dict[str, Any], user: dict[str, Any], message: str
) -> None:
    with pytest.raises(KubeError, match=message):
        load_target(str(kubeconfig(tmp_path / "kc", cluster, user)))


def test_a_missing_kubeconfig_says_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(KubeError, match="set KUBECONFIG or --kubeconfig"):
        load_target(str(tmp_path / "nowhere"))


def test_errors_say_what_to_do_and_hold_no_token(kube: KubernetesEmulator, tmp_path: Path) -> None:
    wrong = load_target(str(kube.write_kubeconfig(tmp_path / "kc", token="wrong-token-9999")))
    with KubeClient(wrong, timeout=5) as client, pytest.raises(KubeError) as refused:
        client.helm_release_secrets("immuta", "immuta")
    assert "HTTP 401" in str(refused.value)
    assert "wrong-token-9999" not in str(refused.value)


def test_nothing_but_reads_leaves_the_process(kube: KubernetesEmulator, tmp_path: Path) -> None:
    target = load_target(str(kube.write_kubeconfig(tmp_path / "kc")))
    with KubeClient(target, timeout=5) as client:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            with pytest.raises(WriteRefused):
                client._http.request(method, "/api/v1/namespaces/immuta/secrets/x")
        client.get("/version")
    assert [r.method for r in kube.requests] == ["GET"]
    guard = ReadOnlyTransport(httpx.MockTransport(lambda _: httpx.Response(200)), post_paths={"/a"})
    with httpx.Client(transport=guard, base_url="http://x") as http:
        http.post("/a")
        with pytest.raises(WriteRefused):
            http.post("/b")
    assert guard.sent == {("POST", "/a"): 1}


def test_the_stand_in_refuses_writes_itself(kube: KubernetesEmulator) -> None:
    headers = {"Authorization": f"Bearer {kube.token}"}
    assert (
        httpx.delete(f"{kube.url}/api/v1/namespaces/a/secrets/b", headers=headers).status_code
        == 405
    )
    listing = httpx.get(
        f"{kube.url}/api/v1/namespaces/a/secrets",
        params={"labelSelector": "owner=helm,name!=x"},
        headers=headers,
    )
    assert listing.json()["kind"] == "SecretList"
    assert httpx.get(f"{kube.url}/version").status_code == 401
