"""The schema registry of one bus: the parts together, tags by ARN, and one instance per bus.

``registry_for(bus)`` gives every caller (the ``schemas`` endpoint, seeding, the CLI) the same
instance, and its first call subscribes discovery to the bus's committed events.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from bus.engine.runtime import LocalBus
from bus.registry._bindings import CodeBindings
from bus.registry._content import JSON_SCHEMA, OPENAPI, SCHEMA_TYPES
from bus.registry._context import RegistryContext
from bus.registry._discovery import Discoverers, Discovery
from bus.registry._export import to_json_schema
from bus.registry._infer import dumps, openapi_document
from bus.registry._registries import Registries
from bus.registry._schemas import Schemas
from bus.registry.errors import BadRequest, NotFound

__all__ = ["SchemaRegistry", "registry_for"]

_ARN = re.compile(r"arn:aws:schemas:([a-z0-9-]+):(\d{12}):(registry|schema|discoverer)/(.+)")
MAX_SAMPLE_EVENTS = 10  # AWS: GetDiscoveredSchema takes at most 10 events


class SchemaRegistry:
    def __init__(self, bus: LocalBus) -> None:
        engine = bus.engine
        self.ctx = RegistryContext(bus.store, engine.clock, engine.account, engine.region)
        self.registries = Registries(self.ctx)
        self.schemas = Schemas(self.ctx, self.registries)
        self.discoverers = Discoverers(self.ctx, engine)
        self.discovery = Discovery(self.ctx, self.discoverers, self.schemas)
        self.bindings = CodeBindings(self.ctx, self.schemas)

    # ------------------------------------------------------------------ tags
    def tags(self, arn: str) -> dict[str, str]:
        kind, name = self._resource(arn)
        if kind == "registry":
            return dict(self.registries.get(name).tags)
        if kind == "schema":
            registry, _, schema = name.partition("/")
            return dict(self.schemas.get(registry, schema).tags)
        return dict(self.discoverers.get(name).tags)

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        with self.ctx.lock:
            self._put_tags(arn, {**self.tags(arn), **tags})

    def untag(self, arn: str, keys: Sequence[str]) -> None:
        with self.ctx.lock:
            kept = {k: v for k, v in self.tags(arn).items() if k not in set(keys)}
            self._put_tags(arn, kept)

    def _put_tags(self, arn: str, tags: dict[str, str]) -> None:
        kind, name = self._resource(arn)
        if kind == "registry":
            self.registries.put_tags(name, tags)
        elif kind == "schema":
            registry, _, schema = name.partition("/")
            self.schemas.put_tags(registry, schema, tags)
        else:
            self.discoverers.put_tags(name, tags)

    def _resource(self, arn: str) -> tuple[str, str]:
        match = _ARN.fullmatch(arn)
        if match is None or match.group(1, 2) != (self.ctx.region, self.ctx.account):
            raise NotFound(f"Resource {arn} does not exist.")
        return match.group(3), match.group(4)

    # ------------------------------------------------------------------ inference and export
    def export(
        self, registry: str, schema: str, version: str | None, export_type: str
    ) -> tuple[Any, Any, str]:
        """(schema, version, Draft 4 content): ExportSchema supports JSONSchemaDraft4 only, as on AWS."""
        if export_type != JSON_SCHEMA:
            raise BadRequest(f"Invalid export type {export_type}: only {JSON_SCHEMA} is supported.")
        found, chosen = self.schemas.version(registry, schema, version)
        return found, chosen, to_json_schema(chosen.type, chosen.content)

    def discover(self, events: Sequence[str], schema_type: str) -> str:
        """GetDiscoveredSchema: the schema of up to 10 sample events of one source and detail-type."""
        if schema_type not in SCHEMA_TYPES:
            raise BadRequest(f"Invalid type {schema_type}: one of {', '.join(SCHEMA_TYPES)}.")
        if not 1 <= len(events) <= MAX_SAMPLE_EVENTS:
            raise BadRequest(f"Events must hold 1 to {MAX_SAMPLE_EVENTS} events.")
        parsed: list[dict[str, Any]] = []
        for text in events:
            try:
                event = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                raise BadRequest("Every event must be a JSON object.") from None
            if not isinstance(event, dict) or not isinstance(event.get("detail"), dict):
                raise BadRequest("Every event must be a JSON object with an object 'detail'.")
            parsed.append(event)
        kinds = {(str(e.get("source")), str(e.get("detail-type"))) for e in parsed}
        if len(kinds) > 1:
            raise BadRequest("All events must have the same source and detail-type.")
        content = dumps(openapi_document(parsed))
        return content if schema_type == OPENAPI else to_json_schema(OPENAPI, content)


_instances: weakref.WeakKeyDictionary[LocalBus, SchemaRegistry] = weakref.WeakKeyDictionary()
_instances_lock = threading.Lock()


def registry_for(bus: LocalBus) -> SchemaRegistry:
    """The bus's registry, created (built-in registries stored, discovery subscribed) on first use."""
    with _instances_lock:
        found = _instances.get(bus)
        if found is None:
            found = SchemaRegistry(bus)
            bus.engine.on_events(found.discovery.listener)
            _instances[bus] = found
        return found
