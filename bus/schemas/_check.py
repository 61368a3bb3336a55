"""``choreo schemas check``: every contract's versions against their predecessors, in its mode.

Versions are compared within a major version only: ``1.0 -> 1.1`` must satisfy the contract's
mode; ``2.0`` starts a new line published side by side with ``1.x`` (the way out of a breaking
change), so its differences from the newest ``1.x`` are listed for information, never failed.
Consumers (from ``choreo lint``'s reliance) that read a field a violation touches are named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

from bus.schemas._compat import Change, diff
from bus.schemas._lint import Reliance
from events.contracts import Compatibility, Contract

__all__ = ["CheckReport", "Verdict", "affected", "check_contracts"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One step ``previous -> version`` of ``schema`` under ``mode``."""

    schema: str
    previous: str
    version: str
    mode: Compatibility
    changes: tuple[Change, ...]
    new_major: bool = False  # side by side: reported, not judged
    consumers: tuple[tuple[Change, tuple[str, ...]], ...] = ()

    @property
    def violations(self) -> tuple[Change, ...]:
        if self.new_major:
            return ()
        return tuple(change for change in self.changes if change.breaks.violates(self.mode))

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_json(self) -> dict[str, Any]:
        broken = dict(self.consumers)
        return {
            "schema": self.schema,
            "previous": self.previous,
            "version": self.version,
            "mode": self.mode.value,
            "new_major": self.new_major,
            "ok": self.ok,
            "changes": [
                {
                    **change.as_json(),
                    "violation": change in self.violations,
                    "consumers": list(broken.get(change, ())),
                }
                for change in self.changes
            ],
        }


@dataclass(frozen=True, slots=True)
class CheckReport:
    verdicts: tuple[Verdict, ...]

    @property
    def ok(self) -> bool:
        return all(verdict.ok for verdict in self.verdicts)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "verdicts": [verdict.as_json() for verdict in self.verdicts]}


def check_contracts(contracts: Iterable[Contract], reliance: Sequence[Reliance] = ()) -> CheckReport:
    verdicts = []
    for contract in contracts:
        versions = contract.versions
        for previous, current in pairwise(versions):
            new_major = current.major != previous.major
            if contract.compatibility is Compatibility.NONE and not new_major:
                continue
            changes = tuple(diff(previous.document(), current.document()))
            verdict = Verdict(
                contract.name, previous.version, current.version, contract.compatibility, changes, new_major
            )
            named = tuple(
                (change, consumers)
                for change in (verdict.violations or _breaking(verdict))
                if (consumers := affected(contract.name, previous.version, change, reliance))
            )
            verdicts.append(replace(verdict, consumers=named))
    return CheckReport(tuple(verdicts))


def affected(schema: str, version: str, change: Change, reliance: Sequence[Reliance]) -> tuple[str, ...]:
    """Consumers receiving ``version``'s major of ``schema`` that read the changed field."""
    major = version.split(".", 1)[0]
    path = change.path.replace("[]", "") if change.path != "(detail)" else ""
    names = []
    for entry in reliance:
        if entry.schema != schema or not any(v.split(".", 1)[0] == major for v in entry.versions):
            continue
        if entry.fields is None or any(_overlaps(path, field) for field in entry.fields):
            names.append(entry.consumer)
    return tuple(sorted(set(names)))


def _overlaps(changed: str, read: str) -> bool:
    if not changed or changed == read:
        return True
    return read.startswith(changed + ".") or changed.startswith(read + ".")


def _breaking(verdict: Verdict) -> tuple[Change, ...]:
    """For a new major version: what would break a consumer that receives both lines."""
    if not verdict.new_major:
        return ()
    return tuple(change for change in verdict.changes if change.breaks)
