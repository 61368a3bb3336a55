"""Properties of the compatibility checker, with JSON Schema validation as the oracle.

Soundness: when the checker calls a change BACKWARD compatible, every event a writer on the old
version can produce validates against the new version (and FORWARD: the other way round). The
checker may be stricter than validation (a removed optional field is flagged), never looser.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator

from bus.schemas import diff
from events.contracts import Compatibility
from tests.schemas._docs import event_document

pytestmark = pytest.mark.property

Json = dict[str, Any]
NAMES = ["a", "b", "c", "d", "e"]
WORDS = ["x", "y", "z", "w"]
PATTERNS = ["^[a-z]+$", "^[A-Z]{2}$", "^[0-9]{1,3}$"]


@st.composite
def leaf_schemas(draw: st.DrawFn) -> Json:
    kind = draw(st.sampled_from(["string", "enum", "pattern", "integer", "number", "boolean", "array"]))
    if kind == "string":
        low = draw(st.integers(0, 3))
        return {"type": "string", "minLength": low, "maxLength": low + draw(st.integers(0, 4))}
    if kind == "enum":
        return {"type": "string", "enum": draw(st.lists(st.sampled_from(WORDS), min_size=1, unique=True))}
    if kind == "pattern":
        return {"type": "string", "pattern": draw(st.sampled_from(PATTERNS))}
    if kind in ("integer", "number"):
        low = draw(st.integers(-5, 5))
        return {"type": kind, "minimum": low, "maximum": low + draw(st.integers(0, 10))}
    if kind == "array":
        return {"type": "array", "items": draw(leaf_schemas()), "maxItems": draw(st.integers(0, 3))}
    return {"type": "boolean"}


@st.composite
def object_schemas(draw: st.DrawFn, depth: int = 2) -> Json:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    nested = object_schemas(depth - 1) if depth > 0 else leaf_schemas()
    properties = {name: draw(st.one_of(leaf_schemas(), nested)) for name in names}
    required = [name for name in names if draw(st.booleans())]
    schema: Json = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


@st.composite
def mutated(draw: st.DrawFn, schema: Json) -> Json:
    """One small edit somewhere in an object schema: the kind of change people make."""
    new = copy.deepcopy(schema)
    target = new
    while draw(st.booleans()):
        objects = [p for p in target["properties"].values() if p.get("type") == "object"]
        if not objects:
            break
        target = draw(st.sampled_from(objects))
    props: Json = target["properties"]
    edit = draw(st.sampled_from(["add", "add-required", "remove", "toggle", "retype", "tweak"]))
    name = draw(st.sampled_from(sorted(props)))
    if edit.startswith("add"):
        fresh = draw(st.sampled_from([n for n in [*NAMES, "f", "g"] if n not in props]))
        props[fresh] = draw(leaf_schemas())
        if edit == "add-required":
            target.setdefault("required", []).append(fresh)
    elif edit == "remove" and len(props) > 1:
        del props[name]
        target["required"] = [r for r in target.get("required", []) if r != name]
    elif edit == "toggle":
        required = target.setdefault("required", [])
        target["required"] = [r for r in required if r != name] if name in required else [*required, name]
    elif edit == "retype":
        props[name] = draw(leaf_schemas())
    else:
        prop = props[name]
        for word in ("minimum", "maximum", "minLength", "maxLength", "maxItems"):
            if word in prop and draw(st.booleans()):
                prop[word] = (
                    max(0, prop[word] + draw(st.integers(-2, 2))) if "Length" in word else prop[word] + 1
                )
        for low, high in (("minLength", "maxLength"), ("minimum", "maximum")):
            if low in prop and prop[high] < prop[low]:
                prop[high] = prop[low]  # keep the schema satisfiable
        if "enum" in prop:
            prop["enum"] = draw(st.lists(st.sampled_from(WORDS), min_size=1, unique=True))
    if not target.get("required"):
        target.pop("required", None)
    return new


def instances(schema: Json) -> st.SearchStrategy[Any]:
    """Events a writer on ``schema`` produces: declared fields only, all constraints met."""
    kind = schema.get("type")
    if kind == "object":
        required = set(schema.get("required", []))
        props = schema["properties"]
        return st.fixed_dictionaries(
            {n: instances(s) for n, s in props.items() if n in required},
            optional={n: instances(s) for n, s in props.items() if n not in required},
        )
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True)
    if kind == "string":
        return st.text(alphabet="abc", min_size=schema["minLength"], max_size=schema["maxLength"])
    if kind == "integer":
        return st.integers(schema["minimum"], schema["maximum"])
    if kind == "number":
        return st.floats(schema["minimum"], schema["maximum"], allow_nan=False)
    if kind == "array":
        return st.lists(instances(schema["items"]), max_size=schema["maxItems"])
    return st.booleans()


MODES = (Compatibility.BACKWARD, Compatibility.FORWARD, Compatibility.FULL)


@given(object_schemas())
def test_any_schema_is_compatible_with_itself_in_every_mode(schema: Json) -> None:
    assert diff(event_document(schema), event_document(copy.deepcopy(schema))) == []


@given(object_schemas(), st.sampled_from(["f", "g"]), leaf_schemas())
def test_adding_an_optional_field_is_compatible_in_every_mode(schema: Json, name: str, field: Json) -> None:
    grown = copy.deepcopy(schema)
    grown["properties"][name] = field
    changes = diff(event_document(schema), event_document(grown))
    assert changes and not any(c.breaks.violates(mode) for c in changes for mode in MODES)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(st.data())
def test_the_verdict_agrees_with_validating_instances(data: st.DataObject) -> None:
    old = data.draw(object_schemas())
    new = data.draw(mutated(old))
    changes = diff(event_document(old), event_document(new))
    if not any(c.breaks.violates(Compatibility.BACKWARD) for c in changes):
        event = data.draw(instances(old), label="event written with old")
        assert Draft4Validator(new).is_valid(event), changes
    if not any(c.breaks.violates(Compatibility.FORWARD) for c in changes):
        event = data.draw(instances(new), label="event written with new")
        assert Draft4Validator(old).is_valid(event), changes


@settings(max_examples=60)
@given(st.data())
def test_a_reported_violation_has_a_witness_for_narrowing_changes(data: st.DataObject) -> None:
    """The other direction, where an oracle exists: a type change between unrelated leaf types
    is reported as breaking both ways, and some old event indeed fails the new schema."""
    old_leaf = {"type": "boolean"}
    new_leaf = data.draw(
        st.sampled_from(
            [
                {"type": "string", "minLength": 0, "maxLength": 3},
                {"type": "integer", "minimum": 0, "maximum": 3},
            ]
        )
    )
    old = {"type": "object", "properties": {"a": old_leaf}, "required": ["a"]}
    new = {"type": "object", "properties": {"a": new_leaf}, "required": ["a"]}
    changes = diff(event_document(old), event_document(new))
    assert all(any(c.breaks.violates(mode) for c in changes) for mode in MODES)
    assert not Draft4Validator(new).is_valid(data.draw(instances(old)))
