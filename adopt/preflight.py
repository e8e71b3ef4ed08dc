"""Every input adopt needs, checked before anything is sent: the stack config, the Okta
credentials and address, the Immuta connection, the kubeconfig, the import file's folder and the
timeout. All problems are collected and reported at once (exit 2), each naming the key, option
or environment variable that supplies it and what is allowed; none shows a secret value."""

from __future__ import annotations

import argparse
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from adopt.inputs import IMMUTA_KEY_ENV, InputError, StackInputs, load_inputs
from adopt.kube import KubeError, KubeTarget, check_kubeconfig
from components.config import Problem, project_schema
from components.immuta.connection import (
    API_KEY_KEY,
    URL_KEY,
    ImmutaConnection,
    connection_from_config,
)
from components.okta.api_connection import (
    OAUTH_ENV,
    SET_TOKEN_HINT,
    TOKEN_ENV,
    OktaConnection,
    okta_api_url,
    okta_connection_from_config,
)
from components.okta.errors import OktaConfigError
from components.secret_text import MIN_SECRET_LENGTH


@dataclass
class Checked:
    """What the inputs give; `problems` lists every one that is missing or unusable."""

    inputs: StackInputs | None = None
    okta: OktaConnection | None = None
    immuta: ImmutaConnection | None = None
    kube: KubeTarget | None = None
    problems: list[Problem] = field(default_factory=list)

    def secrets(self) -> list[str]:
        """Every secret known so far (config and environment), to mask in whatever is shown."""
        if self.inputs is not None:
            return self.inputs.secrets()
        found = (os.environ.get(n, "") for n in (TOKEN_ENV, IMMUTA_KEY_ENV, *OAUTH_ENV.values()))
        return sorted({s for s in found if len(s) >= MIN_SECRET_LENGTH})


def import_path(args: argparse.Namespace) -> Path:
    return Path(args.import_file or f"pulumi-import-{args.stack}.json")


def _okta(checked: Checked, args: argparse.Namespace) -> None:
    assert checked.inputs is not None
    live = checked.inputs.live
    try:
        checked.okta = okta_connection_from_config(
            live, base_url=args.okta_url, timeout=args.timeout
        )
    except OktaConfigError as exc:
        checked.problems.append(Problem("Okta connection", str(exc)))
        return
    if checked.okta is not None:
        return
    checked.problems.append(Problem("Okta credentials", f"none given: {SET_TOKEN_HINT}"))
    try:  # the address as well, so that one run names both
        okta_api_url(live, args.okta_url)
    except OktaConfigError as exc:
        checked.problems.append(Problem("Okta address", f"{exc} (or pass --okta-url URL)"))


def _immuta(checked: Checked, args: argparse.Namespace) -> None:
    assert checked.inputs is not None
    schema, inputs = project_schema(), checked.inputs
    try:
        checked.immuta = connection_from_config(inputs.live, timeout=args.timeout)
    except ValueError as exc:
        checked.problems.append(Problem(URL_KEY, str(exc)))
        return
    if checked.immuta is not None:
        return
    if not inputs.live.get(schema.full(URL_KEY)):
        why = f"not set: `pulumi config set {URL_KEY} https://<your Immuta>`"
        checked.problems.append(Problem(URL_KEY, why))
    if not inputs.live.get(schema.full(API_KEY_KEY)):
        why = f"not set: `pulumi config set --secret {API_KEY_KEY} <key>`, or {IMMUTA_KEY_ENV}"
        if schema.full(API_KEY_KEY) in inputs.config.values:
            why += (
                "; the stack file's encrypted value needs the Pulumi CLI on PATH to decrypt it, "
                "or --config FILE from `pulumi config --json --show-secrets`"
            )
        checked.problems.append(Problem(API_KEY_KEY, why))


def _import_file(args: argparse.Namespace, problems: list[Problem]) -> None:
    path = import_path(args)
    folder = path.parent if str(path.parent) else Path()
    if path.is_dir():
        problems.append(Problem("--import-file", f"{path} is a folder; give a file path"))
    elif not folder.is_dir():
        problems.append(Problem("--import-file", f"no folder {folder} to write {path.name} in"))
    elif not os.access(folder, os.W_OK):
        problems.append(Problem("--import-file", f"the folder {folder} is not writable"))


def check_inputs(args: argparse.Namespace) -> Checked:
    """Every input read and checked, without sending anything (no credential plugin runs)."""
    checked = Checked()
    if not (args.timeout > 0 and math.isfinite(args.timeout)):
        checked.problems.append(Problem("--timeout", "must be a finite number of seconds above 0"))
    try:
        checked.inputs = load_inputs(args.stack, args.config)
    except InputError as exc:
        # Without the config, whether it holds the connections is unknown: not guessed.
        checked.problems.append(Problem("stack config", str(exc)))
    if checked.inputs is not None:
        _okta(checked, args)
        _immuta(checked, args)
    try:
        checked.kube = check_kubeconfig(args.kubeconfig, args.kube_context)
    except KubeError as exc:
        checked.problems.append(Problem("--kubeconfig", str(exc)))
    _import_file(args, checked.problems)
    return checked
