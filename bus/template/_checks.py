"""Every name a template refers to must exist, wherever the reference is, as CloudFormation
checks before it creates anything: ``Ref``, ``Fn::GetAtt``, ``${...}`` in ``Fn::Sub``, condition
names in ``Condition`` and ``Fn::If``, and ``DependsOn``. This also covers the resources choreo
does not load (IAM roles, policies) and the Outputs, so a typo anywhere fails the load."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from bus.template._intrinsics import fail

__all__ = ["check_references"]

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def check_references(
    resources: Mapping[str, Any], outputs: Any, *, names: Collection[str], conditions: Collection[str]
) -> None:
    """``names``: parameters and pseudo parameters; ``conditions``: the declared condition names."""
    checker = _Checker(resources, set(names), set(conditions))
    for logical_id, resource in resources.items():
        condition = resource.get("Condition")
        if condition is not None and condition not in conditions:
            raise fail(f"{logical_id}.Condition", f"no condition named {condition!r}")
        depends = resource.get("DependsOn")
        for dependency in depends if isinstance(depends, list) else [depends] if depends else []:
            if dependency not in resources:
                raise fail(f"{logical_id}.DependsOn", f"no resource named {dependency!r}")
        checker.visit(resource.get("Properties"), logical_id)
    if isinstance(outputs, dict):
        for name, output in outputs.items():
            checker.visit(output, f"Outputs.{name}")


class _Checker:
    def __init__(self, resources: Mapping[str, Any], names: set[str], conditions: set[str]) -> None:
        self.resources = resources
        self.names = names
        self.conditions = conditions

    def visit(self, value: Any, path: str) -> None:
        if isinstance(value, list):
            for i, item in enumerate(value):
                self.visit(item, f"{path}[{i}]")
            return
        if not isinstance(value, dict):
            return
        if len(value) == 1:
            ((name, argument),) = value.items()
            if name == "Ref" and isinstance(argument, str):
                if argument not in self.names and argument not in self.resources:
                    raise fail(path, f"Ref {argument}: no parameter or resource named {argument!r}")
                return
            if name == "Fn::GetAtt":
                self._get_att(argument, path)
                return
            if name == "Fn::Sub":
                self._sub(argument, path)
                return
            if name == "Fn::If" and isinstance(argument, list) and argument:
                if isinstance(argument[0], str) and argument[0] not in self.conditions:
                    raise fail(path, f"Fn::If: no condition named {argument[0]!r}")
                self.visit(argument[1:], path)
                return
        for key, item in value.items():
            self.visit(item, f"{path}.{key}")

    def _get_att(self, argument: Any, path: str) -> None:
        logical_id = argument.split(".", 1)[0] if isinstance(argument, str) else None
        if isinstance(argument, list) and argument and isinstance(argument[0], str):
            logical_id = argument[0]
        if logical_id is not None and logical_id not in self.resources:
            raise fail(path, f"Fn::GetAtt: no resource named {logical_id!r}")

    def _sub(self, argument: Any, path: str) -> None:
        variables: Collection[str] = ()
        if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], dict):
            variables = set(argument[1])
            self.visit(argument[1], path)
            argument = argument[0]
        if not isinstance(argument, str):
            return
        for match in _SUB_VARIABLE.finditer(argument):
            name = match.group(1).strip()
            if name in variables or name in self.names or name in self.resources:
                continue
            if "." in name and name.split(".", 1)[0] in self.resources:
                continue
            raise fail(path, f"Fn::Sub ${{{name}}}: no parameter, resource or variable named {name!r}")
