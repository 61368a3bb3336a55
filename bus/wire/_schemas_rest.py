"""REST JSON for the ``schemas`` service, driven by botocore's model of it
(``botocore/data/schemas/2019-12-02``): which operation a method and path are, where each input
member comes from (path label, query string, JSON body), and how outputs are written (JSON keys
as the model names them, e.g. ``tags``; ISO 8601 timestamps; a blob payload as the raw body).

    >>> find_operation("GET", "/v1/registries/name/orders/schemas/name/OrderPlaced")
    ('DescribeSchema', {'RegistryName': 'orders', 'SchemaName': 'OrderPlaced'})
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote

from bus.registry.errors import BadRequest
from bus.wire._service_model import SCHEMAS, service_model

__all__ = ["RestOperation", "decode_input", "encode_output", "find_operation", "operation"]

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True, slots=True)
class RestOperation:
    name: str
    method: str
    pattern: re.Pattern[str]
    labels: tuple[str, ...]  # the model's label names, in path order
    status: int
    input: str | None
    output: str | None


def _model() -> dict[str, Any]:
    return service_model(*SCHEMAS)


def _shape(name: str) -> dict[str, Any]:
    shape: dict[str, Any] = _model()["shapes"][name]
    return shape


@cache
def _operations() -> tuple[RestOperation, ...]:
    found: list[RestOperation] = []
    for name, op in sorted(_model()["operations"].items()):
        http = op["http"]
        uri = http["requestUri"].split("?")[0]
        labels = tuple(_LABEL.findall(uri))
        # labels match one raw (still percent-encoded) path segment: botocore encodes '/' in them
        regex = "".join("([^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(_LABEL.split(uri)))
        found.append(
            RestOperation(
                name,
                http["method"],
                re.compile(regex),
                labels,
                int(http.get("responseCode", 200)),
                op.get("input", {}).get("shape"),
                op.get("output", {}).get("shape"),
            )
        )
    return tuple(found)


def operation(name: str) -> RestOperation:
    return next(op for op in _operations() if op.name == name)


def find_operation(method: str, raw_path: str) -> tuple[str, dict[str, str]] | None:
    """(operation, {member: value of its path label}) or None; ``raw_path`` as sent (encoded)."""
    for op in _operations():
        if op.method != method:
            continue
        match = op.pattern.fullmatch(raw_path)
        if match is None:
            continue
        values = dict(zip(op.labels, (unquote(v) for v in match.groups()), strict=True))
        members = _shape(op.input)["members"] if op.input else {}
        by_label = {m.get("locationName", k): k for k, m in members.items() if m.get("location") == "uri"}
        return op.name, {by_label[label]: value for label, value in values.items()}
    return None


def decode_input(
    op: RestOperation, path_values: Mapping[str, str], query: str, body: bytes
) -> dict[str, Any]:
    """The operation's input members by name, from the path, the query string and the JSON body."""
    params: dict[str, Any] = dict(path_values)
    if op.input is None:
        return params
    members: dict[str, Any] = _shape(op.input)["members"]
    queried = parse_qs(query, keep_blank_values=True)
    try:
        doc = json.loads(body) if body.strip() else {}
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise BadRequest("The request body is not valid JSON.") from None
    if not isinstance(doc, dict):
        raise BadRequest("The request body must be a JSON object.")
    for name, member in members.items():
        location, wire_name = member.get("location"), member.get("locationName", name)
        shape = _shape(member["shape"])
        if location == "querystring" and wire_name in queried:
            values = queried[wire_name]
            params[name] = values if shape["type"] == "list" else _scalar(shape, values[0], wire_name)
        elif location is None and wire_name in doc:
            params[name] = _typed(shape, doc[wire_name], wire_name)
    return params


def _scalar(shape: Mapping[str, Any], text: str, name: str) -> Any:
    if shape["type"] in ("integer", "long"):
        try:
            return int(text)
        except ValueError:
            raise BadRequest(f"{name} must be an integer.") from None
    if shape["type"] == "boolean":
        return text == "true"
    return text


def _typed(shape: Mapping[str, Any], value: Any, name: str) -> Any:
    """``value`` when its JSON type fits the shape; BadRequest otherwise (handlers trust types)."""
    kinds: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "boolean": (bool,),
        "integer": (int,),
        "long": (int,),
        "map": (dict,),
        "list": (list,),
        "structure": (dict,),
    }
    expected = kinds.get(shape["type"])
    if expected is not None and (
        not isinstance(value, expected) or (bool not in expected and isinstance(value, bool))
    ):
        raise BadRequest(f"{name} must be a JSON {shape['type']}.")
    if shape["type"] == "list":
        member = _shape(shape["member"]["shape"])
        return [_typed(member, item, name) for item in value]
    if shape["type"] == "map":
        inner = _shape(shape["value"]["shape"])
        return {str(k): _typed(inner, v, name) for k, v in value.items()}
    return value


def encode_output(op: RestOperation, result: Mapping[str, Any]) -> tuple[bytes, str]:
    """(body, content type) of an operation's result (members by name)."""
    if op.output is None:
        return b"", "application/json"
    shape = _shape(op.output)
    payload = shape.get("payload")
    if payload is not None:  # GetCodeBindingSource: the zip itself is the body
        data = result.get(payload, b"")
        return (data if isinstance(data, bytes) else str(data).encode()), "application/octet-stream"
    return json.dumps(_encode(shape, result), separators=(",", ":")).encode(), "application/json"


def _encode(shape: Mapping[str, Any], value: Any) -> Any:
    kind = shape["type"]
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape["members"].items():
            if value.get(name) is not None and member.get("location") is None:
                out[member.get("locationName", name)] = _encode(_shape(member["shape"]), value[name])
        return out
    if kind == "list":
        member_shape = _shape(shape["member"]["shape"])
        return [_encode(member_shape, item) for item in value]
    if kind == "map":
        value_shape = _shape(shape["value"]["shape"])
        return {k: _encode(value_shape, v) for k, v in value.items()}
    if kind == "timestamp" and isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return value
