"""``choreo logs FUNCTION``: what a local function printed, with Lambda's START / END / REPORT lines.

choreo logs inventory --since 10m
choreo logs inventory --follow
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from bus.functions import LogLine, follow_log, log_path, read_log

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_STYLES = (("START ", "cyan"), ("END ", "cyan"), ("REPORT ", "cyan"), ("[ERROR]", "red"))


def parse_since(value: str, now: float) -> float:
    """``90s``, ``10m``, ``1h30m``, ``2d`` ago, or an ISO 8601 time (UTC unless it says otherwise)."""
    text = value.strip()
    parts = _DURATION.findall(text)
    if parts and _DURATION.sub("", text).strip() == "":
        return now - sum(float(n) * _SECONDS[unit] for n, unit in parts)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{value!r}: expected a duration (10m, 1h) or an ISO 8601 time") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def render(line: LogLine) -> Text:
    stamp = datetime.fromtimestamp(line.time, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    style = next((s for prefix, s in _STYLES if line.message.startswith(prefix)), "")
    text = Text(f"{stamp} ", style="dim")
    text.append(line.message, style=style)
    return text


def logs(
    function: Annotated[str, typer.Argument(help="The function's name.")],
    data_dir: Annotated[Path, typer.Option(help="The bus's data directory.")] = Path(".choreo"),
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Print new lines until Ctrl-C.")] = False,
    since: Annotated[
        str | None, typer.Option(help="Only lines from this long ago (10m, 1h) or this time (ISO 8601).")
    ] = None,
) -> None:
    """Print a local function's log (its handlers' output, with Lambda's START / END / REPORT lines)."""
    path = log_path(data_dir, function)
    start = parse_since(since, time.time()) if since else None
    out = Console(highlight=False)
    if not follow:
        if not path.is_file():
            Console(stderr=True).print(f"[red]no log for function {function} in {data_dir}[/]")
            raise typer.Exit(1)
        for line in read_log(path, since=start):
            out.print(render(line), soft_wrap=True)
        return
    try:
        for line in follow_log(path, since=start):
            out.print(render(line), soft_wrap=True)
    except KeyboardInterrupt:
        pass
