"""Pins the reference matcher's reading of EventBridge's semantics, rule by rule.

The fast engine is tested against this oracle, so each tricky rule is stated here once, with the
source that settles it (AWS docs, AWS-recorded LocalStack snapshots, aws/event-ruler). The last
test runs the oracle over the whole shared corpus: it must agree with every recorded outcome.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.corpus import Expected, PatternCase, load_pattern_cases
from tests.support.reference_matcher import loads, matches


def m(pattern: Any, event: Any) -> bool:
    return matches(pattern, event)


# --- values: null, "", missing, booleans -----------------------------------------------------


class TestNullEmptyMissing:
    """AWS docs, "Matching events on null values and empty strings": null and "" are distinct."""

    def test_null_matches_only_null(self) -> None:
        assert m({"a": [None]}, {"a": None})
        assert not m({"a": [None]}, {"a": ""})
        assert not m({"a": [None]}, {"a": "null"})
        assert not m({"a": [None]}, {})

    def test_empty_string_matches_only_empty_string(self) -> None:
        assert m({"a": [""]}, {"a": ""})
        assert not m({"a": [""]}, {"a": None})
        assert not m({"a": [""]}, {})

    def test_empty_array_has_no_value(self) -> None:
        # LocalStack arrays_empty_null_NEG / exists_list_empty_NEG (AWS-recorded).
        assert not m({"a": [None]}, {"a": []})
        assert not m({"a": [{"exists": True}]}, {"a": []})
        assert m({"a": [{"exists": False}]}, {"a": []})
        assert not m({"a": [{"anything-but": "x"}]}, {"a": []})

    def test_booleans_are_not_strings(self) -> None:
        assert m({"a": [False]}, {"a": False})
        assert not m({"a": [False]}, {"a": "false"})
        assert not m({"a": ["true"]}, {"a": True})
        assert not m({"a": [True]}, {"a": 1})  # bool is not a number, even in Python

    def test_number_is_not_its_string(self) -> None:
        assert not m({"a": [5]}, {"a": "5"})
        assert not m({"a": ["5"]}, {"a": 5})


# --- exists ----------------------------------------------------------------------------------


class TestExists:
    def test_exists_true_accepts_any_leaf_including_null(self) -> None:
        assert m({"a": [{"exists": True}]}, {"a": None})
        assert m({"a": [{"exists": True}]}, {"a": ""})
        assert m({"a": [{"exists": True}]}, {"a": [1]})

    def test_exists_only_looks_at_leaves(self) -> None:
        # Ruler README "Exists matching": c-count holding an object does not exist as a leaf.
        assert not m({"a": [{"exists": True}]}, {"a": {"b": 1}})
        assert m({"a": [{"exists": False}]}, {"a": {"b": 1}})
        assert not m({"a": [{"exists": True}]}, {"a": {}})

    def test_exists_false_rejects_null(self) -> None:
        assert not m({"a": [{"exists": False}]}, {"a": None})

    def test_exists_false_is_relative_to_the_array_element_chosen(self) -> None:
        # Ruler ACMachineTest#testACWithExistFalseRule: absence is judged inside the element
        # that matched the other fields.
        event = {"e": [{"first": "Anna"}, {"first": "John", "ids": [1, 2]}]}
        assert m({"e": {"first": ["Anna"], "ids": [{"exists": False}]}}, event)
        assert not m({"e": {"first": ["John"], "ids": [{"exists": False}]}}, event)

    def test_exists_false_sees_only_fields_that_sort_before_it(self) -> None:
        # Ruler walks a rule's fields in sorted order and judges absence against the array
        # elements chosen so far: "b" < "c" is judged against no element (b exists somewhere),
        # "d" > "c" against the element holding c="x".
        event = {"a": [{"c": "x"}, {"b": 1, "d": 1, "c": "y"}]}
        assert not m({"a": {"b": [{"exists": False}], "c": ["x"]}}, event)
        assert m({"a": {"c": ["x"], "d": [{"exists": False}]}}, event)

    def test_exists_false_or_value(self) -> None:
        # LocalStack or-exists / or-anything-but (AWS-recorded).
        pattern = {"s": [{"anything-but": ["roses"]}, {"exists": False}]}
        assert m(pattern, {})
        assert m(pattern, {"s": "tulips"})
        assert not m(pattern, {"s": "roses"})


# --- arrays ----------------------------------------------------------------------------------


class TestArrays:
    EMPLOYEES = {
        "employees": [
            {"firstName": "John", "lastName": "Doe"},
            {"firstName": "Anna", "lastName": "Smith"},
            {"firstName": "Peter", "lastName": "Jones"},
        ]
    }

    def test_any_element_of_an_event_array_matches(self) -> None:
        assert m({"a": ["x", "y"]}, {"a": ["z", "y"]})
        assert not m({"a": ["x", "y"]}, {"a": ["z"]})
        assert m({"a": ["x"]}, {"a": [["z"], ["x"]]})  # nested arrays are crossed too

    def test_array_consistency(self) -> None:
        # Ruler README "JSON Array Matching": fields of one rule must come from one element.
        assert m({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, self.EMPLOYEES)
        assert not m({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, self.EMPLOYEES)

    def test_array_consistency_through_nested_arrays(self) -> None:
        event = {"a": [[{"b": 1}, {"c": 2}], [{"b": 3, "c": 4}]]}
        assert not m({"a": {"b": [1], "c": [2]}}, event)
        assert m({"a": {"b": [3], "c": [4]}}, event)

    def test_fields_outside_the_array_are_free(self) -> None:
        event = {"top": "t", "a": [{"b": 1}, {"c": 2}]}
        assert m({"top": ["t"], "a": {"c": [2]}}, event)

    def test_separate_arrays_do_not_constrain_each_other(self) -> None:
        event = {"x": [{"b": 1}, {"b": 2}], "y": [{"c": 1}, {"c": 2}]}
        assert m({"x": {"b": [2]}, "y": {"c": [1]}}, event)

    def test_anything_but_on_an_array_needs_one_surviving_element(self) -> None:
        assert m({"a": [{"anything-but": "x"}]}, {"a": ["x", "y"]})
        assert not m({"a": [{"anything-but": "x"}]}, {"a": ["x", "x"]})


# --- paths -----------------------------------------------------------------------------------


class TestPaths:
    def test_dotted_keys_equal_nesting(self) -> None:
        # LocalStack dot_joining_event / dot_joining_pattern (AWS-recorded).
        assert m({"d": {"s": {"t": ["r"]}}}, {"d": {"s.t": "r"}})
        assert m({"d": {"s.t": ["r"]}}, {"d": {"s": {"t": "r"}}})
        assert not m({"d": {"s": {"t": ["r"]}}}, {"d": {"s.t": {"t": "r"}}})

    def test_keys_are_case_sensitive(self) -> None:
        assert not m({"MY_KEY": ["v"]}, {"my_key": "v"})

    def test_a_json_string_is_not_parsed(self) -> None:
        assert not m({"d": {"k": ["v"]}}, {"d": '{"k": "v"}'})

    def test_or_at_any_level_and_nested(self) -> None:
        pattern = {
            "s": ["x"],
            "d": {"$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"e": [4]}]}]},
        }
        assert m(pattern, {"s": "x", "d": {"a": 1}})
        assert m(pattern, {"s": "x", "d": {"b": 2, "e": 4}})
        assert not m(pattern, {"s": "x", "d": {"b": 2}})
        assert not m(pattern, {"s": "y", "d": {"a": 1}})

    def test_duplicate_pattern_keys_last_one_wins(self) -> None:
        # Ruler ACMachineTest#testDuplicateKeyLastOneWins; LocalStack complex_multi_key_event.
        pattern = loads('{"x": ["y"], "x": ["z"]}')
        assert m(pattern, {"x": "z"})
        assert not m(pattern, {"x": "y"})


# --- numbers ---------------------------------------------------------------------------------


class TestNumbers:
    def test_exact_numbers_compare_by_value(self) -> None:
        # LocalStack number_comparison_float (AWS-recorded): 300 matches 300.0.
        assert m({"n": [300]}, {"n": 300.0})
        assert m({"n": [100]}, loads('{"n": 1e2}'))
        assert m({"n": [0]}, {"n": -0.0})

    def test_numbers_a_double_cannot_hold_only_match_by_text(self) -> None:
        # Ruler ComparableNumberTest: 37.807807921694092 is not a comparable double.
        assert not m({"x": [loads("37.8078")]}, loads('{"x": 37.807807921694092}'))
        assert m(loads('{"x": [37.807807921694092]}'), loads('{"x": 37.807807921694092}'))
        big = 123456789012345678  # an AWS account id is a number no double holds exactly
        assert m({"x": [big]}, {"x": big})
        assert not m({"x": [big]}, {"x": big + 1})
        assert not m({"x": [{"numeric": [">", 0]}]}, {"x": big})

    def test_numeric_ranges(self) -> None:
        pattern = {"n": [{"numeric": [">", 0, "<=", 5]}]}
        assert m(pattern, {"n": 5})
        assert m(pattern, {"n": 0.000001})
        assert not m(pattern, {"n": 0})
        assert not m(pattern, {"n": 5.000001})
        assert m({"n": [{"numeric": ["=", 301.8]}]}, loads('{"n": 3.018e2}'))

    def test_numeric_needs_a_json_number(self) -> None:
        # LocalStack numeric-string_NEG, numeric-null_NEG (AWS-recorded).
        assert not m({"n": [{"numeric": [">", 100]}]}, {"n": "300"})
        assert not m({"n": [{"numeric": [">", 100]}]}, {"n": None})
        assert not m({"n": [{"numeric": [">", 0]}]}, {"n": True})

    def test_anything_but_numbers_only_excludes_numbers(self) -> None:
        pattern = {"n": [{"anything-but": [100, 200]}]}
        assert not m(pattern, {"n": 100.0})
        assert m(pattern, {"n": 101})
        assert m(pattern, {"n": "100"})
        assert m(pattern, {"n": None})


# --- strings ---------------------------------------------------------------------------------


class TestStrings:
    def test_prefix_suffix_only_on_strings(self) -> None:
        assert m({"a": [{"prefix": ""}]}, {"a": "anything"})
        assert not m({"a": [{"prefix": "1"}]}, {"a": 12})
        assert not m({"a": [{"suffix": "2"}]}, {"a": 12})
        assert not m({"a": [{"suffix": ".PNG"}]}, {"a": "image.png"})

    def test_equals_ignore_case_family(self) -> None:
        assert m({"a": [{"equals-ignore-case": "AbC"}]}, {"a": "aBc"})
        assert not m({"a": [{"equals-ignore-case": "abc"}]}, {"a": "abcd"})
        assert m({"a": [{"equals-ignore-case": ""}]}, {"a": ""})
        assert m({"a": [{"prefix": {"equals-ignore-case": "EventB"}}]}, {"a": "EvEnTbridge"})
        assert m({"a": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"a": "image.PNG"})
        assert not m({"a": [{"equals-ignore-case": "5"}]}, {"a": 5})

    def test_ignore_case_is_per_pattern_character(self) -> None:
        # Ruler's EqualsIgnoreCaseParser: each pattern character may appear in the event as its
        # lower-case or upper-case form (Locale.ROOT), so "ß" also matches "SS"; the event is
        # not case-folded as a whole.
        assert m({"a": [{"equals-ignore-case": "straße"}]}, {"a": "STRASSE"})
        assert m({"a": [{"equals-ignore-case": "É"}]}, {"a": "é"})

    def test_wildcard(self) -> None:
        assert m({"a": [{"wildcard": "a*c"}]}, {"a": "ac"})  # * may be empty
        assert m({"a": [{"wildcard": "a*c"}]}, {"a": "abbbc"})
        assert not m({"a": [{"wildcard": "a*c"}]}, {"a": "abcd"})
        assert not m({"a": [{"wildcard": "A*"}]}, {"a": "abc"})
        assert m({"a": [{"wildcard": "*"}]}, {"a": ""})
        assert not m({"a": [{"wildcard": "*"}]}, {"a": 1})
        # LocalStack content_wildcard_empty_NEG: "" only matches the empty string.
        assert m({"a": [{"wildcard": ""}]}, {"a": ""})
        assert not m({"a": [{"wildcard": ""}]}, {"a": "x"})

    def test_wildcard_escapes(self) -> None:
        star = {"a": [{"wildcard": "a\\*b"}]}  # JSON "a\\*b": a literal star
        assert m(star, {"a": "a*b"})
        assert not m(star, {"a": "axb"})
        backslash = {"a": [{"wildcard": "a\\\\*"}]}  # a, a backslash, then any run
        assert m(backslash, {"a": "a\\"})
        assert m(backslash, {"a": "a\\zz"})
        assert not m(backslash, {"a": "az"})

    def test_cidr(self) -> None:
        assert m({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.255"})
        assert not m({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": "10.0.0.256"})
        assert not m({"ip": [{"cidr": "10.0.0.0/24"}]}, {"ip": 123})
        # Ruler testIPAddressOfCIDRIsEqualToMaximumOfRange: host bits are masked off.
        assert m({"ip": [{"cidr": "220.160.154.255/24"}]}, {"ip": "220.160.154.0"})
        v6 = {"ip": [{"cidr": "2001:db8:1234:1a00::/64"}]}
        assert m(v6, {"ip": "2001:0db8:1234:1a00:0000:0000:0000:0000"})
        assert not m(v6, {"ip": "10.0.0.1"})

    def test_an_ip_literal_matches_the_same_address_spelled_differently(self) -> None:
        # Ruler compiles an IP-literal string to a one-address range (CIDR.ipToRangeIfPossible).
        assert m({"ip": ["2001:db8::1"]}, {"ip": "2001:0DB8:0:0:0:0:0:1"})
        assert not m({"ip": ["2001:db8::1"]}, {"ip": "2001:db8::2"})

    def test_anything_but_strings(self) -> None:
        # LocalStack content_anything_but_* (AWS-recorded): null and numbers survive a string
        # exclusion; a missing field never matches.
        pattern = {"s": [{"anything-but": ["stopped", "overloaded"]}]}
        assert m(pattern, {"s": "pending"})
        assert not m(pattern, {"s": "stopped"})
        assert m(pattern, {"s": None})
        assert m(pattern, {"s": 12})
        assert not m(pattern, {})

    def test_anything_but_operators(self) -> None:
        assert not m({"s": [{"anything-but": {"prefix": "init"}}]}, {"s": "init-x"})
        assert m({"s": [{"anything-but": {"prefix": "init"}}]}, {"s": 12})
        assert not m({"s": [{"anything-but": {"suffix": [".txt", ".jpg"]}}]}, {"s": "f.jpg"})
        assert not m({"s": [{"anything-but": {"equals-ignore-case": "ab"}}]}, {"s": "aB"})
        assert m({"s": [{"anything-but": {"equals-ignore-case": ["ab"]}}]}, {"s": "abc"})
        assert not m({"s": [{"anything-but": {"wildcard": "*/init/*"}}]}, {"s": "d/init/f"})
        # LocalStack content_anything_wildcard_empty: "" excludes only the empty string.
        assert m({"s": [{"anything-but": {"wildcard": ""}}]}, {"s": "x"})


# --- the corpus ------------------------------------------------------------------------------

_DECIDABLE = [c for c in load_pattern_cases() if c.expected is not Expected.INVALID_PATTERN]


@pytest.mark.conformance
@pytest.mark.parametrize("case", _DECIDABLE, ids=[c.id for c in _DECIDABLE])
def test_oracle_agrees_with_corpus(case: PatternCase) -> None:
    assert matches(case.pattern(), case.event()) is (case.expected is Expected.MATCH)
