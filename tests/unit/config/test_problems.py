"""Config problems: a value that must be quoted and whose text is refused too is one problem."""

from __future__ import annotations

from components.config._problems import Problem, merge_retyped

KEY = "okta-ldap-immuta:helmChartVersion"
TYPED = Problem(
    KEY,
    'must be text, but YAML read a number: quote it (e.g. helmChartVersion: "4.13")',
    "4.13",
    retyped="must be text, but YAML read a number",
)


def test_a_refused_text_joins_the_quote_it_problem() -> None:
    other = Problem("other:key", "true or false", "x")
    merged = merge_retyped([TYPED, other, Problem(KEY, "one exact chart version", "4.13")])
    assert merged == [
        Problem(
            KEY,
            "must be text, but YAML read a number: quote it, but the text is refused too: "
            "one exact chart version",
            "4.13",
            retyped=TYPED.retyped,
        ),
        other,
    ]


def test_a_quote_it_problem_alone_keeps_its_example() -> None:
    assert merge_retyped([TYPED]) == [TYPED]
    assert 'e.g. helmChartVersion: "4.13"' in str(TYPED)
