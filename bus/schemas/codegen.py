"""Typed bindings: pydantic v2 models generated from registry schemas with datamodel-code-generator.

One module per schema version. Each holds the models of ``detail`` and ``AWSEvent``, the typed
envelope (the event as EventBridge delivers it, with ``detail`` typed), plus the constants a
producer needs to publish it (``SOURCE``, ``DETAIL_TYPE``, ``SCHEMA_VERSION``). The output is a
pure function of the schema and the pinned generator: no timestamps, files in a stable order,
formatted by the generator's own (built-in) formatter so no other tool's version changes it.

``generate_models(contracts)`` gives ``events/models/`` as {relative path: text};
``python_bindings`` gives the package the registry serves for PutCodeBinding ``Python36``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from events.contracts import Contract, SchemaType

__all__ = [
    "CodegenError",
    "generate_models",
    "module_name",
    "python_bindings",
    "render_module",
    "write_models",
]

MODELS_PACKAGE = "events.models"
_EVENT_CLASS = "AWSEvent"
_LINE_LENGTH = 110


class CodegenError(ValueError):
    """The generator could not turn a schema into models; carries the schema's name."""


def snake(name: str) -> str:
    """``OrderPlaced`` -> ``order_placed``; ``EC2InstanceStateChangeNotification`` ->
    ``ec2_instance_state_change_notification``; ``com.choreo.orders`` -> ``com_choreo_orders``.
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", spaced)
    words = re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_").lower()
    return words if words and not words[0].isdigit() else f"s_{words}"


def module_name(source: str, detail_type: str, version: str) -> str:
    """Dotted module of one version below ``events.models``: ``com_choreo_orders.order_placed_v1_0``."""
    return f"{snake(source)}.{snake(detail_type)}_v{version.replace('.', '_')}"


def render_module(schema_name: str, content: str, schema_type: str, *, header: str) -> str:
    """The generated module text for one self-contained registry document."""
    from datamodel_code_generator import InputFileType, LiteralType, PythonVersion, generate
    from datamodel_code_generator.enums import DataModelType
    from datamodel_code_generator.format import Formatter

    try:
        kind = SchemaType(schema_type)
    except ValueError:
        raise CodegenError(f"{schema_name}: unsupported schema type {schema_type!r}") from None
    try:
        code = generate(
            content,
            input_file_type=InputFileType.OpenAPI
            if kind is SchemaType.OPENAPI3
            else InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            class_name=_EVENT_CLASS,
            custom_file_header=header,
            disable_timestamp=True,
            formatters=[Formatter.BUILTIN],
            builtin_format_line_length=_LINE_LENGTH,
            snake_case_field=True,
            allow_population_by_field_name=True,
            use_standard_collections=True,
            use_union_operator=True,
            use_annotated=True,
            field_constraints=True,
            enum_field_as_literal=LiteralType.All,
            use_schema_description=True,
            use_field_description=True,
            use_double_quotes=True,
            collapse_root_models=True,
        )
    except Exception as exc:  # the generator raises many unrelated types; one error for callers
        raise CodegenError(f"{schema_name}: {exc}") from exc
    if not isinstance(code, str) or f"class {_EVENT_CLASS}(" not in code:
        raise CodegenError(f"{schema_name}: the schema has no event (AWSEvent) to generate")
    _detail_class(code, schema_name)
    return code


def _footer(source: str, detail_type: str, version: str, detail_class: str) -> str:
    return (
        "\n\n\n# What a producer needs to publish this event, and fixed names for generic code.\n"
        f'SCHEMA_NAME = "{source}@{detail_type}"\n'
        f'SOURCE = "{source}"\n'
        f'DETAIL_TYPE = "{detail_type}"\n'
        f'SCHEMA_VERSION = "{version}"\n'
        f"Detail = {detail_class}\n"
        f"Event = {_EVENT_CLASS}\n"
    )


def _detail_class(code: str, schema_name: str) -> str:
    match = re.search(rf"^class {_EVENT_CLASS}\(.*?^    detail: (\w+)", code, re.MULTILINE | re.DOTALL)
    if match is None:
        raise CodegenError(f"{schema_name}: the event has no detail to type")
    return match.group(1)


def generate_models(contracts: Iterable[Contract]) -> dict[str, str]:
    """``events/models/`` for these contracts: {path relative to events/models: text}."""
    files: dict[str, str] = {}
    index: list[tuple[str, str, str, str]] = []
    for contract in sorted(contracts, key=lambda c: c.name):
        package = snake(contract.source)
        files.setdefault(
            f"{package}/__init__.py", f'"""Typed bindings of the events of {contract.source}."""\n'
        )
        for version in contract.versions:
            relative = version.path.relative_to(version.path.parent.parent).as_posix()
            header = f"# Generated by `choreo schemas codegen` from events/schemas/{relative}: do not edit."
            code = render_module(contract.name, version.content, version.schema_type, header=header)
            code = code.rstrip("\n") + _footer(
                contract.source, contract.detail_type, version.version, _detail_class(code, contract.name)
            )
            dotted = module_name(contract.source, contract.detail_type, version.version)
            files[dotted.replace(".", "/") + ".py"] = code
            index.append((contract.source, contract.detail_type, version.version, dotted))
    files["__init__.py"] = _index(index)
    return dict(sorted(files.items()))


def _index(entries: list[tuple[str, str, str, str]]) -> str:
    lines = [
        '"""Typed bindings of events/schemas/, generated by `choreo schemas codegen`: do not edit.',
        "",
        "``MODULES`` maps (source, detail-type, schema version) to the module that holds the version's",
        "models; ``events.typed`` imports them on demand.",
        '"""',
        "",
        "MODULES: dict[tuple[str, str, str], str] = {",
    ]
    lines += [f'    ("{s}", "{d}", "{v}"): "{MODELS_PACKAGE}.{m}",' for s, d, v, m in entries]
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_models(files: dict[str, str], out: Path) -> list[str]:
    """Make ``out`` hold exactly ``files`` (stale generated modules removed); returns what changed."""
    changed = []
    for relative, text in files.items():
        path = out / relative
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(relative)
    if out.is_dir():
        for path in sorted(out.rglob("*.py")):
            relative = path.relative_to(out).as_posix()
            if relative not in files:
                path.unlink()
                changed.append(relative)
    return changed


def python_bindings(schema_name: str, content: str, schema_type: str) -> dict[str, str]:
    """The PutCodeBinding ``Python36`` package of one registry schema version: {path: text}.

    Self-contained (pydantic v2 only): ``<source>/<detail_type>.py`` holds the models and the typed
    ``AWSEvent``, e.g. ``com_choreo_orders/order_placed.py`` for ``com.choreo.orders@OrderPlaced``.
    """
    source, _, detail_type = schema_name.partition("@")
    if not detail_type:
        source, detail_type = "schema", source
    header = f"# Generated by choreo from registry schema {schema_name}: do not edit."
    code = render_module(schema_name, content, schema_type, header=header)
    package = snake(source)
    return {
        f"{package}/__init__.py": f'"""Typed bindings of {schema_name}."""\n',
        f"{package}/{snake(detail_type)}.py": code,
    }
