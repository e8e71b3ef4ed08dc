"""Okta's priority shifting for v1 policies, each documented behaviour on a small org."""

from __future__ import annotations

import pytest

from components.okta.signon_model import LAST, Org, Policy
from components.okta.signon_priority import PriorityNotValid, find, place, remove

EVERYONE = "00gEveryone"


def policy(pid: str, priority: int = 1, *, system: bool = False) -> Policy:
    return Policy(
        id=pid, name=pid, priority=priority, groups_included=frozenset({EVERYONE}), system=system
    )


def org(*names: str) -> Org:
    custom = [policy(n, i) for i, n in enumerate(names, 1)]
    return Org(
        policies=(*custom, policy("Default", len(custom) + 1, system=True)),
        everyone_group_id=EVERYONE,
    )


def order(o: Org) -> list[tuple[str, int]]:
    return [(p.name, p.priority) for p in sorted(o.policies, key=lambda p: p.priority)]


def test_a_create_at_a_used_priority_shifts_it_and_those_below_down_by_one() -> None:
    after = place(org("A", "B", "C"), policy("N"), 2)
    assert order(after) == [("A", 1), ("N", 2), ("B", 3), ("C", 4), ("Default", 5)]


def test_an_update_moves_the_policy_between_old_and_new_only() -> None:
    # The guide's example: Rule Three to P1, One and Two shift down, Four and Five stay.
    start = org("One", "Two", "Three", "Four", "Five")
    three = find(start, "Three")
    assert three is not None
    after = place(start, three, 1)
    assert [n for n, _ in order(after)] == ["Three", "One", "Two", "Four", "Five", "Default"]
    assert find(after, "Four") == find(start, "Four")  # untouched, same priority


@pytest.mark.parametrize("priority", [None, LAST])
def test_no_priority_puts_it_last_above_the_default_policy(priority: int | None) -> None:
    after = place(org("A", "B"), policy("N"), priority)
    assert order(after)[-2:] == [("N", 3), ("Default", 4)]
    moved = place(after, policy("A"), None)  # an update without a priority: to the bottom
    assert [n for n, _ in order(moved)] == ["B", "N", "A", "Default"]


def test_a_priority_past_the_end_lands_last_and_the_provider_reports_it() -> None:
    with pytest.raises(PriorityNotValid) as caught:
        place(org("A"), policy("N"), 3)
    assert (caught.value.asked, caught.value.got) == (3, 2)
    assert order(caught.value.org) == [("A", 1), ("N", 2), ("Default", 3)]  # Okta made it


def test_the_last_free_priority_is_valid() -> None:
    assert order(place(org("A"), policy("N"), 2))[1] == ("N", 2)


def test_a_delete_shifts_the_ones_below_up() -> None:
    assert order(remove(org("A", "B", "C"), "A")) == [("B", 1), ("C", 2), ("Default", 3)]


def test_the_default_policy_cannot_be_placed() -> None:
    with pytest.raises(ValueError, match="default"):
        place(org("A"), policy("Default", 1, system=True), 1)
