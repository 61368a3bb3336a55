"""The ``choreo`` command line: test-pattern's exit codes and messages, and the demo's options."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bus.cli import app

REPO = Path(__file__).resolve().parents[2]
PATTERN = '{"source": ["shop.orders"], "detail": {"total": [{"numeric": [">=", 100]}]}}'
HIT = '{"source": "shop.orders", "detail": {"total": 120}}'
MISS = '{"source": "shop.orders", "detail": {"total": 42}}'

runner = CliRunner()


def choreo(*args: str, stdin: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "400", "NO_COLOR": "1"})


def flat(text: str) -> str:
    """Output with line wrapping undone, so a long message can be found whole."""
    return " ".join(text.split())


# --- test-pattern --------------------------------------------------------------------------------


def test_inline_match_exits_0() -> None:
    result = choreo("test-pattern", PATTERN, HIT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "MATCH"


def test_inline_miss_exits_1_and_says_why() -> None:
    result = choreo("test-pattern", PATTERN, MISS)
    assert result.exit_code == 1, result.output
    out = result.stdout
    assert out.splitlines()[0] == "NO MATCH"
    assert "detail.total" in out and "42" in out and "100" in out


def test_files_are_read(tmp_path: Path) -> None:
    pattern, hit, miss = tmp_path / "p.json", tmp_path / "hit.json", tmp_path / "miss.json"
    pattern.write_text(PATTERN, encoding="utf-8")
    hit.write_text(HIT, encoding="utf-8")
    miss.write_text(MISS, encoding="utf-8")
    assert choreo("test-pattern", str(pattern), str(hit)).exit_code == 0
    assert choreo("test-pattern", str(pattern), str(miss)).exit_code == 1


def test_file_with_non_ascii_content(tmp_path: Path) -> None:
    pattern = tmp_path / "p.json"
    pattern.write_text('{"city": ["Zürich"]}', encoding="utf-8")
    assert choreo("test-pattern", str(pattern), '{"city": "Zürich"}').exit_code == 0


@pytest.mark.parametrize(
    ("args", "stdin", "code"),
    [
        (("-", HIT), PATTERN, 0),
        (("-", MISS), PATTERN, 1),
        ((PATTERN, "-"), HIT, 0),
        ((PATTERN, "-"), MISS, 1),
    ],
    ids=["pattern-hit", "pattern-miss", "event-hit", "event-miss"],
)
def test_stdin_dash(args: tuple[str, str], stdin: str, code: int) -> None:
    result = choreo("test-pattern", *args, stdin=stdin)
    assert result.exit_code == code, result.output


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ('{"int": 42}', 'Event pattern is not valid. Reason: "int" must be an object or an array'),
        ('{"resources": []}', "Event pattern is not valid. Reason: Empty arrays are not allowed"),
        (
            '["not", "a", "dict"]',
            "Event pattern is not valid. Reason: Filter is not an object",
        ),
        (
            '{"f": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}',
            "Event pattern is not valid. Reason: Rule is too complex - try using fewer wildcard characters "
            "or fewer repeating character sequences after a wildcard character",
        ),
    ],
)
def test_invalid_pattern_exits_2_with_aws_message(pattern: str, message: str) -> None:
    result = choreo("test-pattern", pattern, HIT)
    assert result.exit_code == 2, result.output
    assert message in flat(result.stderr)
    assert "InvalidEventPatternException" in result.stderr
    assert "MATCH" not in result.stdout


def test_invalid_pattern_from_file(tmp_path: Path) -> None:
    pattern = tmp_path / "p.json"
    pattern.write_text('{"a": [{"numeric": [">", 1, "<", 1]}]}', encoding="utf-8")
    result = choreo("test-pattern", str(pattern), HIT)
    assert result.exit_code == 2
    assert "Event pattern is not valid. Reason: Bottom must be less than top" in flat(result.stderr)


@pytest.mark.parametrize("event", ['{"source": ', "[1, 2]", '"text"'], ids=["truncated", "array", "string"])
def test_invalid_event_exits_2(event: str) -> None:
    result = choreo("test-pattern", PATTERN, event)
    assert result.exit_code == 2, result.output
    assert "MATCH" not in result.stdout


def test_invalid_event_file_exits_2(tmp_path: Path) -> None:
    event = tmp_path / "e.json"
    event.write_text("{not json", encoding="utf-8")
    assert choreo("test-pattern", PATTERN, str(event)).exit_code == 2


def test_both_from_stdin_is_a_usage_error() -> None:
    result = choreo("test-pattern", "-", "-", stdin=PATTERN)
    assert result.exit_code == 2
    assert "Usage" in result.output
    assert "stdin" in flat(result.output)


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = choreo("test-pattern", str(tmp_path / "absent.json"), HIT)
    assert result.exit_code == 2
    assert "Usage" in result.output


def test_missing_argument_is_a_usage_error() -> None:
    result = choreo("test-pattern", PATTERN)
    assert result.exit_code == 2
    assert "Usage" in result.output


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("test-pattern", ["matches", "PATTERN", "EVENT", "stdin"]),
        ("demo", ["order saga", "--orders", "--seed", "--template", "--timeout"]),
    ],
)
def test_help_states_the_purpose(command: str, words: list[str]) -> None:
    result = choreo(command, "--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    for word in words:
        assert word in text


def test_top_level_help_lists_commands() -> None:
    result = choreo("--help")
    assert result.exit_code == 0
    assert "test-pattern" in result.stdout and "demo" in result.stdout


# --- demo ----------------------------------------------------------------------------------------
# The demo runs the whole saga; tests/e2e/test_demo.py runs it. Here only what needs no engine.


def test_demo_with_missing_template_exits_2(tmp_path: Path) -> None:
    result = choreo("demo", "--template", str(tmp_path / "none.yaml"))
    assert result.exit_code == 2
    assert "no template" in result.stdout
