"""Which rules and archives an event on a bus reaches.

One PatternSet per bus holds the patterns of its ENABLED rules, so routing an event costs one
machine walk however many rules the bus has. Archives filter with their own pattern (or take
everything). Replayed events may be limited to some rules (StartReplay's FilterArns) and are
never archived again.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from bus.patterns import CompiledPattern, PatternSet, compile_pattern

__all__ = ["Router"]

_PATTERN_QUOTA = 4096  # validated at PutRule with the account's quota; stored patterns are trusted


class Router:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rules: dict[str, PatternSet] = {}
        self._archives: dict[str, dict[str, CompiledPattern | None]] = {}

    def set_rule(self, bus: str, rule: str, pattern: str | None, enabled: bool) -> None:
        """Route ``rule`` on ``bus`` when enabled with an event pattern; otherwise stop routing it."""
        with self._lock:
            rules = self._rules.setdefault(bus, PatternSet(max_length=_PATTERN_QUOTA))
            if enabled and pattern is not None:
                rules.add(rule, compile_pattern(pattern, max_length=_PATTERN_QUOTA))
            else:
                rules.remove(rule)

    def remove_rule(self, bus: str, rule: str) -> None:
        with self._lock:
            if bus in self._rules:
                self._rules[bus].remove(rule)

    def set_archive(self, bus: str, archive: str, pattern: str | None) -> None:
        with self._lock:
            compiled = compile_pattern(pattern, max_length=_PATTERN_QUOTA) if pattern else None
            self._archives.setdefault(bus, {})[archive] = compiled

    def remove_archive(self, archive: str) -> None:
        with self._lock:
            for archives in self._archives.values():
                archives.pop(archive, None)

    def drop_bus(self, bus: str) -> None:
        with self._lock:
            self._rules.pop(bus, None)
            self._archives.pop(bus, None)

    def rules_for(self, bus: str, envelope: dict[str, Any], only: Iterable[str] | None = None) -> set[str]:
        with self._lock:
            rules = self._rules.get(bus)
        if rules is None:
            return set()
        matched = rules.matching(envelope)
        return matched if only is None else matched & set(only)

    def archives_for(self, bus: str, envelope: dict[str, Any]) -> list[str]:
        with self._lock:
            archives = dict(self._archives.get(bus, {}))
        return [name for name, pattern in archives.items() if pattern is None or pattern.matches(envelope)]

    def prepare(self) -> None:
        with self._lock:
            for rules in self._rules.values():
                rules.prepare()
