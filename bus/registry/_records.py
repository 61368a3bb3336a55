"""The registry's nouns as frozen records, kept in the bus's store as small JSON documents.

Store kinds and keys (keys make prefix listing work: names never contain ``/``)::

    schemas.registry   <registry>
    schemas.schema     <registry>/<schema>
    schemas.version    <registry>/<schema>/<version, 10 digits>     (listing sorts numerically)
    schemas.binding    <registry>/<schema>/<version, 10 digits>/<language>
    schemas.discoverer <discoverer id>
    schemas.observed   <registry>/<schema>   (discovery's merged observations, see _infer)
    schemas.policy     <registry>
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "BINDING",
    "DISCOVERER",
    "OBSERVED",
    "POLICY",
    "REGISTRY",
    "SCHEMA",
    "VERSION",
    "CodeBinding",
    "Discoverer",
    "Registry",
    "Schema",
    "SchemaVersion",
    "from_doc",
    "schema_key",
    "to_doc",
    "version_key",
]

REGISTRY = "schemas.registry"
SCHEMA = "schemas.schema"
VERSION = "schemas.version"
BINDING = "schemas.binding"
DISCOVERER = "schemas.discoverer"
OBSERVED = "schemas.observed"
POLICY = "schemas.policy"


@dataclass(frozen=True, slots=True)
class Registry:
    name: str
    arn: str
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    scope: str = "LOCAL"  # "AWS" for the built-in aws.events registry
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Schema:
    registry: str
    name: str
    arn: str
    type: str  # OpenApi3 | JSONSchemaDraft4
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    last_modified: float = 0.0
    latest: int = 1  # highest existing version
    next_version: int = 2  # never reused, even after DeleteSchemaVersion (as on AWS)
    version_count: int = 1


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    registry: str
    schema: str
    version: int
    type: str
    content: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Discoverer:
    id: str
    arn: str
    source_arn: str
    bus: str
    description: str = ""
    state: str = "STARTED"  # STARTED | STOPPED
    cross_account: bool = True
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CodeBinding:
    registry: str
    schema: str
    version: int
    language: str
    status: str  # CREATE_IN_PROGRESS | CREATE_COMPLETE | CREATE_FAILED
    created_at: float
    last_modified: float
    files: dict[str, str] = field(default_factory=dict)  # relative path -> text
    error: str = ""


T = TypeVar("T")


def to_doc(record: Any) -> dict[str, Any]:
    return dataclasses.asdict(record)


def from_doc(cls: type[T], doc: dict[str, Any]) -> T:
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in doc.items() if k in names})


def schema_key(registry: str, schema: str) -> str:
    return f"{registry}/{schema}"


def version_key(registry: str, schema: str, version: int) -> str:
    return f"{registry}/{schema}/{version:010d}"
