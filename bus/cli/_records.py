"""``choreo attempts`` and the table of ``choreo dropped``: what became of accepted events."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bus.store import SqliteStore

DataDir = Annotated[Path, typer.Option(help="The bus's data directory.")]


def _open(data_dir: Path) -> SqliteStore:
    database = data_dir / "bus.db"
    if not database.is_file():
        raise typer.BadParameter(f"no bus data in {data_dir} (expected {database})")
    return SqliteStore(database)


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S")


def drops(
    data_dir: DataDir = Path(".choreo"),
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first.")] = 20,
) -> None:
    """Accepted events given up where AWS gives up (unknown bus, no DLQ, ...), and why."""
    with _open(data_dir) as store:
        records = store.drops(limit)
    table = Table("time (UTC)", "event", "bus / rule / target", "reason", title=f"{len(records)} drop(s)")
    for d in records:
        where = " / ".join(x for x in (d.bus, d.rule, d.target_id) if x)
        table.add_row(_when(d.at), d.event_id, where, d.reason)
    Console().print(table)


def attempts(event_id: str, data_dir: DataDir = Path(".choreo")) -> None:
    """Every delivery attempt recorded for EVENT_ID, with its outcome."""
    with _open(data_dir) as store:
        event = store.get_event(event_id)
        records = store.attempts(event_id)
    if event is None:
        Console(stderr=True).print(f"[red]no event {event_id} in {data_dir}[/]")
        raise typer.Exit(1)
    table = Table("time (UTC)", "rule", "target", "attempt", "outcome", "error", title=f"event {event_id}")
    for a in records:
        error = f"{a.error_code}: {a.error_message}" if a.error_code else ""
        table.add_row(_when(a.at), a.rule, a.target_id, str(a.attempt), a.outcome.value, error)
    Console().print(table)
