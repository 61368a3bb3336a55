"""Shape what a target receives: ``Input``, ``InputPath`` or ``InputTransformer``, as AWS does.

Everything AWS checks at PutTargets is checked in the constructors, so a target that exists can
always render; everything AWS only finds out per event (a result that must be JSON and is not)
surfaces from ``apply`` as ``NotDeliverable``.

    >>> t = InputTransformer({"id": "$.detail.id"}, '{"id": <id>, "path": "users/<id>"}')
    >>> t.apply({"detail": {"id": "42"}}, rule_name="r", rule_arn="arn", ingestion_time="t")
    '{"id":"42","path":"users/42"}'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar, Final, Protocol

__all__ = [
    "ConstantInput",
    "InputPath",
    "InputTransformer",
    "InvalidInputTransformer",
    "InvalidTargetInput",
    "NotDeliverable",
    "TargetInput",
    "TransformError",
    "from_target",
]

MAX_VARIABLES: Final = 100
RESERVED: Final = frozenset(
    {
        "aws.events.rule-arn",
        "aws.events.rule-name",
        "aws.events.event.ingestion-time",
        "aws.events.event",
        "aws.events.event.json",
    }
)


class TransformError(Exception):
    """Base of this module's errors; ``code`` is the AWS error code, ``message`` AWS's text."""

    code: ClassVar[str] = "InternalException"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class InvalidTargetInput(TransformError):
    """PutTargets refuses the target's Input, InputPath or InputTransformer."""

    code = "ValidationException"


class InvalidInputTransformer(InvalidTargetInput):
    """PutTargets refuses the InputTransformer."""


class NotDeliverable(TransformError):
    """The rendered input must be JSON and is not: AWS accepts the event but the target gets nothing.

    AWS reports nothing to the caller here; the code is the conformance corpus's name for the outcome.
    """

    code = "NotDelivered"


class _Missing(Enum):
    """A path that selects nothing (distinct from a JSON ``null`` that is present)."""

    MISSING = "missing"


_MISSING: Final = _Missing.MISSING
_WILD: Final = "*"
_STEP = re.compile(r"\.([A-Za-z0-9_/-]+|\*)|\[(\d+|\*)\]")
_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_PLACEHOLDER = re.compile(r"<([^<>]*)>")
_JSON_STRING_OR_SPACE = re.compile(r'("(?:[^"\\]|\\.)*")|[ \t\n\r]+', re.DOTALL)
# Order in which AWS lays out <aws.events.event> (recorded in LocalStack's AWS snapshot).
_EVENT_ORDER: Final = ("id", "account", "detail-type", "time", "source", "region", "resources", "version")
_MAP: Final = "inputTransformer.inputPathsMap"
_TEMPLATE: Final = "inputTransformer.inputTemplate"
_KEY_RULE: Final = (
    "Map keys must satisfy constraint: [Member must have length less than or equal to 256, "
    r"Member must satisfy regular expression pattern: [A-Za-z0-9\_\-]+]"
)
_SIZE_RULE: Final = f"Member must have length less than or equal to {MAX_VARIABLES}"
_VALUE_RULE: Final = "Map value must satisfy constraint: [Member must have length less than or equal to 256]"


def _constraint(field: str, rule: str) -> str:
    """AWS's request-validation wording; the constraint text is AWS's, the framing approximate."""
    return f"1 validation error detected: Value at '{field}' failed to satisfy constraint: {rule}"


def _require(ok: bool, field: str, rule: str) -> None:
    if not ok:
        raise InvalidInputTransformer(_constraint(field, rule))


def _compact(value: Any) -> str:
    """AWS hands targets minified JSON and leaves non-ASCII characters as they are."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _unquoted(value: Any) -> str:
    """How an object or array reads inside a string template: AWS drops the quotes.

    ``{"acc_id": "0a7", "tags": ["A", "B"]}`` becomes ``{acc_id:0a7,tags:[A,B]}``.
    """
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}:{_unquoted(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_unquoted(v) for v in value) + "]"
    return value if isinstance(value, str) else _compact(value)


@dataclass(frozen=True)
class _Path:
    """The JSONPath subset EventBridge evaluates: ``$``, ``.name``, ``[n]`` and ``*`` wildcards."""

    text: str
    steps: tuple[str | int, ...]

    @classmethod
    def parse(cls, text: str) -> _Path | None:
        if not text.startswith("$") or len(text) > 256:
            return None
        steps: list[str | int] = []
        pos = 1
        while pos < len(text):
            m = _STEP.match(text, pos)
            if m is None:
                return None
            token = m.group(1) or m.group(2)
            steps.append(int(token) if m.group(2) and token != _WILD else token)
            pos = m.end()
        return cls(text, tuple(steps))

    def select(self, doc: Any) -> Any:
        """A definite path yields one value or ``_MISSING``; a wildcard path yields a list of matches."""
        nodes = [doc]
        for step in self.steps:
            found: list[Any] = []
            for node in nodes:
                if step == _WILD:
                    found.extend(
                        node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
                    )
                elif isinstance(step, int):
                    if isinstance(node, list) and step < len(node):
                        found.append(node[step])
                elif isinstance(node, dict) and step in node:
                    found.append(node[step])
            nodes = found
        if _WILD in self.steps:
            return nodes
        return nodes[0] if nodes else _MISSING


class TargetInput(Protocol):
    """What delivery calls to turn a matched event into the target's body."""

    def apply(
        self, event: Mapping[str, Any], *, rule_name: str, rule_arn: str, ingestion_time: str
    ) -> str: ...


class ConstantInput:
    """Target ``Input``: the same JSON text for every event, delivered byte for byte."""

    def __init__(self, text: str, *, target_id: str = "<target-id>") -> None:
        if len(text) > 8192:
            raise InvalidTargetInput(
                _constraint("input", "Member must have length less than or equal to 8192")
            )
        try:
            json.loads(text)
        except ValueError:
            raise InvalidTargetInput(f"Input for target {target_id} is not a valid JSON text.") from None
        self.text = text

    def apply(
        self, event: Mapping[str, Any], *, rule_name: str = "", rule_arn: str = "", ingestion_time: str = ""
    ) -> str:
        return self.text


class InputPath:
    """Target ``InputPath``: deliver the part of the event one JSONPath selects, as JSON text."""

    def __init__(self, path: str, *, target_id: str = "<target-id>") -> None:
        parsed = _Path.parse(path)
        if parsed is None:
            raise InvalidTargetInput(f"InputPath for target {target_id} is invalid.")
        self._path = parsed

    def apply(
        self, event: Mapping[str, Any], *, rule_name: str = "", rule_arn: str = "", ingestion_time: str = ""
    ) -> str:
        value = self._path.select(event)
        if value is _MISSING:
            # Nothing selected leaves no JSON to send; treated like any other non-JSON result.
            raise NotDeliverable(f"InputPath {self._path.text} selects nothing in the event")
        return _compact(value)


class _Mode(Enum):
    """Where a placeholder sits, which decides how its value is written."""

    JSON_VALUE = "a value in a JSON template"
    JSON_STRING = "inside a quoted string of a JSON template"
    TEXT = "anywhere in a string template"


@dataclass(frozen=True)
class _Slot:
    name: str
    mode: _Mode


def _render(value: Any, mode: _Mode) -> str:
    if value is _MISSING:
        # Corpus (AWS-recorded): a missing path is "" in a JSON value slot and empty text elsewhere.
        return '""' if mode is _Mode.JSON_VALUE else ""
    if isinstance(value, str) and mode is not _Mode.JSON_VALUE:
        return value  # AWS documents that extracted values are not escaped.
    if mode is _Mode.TEXT:
        return _unquoted(value)
    return _compact(value)


def _in_string_after(chunk: str, in_string: bool) -> bool:
    """Track whether a JSON template is inside a quoted string at the end of ``chunk``."""
    escaped = False
    for ch in chunk:
        if escaped:
            escaped = False
        elif in_string and ch == "\\":
            escaped = True
        elif ch == '"':
            in_string = not in_string
    return in_string


def _compile_template(template: str, is_json: bool) -> list[str | _Slot]:
    parts: list[str | _Slot] = []
    pos, in_string = 0, False
    for m in _PLACEHOLDER.finditer(template):
        literal = template[pos : m.start()]
        in_string = _in_string_after(literal, in_string)
        mode = _Mode.TEXT if not is_json else _Mode.JSON_STRING if in_string else _Mode.JSON_VALUE
        parts += [literal, _Slot(m.group(1), mode)]
        pos = m.end()
    parts.append(template[pos:])
    return [p for p in parts if p != ""]


class InputTransformer:
    """Target ``InputTransformer``: variables picked out of the event, written into a template.

    A template that starts with ``{`` is JSON: a bare ``<var>`` becomes the value as JSON (strings
    quoted), a ``<var>`` inside quotes is spliced in raw, and the result must parse or the event is not
    delivered. Any other template is text: values are spliced in raw, objects and arrays without quotes.
    """

    def __init__(
        self,
        input_paths_map: Mapping[str, str] | None,
        input_template: str,
        *,
        target_id: str = "<target-id>",
    ) -> None:
        paths = dict(input_paths_map or {})
        _require(len(paths) <= MAX_VARIABLES, _MAP, _SIZE_RULE)
        for key, path in paths.items():
            _require(bool(_KEY.fullmatch(key)) and len(key) <= 256, _MAP, _KEY_RULE)
            _require(len(path) <= 256, _MAP, _VALUE_RULE)
        _require(len(input_template) >= 1, _TEMPLATE, "Member must have length greater than or equal to 1")
        _require(len(input_template) <= 8192, _TEMPLATE, "Member must have length less than or equal to 8192")
        # A third-party measurement against AWS (cdk_preflight rules) reports this text for a bad path
        # in InputPathsMap as well as in InputPath.
        parsed = {key: _Path.parse(path) for key, path in paths.items()}
        if None in parsed.values():
            raise InvalidInputTransformer(f"InputPath for target {target_id} is invalid.")
        self._paths = {key: path for key, path in parsed.items() if path is not None}
        # API reference: JSON rules apply "If InputTemplate is a JSON object (surrounded by curly braces)".
        self._is_json = input_template.lstrip().startswith("{")
        self._parts = _compile_template(input_template, self._is_json)
        for part in self._parts:
            if isinstance(part, _Slot) and part.name not in self._paths and part.name not in RESERVED:
                raise InvalidInputTransformer(
                    f"InputTemplate for target {target_id} contains invalid placeholder {part.name}."
                )
        self.input_paths_map = paths
        self.input_template = input_template

    def apply(self, event: Mapping[str, Any], *, rule_name: str, rule_arn: str, ingestion_time: str) -> str:
        values: dict[str, Any] = {name: path.select(event) for name, path in self._paths.items()}
        values["aws.events.rule-arn"] = rule_arn
        values["aws.events.rule-name"] = rule_name
        values["aws.events.event.ingestion-time"] = ingestion_time
        values["aws.events.event"] = _event_without_detail(event, ingestion_time)
        values["aws.events.event.json"] = event
        body = "".join(p if isinstance(p, str) else _render(values[p.name], p.mode) for p in self._parts)
        if not self._is_json:
            return body
        try:
            json.loads(body)
        except ValueError as exc:
            raise NotDeliverable(f"output is not valid JSON ({exc}): {body}") from None
        # User guide: "The JSON that is passed to the target is minified".
        return _JSON_STRING_OR_SPACE.sub(lambda m: m.group(1) or "", body)


def _event_without_detail(event: Mapping[str, Any], ingestion_time: str) -> dict[str, Any]:
    """``<aws.events.event>``: the envelope without ``detail``, ``detail-type`` spelled ``detailType``.

    Its ``time`` is the ingestion time: LocalStack's AWS snapshot masks it with the ingestion-time
    placeholder, not with the event's own time.
    """
    ordered = [k for k in _EVENT_ORDER if k in event] + [k for k in event if k not in _EVENT_ORDER]
    envelope = {("detailType" if k == "detail-type" else k): event[k] for k in ordered if k != "detail"}
    if "time" in envelope:
        envelope["time"] = ingestion_time
    return envelope


def from_target(target: Mapping[str, Any]) -> TargetInput | None:
    """Read the input settings of a PutTargets ``Target``; ``None`` means the whole event is sent."""
    target_id = str(target.get("Id", "<target-id>"))
    given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
    if len(given) > 1:
        raise InvalidTargetInput(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    if target.get("Input") is not None:
        return ConstantInput(target["Input"], target_id=target_id)
    if target.get("InputPath") is not None:
        return InputPath(target["InputPath"], target_id=target_id)
    if (spec := target.get("InputTransformer")) is not None:
        _require(spec.get("InputTemplate") is not None, _TEMPLATE, "Member must not be null")
        return InputTransformer(spec.get("InputPathsMap"), spec["InputTemplate"], target_id=target_id)
    return None
