"""Loader for the shared EventBridge conformance corpus (``../shared/conformance``).

The corpus is data recorded from AWS and from aws/event-ruler; its README gives the provenance.
Tests read it through this module so that every test sends exactly the same text: a pattern or
event stored as a JSON object is sent as ``json.dumps`` of it, one stored as a raw string (invalid
JSON, duplicate keys, numbers a float would change) is sent untouched.

A missing corpus is an error, not a reason to skip: a conformance suite that silently runs no
case is worse than one that fails.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from tests.support.reference_matcher import loads

__all__ = [
    "CorpusMissingError",
    "Expected",
    "PatternCase",
    "Source",
    "load_pattern_cases",
    "shared_dir",
]

PATTERNS_FILE = "event_patterns.jsonl"


class CorpusMissingError(FileNotFoundError):
    """The shared conformance corpus is not where the tests expect it."""


class Source(StrEnum):
    """Who vouches for a case's outcome, most trusted first."""

    LOCALSTACK = "localstack-aws-snapshot"  # recorded against real AWS
    RULER = "event-ruler"  # AWS's own matching engine
    MOTO = "moto"  # moto's beliefs, not AWS-verified


class Expected(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    INVALID_PATTERN = "invalid_pattern"


@dataclass(frozen=True)
class PatternCase:
    """One row of ``event_patterns.jsonl``, ready to send.

    ``pattern_text``/``event_text`` are the exact strings to hand to the engine. ``event_text`` is
    None for Ruler's compile-time rejections, which have no event.
    """

    id: str
    source: Source
    pattern_text: str
    event_text: str | None
    expected: Expected
    aws_error: str | None
    ruler_error: str | None
    tags: tuple[str, ...]

    def pattern(self) -> Any:
        """The pattern parsed for the reference matcher (numbers keep their literal digits)."""
        return loads(self.pattern_text)

    def event(self) -> Any:
        """The event parsed for the reference matcher; raises if the case has none."""
        if self.event_text is None:
            raise ValueError(f"{self.id} has no event")
        return loads(self.event_text)


def shared_dir() -> Path:
    """The shared directory: ``$CHOREO_SHARED``, else the repository root's sibling ``shared/``."""
    configured = os.environ.get("CHOREO_SHARED")
    path = Path(configured) if configured else Path(__file__).resolve().parents[2].parent / "shared"
    if not (path / "conformance").is_dir():
        raise CorpusMissingError(
            f"conformance corpus not found at {path / 'conformance'}; "
            "set CHOREO_SHARED to the directory that holds conformance/"
        )
    return path


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _message(error: Any) -> str | None:
    if isinstance(error, Mapping):
        message = error.get("message")
        return str(message) if message is not None else None
    return None if error is None else str(error)


def _case(row: Mapping[str, Any]) -> PatternCase:
    event = row.get("event")
    return PatternCase(
        id=row["id"],
        source=Source(row["source"]),
        pattern_text=_as_text(row["pattern"]),
        event_text=None if event is None else _as_text(event),
        expected=Expected(row["expected"]),
        aws_error=_message(row.get("aws_error")),
        ruler_error=_message(row.get("ruler_error")),
        tags=tuple(row.get("tags", ())),
    )


@cache
def load_pattern_cases() -> tuple[PatternCase, ...]:
    """Every case of ``event_patterns.jsonl``, in file order.

    >>> cases = load_pattern_cases()
    >>> cases[0].source, cases[0].expected
    (<Source.LOCALSTACK: 'localstack-aws-snapshot'>, <Expected.MATCH: 'match'>)
    """
    path = shared_dir() / "conformance" / PATTERNS_FILE
    if not path.is_file():
        raise CorpusMissingError(f"{path} is missing")
    with path.open(encoding="utf-8") as lines:
        cases = tuple(_case(json.loads(line)) for line in lines if line.strip())
    if not cases:
        raise CorpusMissingError(f"{path} holds no case")
    return cases
