"""Any list of entries is split into valid PutEvents requests: at most 10 entries and 1 MiB each,
in order, nothing lost or repeated; and the size formula is the engine's."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bus.engine import ingest
from bus.producer import MAX_ENTRIES, MAX_REQUEST_BYTES, EntryTooLarge, Publisher, batches, entry_size

pytestmark = pytest.mark.property

text = st.text(alphabet=st.sampled_from('aé€😀{}":, 0'), max_size=30)


@st.composite
def entries(draw: st.DrawFn) -> dict[str, Any]:
    # Mostly small, sometimes big enough that a few fill a request: sizes near the limit matter.
    big = draw(st.sampled_from([0, 0, 0, 1, 2]))
    padding = draw(st.integers(0, 400_000)) if big else draw(st.integers(0, 200))
    entry: dict[str, Any] = {
        "Source": draw(text) or "s",
        "DetailType": draw(text) or "d",
        "Detail": '{"p": "' + "x" * padding + draw(text).replace('"', "") + '"}',
        "EventBusName": "choreo-orders",
    }
    if draw(st.booleans()):
        entry["Time"] = "2026-01-01T00:00:00Z"
    if draw(st.booleans()):
        entry["Resources"] = draw(st.lists(text, max_size=3))
    if draw(st.booleans()):
        entry["TraceHeader"] = "Root=1-5759e988-bd862e3fe1be46a994272793"
    return entry


@settings(max_examples=150, deadline=None)
@given(st.lists(entries(), max_size=60), st.integers(1, 10), st.sampled_from([MAX_REQUEST_BYTES, 2_000]))
def test_batches_are_valid_requests_in_order(items: list[dict[str, Any]], limit: int, max_bytes: int) -> None:
    fitting = [e for e in items if entry_size(e) <= max_bytes]
    groups = list(batches(fitting, max_entries=limit, max_bytes=max_bytes))
    assert [i for group in groups for i in group] == list(range(len(fitting)))  # order kept, none lost
    for group in groups:
        assert 1 <= len(group) <= limit
        assert sum(entry_size(fitting[i]) for i in group) <= max_bytes
    for first, second in itertools.pairwise(groups):  # greedy: the next entry did not fit
        head = fitting[second[0]]
        assert (
            len(first) == limit or sum(entry_size(fitting[i]) for i in first) + entry_size(head) > max_bytes
        )


def test_the_size_formula_is_awss() -> None:
    entry = {
        "Source": "shop",  # 4 bytes
        "DetailType": "Bestellung €",  # 14 bytes in UTF-8: the euro sign is 3
        "Detail": '{"a":1}',  # 7
        "Resources": ["arn:x", "ü"],  # 5 + 2
        "Time": "2026-01-01T00:00:00Z",  # counts 14 whatever its text
        "EventBusName": "a-long-bus-name-that-does-not-count",
        "TraceHeader": "Root=1-5759e988-bd862e3fe1be46a994272793",
    }
    assert entry_size(entry) == 4 + 14 + 7 + 5 + 2 + 14
    assert (MAX_ENTRIES, MAX_REQUEST_BYTES) == (10, 1_048_576)  # AWS's limits since January 2026


@settings(max_examples=50, deadline=None)
@given(st.lists(entries(), min_size=1, max_size=40))
def test_publisher_requests_pass_the_engines_whole_request_checks(items: list[dict[str, Any]]) -> None:
    requests: list[list[dict[str, Any]]] = []

    class Recorder:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            ingest.check_entries(Entries)  # raises what EventBridge answers with ValidationException
            requests.append(Entries)
            return {"FailedEntryCount": 0, "Entries": [{"EventId": f"id-{id(e)}"} for e in Entries]}

    ids = Publisher("b", client=Recorder()).send(items)
    assert [e for request in requests for e in request] == items
    assert ids == [f"id-{id(e)}" for e in items]


def test_an_entry_over_the_limit_alone_is_refused_before_anything_is_sent() -> None:
    sent: list[Any] = []

    class Recorder:
        def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
            sent.append(Entries)
            return {"FailedEntryCount": 0, "Entries": [{"EventId": "x"} for _ in Entries]}

    small = {"Source": "s", "DetailType": "d", "Detail": "{}"}
    huge = {"Source": "s", "DetailType": "d", "Detail": '{"x": "' + "x" * MAX_REQUEST_BYTES + '"}'}
    with pytest.raises(EntryTooLarge) as error:
        Publisher("b", client=Recorder()).send([small, huge, small])
    assert error.value.indexes == (1,)
    assert sent == []
