"""What the command-line tools share about their inputs: a JSON file read with one reason per
failure, argparse's errors as an exception (so a `--json` run can answer in JSON), and the one
report of every input problem (text on stderr, or JSON on stdout) with its exit code."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn

from components.config import Problem
from components.secret_text import scrub

EXIT_INPUT = 2


class JsonFileError(Exception):
    """Why a JSON file cannot be read, in words that follow its path and a colon
    (`FILE: is a folder`)."""


def read_json(path: str | Path) -> Any:
    """The JSON in `path`; JsonFileError says why not (never Python's own error text)."""
    try:
        return json.loads(Path(path).read_text())
    except IsADirectoryError:
        raise JsonFileError("is a folder") from None
    except OSError as exc:
        raise JsonFileError(f"cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise JsonFileError("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise JsonFileError(f"not JSON ({exc.msg} at {where})") from None
    except RecursionError:
        raise JsonFileError("nests too deeply") from None


class UsageError(Exception):
    """The command line cannot be parsed (argparse's message)."""


class RaisingParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors raise UsageError instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def stack_in(argv: list[str], default: str = "dev") -> str:
    """The `--stack` value of a command line argparse refused."""
    return next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--stack"), default)


def report_problems(
    tool: str,
    stack: str,
    problems: Iterable[Problem],
    secrets: list[str],
    *,
    as_json: bool,
    read: bool = False,
    json_fields: Mapping[str, Any] | None = None,
) -> int:
    """Every problem at once, as JSON on stdout or as text on stderr; exit code 2. `read`:
    the problems came from reads that were made (not "cannot start ... nothing was sent")."""
    problems = list(problems)
    if as_json:
        body = {
            "stack": stack,
            **(json_fields or {}),
            "exitCode": EXIT_INPUT,
            "errors": [{"input": p.key, "message": p.message} for p in problems],
        }
        print(scrub(json.dumps(body, indent=2), secrets))
        return EXIT_INPUT
    if read:
        lines = [f"error: {p.message}" for p in problems]
    else:
        count = f"{len(problems)} input problem" + ("s" if len(problems) > 1 else "")
        lines = [f"error: {tool} cannot start, {count} (nothing was sent):"]
        lines += [f"  - {p}" for p in problems]
    print(scrub("\n".join(lines), secrets), file=sys.stderr)
    return EXIT_INPUT
