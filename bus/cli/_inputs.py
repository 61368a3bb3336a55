"""Read a JSON argument given as a file path, ``-`` for stdin, or inline text."""

from __future__ import annotations

import sys
from pathlib import Path

import typer


def read_json_argument(value: str, what: str) -> str:
    if value == "-":
        return sys.stdin.read()
    stripped = value.lstrip()
    if stripped.startswith(("{", "[")):
        return value
    path = Path(value)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    raise typer.BadParameter(f"{what} is neither inline JSON, '-', nor a readable file: {value}")
