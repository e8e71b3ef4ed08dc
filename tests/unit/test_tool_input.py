"""components/tool_input: the tools' JSON file reader and their one report of input problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.config import Problem
from components.tool_input import JsonFileError, read_json, report_problems, stack_in


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (None, "is a folder"),
        (b"", "not JSON (Expecting value at line 1, column 1)"),
        (b"\xff\xfe{", "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    ],
    ids=["folder", "empty", "not UTF-8", "deep"],
)
def test_every_unreadable_json_file_says_why_in_words(
    content: bytes | None, why: str, tmp_path: Path
) -> None:
    path = tmp_path
    if content is not None:
        path = tmp_path / "x.json"
        path.write_bytes(content)
    with pytest.raises(JsonFileError) as raised:
        read_json(path)
    assert str(raised.value) == why


def test_a_missing_file_gives_the_system_s_reason(tmp_path: Path) -> None:
    with pytest.raises(JsonFileError, match=r"^cannot read it \(No such file or directory\)$"):
        read_json(tmp_path / "none.json")


def test_one_report_of_every_problem_as_text_or_json_without_secrets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    canary = "CANARY-key-1b9e"
    problems = [Problem("--outputs", "missing"), Problem("immutaApiKey", f"refused {canary}")]
    assert report_problems("verify", "dev", problems, [canary], as_json=False) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: verify cannot start, 2 input problems (nothing was sent):\n")
    assert canary not in err
    fields = {"passed": False}
    assert report_problems("verify", "dev", problems, [canary], as_json=True, json_fields=fields)
    body = json.loads(capsys.readouterr().out)
    assert list(body) == ["stack", "passed", "exitCode", "errors"]
    assert body["errors"][0] == {"input": "--outputs", "message": "missing"}
    assert canary not in json.dumps(body)


def test_the_stack_of_a_refused_command_line() -> None:
    assert stack_in(["--stack", "prod", "--bogus"]) == "prod"
    assert stack_in(["--bogus", "--stack"]) == "dev"
