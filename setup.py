"""Optional native build of the pattern matcher's hot path (everything else is in pyproject.toml).

``CHOREO_MYPYC=1 pip install --no-build-isolation .`` compiles the modules below with mypyc
(shipped with mypy); without it the package is pure Python. The Python sources stay the
reference: `make test` runs the conformance and property suites against both builds.
"""

import os

from setuptools import setup

HOT_MODULES = [
    "bus/patterns/_numbers.py",
    "bus/patterns/_matchers.py",
    "bus/patterns/_flatten.py",
    "bus/patterns/_index.py",
    "bus/patterns/_machine.py",
]

ext_modules = []
if os.environ.get("CHOREO_MYPYC") == "1":
    from mypyc.build import mypycify

    ext_modules = mypycify(HOT_MODULES, opt_level="3")

setup(ext_modules=ext_modules)
