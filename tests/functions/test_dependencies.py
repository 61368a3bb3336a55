"""A function's own requirements.txt: installed once into a cached folder, offline from local wheels."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from bus.engine.runtime import LocalBus
from bus.functions import InvocationStatus
from bus.template import Function
from tests.functions.conftest import APPS

WHEEL = "tinydep-1.0-py3-none-any.whl"


def build_wheel(folder: Path) -> None:
    """The smallest wheel pip installs: a module and its dist-info."""
    folder.mkdir()
    info = "tinydep-1.0.dist-info"
    files = {
        "tinydep/__init__.py": "ANSWER = 42\n",
        f"{info}/METADATA": "Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(folder / WHEEL, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
        wheel.writestr(f"{info}/RECORD", record)


def test_requirements_are_installed_into_a_cached_folder(bus: LocalBus, tmp_path: Path) -> None:
    code = tmp_path / "withdeps"
    shutil.copytree(APPS / "withdeps", code)
    build_wheel(code / "wheels")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:withdeps"
    bus.functions.register([Function("WithDeps", "withdeps", arn, handler="app.handler", code_dir=str(code))])

    record = bus.functions.invoke("withdeps", {})

    assert record.status is InvocationStatus.SUCCESS, record.error
    assert record.value["answer"] == 42
    cache = bus.data_dir / "functions" / "deps"
    assert Path(record.value["where"]).is_relative_to(cache)
    assert [p.name for p in cache.iterdir() if p.is_dir()] == [Path(record.value["where"]).parents[1].name]


def test_a_requirement_pip_cannot_install_fails_the_invocation(bus: LocalBus, tmp_path: Path) -> None:
    code = tmp_path / "broken"
    shutil.copytree(APPS / "withdeps", code)  # no wheels folder: nothing to install from
    arn = "arn:aws:lambda:us-east-1:123456789012:function:broken"
    bus.functions.register([Function("Broken", "broken", arn, handler="app.handler", code_dir=str(code))])

    record = bus.functions.invoke("broken", {})

    assert record.status is InvocationStatus.ERROR
    assert record.error is not None and "pip install failed" in record.error["errorMessage"]


def test_requirements_the_project_satisfies_need_no_install(bus: LocalBus, tmp_path: Path) -> None:
    code = tmp_path / "satisfied"
    shutil.copytree(APPS / "basic", code)
    (code / "requirements.txt").write_text("boto3\naws-lambda-powertools>=3\n")
    arn = "arn:aws:lambda:us-east-1:123456789012:function:satisfied"
    bus.functions.register([Function("Satisfied", "satisfied", arn, handler="app.ok", code_dir=str(code))])

    assert bus.functions.invoke("satisfied", {}).ok
    assert not (bus.data_dir / "functions" / "deps").exists()
