"""Code bindings through boto3 ``schemas``: Python36 is our pydantic v2 models, served as a zip."""

from __future__ import annotations

import importlib.util
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from bus.engine.runtime import LocalBus
from bus.registry import seed_registry

PLACED = "com.choreo.orders@OrderPlaced"
PING = json.dumps(
    {
        "openapi": "3.0.0",
        "info": {"title": "Ping", "version": "1.0.0"},
        "paths": {},
        "components": {
            "schemas": {
                "AWSEvent": {
                    "type": "object",
                    "required": ["detail", "detail-type", "source"],
                    "x-amazon-events-source": "shop",
                    "x-amazon-events-detail-type": "Ping",
                    "properties": {
                        "detail": {"$ref": "#/components/schemas/Ping"},
                        "detail-type": {"type": "string"},
                        "source": {"type": "string"},
                    },
                },
                "Ping": {
                    "type": "object",
                    "required": ["count"],
                    "properties": {"count": {"type": "integer"}},
                },
            }
        },
    }
)
CONTRACTS = Path(__file__).resolve().parents[2] / "events" / "schemas"


@pytest.fixture
def seeded(bus: LocalBus, schemas: Any) -> Any:
    seed_registry(bus, CONTRACTS)
    return schemas


def unzip(body: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return {name: archive.read(name).decode() for name in archive.namelist()}


def test_python_binding_is_our_pydantic_models(seeded: Any, tmp_path: Path) -> None:
    schemas = seeded
    with pytest.raises(schemas.exceptions.NotFoundException):  # nothing generated yet
        schemas.describe_code_binding(RegistryName="choreo", SchemaName=PLACED, Language="Python36")
    put = schemas.put_code_binding(RegistryName="choreo", SchemaName=PLACED, Language="Python36")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    latest = schemas.describe_schema(RegistryName="choreo", SchemaName=PLACED)["SchemaVersion"]
    assert (put["Status"], put["SchemaVersion"]) == ("CREATE_COMPLETE", latest)
    described = schemas.describe_code_binding(RegistryName="choreo", SchemaName=PLACED, Language="Python36")
    assert (described["Status"], described["SchemaVersion"]) == ("CREATE_COMPLETE", latest)

    body = schemas.get_code_binding_source(RegistryName="choreo", SchemaName=PLACED, Language="Python36")[
        "Body"
    ]
    raw = body.read()
    files = unzip(raw)
    assert sorted(files) == ["com_choreo_orders/__init__.py", "com_choreo_orders/order_placed.py"]
    again = schemas.get_code_binding_source(RegistryName="choreo", SchemaName=PLACED, Language="Python36")
    assert again["Body"].read() == raw  # deterministic bytes

    assert "BaseModel" in files["com_choreo_orders/order_placed.py"]


def test_binding_models_import_and_parse_an_event(schemas: Any, tmp_path: Path) -> None:
    schemas.create_registry(RegistryName="shop")
    schemas.create_schema(RegistryName="shop", SchemaName="shop@Ping", Type="OpenApi3", Content=PING)
    schemas.put_code_binding(RegistryName="shop", SchemaName="shop@Ping", Language="Python36")
    body = schemas.get_code_binding_source(RegistryName="shop", SchemaName="shop@Ping", Language="Python36")[
        "Body"
    ]
    files = unzip(body.read())
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    module_file = next(tmp_path / name for name in files if not name.endswith("__init__.py"))
    spec = importlib.util.spec_from_file_location("bound_ping", module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    event = {
        "version": "0",
        "id": "1",
        "detail-type": "Ping",
        "source": "shop",
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"count": 3},
    }
    parsed = module.AWSEvent.model_validate(event)
    assert parsed.detail.count == 3


def test_binding_per_version_and_errors(seeded: Any) -> None:
    schemas = seeded
    first = schemas.put_code_binding(
        RegistryName="choreo", SchemaName=PLACED, Language="Python36", SchemaVersion="1"
    )
    assert first["SchemaVersion"] == "1"
    one = schemas.describe_code_binding(
        RegistryName="choreo", SchemaName=PLACED, Language="Python36", SchemaVersion="1"
    )
    assert one["Status"] == "CREATE_COMPLETE"
    with pytest.raises(schemas.exceptions.NotFoundException):  # the latest version has none yet
        schemas.get_code_binding_source(RegistryName="choreo", SchemaName=PLACED, Language="Python36")
    for language in ("Java8", "TypeScript3", "Go1", "Cobol"):
        with pytest.raises(schemas.exceptions.BadRequestException):
            schemas.put_code_binding(RegistryName="choreo", SchemaName=PLACED, Language=language)
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.put_code_binding(RegistryName="choreo", SchemaName="Missing", Language="Python36")
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.put_code_binding(
            RegistryName="choreo", SchemaName=PLACED, Language="Python36", SchemaVersion="99"
        )


def test_a_failing_generator_is_a_failed_binding(schemas: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    schemas.create_registry(RegistryName="r")
    schemas.create_schema(RegistryName="r", SchemaName="s", Type="OpenApi3", Content=PING)
    monkeypatch.setitem(sys.modules, "bus.schemas.codegen", None)  # importing it now fails
    failed = schemas.put_code_binding(RegistryName="r", SchemaName="s", Language="Python36")
    assert failed["Status"] == "CREATE_FAILED"
    with pytest.raises(schemas.exceptions.NotFoundException):
        schemas.get_code_binding_source(RegistryName="r", SchemaName="s", Language="Python36")
    monkeypatch.undo()
    retried = schemas.put_code_binding(RegistryName="r", SchemaName="s", Language="Python36")
    assert retried["Status"] == "CREATE_COMPLETE"
    assert unzip(
        schemas.get_code_binding_source(RegistryName="r", SchemaName="s", Language="Python36")["Body"].read()
    )
