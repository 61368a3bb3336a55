"""Validate an EventPattern the way AWS does and compile it into sub-rules.

AWS validates with Ruler's JsonRuleCompiler; the checks and their messages below follow its
order, because the first problem found is the one AWS reports. ``$or`` is expanded here: a
pattern becomes a list of sub-rules (plain conjunctions of field conditions), and a field
written again later in the pattern (inside or outside ``$or``) replaces the earlier one, as
Ruler does, rather than being AND-ed with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from bus.patterns import _wildcard
from bus.patterns._jsontext import Num, Pairs, parse_pattern_text
from bus.patterns._matchers import (
    FALSE,
    NULL,
    TRUE,
    AnythingBut,
    AnythingButIgnoreCase,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButWildcard,
    Cidr,
    EqualsIgnoreCase,
    Exact,
    Exists,
    IpExact,
    Matcher,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
    ip_of,
    is_ip_shaped,
)
from bus.patterns._numbers import LIMIT, NumberOutOfRange, micros_from_text
from bus.patterns.errors import InvalidEventPattern

DEFAULT_MAX_LENGTH = 2048
MAX_SUBRULES = 1000  # AWS caps the combinations an $or pattern may expand to

_RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard",
        "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    }
)  # fmt: skip


class _Absent:
    """Marker alternative for ``{"exists": false}``."""


ABSENT = _Absent()


@dataclass(frozen=True, slots=True)
class Condition:
    """One field of a sub-rule: a leaf at ``path`` matching any matcher, or (if allowed) no leaf."""

    path: str
    matchers: tuple[Matcher, ...]
    absent_ok: bool


@dataclass(frozen=True, slots=True)
class SubRule:
    """A conjunction of conditions, sorted by path (the order Ruler walks fields in)."""

    conditions: tuple[Condition, ...]


def _fail(reason: str) -> InvalidEventPattern:
    return InvalidEventPattern(reason)


def _text(token: Any) -> str:
    """What Jackson's getText() shows for a token, for error messages."""
    if token is None:
        return "null"
    if token is True:
        return "true"
    if token is False:
        return "false"
    if isinstance(token, Pairs):
        return "{"
    if isinstance(token, list):
        return "["
    return str(token)


def _micros(text: str) -> int:
    try:
        return micros_from_text(text)
    except NumberOutOfRange as exc:
        raise _fail(str(exc)) from None


def _is_string(v: Any) -> bool:
    return type(v) is str


def compile_text(text: str | bytes, *, max_length: int = DEFAULT_MAX_LENGTH) -> tuple[SubRule, ...]:
    """Sub-rules of a pattern, or InvalidEventPattern with AWS's reason."""
    if isinstance(text, bytes | bytearray):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _fail("Invalid UTF-8 in event pattern") from exc
    if not isinstance(text, str):
        raise _fail("Filter is not an object")
    if len(text) > max_length:
        raise _fail(f"Event pattern is longer than the limit of {max_length} characters")
    root = parse_pattern_text(text)
    if not isinstance(root, Pairs):
        raise _fail("Filter is not an object")
    rules: list[dict[str, list[Any]]] = []
    _object(rules, [], root, in_or=False)
    subrules = []
    for rule in rules:
        conditions = []
        for path in sorted(rule):
            alts = rule[path]
            matchers = tuple(a for a in alts if isinstance(a, Matcher))
            conditions.append(Condition(path, matchers, any(a is ABSENT for a in alts)))
        for cond in conditions:
            wild = [_wildcard.parse(m.text) for m in cond.matchers if isinstance(m, Wildcard)]
            _wildcard.check_complexity(wild)
        subrules.append(SubRule(tuple(conditions)))
    return tuple(subrules)


def _object(rules: list[dict[str, list[Any]]], path: list[str], obj: Pairs, *, in_or: bool) -> None:
    if not obj:
        raise _fail("Empty objects are not allowed")
    for key, value in obj:
        if key == "$or":
            _or(rules, path, value)
            continue
        if in_or and key in _RESERVED_IN_OR:
            raise _fail(f"{key} is Ruler reserved fieldName which cannot be used inside $or.")
        if isinstance(value, Pairs):
            _object(rules, [*path, key], value, in_or=in_or)
        elif isinstance(value, list):
            _field(rules, ".".join([*path, key]), value)
        else:
            raise _fail(f'"{key}" must be an object or an array')


def _or(rules: list[dict[str, list[Any]]], path: list[str], value: Any) -> None:
    current = [dict(r) for r in rules]
    rules.clear()
    if not isinstance(value, list) or isinstance(value, Pairs):
        raise _fail("It must be an Array followed with $or.")
    for item in value:
        if not isinstance(item, Pairs):
            raise _fail("Only JSON object is allowed in array of $or relationship.")
        branch = [dict(r) for r in current] or [{}]
        _object(branch, path, item, in_or=True)
        rules.extend(branch)
        if len(rules) > MAX_SUBRULES:
            raise _fail(f"The $or combinations of the pattern exceed the limit of {MAX_SUBRULES}")
    if len(value) < 2:
        raise _fail("There must have at least 2 Objects in $or relationship.")


def _field(rules: list[dict[str, list[Any]]], name: str, values: list[Any]) -> None:
    alts: list[Any] = []
    for v in values:
        if isinstance(v, Pairs):
            alts.append(_expression(v))
        elif isinstance(v, Num):
            keys: set[Hashable] = {("lit", str(v))}
            with contextlib.suppress(NumberOutOfRange):  # e.g. an account number: only its text can match
                keys.add(("n", micros_from_text(v)))
            alts.append(Exact(frozenset(keys), str(v)))
        elif isinstance(v, str):
            ip = ip_of(v) if is_ip_shaped(v) else None
            alts.append(IpExact(ip[0], ip[1], v) if ip else Exact(frozenset({v}), f'"{v}"'))
        elif v is None or isinstance(v, bool):
            key = NULL if v is None else (TRUE if v else FALSE)
            alts.append(Exact(frozenset({key}), _text(v)))
        else:
            raise _fail("Match value must be String, number, true, false, or null")
    if not alts:
        raise _fail("Empty arrays are not allowed")
    if not rules:
        rules.append({})
    for rule in rules:
        rule[name] = alts


def _only_key(expr: Pairs, message: str = "Only one key allowed in match expression") -> None:
    if len(expr) > 1:
        raise _fail(message)


def _expression(expr: Pairs) -> Any:
    if not expr:
        raise _fail("Match expression name not found")
    name, value = expr[0]
    if name == "exactly":
        if not _is_string(value):
            raise _fail("exact match pattern must be a string")
        _only_key(expr)
        return Exact(frozenset({value}), f'"{value}"')
    if name in ("prefix", "suffix"):
        kind = Prefix if name == "prefix" else Suffix
        if isinstance(value, Pairs):
            matcher = _ignore_case_affix(value, name, kind)
        elif not _is_string(value):
            raise _fail(f"{name} match pattern must be a string")
        else:
            matcher = kind(value, False)
        _only_key(expr)
        return matcher
    if name == "numeric":
        if not isinstance(value, list) or isinstance(value, Pairs):
            raise _fail("Value of numeric must be an array.")
        matcher = _numeric(value)
        _only_key(expr, "Too many elements in numeric expression")
        return matcher
    if name == "anything-but":
        return _anything_but(expr, value)
    if name == "exists":
        if value is not True and value is not False:
            raise _fail("exists match pattern must be either true or false.")
        _only_key(expr)
        return Exists() if value else ABSENT
    if name == "cidr":
        if not _is_string(value):
            raise _fail("prefix match pattern must be a string")
        matcher = _cidr(value)
        _only_key(expr)
        return matcher
    if name == "equals-ignore-case":
        if not _is_string(value):
            raise _fail("equals-ignore-case match pattern must be a string")
        _only_key(expr)
        return EqualsIgnoreCase(value.lower())
    if name == "wildcard":
        if not _is_string(value):
            raise _fail("wildcard match pattern must be a string")
        tokens = _wildcard.parse(value)
        _only_key(expr)
        return Wildcard(value, _wildcard.to_regex(tokens), _wildcard.literal_prefix(tokens))
    raise _fail(f"Unrecognized match type {name}")


def _ignore_case_affix(inner: Pairs, name: str, kind: type[Prefix] | type[Suffix]) -> Matcher:
    label = name.capitalize()
    if not inner:
        raise _fail(f"{label} expression name not found")
    op, value = inner[0]
    if op != "equals-ignore-case":
        raise _fail(f"Unsupported {name} pattern: {op}")
    if not _is_string(value):
        raise _fail("equals-ignore-case match pattern must be a string")
    _only_key(inner)
    return kind(value.lower(), True)


def _numeric(items: list[Any]) -> Numeric:
    end = "]"
    first = items[0] if items else end
    if not _is_string(first) or not items:
        raise _fail(f"Invalid member in numeric match: {_text(first)}")
    op = first
    second = items[1] if len(items) > 1 else end
    if op not in ("=", ">=", ">", "<=", "<"):
        raise _fail(f"Unrecognized numeric range operator: {op}")
    if not isinstance(second, Num):
        raise _fail(f"Value of {'equals' if op == '=' else op} must be numeric")
    if op in ("=", "<=", "<") and len(items) > 2:
        raise _fail("Too many elements in numeric expression")
    if op == "=":
        value = _micros(second)
        return Numeric(value, False, value, False)
    if op in ("<", "<="):
        return _range(-LIMIT, False, _micros(second), op == "<")
    if len(items) == 2:
        return _range(_micros(second), op == ">", LIMIT, False)
    op2 = items[2]
    if not _is_string(op2):
        raise _fail(f"Bad value in numeric range: {_text(op2)}")
    if op2 not in ("<", "<="):
        raise _fail(f"Bad numeric range operator: {op2}")
    top = items[3] if len(items) > 3 else end
    if not isinstance(top, Num):
        raise _fail(f"Value of {op2} must be numeric")
    if len(items) > 4:
        raise _fail("Too many terms in numeric range expression")
    # Ruler converts both bounds only once the whole range has been read
    return _range(_micros(second), op == ">", _micros(top), op2 == "<")


def _range(lo: int, lo_open: bool, hi: int, hi_open: bool) -> Numeric:
    if lo >= hi:
        raise _fail("Bottom must be less than top")
    return Numeric(lo, lo_open, hi, hi_open)


_SET_KINDS = ("equals-ignore-case", "prefix", "suffix", "wildcard")


def _anything_but(expr: Pairs, value: Any) -> Matcher:
    kind = "plain"
    inner: Pairs | None = None
    if isinstance(value, Pairs):
        if not value:
            raise _fail("Anything-But expression name not found")
        inner = value
        kind, value = value[0]
        if kind not in _SET_KINDS:
            raise _fail(f"Unsupported anything-but pattern: {kind}")
    if not (isinstance(value, list | str)) or isinstance(value, Pairs):
        raise _fail("Value of anything-but must be an array or single string/number value.")
    values = value if isinstance(value, list) else [value]
    if kind == "plain":
        matcher: Matcher = _anything_but_values(values, as_list=isinstance(value, list))
    else:
        matcher = _anything_but_set(kind, values)
    too_many = "Too many elements in numeric expression"
    if inner is not None:
        _only_key(inner, too_many)
    _only_key(expr, too_many)
    return matcher


def _anything_but_values(values: list[Any], *, as_list: bool) -> AnythingBut:
    strings: set[Hashable] = set()
    numbers: set[Hashable] = set()
    for v in values:
        if isinstance(v, Num):
            numbers.add(("n", _micros(v)))
        elif isinstance(v, str):
            strings.add(v)
        else:
            raise _fail(
                "Inside anything but list, start|null|boolean is not supported."
                if as_list
                else "Inside anything-but list, start|null|boolean is not supported."
            )
    if bool(strings) == bool(numbers):
        raise _fail(
            "Inside anything but list, either all values are number or string, mixed type is not supported"
        )
    return AnythingBut(frozenset(strings or numbers))


def _anything_but_set(kind: str, values: list[Any]) -> Matcher:
    texts: list[str] = []
    for v in values:
        if not _is_string(v):
            if kind == "equals-ignore-case":
                raise _fail(
                    "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
                )
            if kind == "wildcard":
                raise _fail("wildcard match pattern must be a string")
            raise _fail("prefix/suffix match pattern must be a string")
        if kind in ("prefix", "suffix") and v == "":
            raise _fail("Null prefix/suffix not allowed")
        texts.append(v)
    if kind == "equals-ignore-case":
        return AnythingButIgnoreCase(frozenset(t.lower() for t in texts))
    if kind == "prefix":
        return AnythingButPrefix(tuple(texts))
    if kind == "suffix":
        return AnythingButSuffix(tuple(texts))
    regexes = tuple(_wildcard.to_regex(_wildcard.parse(t)) for t in texts)
    return AnythingButWildcard(tuple(texts), regexes)


def _cidr(text: str) -> Cidr:
    parts = text.split("/")
    while parts and parts[-1] == "":
        parts.pop()  # Java's split drops trailing empty strings
    if len(parts) != 2:
        raise _fail("Malformed CIDR, one '/' required")
    bits_text = parts[1]
    if not (bits_text.lstrip("+-").isdigit() and bits_text.lstrip("+-").isascii()) or bits_text[
        1:
    ].startswith(("+", "-")):
        raise _fail("Malformed CIDR, mask bits must be an integer")
    bits = int(bits_text)
    if bits < 0:
        raise _fail("Malformed CIDR, mask bits must not be negative")
    address = parts[0]
    if not is_ip_shaped(address):
        raise _fail(f"Nonstandard IP address: {address}")
    ip = ip_of(address)
    if ip is None:
        raise _fail(f"Invalid IP address: {address}")
    version, value = ip
    width = 32 if version == 4 else 128
    if bits > width - 1:
        raise _fail(f"IPv{version} mask bits must be < {width}")
    host = (1 << (width - bits)) - 1
    return Cidr(version, value & ~host, value | host, text)  # host bits in the pattern are ignored
