"""Why an event does or does not match a pattern, in words a person can act on.

A pattern with ``$or`` has several branches; the event matches when any branch does. For a
miss we report the branch that came closest (fewest failing fields), each failing field with
what was expected and what the event held, so ``choreo test-pattern`` and the console can say
"detail.total: expected a number >= 100, found 42" instead of just "no".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bus.patterns._compiler import Condition, SubRule, compile_text
from bus.patterns._event import as_event, leaves_of
from bus.patterns._flatten import Flattener, Leaves
from bus.patterns._machine import Machine

__all__ = ["Explanation", "FieldCheck", "explain"]


@dataclass(frozen=True, slots=True)
class FieldCheck:
    """One field of one branch: what the pattern wants there and what the event has."""

    path: str
    ok: bool
    expected: str
    found: tuple[Any, ...]

    @property
    def reason(self) -> str:
        shown = ", ".join(json.dumps(v) for v in self.found) if self.found else "nothing (field is absent)"
        return f"{self.path}: expected {self.expected}; found {shown}"

    def __str__(self) -> str:
        return ("ok   " if self.ok else "FAIL ") + self.reason


@dataclass(frozen=True, slots=True)
class Explanation:
    matched: bool
    branches: tuple[tuple[FieldCheck, ...], ...]
    closest: int
    """Index of the branch that matched, or of the one with the fewest failing fields."""
    array_inconsistent: bool
    """Every field of the closest branch is satisfied, but only by different elements of one array."""

    @property
    def failures(self) -> tuple[FieldCheck, ...]:
        return tuple(c for c in self.branches[self.closest] if not c.ok)

    def __str__(self) -> str:
        lines = ["MATCH" if self.matched else "NO MATCH"]
        if len(self.branches) > 1:
            lines.append(f"($or branch {self.closest + 1} of {len(self.branches)})")
        lines.extend(f"  {check}" for check in self.branches[self.closest])
        if self.array_inconsistent:
            lines.append(
                "  every field has a matching value, but not within one element of the same array "
                "(EventBridge requires fields of a pattern to match inside the same array element)"
            )
        return "\n".join(lines)


def _expected(cond: Condition) -> str:
    parts = [m.describe() for m in cond.matchers]
    if cond.absent_ok:
        parts.append("no value (exists: false)")
    return " or ".join(parts)


def _check(cond: Condition, leaves: Leaves) -> FieldCheck:
    values = tuple(v for v, _, _ in leaves.get(cond.path, ()))
    ok = any(m.test(v) for m in cond.matchers for v in values) or (cond.absent_ok and not values)
    return FieldCheck(cond.path, ok, _expected(cond), values)


def _branch_matches(sub: SubRule, event: dict[str, Any]) -> bool:
    machine = Machine()
    machine.add("branch", (sub,))
    return bool(leaves_of(machine.matching, event))


def explain(pattern: str | bytes | Any, event: dict[str, Any] | str | bytes) -> Explanation:
    """Explain ``pattern`` (text or CompiledPattern) against ``event``; raises InvalidEventPattern."""
    subrules: tuple[SubRule, ...] = (
        pattern.subrules if hasattr(pattern, "subrules") else compile_text(pattern)
    )
    doc = as_event(event)
    branches = []
    for sub in subrules:
        leaves = leaves_of(Flattener([c.path for c in sub.conditions]).leaves, doc)
        branches.append(tuple(_check(c, leaves) for c in sub.conditions))
    matches = [_branch_matches(sub, doc) for sub in subrules]
    if any(matches):
        closest = matches.index(True)
    else:
        closest = min(range(len(branches)), key=lambda i: sum(not c.ok for c in branches[i]))
    inconsistent = not matches[closest] and all(c.ok for c in branches[closest])
    return Explanation(any(matches), tuple(branches), closest, inconsistent)
