"""The EventBridge schema registry of the embedded bus: registries, versioned schemas, discovery,
code bindings and seeding from the contracts in git.

    from bus.registry import attach_discovery, seed_registry

    with LocalBus(".choreo") as bus:
        registry = attach_discovery(bus)  # discoverers on this bus now infer schemas
        seed_registry(bus, Path("events/schemas"))  # the contracts, one file per version
        registry.schemas.version("choreo", "OrderPlaced")  # (Schema, SchemaVersion) of the latest

The ``schemas`` endpoint of ``choreo serve`` (``bus.wire.schemas``) is a thin layer over this
package; see docs/schema-registry.md.
"""

from __future__ import annotations

from bus.engine.runtime import LocalBus
from bus.registry._bindings import AWS_LANGUAGES, zip_files
from bus.registry._content import JSON_SCHEMA, OPENAPI
from bus.registry._export import to_json_schema
from bus.registry._infer import openapi_document
from bus.registry._naming import discovered_name, type_name
from bus.registry._records import CodeBinding, Discoverer, Registry, Schema, SchemaVersion
from bus.registry._registries import AWS_REGISTRY, DISCOVERED_REGISTRY
from bus.registry._seed import DEFAULT_REGISTRY, SeedReport, seed_registry
from bus.registry._service import SchemaRegistry, registry_for
from bus.registry.errors import BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed, RegistryError

__all__ = [
    "AWS_LANGUAGES",
    "AWS_REGISTRY",
    "DEFAULT_REGISTRY",
    "DISCOVERED_REGISTRY",
    "JSON_SCHEMA",
    "OPENAPI",
    "BadRequest",
    "CodeBinding",
    "Conflict",
    "Discoverer",
    "Forbidden",
    "NotFound",
    "PreconditionFailed",
    "Registry",
    "RegistryError",
    "Schema",
    "SchemaRegistry",
    "SchemaVersion",
    "SeedReport",
    "attach_discovery",
    "discovered_name",
    "openapi_document",
    "registry_for",
    "seed_registry",
    "to_json_schema",
    "type_name",
    "zip_files",
]


def attach_discovery(bus: LocalBus) -> SchemaRegistry:
    """Subscribe the bus's registry to its committed events (idempotent; ``choreo serve`` does it
    through its ``schemas`` routes). Returns the registry."""
    return registry_for(bus)
