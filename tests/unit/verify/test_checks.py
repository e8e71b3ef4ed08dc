"""How verify counts its checks: by number, not by printed line."""

from __future__ import annotations

from verify.__main__ import render
from verify.checks import Check, Target, check_immuta, counts


def _check(number: int, status: str) -> Check:
    return Check(number, f"check {number}", status, "detail")  # type: ignore[arg-type]


def test_a_check_printed_per_bind_account_counts_once_and_fails_if_one_line_fails() -> None:
    checks = [
        _check(1, "pass"),
        _check(2, "pass"),
        _check(2, "fail"),  # the second bind account's line
        _check(7, "skip"),
        _check(7, "skip"),
        _check(8, "pass"),
        _check(8, "skip"),
    ]
    assert counts(checks) == {"passed": 2, "skipped": 1, "failed": 1, "total": 4}
    assert render(checks).splitlines()[-1] == "FAILED: 2 passed, 1 skipped, 1 failed of 4 checks"


def test_all_passed_but_the_skipped_ones() -> None:
    checks = [_check(n, "pass") for n in range(1, 7)] + [_check(7, "skip"), _check(8, "skip")]
    assert render(checks).splitlines()[-1] == "OK: 6 passed, 2 skipped, 0 failed of 8 checks"


def test_a_stack_without_the_iam_id_output_skips_check_5_and_says_why() -> None:
    target = Target(
        host="127.0.0.1", port=636, transport="ldaps", user_base_dn="ou=users,dc=x",
        accounts=(), iam_id=None, immuta=None,
    )  # fmt: skip
    check = check_immuta(target)
    assert check.status == "skip"
    assert "None" not in check.name
    assert check.detail == "the stack has no output immutaIamId: run `pulumi up`"
