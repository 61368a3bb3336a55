"""Read an EventPattern exactly as AWS's streaming JSON parser sees it.

Python's ``json`` would silently lose two things AWS keeps: the literal text of numbers
(``1E-325`` is rejected by AWS, but is ``0.0`` as a float) and repeated keys (AWS applies
each occurrence in order). Objects therefore come back as ``Pairs`` (ordered key/value
lists, duplicates kept) and numbers as ``Num`` (the literal text).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from bus.patterns.errors import InvalidEventPattern

_MAX_DEPTH = 100


class Pairs(list[tuple[str, Any]]):
    """A JSON object as its ordered key/value pairs, duplicates included."""


class Num(str):
    """A JSON number kept as the text the client sent."""


def _reject_constant(name: str) -> Any:
    raise InvalidEventPattern(
        f"Non-standard token '{name}': enable `JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow"
    )


_TOKEN = re.compile(r"[A-Za-z0-9_$+\-.]+")


def _jackson_message(text: str, err: json.JSONDecodeError) -> str:
    """Phrase a syntax error the way Jackson (AWS's parser) words the common cases."""
    pos = err.pos
    ch = text[pos] if pos < len(text) else ""
    if not ch:
        return "Unexpected end-of-input"
    if err.msg.startswith("Expecting property name enclosed in double quotes"):
        if ch == "}":
            return "Unexpected character ('}' (code 125)): was expecting double-quote to start field name"
        return (
            f"Unexpected character ('{ch}' (code {ord(ch)})): was expecting double-quote to start field name"
        )
    if ch.isalpha():
        token = _TOKEN.match(text, pos)
        word = token.group(0) if token else ch
        return (
            f"Unrecognized token '{word}': was expecting "
            "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        )
    if err.msg.startswith("Expecting ',' delimiter"):
        entries = f"{_container_at(text, pos)} entries"
        return f"Unexpected character ('{ch}' (code {ord(ch)})): was expecting comma to separate {entries}"
    if err.msg.startswith("Expecting ':' delimiter"):
        colon = "a colon to separate field name and value"
        return f"Unexpected character ('{ch}' (code {ord(ch)})): was expecting {colon}"
    if err.msg.startswith("Extra data"):
        return (
            f"Unexpected character ('{ch}' (code {ord(ch)})): expected a valid value "
            "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
        )
    return f"Unexpected character ('{ch}' (code {ord(ch)})): {err.msg}"


def _brackets(text: str, end: int | None = None) -> Iterator[str]:
    """The brackets of ``text[:end]`` that stand outside JSON strings, in order."""
    in_string = escaped = False
    for ch in text if end is None else text[:end]:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{]}":
            yield ch


def _container_at(text: str, pos: int) -> str:
    """'Array' or 'Object': the innermost container open at ``pos``."""
    stack: list[str] = []
    for ch in _brackets(text, pos):
        if ch in "[{":
            stack.append("Array" if ch == "[" else "Object")
        elif stack:
            stack.pop()
    return stack[-1] if stack else "Object"


_NOT_OBJECT_START = re.compile(r'[\["\-0-9]|(?:true|false|null)(?![A-Za-z0-9_])')


def _depth_ok(text: str) -> bool:
    depth = deepest = 0
    for ch in _brackets(text):
        depth += 1 if ch in "[{" else -1
        deepest = max(deepest, depth)
    return deepest <= _MAX_DEPTH


_DECODER = json.JSONDecoder(
    object_pairs_hook=Pairs, parse_int=Num, parse_float=Num, parse_constant=_reject_constant
)


def parse_pattern_text(text: str | bytes) -> Any:
    """Parse pattern JSON into Pairs / list / str / Num / bool / None, or raise InvalidEventPattern."""
    if isinstance(text, bytes | bytearray):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidEventPattern("Invalid UTF-8 in event pattern") from exc
    if not isinstance(text, str):
        raise InvalidEventPattern("Filter is not an object")
    start = len(text) - len(text.lstrip(" \t\r\n"))
    if start == len(text) or _NOT_OBJECT_START.match(text, start):
        # AWS's parser stops at the first token when it does not open an object
        raise InvalidEventPattern("Filter is not an object")
    if not _depth_ok(text):
        raise InvalidEventPattern(f"Event pattern is nested deeper than {_MAX_DEPTH} levels")
    try:
        # raw_decode: like AWS's streaming parser, stop after the root value (trailing text is ignored)
        value, _ = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise InvalidEventPattern(_jackson_message(text, exc)) from None
    return value
