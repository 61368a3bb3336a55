"""PatternSet: a bus's rules matched together; add, replace, remove, and EventBridge's value rules."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bus.patterns import InvalidEvent, InvalidEventPattern, PatternSet, compile_pattern

ORDER = {"source": "shop", "detail-type": "Placed", "detail": {"a": "1", "b": "2", "n": 5}}


def rules(**patterns: str) -> PatternSet:
    out = PatternSet()
    for name, text in patterns.items():
        out.add(name, text)
    return out


# --- add / replace / remove ----------------------------------------------------------------------


def test_returns_names_of_all_matching_patterns() -> None:
    s = rules(
        by_source='{"source": ["shop"]}',
        by_type='{"detail-type": ["Placed"]}',
        by_detail='{"detail": {"a": ["1"], "n": [5]}}',
        other='{"source": ["bank"]}',
    )
    assert s.matching(ORDER) == {"by_source", "by_type", "by_detail"}
    assert len(s) == 4 and "other" in s and set(s) == {"by_source", "by_type", "by_detail", "other"}


def test_readding_a_name_replaces_its_pattern() -> None:
    s = rules(r='{"source": ["shop"]}')
    s.add("r", '{"source": ["bank"]}')
    assert s.matching(ORDER) == set()
    assert s.matching({"source": "bank"}) == {"r"}
    assert len(s) == 1
    assert s.get("r") is not None and "bank" in s.get("r").text  # type: ignore[union-attr]


def test_replacing_an_or_pattern_drops_all_its_branches() -> None:
    s = rules(r='{"$or": [{"a": ["1"]}, {"b": ["2"]}, {"b": ["2"]}]}')
    s.add("r", '{"c": ["3"]}')
    assert s.matching({"a": "1", "b": "2"}) == set()
    assert s.matching({"c": "3"}) == {"r"}


def test_removing_an_unknown_name_is_a_no_op() -> None:
    s = rules(r='{"source": ["shop"]}')
    s.remove("nope")
    s.remove("r")
    s.remove("r")
    assert len(s) == 0 and "r" not in s and s.get("r") is None
    assert s.matching(ORDER) == set()


def test_an_invalid_add_raises_and_changes_nothing() -> None:
    s = rules(r='{"source": ["shop"]}')
    for bad in ('{"source": "shop"}', '{"detail": {"n": [{"numeric": [">", 5, "<", 1]}]}}'):
        with pytest.raises(InvalidEventPattern):
            s.add("r", bad)
        with pytest.raises(InvalidEventPattern):
            s.add("new", bad)
    assert set(s) == {"r"}
    assert s.matching(ORDER) == {"r"}


def test_a_compiled_pattern_can_be_added() -> None:
    compiled = compile_pattern('{"source": ["shop"]}')
    s = PatternSet()
    s.add("a", compiled)
    s.add("b", compiled)
    assert s.matching(ORDER) == {"a", "b"}
    s.remove("a")
    assert s.matching(ORDER) == {"b"}


SHARED = {
    "r1": '{"source": ["shop"], "detail-type": ["Placed"], "detail": {"a": ["1"]}}',
    "r2": '{"source": ["shop"], "detail-type": ["Placed"], "detail": {"b": ["2"]}}',
    "r3": '{"source": ["shop"], "detail-type": ["Placed"]}',
    "r4": '{"source": ["shop"], "$or": [{"detail-type": ["Placed"]}, {"detail": {"a": ["1"]}}]}',
    "r5": '{"source": ["shop"], "detail": {"n": [{"numeric": [">", 1]}], "z": [{"exists": false}]}}',
}


@pytest.mark.parametrize("order", [list(SHARED), list(reversed(SHARED)), ["r3", "r1", "r5", "r2", "r4"]])
def test_removing_rules_that_share_nodes_keeps_the_others_working(order: list[str]) -> None:
    s = rules(**SHARED)
    remaining = set(SHARED)
    assert s.matching(ORDER) == remaining
    for name in order:
        s.remove(name)
        remaining.discard(name)
        assert s.matching(ORDER) == remaining, f"after removing {name}"
        assert s.matching({**ORDER, "detail-type": "Cancelled"}) == remaining & {"r4", "r5"}
    for name in order:  # and back again
        s.add(name, SHARED[name])
        remaining.add(name)
        assert s.matching(ORDER) == remaining


@pytest.mark.parametrize(
    "event",
    [ORDER, json.dumps(ORDER), json.dumps(ORDER).encode(), bytearray(json.dumps(ORDER).encode())],
    ids=["dict", "str", "bytes", "bytearray"],
)
def test_events_as_dict_text_or_bytes(event: Any) -> None:
    s = rules(r='{"detail": {"n": [5]}}')
    assert s.matching(event) == {"r"}
    assert compile_pattern('{"detail": {"n": [5]}}').matches(event)


@pytest.mark.parametrize(
    "event", ["[1]", '"text"', "5", "null", b"[]", "not json", b"\xff\xfe", 5, None, ["a"]], ids=repr
)
def test_non_object_events_raise_invalid_event(event: Any) -> None:
    s = rules(r='{"a": ["1"]}')
    with pytest.raises(InvalidEvent):
        s.matching(event)
    with pytest.raises(InvalidEvent):
        compile_pattern('{"a": ["1"]}').matches(event)


def test_deeply_nested_event_arrays_do_not_crash() -> None:
    value: Any = 1
    for _ in range(5_000):
        value = [value]
    s = rules(r='{"a": [1]}')
    try:
        matched = s.matching({"a": value})
    except InvalidEvent:
        return  # refusing the event is acceptable
    assert matched == {"r"}  # Ruler flattens nested arrays: the leaf 1 is a value of "a"


# --- arrays --------------------------------------------------------------------------------------


def test_fields_must_match_in_the_same_array_element() -> None:
    s = rules(r='{"items": {"sku": ["A"], "qty": [2]}}')
    assert s.matching({"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]}) == set()
    assert s.matching({"items": [{"sku": "B", "qty": 1}, {"sku": "A", "qty": 2}]}) == {"r"}


EMPLOYEES = '{"employees": {"firstName": ["Anna"], "ids": [{"exists": false}]}}'


@pytest.mark.parametrize(
    ("employees", "expected"),
    [
        ([{"firstName": "Anna"}, {"firstName": "Bob", "ids": [1]}], True),  # Ruler README example
        ([{"firstName": "Bob", "ids": [1]}, {"firstName": "Anna"}], True),
        ([{"firstName": "Anna", "ids": [1]}], False),
        ([{"firstName": "Anna", "ids": [1]}, {"firstName": "Anna"}], True),
        ([{"firstName": "Bob"}], False),
    ],
)
def test_exists_false_inside_arrays_of_objects(employees: list[dict[str, Any]], expected: bool) -> None:
    s = rules(r=EMPLOYEES)
    assert s.matching({"employees": employees}) == ({"r"} if expected else set())
    assert compile_pattern(EMPLOYEES).matches({"employees": employees}) is expected


# --- numbers -------------------------------------------------------------------------------------

NUMBERS = [
    # (pattern value list, event value as JSON text, matches)
    ("[5]", "5", True),
    ("[5]", "5.0", True),
    ("[5]", "5e0", True),
    ("[5]", '"5"', False),
    ("[5.0]", "5", True),
    ('["5"]', "5", False),
    ('["5"]', '"5"', True),
    ("[5]", "5.000001", False),
    ('[{"numeric": ["=", 5]}]', "5.0", True),
    ('[{"numeric": ["=", 5]}]', '"5"', False),
    ('[{"numeric": [">", 5]}]', "5", False),
    ('[{"numeric": [">", 5]}]', "5.000001", True),
    ('[{"numeric": [">=", 0, "<", 1]}]', "0", True),
    ('[{"numeric": [">=", 0, "<", 1]}]', "1", False),
    ('[{"numeric": [">=", 0, "<", 1]}]', "0.999999", True),
    ('[{"numeric": ["<", 0]}]', "-5000000000", True),
    ('[{"numeric": [">", 0]}]', "true", False),
    ("[123456789012]", "123456789012", True),  # account-number sized: matched exactly
    ("[123456789012]", "123456789013", False),
    ("[123456789012]", '"123456789012"', False),
    ("[12345678901234567890]", "12345678901234567890", True),
    ("[12345678901234567890]", "12345678901234567891", False),
    ('[{"numeric": [">", 0]}]', "123456789012", False),  # beyond +/-5e9: no numeric comparison
]  # fmt: skip


@pytest.mark.parametrize(("values", "event", "expected"), NUMBERS, ids=[f"{v}~{e}" for v, e, _ in NUMBERS])
def test_numbers(values: str, event: str, expected: bool) -> None:
    pattern = '{"n": ' + values + "}"
    text = '{"n": ' + event + "}"
    assert rules(r=pattern).matching(text) == ({"r"} if expected else set())
    assert compile_pattern(pattern).matches(text) is expected


def test_exact_number_and_range_rules_together() -> None:
    s = rules(
        exact='{"n": [5]}', low='{"n": [{"numeric": ["<=", 5]}]}', high='{"n": [{"numeric": [">", 5]}]}'
    )
    assert s.matching({"n": 5}) == {"exact", "low"}
    assert s.matching({"n": 5.5}) == {"high"}
    assert s.matching({"n": -1}) == {"low"}
    assert s.matching({"n": "5"}) == set()


# --- null, "", missing ---------------------------------------------------------------------------

NULLS = [
    ("[null]", {"a": None}, True),
    ("[null]", {"a": ""}, False),
    ("[null]", {"a": "null"}, False),
    ("[null]", {}, False),
    ('[""]', {"a": ""}, True),
    ('[""]', {"a": None}, False),
    ('[""]', {}, False),
    ('[{"exists": true}]', {"a": None}, True),
    ('[{"exists": true}]', {"a": ""}, True),
    ('[{"exists": true}]', {}, False),
    ('[{"exists": false}]', {}, True),
    ('[{"exists": false}]', {"a": None}, False),
    ('[{"exists": false}]', {"a": ""}, False),
    ('[{"exists": true}]', {"a": []}, False),  # an empty array holds no value
    ('[{"exists": false}]', {"a": []}, True),
    ('[{"exists": true}]', {"a": {"b": 1}}, False),  # exists looks at leaves
]  # fmt: skip


@pytest.mark.parametrize(("values", "event", "expected"), NULLS, ids=[f"{v}~{e}" for v, e, _ in NULLS])
def test_null_empty_and_missing(values: str, event: dict[str, Any], expected: bool) -> None:
    pattern = '{"a": ' + values + "}"
    assert rules(r=pattern).matching(event) == ({"r"} if expected else set())
    assert compile_pattern(pattern).matches(event) is expected


# --- IP addresses --------------------------------------------------------------------------------

IPS = [
    ("10.0.0.1", "10.0.0.1", True),
    ("10.0.0.1", "10.0.0.2", False),
    ("2001:db8::1", "2001:db8::1", True),
    ("2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", True),
    ("2001:db8::1", "2001:DB8::1", True),
    ("2001:DB8:0:0:0:0:0:1", "2001:db8::1", True),
    ("2001:db8::1", "2001:db8::2", False),
    ("::ffff:10.0.0.1", "::ffff:10.0.0.1", True),
]  # fmt: skip


@pytest.mark.parametrize(("value", "event", "expected"), IPS, ids=[f"{v}~{e}" for v, e, _ in IPS])
def test_ip_addresses_match_in_any_canonical_form(value: str, event: str, expected: bool) -> None:
    pattern = json.dumps({"ip": [value]})
    assert rules(r=pattern).matching({"ip": event}) == ({"r"} if expected else set())


def test_ip_and_cidr_rules_together() -> None:
    s = rules(host='{"ip": ["10.0.0.5"]}', net='{"ip": [{"cidr": "10.0.0.0/24"}]}', v6='{"ip": ["::1"]}')
    assert s.matching({"ip": "10.0.0.5"}) == {"host", "net"}
    assert s.matching({"ip": "10.0.0.6"}) == {"net"}
    assert s.matching({"ip": "10.0.1.5"}) == set()
    assert s.matching({"ip": "0:0:0:0:0:0:0:1"}) == {"v6"}
