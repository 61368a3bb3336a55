"""The event contracts of ``events/schemas/``, loaded, checked for layout and bundled.

Every tool that needs a contract (the registry's seeding, ``choreo schemas codegen`` / ``check``
/ ``lint``, validation at ingest) reads it through ``load_contracts`` so they all see the same
thing: a self-contained EventBridge registry document per version, in which the shared
``metadata`` convention (``_convention/metadata.json``, referenced by every event) is inlined as
one more named schema, because the registry and code generators need documents that stand alone::

    for contract in load_contracts():
        for version in contract.versions:
            print(contract.name, version.version, version.registry_version, version.schema_type)
    # com.choreo.orders@OrderPlaced 1.0 1 OpenApi3 ...
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator

__all__ = [
    "SCHEMAS_DIR",
    "Compatibility",
    "Contract",
    "ContractError",
    "ContractVersion",
    "SchemaType",
    "bundle",
    "detail_schema",
    "detail_validator",
    "event_ids",
    "load_contract",
    "load_contracts",
    "normalise_detail_type",
    "resolve",
]

SCHEMAS_DIR = Path(__file__).parent / "schemas"
CONVENTION_DIR = "_convention"
SETTINGS_FILE = "schema.yaml"
_VERSION_FILE = re.compile(r"^(?P<major>[0-9]+)\.(?P<minor>[0-9]+)\.json$")
_OPENAPI_REFS = "#/components/schemas/"
_DRAFT4_REFS = "#/definitions/"

Json = dict[str, Any]


class ContractError(ValueError):
    """A file under events/schemas/ breaks the layout of events/README.md; names the file."""


class Compatibility(enum.StrEnum):
    """How each new version must relate to the previous one of the same major version."""

    BACKWARD = "BACKWARD"  # consumers on the new version read events written with the previous one
    FORWARD = "FORWARD"  # consumers still on the previous version read events written with the new one
    FULL = "FULL"  # both
    NONE = "NONE"  # not checked


class SchemaType(enum.StrEnum):
    """The registry's ``Type`` values (CreateSchema)."""

    OPENAPI3 = "OpenApi3"
    DRAFT4 = "JSONSchemaDraft4"


@dataclass(frozen=True, slots=True)
class ContractVersion:
    """One file: ``<name>/<MAJOR>.<MINOR>.json``, bundled. ``content`` is what the registry stores."""

    name: str
    version: str
    major: int
    minor: int
    registry_version: int  # 1, 2, 3 ... in version order, as the registry numbers versions
    schema_type: SchemaType
    content: str
    path: Path

    def document(self) -> Json:
        document: Json = json.loads(self.content)
        return document


@dataclass(frozen=True, slots=True)
class Contract:
    """One registry schema (``<source>@<DetailType>``) and its versions in version order."""

    name: str
    source: str
    detail_type: str
    compatibility: Compatibility
    description: str
    owner: str
    versions: tuple[ContractVersion, ...]

    def latest(self, major: int | None = None) -> ContractVersion:
        """The newest version, or the newest of one major version (what a pinned consumer reads)."""
        eligible = [v for v in self.versions if major is None or v.major == major]
        if not eligible:
            raise KeyError(f"{self.name} has no version {major}.x")
        return eligible[-1]

    def successions(self) -> Iterator[tuple[ContractVersion, ContractVersion]]:
        """(previous, next) pairs within each major version: what ``schemas check`` compares.

        A new major version starts a new line side by side with the old one, so its first
        version has no predecessor: that is the documented way out of a breaking change.
        """
        for previous, current in pairwise(self.versions):
            if previous.major == current.major:
                yield previous, current


def load_contracts(root: Path = SCHEMAS_DIR) -> tuple[Contract, ...]:
    """Every contract under ``root``, sorted by name; raises ContractError on a layout mistake."""
    if not root.is_dir():
        raise ContractError(f"{root}: no such directory")
    return tuple(
        load_contract(folder)
        for folder in sorted(root.iterdir())
        if folder.is_dir() and not folder.name.startswith(("_", "."))
    )


def load_contract(folder: Path) -> Contract:
    source, at, detail_type = folder.name.partition("@")
    if not at or not source or not detail_type:
        raise ContractError(f"{folder}: a contract folder is named <source>@<DetailType>")
    settings = _settings(folder / SETTINGS_FILE)
    files = []
    for path in folder.iterdir():
        if path.name == SETTINGS_FILE or path.name.startswith("."):
            continue
        match = _VERSION_FILE.match(path.name)
        if match is None:
            raise ContractError(f"{path}: version files are named <MAJOR>.<MINOR>.json")
        files.append((int(match["major"]), int(match["minor"]), path))
    if not files:
        raise ContractError(f"{folder}: no version files")
    files.sort()
    versions = tuple(
        _version(folder.name, source, detail_type, major, minor, index, path)
        for index, (major, minor, path) in enumerate(files, start=1)
    )
    declared = event_ids(versions[-1].document(), versions[-1].schema_type)
    detail_type = declared[1] if declared else detail_type
    return Contract(
        name=folder.name,
        source=source,
        detail_type=detail_type,
        compatibility=settings[0],
        description=settings[1],
        owner=settings[2],
        versions=versions,
    )


def _settings(path: Path) -> tuple[Compatibility, str, str]:
    if not path.is_file():
        raise ContractError(f"{path}: missing (it sets the contract's compatibility mode)")
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict):
        raise ContractError(f"{path}: expected a mapping")
    mode = str(loaded.get("compatibility", ""))
    if mode not in Compatibility.__members__:
        raise ContractError(f"{path}: compatibility must be one of {', '.join(Compatibility)}, not {mode!r}")
    return Compatibility(mode), str(loaded.get("description", "")), str(loaded.get("owner", ""))


def _version(
    name: str, source: str, detail_type: str, major: int, minor: int, index: int, path: Path
) -> ContractVersion:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise ContractError(f"{path}: expected a JSON object")
    schema_type = SchemaType.OPENAPI3 if "openapi" in document else SchemaType.DRAFT4
    declared = event_ids(document, schema_type)
    if declared is None or (declared[0], normalise_detail_type(declared[1])) != (source, detail_type):
        raise ContractError(
            f"{path}: declares x-amazon-events-source/detail-type {declared}, "
            f"but its folder says {(source, detail_type)}"
        )
    version = f"{major}.{minor}"
    if schema_type is SchemaType.OPENAPI3 and str(document.get("info", {}).get("version")) != version:
        raise ContractError(f"{path}: info.version must be {version!r}, the file's version")
    bundled = bundle(document, path.parent, schema_type)
    detail_schema(bundled)  # fails early on a document without a resolvable detail
    return ContractVersion(
        name=name,
        version=version,
        major=major,
        minor=minor,
        registry_version=index,
        schema_type=schema_type,
        content=json.dumps(bundled, indent=2, sort_keys=False) + "\n",
        path=path,
    )


def normalise_detail_type(detail_type: str) -> str:
    """The detail-type as a schema name spells it: ``EC2 Instance State-change Notification`` ->
    ``EC2InstanceStateChangeNotification`` (words capitalised, everything else dropped).
    """
    words = re.split(r"[^A-Za-z0-9]+", detail_type)
    return "".join(word[:1].upper() + word[1:] for word in words)


def event_ids(document: Json, schema_type: SchemaType) -> tuple[str, str] | None:
    """(source, detail-type) from the ``x-amazon-events-*`` keys, where AWS puts them."""
    holder = _event_schema(document, schema_type)
    if holder is None:
        return None
    return str(holder["x-amazon-events-source"]), str(holder["x-amazon-events-detail-type"])


def _event_schema(document: Json, schema_type: SchemaType) -> Json | None:
    if schema_type is SchemaType.DRAFT4:
        return document if "x-amazon-events-source" in document else None
    for schema in document.get("components", {}).get("schemas", {}).values():
        if isinstance(schema, dict) and "x-amazon-events-source" in schema:
            return schema
    return None


def bundle(document: Json, base: Path, schema_type: SchemaType) -> Json:
    """Inline every external ``$ref`` (``../_convention/metadata.json``) as a named local schema.

    The file ``metadata.json`` becomes the schema ``Metadata``, next to the document's own.
    """
    refs = _OPENAPI_REFS if schema_type is SchemaType.OPENAPI3 else _DRAFT4_REFS
    inlined: dict[str, Json] = {}

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                target = (base / ref.split("#", 1)[0]).resolve()
                title = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", target.stem))
                if title not in inlined:
                    try:
                        inlined[title] = json.loads(target.read_text(encoding="utf-8"))
                    except (OSError, json.JSONDecodeError) as exc:
                        raise ContractError(f"{base}: cannot inline {ref}: {exc}") from exc
                return {**node, "$ref": refs + title}
            return {key: rewrite(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    result: Json = rewrite(document)
    if inlined:
        if schema_type is SchemaType.OPENAPI3:
            named = result.setdefault("components", {}).setdefault("schemas", {})
        else:
            named = result.setdefault("definitions", {})
        for title, schema in inlined.items():
            if title in named and named[title] != schema:
                raise ContractError(f"{base}: schema {title} is both local and inlined from the convention")
            named[title] = schema
    return result


def detail_schema(document: Json) -> tuple[Json, Mapping[str, Json]]:
    """The schema of ``detail`` and the named schemas its ``$ref``s point into.

    Returns ``(schema, named)`` where a ``$ref`` of ``#/components/schemas/X`` or
    ``#/definitions/X`` resolves as ``named["X"]``.
    """
    schema_type = SchemaType.OPENAPI3 if "openapi" in document else SchemaType.DRAFT4
    named: Mapping[str, Json]
    if schema_type is SchemaType.OPENAPI3:
        named = document.get("components", {}).get("schemas", {})
    else:
        named = document.get("definitions", {})
    holder = _event_schema(document, schema_type)
    detail = (holder or {}).get("properties", {}).get("detail")
    if not isinstance(detail, dict):
        raise ContractError("the document has no event schema with a detail property")
    return detail, named


def resolve(schema: Json, named: Mapping[str, Json]) -> Json:
    """Follow local ``$ref``s (a chain of them) to the schema they name."""
    seen: set[str] = set()
    while isinstance(schema.get("$ref"), str):
        ref = str(schema["$ref"])
        if ref in seen:
            raise ContractError(f"circular $ref {ref}")
        seen.add(ref)
        target = named.get(ref.rsplit("/", 1)[-1])
        if target is None:
            raise ContractError(f"unresolved $ref {ref}")
        schema = target
    return schema


def detail_validator(document: Json) -> Draft4Validator:
    """A JSON Schema validator of ``detail`` for a bundled document of either registry format.

    OpenAPI 3 schema objects are validated as Draft 4, which they extend (``nullable`` becomes a
    ``null`` type); the named schemas stay where the document keeps them so ``$ref``s resolve.
    """
    detail, _ = detail_schema(document)
    root: Json = {
        "components": document.get("components", {}),
        "definitions": document.get("definitions", {}),
        **detail,
    }
    return Draft4Validator(_nullable_as_type(root))


def _nullable_as_type(node: Any) -> Any:
    """OpenAPI 3.0's ``nullable: true`` as Draft 4 says it: ``null`` among the types."""
    if isinstance(node, list):
        return [_nullable_as_type(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _nullable_as_type(value) for key, value in node.items()}
    if converted.get("nullable") is True and isinstance(converted.get("type"), str):
        converted["type"] = [converted["type"], "null"]
    return converted
