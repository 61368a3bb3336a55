"""Compatibility of two versions of one contract: every change named, with what it breaks.

Readers are tolerant (they ignore fields they do not know, as pydantic's default and every
EventBridge consumer do), writers write the fields their schema declares. So, with ``old`` and
``new`` the previous and the next version of ``detail``:

- BACKWARD breaks when a consumer already on ``new`` cannot read an event written with ``old``:
  a new required field, a field made required, a narrowed type or enum, a tightened format or
  constraint, a content model closed.
- FORWARD breaks when a consumer still on ``old`` cannot read an event written with ``new``: a
  field removed or made optional (old consumers read it), a widened type or enum, a loosened
  constraint.
- A rename is a removal plus an addition of the same schema under another name; it is reported
  once, as a rename, with what both break.

``diff(old_document, new_document)`` returns the changes; ``Change.breaks`` says which modes each
one violates.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bus.schemas._paths import ALL_TYPES, types_of
from events.contracts import Compatibility, detail_schema, resolve

__all__ = ["Break", "Change", "ChangeKind", "diff"]

Json = dict[str, Any]
_IGNORED = frozenset({"description", "title", "example", "examples", "default", "$comment"})


class Break(enum.Flag):
    NONE = 0
    BACKWARD = enum.auto()
    FORWARD = enum.auto()
    BOTH = BACKWARD | FORWARD

    def violates(self, mode: Compatibility) -> bool:
        if mode is Compatibility.BACKWARD:
            return Break.BACKWARD in self
        if mode is Compatibility.FORWARD:
            return Break.FORWARD in self
        if mode is Compatibility.FULL:
            return self is not Break.NONE
        return False


class ChangeKind(enum.StrEnum):
    FIELD_ADDED = "optional field added"
    REQUIRED_FIELD_ADDED = "required field added"
    FIELD_REMOVED = "field removed"
    FIELD_RENAMED = "field renamed"
    MADE_REQUIRED = "field made required"
    MADE_OPTIONAL = "field made optional"
    TYPE_CHANGED = "type changed"
    TYPE_NARROWED = "type narrowed"
    TYPE_WIDENED = "type widened"
    ENUM_NARROWED = "enum narrowed"
    ENUM_WIDENED = "enum widened"
    FORMAT_TIGHTENED = "format added or changed"
    FORMAT_LOOSENED = "format removed"
    CONSTRAINT_TIGHTENED = "constraint tightened"
    CONSTRAINT_LOOSENED = "constraint loosened"
    CONSTRAINT_CHANGED = "constraint changed"
    CONTENT_CLOSED = "additional properties forbidden"
    CONTENT_OPENED = "additional properties allowed"
    COMPOSITION_CHANGED = "oneOf/anyOf/allOf/not changed"


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    path: str  # below detail, arrays as ``items[]``: ``data.items[].qty``
    detail: str
    breaks: Break

    def as_json(self) -> Json:
        return {
            "kind": self.kind.name,
            "path": self.path,
            "detail": self.detail,
            "breaks": [b.name for b in (Break.BACKWARD, Break.FORWARD) if b in self.breaks],
        }


def diff(old_document: Json, new_document: Json) -> list[Change]:
    """Every change from the ``detail`` of one registry document to another's, in path order."""
    old, old_named = detail_schema(old_document)
    new, new_named = detail_schema(new_document)
    walker = _Walker(old_named, new_named)
    walker.compare(old, new, "")
    return sorted(walker.changes, key=lambda c: (c.path, c.kind.name, c.detail))


class _Walker:
    def __init__(self, old_named: Mapping[str, Json], new_named: Mapping[str, Json]) -> None:
        self.old_named = old_named
        self.new_named = new_named
        self.changes: list[Change] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, kind: ChangeKind, path: str, detail: str, breaks: Break) -> None:
        self.changes.append(Change(kind, path or "(detail)", detail, breaks))

    def compare(self, old_ref: Json, new_ref: Json, path: str) -> None:
        if "$ref" in old_ref and "$ref" in new_ref:
            # a pair of named schemas is compared once, at its first path: recursion ends, and a
            # shared schema's change is reported once
            key = (str(old_ref["$ref"]), str(new_ref["$ref"]))
            if key in self._seen:
                return
            self._seen.add(key)
        old = resolve(old_ref, self.old_named)
        new = resolve(new_ref, self.new_named)
        if not self._types(old, new, path):
            return  # unrelated types: what is inside cannot be compared
        self._enum(old, new, path)
        self._format(old, new, path)
        self._constraints(old, new, path)
        for word in ("oneOf", "anyOf", "allOf", "not"):
            if _strip(old.get(word)) != _strip(new.get(word)):
                self.add(ChangeKind.COMPOSITION_CHANGED, path, f"{word} differs", Break.BOTH)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            self.compare(old["items"], new["items"], f"{path}[]")
        self._object(old, new, path)

    # -- types -------------------------------------------------------------------------------
    def _types(self, old: Json, new: Json, path: str) -> bool:
        before, after = types_of(old), types_of(new)
        if before == after:
            return True
        backward_ok = _accepts(after, before)  # new reader, old writer
        forward_ok = _accepts(before, after)
        shown = f"{_show(before)} -> {_show(after)}"
        if backward_ok:
            self.add(ChangeKind.TYPE_WIDENED, path, shown, Break.FORWARD)
        elif forward_ok:
            self.add(ChangeKind.TYPE_NARROWED, path, shown, Break.BACKWARD)
        else:
            self.add(ChangeKind.TYPE_CHANGED, path, shown, Break.BOTH)
        return backward_ok or forward_ok

    def _enum(self, old: Json, new: Json, path: str) -> None:
        before, after = _enum(old), _enum(new)
        if before == after:
            return
        if after is not None and (before is None or not before <= after):
            removed = "any value" if before is None else ", ".join(sorted(map(json.dumps, before - after)))
            self.add(ChangeKind.ENUM_NARROWED, path, f"no longer allowed: {removed}", Break.BACKWARD)
        if before is not None and (after is None or not after <= before):
            added = "any value" if after is None else ", ".join(sorted(map(json.dumps, after - before)))
            self.add(ChangeKind.ENUM_WIDENED, path, f"newly allowed: {added}", Break.FORWARD)

    def _format(self, old: Json, new: Json, path: str) -> None:
        before, after = old.get("format"), new.get("format")
        if before == after:
            return
        if after is None:
            self.add(ChangeKind.FORMAT_LOOSENED, path, f"format {before} removed", Break.FORWARD)
        elif before is None:
            self.add(ChangeKind.FORMAT_TIGHTENED, path, f"format {after} added", Break.BACKWARD)
        else:
            self.add(ChangeKind.FORMAT_TIGHTENED, path, f"format {before} -> {after}", Break.BOTH)

    def _constraints(self, old: Json, new: Json, path: str) -> None:
        for word, tighter in _BOUNDS.items():
            before, after = old.get(word), new.get(word)
            if before == after:
                continue
            shown = f"{word} {_plain(before)} -> {_plain(after)}"
            if tighter(before, after):
                self.add(ChangeKind.CONSTRAINT_TIGHTENED, path, shown, Break.BACKWARD)
            elif tighter(after, before):
                self.add(ChangeKind.CONSTRAINT_LOOSENED, path, shown, Break.FORWARD)
            else:
                self.add(ChangeKind.CONSTRAINT_CHANGED, path, shown, Break.BOTH)

    # -- objects -----------------------------------------------------------------------------
    def _object(self, old: Json, new: Json, path: str) -> None:
        old_props: Mapping[str, Json] = old.get("properties") or {}
        new_props: Mapping[str, Json] = new.get("properties") or {}
        old_required = set(old.get("required") or ())
        new_required = set(new.get("required") or ())
        prefix = f"{path}." if path else ""
        removed = [name for name in old_props if name not in new_props]
        added = [name for name in new_props if name not in old_props]
        for name in removed:
            partner = next((a for a in added if self._same(old_props[name], new_props[a])), None)
            if partner is not None:
                added.remove(partner)
                breaks = Break.FORWARD | (Break.BACKWARD if partner in new_required else Break.NONE)
                self.add(ChangeKind.FIELD_RENAMED, prefix + name, f"renamed to {partner}", breaks)
            else:
                was = "required" if name in old_required else "optional"
                self.add(ChangeKind.FIELD_REMOVED, prefix + name, f"{was} field removed", Break.FORWARD)
        for name in added:
            if name in new_required:
                self.add(ChangeKind.REQUIRED_FIELD_ADDED, prefix + name, "new required field", Break.BACKWARD)
            else:
                self.add(ChangeKind.FIELD_ADDED, prefix + name, "new optional field", Break.NONE)
        for name in old_props:
            if name not in new_props:
                continue
            if name in new_required and name not in old_required:
                self.add(ChangeKind.MADE_REQUIRED, prefix + name, "optional -> required", Break.BACKWARD)
            elif name in old_required and name not in new_required:
                self.add(ChangeKind.MADE_OPTIONAL, prefix + name, "required -> optional", Break.FORWARD)
            self.compare(old_props[name], new_props[name], prefix + name)
        for name in sorted(new_required - old_required - set(new_props)):
            self.add(
                ChangeKind.REQUIRED_FIELD_ADDED, prefix + name, "required without a schema", Break.BACKWARD
            )
        closed_before = old.get("additionalProperties") is False
        closed_after = new.get("additionalProperties") is False
        if closed_after and not closed_before:
            self.add(ChangeKind.CONTENT_CLOSED, path, "additionalProperties: false", Break.BACKWARD)
        elif closed_before and not closed_after:
            self.add(ChangeKind.CONTENT_OPENED, path, "additionalProperties allowed", Break.FORWARD)
        if isinstance(old.get("additionalProperties"), dict) and isinstance(
            new.get("additionalProperties"), dict
        ):
            self.compare(old["additionalProperties"], new["additionalProperties"], f"{prefix}*")

    def _same(self, old: Json, new: Json) -> bool:
        """Whether two field schemas are the same apart from documentation: a rename candidate."""
        probe = _Walker(self.old_named, self.new_named)
        probe.compare(old, new, "")
        return not probe.changes


# -- helpers -----------------------------------------------------------------------------------
def _accepts(reader: frozenset[str], writer: frozenset[str]) -> bool:
    return writer <= reader


def _show(types: frozenset[str]) -> str:
    if types == ALL_TYPES:
        return "any"
    shown = set(types) - ({"integer"} if "number" in types else set())
    return "|".join(sorted(shown))


def _enum(schema: Json) -> frozenset[str] | None:
    if "const" in schema:
        return frozenset({json.dumps(schema["const"], sort_keys=True)})
    values = schema.get("enum")
    if isinstance(values, list):
        return frozenset(json.dumps(v, sort_keys=True) for v in values)
    return None


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip(v) for k, v in node.items() if k not in _IGNORED}
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _plain(value: Any) -> str:
    return "none" if value is None else json.dumps(value)


def _lower(before: Any, after: Any) -> bool:
    """A lower bound (minimum, minLength ...) got tighter: it rose or appeared."""
    return _num(after, -math.inf) > _num(before, -math.inf)


def _upper(before: Any, after: Any) -> bool:
    return _num(after, math.inf) < _num(before, math.inf)


def _flag(before: Any, after: Any) -> bool:
    """A boolean constraint (exclusiveMinimum in Draft 4, uniqueItems) switched on."""
    return after is True and before is not True


def _pattern(before: Any, after: Any) -> bool:
    return before is None and after is not None


def _multiple(before: Any, after: Any) -> bool:
    if after is None:
        return False
    if before is None:
        return True
    ratio = float(after) / float(before)
    return ratio > 1 and math.isclose(ratio, round(ratio))


def _num(value: Any, absent: float) -> float:
    return absent if value is None or isinstance(value, bool) else float(value)


_BOUNDS: dict[str, Callable[[Any, Any], bool]] = {
    "minimum": _lower,
    "maximum": _upper,
    "exclusiveMinimum": _flag,
    "exclusiveMaximum": _flag,
    "minLength": _lower,
    "maxLength": _upper,
    "minItems": _lower,
    "maxItems": _upper,
    "minProperties": _lower,
    "maxProperties": _upper,
    "uniqueItems": _flag,
    "pattern": _pattern,
    "multipleOf": _multiple,
}
