"""Wildcard values: what they match, and how complex AWS considers them."""

from __future__ import annotations

import json

import pytest

from bus.patterns import InvalidEventPattern, PatternSet, compile_pattern
from bus.patterns._wildcard import MAX_ACTIVE_STATES, max_active_states, parse


def wildcard(value: str, *, negated: bool = False) -> str:
    expression = {"anything-but": {"wildcard": value}} if negated else {"wildcard": value}
    return json.dumps({"f": [expression]})


MATCHING = [
    # (wildcard as the client writes it, event value, matches)
    ("a*b", "ab", True),  # * matches the empty run
    ("a*b", "axxb", True),
    ("a*b", "abc", False),  # anchored at both ends
    ("*", "", True),
    ("a*", "a", True),
    ("*a", "a", True),
    ("a*b*c", "abc", True),
    ("a*b*c", "acb", False),
    ("*.png", "photo.png", True),
    ("*.png", "photo.png.txt", False),
    ("a*a", "a", False),  # both literal a's need a character
    ("a*a", "aa", True),
    ("a*", "A", False),  # case-sensitive
    ("a*z", "a\nz", True),  # * crosses newlines
    ("a.b", "axb", False),  # no regex meaning for . ? [ ] +
    ("a?b", "axb", False),
    ("a[bc]", "ab", False),
    ("a+", "aa", False),
    ("a\\*b", "a*b", True),  # \* is a literal star
    ("a\\*b", "axb", False),
    ("a\\*b", "ab", False),
    ("a\\\\b", "a\\b", True),  # \\ is a literal backslash
    ("a\\\\*", "a\\anything", True),  # ...followed by a real wildcard
    ("a\\\\*", "ab", False),
    ("\\**", "*abc", True),
    ("\\**", "abc", False),
    ("é*ü", "éü", True),  # unicode: stars span whole characters
    ("é*ü", "éxyzü", True),
    ("日本*", "日本語", True),
    ("*🙂", "hi 🙂", True),
    ("*🙂", "hi 🙃", False),
    ("arn:aws:events:*:*:event-bus/*", "arn:aws:events:us-east-1:123456789012:event-bus/orders", True),
    ("arn:aws:events:*:*:event-bus/*", "arn:aws:events:us-east-1:123456789012:rule/orders", False),
]  # fmt: skip


@pytest.mark.parametrize(("value", "event", "expected"), MATCHING, ids=[f"{v}~{e!r}" for v, e, _ in MATCHING])
def test_wildcard_matching(value: str, event: str, expected: bool) -> None:
    assert compile_pattern(wildcard(value)).matches({"f": event}) is expected
    rules = PatternSet()
    rules.add("w", wildcard(value))
    assert rules.matching({"f": event}) == ({"w"} if expected else set())


@pytest.mark.parametrize("value", [5, 5.5, True, None], ids=repr)
def test_wildcard_only_matches_strings(value: object) -> None:
    assert not compile_pattern(wildcard("*")).matches({"f": value})


def test_wildcard_in_an_array_matches_any_element() -> None:
    assert compile_pattern(wildcard("img-*")).matches({"f": ["doc-1", "img-2"]})


ANYTHING_BUT = [
    ("a*", "abc", False),
    ("a*", "b", True),
    ("*/dir/*", "x/dir/y", False),
    ("*/dir/*", "x/other/y", True),
    ("a\\*", "a*", False),
    ("a\\*", "ab", True),
]


@pytest.mark.parametrize(
    ("value", "event", "expected"), ANYTHING_BUT, ids=[f"{v}~{e}" for v, e, _ in ANYTHING_BUT]
)
def test_anything_but_wildcard(value: str, event: str, expected: bool) -> None:
    assert compile_pattern(wildcard(value, negated=True)).matches({"f": event}) is expected


def test_anything_but_wildcard_list_excludes_each() -> None:
    pattern = compile_pattern('{"f": [{"anything-but": {"wildcard": ["a*", "*z"]}}]}')
    assert not pattern.matches({"f": "abc"})
    assert not pattern.matches({"f": "xyz"})
    assert pattern.matches({"f": "q"})
    assert not pattern.matches({})  # anything-but still needs the field


def test_wildcard_alongside_other_values() -> None:
    pattern = compile_pattern('{"f": ["exact", {"wildcard": "pre*"}, {"prefix": "p"}]}')
    assert pattern.matches({"f": "exact"})
    assert pattern.matches({"f": "prefix"})
    assert pattern.matches({"f": "p"})
    assert not pattern.matches({"f": "other"})


def test_many_wildcard_rules_in_one_set() -> None:
    rules = PatternSet()
    for i in range(50):
        rules.add(f"r{i}", wildcard(f"svc-{i}-*"))
    rules.add("all", wildcard("svc-*"))
    assert rules.matching({"f": "svc-7-x"}) == {"r7", "all"}
    assert rules.matching({"f": "svc-70-x"}) == {"all"}


# --- complexity ----------------------------------------------------------------------------------

ACTIVE_STATES = [
    ("abc", 0),  # no star
    ("*", 1),
    ("a*", 1),
    ("a*b*c", 2),  # after "ab" both stars are open
    ("*a*a*a*", 4),  # "aaa" keeps all four open
    ("*:*:*:*:event-bus/*", 5),
    ("*:*:*:*:*:event-bus/*", 6),  # AWS: "Rule is too complex"
]


@pytest.mark.parametrize(("value", "states"), ACTIVE_STATES, ids=[v for v, _ in ACTIVE_STATES])
def test_max_active_states(value: str, states: int) -> None:
    assert max_active_states([parse(value)]) == states


def test_active_states_add_up_across_a_fields_wildcards() -> None:
    assert max_active_states([parse("*a*"), parse("*b*")]) == 4  # input "ab": both patterns, both stars
    assert max_active_states([]) == 0


def test_escaped_stars_are_not_wildcards() -> None:
    assert max_active_states([parse("\\*\\*\\*")]) == 0


def test_too_complex_counts_all_wildcards_of_one_field() -> None:
    """Each value is within the limit alone; together in one field they keep too many states open."""
    stars = MAX_ACTIVE_STATES // 2 + 1  # "*:" * n + "x" keeps n states open
    first, second = "*:" * stars + "x", "*:" * stars + "y"
    assert max_active_states([parse(first), parse(second)]) > MAX_ACTIVE_STATES
    for value in (first, second):
        assert max_active_states([parse(value)]) <= MAX_ACTIVE_STATES
        compile_pattern(wildcard(value))
    with pytest.raises(InvalidEventPattern, match="Rule is too complex"):
        compile_pattern(json.dumps({"f": [{"wildcard": first}, {"wildcard": second}]}))


def test_wildcards_of_different_fields_are_measured_apart() -> None:
    stars = MAX_ACTIVE_STATES // 2 + 1
    pattern = json.dumps({"f": [{"wildcard": "*:" * stars + "x"}], "g": [{"wildcard": "*:" * stars + "y"}]})
    assert compile_pattern(pattern).matches({"f": "1:" * stars + "x", "g": ":" * stars + "y"})
