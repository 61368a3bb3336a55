"""explain(): why an event does or does not match, field by field."""

from __future__ import annotations

import pytest

from bus.patterns import InvalidEvent, InvalidEventPattern, compile_pattern, explain

ORDERS = '{"source": ["shop.orders"], "detail": {"total": [{"numeric": [">=", 100]}]}}'


def test_a_match_reports_every_field_as_ok() -> None:
    verdict = explain(ORDERS, {"source": "shop.orders", "detail": {"total": 250}})
    assert verdict.matched
    assert verdict.failures == ()
    assert not verdict.array_inconsistent
    checks = {c.path: c for c in verdict.branches[verdict.closest]}
    assert set(checks) == {"source", "detail.total"}
    assert all(c.ok for c in checks.values())
    assert checks["detail.total"].found == (250,)
    assert str(verdict).splitlines()[0] == "MATCH"


def test_a_miss_names_the_failing_field_what_was_expected_and_what_was_found() -> None:
    verdict = explain(ORDERS, {"source": "shop.orders", "detail": {"total": 42}})
    assert not verdict.matched
    (failure,) = verdict.failures
    assert failure.path == "detail.total"
    assert not failure.ok
    assert failure.found == (42,)
    assert ">= 100" in failure.expected
    assert failure.reason.startswith("detail.total: expected ")
    assert "42" in failure.reason
    text = str(verdict)
    assert text.startswith("NO MATCH")
    assert "detail.total" in text and "42" in text
    assert "source" in text  # the fields that held are listed too


def test_an_absent_field_is_reported_as_absent() -> None:
    verdict = explain(ORDERS, {"source": "shop.orders", "detail": {}})
    (failure,) = verdict.failures
    assert failure.path == "detail.total"
    assert failure.found == ()
    assert "absent" in failure.reason


def test_every_failing_field_is_reported() -> None:
    verdict = explain(ORDERS, {"source": "shop.payments"})
    assert {c.path for c in verdict.failures} == {"source", "detail.total"}
    found = {c.path: c.found for c in verdict.failures}
    assert found == {"source": ("shop.payments",), "detail.total": ()}


def test_all_values_of_an_array_are_shown() -> None:
    verdict = explain('{"tags": ["red", "blue"]}', {"tags": ["green", "black"]})
    (failure,) = verdict.failures
    assert failure.found == ("green", "black")
    assert '"red"' in failure.expected and '"blue"' in failure.expected


@pytest.mark.parametrize(
    ("value", "found", "words"),
    [
        ('{"prefix": "ord-"}', "zzz", ["ord-"]),
        ('{"suffix": ".png"}', "zzz", [".png"]),
        ('{"anything-but": ["pickup"]}', "pickup", ["pickup"]),
        ('{"cidr": "10.0.0.0/8"}', "11.0.0.1", ["10.0.0.0/8"]),
        ('{"numeric": [">", 1, "<=", 2]}', 3, ["> 1", "<= 2"]),
        ('{"wildcard": "a*b"}', "zzz", ["a*b"]),
        ('{"exists": false}', "zzz", ["exists: false"]),
    ],
)
def test_expected_text_names_the_operand(value: str, found: object, words: list[str]) -> None:
    verdict = explain('{"f": [' + value + "]}", {"f": found})
    (failure,) = verdict.failures
    for word in words:
        assert word in failure.expected


def test_or_reports_the_branch_with_fewest_failures() -> None:
    pattern = '{"$or": [{"a": ["1"], "b": ["2"]}, {"c": ["3"], "d": ["4"], "e": ["5"]}]}'
    verdict = explain(pattern, {"a": "x", "b": "y", "c": "3", "d": "4", "e": "0"})
    assert not verdict.matched
    assert len(verdict.branches) == 2
    assert verdict.closest == 1
    assert [c.path for c in verdict.failures] == ["e"]
    text = str(verdict)
    assert text.startswith("NO MATCH")
    assert "branch 2 of 2" in text


def test_or_match_points_at_the_matching_branch() -> None:
    verdict = explain('{"$or": [{"a": ["1"]}, {"b": ["2"]}]}', {"a": "0", "b": "2"})
    assert verdict.matched
    assert verdict.closest == 1
    assert verdict.failures == ()
    assert str(verdict).startswith("MATCH")


def test_fields_satisfied_only_by_different_array_elements_are_explained() -> None:
    pattern = '{"items": {"sku": ["A"], "qty": [2]}}'
    event = {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]}
    verdict = explain(pattern, event)
    assert not verdict.matched
    assert verdict.array_inconsistent
    assert verdict.failures == ()  # each field alone holds
    assert "same array element" in str(verdict)
    assert str(verdict).startswith("NO MATCH")


def test_same_element_match_is_not_flagged_inconsistent() -> None:
    verdict = explain(
        '{"items": {"sku": ["A"], "qty": [2]}}', {"items": [{"sku": "B"}, {"sku": "A", "qty": 2}]}
    )
    assert verdict.matched
    assert not verdict.array_inconsistent


def test_explain_agrees_with_matching() -> None:
    cases = [
        ('{"a": [{"exists": false}]}', {"a": 1}),
        ('{"a": [{"exists": false}]}', {"b": 1}),
        ('{"a": [null]}', {"a": None}),
        ('{"a": [""]}', {"a": None}),
        ('{"a": [5]}', {"a": 5.0}),
        ('{"a": ["5"]}', {"a": 5}),
    ]
    for pattern, event in cases:
        assert explain(pattern, event).matched is compile_pattern(pattern).matches(event), (pattern, event)


def test_accepts_a_compiled_pattern_and_event_text() -> None:
    verdict = explain(compile_pattern('{"a": [1]}'), '{"a": 1}')
    assert verdict.matched
    assert explain('{"a": [1]}', b'{"a": 2}').failures[0].found == (2,)


def test_invalid_pattern_raises_aws_error() -> None:
    with pytest.raises(InvalidEventPattern) as raised:
        explain('{"a": 1}', {})
    assert raised.value.message == 'Event pattern is not valid. Reason: "a" must be an object or an array'


@pytest.mark.parametrize("event", ["[1]", "not json", b"\xff"])
def test_invalid_event_raises_invalid_event(event: str | bytes) -> None:
    with pytest.raises(InvalidEvent):
        explain('{"a": [1]}', event)
