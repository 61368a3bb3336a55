"""A brute-force EventBridge pattern matcher: the oracle the fast engine is tested against.

It reads the raw pattern dict on every call: no compilation, no indexes, no caching. Each rule
below is one small function, so that a disagreement with the engine can be settled by reading
this file against the facts it cites (AWS's *Event patterns* pages and aws/event-ruler, the
engine EventBridge runs). It never validates a pattern: give it valid ones.

The model, in Ruler's terms:

* The event is flattened into leaves ``(path, value, membership)``: ``path`` joins object keys
  with ``.`` (so ``{"a.b": 1}`` and ``{"a": {"b": 1}}`` are the same field), arrays are crossed
  transparently (an array is "any of its elements"), and ``membership`` records, for every array
  of objects/arrays on the way, which element the leaf came from. Empty arrays and empty objects
  produce no leaf; ``null`` is a leaf.
* The pattern is expanded into sub-rules (one per ``$or`` branch), each a map ``path ->
  alternatives``. A sub-rule matches when every path is satisfied, by leaves that all agree on
  their shared arrays (array consistency).
* ``{"exists": false}`` is judged against the array elements already chosen for the fields that
  sort before it, exactly as Ruler's array-consistent finder does (it walks a rule's fields in
  sorted order).

>>> matches({"a": {"b": ["x"], "c": ["y"]}}, {"a": [{"b": "x", "c": "n"}, {"b": "n", "c": "y"}]})
False
>>> matches({"a": {"b": ["x"], "c": ["y"]}}, {"a": [{"b": "x", "c": "y"}]})
True
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["loads", "matches"]

# One field of a sub-rule: its dotted path and the list of alternatives the pattern gives for it.
SubRule = dict[str, list[Any]]
# array id -> element index, for every array of objects/arrays a leaf sits in.
Membership = dict[int, int]

# Ruler only treats a string as an IP address when it has one of these shapes (CIDR.java).
_IPV4_SHAPE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6_SHAPE = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


def loads(text: str | bytes) -> Any:
    """Parse JSON the way Ruler's Jackson parser sees it, as far as matching can tell.

    Non-integers become ``Decimal`` so that a literal such as ``37.807807921694092`` keeps the
    digits a float would round away (Ruler refuses to compare numbers a double cannot hold
    exactly). Duplicate keys keep the last value, as Ruler does for patterns.
    """
    return json.loads(text, parse_float=Decimal)


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """True when ``event`` matches ``pattern`` by EventBridge's rules.

    >>> matches({"detail": {"n": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"n": 5.0}})
    True
    """
    leaves = _flatten(event)
    return any(_sub_rule_matches(rule, leaves) for rule in _expand(pattern))


# ---------------------------------------------------------------------------------------------
# Pattern side: $or expansion into sub-rules.
# ---------------------------------------------------------------------------------------------


def _expand(pattern: Mapping[str, Any], prefix: str = "") -> list[SubRule]:
    """All sub-rules of ``pattern``: an ``$or`` multiplies the branches built so far.

    Keys are taken in order and a later key overwrites an earlier one of the same path, which is
    how Ruler resolves duplicate keys ("last one wins").
    """
    rules: list[SubRule] = [{}]
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            rules = [
                {**rule, **branch} for rule in rules for option in value for branch in _expand(option, prefix)
            ]
        elif isinstance(value, Mapping):
            rules = [{**rule, **sub} for rule in rules for sub in _expand(value, _join(prefix, key))]
        else:
            path = _join(prefix, key)
            rules = [{**rule, path: list(value)} for rule in rules]
    return rules


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


# ---------------------------------------------------------------------------------------------
# Event side: flattening with array membership.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    value: Any
    membership: tuple[tuple[int, int], ...]


def _flatten(event: Mapping[str, Any]) -> dict[str, list[_Leaf]]:
    """Map each dotted leaf path to its values, each tagged with the array elements it sits in.

    Only elements that are objects or arrays are recorded as memberships, as in Ruler's
    ``Event``: a scalar in an array cannot share that array with another field anyway.
    """
    out: dict[str, list[_Leaf]] = {}
    counter = itertools.count()

    def walk(node: Any, path: str, membership: tuple[tuple[int, int], ...]) -> None:
        if isinstance(node, Mapping):
            for key, child in node.items():
                walk(child, _join(path, key), membership)
        elif isinstance(node, list | tuple):
            array_id = next(counter)
            for index, element in enumerate(node):
                if isinstance(element, Mapping | list | tuple):
                    walk(element, path, (*membership, (array_id, index)))
                else:
                    walk(element, path, membership)
        else:
            out.setdefault(path, []).append(_Leaf(node, membership))

    for key, child in event.items():
        walk(child, key, ())
    return out


# ---------------------------------------------------------------------------------------------
# Sub-rule search: backtracking over the fields in Ruler's order.
# ---------------------------------------------------------------------------------------------


def _java_order(path: str) -> bytes:
    """Sort key equal to Java's ``String.compareTo`` (UTF-16 code units), which Ruler sorts by."""
    return path.encode("utf-16-be", "surrogatepass")


def _merge(so_far: Membership, leaf: _Leaf) -> Membership | None:
    """The combined membership, or None when the leaf sits in another element of a shared array."""
    merged = dict(so_far)
    for array_id, index in leaf.membership:
        if merged.setdefault(array_id, index) != index:
            return None
    return merged


def _sub_rule_matches(rule: SubRule, leaves: Mapping[str, list[_Leaf]]) -> bool:
    fields = sorted(rule.items(), key=lambda item: _java_order(item[0]))

    def search(position: int, membership: Membership) -> bool:
        if position == len(fields):
            return True
        path, alternatives = fields[position]
        candidates = leaves.get(path, [])
        if _wants_absence(alternatives):
            consistent = (leaf for leaf in candidates if _merge(membership, leaf) is not None)
            if next(consistent, None) is None and search(position + 1, membership):
                return True
        for leaf in candidates:
            merged = _merge(membership, leaf)
            if merged is None:
                continue
            accepted = any(_alternative_matches(alt, leaf.value) for alt in alternatives)
            if accepted and search(position + 1, merged):
                return True
        return False

    return search(0, {})


def _wants_absence(alternatives: Sequence[Any]) -> bool:
    return any(isinstance(alt, Mapping) and alt.get("exists") is False for alt in alternatives)


# ---------------------------------------------------------------------------------------------
# One alternative against one leaf value.
# ---------------------------------------------------------------------------------------------


def _alternative_matches(alt: Any, value: Any) -> bool:
    """Does one element of a pattern's value array accept one event leaf?"""
    if not isinstance(alt, Mapping):
        return _exact(alt, value)
    ((op, arg),) = alt.items()
    if op == "exists":
        return arg is True  # exists:false is handled as absence by the search, never by a value
    if op == "exactly":  # Ruler-only spelling of an exact string match
        return isinstance(value, str) and value == arg
    if op == "prefix":
        if isinstance(arg, Mapping):
            return isinstance(value, str) and _ignore_case(arg["equals-ignore-case"], value, "prefix")
        return isinstance(value, str) and value.startswith(arg)
    if op == "suffix":
        if isinstance(arg, Mapping):
            return isinstance(value, str) and _ignore_case(arg["equals-ignore-case"], value, "suffix")
        return isinstance(value, str) and value.endswith(arg)
    if op == "equals-ignore-case":
        return isinstance(value, str) and _ignore_case(arg, value, "full")
    if op == "wildcard":
        return isinstance(value, str) and _wildcard(arg, value)
    if op == "numeric":
        return _numeric(arg, value)
    if op == "cidr":
        return _in_cidr(arg, value)
    if op == "anything-but":
        return _anything_but(arg, value)
    raise ValueError(f"not a valid pattern operator: {op!r}")


def _exact(expected: Any, value: Any) -> bool:
    """Exact match of a literal: strings, numbers, booleans and null are distinct kinds.

    ``"5"`` never matches ``5``; ``true`` never matches ``"true"``. Numbers compare by value when
    both are exactly representable as doubles, else by their literal text (Ruler adds both a
    numeric-equals and a text matcher for a number). A string that is an IP address literal
    matches the same address written differently (Ruler compiles it to a one-address range).
    """
    if expected is None or isinstance(expected, bool):
        return value is expected
    if isinstance(expected, str):
        if not isinstance(value, str):
            return False
        if expected == value:
            return True
        left, right = _ip(expected), _ip(value)
        return left is not None and right is not None and left == right
    if _is_number(expected) and _is_number(value):
        a, b = _double(expected), _double(value)
        if a is not None and b is not None:
            return a == b
        return _number_text(expected) == _number_text(value)
    return False


def _anything_but(arg: Any, value: Any) -> bool:
    """``anything-but``: the leaf exists and is not one of the listed things.

    Only a value of the listed kind can be excluded: a number is never excluded by a string list
    (nor a string by a number list), and null/booleans are never excluded. A missing field has no
    leaf and so never matches. Arrays are judged element by element, any survivor matches.
    """
    if isinstance(arg, Mapping):
        ((op, listed),) = arg.items()
        items = listed if isinstance(listed, list) else [listed]
        if not isinstance(value, str):
            return True
        if op == "prefix":
            return not any(value.startswith(p) for p in items)
        if op == "suffix":
            return not any(value.endswith(s) for s in items)
        if op == "equals-ignore-case":
            return not any(_ignore_case(s, value, "full") for s in items)
        if op == "wildcard":
            return not any(_wildcard(w, value) for w in items)
        raise ValueError(f"not a valid anything-but operator: {op!r}")
    items = arg if isinstance(arg, list) else [arg]
    if isinstance(value, str):
        return value not in [item for item in items if isinstance(item, str)]
    if _is_number(value):
        mine = _double(value)
        if mine is None:
            return True
        return all(_double(item) != mine for item in items if _is_number(item))
    return True


# ---------------------------------------------------------------------------------------------
# Numbers: Ruler compares IEEE doubles, and only numbers a double holds exactly.
# ---------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _double(number: Any) -> float | None:
    """The number as a double, or None when a double cannot hold its decimal value exactly.

    Ruler (ComparableNumber) turns a literal into a double and refuses it unless the double's
    shortest decimal form equals the literal: ``37.807807921694092`` and ``1E-325`` are refused,
    ``300.0`` and ``1e2`` are not. A refused event number only matches by literal text.
    """
    exact = _decimal(number)
    if exact is None:
        return None
    try:
        as_float = float(exact)
    except (OverflowError, ValueError):
        return None
    if not math.isfinite(as_float) or Decimal(repr(as_float)) != exact:
        return None
    return as_float


def _decimal(number: Any) -> Decimal | None:
    try:
        if isinstance(number, float):
            return Decimal(repr(number))
        return Decimal(number)
    except (InvalidOperation, ValueError):
        return None


def _number_text(number: Any) -> str:
    return repr(number) if isinstance(number, float) else str(number)


_COMPARE = {
    "=": lambda v, b: v == b,
    "<": lambda v, b: v < b,
    "<=": lambda v, b: v <= b,
    ">": lambda v, b: v > b,
    ">=": lambda v, b: v >= b,
}


def _numeric(terms: Sequence[Any], value: Any) -> bool:
    """``numeric``: one or two ``(operator, bound)`` pairs, all must hold. Only JSON numbers match."""
    if not _is_number(value):
        return False
    mine = _double(value)
    if mine is None:
        return False
    for i in range(0, len(terms), 2):
        bound = _double(terms[i + 1])
        if bound is None or not _COMPARE[terms[i]](mine, bound):
            return False
    return True


# ---------------------------------------------------------------------------------------------
# Strings: IP addresses, case-insensitive forms, wildcards.
# ---------------------------------------------------------------------------------------------

_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _ip(text: str) -> _IPAddress | None:
    """The address a string spells, if Ruler would read it as an IP literal."""
    if not (_IPV4_SHAPE.fullmatch(text) or _IPV6_SHAPE.fullmatch(text)):
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _in_cidr(cidr: str, value: Any) -> bool:
    """``cidr``: a string leaf holding an address of the same family inside the block.

    Host bits set in the pattern are ignored: ``220.160.154.255/24`` covers ``220.160.154.0``.
    """
    if not isinstance(value, str):
        return False
    address = _ip(value)
    if address is None:
        return False
    network = ipaddress.ip_network(cidr, strict=False)
    return address.version == network.version and address in network


def _ignore_case(expected: str, value: str, anchor: str) -> bool:
    """Case-insensitive comparison the way Ruler builds it: per pattern character, the event must
    hold that character's lower-case or upper-case form (``Locale.ROOT``)."""
    regex = "".join(
        "(?:" + "|".join(re.escape(form) for form in sorted({ch.lower(), ch.upper()})) + ")"
        for ch in expected
    )
    if anchor == "full":
        return re.fullmatch(regex, value, re.DOTALL) is not None
    if anchor == "prefix":
        return re.match(regex, value, re.DOTALL) is not None
    return re.search(f"(?:{regex})\\Z", value, re.DOTALL) is not None


def _wildcard(expected: str, value: str) -> bool:
    """``*`` is any run of characters (also none); ``\\*`` is a star and ``\\\\`` a backslash."""
    return re.fullmatch("".join(_wildcard_regex(expected)), value, re.DOTALL) is not None


def _wildcard_regex(expected: str) -> Iterator[str]:
    chars = iter(expected)
    for ch in chars:
        if ch == "\\":
            yield re.escape(next(chars, "\\"))
        elif ch == "*":
            yield ".*"
        else:
            yield re.escape(ch)
