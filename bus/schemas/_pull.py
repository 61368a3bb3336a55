"""``choreo schemas pull``: registry schemas (discovered ones, usually) into ``events/schemas/``.

A pulled schema becomes the next version of its contract folder, so that ``schemas check`` judges
it like any hand-written change: a new folder starts at ``1.0`` (with a ``schema.yaml`` that
leaves the mode at NONE until an owner chooses one); an existing folder gets the next minor
version, unless the content equals the newest version already there. If the check then reports a
breaking change, renaming the file to the next major version is the way out.
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.contracts import SETTINGS_FILE, SchemaType, normalise_detail_type

__all__ = ["PullOutcome", "Pulled", "write_pulled"]

_DISCOVERED_SETTINGS = (
    "# Pulled from the schema registry by `choreo schemas pull`. Choose a mode (BACKWARD | FORWARD |\n"
    "# FULL) once the contract has an owner; NONE skips `choreo schemas check`. See events/README.md.\n"
    "compatibility: NONE\n"
    "description: {description}\n"
    "owner: discovered\n"
)


class PullOutcome(enum.StrEnum):
    CREATED = "created"  # new contract folder, version 1.0
    ADDED = "added"  # next minor version of an existing contract
    UNCHANGED = "unchanged"  # equal to the newest version on disk


@dataclass(frozen=True, slots=True)
class Pulled:
    schema: str
    outcome: PullOutcome
    path: Path


def write_pulled(root: Path, schema_name: str, content: str, schema_type: str) -> Pulled:
    """Write one registry schema's content as the next version under ``root``."""
    document: dict[str, Any] = json.loads(content)
    source, _, detail_type = schema_name.partition("@")
    folder = root / f"{source}@{normalise_detail_type(detail_type)}"
    existing = sorted(
        (tuple(int(n) for n in p.stem.split(".")), p) for p in folder.glob("*.json") if _is_version(p.name)
    )
    if existing:
        (major, minor), newest = existing[-1]
        if _comparable(json.loads(newest.read_text(encoding="utf-8"))) == _comparable(document):
            return Pulled(schema_name, PullOutcome.UNCHANGED, newest)
        version, outcome = f"{major}.{minor + 1}", PullOutcome.ADDED
    else:
        version, outcome = "1.0", PullOutcome.CREATED
    folder.mkdir(parents=True, exist_ok=True)
    if SchemaType(schema_type) is SchemaType.OPENAPI3:
        document.setdefault("info", {})["version"] = version
    path = folder / f"{version}.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    settings = folder / SETTINGS_FILE
    if not settings.exists():
        description = json.dumps(f"Discovered on the bus: {schema_name}")
        settings.write_text(_DISCOVERED_SETTINGS.format(description=description), encoding="utf-8")
    return Pulled(schema_name, outcome, path)


def _is_version(name: str) -> bool:
    parts = name.removesuffix(".json").split(".")
    return name.endswith(".json") and len(parts) == 2 and all(p.isdigit() for p in parts)


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    """The document without its version number, which pulling rewrites."""
    info = {k: v for k, v in document.get("info", {}).items() if k != "version"}
    return {**document, "info": info} if "info" in document else document
