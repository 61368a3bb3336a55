"""Hypothesis strategies for valid EventBridge patterns and for events likely to match them.

Random patterns and random events almost never meet, so a differential test built on them would
compare ``False`` with ``False`` forever. Two choices keep the outcomes mixed:

* patterns and events share one small vocabulary (keys ``a``-``e``, a pool of values with
  numbers, ``null``, ``""``, IP addresses and mixed-case strings);
* :func:`events_for` builds an event by walking a pattern: each field gets, most of the time, a
  value derived from one of its alternatives (a string with the right prefix, a number inside
  the range, an address inside the block), sometimes a random one, sometimes nothing; objects
  are sometimes wrapped in arrays whose elements are built separately, which is what makes array
  consistency matter.

Patterns respect AWS's validity rules so that the engine must accept every one of them: no empty
arrays or objects, ``numeric`` ranges with bottom < top, ``anything-but`` lists all strings or all
numbers, non-empty ``anything-but`` prefixes and suffixes, no ``**`` in wildcards, at least two
branches per ``$or``, and no path given twice in one sub-rule.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "KEYS",
    "events",
    "events_for",
    "pattern_and_event",
    "pattern_sets",
    "patterns",
]

JSONObject = dict[str, Any]

KEYS = ("a", "b", "c", "d", "e")
BIG_INT = 123456789012345678  # no double holds it: such numbers only match by their text

STRINGS = (
    "",
    "x",
    "X",
    "xy",
    "Xy",
    "xY",
    "ab",
    "AB",
    "a*b",
    "a\\b",
    "é",
    "É",
    "10.0.0.1",
    "10.0.1.255",
    "2001:db8::1",
    "2001:DB8:0:0::1",
    "x.y",
)
NUMBERS = (0, 1, 3, -2, 0.5, 1.5, 100, 100.0, BIG_INT)
SCALARS: tuple[Any, ...] = (*STRINGS, *NUMBERS, None, True, False)

PREFIXES = ("x", "X", "a", "10.", "2001", "")
SUFFIXES = ("y", "Y", "b", ".1", "")
WILDCARDS = ("*", "x*", "*y", "X*", "a\\*b", "a\\\\*", "*.*", "", "10.*", "x*y")
CIDRS = ("10.0.0.0/24", "10.0.0.5/8", "10.0.1.0/24", "2001:db8::/32", "2001:db8:1::/48")
SMALL_NUMBERS = (0, 1, 3, -2, 0.5, 1.5, 100)

scalars = st.sampled_from(SCALARS)
strings = st.sampled_from(STRINGS)


# ---------------------------------------------------------------------------------------------
# Pattern leaves: one strategy per operator, each valid on its own.
# ---------------------------------------------------------------------------------------------


def _ignore_case_or(plain: tuple[str, ...]) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(plain), st.sampled_from(plain).map(lambda s: {"equals-ignore-case": s}))


@st.composite
def _numeric(draw: st.DrawFn) -> JSONObject:
    shape = draw(st.sampled_from(("=", "one", "range")))
    if shape == "=":
        return {"numeric": ["=", draw(st.sampled_from(SMALL_NUMBERS))]}
    if shape == "one":
        return {
            "numeric": [draw(st.sampled_from(("<", "<=", ">", ">="))), draw(st.sampled_from(SMALL_NUMBERS))]
        }
    low, high = sorted(draw(st.lists(st.sampled_from(SMALL_NUMBERS), min_size=2, max_size=2, unique=True)))
    return {"numeric": [draw(st.sampled_from((">", ">="))), low, draw(st.sampled_from(("<", "<="))), high]}


def _one_or_list(pool: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(pool, st.lists(pool, min_size=1, max_size=3, unique=True))


_anything_but = st.one_of(
    _one_or_list(strings),
    _one_or_list(st.sampled_from(SMALL_NUMBERS)),
    st.fixed_dictionaries({"prefix": _one_or_list(st.sampled_from([p for p in PREFIXES if p]))}),
    st.fixed_dictionaries({"suffix": _one_or_list(st.sampled_from([s for s in SUFFIXES if s]))}),
    st.fixed_dictionaries({"equals-ignore-case": _one_or_list(strings)}),
    st.fixed_dictionaries({"wildcard": _one_or_list(st.sampled_from(WILDCARDS))}),
).map(lambda arg: {"anything-but": arg})

alternatives: st.SearchStrategy[Any] = st.one_of(
    scalars,
    _ignore_case_or(PREFIXES).map(lambda p: {"prefix": p}),
    _ignore_case_or(SUFFIXES).map(lambda s: {"suffix": s}),
    strings.map(lambda s: {"equals-ignore-case": s}),
    st.sampled_from(WILDCARDS).map(lambda w: {"wildcard": w}),
    _numeric(),
    st.sampled_from(CIDRS).map(lambda c: {"cidr": c}),
    st.booleans().map(lambda b: {"exists": b}),
    _anything_but,
)

leaves = st.lists(alternatives, min_size=1, max_size=3)


# ---------------------------------------------------------------------------------------------
# Patterns: nested objects and $or, no path repeated within a sub-rule.
# ---------------------------------------------------------------------------------------------


@st.composite
def _object(
    draw: st.DrawFn, depth: int, avoid: frozenset[str] = frozenset(), or_budget: int = 2, nested: bool = False
) -> JSONObject:
    """A pattern object whose keys avoid ``avoid`` (keys a sibling ``$or`` branch already uses).

    A nested object more often has two or three fields: under an event array of objects, that is
    where array consistency decides the outcome.
    """
    free = [k for k in KEYS if k not in avoid]
    most = min(3 if nested else 2, len(free))
    keys = draw(
        st.lists(st.sampled_from(free), min_size=min(2, most) if nested else 1, max_size=most, unique=True)
    )
    use_or = or_budget > 0 and len(free) - len(keys) >= 1 and draw(st.integers(0, 4)) == 4
    out: JSONObject = {}
    for key in keys:
        if depth > 0 and draw(st.booleans()):
            out[key] = draw(_object(depth - 1, or_budget=or_budget - 1, nested=True))
        else:
            out[key] = draw(leaves)
    if use_or:
        taken = frozenset(keys) | avoid
        out["$or"] = draw(
            st.lists(_object(max(depth - 1, 0), avoid=taken, or_budget=or_budget - 1), min_size=2, max_size=3)
        )
        if draw(st.booleans()):  # "$or" may come first, too
            out = {"$or": out.pop("$or"), **out}
    return out


MAX_PATTERN_LENGTH = 2048  # AWS's default quota on an EventPattern's length
MAX_STARS = 4  # few wildcards per pattern: AWS rejects "too complex" ones, at a threshold it keeps private


def _stars(node: Any) -> int:
    """Unescaped ``*`` in all the pattern's wildcard values (``anything-but`` ones included)."""
    if isinstance(node, list):
        return sum(_stars(item) for item in node)
    if not isinstance(node, dict):
        return 0
    total = 0
    for key, value in node.items():
        if key == "wildcard":
            for text in value if isinstance(value, list) else [value]:
                total += sum(1 for token in re.findall(r"\\.|\*", text) if token == "*")
        else:
            total += _stars(value)
    return total


def _acceptable(pattern: JSONObject) -> bool:
    return len(json.dumps(pattern)) <= MAX_PATTERN_LENGTH and _stars(pattern) <= MAX_STARS


def patterns(max_depth: int = 2) -> st.SearchStrategy[JSONObject]:
    """Valid patterns over the shared vocabulary, with nesting and ``$or``."""
    return _object(max_depth).filter(_acceptable)


# ---------------------------------------------------------------------------------------------
# Events.
# ---------------------------------------------------------------------------------------------


def events() -> st.SearchStrategy[JSONObject]:
    """Unguided events over the same vocabulary (arrays of objects, empty arrays, dotted keys)."""
    keys = st.sampled_from((*KEYS, "a.b", "c.d"))
    values: st.SearchStrategy[Any] = st.recursive(
        scalars | st.just([]),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, min_size=1, max_size=3),
        max_leaves=8,
    )
    return st.dictionaries(keys, values, max_size=4)


def _unescape_wildcard(wildcard: str, filler: str) -> str:
    return re.sub(r"\\(.)|\*", lambda m: m.group(1) if m.group(1) else filler, wildcard)


def _address_in(cidr: str, offset: int) -> str:
    network = ipaddress.ip_network(cidr, strict=False)
    return str(network[min(offset, network.num_addresses - 1)])


@st.composite
def _value_for(draw: st.DrawFn, alternative: Any) -> Any:
    """A value that probably satisfies ``alternative`` (or a random one from the pool)."""
    if draw(st.integers(0, 7)) == 7:
        return draw(scalars)
    if not isinstance(alternative, dict):
        return alternative
    ((op, arg),) = alternative.items()
    filler = draw(st.sampled_from(("", "z", "Zz", "y")))
    if op in ("prefix", "suffix", "equals-ignore-case"):
        text = arg["equals-ignore-case"] if isinstance(arg, dict) else arg
        if isinstance(arg, dict) or op == "equals-ignore-case":
            text = text.swapcase() if draw(st.booleans()) else text
        return {"prefix": text + filler, "suffix": filler + text}.get(op, text)
    if op == "wildcard":
        return _unescape_wildcard(arg, filler)
    if op == "numeric":
        if len(arg) == 4 and draw(st.booleans()):
            return (arg[1] + arg[3]) / 2
        bound = arg[1] if len(arg) == 2 else draw(st.sampled_from((arg[1], arg[3])))
        return bound + draw(st.sampled_from((0, 0, 0.5, -0.5, 1, -1)))
    if op == "cidr":
        return _address_in(arg, draw(st.sampled_from((0, 1, 255, 256, 1 << 20))))
    return draw(scalars)  # exists, anything-but: any value, usually not the excluded one


@st.composite
def _leaf_value(draw: st.DrawFn, alternatives_: list[Any]) -> Any:
    picked = [draw(_value_for(draw(st.sampled_from(alternatives_)))) for _ in range(draw(st.integers(1, 2)))]
    shape = draw(st.integers(0, 9))
    if shape == 9:
        return []  # present as a key, but holding no value at all
    return picked[0] if len(picked) == 1 and shape <= 5 else picked


@st.composite
def _object_for(draw: st.DrawFn, pattern: JSONObject) -> JSONObject:
    out: JSONObject = {}
    for key, value in pattern.items():
        if key == "$or":
            for branch in draw(st.lists(st.sampled_from(value), min_size=1, max_size=len(value))):
                for k, v in draw(_object_for(branch)).items():
                    out.setdefault(k, v)
            continue
        # Hypothesis favours draws of 0 (and shrinks towards them): 0 must mean "present, plain".
        roll = draw(st.integers(0, 9))
        if roll == 9 or (roll >= 6 and _allows_absence(value)):
            continue  # leave the field out
        if isinstance(value, dict):
            if roll == 7:  # an array of objects, each element built on its own
                out[key] = draw(st.lists(_object_for(value), min_size=1, max_size=3))
            elif roll in (5, 6):  # an array whose elements each hold some of the fields
                out[key] = [draw(_object_for(part)) for part in draw(_split(value))]
            elif roll == 4:  # the same fields under dotted keys: {"a.b": 1} is {"a": {"b": 1}}
                for inner_key, inner in draw(_object_for(value)).items():
                    out.setdefault(f"{key}.{inner_key}", inner)
            else:
                out[key] = draw(_object_for(value))
        else:
            out[key] = draw(_leaf_value(value))
    if draw(st.integers(0, 3)) == 3:  # some noise beside the pattern's fields
        out.setdefault(draw(st.sampled_from(KEYS)), draw(scalars))
    return out


def _allows_absence(value: Any) -> bool:
    return isinstance(value, list) and any(alt == {"exists": False} for alt in value)


@st.composite
def _split(draw: st.DrawFn, pattern: JSONObject) -> list[JSONObject]:
    """The pattern's fields dealt into two or three groups (one array element each)."""
    keys = list(pattern)
    groups: list[JSONObject] = [{} for _ in range(draw(st.integers(2, 3)))]
    for key in keys:
        groups[draw(st.integers(0, len(groups) - 1))][key] = pattern[key]
    return [group for group in groups if group] or [pattern]


def events_for(pattern: JSONObject) -> st.SearchStrategy[JSONObject]:
    """Events shaped like ``pattern``, about half of which match it."""
    return _object_for(pattern)


@st.composite
def pattern_and_event(draw: st.DrawFn) -> tuple[JSONObject, JSONObject]:
    """A pattern and an event: usually shaped like the pattern, sometimes unrelated."""
    pattern = draw(patterns())
    event = draw(events() if draw(st.integers(0, 9)) == 9 else events_for(pattern))
    return pattern, event


@st.composite
def pattern_sets(draw: st.DrawFn, max_size: int = 6) -> tuple[dict[str, JSONObject], JSONObject]:
    """Named patterns and one event shaped like one or two of them."""
    named = {f"rule-{i}": p for i, p in enumerate(draw(st.lists(patterns(), min_size=1, max_size=max_size)))}
    guides = draw(st.lists(st.sampled_from(sorted(named)), min_size=1, max_size=2, unique=True))
    event: JSONObject = {}
    for name in guides:
        for key, value in draw(events_for(named[name])).items():
            event.setdefault(key, value)
    return named, event
