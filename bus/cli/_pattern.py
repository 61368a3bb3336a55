"""``choreo test-pattern``: AWS's TestEventPattern, with the reason when it says no."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from bus.cli._inputs import read_json_argument
from bus.patterns import InvalidEvent, InvalidEventPattern, compile_pattern, explain

EXIT_MATCH, EXIT_NO_MATCH, EXIT_INVALID = 0, 1, 2


def test_pattern(
    pattern: Annotated[str, typer.Argument(help="Event pattern: a file, '-' for stdin, or inline JSON.")],
    event: Annotated[str, typer.Argument(help="Event: a file, '-' for stdin, or inline JSON.")],
) -> None:
    """Check whether EVENT matches PATTERN, and explain why not.

    Exit status: 0 on a match, 1 on no match, 2 when the pattern (or event) is invalid; an invalid
    pattern prints AWS's own InvalidEventPatternException message.
    """
    if pattern == "-" and event == "-":
        raise typer.BadParameter("only one of PATTERN and EVENT can be read from stdin")
    out = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    pattern_text = read_json_argument(pattern, "PATTERN")
    event_text = read_json_argument(event, "EVENT")
    try:
        compiled = compile_pattern(pattern_text)
        verdict = explain(compiled, event_text)
    except InvalidEventPattern as exc:
        err.print(f"[bold red]InvalidEventPatternException[/]: {exc.message}")
        raise typer.Exit(EXIT_INVALID) from None
    except InvalidEvent as exc:
        err.print(f"[bold red]Invalid event[/]: {exc}")
        raise typer.Exit(EXIT_INVALID) from None
    colour = "green" if verdict.matched else "red"
    lines = str(verdict).splitlines()
    out.print(f"[bold {colour}]{lines[0]}[/]", markup=True)
    for line in lines[1:]:
        out.print(line, markup=False)
    raise typer.Exit(EXIT_MATCH if verdict.matched else EXIT_NO_MATCH)
