"""Read a template file (JSON or YAML) into plain dicts, lists and scalars, as CloudFormation does.

- Short intrinsic tags become their long form: ``!Ref X`` -> ``{"Ref": "X"}``,
  ``!GetAtt A.B`` -> ``{"Fn::GetAtt": ["A", "B"]}``, ``!Sub ...`` -> ``{"Fn::Sub": ...}``.
- Unquoted dates and times stay text, as CloudFormation reads them: ``2024-01-01`` is the
  string ``"2024-01-01"``, never a ``date`` (it may be a prefix in an event pattern).
- A key written twice in one mapping is an error (CloudFormation rejects it; a YAML library
  would silently keep the last one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from bus.template._errors import TemplateError

__all__ = ["read_template"]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_NOT_PREFIXED = {"Ref", "Condition"}


class _Loader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver, with CloudFormation's short tags."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    out: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in out:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r} (line {line})")
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _short_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = suffix if suffix in _NOT_PREFIXED else f"Fn::{suffix}"
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = _mapping(loader, node)
    return {name: value}


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_multi_constructor("!", _short_tag)


def read_template(path: str | Path) -> dict[str, Any]:
    """The template document; TemplateError when it is missing or unreadable (the caller names the file)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TemplateError("no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot be read: {exc}") from exc
    if text.lstrip().startswith("{"):  # JSON (which YAML reads too, unless it is indented with tabs)
        try:
            doc = json.loads(text, object_pairs_hook=_json_object)
        except ValueError:
            pass  # not JSON after all (or JSON with a duplicate key): let the YAML reader say why
        else:
            if isinstance(doc, dict):
                return doc
    try:
        doc = yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
    except (yaml.YAMLError, TypeError) as exc:  # TypeError: an unhashable key such as [a, b]
        raise TemplateError(f"not a readable template: {_one_line(exc)}") from exc
    if not isinstance(doc, dict):
        raise TemplateError("not a template (the document must be a mapping)")
    return doc


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())
