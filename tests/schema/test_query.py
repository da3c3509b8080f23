"""The root Query's own helpers."""

from __future__ import annotations

from schema.query import Handover


def test_a_handover_gives_each_item_once_in_order_and_keeps_none() -> None:
    """The executor iterates a resolver's list once; each item leaves the list as it is taken,
    so the list holds none of them afterwards (nor the ones already taken, midway)."""
    items = Handover([object(), object(), object()])
    expected = list.copy(items)
    taken = iter(items)
    first = next(taken)
    assert first is expected[0]
    assert len(items) == 2 and all(x is not first for x in list.copy(items))
    assert [first, *taken] == expected
    assert len(items) == 0
    assert list(items) == []
