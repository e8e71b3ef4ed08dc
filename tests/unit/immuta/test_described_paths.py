"""The client's paths and bodies against our copy of Immuta's API description (no server)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import components.immuta.client as client
from components.immuta.iam_document import iam_entry
from rehearsal import immuta_contract as contract
from tests.support.immuta_iam import desired


@pytest.mark.parametrize(
    ("method", "path", "described"),
    [
        ("POST", client.AUTH_PATH, True),
        ("GET", client.IAM_LIST_PATH, True),
        ("POST", client.sync_path("okta"), True),
        ("POST", client.SYNC_USERS_PATH, True),
        ("GET", client.CONFIG_PATH, False),  # App Settings: our inference
        ("PUT", client.CONFIG_PATH, False),
    ],
)
def test_every_path_the_client_uses_is_known_and_says_if_it_is_described(
    method: str, path: str, described: bool
) -> None:
    op = contract.operation(method, path)
    assert op is not None
    assert op.described is described
    assert op.source.startswith("described" if described else "inferred")


def test_the_bodies_the_client_sends_are_valid_and_the_old_sync_body_is_not() -> None:
    entry = iam_entry(desired())
    sync = client.sync_path("okta")
    assert contract.request_problems("POST", sync, {"userId": "*", "dryRun": False}) == []
    dry_run = {"userId": "*", "dryRun": True, "iamConfig": entry}
    assert contract.request_problems("POST", sync, dry_run) == []
    assert contract.request_problems("POST", client.SYNC_USERS_PATH, {"iamid": "okta"}) == []
    assert contract.request_problems("POST", client.AUTH_PATH, {"apikey": "k"}) == []
    assert contract.request_problems("POST", sync, {"userId": "*"}) == ['"dryRun" is required']


def test_a_described_path_without_a_body_takes_none() -> None:
    assert contract.request_problems("GET", client.IAM_LIST_PATH, None) == []
    assert contract.request_problems("GET", client.IAM_LIST_PATH, {"x": 1}) != []
    assert contract.request_problems("DELETE", "/bim/iam/okta", None) != []  # not ours


def test_answers_are_held_to_their_described_shapes() -> None:
    listed = [{"id": "okta", "displayName": "Okta", "type": "ldap", "oauth": False}]
    assert contract.answer_problems("GET", client.IAM_LIST_PATH, 200, listed) == []
    assert contract.answer_problems("GET", client.IAM_LIST_PATH, 200, {"id": "x"}) != []
    token = {"authenticated": True, "token": "t"}
    assert contract.answer_problems("POST", client.AUTH_PATH, 200, token) == []
    assert contract.answer_problems("POST", client.AUTH_PATH, 200, {"token": 1}) != []
    assert contract.answer_problems("POST", client.sync_path("x"), 200, "any") == []  # undescribed


def _leaves(value: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, k))]
    return [(path, value)]


ENTRY = iam_entry(desired())
LEAVES = _leaves(ENTRY)
OTHER_TYPE: dict[type, list[Any]] = {
    str: [1, True, ["x"], {"x": 1}, None],
    bool: ["true", 1, None],
    int: ["636", 6.5, True, None],
    list: ["uniquemember", {"0": "x"}, [1], None],
}


@given(st.sampled_from(LEAVES), st.data())
def test_a_field_of_the_wrong_type_anywhere_in_the_entry_is_refused_by_name(
    leaf: tuple[tuple[str, ...], Any], data: st.DataObject
) -> None:
    path, value = leaf
    others = OTHER_TYPE[type(value)]
    if path[-1] == "connectTimeout":  # a number: 6.5 is one
        others = [o for o in others if not isinstance(o, float)]
    wrong_value = data.draw(st.sampled_from(others))
    wrong = copy.deepcopy(ENTRY)
    target = wrong
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = wrong_value
    problems = contract.iam_entry_problems(wrong)
    assert problems
    assert any(p.startswith(f'"{".".join(path)}') for p in problems), problems


@given(st.sampled_from([p for p, _ in LEAVES]), st.text(min_size=1, max_size=12))
def test_an_unknown_field_anywhere_in_the_entry_is_refused(
    path: tuple[str, ...], name: str
) -> None:
    wrong = copy.deepcopy(ENTRY)
    target = wrong
    for key in path[:-1]:
        target = target[key]
    if name in target:
        return
    target[name] = "x"
    assert contract.iam_entry_problems(wrong) != []
