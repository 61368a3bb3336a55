"""The ``choreo`` command line: thin commands over the Python API."""

from __future__ import annotations

import typer

from bus.cli import _client, _demo, _logs, _ops, _pattern, _records, _schemas, _serve, _traces

app = typer.Typer(
    name="choreo",
    help="Event-driven choreography on Amazon EventBridge: a local, AWS-compatible engine and its tooling.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("test-pattern")(_pattern.test_pattern)
app.command("demo")(_demo.demo)
app.command("attempts")(_records.attempts)
app.command("serve")(_serve.serve)
app.command("put")(_client.put)
app.command("rules")(_client.rules)
app.command("tail")(_ops.tail)
app.command("logs")(_logs.logs)
app.command("replay")(_ops.replay)
app.command("dropped")(_ops.dropped)
_client.dlq.command("redrive")(_ops.dlq_redrive)
app.add_typer(_client.dlq, name="dlq")
app.add_typer(_schemas.schemas, name="schemas")
app.command("lint")(_schemas.lint_command)
app.command("traces")(_traces.traces)
app.command("trace")(_traces.trace)
app.command("map")(_traces.service_map)

__all__ = ["app"]
