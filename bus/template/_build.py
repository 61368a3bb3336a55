"""The state of one load: the stack, the records built so far and the notices."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from bus.model import Archive, Bus, Queue, Rule, Target
from bus.template._config import Configuration, Function, LogGroup, RawResource
from bus.template._dynamic import DynamicReferences
from bus.template._identity import Identity, Stack
from bus.template._props import Props

__all__ = ["Build", "Builder"]


class Build:
    def __init__(
        self,
        stack: Stack,
        *,
        max_pattern_length: int,
        code_uris: Mapping[str, str | None],
        dynamic: DynamicReferences | None = None,
    ) -> None:
        self.stack = stack
        self.dynamic = dynamic or DynamicReferences(environ={})
        self.max_pattern_length = max_pattern_length
        self.code_uris = code_uris
        self.buses: list[Bus] = []
        self.rules: list[Rule] = []
        self.targets: dict[str, tuple[Target, ...]] = {}
        self.archives: list[Archive] = []
        self.queues: list[Queue] = []
        self.log_groups: list[LogGroup] = []
        self.functions: list[Function] = []
        self.raw: dict[str, list[RawResource]] = {}
        self.invoke_configs: list[tuple[str, str, dict[str, Any]]] = []  # (logical id, function, config)
        self.logical_ids: dict[str, str] = {}
        self.notices: list[str] = []

    def identity(self, logical_id: str) -> Identity:
        identity = self.stack.identity(logical_id)
        if identity.arn is not None:
            self.logical_ids[logical_id] = identity.arn
        return identity

    def properties(self, logical_id: str) -> Props:
        """The resource's properties with every intrinsic and dynamic reference resolved."""
        raw = self.stack.resources[logical_id].get("Properties")
        resolved = self.stack.intrinsics.resolve(raw or {}, logical_id)
        return Props(self.dynamic.resolve(resolved, logical_id), logical_id)

    def configuration(self) -> Configuration:
        functions = self._with_invoke_configs()
        return Configuration(
            buses=tuple(self.buses),
            rules=tuple(self.rules),
            targets=dict(self.targets),
            archives=tuple(self.archives),
            queues=tuple(self.queues),
            log_groups=tuple(self.log_groups),
            functions=functions,
            connections=tuple(self.raw.get("AWS::Events::Connection", ())),
            api_destinations=tuple(self.raw.get("AWS::Events::ApiDestination", ())),
            schema_registries=tuple(self.raw.get("AWS::EventSchemas::Registry", ())),
            schema_discoverers=tuple(self.raw.get("AWS::EventSchemas::Discoverer", ())),
            logical_ids=dict(self.logical_ids),
            skipped=tuple(self.notices),
        )

    def _with_invoke_configs(self) -> tuple[Function, ...]:
        functions = list(self.functions)
        for logical_id, name_or_arn, config in self.invoke_configs:
            found = [i for i, f in enumerate(functions) if name_or_arn in (f.name, f.arn)]
            if not found:
                self.notices.append(
                    f"{logical_id} (AWS::Lambda::EventInvokeConfig): function {name_or_arn} "
                    "is not in the template; not loaded"
                )
                continue
            functions[found[0]] = dataclasses.replace(functions[found[0]], event_invoke_config=config)
        return tuple(functions)


Builder = Callable[[Build, str], None]
