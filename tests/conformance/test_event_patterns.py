"""The pattern engine against every case of the shared conformance corpus.

One test per corpus row (its id is the row id), through the public API only:
``compile_pattern(text).matches(event)`` and a ``PatternSet`` holding just that pattern must give
the recorded outcome, and an invalid pattern must raise ``InvalidEventPattern`` with AWS's own
message where AWS's message was recorded. A final test states the pass rates the project
promises: every AWS-recorded case, and at least 99.9% of all cases.

A corpus row we can show to be wrong goes into ``KNOWN_DISAGREEMENTS`` with its evidence; its test
then asserts the opposite outcome, so it still fails if the engine drifts.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Final

import pytest

from bus.patterns import InvalidEventPattern, PatternSet, compile_pattern
from tests.support.corpus import Expected, PatternCase, Source, load_pattern_cases

pytestmark = pytest.mark.conformance

# Corpus row id -> why the recorded outcome is wrong. Only with evidence a reviewer can check.
KNOWN_DISAGREEMENTS: Final[dict[str, str]] = {}

REQUIRED_RATE: Final[dict[Source | None, float]] = {
    Source.LOCALSTACK: 1.0,  # recorded against AWS: no exception
    None: 0.999,  # all sources together
}

CASES: Final = load_pattern_cases()
if unknown := set(KNOWN_DISAGREEMENTS) - {case.id for case in CASES}:
    raise LookupError(f"KNOWN_DISAGREEMENTS names rows the corpus does not have: {sorted(unknown)}")


def _expected(case: PatternCase) -> Expected:
    """The outcome to demand: the corpus's, unless we hold evidence that it is wrong."""
    if case.id not in KNOWN_DISAGREEMENTS:
        return case.expected
    flipped = {Expected.MATCH: Expected.NO_MATCH, Expected.NO_MATCH: Expected.MATCH}
    if case.expected not in flipped:
        raise ValueError(f"{case.id}: only match/no_match rows can be marked as disagreements")
    return flipped[case.expected]


def _first_line(message: str) -> str:
    """AWS appends a Jackson location line to some messages; the corpus records the first line."""
    return message.split("\n", 1)[0]


def _event_forms(case: PatternCase) -> list[str | bytes | dict[str, object]]:
    """The event as text and as UTF-8 bytes, and as a dict when that loses nothing (it was
    stored as an object, so no number or duplicate key is at stake)."""
    assert case.event_text is not None, f"{case.id}: a match/no_match case needs an event"
    forms: list[str | bytes | dict[str, object]] = [case.event_text, case.event_text.encode("utf-8")]
    parsed = json.loads(case.event_text)
    if isinstance(parsed, dict) and json.dumps(parsed) == case.event_text:
        forms.append(parsed)
    return forms


def check(case: PatternCase) -> None:
    """Assert the engine's verdict on one case; raises AssertionError on disagreement."""
    expected = _expected(case)
    if expected is Expected.INVALID_PATTERN:
        with pytest.raises(InvalidEventPattern) as raised:
            compile_pattern(case.pattern_text)
        if case.source is Source.LOCALSTACK and case.aws_error is not None:
            assert _first_line(str(raised.value)) == case.aws_error
        with pytest.raises(InvalidEventPattern):
            PatternSet().add("rule", case.pattern_text)
        return

    want = expected is Expected.MATCH
    pattern = compile_pattern(case.pattern_text)
    rules = PatternSet()
    rules.add("rule", case.pattern_text)
    for event in _event_forms(case):
        assert pattern.matches(event) is want, f"compile_pattern(...).matches({type(event).__name__})"
        assert rules.matching(event) == ({"rule"} if want else set()), "PatternSet.matching"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: PatternCase) -> None:
    check(case)


def test_pass_rates() -> None:
    """Per-source pass rates: a few isolated misses must not hide behind the per-case noise."""
    passed: Counter[Source | None] = Counter()
    total: Counter[Source | None] = Counter()
    failures: list[str] = []
    for case in CASES:
        total[case.source] += 1
        total[None] += 1
        try:
            check(case)
        except (Exception, pytest.fail.Exception) as failure:  # any error is a failed case here
            failures.append(f"{case.id}: {type(failure).__name__}")
            continue
        passed[case.source] += 1
        passed[None] += 1
    short = {
        "all" if source is None else source.value: f"{passed[source]}/{total[source]}"
        for source, required in REQUIRED_RATE.items()
        if passed[source] < required * total[source]
    }
    assert not short, f"pass rates below target: {short}; first failures: {failures[:20]}"
