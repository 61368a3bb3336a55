"""CloudFormation's intrinsic functions and conditions, evaluated against one local stack.

``Intrinsics.resolve(value, path)`` returns ``value`` with every intrinsic replaced by its result:

>>> intrinsics.resolve({"Fn::Sub": "${AWS::StackName}-orders"}, "OrdersBus.Name")
'choreo-orders'
>>> intrinsics.resolve({"Fn::Select": [1, {"Fn::Split": ["|", "a|b"]}]}, "R.X")
'b'

What resources return (``Ref``, ``Fn::GetAtt``) is asked of a ``References`` object (the stack's
resources, ``_identity.Stack``). ``Ref AWS::NoValue`` removes the property or list item it stands
for. Supported: Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If, Fn::FindInMap,
Fn::GetAZs, Fn::Base64 and, in Conditions, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition.
Fn::ImportValue (another stack's output), Fn::Cidr and the LanguageExtensions functions are
refused with a TemplateError that says so.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from bus.template._errors import TemplateError
from bus.template._parameters import scalar_text

__all__ = ["NO_VALUE", "Intrinsics", "References", "fail"]


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()

_SECTIONS = ("Parameters", "Conditions", "Mappings", "Outputs", "Transform")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or")
_UNSUPPORTED = {
    "Fn::ImportValue": "Fn::ImportValue reads another stack's export; choreo loads one template "
    "(pass the value as a parameter instead)",
    "Fn::Cidr": "Fn::Cidr is not supported locally",
    "Fn::Transform": "Fn::Transform (macros) is not supported locally",
    "Fn::GetParam": "Fn::GetParam (CodePipeline) is not supported locally",
    "Fn::ToJsonString": "Fn::ToJsonString (AWS::LanguageExtensions) is not supported locally",
    "Fn::Length": "Fn::Length (AWS::LanguageExtensions) is not supported locally",
    "Fn::ForEach": "Fn::ForEach (AWS::LanguageExtensions) is not supported locally",
}


def fail(path: str, reason: str) -> TemplateError:
    """A TemplateError for the property at ``path`` (``LogicalId.Prop[0].Sub``)."""
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    return TemplateError(f"{path}: {reason}", resource=None if head in _SECTIONS else head)


class References(Protocol):
    """What resources of the stack return to Ref and Fn::GetAtt."""

    def has_resource(self, logical_id: str) -> bool: ...

    def ref(self, logical_id: str, path: str) -> Any: ...

    def get_att(self, logical_id: str, attribute: str, path: str) -> Any: ...


class Intrinsics:
    def __init__(
        self,
        *,
        parameters: Mapping[str, Any],
        pseudo: Mapping[str, Any],
        conditions: Mapping[str, Any],
        mappings: Mapping[str, Any],
        resources: References,
    ) -> None:
        self._parameters = parameters
        self._pseudo = pseudo
        self._conditions = conditions
        self._mappings = mappings
        self._resources = resources
        self._decided: dict[str, bool] = {}
        self._deciding: set[str] = set()
        self._functions: dict[str, Callable[[Any, str], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._get_att,
            "Fn::Sub": self._sub,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::FindInMap": self._find_in_map,
            "Fn::GetAZs": self._get_azs,
            "Fn::Base64": self._base64,
        }

    # ------------------------------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------------------------------
    def resolve(self, value: Any, path: str) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((name, argument),) = value.items()
                function = self._functions.get(name)
                if function is not None:
                    return function(argument, path)
                if name in _UNSUPPORTED:
                    raise fail(path, _UNSUPPORTED[name])
                if name in _CONDITION_FUNCTIONS:
                    raise fail(path, f"{name} is only allowed in Conditions")
            out = {}
            for key, item in value.items():
                resolved = self.resolve(item, f"{path}.{key}")
                if resolved is not NO_VALUE:
                    out[key] = resolved
            return out
        if isinstance(value, list):
            items = (self.resolve(item, f"{path}[{i}]") for i, item in enumerate(value))
            return [item for item in items if item is not NO_VALUE]
        return value

    def text(self, value: Any, path: str) -> str:
        """``value`` resolved to a string (numbers and booleans as CloudFormation writes them)."""
        resolved = self.resolve(value, path)
        text = scalar_text(resolved)
        if text is None:
            raise fail(path, f"expected a string, found {_kind(resolved)}")
        return text

    def _ref(self, name: Any, path: str) -> Any:
        if not isinstance(name, str):
            raise fail(path, f"Ref takes a name, not {_kind(name)}")
        if name in self._pseudo:
            return self._pseudo[name]
        if name in self._parameters:
            return self._parameters[name]
        if self._resources.has_resource(name):
            return self._resources.ref(name, path)
        raise fail(path, f"Ref {name}: no parameter or resource named {name!r}")

    def _get_att(self, argument: Any, path: str) -> Any:
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[0], str):
            raise fail(path, "Fn::GetAtt takes [LogicalId, Attribute]")
        logical_id, attribute = argument[0], self.text(argument[1], path)
        if not self._resources.has_resource(logical_id):
            raise fail(path, f"Fn::GetAtt {logical_id}.{attribute}: no resource named {logical_id!r}")
        return self._resources.get_att(logical_id, attribute, path)

    def _sub(self, argument: Any, path: str) -> str:
        variables: dict[str, Any] = {}
        if isinstance(argument, list):
            if len(argument) != 2 or not isinstance(argument[1], dict):
                raise fail(path, "Fn::Sub takes a string or [string, {name: value}]")
            argument, given = argument
            variables = {k: self.resolve(v, f"{path}.{k}") for k, v in given.items()}
        if not isinstance(argument, str):
            raise fail(path, f"Fn::Sub takes a string, not {_kind(argument)}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = variables[name]
            elif name in self._pseudo or name in self._parameters or self._resources.has_resource(name):
                value = self._ref(name, path)
            elif "." in name:
                value = self._get_att(name, path)
            else:
                raise fail(path, f"Fn::Sub ${{{name}}}: no parameter, resource or variable named {name!r}")
            text = scalar_text(value)
            if text is None:
                raise fail(path, f"Fn::Sub ${{{name}}} is {_kind(value)}, not a string")
            return text

        return _SUB_VARIABLE.sub(substitute, argument)

    def _join(self, argument: Any, path: str) -> str:
        if not isinstance(argument, list) or len(argument) != 2:
            raise fail(path, "Fn::Join takes [delimiter, [values]]")
        delimiter = self.text(argument[0], path)
        values = self._list(argument[1], path)
        return delimiter.join(self._item_text(v, path) for v in values)

    def _select(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 2:
            raise fail(path, "Fn::Select takes [index, [values]]")
        index_text = self.text(argument[0], path)
        values = self._list(argument[1], path)
        if not index_text.isdigit() or int(index_text) >= len(values):
            raise fail(path, f"Fn::Select index {index_text} is not within the {len(values)} values")
        return values[int(index_text)]

    def _split(self, argument: Any, path: str) -> list[str]:
        if not isinstance(argument, list) or len(argument) != 2:
            raise fail(path, "Fn::Split takes [delimiter, string]")
        delimiter = self.text(argument[0], path)
        if not delimiter:
            raise fail(path, "Fn::Split needs a non-empty delimiter")
        return self.text(argument[1], path).split(delimiter)

    def _if(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 3 or not isinstance(argument[0], str):
            raise fail(path, "Fn::If takes [ConditionName, value if true, value if false]")
        chosen = 1 if self.condition(argument[0], path) else 2
        return self.resolve(argument[chosen], path)

    def _find_in_map(self, argument: Any, path: str) -> Any:
        if not isinstance(argument, list) or len(argument) != 3:
            raise fail(path, "Fn::FindInMap takes [MapName, TopLevelKey, SecondLevelKey]")
        keys = [self.text(key, path) for key in argument]
        value: Any = self._mappings
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                raise fail(path, f"Fn::FindInMap {keys}: no {key!r} in Mappings")
            value = value[key]
        return value

    def _get_azs(self, argument: Any, path: str) -> list[str]:
        region = self.text(argument, path) or self._pseudo["AWS::Region"]
        return [f"{region}{zone}" for zone in "abc"]

    def _base64(self, argument: Any, path: str) -> str:
        return base64.b64encode(self.text(argument, path).encode("utf-8")).decode("ascii")

    def _list(self, value: Any, path: str) -> list[Any]:
        resolved = self.resolve(value, path)
        if not isinstance(resolved, list):
            raise fail(path, f"expected a list, found {_kind(resolved)}")
        return resolved

    @staticmethod
    def _item_text(value: Any, path: str) -> str:
        text = scalar_text(value)
        if text is None:
            raise fail(path, f"expected a string, found {_kind(value)}")
        return text

    # ------------------------------------------------------------------------------------------
    # Conditions
    # ------------------------------------------------------------------------------------------
    def condition(self, name: str, path: str) -> bool:
        """The value of the named condition (each decided once)."""
        if name in self._decided:
            return self._decided[name]
        if name not in self._conditions:
            raise fail(path, f"no condition named {name!r}")
        if name in self._deciding:
            raise fail(f"Conditions.{name}", "the condition depends on itself")
        self._deciding.add(name)
        try:
            decided = self._decide(self._conditions[name], f"Conditions.{name}")
        finally:
            self._deciding.discard(name)
        self._decided[name] = decided
        return decided

    def _decide(self, expression: Any, path: str) -> bool:
        if not isinstance(expression, dict) or len(expression) != 1:
            raise fail(path, "a condition is one of Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition")
        ((name, argument),) = expression.items()
        if name == "Condition":
            if not isinstance(argument, str):
                raise fail(path, "Condition takes a condition name")
            return self.condition(argument, path)
        if name == "Fn::Equals":
            if not isinstance(argument, list) or len(argument) != 2:
                raise fail(path, "Fn::Equals takes [value, value]")
            left, right = (_comparable(self.resolve(v, path)) for v in argument)
            return bool(left == right)
        if name == "Fn::Not":
            if not isinstance(argument, list) or len(argument) != 1:
                raise fail(path, "Fn::Not takes [condition]")
            return not self._decide(argument[0], path)
        if name in ("Fn::And", "Fn::Or"):
            if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
                raise fail(path, f"{name} takes 2 to 10 conditions")
            decided = (self._decide(v, path) for v in argument)
            return all(decided) if name == "Fn::And" else any(decided)
        raise fail(path, f"{name} is not a condition function")


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    text = scalar_text(value)
    return value if text is None else text


def _kind(value: Any) -> str:
    if value is NO_VALUE:
        return "AWS::NoValue"
    return {dict: "a mapping", list: "a list", type(None): "null"}.get(type(value), type(value).__name__)
