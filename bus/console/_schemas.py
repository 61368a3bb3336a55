"""Schemas of the registry: versions, the diff of each version from the one before, and whether
that step keeps the compatibility its contract promises.

A registry stores versions 1, 2, 3...; the contracts in git (``events/schemas/``) say what they
are (``1.0``, ``1.1``, ``2.0``) and which mode each step must satisfy (BACKWARD, FORWARD, FULL).
A step into a new major version starts a line published side by side, so it is shown, not judged,
as ``choreo schemas check`` does. Schemas with no contract (discovered ones) show which modes
each step would satisfy.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bus.console._paging import Page, limit_of
from bus.engine.runtime import LocalBus
from bus.registry import Schema, SchemaRegistry, SchemaVersion, registry_for
from bus.schemas import Break, Change, diff
from events.contracts import Compatibility, Contract, ContractError, load_contracts

__all__ = ["Contracts", "registries", "schema_detail", "schemas_page"]

_MODES = (Compatibility.BACKWARD, Compatibility.FORWARD, Compatibility.FULL)


class Contracts:
    """The contracts of a directory, loaded on first use; a layout error leaves them unknown (the
    registry still shows, without modes) and is reported on the page."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._loaded: dict[str, Contract] | None = None
        self.error = ""

    def get(self, name: str) -> Contract | None:
        with self._lock:
            if self._loaded is None:
                try:
                    self._loaded = {c.name: c for c in load_contracts(self.root)}
                except ContractError as exc:
                    self._loaded, self.error = {}, str(exc)
            return self._loaded.get(name)


def registries(bus: LocalBus) -> list[dict[str, Any]]:
    found = registry_for(bus).registries.listing(limit=100).items
    return [{"name": r.name, "description": r.description, "scope": r.scope} for r in found]


def schemas_page(bus: LocalBus, contracts: Contracts, query: Mapping[str, str]) -> Page:
    service = registry_for(bus)
    registry = query.get("registry") or "choreo"
    listed = service.schemas.listing(registry, limit=limit_of(query, 25), token=query.get("cursor") or None)
    items = []
    for schema in listed.items:
        steps = _steps(service, contracts, schema)
        items.append(
            {
                "registry": schema.registry,
                "name": schema.name,
                "type": schema.type,
                "latest": schema.latest,
                "versions": schema.version_count,
                "mode": _mode(contracts.get(schema.name)),
                "status": _status(steps),
            }
        )
    return {"items": items, "next": listed.next_token}


def schema_detail(bus: LocalBus, contracts: Contracts, registry: str, name: str) -> dict[str, Any]:
    service = registry_for(bus)
    schema = service.schemas.get(registry, name)
    contract = contracts.get(name)
    labels = {v.registry_version: v.version for v in contract.versions} if contract else {}
    versions = service.schemas.versions(registry, name, limit=100).items
    steps = _steps(service, contracts, schema)
    return {
        "registry": registry,
        "name": name,
        "type": schema.type,
        "description": schema.description,
        "mode": _mode(contract),
        "contractsError": contracts.error,
        "versions": [
            {"version": v.version, "label": labels.get(v.version, str(v.version)), "content": v.content}
            for v in versions
        ],
        "steps": steps,
        "status": _status(steps),
    }


def _mode(contract: Contract | None) -> str | None:
    return contract.compatibility.value if contract else None


def _steps(service: SchemaRegistry, contracts: Contracts, schema: Schema) -> list[dict[str, Any]]:
    contract = contracts.get(schema.name)
    labels = {v.registry_version: v.version for v in contract.versions} if contract else {}
    versions: list[SchemaVersion] = service.schemas.versions(schema.registry, schema.name, limit=100).items
    steps: list[dict[str, Any]] = []
    for old, new in itertools.pairwise(versions):
        before, after = labels.get(old.version, str(old.version)), labels.get(new.version, str(new.version))
        new_major = bool(labels) and before.split(".")[0] != after.split(".")[0]
        try:
            changes = diff(json.loads(old.content), json.loads(new.content))
        except (ContractError, ValueError) as exc:
            steps.append(
                {"from": before, "to": after, "error": str(exc), "changes": [], "verdict": "unknown"}
            )
            continue
        satisfied = [m.value for m in _MODES if not any(c.breaks.violates(m) for c in changes)]
        steps.append(
            {
                "from": before,
                "to": after,
                "changes": [_change(c) for c in changes],
                "satisfies": satisfied,
                "newMajor": new_major,
                "verdict": _verdict(contract, new_major, changes),
            }
        )
    return steps


def _change(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind.value,
        "path": change.path or "(detail)",
        "detail": change.detail,
        "breaks": [b.name for b in (Break.BACKWARD, Break.FORWARD) if b in change.breaks],
    }


def _verdict(contract: Contract | None, new_major: bool, changes: list[Change]) -> str:
    if new_major:
        return "new major version (side by side)"
    if contract is None or contract.compatibility is Compatibility.NONE:
        return "not checked"
    broken = any(c.breaks.violates(contract.compatibility) for c in changes)
    return (
        f"violates {contract.compatibility.value}" if broken else f"{contract.compatibility.value} compatible"
    )


def _status(steps: list[dict[str, Any]]) -> str:
    verdicts = [step["verdict"] for step in steps]
    if any(v.startswith("violates") for v in verdicts):
        return "incompatible"
    if not steps:
        return "single version"
    return "compatible" if any(v.endswith("compatible") for v in verdicts) else "not checked"
