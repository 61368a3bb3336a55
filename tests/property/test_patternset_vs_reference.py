"""Differential tests: the compiled engine must agree with the brute-force reference matcher.

The reference (``tests/support/reference_matcher.py``) interprets a pattern dict directly, one
rule at a time; the engine compiles patterns once and indexes a whole set of them. Hypothesis
draws valid patterns and events shaped like them (``tests/support/strategies.py``), so that both
outcomes, ``$or`` expansions, arrays of objects and absent fields all come up often. Any
disagreement is a bug in one of the two, and the shrunk example says which rule to read.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from bus.patterns import PatternSet, compile_pattern
from tests.support import reference_matcher as reference
from tests.support.strategies import pattern_and_event, pattern_sets

# Sized so the whole module stays well under 30 s on the CI machine.
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SETS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _expected(named: dict[str, Any], event: Any) -> set[str]:
    return {name for name, pattern in named.items() if reference.matches(pattern, event)}


def _build(named: dict[str, Any]) -> PatternSet:
    rules = PatternSet()
    for name, pattern in named.items():
        rules.add(name, json.dumps(pattern))
    return rules


@FAST
@given(pattern_and_event(), st.booleans())
def test_compiled_pattern_agrees_with_reference(pair: tuple[Any, Any], as_text: bool) -> None:
    pattern, event = pair
    expected = reference.matches(pattern, event)
    compiled = compile_pattern(json.dumps(pattern))
    assert compiled.matches(json.dumps(event) if as_text else event) is expected


@SETS
@given(pattern_sets())
def test_pattern_set_agrees_with_reference(case: tuple[dict[str, Any], Any]) -> None:
    named, event = case
    expected = _expected(named, event)
    assert _build(named).matching(event) == expected
    for name, pattern in named.items():
        assert compile_pattern(json.dumps(pattern)).matches(event) is (name in expected), name


@SETS
@given(pattern_sets(), st.data())
def test_removed_patterns_stop_matching(case: tuple[dict[str, Any], Any], data: st.DataObject) -> None:
    named, event = case
    # A twin (same pattern, another name) must survive the removal of its sibling.
    twin_of = data.draw(st.sampled_from(sorted(named)))
    named = {**named, "twin": named[twin_of]}
    removed = data.draw(st.sets(st.sampled_from(sorted(named))))
    rules = _build(named)
    for name in sorted(removed):
        rules.remove(name)
    remaining = {name: pattern for name, pattern in named.items() if name not in removed}
    assert rules.matching(event) == _expected(remaining, event)


def test_generator_reaches_both_outcomes() -> None:
    """Guards the guards: a generator whose events never (or always) match would test nothing."""
    quick = settings(max_examples=500, database=None, deadline=None)
    find(pattern_and_event(), lambda pair: reference.matches(*pair), settings=quick)
    find(pattern_and_event(), lambda pair: not reference.matches(*pair), settings=quick)
