"""EventBridge event patterns: AWS's language and validation, compiled once, matched fast.

>>> p = compile_pattern('{"source": ["com.acme.orders"], "detail": {"total": [{"numeric": [">=", 100]}]}}')
>>> p.matches({"source": "com.acme.orders", "detail": {"total": 250}})
True
>>> s = PatternSet()
>>> s.add("big-orders", '{"detail": {"total": [{"numeric": [">=", 100]}]}}')
>>> s.add("eu", '{"detail": {"country": ["DE", "FR"]}}')
>>> sorted(s.matching('{"detail": {"total": 120, "country": "DE"}}'))
['big-orders', 'eu']
"""

from __future__ import annotations

from typing import Any

from bus.patterns._compiler import DEFAULT_MAX_LENGTH, SubRule, compile_text
from bus.patterns._event import InvalidEvent, as_event, leaves_of
from bus.patterns._explain import Explanation, FieldCheck, explain
from bus.patterns._machine import Machine
from bus.patterns.errors import InvalidEventPattern

__all__ = [
    "CompiledPattern",
    "Explanation",
    "FieldCheck",
    "InvalidEvent",
    "InvalidEventPattern",
    "PatternSet",
    "compile_pattern",
    "explain",
]

Event = dict[str, Any] | str | bytes


class CompiledPattern:
    """A validated pattern; ``text`` is exactly what the client sent."""

    __slots__ = ("_machine", "subrules", "text")

    def __init__(self, text: str, subrules: tuple[SubRule, ...]) -> None:
        self.text = text
        self.subrules = subrules
        self._machine = Machine()
        self._machine.add("", subrules)

    def matches(self, event: Event) -> bool:
        return bool(leaves_of(self._machine.matching, as_event(event)))

    def __repr__(self) -> str:
        return f"CompiledPattern({self.text!r})"


def compile_pattern(text: str | bytes, *, max_length: int = DEFAULT_MAX_LENGTH) -> CompiledPattern:
    """Validate like AWS (raising InvalidEventPattern with AWS's message) and compile.

    ``max_length`` is the account's event-pattern size quota: 2,048 by default, up to 4,096.
    """
    subrules = compile_text(text, max_length=max_length)
    return CompiledPattern(text if isinstance(text, str) else bytes(text).decode("utf-8"), subrules)


class PatternSet:
    """Named patterns (a bus's rules) matched together in one machine."""

    def __init__(self, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
        self._machine = Machine()
        self._patterns: dict[str, CompiledPattern] = {}
        self._max_length = max_length

    def add(self, name: str, text: str | bytes | CompiledPattern) -> None:
        """Add or replace the pattern called ``name``; raises InvalidEventPattern and then changes nothing."""
        pattern = (
            text if isinstance(text, CompiledPattern) else compile_pattern(text, max_length=self._max_length)
        )
        self._machine.add(name, pattern.subrules)
        self._patterns[name] = pattern

    def remove(self, name: str) -> None:
        """Forget ``name``; unknown names are ignored, as deleting a deleted rule is."""
        self._machine.remove(name)
        self._patterns.pop(name, None)

    def prepare(self) -> None:
        """Do now the indexing that adds and removes defer to the next match.

        Indexes are rebuilt lazily, so loading thousands of rules stays linear; call this after a
        bulk load so the first events do not pay for it.
        """
        self._machine.prepare()

    def matching(self, event: Event) -> set[str]:
        """Names of all patterns the event matches."""
        return leaves_of(self._machine.matching, as_event(event))

    def get(self, name: str) -> CompiledPattern | None:
        return self._patterns.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._patterns

    def __len__(self) -> int:
        return len(self._patterns)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._patterns)
