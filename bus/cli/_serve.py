"""``choreo serve``: the embedded bus behind AWS's wire protocols, for boto3 and the AWS CLI."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind; any address but loopback requires --auth.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port for every service.")] = 4010,
    data_dir: Annotated[Path, typer.Option(help="Where the bus keeps its data.")] = Path(".choreo"),
    template: Annotated[
        Path | None,
        typer.Option(help="SAM template to apply at start (default: ./template.yaml if present)."),
    ] = None,
    account: Annotated[str, typer.Option(help="Account id in ARNs and events.")] = "123456789012",
    region: Annotated[str, typer.Option(help="Region in ARNs and events.")] = "us-east-1",
    durability: Annotated[
        str, typer.Option(help="normal: survives a killed process; full: also a power cut.")
    ] = "normal",
    strict: Annotated[
        bool, typer.Option(help="PutEvents to an unknown bus fails instead of being dropped (AWS drops it).")
    ] = False,
    auth: Annotated[
        Path | None,
        typer.Option(
            "--auth",
            metavar="FILE",
            help=(
                "Verify every request's SigV4 signature against the access keys of FILE: one"
                " 'ACCESS_KEY_ID SECRET_ACCESS_KEY' pair a line, '#' comments; the file must not be"
                " readable by group or others (chmod 600). Required to bind a non-loopback address."
            ),
        ),
    ] = None,
    secrets_file: Annotated[
        Path | None,
        typer.Option(
            help=(
                "Owner-only JSON file the template's {{resolve:secretsmanager|ssm:...}} references"
                " read (also $CHOREO_SECRETS_FILE); see docs/api-destinations.md."
            )
        ),
    ] = None,
    schemas: Annotated[
        Path,
        typer.Option(help="Event contracts seeded into the schema registry 'choreo' at start, if present."),
    ] = Path("events/schemas"),
    xray_port: Annotated[
        int,
        typer.Option(
            help="UDP port of the X-Ray daemon on 127.0.0.1 for handlers' segments (0: a free one; -1: none)."
        ),
    ] = 2000,
    validate_bus: Annotated[
        list[str] | None,
        typer.Option(
            help=(
                "Refuse PutEvents entries on this bus whose detail does not match its contract in"
                " --schemas (repeatable; our extension, off by default)."
            )
        ),
    ] = None,
) -> None:
    """Serve EventBridge, SQS and the schema registry on one endpoint: point AWS_ENDPOINT_URL at it and
    run unchanged code."""
    from bus.engine.runtime import LocalBus
    from bus.registry import seed_registry
    from bus.schemas import IngestValidator
    from bus.template import TemplateError, load_template
    from bus.wire.auth import Authenticator, CredentialsError
    from bus.wire.server import build_server, settle_heap
    from events.contracts import ContractError, load_contracts

    out = Console(highlight=False)
    if host not in _LOOPBACK and auth is None:
        out.print(f"[red]refusing to bind {host}: only loopback addresses are served without --auth[/]")
        raise typer.Exit(2)
    authenticator: Authenticator | None = None
    if auth is not None:
        try:
            authenticator = Authenticator.from_file(auth)
        except CredentialsError as exc:
            out.print(str(exc), style="red", markup=False)
            raise typer.Exit(2) from None
    if durability not in ("normal", "full"):
        raise typer.BadParameter("durability is 'normal' or 'full'")
    mode: Literal["normal", "full"] = "full" if durability == "full" else "normal"
    endpoint = f"http://{host}:{port}"
    if template is None and Path("template.yaml").is_file():
        template = Path("template.yaml")
    bus = LocalBus(
        data_dir,
        durability=mode,
        account=account,
        region=region,
        strict=strict,
        endpoint=endpoint,
        xray_address=f"127.0.0.1:{xray_port}" if xray_port >= 0 else None,
    )
    try:
        if template is not None:
            try:
                config = load_template(
                    template, account=account, region=region, endpoint=endpoint, secrets_file=secrets_file
                )
                changes = bus.apply(config)
            except TemplateError as exc:
                out.print(f"[red]{exc}[/]")
                raise typer.Exit(2) from None
            out.print(f"applied {template}: {len(changes)} change(s)")
        if schemas.is_dir():
            seeded = seed_registry(bus, schemas)
            out.print(
                f"schema registry: {len(seeded.written)} version(s) seeded from {schemas},"
                f" {len(seeded.unchanged)} unchanged",
                markup=False,
            )
            for path, reason in seeded.skipped:
                out.print(f"  skipped {path}: {reason}", style="yellow", markup=False)
        if validate_bus:
            try:
                validator = IngestValidator(load_contracts(schemas))
            except ContractError as exc:
                out.print(f"cannot validate details: {exc}", style="red", markup=False)
                raise typer.Exit(2) from None
            for name in validate_bus:
                bus.engine.validate_details(name, validator.check)
            out.print(
                f"validating event details against {schemas} on: {', '.join(validate_bus)}", markup=False
            )
        bus.start()
        out.print(
            f"choreo is serving EventBridge, SQS and schemas on [bold]{endpoint}[/] (data in {data_dir})"
        )
        out.print(f"  export AWS_ENDPOINT_URL={endpoint}", markup=False)
        if bus.tracing.address is not None:
            out.print(f"  export AWS_XRAY_DAEMON_ADDRESS={bus.tracing.address}", markup=False)
        if authenticator is not None:
            keys = authenticator.key_count
            out.print(
                f"  requests must be SigV4-signed by one of the {keys} access key(s) of {auth}", markup=False
            )
        server = build_server(bus, host, port, authenticator=authenticator)
        settle_heap()
        # uvicorn handles SIGINT/SIGTERM while it serves (in-flight requests finish), then raises
        # the signal again for the handler it found: ours, so that the bus stops cleanly too
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda _signum, _frame: None)
        server.run()
    finally:
        bus.stop()
