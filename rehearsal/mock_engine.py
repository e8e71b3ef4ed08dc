"""Run the Pulumi program under the mock engine and record every registration."""

from __future__ import annotations

import asyncio
import contextlib
import runpy
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import Stack, run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from rehearsal.stack_config import PROJECT_ROOT, StackConfig

SECRET_SIG = (rpc._special_sig_key, rpc._special_secret_sig)


def is_secret_wrapper(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG[0]) == SECRET_SIG[1]


def unwrap_secrets(value: Any) -> Any:
    """Plain values, as `pulumi stack output --show-secrets` and Python policies see them."""
    if is_secret_wrapper(value):
        return unwrap_secrets(value["value"])
    if isinstance(value, dict):
        return {k: unwrap_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_secrets(v) for v in value]
    return value


def secret(value: Any) -> dict[str, Any]:
    """`value` wrapped as the engine marks a secret."""
    return {SECRET_SIG[0]: SECRET_SIG[1], "value": value}


@dataclass
class Registration:
    """One resource the program declared: what, under which parent, with which inputs."""

    type: str
    name: str
    urn: str
    parent_urn: str
    custom: bool
    inputs: dict[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)  # input -> URNs


@dataclass
class PlanResult:
    stack: StackConfig
    resources: list[Registration]
    outputs: dict[str, Any]  # secret outputs wrapped like secret inputs
    invokes: list[tuple[str, dict[str, Any]]]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.resources if r.type == type_]

    def only(self, type_: str) -> Registration:
        """The one registration of `type_` (fails when there are none or several)."""
        (found,) = self.of_type(type_)
        return found


HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def helm_rules(plan: PlanResult) -> list[str]:
    """queryEngine.clientPgHBARules of the Immuta Helm release (its values are secret)."""
    values = plan.only(HELM_RELEASE).inputs["values"]
    return list(values["value"]["queryEngine"]["clientPgHBARules"])


# Outputs that a real provider computes; the mock returns a readable stand-in.
COMPUTED_OUTPUTS: dict[str, dict[str, Any]] = {
    "random:index/randomPassword:RandomPassword": {"result": secret("<generated at apply>")},
}
# Applies a resource locally instead: (type, name, inputs) -> the outputs a provider would
# compute, or None for the stand-ins above (e.g. `make sandbox` generates real passwords).
Compute = Callable[[str, str, dict[str, Any]], dict[str, Any] | None]
INVOKE_RESULTS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "okta:group/getEveryoneGroup:getEveryoneGroup": lambda _: {
        "id": "<id of the org's Everyone group>",
        "name": "Everyone",
    },
}


class _RecordingMocks(pulumi.runtime.Mocks):
    def __init__(
        self, invokes: list[tuple[str, dict[str, Any]]], compute: Compute | None = None
    ) -> None:
        self.invokes = invokes
        self.compute = compute

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        own = self.compute(args.typ, args.name, dict(args.inputs)) if self.compute else None
        state.update(COMPUTED_OUTPUTS.get(args.typ, {}) if own is None else own)
        return f"<id of {args.name}>", state

    def call(
        self, args: pulumi.runtime.MockCallArgs
    ) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        self.invokes.append((args.token, dict(args.args)))
        if args.token not in INVOKE_RESULTS:
            raise NotImplementedError(f"offline plan has no stand-in for invoke {args.token}")
        return INVOKE_RESULTS[args.token](args.args), []


def _with_closed_thread_loop(call: Callable[[], Any]) -> Any:
    """Run a monitor call; off the main thread, in an event loop closed afterwards.

    The SDK calls the monitor from executor threads and leaves a new event loop in each;
    unclosed, those loops fail noisily when the interpreter exits.
    """
    if threading.current_thread() is threading.main_thread():
        return call()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return call()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self, mocks_: pulumi.runtime.Mocks, resources: list[Registration]) -> None:
        super().__init__(mocks_)
        self.recorded = resources

    def Invoke(self, request: Any) -> Any:
        return _with_closed_thread_loop(
            lambda: super(_RecordingMonitor, self).Invoke(request)  # type: ignore[no-untyped-call]
        )

    def RegisterResource(self, request: Any) -> Any:
        response = _with_closed_thread_loop(
            lambda: super(_RecordingMonitor, self).RegisterResource(request)  # type: ignore[no-untyped-call]
        )
        if request.type != "pulumi:pulumi:Stack":
            options = {
                "protect": request.protect,
                "deleteBeforeReplace": request.deleteBeforeReplace,
                "additionalSecretOutputs": sorted(request.additionalSecretOutputs),
                "ignoreChanges": sorted(request.ignoreChanges),
                "replaceOnChanges": sorted(request.replaceOnChanges),
                "dependsOn": sorted(request.dependencies),
            }
            self.recorded.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=response.urn,
                    parent_urn=request.parent,
                    custom=request.custom,
                    inputs=rpc.deserialize_properties(request.object),
                    options={k: v for k, v in options.items() if v},
                    property_dependencies={
                        k: sorted(v.urns) for k, v in request.propertyDependencies.items()
                    },
                )
            )
        return response


def _resolve(value: Any) -> Any:
    output = pulumi.Output.from_input(value)
    resolved = _sync_await(output.future())
    if _sync_await(output.is_secret()):
        return {SECRET_SIG[0]: SECRET_SIG[1], "value": resolved}
    return resolved


def run_program(
    stack: StackConfig, program: Path = PROJECT_ROOT / "__main__.py", compute: Compute | None = None
) -> PlanResult:
    """Run `program` as `pulumi up` would run it, against mocks, and return what it declared;
    `compute` gives the outputs of resources it applies locally."""
    resources: list[Registration] = []
    invokes: list[tuple[str, dict[str, Any]]] = []
    recording = _RecordingMocks(invokes, compute)
    monitor = _RecordingMonitor(recording, resources)
    pulumi.runtime.set_all_config(dict(stack.values), list(stack.secret_keys))
    pulumi.runtime.set_mocks(
        recording, project=stack.project, stack=stack.stack, preview=False, monitor=monitor
    )
    settings.SETTINGS.rpc_manager.clear()
    settings.SETTINGS.outputs.clear()

    def run() -> None:
        # As the CLI does: the program runs in the project's folder and reads the other stack
        # files there (components/config/_runtime.py). A config made by hand (no stack file)
        # runs as the only stack of a project of its own.
        with contextlib.ExitStack() as stack_dir:
            root = stack.root
            if root is None:
                root = Path(stack_dir.enter_context(tempfile.TemporaryDirectory()))
                shutil.copy(PROJECT_ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
            stack_dir.enter_context(contextlib.chdir(root))
            runpy.run_path(str(program), run_name="__main__")

    _sync_await(run_pulumi_func(run))
    root = settings.get_root_resource()
    stack_outputs = root.outputs if isinstance(root, Stack) else {}
    outputs = {k: _resolve(v) for k, v in stack_outputs.items()}
    return PlanResult(stack=stack, resources=resources, outputs=outputs, invokes=invokes)
