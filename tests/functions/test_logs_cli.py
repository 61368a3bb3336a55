"""``choreo logs``: a function's log from the data directory, all of it or since a time."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from bus.cli import app
from bus.cli._logs import parse_since
from bus.engine.runtime import LocalBus


def test_logs_prints_a_functions_lines(bus: LocalBus) -> None:
    record = bus.functions.invoke("ok", {"order": "o-3"})

    result = CliRunner().invoke(app, ["logs", "ok", "--data-dir", str(bus.data_dir)])

    assert result.exit_code == 0, result.output
    assert f"START RequestId: {record.request_id} Version: $LATEST" in result.output
    assert 'ok handler got {"order": "o-3"}' in result.output
    assert f"REPORT RequestId: {record.request_id}" in result.output


def test_since_leaves_older_lines_out(tmp_path: Path) -> None:
    path = tmp_path / "functions" / "logs" / "old.jsonl"
    path.parent.mkdir(parents=True)
    now = time.time()
    lines = [
        {"t": now - 7200, "s": "a", "m": "two hours ago"},
        {"t": now - 60, "s": "a", "m": "a minute ago"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))

    result = CliRunner().invoke(app, ["logs", "old", "--data-dir", str(tmp_path), "--since", "10m"])

    assert result.exit_code == 0, result.output
    assert "a minute ago" in result.output and "two hours ago" not in result.output


def test_unknown_function_has_no_log(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["logs", "nope", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1


def test_parse_since() -> None:
    assert parse_since("1h30m", 10_000.0) == 10_000.0 - 5400
    assert parse_since("2026-01-01T00:00:00", 0.0) == 1_767_225_600.0
    with pytest.raises(typer.BadParameter):
        parse_since("yesterday", 0.0)
