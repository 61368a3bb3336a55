"""Typed bindings: committed models match the schemas, type-check strictly, and parse real events."""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bus.cli import app
from bus.engine.runtime import LocalBus
from bus.model import Target
from bus.schemas import CodegenError, generate_models, python_bindings
from bus.template import load_template
from events.contracts import SCHEMAS_DIR, load_contracts
from events.models import MODULES
from events.typed import UnknownContract, model_for, parse_event

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "events" / "models"
SAMPLES = sorted((ROOT / "samples" / "events").glob("*.json"))
runner = CliRunner()


def test_committed_models_are_what_codegen_writes_now(tmp_path: Path) -> None:
    """Fails when someone edits a schema and forgets `choreo schemas codegen`."""
    result = runner.invoke(app, ["schemas", "codegen", "--schemas", str(SCHEMAS_DIR), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    fresh = {p.relative_to(tmp_path).as_posix(): p.read_text() for p in tmp_path.rglob("*.py")}
    committed = {p.relative_to(MODELS).as_posix(): p.read_text() for p in MODELS.rglob("*.py")}
    assert sorted(fresh) == sorted(committed)
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], "run `choreo schemas codegen` and commit events/models/"
    check = runner.invoke(
        app, ["schemas", "codegen", "--schemas", str(SCHEMAS_DIR), "--out", str(MODELS), "--check"]
    )
    assert check.exit_code == 0, check.output


def test_check_mode_names_stale_and_extra_modules(tmp_path: Path) -> None:
    shutil.copytree(MODELS, tmp_path / "models")
    edited = tmp_path / "models/com_choreo_orders/order_placed_v1_0.py"
    edited.write_text(edited.read_text().replace("min_length=1", "min_length=2"))
    (tmp_path / "models/com_choreo_orders/order_placed_v0_9.py").write_text("")
    result = runner.invoke(app, ["schemas", "codegen", "--out", str(tmp_path / "models"), "--check"])
    assert result.exit_code == 1
    assert "order_placed_v1_0.py" in result.output and "order_placed_v0_9.py" in result.output
    write = runner.invoke(app, ["schemas", "codegen", "--out", str(tmp_path / "models")])
    assert write.exit_code == 0 and not (tmp_path / "models/com_choreo_orders/order_placed_v0_9.py").exists()


def test_generation_is_deterministic() -> None:
    contracts = load_contracts()
    assert generate_models(contracts) == generate_models(reversed(contracts))


def test_generated_models_pass_mypy_strict(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--cache-dir",
        str(tmp_path),
        "events/models",
        "events/typed.py",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_module_imports_and_says_what_it_binds() -> None:
    assert len(MODULES) == sum(len(c.versions) for c in load_contracts())
    for (source, detail_type, version), dotted in MODULES.items():
        module = importlib.import_module(dotted)
        assert (source, detail_type, version) == (module.SOURCE, module.DETAIL_TYPE, module.SCHEMA_VERSION)
        assert module.Event is module.AWSEvent
        assert module.AWSEvent.model_fields["detail"].annotation is module.Detail


@pytest.mark.parametrize("sample", SAMPLES, ids=[s.stem for s in SAMPLES])
def test_sample_events_round_trip_through_their_typed_envelope(sample: Path) -> None:
    raw = json.loads(sample.read_text())
    event = parse_event(raw)
    assert type(event).__module__.startswith("events.models.")
    assert event.model_dump(by_alias=True, mode="json", exclude_unset=True) == raw
    assert parse_event(event.model_dump_json(by_alias=True, exclude_unset=True)) == event


def test_typed_access_and_version_choice() -> None:
    raw = json.loads((ROOT / "samples/events/order-placed-high-value.json").read_text())
    event = parse_event(raw)
    assert type(event).__module__ == "events.models.com_choreo_orders.order_placed_v1_0"
    detail = event.detail  # type: ignore[attr-defined]
    assert (detail.data.total, detail.data.items[0].qty, detail.metadata.correlation_id) == (
        249.9,
        1,
        "5f1c9a4e-7b2d-4c1e-9a63-0d2b8e4f7a10",
    )
    assert model_for("com.choreo.orders", "OrderPlaced", "1.7").__module__.endswith("order_placed_v1_1")
    assert model_for("com.choreo.orders", "OrderPlaced", "2.0").__module__.endswith("order_placed_v2_0")
    with pytest.raises(UnknownContract):
        model_for("com.choreo.orders", "OrderPlaced", "3.0")
    v2 = {
        **raw,
        "detail": {**raw["detail"], "metadata": {**raw["detail"]["metadata"], "schema-version": "2.0"}},
    }
    with pytest.raises(ValueError, match="customer"):  # a v1 body announced as 2.0 is rejected, by field
        parse_event(v2)


def test_the_envelope_parses_what_the_local_engine_delivers(tmp_path: Path) -> None:
    config = load_template(ROOT / "template.yaml")
    bus_name = config.buses[0].name
    sent = [json.loads(p.read_text()) for p in SAMPLES if "order-" in p.name]
    queue = "tap"  # the template's consumers are functions: a queue sees the envelope they would get
    with LocalBus(tmp_path) as bus:
        bus.apply(config)
        bus.create_queue(queue)
        bus.engine.put_rule(
            "tap", event_pattern='{"source": [{"prefix": "com.choreo."}]}', event_bus_name=bus_name
        )
        bus.engine.put_targets("tap", [Target("tap", bus.queue_arn(queue))], event_bus_name=bus_name)
        entries = [
            {
                "Source": e["source"],
                "DetailType": e["detail-type"],
                "Detail": json.dumps(e["detail"]),
                "EventBusName": bus_name,
            }
            for e in sent
        ]
        assert bus.engine.put_events(entries)["FailedEntryCount"] == 0
        deadline, received = time.monotonic() + 10, []
        while len(received) < len(sent) and time.monotonic() < deadline:
            received += bus.store.receive_messages(queue, 10, 30, time.time())
            time.sleep(0.02)
    parsed = [parse_event(m.body) for m in received]
    assert sorted(p.detail.metadata.idempotency_key for p in parsed) == sorted(  # type: ignore[attr-defined]
        e["detail"]["metadata"]["idempotency-key"] for e in sent
    )
    assert all(p.region and p.account and p.time.tzinfo for p in parsed)  # type: ignore[attr-defined]


def test_python_bindings_for_the_registry_are_self_contained(tmp_path: Path) -> None:
    placed = next(c for c in load_contracts() if c.detail_type == "OrderPlaced").latest(1)
    files = python_bindings(placed.name, placed.content, placed.schema_type)
    assert sorted(files) == ["com_choreo_orders/__init__.py", "com_choreo_orders/order_placed.py"]
    assert "events." not in files["com_choreo_orders/order_placed.py"]
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    script = (
        "import json, sys; from com_choreo_orders.order_placed import AWSEvent; "
        "e = AWSEvent.model_validate_json(sys.stdin.read()); print(e.detail.data.order_id)"
    )
    sample = (ROOT / "samples/events/order-placed-low-value.json").read_text()
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        input=sample,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.stdout.strip() == "ord-20250114-0043", result.stderr
    assert python_bindings(placed.name, placed.content, placed.schema_type) == files
    with pytest.raises(CodegenError, match="unsupported schema type"):
        python_bindings(placed.name, placed.content, "Avro")
    with pytest.raises(CodegenError, match="no detail"):
        python_bindings(
            "x@Y", json.dumps({"type": "object", "properties": {"a": {"type": "string"}}}), "JSONSchemaDraft4"
        )


def test_powertools_parser_accepts_the_generated_models() -> None:
    """Consumers use Powertools' parser: the whole event as AWSEvent, or the detail through its
    EventBridge envelope."""
    from aws_lambda_powertools.utilities.parser import envelopes, parse

    from events.models.com_choreo_payments import payment_failed_v1_0 as failed

    raw = json.loads((ROOT / "samples/events/payment-failed.json").read_text())
    event = parse(event=raw, model=failed.AWSEvent)
    assert event.detail.data.failure_reason == "CARD_DECLINED"
    detail = parse(event=raw, model=failed.Detail, envelope=envelopes.EventBridgeEnvelope)
    assert detail == event.detail
