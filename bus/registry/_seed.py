"""Seeding: the contracts of ``events/schemas/`` loaded into the registry when the bus starts.

The contract layout (``events/README.md``) is read through ``events.contracts.load_contract``, the
loader every contract tool shares, so the registry stores exactly what codegen and the checks see::

    events/schemas/<source>@<DetailType>/<MAJOR>.<MINOR>.json   one file per version
    events/schemas/<source>@<DetailType>/schema.yaml            compatibility mode, description
    events/schemas/_convention/...                              shared parts, inlined by the loader

Each contract becomes the schema ``<source>@<DetailType>`` of one registry (``choreo`` unless
told otherwise), its description the contract's; file versions in version order become registry
versions 1, 2, 3... (``1.0`` -> 1, ``1.1`` -> 2, ``2.0`` -> 3), as the loader numbers them.

Other JSON schema files (OpenAPI 3 or JSON Schema Draft 4, told apart by their ``openapi`` /
``$schema`` member) outside contract folders are placed by their path, tolerantly:

    <registry>/<SchemaName>/v<N>.json     (also <N>.json, version-<N>.json)
    <SchemaName>/v<N>.json                the default registry
    <registry>/<SchemaName>.json          version 1 (also <SchemaName>@v<N>.json)

Folders starting with ``_`` or ``.`` hold no schemas of their own. JSON files that are no schema
and contracts the loader refuses are skipped and listed in the report. Seeding is idempotent: a
version whose content is already stored (as JSON) is left alone; a file whose content changed
replaces its version, because the files in git are the source of truth.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from bus.engine.runtime import LocalBus
from bus.registry._content import detect_type
from bus.registry._service import SchemaRegistry, registry_for
from bus.registry.errors import Conflict, RegistryError

__all__ = ["DEFAULT_REGISTRY", "Placement", "SeedReport", "place", "seed_registry"]

DEFAULT_REGISTRY = "choreo"
_VERSION = re.compile(r"(?:v|version-?)?(\d{1,9})", re.IGNORECASE)
_NAMED_VERSION = re.compile(r"(.+)@v?(\d{1,9})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What seeding did: (registry, schema, version) written or already there; (path, reason) skipped."""

    written: list[tuple[str, str, int]] = field(default_factory=list)
    unchanged: list[tuple[str, str, int]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Placement(NamedTuple):
    """Where one file goes: a registry, a schema, a version number."""

    registry: str
    schema: str
    version: int


@dataclass(frozen=True, slots=True)
class _File:
    at: Placement
    content: str
    schema_type: str
    description: str | None
    path: str


def place(relative: Path, default_registry: str = DEFAULT_REGISTRY) -> Placement:
    """Where a loose schema file goes, from its path relative to the seeded directory."""
    folders, stem = relative.parts[:-1], relative.stem
    version_match = _VERSION.fullmatch(stem)
    named = _NAMED_VERSION.fullmatch(stem)
    if version_match and folders:
        schema, version = folders[-1], int(version_match.group(1))
        registry_folders = folders[:-1]
    elif named:
        schema, version = named.group(1), int(named.group(2))
        registry_folders = folders
    else:
        schema, version = stem, 1
        registry_folders = folders
    registry = registry_folders[0] if registry_folders else default_registry
    return Placement(registry, schema, version)


def seed_registry(bus: LocalBus, directory: Path, *, registry: str = DEFAULT_REGISTRY) -> SeedReport:
    """Load every schema under ``directory`` into ``bus``'s registry (creating registries as
    needed); a missing directory seeds nothing. Versions are applied per schema in order."""
    report = SeedReport()
    if not directory.is_dir():
        return report
    files = _contracts(directory, registry, report) + _loose_files(directory, registry, report)
    service = registry_for(bus)
    for found in sorted(files, key=lambda f: f.at):
        try:
            _apply(service, found, report)
        except RegistryError as exc:
            report.skipped.append((found.path, exc.message))
    return report


def _is_contract(folder: Path) -> bool:
    return folder.is_dir() and "@" in folder.name and not folder.name.startswith(("_", "."))


def _contracts(directory: Path, registry: str, report: SeedReport) -> list[_File]:
    """The contract folders' versions, bundled by the contracts loader. Imported here, not at the
    top: a contract tooling problem must not keep the endpoint from starting."""
    from events.contracts import ContractError, load_contract

    found: list[_File] = []
    for folder in sorted(p for p in directory.iterdir() if _is_contract(p)):
        try:
            contract = load_contract(folder)
        except ContractError as exc:
            report.skipped.append((folder.name, str(exc)))
            continue
        for version in contract.versions:
            at = Placement(registry, contract.name, version.registry_version)
            relative = str(version.path.relative_to(directory))
            found.append(_File(at, version.content, str(version.schema_type), contract.description, relative))
    return found


def _loose_files(directory: Path, registry: str, report: SeedReport) -> list[_File]:
    found: list[_File] = []
    for path in sorted(directory.rglob("*.json")):
        relative = path.relative_to(directory)
        if any(part.startswith(("_", ".")) for part in relative.parts[:-1]):
            continue
        if relative.parts and _is_contract(directory / relative.parts[0]):
            continue
        try:
            text = path.read_text(encoding="utf-8")
            doc = json.loads(text)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            report.skipped.append((str(relative), f"not readable JSON: {exc}"))
            continue
        schema_type = detect_type(doc) if isinstance(doc, dict) else None
        if schema_type is None:
            report.skipped.append((str(relative), "not an OpenAPI 3 or JSON Schema Draft 4 document"))
            continue
        found.append(_File(place(relative, registry), text, schema_type, None, str(relative)))
    return found


def _apply(service: SchemaRegistry, found: _File, report: SeedReport) -> None:
    at = found.at
    with contextlib.suppress(Conflict):  # it exists: seeding again, or created by hand
        service.registries.create(at.registry, description="Seeded from the contracts in git.")
    _, _, written = service.schemas.put_version(
        at.registry,
        at.schema,
        schema_type=found.schema_type,
        content=found.content,
        version=at.version,
        description=found.description,
    )
    (report.written if written else report.unchanged).append((at.registry, at.schema, at.version))
