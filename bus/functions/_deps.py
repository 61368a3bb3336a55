"""A function's own requirements.txt: the project's environment first, pip only for what it lacks.

``sam build`` installs a function's requirements.txt into its package; locally the handler runs
on the project's interpreter, so a requirement the project's environment already satisfies needs
nothing (the usual case, and it works offline). Otherwise the file is installed once with the
project's pip into ``DATA_DIR/functions/deps/<hash>`` (the hash of the file and the Python version),
which the worker puts on ``sys.path`` right after the code folder, as Lambda puts the package's
own dependencies next to the handler. Options in the file (``--no-index``, ``--find-links``) reach
pip unchanged, so offline installs from local wheels work too.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from bus.functions.errors import DependencyError

__all__ = ["dependency_path"]

_lock = threading.Lock()


def _satisfied(line: str) -> bool:
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return False  # a path, URL or option: only pip knows
    if requirement.url:
        return False
    if requirement.marker is not None and not requirement.marker.evaluate():
        return True  # not for this platform
    try:
        version = importlib.metadata.version(requirement.name)
    except importlib.metadata.PackageNotFoundError:
        return False
    return requirement.specifier.contains(version, prereleases=True)


def _lines(path: Path) -> list[str]:
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def dependency_path(code_dir: str | Path, cache: Path) -> Path | None:
    """The folder to put on ``sys.path`` for the function at ``code_dir``, or None when it needs none.

    Raises DependencyError when pip fails (no network for a package the project lacks, a bad pin).
    """
    requirements = Path(code_dir) / "requirements.txt"
    if not requirements.is_file():
        return None
    lines = _lines(requirements)
    if all(not line.startswith("-") and _satisfied(line) for line in lines):
        return None
    content = requirements.read_bytes()
    digest = hashlib.sha256(content + sys.version.encode()).hexdigest()[:16]
    target = cache / digest
    with _lock:  # two pools of functions sharing one requirements.txt install it once
        if (target / ".complete").is_file():
            return target
        staging = cache / f"{digest}.partial"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
            "--target", str(staging), "-r", str(requirements),
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, cwd=str(code_dir), capture_output=True, text=True, timeout=600, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DependencyError(f"{requirements}: pip took longer than {exc.timeout} s") from exc
        if done.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise DependencyError(f"{requirements}: pip install failed: {' / '.join(tail)}")
        (staging / ".complete").touch()
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        return target
