"""Compatibility verdicts, table-driven: one schema change per row, the verdict in every mode."""

from __future__ import annotations

from typing import Any

import pytest

from bus.schemas import ChangeKind, diff
from events.contracts import Compatibility
from tests.schemas._docs import event_document, obj

S = {"type": "string"}
I = {"type": "integer"}  # noqa: E741
N = {"type": "number"}
K = ChangeKind
OK, BAD = True, False

# (name, old detail, new detail, (BACKWARD ok, FORWARD ok, FULL ok), change kinds expected)
CASES: list[tuple[str, Any, Any, tuple[bool, bool, bool], set[ChangeKind]]] = [
    ("identical", obj(("a",), a=S), obj(("a",), a=S), (OK, OK, OK), set()),
    ("description only", obj(a=S), obj(a={**S, "description": "x"}), (OK, OK, OK), set()),
    ("optional field added", obj(a=S), obj(a=S, b=I), (OK, OK, OK), {K.FIELD_ADDED}),
    ("required field added", obj(a=S), obj(("b",), a=S, b=I), (BAD, OK, BAD), {K.REQUIRED_FIELD_ADDED}),
    ("optional field removed", obj(a=S, b=I), obj(a=S), (OK, BAD, BAD), {K.FIELD_REMOVED}),
    (
        "required field removed",
        obj(("a", "b"), a=S, b=I),
        obj(("a",), a=S),
        (OK, BAD, BAD),
        {K.FIELD_REMOVED},
    ),
    (
        "required field renamed",
        obj(("qty",), qty=I),
        obj(("quantity",), quantity=I),
        (BAD, BAD, BAD),
        {K.FIELD_RENAMED},
    ),
    ("optional field renamed", obj(qty=I), obj(quantity=I), (OK, BAD, BAD), {K.FIELD_RENAMED}),
    ("made required", obj(a=S), obj(("a",), a=S), (BAD, OK, BAD), {K.MADE_REQUIRED}),
    ("made optional", obj(("a",), a=S), obj(a=S), (OK, BAD, BAD), {K.MADE_OPTIONAL}),
    ("string to integer", obj(a=S), obj(a=I), (BAD, BAD, BAD), {K.TYPE_CHANGED}),
    ("integer to number", obj(a=I), obj(a=N), (OK, BAD, BAD), {K.TYPE_WIDENED}),
    ("number to integer", obj(a=N), obj(a=I), (BAD, OK, BAD), {K.TYPE_NARROWED}),
    (
        "made nullable (type list)",
        obj(a=S),
        obj(a={"type": ["string", "null"]}),
        (OK, BAD, BAD),
        {K.TYPE_WIDENED},
    ),
    ("made nullable (OpenAPI)", obj(a=S), obj(a={**S, "nullable": True}), (OK, BAD, BAD), {K.TYPE_WIDENED}),
    (
        "enum value added",
        obj(a={"enum": ["x"], **S}),
        obj(a={"enum": ["x", "y"], **S}),
        (OK, BAD, BAD),
        {K.ENUM_WIDENED},
    ),
    (
        "enum value removed",
        obj(a={"enum": ["x", "y"], **S}),
        obj(a={"enum": ["x"], **S}),
        (BAD, OK, BAD),
        {K.ENUM_NARROWED},
    ),
    ("enum put on a string", obj(a=S), obj(a={"enum": ["x"], **S}), (BAD, OK, BAD), {K.ENUM_NARROWED}),
    ("enum taken off a string", obj(a={"enum": ["x"], **S}), obj(a=S), (OK, BAD, BAD), {K.ENUM_WIDENED}),
    (
        "const changed",
        obj(a={"const": 1}),
        obj(a={"const": 2}),
        (BAD, BAD, BAD),
        {K.ENUM_NARROWED, K.ENUM_WIDENED},
    ),
    ("format added", obj(a=S), obj(a={**S, "format": "date-time"}), (BAD, OK, BAD), {K.FORMAT_TIGHTENED}),
    ("format removed", obj(a={**S, "format": "email"}), obj(a=S), (OK, BAD, BAD), {K.FORMAT_LOOSENED}),
    (
        "format changed",
        obj(a={**S, "format": "date"}),
        obj(a={**S, "format": "date-time"}),
        (BAD, BAD, BAD),
        {K.FORMAT_TIGHTENED},
    ),
    ("maxLength added", obj(a=S), obj(a={**S, "maxLength": 8}), (BAD, OK, BAD), {K.CONSTRAINT_TIGHTENED}),
    (
        "maxLength raised",
        obj(a={**S, "maxLength": 8}),
        obj(a={**S, "maxLength": 9}),
        (OK, BAD, BAD),
        {K.CONSTRAINT_LOOSENED},
    ),
    (
        "minimum raised",
        obj(a={**I, "minimum": 0}),
        obj(a={**I, "minimum": 1}),
        (BAD, OK, BAD),
        {K.CONSTRAINT_TIGHTENED},
    ),
    ("minimum removed", obj(a={**I, "minimum": 0}), obj(a=I), (OK, BAD, BAD), {K.CONSTRAINT_LOOSENED}),
    (
        "exclusiveMaximum switched on",
        obj(a={**N, "maximum": 5}),
        obj(a={**N, "maximum": 5, "exclusiveMaximum": True}),
        (BAD, OK, BAD),
        {K.CONSTRAINT_TIGHTENED},
    ),
    (
        "pattern added",
        obj(a=S),
        obj(a={**S, "pattern": "^[A-Z]{3}$"}),
        (BAD, OK, BAD),
        {K.CONSTRAINT_TIGHTENED},
    ),
    (
        "pattern changed",
        obj(a={**S, "pattern": "^a"}),
        obj(a={**S, "pattern": "^b"}),
        (BAD, BAD, BAD),
        {K.CONSTRAINT_CHANGED},
    ),
    (
        "minItems added",
        obj(a={"type": "array", "items": S}),
        obj(a={"type": "array", "items": S, "minItems": 1}),
        (BAD, OK, BAD),
        {K.CONSTRAINT_TIGHTENED},
    ),
    (
        "uniqueItems added",
        obj(a={"type": "array", "items": S}),
        obj(a={"type": "array", "items": S, "uniqueItems": True}),
        (BAD, OK, BAD),
        {K.CONSTRAINT_TIGHTENED},
    ),
    (
        "multipleOf 2 to 4",
        obj(a={**I, "multipleOf": 2}),
        obj(a={**I, "multipleOf": 4}),
        (BAD, OK, BAD),
        {K.CONSTRAINT_TIGHTENED},
    ),
    (
        "array items retyped",
        obj(a={"type": "array", "items": S}),
        obj(a={"type": "array", "items": I}),
        (BAD, BAD, BAD),
        {K.TYPE_CHANGED},
    ),
    (
        "nested required field added",
        obj(o=obj(a=S)),
        obj(o=obj(("z",), a=S, z=S)),
        (BAD, OK, BAD),
        {K.REQUIRED_FIELD_ADDED},
    ),
    (
        "object closed",
        obj(a=S),
        {**obj(a=S), "additionalProperties": False},
        (BAD, OK, BAD),
        {K.CONTENT_CLOSED},
    ),
    (
        "oneOf changed",
        obj(a={"oneOf": [S, I]}),
        obj(a={"oneOf": [S]}),
        (BAD, BAD, BAD),
        {K.COMPOSITION_CHANGED},
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "verdicts", "kinds"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_change_gets_its_verdict_in_every_mode(
    old: Any, new: Any, verdicts: tuple[bool, bool, bool], kinds: set[ChangeKind]
) -> None:
    changes = diff(event_document(old), event_document(new))
    assert {c.kind for c in changes} == kinds
    modes = (Compatibility.BACKWARD, Compatibility.FORWARD, Compatibility.FULL)
    got = tuple(not any(c.breaks.violates(mode) for c in changes) for mode in modes)
    assert got == verdicts
    assert all(not c.breaks.violates(Compatibility.NONE) for c in changes)


def test_the_table_has_at_least_25_distinct_changes() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 25


def test_changes_are_named_with_their_path() -> None:
    old = event_document(obj(data=obj(items={"type": "array", "items": obj(("qty",), qty=I)})))
    new = event_document(obj(data=obj(items={"type": "array", "items": obj(("qty",), qty=S)})))
    [change] = diff(old, new)
    assert (change.kind, change.path, change.detail) == (
        K.TYPE_CHANGED,
        "data.items[].qty",
        "integer -> string",
    )


def test_refs_are_followed_so_moving_a_schema_into_definitions_is_no_change() -> None:
    inline = event_document(obj(a=obj(("x",), x=S)))
    moved = event_document(obj(a={"$ref": "#/definitions/A"}), {"A": obj(("x",), x=S)})
    assert diff(inline, moved) == []


def test_recursive_schemas_terminate() -> None:
    tree = {"Node": obj(children={"type": "array", "items": {"$ref": "#/definitions/Node"}}, name=S)}
    grown = {"Node": obj(children={"type": "array", "items": {"$ref": "#/definitions/Node"}}, name=S, size=I)}
    changes = diff(
        event_document({"$ref": "#/definitions/Node"}, tree),
        event_document({"$ref": "#/definitions/Node"}, grown),
    )
    assert [(c.kind, c.path) for c in changes] == [(K.FIELD_ADDED, "size")]
