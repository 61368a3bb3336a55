"""Pattern validation: AWS's InvalidEventPatternException reasons, word for word.

AWS validates with Ruler's ``JsonRuleCompiler`` (aws/event-ruler), a streaming parser: the first
problem met in document order is the one reported. Rows marked "AWS" were recorded against AWS
(LocalStack snapshots in the shared conformance corpus); the others follow the Ruler source
(``JsonRuleCompiler``, ``CIDR``, ``ComparableNumber``, ``input/WildcardParser``).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bus.patterns import InvalidEventPattern, PatternSet, compile_pattern

PREFIX = "Event pattern is not valid. Reason: "
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)
RANGE = "Value must be between -5.0E9 and 5.0E9, inclusive"
MIXED = "Inside anything but list, either all values are number or string, mixed type is not supported"
NOT_LIST = "Value of anything-but must be an array or single string/number value."
EXPECTING = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"


def reason_of(pattern: str | bytes, **options: int) -> str:
    with pytest.raises(InvalidEventPattern) as raised:
        compile_pattern(pattern, **options)
    exc = raised.value
    assert exc.message == PREFIX + exc.reason
    assert str(exc) == exc.message
    assert exc.code == "InvalidEventPatternException"
    return exc.reason


def field(expression: str) -> str:
    """A one-field pattern whose only value is ``expression``."""
    return '{"f": [' + expression + "]}"


def op(name: str, operand: str) -> str:
    return field(f'{{"{name}": {operand}}}')


def each(name: str, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(op(name, operand), reason) for operand, reason in rows]


REASONS = [
    # the document
    ("this is valid json but not a dict", f"Unrecognized token 'this': was expecting {EXPECTING}"),  # AWS
    ("{'bad': 'quotation'}",
     "Unexpected character (''' (code 39)): was expecting double-quote to start field name"),  # AWS
    ('{"not": closed mark"', f"Unrecognized token 'closed': was expecting {EXPECTING}"),  # AWS
    ('["not", "a", "dict", "but valid json"]', "Filter is not an object"),  # AWS
    ("42", "Filter is not an object"),
    ("{}", "Empty objects are not allowed"),
    ('{"detail": {}}', "Empty objects are not allowed"),
    ('{"resources": []}', "Empty arrays are not allowed"),  # AWS
    ('{"int": 42}', '"int" must be an object or an array'),  # AWS
    ('{"string": "my-value"}', '"string" must be an object or an array'),  # AWS
    (field("[1]"), "Match value must be String, number, true, false, or null"),
    (field("{}"), "Match expression name not found"),
    (op("foo", '"child"'), "Unrecognized match type foo"),
    ('{"my_key": [{"EXISTS": true}]}', "Unrecognized match type EXISTS"),  # AWS
    # operand types, operator by operator
    (op("exactly", "33"), "exact match pattern must be a string"),
    (op("prefix", "123"), "prefix match pattern must be a string"),  # AWS
    (op("prefix", '["2022-07-13"]'), "prefix match pattern must be a string"),  # AWS
    (op("suffix", '[".png"]'), "suffix match pattern must be a string"),  # AWS
    (op("equals-ignore-case", '["x"]'), "equals-ignore-case match pattern must be a string"),  # AWS
    (op("equals-ignore-case", '{"prefix": "ec2"}'), "equals-ignore-case match pattern must be a string"),
    (op("wildcard", "123"), "wildcard match pattern must be a string"),  # AWS
    (op("cidr", '["bad-type"]'), "prefix match pattern must be a string"),  # AWS (Ruler's wording)
    (op("numeric", "10"), "Value of numeric must be an array."),  # AWS
    (op("exists", '"badString"'), "exists match pattern must be either true or false."),
    (op("anything-but", "null"), NOT_LIST),  # AWS
    (op("prefix", "{}"), "Prefix expression name not found"),
    (op("suffix", '{"invalid-expression": ["abc"]}'), "Unsupported suffix pattern: invalid-expression"),
    (op("prefix", '{"equals-ignore-case": 5}'), "equals-ignore-case match pattern must be a string"),
    (field('{"prefix": "a", "foo": []}'), "Only one key allowed in match expression"),
    (field('{"exists": true, "extraKey": 1}'), "Only one key allowed in match expression"),
    (field('{"prefix": {"equals-ignore-case": "a"}, "t": 1}'), "Only one key allowed in match expression"),
    (field('{"numeric": ["<", 1], "x": 1}'), "Too many elements in numeric expression"),
    (field('{"anything-but": "child", "foo": []}'), "Too many elements in numeric expression"),
    *each("numeric", [
        ('["="]', "Value of equals must be numeric"),
        ('[">="]', "Value of >= must be numeric"),
        ('["<", true]', "Value of < must be numeric"),
        ("[]", "Invalid member in numeric match: ]"),
        ('[5, ">"]', "Invalid member in numeric match: 5"),
        ('["==", 1, ">", 0]', "Unrecognized numeric range operator: =="),
        ('[">", 0, ">", 0]', "Bad numeric range operator: >"),  # AWS
        ('[">", 0, 5]', "Bad value in numeric range: 5"),
        ('[">", 0, "<"]', "Value of < must be numeric"),  # AWS
        ('[">", 1, "<", 1]', "Bottom must be less than top"),
        ('[">=", 5, "<=", 5]', "Bottom must be less than top"),
        ('["=", 5, 6]', "Too many elements in numeric expression"),
        ('["<", 1, ">", 0]', "Too many elements in numeric expression"),
        ('[">", 1, "<", 30, false]', "Too many terms in numeric range expression"),
        ('["=", 5000000001]', RANGE),
        ('["<", -5000000000.5]', RANGE),
        ('[">", 1e10]', RANGE),
        ('["=", 1.1234567]', "Only values upto 6 decimals are supported"),
        ('[">", 0, "<", 0.0000001]', "Only values upto 6 decimals are supported"),
        # Ruler converts the bounds only once the whole expression has been read
        ('["=", 1e10, 5]', "Too many elements in numeric expression"),
        ('[">", 1e10, "<", "x"]', "Value of < must be numeric"),
        ('[">", 1e10, "<=", 5, 6]', "Too many terms in numeric range expression"),
        ('[">=", 1e10, "!", 5]', "Bad numeric range operator: !"),
        ('[">", 1.1234567, 5]', "Bad value in numeric range: 5"),
    ]),
    *each("cidr", [
        ('"bad-filter"', "Malformed CIDR, one '/' required"),  # AWS
        ('"10.0.0.0/8/16"', "Malformed CIDR, one '/' required"),
        ('"bad-/64filter"', "Malformed CIDR, mask bits must be an integer"),  # AWS
        ('"10.0.0.0/x"', "Malformed CIDR, mask bits must be an integer"),
        ('"10.0.0.0/-1"', "Malformed CIDR, mask bits must not be negative"),
        ('"10.0.0.0/32"', "IPv4 mask bits must be < 32"),
        ('"2001:db8::/128"', "IPv6 mask bits must be < 128"),
        ('"xx.11.xx/8"', "Nonstandard IP address: xx.11.xx"),  # AWS
        ('"xxxx:db8:1234:1a00::/64"', "Nonstandard IP address: xxxx:db8:1234:1a00::"),  # AWS
        ('"999.1.1.1/8"', "Invalid IP address: 999.1.1.1"),
    ]),
    # $or
    ('{"$or": {"a": ["x"]}}', "It must be an Array followed with $or."),
    ('{"$or": [{"a": ["x"]}]}', "There must have at least 2 Objects in $or relationship."),
    ('{"$or": []}', "There must have at least 2 Objects in $or relationship."),
    ('{"$or": [{"a": ["x"]}, "b"]}', "Only JSON object is allowed in array of $or relationship."),
    ('{"$or": [["a"], {"a": ["x"]}]}', "Only JSON object is allowed in array of $or relationship."),
    ('{"$or": [{}, {"a": ["x"]}]}', "Empty objects are not allowed"),
    *each("anything-but", [
        ('["child0", 111, "child2"]', MIXED),
        ("[]", MIXED),
        ('["stopped", null]', "Inside anything but list, start|null|boolean is not supported."),  # AWS
        ('[{"prefix": "x"}]', "Inside anything but list, start|null|boolean is not supported."),
        ("true", NOT_LIST),
        ('{"prefix": ""}', "Null prefix/suffix not allowed"),  # AWS
        ('{"suffix": ""}', "Null prefix/suffix not allowed"),  # AWS
        ('{"prefix": 123}', "prefix/suffix match pattern must be a string"),  # AWS
        ('{"suffix": [null, ".txt"]}', "prefix/suffix match pattern must be a string"),  # AWS
        ('{"prefix": {"equals-ignore-case": "file"}}', NOT_LIST),  # AWS
        ('{"equals-ignore-case": 123}',
         "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),  # AWS
        ('{"wildcard": [123, "*/dir/*"]}', "wildcard match pattern must be a string"),  # AWS
        ('{"anything-but": "x"}', "Unsupported anything-but pattern: anything-but"),
        ("{}", "Anything-But expression name not found"),
        ("[5000000001]", RANGE),
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "reason"), REASONS, ids=[p for p, _ in REASONS])
def test_aws_reason(pattern: str, reason: str) -> None:
    assert reason_of(pattern) == reason


# Jackson names the container ("Array entries"); Ruler's own output: corpus row ...testCompile:inv14
MISSING_COMMA = [
    ('{"a": [ { "anything-but": [1, 2 3] } ] }',
     "Unexpected character ('3' (code 51)): was expecting comma to separate Array entries"),
    ('{"a": ["x"] "b": ["y"]}',
     "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries"),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "reason"), MISSING_COMMA, ids=["array", "object"])
def test_missing_comma_message_names_the_container(pattern: str, reason: str) -> None:
    assert reason_of(pattern) == reason


# Ruler streams: a bad operand is reported before a syntax error further on (Ruler's own output:
# corpus rows event-ruler:JsonRuleCompilerTest#testCompile:inv7, inv10, inv16, inv57). We parse the
# whole text first and report the syntax error: a documented deviation (docs/deviations.md), since
# only the reason text differs and only for text that is not JSON. The Ruler reason is kept here.
STREAMED = [
    ('{"a": [ { "prefix": [1, 2 3] } ] }', "prefix match pattern must be a string"),
    ('{"a": [ { "suffix": [1, 2 3] } ] }', "suffix match pattern must be a string"),
    ('{"a": [ { "anything-but": { "foo": 3 } ] }', "Unsupported anything-but pattern: foo"),
    ('{"a": [ { "prefix": { "equals-ignore-case": [ 1, 2 3 ] } } ] }',
     "equals-ignore-case match pattern must be a string"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "ruler_reason"), STREAMED, ids=["prefix", "suffix", "anything-but", "eic"]
)
def test_text_that_is_not_json_reports_the_syntax_error(pattern: str, ruler_reason: str) -> None:
    reason = reason_of(pattern)
    assert reason.startswith("Unexpected character ("), reason
    assert reason != ruler_reason


LIMITS = [
    op("numeric", v) for v in ('["=", 5000000000]', '["=", -5e9]', '["=", 1.1234560]', '[">", 0, "<=", 5e9]')
]


@pytest.mark.parametrize(
    "expression", LIMITS + [op("cidr", v) for v in ('"10.0.0.0/0"', '"10.0.0.0/31"', '"::/127"')]
)
def test_limits_are_inclusive(expression: str) -> None:
    compile_pattern(expression)


@pytest.mark.parametrize("name", ["prefix", "numeric", "exists", "anything-but", "wildcard", "=", "regex"])
def test_reserved_names_cannot_be_fields_inside_or(name: str) -> None:
    nested = json.dumps({"$or": [{"a": {name: ["x"]}}, {"b": ["y"]}]})
    assert reason_of(nested) == f"{name} is Ruler reserved fieldName which cannot be used inside $or."
    assert compile_pattern(json.dumps({name: ["x"]})).matches({name: "x"})  # outside $or: a plain field


WILDCARD = [
    ("arn:aws:events:us-east-1:**:event-bus/*", "Consecutive wildcard characters at pos 26"),  # AWS
    ("a**b", "Consecutive wildcard characters at pos 2"),
    ("é**", "Consecutive wildcard characters at pos 3"),  # positions count UTF-8 bytes after the quote
    ("a\\b", "Invalid escape character at pos 2"),
    ("ab\\", "Invalid escape character at pos 3"),
]  # fmt: skip


@pytest.mark.parametrize(("value", "reason"), WILDCARD, ids=[v for v, _ in WILDCARD])
def test_wildcard_syntax_errors(value: str, reason: str) -> None:
    assert reason_of(field(json.dumps({"wildcard": value}))) == reason
    assert reason_of(field(json.dumps({"anything-but": {"wildcard": ["ok", value]}}))) == reason


def test_wildcard_too_complex() -> None:  # AWS
    assert reason_of(op("wildcard", '"*:*:*:*:*:event-bus/*"')) == TOO_COMPLEX


# --- size, depth, encodings ----------------------------------------------------------------------


def _sized(n: int) -> str:
    head, tail = '{"a": ["', '"]}'
    return head + "x" * (n - len(head) - len(tail)) + tail


def test_default_length_limit_is_2048_characters() -> None:
    compile_pattern(_sized(2048))
    assert "2048" in reason_of(_sized(2049))
    with pytest.raises(InvalidEventPattern):
        PatternSet().add("r", _sized(2049))


def test_raised_quota_allows_4096_characters() -> None:
    compile_pattern(_sized(4096), max_length=4096)
    assert "4096" in reason_of(_sized(4097), max_length=4096)
    rules = PatternSet(max_length=4096)
    rules.add("r", _sized(4096))
    assert rules.matching({"a": "x" * (4096 - 11)}) == {"r"}


def test_length_counts_characters_not_bytes() -> None:
    text = '{"a": ["' + "é" * 2037 + '"]}'
    assert len(text) == 2048 and len(text.encode()) > 2048
    assert compile_pattern(text).matches({"a": "é" * 2037})


def test_bytes_are_held_to_the_same_length_limit() -> None:
    text = _sized(3000)
    assert reason_of(text.encode()) == reason_of(text)


DEEP = [
    "[" * 10_000 + "]" * 10_000,
    '{"a": ' * 10_000 + '["x"]' + "}" * 10_000,
    '{"a": [' + "[" * 10_000 + "]" * 10_000 + "]}",
]  # fmt: skip


@pytest.mark.parametrize("text", DEEP, ids=["arrays", "objects", "arrays-in-value"])
@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_deep_nesting_is_rejected_quickly(text: str, as_bytes: bool) -> None:
    started = time.perf_counter()
    for options in ({}, {"max_length": 1_000_000}):
        with pytest.raises(InvalidEventPattern):  # never RecursionError
            compile_pattern(text.encode() if as_bytes else text, **options)
    assert time.perf_counter() - started < 1.0


def test_brackets_inside_strings_are_not_nesting() -> None:
    assert compile_pattern('{"a": ["' + "[{" * 300 + '"]}').matches({"a": "[{" * 300})


def test_huge_valid_patterns_compile_and_match() -> None:
    started = time.perf_counter()
    values = compile_pattern(json.dumps({"a": [f"v{i}" for i in range(500)]}), max_length=4096)
    assert values.matches({"a": "v499"}) and not values.matches({"a": "v500"})
    branches = json.dumps({"$or": [{f"f{i}": [i]} for i in range(200)]})
    assert len(branches) <= 4096
    assert compile_pattern(branches, max_length=4096).matches({"f199": 199})
    deep = '{"l": ' * 60 + '["x"]' + "}" * 60
    event: object = "x"
    for _ in range(60):
        event = {"l": event}
    assert compile_pattern(deep).matches(event)  # type: ignore[arg-type]
    assert time.perf_counter() - started < 2.0


def test_bytes_are_read_as_utf8() -> None:
    pattern = compile_pattern('{"city": ["Zürich"]}'.encode())
    assert pattern.text == '{"city": ["Zürich"]}'
    assert pattern.matches({"city": "Zürich"})


@pytest.mark.parametrize("raw", [b'{"a": ["\xff"]}', b"\xfe\xff", b'{"a": ["\xc3"]}'])
def test_invalid_utf8_is_an_invalid_pattern(raw: bytes) -> None:
    reason_of(raw)  # an InvalidEventPattern with AWS's framing, not a UnicodeDecodeError


# --- repeated fields: the later one replaces the earlier (Ruler's "overriding") ------------------

OVERRIDES = [
    # (pattern, events that match, events that do not)
    ('{"a": ["x"], "a": ["y"]}', [{"a": "y"}], [{"a": "x"}]),
    # a repeated parent object adds its fields: the paths differ
    ('{"d": {"a": ["x"]}, "d": {"b": ["y"]}}', [{"d": {"a": "x", "b": "y"}}],
     [{"d": {"a": "x"}}, {"d": {"b": "y"}}]),
    # an $or branch overrides a field written before the $or; the other branch keeps it
    ('{"a": ["x"], "$or": [{"a": ["y"]}, {"b": ["z"]}]}', [{"a": "y"}, {"a": "x", "b": "z"}],
     [{"a": "x"}, {"a": "q", "b": "z"}]),
    # a field written after the $or overrides it in every branch
    ('{"$or": [{"a": ["y"]}, {"b": ["z"]}], "a": ["x"]}', [{"a": "x"}, {"a": "x", "b": "z"}],
     [{"a": "y"}, {"b": "z"}]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pattern", "hits", "misses"), OVERRIDES, ids=["field", "parent", "in-or", "after-or"]
)
def test_a_repeated_field_replaces_the_earlier_one(pattern: str, hits: list[Any], misses: list[Any]) -> None:
    compiled = compile_pattern(pattern)
    assert [compiled.matches(e) for e in hits + misses] == [True] * len(hits) + [False] * len(misses)
