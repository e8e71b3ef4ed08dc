"""Drive a dynamic provider through its real gRPC server, as the Pulumi engine would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc
from pulumi.runtime.sync_await import _sync_await

from components.config import project_schema
from components.immuta.provider import ImmutaIamProvider
from rehearsal._watchdog import guard_process

ROOT = Path(__file__).resolve().parents[1]
URN = "urn:pulumi:test::okta-ldap-immuta::pulumi-python:dynamic:Resource::immuta-ldap-iam"
PROVIDER = serialize_provider(ImmutaIamProvider())


def to_struct(props: dict[str, Any]) -> struct_pb2.Struct:
    return _sync_await(rpc.serialize_properties(props, {}))


def from_struct(struct: struct_pb2.Struct) -> dict[str, Any]:
    return dict(rpc.deserialize_properties(struct, keep_unknowns=True))


@dataclass
class ProviderServer:
    """`python -u -m pulumi.dynamic` with the project as working directory."""

    log_path: Path
    config: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    stub: provider_pb2_grpc.ResourceProviderStub | None = None
    channel: grpc.Channel | None = None
    seen: list[str] = field(default_factory=list)  # outputs, diffs and errors, for leak checks
    _log: IO[bytes] | None = None

    def start(self) -> ProviderServer:
        self._log = self.log_path.open("wb")
        env = {**os.environ, "PULUMI_PROJECT": project_schema().name, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._log,
        )  # fmt: skip
        guard_process(self.proc.pid)  # stopped even when this process is killed
        assert self.proc.stdout is not None
        port = int(self.proc.stdout.readline().decode().strip())
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.stub.Configure(provider_pb2.ConfigureRequest(args=to_struct(self.config)))
        return self

    def stop(self) -> None:
        if self.channel is not None:
            self.channel.close()
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
        if self._log is not None:
            self._log.close()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _call(self, method: str, request: Any) -> Any:
        assert self.stub is not None
        try:
            response = getattr(self.stub, method)(request)
        except grpc.RpcError as exc:
            self.seen.append(str(exc.details()))
            raise
        # Check echoes its inputs by protocol (the engine keeps them secret); record the rest.
        self.seen.append(str(response.failures) if method == "Check" else str(response))
        return response

    @staticmethod
    def _props(props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "__provider": PROVIDER}

    def check(
        self, olds: dict[str, Any], news: dict[str, Any]
    ) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        r = self._call(
            "Check",
            provider_pb2.CheckRequest(
                urn=URN, olds=to_struct(self._props(olds)), news=to_struct(self._props(news))
            ),
        )
        return from_struct(r.inputs), [(f.property, f.reason) for f in r.failures]

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return self._call(
            "Diff",
            provider_pb2.DiffRequest(
                id=id_,
                urn=URN,
                olds=to_struct(self._props(olds)),
                news=to_struct(self._props(news)),
            ),
        )

    def create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        r = self._call(
            "Create", provider_pb2.CreateRequest(urn=URN, properties=to_struct(self._props(props)))
        )
        return r.id, from_struct(r.properties)

    def read(self, id_: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        r = self._call(
            "Read",
            provider_pb2.ReadRequest(id=id_, urn=URN, properties=to_struct(self._props(props))),
        )
        return r.id, from_struct(r.properties)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        r = self._call(
            "Update",
            provider_pb2.UpdateRequest(
                id=id_,
                urn=URN,
                olds=to_struct(self._props(olds)),
                news=to_struct(self._props(news)),
            ),
        )
        return from_struct(r.properties)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self._call(
            "Delete",
            provider_pb2.DeleteRequest(id=id_, urn=URN, properties=to_struct(self._props(props))),
        )
