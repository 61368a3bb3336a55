"""The suite tests the build it means to test.

`make test` runs the matcher's suites twice: on the sources, and on the mypyc build in
build/compiled (CHOREO_EXPECT_BUILD=mypyc). If an import path mix-up made the second run test
the sources again, every other test would still pass; this one would not.
"""

from __future__ import annotations

import importlib
import os

import pytest

HOT_MODULES = ["_numbers", "_matchers", "_flatten", "_index", "_machine"]


@pytest.mark.parametrize("name", HOT_MODULES)
def test_hot_module_comes_from_expected_build(name: str) -> None:
    module = importlib.import_module(f"bus.patterns.{name}")
    expected = os.environ.get("CHOREO_EXPECT_BUILD", "source")
    compiled = not str(module.__file__).endswith(".py")
    assert compiled == (expected == "mypyc"), f"{module.__name__} loaded from {module.__file__}"
